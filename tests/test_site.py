"""The course site (`make site`): widgets drawn from saved state, the staged source, and the built
site in Chromium: a lesson page in each edition shows its plots and a widget's saved state, and the
language switch leads to the same lesson in the other edition. Nothing is fetched from the network."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from lessons_lib.shelf.spec import SHELF
from lessons_lib.site.build import NOTEBOOKS, build, edition_notebooks, front_page, lesson_of, readme_section, stage
from lessons_lib.site.widget_html import VIEW_MIME, render, static_outputs
from lessons_lib.translation import EDITION_HEADER

ROOT = Path(__file__).resolve().parents[1]
LESSON = "03_quantization_lab"  # plots (matplotlib PNGs) and widgets (will-it-fit, progress bars)
CHROMIUM = os.environ.get("WORKBOOK_CHROMIUM", "/usr/bin/chromium")


def model(name: str, **state) -> dict:
    return {"model_name": name, "model_module": "@jupyter-widgets/controls", "state": state}


STATE = {
    "box": model("VBoxModel", children=["IPY_MODEL_pick", "IPY_MODEL_out", "IPY_MODEL_bar", "IPY_MODEL_gone"]),
    "pick": model("DropdownModel", description="Quantization", _options_labels=["F16", "Q8_0"], index=1),
    "out": model("HTMLModel", value="<table><tr><td>Total needed</td></tr></table><p>✅ fits</p>"),
    "bar": model("FloatProgressModel", value=3.0, max=3.0, bar_style="success"),
    "gone": model("ButtonModel", description="hidden", layout="IPY_MODEL_hide"),
    "hide": {"model_name": "LayoutModel", "state": {"display": "none"}},
}


def test_saved_widget_state_becomes_static_html():
    html = render("box", STATE)
    assert html is not None and html.startswith('<div class="workbook-widget"')
    assert "<option selected>Q8_0</option>" in html and "<select disabled>" in html
    assert "<td>Total needed</td>" in html and "✅ fits" in html  # an HTML widget's value is its HTML
    assert '<progress class="workbook-widget-progress" data-bar-style="success" value="3.0" max="3.0">' in html
    assert "hidden" not in html  # display: none stays hidden
    assert render("missing", STATE) is None


def test_a_notebooks_widget_outputs_are_replaced_and_others_kept():
    notebook = {
        "metadata": {"widgets": {"application/vnd.jupyter.widget-state+json": {"state": STATE}}},
        "cells": [
            {
                "cell_type": "code",
                "outputs": [{"output_type": "display_data", "data": {VIEW_MIME: {"model_id": "box"}}}],
            },
            {"cell_type": "code", "outputs": [{"output_type": "display_data", "data": {VIEW_MIME: {"model_id": "x"}}}]},
            {"cell_type": "code", "outputs": [{"output_type": "stream", "name": "stdout", "text": "kept"}]},
        ],
    }
    assert static_outputs(notebook, note="saved") == 1
    first = notebook["cells"][0]["outputs"][0]["data"]
    assert list(first) == ["text/html"] and first["text/html"].endswith('<div class="workbook-widget-note">saved</div>')
    assert VIEW_MIME in notebook["cells"][1]["outputs"][0]["data"]  # no saved state: left for the text/plain repr


def test_the_quick_start_comes_from_each_readme():
    english = readme_section(ROOT / "README.md", "Quick start")
    assert english.startswith("## Quick start") and "make lab" in english and "## Lessons" not in english
    assert "make lab EDITION=pl" in readme_section(ROOT / "README.pl.md", "Szybki start")


def course_with_polish(tmp_path: Path) -> Path:
    """The course's notebooks, with the Polish edition as committed; until a Polish lesson exists, a copy of
    the English one stands in for it (the edition lines added), so the site's Polish half can be checked."""
    if (NOTEBOOKS / "pl" / f"{LESSON}.ipynb").exists():
        return NOTEBOOKS
    folder = tmp_path / "notebooks"
    (folder / "pl").mkdir(parents=True)
    for path in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"):
        shutil.copy(path, folder / path.name)
    notebook = json.loads((NOTEBOOKS / f"{LESSON}.ipynb").read_text(encoding="utf-8"))
    first = next(c for c in notebook["cells"] if c["cell_type"] == "code")
    first["source"] = EDITION_HEADER.format(lang="pl") + "\n" + "".join(first["source"])
    (folder / "pl" / f"{LESSON}.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    return folder


def test_staging_writes_both_editions_with_their_indexes(tmp_path: Path):
    src = tmp_path / "src"
    widgets = stage(src, course_with_polish(tmp_path))
    assert widgets["en"] > 0 and widgets["pl"] > 0
    english = (src / "en" / "index.md").read_text(encoding="utf-8")
    assert "## Quick start" in english and english.index("00_setup_check") < english.index(LESSON)
    assert "## Szybki start" in (src / "pl" / "index.md").read_text(encoding="utf-8")
    staged = json.loads((src / "pl" / f"{LESSON}.ipynb").read_text(encoding="utf-8"))
    assert "widgets" not in staged["metadata"]  # drawn already: MyST-NB adds no widget scripts
    assert "Zapisany obraz widżetu" in json.dumps(staged, ensure_ascii=False)


def test_each_lessons_title_time_and_needs_come_from_its_overview():
    for lang, minutes, needs in (("en", "minutes", "memory"), ("pl", "minut", "pamięci")):
        lessons = [lesson_of(p) for p in edition_notebooks(lang) if p.name[:2].isdigit()]
        assert [x.number for x in lessons] == [p.name[:2] for p in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))]
        for lesson in lessons:
            assert lesson.title and " · " not in lesson.title, lesson
            assert minutes in lesson.time and len(lesson.time) < 200, lesson
            assert lesson.needs and "**" not in lesson.needs, lesson
        assert any(needs in x.needs for x in lessons)
    english = lesson_of(NOTEBOOKS / "00_setup_check.ipynb")
    assert english.title.startswith("Setup check") and english.time == "15 minutes"


