"""pyproject.toml, requirements.lock, environment.yml, binder/ and the Makefile describe one install."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import tomllib
import yaml
from packaging.requirements import Requirement

from lessons_lib.llama.build import LLAMA_CPP_PYTHON, LLAMA_CPP_VERSION

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"


def pyproject_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = [req for group in project["optional-dependencies"].values() for req in group]
    return [Requirement(req) for req in project["dependencies"] + extras]


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_pins() -> dict[str, str]:
    """name -> version of every pin in the lock that applies to this Python and platform."""
    pins = {}
    for line in LOCK.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        req = Requirement(line.strip())
        if req.marker is None or req.marker.evaluate():
            (spec,) = req.specifier
            assert spec.operator == "==", f"the lock must pin exact versions: {line}"
            pins[canonical(req.name)] = spec.version
    return pins


def test_lock_pins_every_dependency_within_pyproject_ranges():
    pins = lock_pins()
    for req in pyproject_requirements():
        name = canonical(req.name)
        if name == LLAMA_CPP_PYTHON:
            assert not req.extras and str(req.specifier) == f"=={LLAMA_CPP_VERSION}", (
                "pyproject.toml and lessons_lib.llama.build must pin the same llama-cpp-python"
            )
            assert name not in pins, "llama-cpp-python is built by lessons_lib.install, never from the lock"
            continue
        assert name in pins, f"{req.name} is in pyproject.toml but not in requirements.lock: run `make lock`"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"requirements.lock pins {name}=={pins[name]} outside pyproject's {req.specifier}: run `make lock`"
        )


def test_lock_holds_llama_cpp_python_runtime_dependencies():
    """lessons_lib.install installs llama-cpp-python with --no-deps, so the lock must carry its needs."""
    pins = lock_pins()
    for name in ("numpy", "typing-extensions", "diskcache", "jinja2"):
        assert name in pins, name


@pytest.mark.parametrize(
    ("env_file", "lock_ref"),
    [("environment.yml", "requirements.lock"), ("binder/environment.yml", "../requirements.lock")],
)
def test_environment_files_install_the_lock(env_file, lock_ref):
    env = yaml.safe_load((ROOT / env_file).read_text())
    pip_lists = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert pip_lists == [[f"-r {lock_ref}"]], f"{env_file}: its pip section must be exactly `-r {lock_ref}`"
    assert (ROOT / env_file).parent.joinpath(lock_ref).resolve() == LOCK


def test_makefile_pip_matches_the_lock():
    wanted = re.search(r"^PIP_VERSION := (\S+)$", (ROOT / "Makefile").read_text(), re.M)
    assert wanted, "Makefile must pin pip (PIP_VERSION)"
    pins = lock_pins()
    if "pip" in pins:
        assert pins["pip"] == wanted.group(1), "Makefile's PIP_VERSION and requirements.lock's pip differ"


def test_python_versions_agree():
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    minimum = tuple(int(x) for x in requires.lstrip(">=").split("."))
    for env_file in ("environment.yml", "binder/environment.yml"):
        deps = yaml.safe_load((ROOT / env_file).read_text())["dependencies"]
        python = next(d for d in deps if isinstance(d, str) and d.startswith("python="))
        assert tuple(int(x) for x in python.split("=")[1].split(".")) >= minimum
    from lessons_lib.install import OLDEST_PYTHON

    assert tuple(int(x) for x in OLDEST_PYTHON.split(".")) == minimum, "the lock must cover the oldest Python"


def test_binder_scripts_are_executable():
    for script in ("binder/start", "binder/postBuild"):
        assert (ROOT / script).stat().st_mode & 0o111, f"{script} must be executable"
    assert "lessons_lib.install" in (ROOT / "binder" / "postBuild").read_text()
