"""Saved ipywidgets state as static HTML, so the course site shows widgets without JavaScript or a CDN.

A notebook executed by nbclient keeps every widget's last state in `metadata.widgets`
(https://ipywidgets.readthedocs.io/en/stable/embedding.html). Jupyter's own way to show it is the
widgets HTML manager, a script loaded from a CDN at view time, which cannot work offline. Here each
widget-view output becomes the HTML its state describes: boxes as flex rows/columns, HTML widgets as
their value, controls drawn disabled at their saved value, progress bars as <progress>, Output
widgets as their captured outputs. What a learner sees is the widget as the run left it; it does not
react (there is no kernel behind a static page), which the site says next to each widget.
"""

from __future__ import annotations

import html
from typing import Any

STATE_MIME = "application/vnd.jupyter.widget-state+json"
VIEW_MIME = "application/vnd.jupyter.widget-view+json"
PREFIX = "IPY_MODEL_"

State = dict[str, dict[str, Any]]


def saved_state(notebook: dict[str, Any]) -> State:
    """The widget models a notebook saved: {model id: {"model_name": ..., "state": {...}}}."""
    return notebook.get("metadata", {}).get("widgets", {}).get(STATE_MIME, {}).get("state", {}) or {}


def render(model_id: str, state: State) -> str | None:
    """The widget `model_id` as static HTML, or None when its state was not saved."""
    if model_id not in state:
        return None
    return f'<div class="workbook-widget" data-widget="saved-state">{_render(model_id, state, 0)}</div>'


def _ref(value: Any) -> str:
    return value[len(PREFIX) :] if isinstance(value, str) and value.startswith(PREFIX) else ""


def _hidden(model: dict[str, Any], state: State) -> bool:
    layout = state.get(_ref(model.get("state", {}).get("layout")), {}).get("state", {})
    return layout.get("display") == "none" or layout.get("visibility") == "hidden"


def _label(s: dict[str, Any]) -> str:
    text = s.get("description") or ""
    if not text:
        return ""
    shown = text if s.get("description_allow_html") else html.escape(text)
    return f'<span class="workbook-widget-label">{shown}</span> '


def _render(model_id: str, state: State, depth: int) -> str:
    model = state.get(model_id)
    if model is None or depth > 50 or _hidden(model, state):
        return ""
    name = model.get("model_name", "")
    s = model.get("state", {})
    esc = html.escape
    if name in ("VBoxModel", "HBoxModel", "BoxModel", "GridBoxModel", "AccordionModel", "TabModel"):
        direction = "row" if name == "HBoxModel" else "column"
        inner = "".join(_render(_ref(child), state, depth + 1) for child in s.get("children", []))
        return (
            f'<div class="workbook-widget-box" style="display:flex;flex-direction:{direction};gap:.4em">{inner}</div>'
        )
    if name in ("HTMLModel", "HTMLMathModel"):
        # The value is HTML the course's own code produced (tables, answers, progress text).
        return f'<div class="workbook-widget-html">{_label(s)}{s.get("value", "")}</div>'
    if name == "LabelModel":
        return f"<span>{_label(s)}{esc(str(s.get('value', '')))}</span>"
    if name in ("FloatProgressModel", "IntProgressModel"):
        return (
            f'<span>{_label(s)}<progress class="workbook-widget-progress" data-bar-style="{esc(s.get("bar_style") or "")}"'
            f' value="{s.get("value", 0)}" max="{s.get("max", 100)}"></progress></span>'
        )
    if name in ("DropdownModel", "SelectModel", "RadioButtonsModel", "ToggleButtonsModel", "SelectMultipleModel"):
        labels = s.get("_options_labels", [])
        index = s.get("index")
        chosen = set(index) if isinstance(index, list) else {index}
        multiple = " multiple" if name == "SelectMultipleModel" else ""
        options = "".join(
            f"<option{' selected' if i in chosen else ''}>{esc(str(label))}</option>" for i, label in enumerate(labels)
        )
        return f"<label>{_label(s)}<select disabled{multiple}>{options}</select></label>"
    if name in ("TextModel", "TextareaModel", "PasswordModel"):
        value = "" if name == "PasswordModel" else str(s.get("value", ""))
        placeholder = esc(str(s.get("placeholder", "")))
        return (
            f'<label>{_label(s)}<textarea disabled rows="2" placeholder="{placeholder}">{esc(value)}</textarea></label>'
        )
    if name in ("ButtonModel", "ToggleButtonModel"):
        return f'<button disabled type="button">{esc(str(s.get("description", "")))}</button>'
    if name in ("CheckboxModel",):
        checked = " checked" if s.get("value") else ""
        return f'<label><input type="checkbox" disabled{checked}> {esc(str(s.get("description", "")))}</label>'
    if name.endswith("SliderModel") or name.endswith("TextModel") or name in ("FloatTextModel", "IntTextModel"):
        return (
            f'<label>{_label(s)}<output class="workbook-widget-value">{esc(str(s.get("value", "")))}</output></label>'
        )
    if name == "OutputModel":
        return "".join(_output_html(o) for o in s.get("outputs", []))
    return f'<span class="workbook-widget-unknown">[{esc(name)}]</span>'


def _output_html(output: dict[str, Any]) -> str:
    """One output captured by an Output widget."""
    if output.get("output_type") == "stream":
        text = output.get("text", "")
        return f"<pre>{html.escape(''.join(text) if isinstance(text, list) else text)}</pre>"
    data = output.get("data", {})
    if "text/html" in data:
        value = data["text/html"]
        return "".join(value) if isinstance(value, list) else value
    if "text/plain" in data:
        value = data["text/plain"]
        return f"<pre>{html.escape(''.join(value) if isinstance(value, list) else value)}</pre>"
    return ""


def static_outputs(notebook: dict[str, Any], note: str = "") -> int:
    """Replace every widget-view output whose state was saved by its static HTML; returns how many.

    `note` (already HTML) is shown under each widget, e.g. that it is a saved picture.
    """
    state = saved_state(notebook)
    count = 0
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(VIEW_MIME)
            if not view:
                continue
            rendered = render(view.get("model_id", ""), state)
            if rendered is None:
                continue
            if note:
                rendered += f'<div class="workbook-widget-note">{note}</div>'
            output["data"] = {"text/html": rendered}
            count += 1
    return count