def _front_html(lang: str) -> str:
    """A front-page section rendered to HTML by MyST (docutils, not the whole Sphinx site: fast)."""
    from docutils.core import publish_string
    from myst_parser.parsers.docutils_ import Parser

    settings = {"report_level": 3, "halt_level": 3, "myst_all_links_external": True}
    source = front_page(lang, prefix=f"{lang}/", level=2)
    return publish_string(source, parser=Parser(), writer="html5", settings_overrides=settings).decode()


@pytest.mark.parametrize("lang", ["en", "pl"])
def test_the_front_page_shows_commands_lessons_and_models_with_licences(lang: str):
    import re

    html = _front_html(lang)
    lessons = html[html.index(f'id="lessons-{lang}"') : html.index("</table>", html.index(f'id="lessons-{lang}"'))]
    rows = re.findall(r"<tr><td><p>(\d\d)</p></td>\s*<td><p><a [^>]*href=\"([^\"]+)\">([^<]+)</a>", lessons)
    pages = [p for p in edition_notebooks(lang) if p.name[:2].isdigit()]
    assert [(n, href) for n, href, _ in rows] == [(p.name[:2], f"{lang}/{p.name}") for p in pages]
    for page in pages:
        assert lesson_of(page).time in lessons
    assert ("make lab EDITION=pl" if lang == "pl" else "make lab") in html  # the quick start's commands
    assert "3.10" in html and "CMake" in html  # what a machine needs to install the course (Python, compiler)
    models = html[html.index(f'id="models-{lang}"') :]
    for model in SHELF:
        assert model.name in models and model.license in models and model.license_url in models
    assert "smollm2:135m" in models and "Apache-2.0" in models
    assert not re.search(r"<(?:script|link|img)[^>]+(?:src|href)=\"https?://", html)  # no network assets


def test_the_site_front_page_has_every_editions_front_door(tmp_path: Path):
    src = tmp_path / "src"
    stage(src, course_with_polish(tmp_path))
    front = (src / "index.md").read_text(encoding="utf-8")
    for lang in ("en", "pl"):
        assert f":name: lessons-{lang}" in front and f":name: models-{lang}" in front
        assert f"]({lang}/00_setup_check.ipynb)" in front
        edition = (src / lang / "index.md").read_text(encoding="utf-8")
        assert f":name: lessons-{lang}" in edition and "](00_setup_check.ipynb)" in edition
    assert front.index("lessons-en") < front.index("lessons-pl")
    assert "Gemma Terms of Use" in front


