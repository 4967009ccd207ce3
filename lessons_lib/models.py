"""Managing models from Python the way the `ollama` CLI does it, and finding their GGUF files.

- `list_table` / `ps_table`: `ollama list` and `ollama ps`, printed the same way, from the client.
- `pull`: `ollama pull` with a tqdm progress bar per layer.
- `plan_pull`: where a lesson pulls from: the real registry, or (no internet, CI, a workshop) the
  course's registry mirror, said plainly; the pull itself is real either way.
- `memory_hint`: the SIZE column as a memory estimate (`memory.estimate`) before a download.
- `ollama_stores` / `find_gguf`: the GGUF behind a model pulled with a real Ollama (or the
  course's own store), read strictly read-only, so llama-cpp-python can open it.
"""

from __future__ import annotations

import json
import os
import platform
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import ollama

from . import edition, memory
from .chat import server_url
from .names import ModelName
from .ollama_server.mirror import RegistryMirror
from .ollama_server.store import Store, default_models_dir
from .paths import shown
from .units import gib, human_bytes, relative_time

__all__ = [
    "ModelNotFound",
    "cli_table",
    "PullPlan",
    "find_gguf",
    "list_table",
    "memory_hint",
    "modelfile_to_create",
    "ollama_stores",
    "plan_pull",
    "ps_table",
    "pull",
]

# --- user-facing strings (kept together so a Polish edition can translate them) -------------
LIST_HEADER = ("NAME", "ID", "SIZE", "MODIFIED")
PS_HEADER = ("NAME", "ID", "SIZE", "PROCESSOR", "CONTEXT", "UNTIL")
CPU_ONLY = "100% CPU"
GPU_ONLY = "100% GPU"
SPLIT = "{cpu}%/{gpu}% CPU/GPU"
STOPPING = "Stopping..."

MESSAGE_ROLES = ("system", "user", "assistant")

REGISTRY_PROBE = "https://registry.ollama.ai/v2/"


class ModelNotFound(LookupError):
    """A model name that no store knows; the message lists what is there."""


