"""Install the course into the running Python: `python -m lessons_lib.install` (what `make setup` runs).

1. llama-cpp-python, compiled for this machine's CPU (lessons_lib.llama.build) and kept in the
   course's own wheel cache under a key of version + build flags + Python + platform. pip's wheel
   cache keys a built wheel by version alone, so a wheel compiled for another CPU or other flags
   (or one that crashes here) would be served again; the course never lets pip build or pick it.
2. Every other dependency at the versions CI tested (requirements.lock, installed by uv; `make lock`
   refreshes it).
3. The course package itself, editable, without dependencies (they came from the lock).
4. A smoke inference in a child process: setup fails with one clear line if llama.cpp crashes,
   hangs or cannot generate.

Standard library only until step 4: nothing else is installed when this starts.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .llama.build import GPU_CHOICES, LLAMA_CPP_PYTHON, LLAMA_CPP_VERSION, BuildPlan, plan
from .paths import course_cache

ROOT = Path(__file__).resolve().parents[1]
LOCK_FILE = ROOT / "requirements.lock"
# uv installs the ~250 locked wheels in seconds where pip takes minutes, and writes the universal
# lock (every platform and Python from 3.10): https://docs.astral.sh/uv/pip/compile/
UV_VERSION = "0.13.9"
OLDEST_PYTHON = "3.10"
# Where this environment records how its llama.cpp was built (read by `make check`).
BUILD_RECORD = Path(sys.prefix) / "share" / "local-llm-workbook" / "llama-build.json"

# Learner-facing lines, kept together for the Polish edition.
MSG_PLAN = "llama.cpp for {machine} ({gpu}): {features}"
MSG_CURRENT = "llama-cpp-python {version}: already built for this machine (build {key})"
MSG_CACHED = "llama-cpp-python {version}: installing the wheel built earlier for these flags (build {key})"
MSG_BUILDING = (
    "llama-cpp-python {version}: compiling llama.cpp for this machine (build {key}); "
    "about 6 minutes on 2 cores, once per machine and set of flags"
)
MSG_BUILT = "llama-cpp-python {version}: built in {seconds:.0f} s, kept in {folder}"
MSG_LOCK = "Installing the locked dependencies ({count} pins from {lock})"
MSG_LOCKED = "Dependencies and the course installed in {seconds:.0f} s"
MSG_NO_LOCK = "No {lock}: installing the package's own version ranges instead"
MSG_SMOKE_FIX = "Then run the setup again. Fix: `{fix}`."
MSG_DONE = "Course installed."


def cache_root() -> Path:
    return course_cache()


def wheel_folder(build: BuildPlan) -> Path:
    return cache_root() / "wheels" / f"{LLAMA_CPP_PYTHON}-{LLAMA_CPP_VERSION}-{build.key}"


def pip(*args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run([sys.executable, "-m", "pip", *args], check=True, env=env)


def installed_build() -> dict | None:
    """The build record of this environment's llama-cpp-python, if the course installed it."""
    try:
        record = json.loads(BUILD_RECORD.read_text())
    except (OSError, ValueError):
        return None
    try:
        import importlib.metadata

        if importlib.metadata.version(LLAMA_CPP_PYTHON) != record.get("version"):
            return None
    except importlib.metadata.PackageNotFoundError:
        return None
    return record


def build_wheel(build: BuildPlan, folder: Path) -> Path:
    """Compile llama-cpp-python with the plan's CMake arguments into `folder` (atomically)."""
    started = time.monotonic()
    folder.parent.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "CMAKE_ARGS": build.cmake_env,
        "FORCE_CMAKE": "1",
        "CMAKE_BUILD_PARALLEL_LEVEL": os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", str(os.cpu_count() or 2)),
    }
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".building-"))
    try:
        # --no-cache-dir: pip must neither reuse nor store a wheel keyed by version alone.
        pip(
            "wheel",
            "--no-cache-dir",
            "--no-deps",
            "--no-binary",
            LLAMA_CPP_PYTHON,
            f"{LLAMA_CPP_PYTHON}=={LLAMA_CPP_VERSION}",
            "-w",
            str(tmp),
            env=env,
        )
        (tmp / "build.json").write_text(json.dumps(record_of(build), indent=2))
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(tmp, folder)  # whole or not at all: an interrupted build leaves no wheel behind
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(MSG_BUILT.format(version=LLAMA_CPP_VERSION, seconds=time.monotonic() - started, folder=folder), flush=True)
    return next(folder.glob("*.whl"))


def record_of(build: BuildPlan) -> dict:
    return {
        "version": LLAMA_CPP_VERSION,
        "key": build.key,
        "machine": build.machine,
        "gpu": build.gpu,
        "features": list(build.features),
        "cmake_args": list(build.cmake_args),
        "amx_probe": None if build.amx is None else {"passed": build.amx.passed, "detail": build.amx.detail},
        "notes": list(build.notes),
    }


