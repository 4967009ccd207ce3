"""Ollama's options have one owner (`lessons_lib.ollama_options`): the server, the CLI and the llama layer see
the same names, types and defaults."""

from __future__ import annotations

import dataclasses

import pytest

from lessons_lib import hardware
from lessons_lib.llama.sampling import SamplingParams
from lessons_lib.ollama_cli.interactive import parameter_value
from lessons_lib.ollama_options import IGNORED_OPTIONS, KINDS, OPTION_NAMES, Options, defaults, reloads
from lessons_lib.ollama_server.options import LoadParams, merge_options

# A text `/set parameter` takes for each kind, and the value it stands for.
TEXT_FOR_KIND = {int: ("7", 7), float: ("0.25", 0.25), bool: ("false", False), list: ("<end>", ["<end>"])}


def test_the_owner_is_ollamas_api_options():
    assert set(KINDS) == set(OPTION_NAMES) and len(OPTION_NAMES) == 19
    assert {"main_gpu", "use_mmap", "num_ctx", "stop"} <= set(OPTION_NAMES)
    assert KINDS["temperature"] is float and KINDS["num_ctx"] is int and KINDS["use_mmap"] is bool
    assert not IGNORED_OPTIONS & set(OPTION_NAMES)


@pytest.mark.parametrize("name", OPTION_NAMES)
def test_the_cli_sets_every_option_the_server_takes_typed_as_the_owner_types_it(name):
    text, value = TEXT_FOR_KIND[KINDS[name]]
    parsed = parameter_value(name, [text])
    assert parsed == value and type(parsed) is KINDS[name]
    assert merge_options({name: parsed})[name] == value  # and the server takes what the CLI sends


def test_the_cli_refuses_in_ollamas_words():
    assert parameter_value("stop", ["a", "b"]) == ["a", "b"]
    for name, words, message in [
        ("num_predict", ["lots"], "invalid int value [lots]"),
        ("num_ctx", ["1.5"], "invalid int value [1.5]"),
        ("temperature", ["warm", "ish"], "invalid float value [warm ish]"),
        ("use_mmap", ["maybe"], "invalid bool value [maybe]"),
        ("mirostat", ["1"], "unknown parameter 'mirostat'"),  # dropped by Ollama: unknown to the CLI too
        ("bogus", ["1"], "unknown parameter 'bogus'"),
    ]:
        with pytest.raises(ValueError) as caught:
            parameter_value(name, words)
        assert str(caught.value) == message
    assert parameter_value("use_mmap", ["1"]) is True and parameter_value("main_gpu", ["-1"]) == -1


def test_the_server_merges_to_the_owners_defaults(monkeypatch):
    monkeypatch.delenv("OLLAMA_CONTEXT_LENGTH", raising=False)
    assert merge_options() == defaults() == dataclasses.asdict(Options())
    assert tuple(merge_options()) == OPTION_NAMES


def test_the_llama_layer_samples_with_the_owners_defaults():
    default = Options()
    sampling_fields = [f.name for f in dataclasses.fields(SamplingParams) if f.name != "grammar"]
    assert set(sampling_fields) <= set(OPTION_NAMES)
    assert {name: getattr(SamplingParams(), name) for name in sampling_fields} == {
        name: getattr(default, name) for name in sampling_fields
    }
    assert SamplingParams.from_options({}) == SamplingParams() == SamplingParams.from_options(merge_options())
    assert SamplingParams.from_options({"repeat_last_n": -1}, n_ctx=512).repeat_last_n == 512


def test_the_options_that_reload_are_those_that_change_the_load_params(monkeypatch):
    monkeypatch.delenv("OLLAMA_CONTEXT_LENGTH", raising=False)
    base = LoadParams.from_options(merge_options())
    changed = {int: lambda v: v + 1 if v != 512 else 256, float: lambda v: v / 2 + 0.1, list: lambda v: ["x"]}
    for name in OPTION_NAMES:
        default = getattr(Options(), name)
        if name == "num_thread":
            other = hardware.generation_threads() + 1
        elif name == "use_mmap":
            other = False
        else:
            other = changed[KINDS[name]](default)
        differs = LoadParams.from_options(merge_options({name: other})) != base
        assert differs == reloads(name), name


def test_the_context_is_raised_to_its_minimum_and_capped_at_the_models_in_one_place():
    tiny = LoadParams.from_options(merge_options({"num_ctx": 1, "num_batch": 0, "main_gpu": -3}))
    assert (tiny.n_ctx, tiny.n_batch, tiny.main_gpu) == (4, 1, 0)
    huge = LoadParams.from_options(merge_options({"num_ctx": 10**7, "num_batch": 10**6}), n_ctx_train=8192)
    assert (huge.n_ctx, huge.n_batch) == (8192, 8192)
    assert LoadParams.from_options(merge_options({"num_ctx": 2048}), n_ctx_train=8192).n_ctx == 2048
    assert LoadParams.from_options(merge_options({"num_ctx": 10**5}), n_ctx_train=0).n_ctx == 10**5  # unknown
