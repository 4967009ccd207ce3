"""environment.yml and binder/ must describe the same dependencies as pyproject.toml."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomllib
import yaml

ROOT = Path(__file__).resolve().parents[1]


def pyproject_requirements() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = [req for group in project["optional-dependencies"].values() for req in group]
    return {req.replace(" ", "") for req in project["dependencies"] + extras}


def pip_requirements(path: Path) -> set[str]:
    env = yaml.safe_load(path.read_text())
    pip_lists = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(pip_lists) == 1, f"{path}: expected one pip section"
    return {req.replace(" ", "") for req in pip_lists[0] if not req.startswith("-e")}


@pytest.mark.parametrize("env_file", ["environment.yml", "binder/environment.yml"])
def test_environment_file_matches_pyproject(env_file):
    wanted, found = pyproject_requirements(), pip_requirements(ROOT / env_file)
    assert found == wanted, f"{env_file} drifted: missing {sorted(wanted - found)}, extra {sorted(found - wanted)}"


def test_python_versions_agree():
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    minimum = tuple(int(x) for x in requires.lstrip(">=").split("."))
    for env_file in ("environment.yml", "binder/environment.yml"):
        deps = yaml.safe_load((ROOT / env_file).read_text())["dependencies"]
        python = next(d for d in deps if isinstance(d, str) and d.startswith("python="))
        assert tuple(int(x) for x in python.split("=")[1].split(".")) >= minimum


def test_binder_scripts_are_executable():
    for script in ("binder/start", "binder/postBuild"):
        assert (ROOT / script).stat().st_mode & 0o111, f"{script} must be executable"
