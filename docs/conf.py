"""Sphinx configuration of the course site (`make site`, lessons_lib/site/build.py stages the source).

Works offline: MyST-NB renders the notebooks' saved outputs without running them, widgets are
static HTML drawn from their saved state (so no widget script from a CDN), and the theme's
assets come in its wheel.
"""

from __future__ import annotations

import html

project = "Local LLM Workbook"
author = "Local LLM Workbook contributors"
extensions = ["myst_nb"]
nb_execution_mode = "off"  # the committed outputs are the content: nothing runs at build time
nb_ipywidgets_js: dict = {}  # no widget manager from a CDN (widgets are drawn by lessons_lib.site.widget_html)
nb_merge_streams = True
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
suppress_warnings = ["myst.header", "misc.highlighting_failure"]
html_theme = "sphinx_book_theme"
html_title = project
html_theme_options = {"show_navbar_depth": 1, "home_page_in_toc": True}
html_static_path = ["_static"]
html_css_files = ["workbook.css"]
html_show_sourcelink = False
html_copy_source = False

EDITIONS = ("en", "pl")


def _switch(app, pagename, templatename, context, doctree):
    """Every page links to the same page in the other edition (its index when there is none)."""
    from lessons_lib.edition import text

    lang, _, rest = pagename.partition("/")
    if lang not in EDITIONS or "body" not in context:
        return
    context["language"] = lang  # <html lang="pl"> on the Polish pages (screen readers, hyphenation)
    other = EDITIONS[1 - EDITIONS.index(lang)]
    target = f"{other}/{rest}" if f"{other}/{rest}" in app.env.found_docs else f"{other}/index"
    if target not in app.env.found_docs:
        return
    href = app.builder.get_relative_uri(pagename, target)
    label, title = text("site.switch", lang=lang), text("site.switch_title", lang=lang)
    context["body"] = (
        f'<p class="workbook-edition-switch" lang="{other}"><a href="{html.escape(href)}" hreflang="{other}" '
        f'title="{html.escape(title)}">{html.escape(label)}</a></p>\n' + context["body"]
    )


def setup(app):
    app.connect("html-page-context", _switch)