# --- ollama list / ollama ps -------------------------------------------------------------------
def cli_table(header: Iterable[str], rows: list[list[str]]) -> str:
    """Columns as the Ollama CLI's borderless table prints them: left-aligned, 4 spaces apart."""
    rows = [list(header)] + rows
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("    ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)


def list_table(client: ollama.Client, prefix: str = "", now: datetime | None = None) -> str:
    """`ollama list [prefix]`: NAME, ID (12 hex of the manifest digest), SIZE, MODIFIED."""
    rows = []
    for m in client.list().models:
        name = m.model or ""
        if prefix and not name.lower().startswith(prefix.lower()):
            continue
        modified = relative_time(m.modified_at, now) if m.modified_at else ""
        rows.append([name, (m.digest or "")[:12], human_bytes(m.size or 0), modified])
    return cli_table(LIST_HEADER, rows)


def processor(size: int, size_vram: int) -> str:
    """The PROCESSOR column: where the model's memory lives."""
    if size_vram <= 0:
        return CPU_ONLY
    if size_vram >= size:
        return GPU_ONLY
    gpu = round(100 * size_vram / size)
    return SPLIT.format(cpu=100 - gpu, gpu=gpu)


def ps_table(client: ollama.Client, now: datetime | None = None) -> str:
    """`ollama ps`: NAME, ID, SIZE, PROCESSOR, CONTEXT, UNTIL."""
    rows = []
    for m in client.ps().models:
        until = relative_time(m.expires_at, now) if m.expires_at else STOPPING
        rows.append(
            [
                m.model or "",
                (m.digest or "")[:12],
                human_bytes(m.size or 0),
                processor(m.size or 0, m.size_vram or 0),
                str(m.context_length or ""),
                until,
            ]
        )
    return cli_table(PS_HEADER, rows)


# --- ollama pull -------------------------------------------------------------------------------
def pull(client: ollama.Client, name: str, *, insecure: bool = False, quiet: bool = False) -> list[dict[str, Any]]:
    """`ollama pull name` with a tqdm bar per layer; returns every progress line the server sent.

    Errors come as the server words them (`ollama.ResponseError`), e.g.
    "pull model manifest: file does not exist" for a wrong name or tag.
    """
    from .progress import tqdm

    bars: dict[str, Any] = {}
    lines: list[dict[str, Any]] = []
    try:
        for update in client.pull(name, insecure=insecure, stream=True):
            item = update.model_dump(exclude_none=True)
            lines.append(item)
            digest, total = item.get("digest"), item.get("total")
            if quiet:
                continue
            if digest and total:
                bar = bars.get(digest)
                if bar is None:
                    bar = bars[digest] = tqdm(
                        total=total, desc=item["status"], unit="B", unit_scale=True, unit_divisor=1000
                    )
                bar.update(item.get("completed", 0) - bar.n)
            else:
                print(item["status"])
    finally:
        for bar in bars.values():
            bar.close()
    return lines


@dataclass
class PullPlan:
    name: str  # the name to pull (with the mirror's host when pulling from the mirror)
    insecure: bool
    message: str
    mirror: RegistryMirror | None = None
    requested: str = ""  # the name as the learner types it: `ollama pull bielik`

    @property
    def command(self) -> str:
        """What a learner types at home: `ollama pull NAME`, without the mirror's address."""
        return f"ollama pull {self.requested or self.name}"

    def pull(self, client: ollama.Client, *, quiet: bool = False) -> list[dict[str, Any]]:
        """`ollama pull` from where this plan says (the registry, or the course's mirror), with progress bars."""
        return pull(client, self.name, insecure=self.insecure, quiet=quiet)

    @property
    def real_command(self) -> str:
        """The line actually run: with the mirror's address and --insecure where the plan pulls from it."""
        return f"ollama pull {'--insecure ' if self.insecure else ''}{self.name}"

    def close(self) -> None:
        if self.mirror is not None:
            self.mirror.stop()
            self.mirror = None

    def __enter__(self) -> PullPlan:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def registry_reachable(timeout: float = 3.0) -> bool:
    try:
        httpx.get(REGISTRY_PROBE, timeout=timeout)
        return True
    except httpx.HTTPError:
        return False


def plan_pull(name: str, *, models_dir: str | os.PathLike[str] | None = None, offline: bool | None = None) -> PullPlan:
    """Decide where `name` comes from. `offline=None`: CI (WORKBOOK_BACKEND=embedded) never tries
    the internet; otherwise Ollama's registry is used when it answers. The mirror serves
    `models_dir` (the store of the server that pulls, so present layers are not sent again; by
    default the store of the embedded server `connect()` started, else the first Ollama store)."""
    if offline is None:
        if os.environ.get("WORKBOOK_BACKEND", "").strip().lower() == "embedded":
            offline, why = True, edition.text("models.why_ci")
        else:
            offline, why = not registry_reachable(), edition.text("models.why_offline")
    else:
        why = edition.text("models.why_ci") if offline else ""
    if not offline:
        return PullPlan(name, False, edition.text("models.plan_registry", name=name), requested=name)
    if models_dir is None:  # the store of the course's embedded server, when this session started one
        from .connect import current

        conn = current()
        models_dir = conn.server.models if conn is not None and conn.server is not None else None
    root = Path(models_dir) if models_dir else next(iter(ollama_stores()), default_models_dir())
    mirror = RegistryMirror(root).start()
    short = name if "/" in name else f"library/{name}"
    mirrored = f"{mirror.host}/{short}"
    return PullPlan(
        mirrored,
        True,
        edition.text("models.plan_mirror", why=why, name=mirrored, url=mirror.url, root=shown(root)),
        mirror,
        requested=name,
    )


# --- SIZE as a memory hint ---------------------------------------------------------------------
@dataclass(frozen=True)
class MemoryHint:
    name: str
    size: int
    estimate: memory.MemoryEstimate
    message: str


def memory_hint(client: ollama.Client, name: str, n_ctx: int = 4096, machine: Any = None) -> MemoryHint:
    """How much memory a model on the server needs at `n_ctx`, from its size and shape (`ollama show`)."""
    from .hardware import detect

    wanted = ModelName.parse(name).display.lower()  # `ollama list` spells names this way
    size = next((m.size or 0 for m in client.list().models if (m.model or "").lower() == wanted), 0)
    info = dict(client.show(name).modelinfo or {})
    try:
        shape = memory.ModelShape.from_gguf_metadata(info)
    except ValueError:  # the short form leaves token lists out; the verbose one has them
        # The ollama client has no `verbose` flag for show, so ask the REST API directly.
        answer = httpx.post(
            server_url(client).rstrip("/") + "/api/show", json={"model": name, "verbose": True}, timeout=60
        )
        answer.raise_for_status()
        shape = memory.ModelShape.from_gguf_metadata(answer.json().get("model_info") or {})
    estimate = memory.estimate(size, shape, n_ctx=n_ctx)
    verdict = estimate.verdict(machine or detect())
    message = edition.text(
        "models.hint",
        name=name,
        size=human_bytes(size),
        ctx=n_ctx,
        need=gib(estimate.total_with_headroom),
        verdict=verdict.message,
    )
    return MemoryHint(name, size, estimate, message)


# --- a learner's own Ollama store, read-only ---------------------------------------------------
def ollama_store_paths() -> list[Path]:
    """Where Ollama keeps models on this system: OLLAMA_MODELS, then the platform defaults."""
    candidates = []
    if os.environ.get("OLLAMA_MODELS"):
        candidates.append(Path(os.environ["OLLAMA_MODELS"]).expanduser())
    candidates.append(Path.home() / ".ollama" / "models")  # macOS, Windows (%USERPROFILE%), Linux user
    if platform.system() == "Linux":
        candidates.append(Path("/usr/share/ollama/.ollama/models"))  # the Linux install script's service user
    seen, unique = set(), []
    for path in candidates:
        key = str(path)
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return unique


def ollama_stores(extra: Iterable[str | os.PathLike[str]] = ()) -> list[Path]:
    """Existing model folders: `extra` first, then Ollama's, then the course's own (no writes anywhere)."""
    paths = [Path(p) for p in extra] + ollama_store_paths() + [default_models_dir()]
    found, seen = [], set()
    for path in paths:
        try:
            resolved = path.expanduser().resolve()
            ok = (resolved / "manifests").is_dir()
        except OSError:  # unreadable (another user's folder)
            continue
        if ok and resolved not in seen:
            seen.add(resolved)
            found.append(resolved)
    return found


def find_gguf(name: str, stores: Iterable[str | os.PathLike[str]] | None = None) -> Path:
    """The GGUF file behind `name` (`llama3.2`, `SpeakLeash/bielik-...:Q4_K_M`), for llama-cpp-python.

    Looks in `stores` (default: `ollama_stores()`), reading manifests only. ModelNotFound lists
    every model that is there.
    """
    roots = [Path(s) for s in stores] if stores is not None else ollama_stores()
    available: list[str] = []
    for root in roots:
        store = Store(root)
        entry = store.find(name)
        if entry is not None and entry.model_path is not None and entry.model_path.is_file():
            return entry.model_path
        available += [e.name.display for e in store.list() if e.model_path is not None]
    where = (
        ", ".join(str(r) for r in roots)
        if roots
        else edition.text("models.no_stores", paths=", ".join(map(str, ollama_store_paths())))
    )
    raise ModelNotFound(
        edition.text(
            "models.not_found",
            name=name,
            where=where,
            available=", ".join(sorted(set(available))) or edition.text("models.nothing"),
        )
    )


# --- ollama create -f Modelfile ----------------------------------------------------------------
_INSTRUCTION = re.compile(r'^[ \t]*(\w+)[ \t]*("""(.*?)"""|.*?)[ \t]*$', re.S | re.M)


def _value(text: str) -> Any:
    """A PARAMETER value as Ollama types it: numbers as numbers, quoted strings unquoted."""
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    if text in ("true", "false"):
        return text == "true"
    return json.loads(text) if text.startswith('"') and text.endswith('"') else text


def modelfile_to_create(text: str) -> dict[str, Any]:
    """The keyword arguments of `client.create(...)` that `ollama create -f Modelfile` would send.

    The CLI reads the Modelfile itself and sends the same fields over /api/create; this does it in Python.
    """
    fields: dict[str, Any] = {}
    parameters: dict[str, Any] = {}
    messages: list[dict[str, str]] = []
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    matches = list(_INSTRUCTION.finditer(body))
    ends = [0] + [m.end() for m in matches]
    starts = [m.start() for m in matches] + [len(body)]
    leftover = " ".join(body[a:b].strip() for a, b in zip(ends, starts) if body[a:b].strip())
    if leftover:  # a line no instruction starts (a stray quote, a typo before the word)
        raise ValueError(edition.text("models.err_modelfile_unreadable", text=leftover))
    for position, match in enumerate(matches, start=1):
        word, raw, quoted = match.group(1).upper(), match.group(2), match.group(3)
        value = quoted if quoted is not None else raw.strip()
        if quoted is None and value.startswith('"""'):
            raise ValueError(edition.text("models.err_modelfile_quotes", n=position, word=match.group(1)))
        if not value and word in ("FROM", "SYSTEM", "TEMPLATE", "LICENSE"):
            raise ValueError(edition.text("models.err_modelfile_empty", n=position, word=match.group(1)))
        if word == "FROM":
            if value.lower().endswith(".gguf"):
                raise ValueError(edition.text("models.err_modelfile_gguf", path=value))
            fields["from_"] = value
        elif word in ("SYSTEM", "TEMPLATE", "LICENSE"):
            fields[word.lower()] = value
        elif word == "PARAMETER":
            key, _, rest = value.replace("\t", " ").partition(" ")
            if not key or not rest.strip():
                raise ValueError(edition.text("models.err_modelfile_parameter", n=position))
            parsed = _value(rest.strip())
            if key == "stop":
                parameters.setdefault("stop", []).append(parsed)
            else:
                parameters[key] = parsed
        elif word == "MESSAGE":
            role, _, content = value.partition(" ")
            if role.lower() not in MESSAGE_ROLES or not content.strip():
                raise ValueError(edition.text("models.err_modelfile_role", n=position))
            messages.append({"role": role, "content": content.strip().strip('"') if quoted is None else content})
        elif word == "ADAPTER":
            raise ValueError(edition.text("models.err_modelfile_adapter"))
        else:
            raise ValueError(edition.text("models.err_modelfile_line", n=position, word=match.group(1)))
    if "from_" not in fields:
        raise ValueError(edition.text("models.err_modelfile_from"))
    if parameters:
        fields["parameters"] = parameters
    if messages:
        fields["messages"] = messages
    return fields
