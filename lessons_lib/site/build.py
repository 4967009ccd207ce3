"""`make site`: a static HTML site of both editions from the committed notebooks.

Nothing is executed and nothing is downloaded: the notebooks' saved outputs are the content
(MyST-NB with `nb_execution_mode = "off"`, docs/conf.py), widgets are drawn from their saved
state (`widget_html`), and Sphinx, MyST-NB and the theme come installed with the course's test
tools. The source is staged in a build folder, one folder per edition (en/, pl/), each with an
index page (the README's quick start and the lessons in order), then Sphinx builds it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from ..edition import LANGUAGES, text
from .widget_html import static_outputs

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
CONF_DIR = ROOT / "docs"
BUILD = ROOT / "build"
# The README of each edition and the heading of its quick start.
READMES = {"en": ("README.md", "Quick start"), "pl": ("README.pl.md", "Szybki start")}


def edition_notebooks(lang: str, notebooks: Path = NOTEBOOKS) -> list[Path]:
    """An edition's pages in order: the numbered lessons, then pages of that edition only (a glossary)."""
    folder = notebooks if lang == "en" else notebooks / lang
    lessons = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
    return lessons + sorted(set(folder.glob("*.ipynb")) - set(lessons))


def readme_section(readme: Path, heading: str) -> str:
    """One `## heading` section of a README, down to the next `## ` heading ("" if absent)."""
    if not readme.exists():
        return ""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", readme.read_text(encoding="utf-8"), re.M | re.S)
    return f"## {heading}\n{match.group(1)}" if match else ""


def stage(src: Path, notebooks: Path = NOTEBOOKS, root: Path = ROOT) -> dict[str, int]:
    """Write the site's source into `src`; returns how many widgets each edition drew from saved state."""
    if src.exists():
        shutil.rmtree(src)
    src.mkdir(parents=True)
    widgets = {}
    editions = [lang for lang in LANGUAGES if edition_notebooks(lang, notebooks)]
    for lang in editions:
        folder = src / lang
        folder.mkdir()
        count = 0
        for path in edition_notebooks(lang, notebooks):
            notebook = json.loads(path.read_text(encoding="utf-8"))
            count += static_outputs(notebook, note=text("site.widget_note", lang=lang))
            notebook.get("metadata", {}).pop("widgets", None)  # drawn already: no widget scripts wanted
            (folder / path.name).write_text(json.dumps(notebook, ensure_ascii=False), encoding="utf-8")
        widgets[lang] = count
        readme, heading = READMES[lang]
        quick_start = _site_links(readme_section(root / readme, heading))
        lessons = "\n".join(p.stem for p in edition_notebooks(lang, notebooks))
        (folder / "index.md").write_text(
            f"# Local LLM Workbook ({text('site.edition_name', lang=lang)})\n\n"
            f"{text('site.home_intro', lang=lang)}\n\n{quick_start}\n"
            f"## {text('site.lessons', lang=lang)}\n\n```{{toctree}}\n:maxdepth: 1\n\n{lessons}\n```\n",
            encoding="utf-8",
        )
    choices = " · ".join(f"[{text('site.edition_name', lang=lang)}]({lang}/index.md)" for lang in editions)
    tree = "\n".join(f"{lang}/index" for lang in editions)
    (src / "index.md").write_text(
        f"# Local LLM Workbook\n\n{choices}\n\n```{{toctree}}\n:hidden:\n\n{tree}\n```\n", encoding="utf-8"
    )
    return widgets


def _site_links(markdown: str) -> str:
    """README links to notebooks point at the site's pages; other repository files become plain text."""
    markdown = re.sub(r"\]\(notebooks/(?:pl/)?([0-9]{2}_[^)]+)\.ipynb\)", r"](\1.ipynb)", markdown)
    return re.sub(r"\[([^\]]+)\]\((?!https?://|[0-9]{2}_)[^)]+\)", r"\1", markdown)


def build(
    out: Path = BUILD / "site", src: Path = BUILD / "site-src", notebooks: Path = NOTEBOOKS
) -> tuple[float, dict[str, int]]:
    """Stage and build the site into `out`; returns the seconds it took and the widgets drawn."""
    started = time.perf_counter()
    widgets = stage(src, notebooks)
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-c", str(CONF_DIR), str(src), str(out)]
    subprocess.run(command, check=True)
    return time.perf_counter() - started, widgets


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m lessons_lib.site", description=__doc__)
    parser.add_argument("--out", type=Path, default=BUILD / "site", help="where the HTML goes (default build/site)")
    args = parser.parse_args(argv)
    seconds, widgets = build(args.out, args.out.parent / (args.out.name + "-src"))
    drawn = ", ".join(f"{lang}: {n}" for lang, n in widgets.items())
    print(f"Site built in {seconds:.1f} s: {args.out / 'index.html'} (widgets drawn from saved state: {drawn})")
    return 0
