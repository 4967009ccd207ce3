"""How the `ollama` command draws things: `show`'s sections, `pull`'s progress bars, `--verbose` stats.

Formats follow Ollama's CLI (cmd/cmd.go `showInfo`, progress/bar.go, api/types.go `Summary`).
"""

from __future__ import annotations

import shutil
import sys
from typing import Any, TextIO

import ollama

from ..models import cli_table
from ..units import human_bytes
from . import messages as M


def _section(header: str, rows: list[list[str]]) -> str:
    """One block of `ollama show`: two spaces, the header, then rows indented by an empty first column."""
    return f"  {header}\n" + cli_table([""] * len(rows[0]), rows).split("\n", 1)[1] + "\n"


def _head(text: str, n: int = 2) -> list[list[str]]:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    rows = [["", line] for line in lines[:n]]
    return rows + ([["", "..."]] if len(lines) > n else [])


def show_info(resp: Any, verbose: bool = False, system: str = "") -> str:
    """`ollama show MODEL`: Model, Capabilities, Parameters, System and License sections."""
    info = dict(resp.modelinfo or {})
    details = resp.details
    rows: list[list[str]] = []
    arch = info.get("general.architecture") or ""
    if info:
        if arch:
            rows.append(["", "architecture", arch])
        if details and details.parameter_size:
            rows.append(["", "parameters", details.parameter_size])
        for key, label in (("context_length", "context length"), ("embedding_length", "embedding length")):
            if f"{arch}.{key}" in info:
                rows.append(
                    [
                        "",
                        label,
                        f"{info[f'{arch}.{key}']:g}"
                        if isinstance(info[f"{arch}.{key}"], float)
                        else str(info[f"{arch}.{key}"]),
                    ]
                )
    else:
        rows += [
            ["", "architecture", (details.family if details else "") or ""],
            ["", "parameters", (details.parameter_size if details else "") or ""],
        ]
    rows.append(["", "quantization", (details.quantization_level if details else "") or ""])
    blocks = [_section("Model", rows)]
    if resp.capabilities:
        blocks.append(_section("Capabilities", [["", str(c)] for c in resp.capabilities]))
    if resp.parameters:
        lines = [line.split() for line in resp.parameters.splitlines() if line.strip()]
        width = max(len(line) for line in lines)
        blocks.append(_section("Parameters", [[""] + line + [""] * (width - len(line)) for line in lines]))
    if verbose and info:
        blocks.append(_section("Metadata", [["", key, _metadata_value(info[key])] for key in sorted(info)]))
    if system:
        blocks.append(_section("System", _head(system)))
    if resp.license:
        blocks.append(_section("License", _head(resp.license)))
    return "\n".join(blocks)


def _metadata_value(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):  # Ollama shows the first items of long arrays, then "...+N more"
        shown = value[:3]
        more = f" ...+{len(value) - len(shown)} more" if len(value) > len(shown) else ""
        return "[" + " ".join(str(v) for v in shown) + more + "]"
    return f"{value:g}" if isinstance(value, float) else str(value)


def go_duration(ns: int) -> str:
    """A duration in nanoseconds the way Go's time.Duration prints it (1.234567s, 12.3ms, 850µs)."""
    if ns >= 1_000_000_000:
        seconds = ns / 1e9
        minutes, seconds = divmod(seconds, 60)
        return (f"{int(minutes)}m" if minutes else "") + f"{seconds:.9f}".rstrip("0").rstrip(".") + "s"
    for unit, scale in (("ms", 1_000_000), ("µs", 1_000)):
        if ns >= scale:
            return f"{ns / scale:.6f}".rstrip("0").rstrip(".") + unit
    return f"{ns}ns"


def stats(final: Any) -> str:
    """`--verbose` / `/set verbose`: Ollama's timing summary, from the last streamed chunk."""
    values: dict[str, Any] = {}
    for key in ("total_duration", "load_duration", "prompt_eval_duration", "eval_duration"):
        if getattr(final, key, None):
            values[key] = go_duration(getattr(final, key))
    for key in ("prompt_eval_count", "eval_count"):
        if getattr(final, key, None):
            values[key] = getattr(final, key)
    if final.prompt_eval_count and final.prompt_eval_duration:
        values["prompt_eval_rate"] = final.prompt_eval_count / (final.prompt_eval_duration / 1e9)
    if final.eval_count and final.eval_duration:
        values["eval_rate"] = final.eval_count / (final.eval_duration / 1e9)
    return "\n".join(text.format(values[key]) for text, key in M.STATS if key in values)


class PullProgress:
    """Ollama's pull display on stderr: a status line per step, one bar per layer.

    On a terminal the bar is redrawn in place; elsewhere (a notebook, a pipe) each line is printed once.
    """

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.status: str | None = None
        self.bars: dict[str, str] = {}
        self.open_bar: str | None = None

    def bar(self, digest: str, total: int, completed: int) -> str:
        name = digest.removeprefix("sha256:")[:12]
        percent = 100 * completed / total if total else 100
        width = max(10, min(shutil.get_terminal_size((80, 24)).columns, 100) - len(name) - 30)
        filled = int(width * percent / 100)
        return f"{M.PULLING.format(digest=name)} {percent:3.0f}% ▕{'█' * filled}{' ' * (width - filled)}▏ {human_bytes(total):>6}"

    def update(self, item: Any) -> None:
        digest, total, completed = item.digest, item.total or 0, item.completed or 0
        if digest:
            if not completed:  # the first line of a layer only announces it (Ollama skips it too)
                return
            line = self.bar(digest, total, completed)
            done = completed >= total
            if self.tty:
                if self.open_bar not in (None, digest):
                    self.stream.write("\n")
                self.stream.write("\r" + line)
                self.open_bar = None if done else digest
                if done:
                    self.stream.write("\n")
            elif done and digest not in self.bars:
                self.stream.write(line + "\n")
            self.bars[digest] = line
        elif item.status != self.status:
            if self.open_bar is not None:
                self.stream.write("\n")
                self.open_bar = None
            self.status = item.status
            self.stream.write(f"{item.status}\n")
        self.stream.flush()


def system_prompt(c: ollama.Client, name: str) -> str:
    """The model's SYSTEM text: /api/show sends it, but the Python client's ShowResponse has no field for it."""
    answer = c._client.post("/api/show", json={"model": name})
    return answer.json().get("system", "") if answer.status_code == 200 else ""