def ensure_llama(build: BuildPlan, rebuild: bool = False) -> None:
    current = installed_build()
    if not rebuild and current is not None and current.get("key") == build.key:
        print(MSG_CURRENT.format(version=LLAMA_CPP_VERSION, key=build.key), flush=True)
        return
    folder = wheel_folder(build)
    wheels = sorted(folder.glob("*.whl"))
    if wheels and not rebuild:
        print(MSG_CACHED.format(version=LLAMA_CPP_VERSION, key=build.key), flush=True)
        wheel = wheels[0]
    else:
        print(MSG_BUILDING.format(version=LLAMA_CPP_VERSION, key=build.key), flush=True)
        wheel = build_wheel(build, folder)
    pip("install", "-q", "--no-deps", "--force-reinstall", "--no-cache-dir", str(wheel))
    BUILD_RECORD.parent.mkdir(parents=True, exist_ok=True)
    BUILD_RECORD.write_text(json.dumps(record_of(build), indent=2))


def lock_pins(lock: Path = LOCK_FILE) -> list[str]:
    return [
        line.strip() for line in lock.read_text().splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]


def uv() -> list[str] | None:
    """The pinned uv, installed into this environment by pip; None where it cannot be had."""
    try:
        pip("install", "-q", f"uv=={UV_VERSION}")
    except subprocess.CalledProcessError:
        return None
    return [sys.executable, "-m", "uv"]


def install_dependencies(extras: str) -> None:
    if not LOCK_FILE.is_file():
        print(MSG_NO_LOCK.format(lock=LOCK_FILE.name), flush=True)
        pip("install", "-e", f"{ROOT}{extras}")
        return
    started = time.monotonic()
    print(MSG_LOCK.format(count=len(lock_pins()), lock=LOCK_FILE.name), flush=True)
    # The lock is complete (every transitive dependency, for every platform), so there is nothing to
    # resolve; --no-deps also keeps the installer from ever building llama-cpp-python itself.
    args = ["--no-deps", "-r", str(LOCK_FILE), "-e", f"{ROOT}{extras}"]
    tool = uv()
    try:
        if tool is None:
            raise subprocess.CalledProcessError(1, "uv")
        subprocess.run([*tool, "pip", "install", "--quiet", "--python", sys.executable, *args], check=True)
    except subprocess.CalledProcessError:
        pip("install", "-q", *args)  # a private index uv does not know of: plain pip, slower
    pip("check")
    print(MSG_LOCKED.format(seconds=time.monotonic() - started), flush=True)


def refresh_lock() -> int:
    """`make lock`: write requirements.lock from pyproject.toml's ranges (llama-cpp-python left out)."""
    tool = uv()
    if tool is None:
        return 1
    return subprocess.run(
        [
            *tool,
            "pip",
            "compile",
            str(ROOT / "pyproject.toml"),
            "--extra",
            "test",
            "--universal",
            "--python-version",
            OLDEST_PYTHON,
            "--no-emit-package",
            LLAMA_CPP_PYTHON,
            "--custom-compile-command",
            "make lock",
            "-o",
            str(LOCK_FILE),
        ],
        cwd=ROOT,
    ).returncode


def build_font_cache() -> None:
    """Matplotlib builds its font cache on first use and says so on stderr: do it now, in setup,
    not under a lesson's first plot."""
    subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], check=False, capture_output=True)


def smoke() -> int:
    # A fresh interpreter: this one imported nothing of llama_cpp, and the child may crash.
    done = subprocess.run([sys.executable, "-m", "lessons_lib.llama.smoke"], cwd=ROOT, check=False)
    return done.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lessons_lib.install", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--gpu",
        choices=GPU_CHOICES,
        default=os.environ.get("GPU") or None,
        help="llama.cpp's GPU backend (default: metal on Apple Silicon, else cpu)",
    )
    parser.add_argument("--rebuild-llama", action="store_true", help="compile llama.cpp again, ignoring the cache")
    parser.add_argument("--no-test-extras", action="store_true", help="skip the test tools (pytest, playwright...)")
    parser.add_argument("--skip-smoke", action="store_true", help="do not run the smoke inference")
    parser.add_argument("--refresh-lock", action="store_true", help="rewrite requirements.lock (`make lock`)")
    args = parser.parse_args(argv)
    if args.refresh_lock:
        return refresh_lock()
    build = plan(args.gpu)
    print(MSG_PLAN.format(machine=build.machine, gpu=build.gpu, features=" ".join(build.features) or "-"), flush=True)
    for note in build.notes:
        print(note, flush=True)
    try:
        ensure_llama(build, rebuild=args.rebuild_llama)
        install_dependencies("" if args.no_test_extras else "[test]")
        build_font_cache()
    except subprocess.CalledProcessError as exc:
        print(f"Setup stopped: `{' '.join(map(str, exc.cmd[-4:]))}` failed (exit {exc.returncode}); see above.")
        return 1
    if not args.skip_smoke and smoke() != 0:
        print(MSG_SMOKE_FIX.format(fix="make rebuild-llama"))
        return 1
    print(MSG_DONE, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
