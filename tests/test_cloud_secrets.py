"""A recognisable fake key goes through the whole real-mode path and never comes out anywhere."""

from __future__ import annotations

import json
import logging
import pickle
from pathlib import Path

import pytest
import runpod

from lessons_lib import cloud
from lessons_lib.cloud.keys import ApiKey, get_api_key, redact
from lessons_lib.cloud.sandbox import BASE_URL_ENV, PROXY_ENV, Sandbox

FAKE_KEY = "rp_FAKEKEY_must_never_leak_7f3a9c"
NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "04_runpod_pods.ipynb"


@pytest.fixture
def fake_runpod(models_dir, monkeypatch, tmp_path):
    """The sandbox posing as api.runpod.io, accepting only FAKE_KEY; the learner has it in RUNPOD_API_KEY."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(runpod, "api_key", None)
    with Sandbox(models_dir, time_scale=600, boot_seconds=3, activate=False, api_key=FAKE_KEY) as remote:
        monkeypatch.setenv(BASE_URL_ENV, remote.url)
        monkeypatch.setenv(PROXY_ENV, remote.proxy_template)
        monkeypatch.setenv("RUNPOD_API_KEY", FAKE_KEY)
        yield remote


def test_real_mode_never_shows_the_key(fake_runpod, capsys, caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    mode = cloud.open_cloud(real=True)
    shown = [str(mode), repr(mode), repr(cloud.get_api_key())]
    with cloud.PodSession(
        cloud.PodSpec(volume_gb=10), on_exit="stop", poll=0.05, progress=False, budget=cloud.Budget(1000, 1000)
    ) as session:
        shown += [repr(session), repr(session.status()), str(session.client.list())]
    with pytest.raises(cloud.rest.ApiError) as failure:  # an API error mid-lesson, with its traceback
        fake_runpod.faults.fail_next["listPods"] = "Something went wrong. Please try again later or contact support."
        cloud.course_pods()
    shown += [str(failure.value), repr(failure.value.response.request.headers), str(failure.getrepr())]
    cloud.cleanup()
    assert cloud.course_pods() == []
    mode.close()
    assert runpod.api_key is None  # forgotten when the lesson closes

    out, err = capsys.readouterr()
    written = "".join(p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file())
    for text in (out, err, caplog.text, written, *shown):
        assert FAKE_KEY not in text
    assert "REAL MODE" in out and "RUNPOD_API_KEY" in out  # it says where the key came from, not what it is


def test_a_wrong_key_fails_clearly_without_echoing_it(fake_runpod, monkeypatch):
    monkeypatch.setenv("RUNPOD_API_KEY", FAKE_KEY + "_typo")
    cloud.open_cloud(real=True)
    with pytest.raises(cloud.rest.ApiError) as failure:
        cloud.course_pods()
    assert failure.value.status == 401 and "check your API key" in str(failure.value)
    assert FAKE_KEY not in str(failure.getrepr())


def test_key_object_hides_itself_and_the_prompt_is_hidden(monkeypatch):
    monkeypatch.delenv("RUNPOD_API_KEY", raising=False)
    asked = []
    monkeypatch.setattr("getpass.getpass", lambda prompt: asked.append(prompt) or FAKE_KEY)
    key = get_api_key()
    assert asked and key.reveal() == FAKE_KEY
    assert FAKE_KEY not in repr(key) + str(key) + f"{key}" + json.dumps({"k": str(key)})
    with pytest.raises(TypeError):
        pickle.dumps(key)
    assert redact(f"token={FAKE_KEY}!", key) == "token=rp_****!"
    with pytest.raises(ValueError, match="No RunPod API key"):
        ApiKey("  ")


def test_committed_notebook_holds_no_key():
    text = NOTEBOOK.read_text(encoding="utf-8")
    assert FAKE_KEY not in text and "rp_sandbox_" not in text