@pytest.mark.browser
@pytest.mark.slow
def test_the_built_site_shows_plots_widgets_and_switches_language(tmp_path: Path, output_dir: Path):
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        reason = (
            f"Chromium not found at {CHROMIUM}: install it with `sudo apt-get install chromium` (or `make browser`)"
        )
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import expect, sync_playwright

    out = tmp_path / "site"
    started = time.perf_counter()
    course = course_with_polish(tmp_path)
    build(out, tmp_path / "site-src", course)
    (output_dir / "site-build-seconds.txt").write_text(f"{time.perf_counter() - started:.1f}\n")
    pages = {lang: out / lang / f"{LESSON}.html" for lang in ("en", "pl")}
    assert all(p.exists() for p in pages.values()) and (out / "index.html").exists()

    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu", "--no-first-run"]
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.on("request", lambda r: None if r.url.startswith(("file:", "data:")) else outside.append(r.url))
            # The front page: each edition's lesson table (a row per lesson, its link and time) and models.
            page.goto((out / "index.html").as_uri())
            for lang in ("en", "pl"):
                lessons = [p for p in edition_notebooks(lang, course) if p.name[:2].isdigit()]
                rows = page.locator(f"table#lessons-{lang} tbody tr")
                expect(rows.first).to_be_visible()
                assert rows.count() == len(lessons)
                for row, path in zip(rows.all(), lessons):
                    assert row.locator("td").first.inner_text().strip() == path.name[:2]
                    # docutils' smartquotes print the shelf's as the shelf’s
                    shown_time = row.locator("td").nth(2).inner_text().strip().replace("\u2019", "'")
                    assert shown_time == lesson_of(path).time
                    link = row.locator("a").first
                    assert (link.get_attribute("href") or "").endswith(f"{lang}/{path.stem}.html"), path
                expect(page.locator(f"table#models-{lang}")).to_contain_text("Gemma Terms of Use")
            page.screenshot(path=str(output_dir / "site-front.png"), full_page=False)
            page.locator("table#lessons-pl tbody tr a").first.click()
            page.wait_for_url("**/pl/00_setup_check.html")
            assert page.locator("html").get_attribute("lang") == "pl"
            for lang, other in (("en", "pl"), ("pl", "en")):
                page.goto(pages[lang].as_uri())
                assert page.locator("html").get_attribute("lang") == lang
                # Plots: the saved PNGs, loaded and drawn (naturalWidth is 0 for a broken image).
                plots = page.locator("img[src$='.png']")
                expect(plots.first).to_be_visible()
                assert plots.count() >= 2
                assert plots.evaluate_all("imgs => imgs.every(i => i.complete && i.naturalWidth > 100)")
                # A widget's saved state: the will-it-fit panel with its dropdowns at their saved values,
                # its memory table and its verdict.
                widget = page.locator(".workbook-widget").filter(has=page.locator("select")).first
                expect(widget).to_be_visible()
                chosen = widget.locator("select option[selected]").all_inner_texts()
                assert len(chosen) == 4 and all(chosen), chosen  # model, quantization, context, KV type
                expect(widget.locator("table")).to_be_visible()
                assert any(mark in widget.inner_text() for mark in ("✅", "❌"))
                expect(page.locator(".workbook-widget progress").first).to_have_attribute("data-bar-style", "success")
                # The language switch leads to the same lesson in the other edition.
                switch = page.locator(".workbook-edition-switch a")
                expect(switch).to_have_attribute("hreflang", other)
                switch.click()
                page.wait_for_url(f"**/{other}/{LESSON}.html")
            page.screenshot(path=str(output_dir / "site-lesson.png"), full_page=False)
        finally:
            browser.close()
    assert outside == [], f"the site fetched from the network: {outside[:5]}"
