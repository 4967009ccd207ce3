"""`make site`: a static HTML site of both editions from the committed notebooks.

Nothing is executed and nothing is downloaded: the notebooks' saved outputs are the content
(MyST-NB with `nb_execution_mode = "off"`, docs/conf.py), widgets are drawn from their saved
state (`widget_html`), and Sphinx, MyST-NB and the theme come installed with the course's test
tools. The source is staged in a build folder, one folder per edition (en/, pl/), then Sphinx
builds it.

The front page (index.html, with a section per edition) and each edition's index are the course's
front door: what it teaches, the two commands and what a machine needs (the README's quick start),
the lesson table with times and requirements (read from each lesson's own overview cell), and the
models with their licences (from the shelf's spec and the catalogue). Nothing in it is written
twice: a lesson's new time or a model's new licence shows on the next `make site`.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ..edition import LANGUAGES, text
from .widget_html import static_outputs

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
CONF_DIR = ROOT / "docs"
BUILD = ROOT / "build"
# The README of each edition and the heading of its quick start.
READMES = {"en": ("README.md", "Quick start"), "pl": ("README.pl.md", "Szybki start")}
# The overview's bullets a lesson opens with (DESIGN: time to complete, system requirements), in
# either edition: "- **Time to learn:** 40 minutes" (or "**Time to learn**: ...").
OVERVIEW = {
    "time": ("Time to learn", "Czas nauki"),
    "needs": ("System requirements", "Wymagania sprzętowe"),
}


@dataclass(frozen=True)
class Lesson:
    """A lesson as its own opening cells describe it."""

    page: str  # the notebook's stem: 00_setup_check
    number: str
    title: str
    time: str
    needs: str


def _bullet(text: str, labels: tuple[str, ...]) -> str:
    """The value of the overview bullet `- **Label:** value` (its continuation lines joined)."""
    names = "|".join(map(re.escape, labels))
    match = re.search(rf"^- \*\*(?:{names})(?::\*\*|\*\*:)\s*(.*?)(?=^\S|^\s*- |\Z)", text, re.M | re.S)
    return " ".join(match.group(1).split()) if match else ""


def lesson_of(path: Path) -> Lesson:
    """Title, time and requirements from the notebook's opening markdown cells."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    opening = [c for c in notebook["cells"][:8] if c["cell_type"] == "markdown"]
    text = "\n\n".join("".join(c["source"]) for c in opening)
    heading = re.search(r"^# (.+)$", text, re.M)
    title = heading.group(1).strip() if heading else path.stem
    number, _, rest = title.partition(" · ")
    if not rest:
        number, rest = path.stem[:2], title
    return Lesson(path.stem, number, rest, _bullet(text, OVERVIEW["time"]), _bullet(text, OVERVIEW["needs"]))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(name: str, header: list[str], rows: list[list[str]]) -> str:
    """A MyST table with an id (`name`) and the class `workbook-front-table`."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return f"```{{table}}\n:name: {name}\n:class: workbook-front-table\n\n" + "\n".join(lines) + "\n```\n"


def lessons_table(lang: str, notebooks: Path = NOTEBOOKS, prefix: str = "") -> str:
    lessons = [lesson_of(p) for p in edition_notebooks(lang, notebooks) if re.match(r"\d\d_", p.name)]
    header = [text(f"site.col_{k}", lang=lang) for k in ("number", "lesson", "time", "needs")]
    rows = [[x.number, f"[{x.title}]({prefix}{x.page}.ipynb)", x.time, x.needs] for x in lessons]
    return _table(f"lessons-{lang}", header, rows)


def _megabytes(size: int, lang: str) -> str:
    shown = f"{size / 1e9:.1f} GB" if size >= 1e9 else f"{size / 1e6:.0f} MB"
    return shown.replace(".", ",") if lang == "pl" else shown  # Polish writes 1,1 GB


def models_table(lang: str) -> str:
    """The bundled model and the shelf: names, files, licences (lessons_lib.shelf.spec, the catalogue)."""
    from ..bundled import BUNDLED_MODEL, bundled_gguf_path
    from ..catalog.lookup import resolve
    from ..shelf.spec import SHELF

    header = [text(f"site.col_{k}", lang=lang) for k in ("name", "model", "size", "license", "kind")]
    rows = []
    found = resolve(BUNDLED_MODEL)
    if found is not None:
        bundled, _ = found
        try:
            size = _megabytes(bundled_gguf_path().stat().st_size, lang)
        except (FileNotFoundError, OSError):
            size = "?"
        model = f"{bundled.display_name} ({text('site.bundled', lang=lang)})"
        rows.append([f"`{BUNDLED_MODEL}`", model, size, bundled.license, text("site.kind_instruct", lang=lang)])
    for shelf in SHELF:
        rows.append(
            [
                f"`{shelf.name}`",
                f"[{shelf.title}]({shelf.publisher_url})",
                _megabytes(shelf.size, lang),
                f"[{shelf.license}]({shelf.license_url})",
                text(f"site.kind_{shelf.kind}", lang=lang),
            ]
        )
    return _table(f"models-{lang}", header, rows)


def front_page(lang: str, notebooks: Path = NOTEBOOKS, root: Path = ROOT, prefix: str = "", level: int = 1) -> str:
    """An edition's front door in MyST markdown: intro, quick start, lessons, models. `prefix` is the
    edition's folder as seen from the page (the root page's "pl/"); `level` the top heading's level."""
    readme, heading = READMES[lang]
    quick_start = _site_links(readme_section(root / readme, heading)).replace("](0", f"]({prefix}0")
    if level > 1:
        quick_start = re.sub(r"^(#+) ", lambda m: "#" * (level - 1) + m.group(0), quick_start, flags=re.M)
    sub = "#" * (level + 1)
    return (
        f"{'#' * level} Local LLM Workbook ({text('site.edition_name', lang=lang)})\n\n"
        f"{text('site.home_intro', lang=lang)}\n\n{quick_start}\n"
        f"{sub} {text('site.front_lessons', lang=lang)}\n\n{lessons_table(lang, notebooks, prefix)}\n"
        f"{sub} {text('site.front_models', lang=lang)}\n\n{text('site.front_models_intro', lang=lang)}\n\n"
        f"{models_table(lang)}\n"
    )


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
        pages = "\n".join(p.stem for p in edition_notebooks(lang, notebooks))
        (folder / "index.md").write_text(
            front_page(lang, notebooks, root)
            + f"\n## {text('site.lessons', lang=lang)}\n\n```{{toctree}}\n:maxdepth: 1\n\n{pages}\n```\n",
            encoding="utf-8",
        )
    # The site's front page: every edition's front door, one section each, English first.
    choices = " · ".join(f"[{text('site.edition_name', lang=lang)}]({lang}/index.md)" for lang in editions)
    sections = "\n".join(front_page(lang, notebooks, root, prefix=f"{lang}/", level=2) for lang in editions)
    tree = "\n".join(f"{lang}/index" for lang in editions)
    (src / "index.md").write_text(
        f"# Local LLM Workbook\n\n{choices}\n\n{sections}\n```{{toctree}}\n:hidden:\n\n{tree}\n```\n",
        encoding="utf-8",
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
