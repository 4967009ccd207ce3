"""The package's layers run one way: no module imports from a layer above its own, and no import cycles.

Read from the source (every `import` statement, those inside functions included), so a deferred
import cannot hide an upward arrow or a circle. A module takes the layer of the longest prefix
listed for it; whatever is not listed below the package root sits with the commands, the top lesson-level
layer (a new lesson room belongs in the list, where its imports say).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "lessons_lib"

# Bottom first. A module may import modules of its own layer or of layers below it. The most
# specific prefix wins, so `lessons_lib.ollama_server.protocol` sits below the rest of the server.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "ground floor: the edition and its message catalogue, names, units, paths, the progress bar, hardware, memory, the bundled "
        "model and the model shelf, "
        "llama.cpp wrappers",
        (
            "lessons_lib.edition",
            "lessons_lib.messages",
            "lessons_lib.names",
            "lessons_lib.ollama_options",
            "lessons_lib.units",
            "lessons_lib.metrics",
            "lessons_lib.hardware",
            "lessons_lib.memory",
            "lessons_lib.bundled",
            "lessons_lib.paths",
            "lessons_lib.progress",
            "lessons_lib.shelf",
            "lessons_lib.llama",
        ),
    ),
    (
        "server wire: protocol constants, the error type, wire format, progress lines",
        (
            "lessons_lib.ollama_server.protocol",
            "lessons_lib.ollama_server.gojson",
            "lessons_lib.ollama_server.wire",
            "lessons_lib.ollama_server.progress",
        ),
    ),
    (
        "server store and engine",
        (
            "lessons_lib.ollama_server.store",
            "lessons_lib.ollama_server.options",
            "lessons_lib.ollama_server.text",
            "lessons_lib.ollama_server.prompts",
            "lessons_lib.ollama_server.engine",
            "lessons_lib.ollama_server.create",
            "lessons_lib.ollama_server.registry",
            "lessons_lib.ollama_server.mirror",
            "lessons_lib.ollama_server.modelfile",
            "lessons_lib.ollama_server.fields",
            "lessons_lib.ollama_server.tools",
        ),
    ),
    ("server service", ("lessons_lib.ollama_server.service", "lessons_lib.ollama_server.models_api")),
    ("server routes, /v1 and the launcher", ("lessons_lib.ollama_server",)),
    # The lesson-level rooms, in the order their imports run today (tests/test_layers.py keeps it).
    (
        "lessons, ground: the teaching catalogue, chat helpers, setup and course tooling",
        (
            "lessons_lib.catalog",
            "lessons_lib.chat",
            "lessons_lib.openai_chat",
            "lessons_lib.install",
            "lessons_lib.notebooks",
            "lessons_lib.translation",
            "lessons_lib.site",
        ),
    ),
    ("lessons: a server to talk to and the models on it", ("lessons_lib.connect", "lessons_lib.models")),
    ("lessons: the ollama CLI and the quantization lab", ("lessons_lib.ollama_cli", "lessons_lib.quant")),
    ("lessons: RunPod pods, prices and the sandbox", ("lessons_lib.cloud",)),
    ("lessons: the keyword job", ("lessons_lib.batch",)),
    (
        "commands and the package's front door: make check, make lab, lessons_lib/__init__",
        ("lessons_lib", "lessons_lib.shelf.__main__"),
    ),
    ("widgets", ("lessons_lib.widgets",)),
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def layer_of(module: str) -> int:
    best, best_len = -1, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    return best


def imports_of(module: str) -> set[str]:
    """The package's modules that `module` imports anywhere in its code."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            # `from pkg import mod` imports the module pkg.mod; `from mod import name` imports mod
            targets = [f"{origin}.{a.name}" if f"{origin}.{a.name}" in MODULES else origin for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != module:
                found.add(target)
    return found


GRAPH = {module: imports_of(module) for module in MODULES}


def test_every_module_has_a_layer():
    assert [m for m in MODULES if layer_of(m) < 0] == []


def test_no_module_imports_from_a_layer_above_it():
    upward = [
        f"{module} ({LAYERS[layer_of(module)][0]}) imports {target} ({LAYERS[layer_of(target)][0]})"
        for module, targets in GRAPH.items()
        for target in sorted(targets)
        if layer_of(target) > layer_of(module)
    ]
    assert upward == []


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path (first module repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_no_import_cycles():
    assert find_cycle(GRAPH) is None, " -> ".join(find_cycle(GRAPH) or [])


def test_the_checks_would_catch_a_cycle_and_an_upward_import():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    assert layer_of("lessons_lib.names") < layer_of("lessons_lib.ollama_server.store")
    assert layer_of("lessons_lib.ollama_server.protocol") < layer_of("lessons_lib.ollama_server.engine")
    assert layer_of("lessons_lib.ollama_server.routes") < layer_of("lessons_lib.connect")
    assert "lessons_lib.ollama_server.protocol" in GRAPH["lessons_lib.connect"]  # deferred imports are read too
    assert "lessons_lib.ollama_server.routes" in GRAPH["lessons_lib.ollama_server.server"]


@pytest.mark.parametrize(
    "module, absent",
    [
        ("lessons_lib.connect", "fastapi"),  # a client does not load the server's web framework
        ("lessons_lib.catalog", "fastapi"),
        ("lessons_lib.catalog", "llama_cpp"),
    ],
)
def test_importing_a_lower_room_does_not_load_a_higher_one(module, absent):
    code = f"import sys, {module}; print({absent!r} in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
