"""The engine's parts without a model: keep_alive, options, stop strings, token text, handing events
over, think tags, load parameters."""

from __future__ import annotations

import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lessons_lib import hardware
from lessons_lib.llama.slots import Finished, Generation, GenerationFailed, Request, StopFilter, TextAssembler
from lessons_lib.ollama_server.options import LoadParams, merge_options, parse_keep_alive
from lessons_lib.ollama_server.prompts import capabilities, chat_prompt
from lessons_lib.ollama_server.protocol import ApiError
from lessons_lib.ollama_server.text import Piece, ThinkSplitter


# -- keep_alive --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value, seconds",
    [
        (None, 300.0),  # absent: the server default
        (0, 0.0),
        (0.0, 0.0),  # what the ollama client sends for keep_alive=0
        (10, 10.0),
        (2.5, 2.5),
        ("0", 0.0),
        ("5m", 300.0),
        ("1h30m", 5400.0),
        ("1.5h", 5400.0),
        ("300ms", 0.3),
        ("90s", 90.0),
        ("2m30s", 150.0),
    ],
)
def test_keep_alive_in_seconds(value, seconds):
    assert parse_keep_alive(value, 300.0) == pytest.approx(seconds)


@pytest.mark.parametrize("value", [-1, -0.5, "-1m", "-5s", "-1h30m"])
def test_negative_keep_alive_means_forever(value):
    assert parse_keep_alive(value, 300.0) is None


@pytest.mark.parametrize(
    "value, message",
    [
        ("-1", 'time: missing unit in duration "-1"'),
        ("5", 'time: missing unit in duration "5"'),
        ("garbage", 'time: invalid duration "garbage"'),
        ("5 minutes", 'time: invalid duration "5 minutes"'),
        ("5m garbage", 'time: invalid duration "5m garbage"'),
        ("1x", 'time: invalid duration "1x"'),
    ],
)
def test_bad_keep_alive_is_a_400_with_go_wording(value, message):
    with pytest.raises(ApiError) as err:
        parse_keep_alive(value, 300.0)
    assert err.value.status == 400 and err.value.message == message


@pytest.mark.parametrize("value", [True, [5], {"m": 5}])
def test_keep_alive_of_another_type_is_refused(value):
    with pytest.raises(ApiError) as err:
        parse_keep_alive(value, 300.0)
    assert err.value.status == 400


# -- options -----------------------------------------------------------------------------------------
def test_defaults_are_ollamas_not_llama_cpp_pythons(monkeypatch):
    monkeypatch.delenv("OLLAMA_CONTEXT_LENGTH", raising=False)
    opts = merge_options()
    assert opts["temperature"] == 0.8
    assert opts["top_p"] == 0.9 and opts["top_k"] == 40 and opts["min_p"] == 0.0
    assert opts["num_ctx"] == 4096
    assert opts["num_predict"] == -1
    assert opts["repeat_penalty"] == 1.0 and opts["repeat_last_n"] == 64
    assert opts["seed"] == -1 and opts["stop"] == [] and opts["num_keep"] == 4
    assert opts["num_batch"] == 512 and opts["num_gpu"] == -1 and opts["num_thread"] == 0
    assert merge_options(None, {}) == opts


def test_context_length_follows_the_environment(monkeypatch):
    monkeypatch.setenv("OLLAMA_CONTEXT_LENGTH", "8192")
    assert merge_options()["num_ctx"] == 8192
    assert merge_options({"num_ctx": 2048})["num_ctx"] == 2048  # a Modelfile still wins


def test_request_options_override_modelfile_parameters(monkeypatch):
    monkeypatch.delenv("OLLAMA_CONTEXT_LENGTH", raising=False)
    modelfile = {"temperature": 0.2, "num_ctx": 2048, "stop": ["<|im_end|>"]}
    request = {"temperature": 0.5, "seed": 7}
    opts = merge_options(modelfile, request)
    assert opts["temperature"] == 0.5 and opts["seed"] == 7
    assert opts["num_ctx"] == 2048 and opts["stop"] == ["<|im_end|>"]
    assert merge_options(modelfile, None)["temperature"] == 0.2
    assert merge_options()["temperature"] == 0.8, "merging must not change the defaults"


def test_numbers_are_converted_like_go_json():
    opts = merge_options({"temperature": 1, "num_predict": 12.0, "num_ctx": 1024.9, "top_k": 5})
    assert opts["temperature"] == 1.0 and isinstance(opts["temperature"], float)
    assert opts["num_predict"] == 12 and isinstance(opts["num_predict"], int)
    assert opts["num_ctx"] == 1024  # Go's int64(float64) truncates
    assert opts["top_k"] == 5


@pytest.mark.parametrize(
    "options, message",
    [
        ({"temperature": "hot"}, 'option "temperature" must be of type float32'),
        ({"top_p": True}, 'option "top_p" must be of type float32'),
        ({"num_ctx": "4096"}, 'option "num_ctx" must be of type integer'),
        ({"seed": False}, 'option "seed" must be of type integer'),
        ({"num_predict": [1]}, 'option "num_predict" must be of type integer'),
        ({"use_mmap": "yes"}, 'option "use_mmap" must be of type boolean'),
        ({"use_mmap": 1}, 'option "use_mmap" must be of type boolean'),
        ({"stop": [1, 2]}, 'option "stop" must be of an array of strings'),
        ({"stop": ["ok", None]}, 'option "stop" must be of an array of strings'),
        ({"stop": 5}, 'option "stop" must be of type array'),
        ({"stop": {"a": 1}}, 'option "stop" must be of type array'),
    ],
)
def test_wrong_types_are_a_500_with_ollamas_message(options, message):
    with pytest.raises(ApiError) as err:
        merge_options(options)
    assert err.value.status == 500 and err.value.message == message


def test_a_wrong_type_in_a_lower_layer_is_an_error_too():
    with pytest.raises(ApiError):
        merge_options({"temperature": "hot"}, {"temperature": 0.1})


def test_unknown_and_removed_options_are_ignored():
    opts = merge_options(
        {
            "unknown_knob": 1,
            "mirostat": 2,
            "penalize_newline": True,
            "tfs_z": 0.5,
            "numa": False,
            "use_mlock": True,
            "low_vram": True,
        }
    )
    for key in ("unknown_knob", "mirostat", "penalize_newline", "tfs_z", "numa", "use_mlock", "low_vram"):
        assert key not in opts
    # Ollama no longer knows the removed keys, so it does not check their type either
    merge_options({"mirostat": "on", "tfs_z": "x", "numa": "no"})


def test_null_options_keep_the_previous_value():
    # Go's FromMap skips nil values: {"temperature": null} leaves the default in place
    opts = merge_options({"temperature": 0.3}, {"temperature": None, "num_ctx": None, "stop": None, "use_mmap": None})
    assert opts["temperature"] == 0.3 and opts["num_ctx"] == merge_options()["num_ctx"] and opts["stop"] == []
    assert opts["use_mmap"] is None


def test_stop_given_as_a_string_becomes_a_list():
    assert merge_options({"stop": "\n\n"})["stop"] == ["\n\n"]
    assert merge_options({"stop": ["a", "b"]})["stop"] == ["a", "b"]
    assert merge_options({"stop": ("a",)})["stop"] == ["a"]  # a tuple from Python code is a list too


def test_use_mmap_accepts_booleans():
    assert merge_options({"use_mmap": False})["use_mmap"] is False
    assert merge_options({"use_mmap": True})["use_mmap"] is True


# -- stop strings ------------------------------------------------------------------------------------
def run_stop(stops: list[str], chunks: list[str]) -> tuple[list[str], bool, str]:
    f = StopFilter(stops)
    out = [f.feed(c) for c in chunks]
    return out, f.hit, f.flush()


def test_no_stops_pass_text_through():
    assert run_stop([], ["a", "b"]) == (["a", "b"], False, "")
    assert run_stop([""], ["a"]) == (["a"], False, "")


def test_stop_inside_one_chunk_cuts_there():
    out, hit, rest = run_stop(["END"], ["one two END three"])
    assert out == ["one two "] and hit and rest == ""


def test_stop_split_across_chunks_is_caught_and_never_shown():
    out, hit, rest = run_stop(["END"], ["hello E", "N", "D and more"])
    assert out == ["hello ", "", ""] and hit
    assert "".join(out) == "hello " and rest == ""


def test_a_partial_prefix_is_held_back_then_released():
    f = StopFilter(["<|im_end|>"])
    assert f.feed("Paris <|im") == "Paris "
    assert f.feed("age") == "<|image"
    assert not f.hit and f.flush() == ""
    f = StopFilter(["###"])
    assert f.feed("a #") == "a "
    assert f.feed("#") == ""
    assert f.flush() == "##"  # the end of the answer releases what was held


def test_the_longest_matching_prefix_of_any_stop_is_held():
    f = StopFilter(["abc", "xyz"])
    assert f.feed("123ab") == "123"
    assert f.feed("x") == "ab"  # "x" may start "xyz"
    assert f.feed("yq") == "xyq"
    assert f.feed("xy") == ""
    assert f.feed("z!") == "" and f.hit


def test_streamed_and_whole_text_agree():
    text = "The answer is 42.\nUser: next question"
    stops = ["\nUser:"]
    whole = StopFilter(stops).feed(text)
    f = StopFilter(stops)
    streamed = ""
    for ch in text:  # the engine stops generating at the first hit
        streamed += f.feed(ch)
        if f.hit:
            break
    assert whole == streamed == "The answer is 42."


# -- think tags ----------------------------------------------------------------------------------------
def split(chunks: list[str], enabled: bool = True, starts_inside: bool = False) -> tuple[str, str]:
    s = ThinkSplitter(enabled, starts_inside)
    pieces = [s.feed(c) for c in chunks]
    return "".join(p.thinking for p in pieces), "".join(p.content for p in pieces)


def test_disabled_splitter_leaves_tags_in_the_content():
    s = ThinkSplitter(False, False)
    assert s.feed("<think>x</think>y") == Piece(content="<think>x</think>y")


def test_think_block_in_one_chunk():
    assert split(["<think>\nHmm, two plus two.\n</think>\n\nFour."]) == ("Hmm, two plus two.\n", "Four.")


def test_think_tags_split_across_chunks():
    chunks = ["<th", "ink>", "\n", "Let me", " think", "</", "thi", "nk>", "\n\n", "The", " answer."]
    assert split(chunks) == ("Let me think", "The answer.")
    # one character at a time gives the same
    text = "<think>\nLet me think\n</think>\n\nThe answer."
    assert split(list(text)) == ("Let me think\n", "The answer.")


def test_partial_tags_are_held_back_until_they_are_decided():
    s = ThinkSplitter(True, False)
    assert s.feed("<thi") == Piece()
    assert s.feed("nk>reasoning </th") == Piece(thinking="reasoning ")
    assert s.feed("ink>") == Piece()
    assert s.feed("Answer") == Piece(content="Answer")


def test_a_lookalike_of_the_closing_tag_is_released_as_thinking():
    assert split(["<think>a </th", "ought> b</think>c"]) == ("a </thought> b", "c")


def test_without_think_tags_everything_is_content():
    assert split(["Just", " an answer", " with <b>tags</b>"]) == ("", "Just an answer with <b>tags</b>")
    assert split(["  Leading", " spaces"]) == ("", "  Leading spaces")


def test_a_template_that_opened_the_block_starts_inside():
    assert split(["\nreasoning", "</think>", "\n\n", "Answer"], starts_inside=True) == ("reasoning", "Answer")


def test_only_the_first_block_is_thinking():
    # Ollama's thinking.Parser handles one block at the start; later tags are plain content
    assert split(["<think>a</think>b <think>c</think>"]) == ("a", "b <think>c</think>")


# -- load parameters ---------------------------------------------------------------------------------
def test_load_params_use_physical_cores_when_num_thread_is_zero(monkeypatch):
    monkeypatch.delenv("OLLAMA_CONTEXT_LENGTH", raising=False)
    params = LoadParams.from_options(merge_options({"num_thread": 0}))
    assert params.n_threads == hardware.generation_threads() >= 1
    assert LoadParams.from_options(merge_options({"num_thread": 3})).n_threads == 3
    assert params.n_ctx == 4096 and params.n_batch == 512 and params.n_gpu_layers == -1
    assert params.use_mmap is True and params.last_n_tokens_size == 64 and params.embedding is False


def test_load_params_derived_values():
    small = LoadParams.from_options(
        merge_options({"num_ctx": 256, "repeat_last_n": -1, "use_mmap": False}), embedding=True
    )
    assert small.n_batch == 256, "a batch never exceeds the context"
    assert small.last_n_tokens_size == 256, "repeat_last_n -1 means the whole context"
    assert small.use_mmap is False and small.embedding is True


def test_only_load_time_options_change_load_params():
    base = LoadParams.from_options(merge_options())
    assert LoadParams.from_options(merge_options({"temperature": 0.1, "seed": 3, "top_k": 1})) == base
    assert LoadParams.from_options(merge_options({"num_ctx": 2048})) != base
    assert LoadParams.from_options(merge_options(), embedding=True) != base


# -- capabilities ------------------------------------------------------------------------------------------
def test_capabilities_come_from_the_chat_template():
    from types import SimpleNamespace

    assert capabilities(SimpleNamespace(chat_template=None)) == ["completion"]
    assert capabilities(SimpleNamespace(chat_template="{% if tools %}...{% endif %}")) == ["completion", "tools"]
    # Ollama 0.33 (server/images.go): both tags, or the "split on </think>" pattern; one tag alone is not enough.
    assert capabilities(SimpleNamespace(chat_template="<think>\n{{ x }}</think>")) == ["completion", "thinking"]
    assert capabilities(SimpleNamespace(chat_template="{{ content.split('</think>')[-1] }}")) == [
        "completion",
        "thinking",
    ]
    assert capabilities(SimpleNamespace(chat_template="<think>\n")) == ["completion"]


def test_held_back_text_is_flushed_at_the_end():
    splitter = ThinkSplitter(enabled=True, starts_inside=False)
    assert splitter.feed("<thi") == Piece()
    assert splitter.flush() == Piece(content="<thi")
    inside = ThinkSplitter(enabled=True, starts_inside=False)
    inside.feed("<think>pondering</th")
    assert inside.flush() == Piece(thinking="</th")


# -- token bytes to text (slots.TextAssembler) ----------------------------------------------------------
@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64) | st.text(max_size=24).map(str.encode), st.lists(st.integers(1, 6), max_size=40))
def test_text_from_token_bytes_is_the_whole_decode_however_it_is_split(data, cuts):
    """ASCII pieces take a fast path; whatever the split (a character over several tokens, broken
    bytes), the text is what decoding all the bytes at once with replacement gives."""
    pieces, i = [], 0
    for n in cuts:
        pieces.append(data[i : i + n])
        i += n
    pieces.append(data[i:])
    text = TextAssembler([])
    assert "".join(text.feed(p) for p in pieces) + text.finish() == data.decode("utf-8", "replace")


# -- handing events to the consumer (slots.Generation) ---------------------------------------------------
def _finished() -> Finished:
    return Finished("stop", 1, 0, [], 0, 1, 1)


def _produce(gen: Generation, pieces: list[str], every_s: float, end: object) -> threading.Thread:
    def run() -> None:
        for piece in pieces:
            gen._emit(piece)
            time.sleep(every_s)
        gen._emit(end)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_paced_consumer_gets_every_event_in_order_and_the_first_and_last_at_once():
    gen = Generation(Request([1]))
    pieces = [f"t{i} " for i in range(40)]
    started = time.monotonic()
    producer = _produce(gen, pieces, 0.002, _finished())
    seen, arrivals = [], []
    for event in gen.paced(0.5):  # an interval far longer than the whole generation
        seen.append(event)
        arrivals.append(time.monotonic() - started)
    producer.join()
    assert seen[:-1] == pieces and isinstance(seen[-1], Finished)
    assert arrivals[0] < 0.25  # the first token is not held for the interval
    assert arrivals[-1] < 0.4  # nor is the end: it wakes the consumer


def test_paced_consumer_raises_the_engines_error_after_what_came_before():
    gen = Generation(Request([1]))
    producer = _produce(gen, ["a", "b"], 0.0, GenerationFailed("decode failed"))
    seen = []
    with pytest.raises(GenerationFailed, match="decode failed"):
        for event in gen.paced(0.05):
            seen.append(event)
    producer.join()
    assert seen == ["a", "b"]


def test_whole_text_waits_for_the_end_once():
    gen = Generation(Request([1]))
    producer = _produce(gen, ["Hel", "lo"], 0.01, _finished())
    text, done = gen.text()
    producer.join()
    assert text == "Hello" and done.reason == "stop"


def test_a_model_without_a_chat_template_gets_ollamas_default_prompt_template():
    """`{{ .Prompt }}`: the user turns and the answers between them as plain text, no system message (a base model
    such as the shelf's Gemma 3 270M then continues the learner's own words)."""

    class Bytes:
        def tokenize(self, text: str, add_special: bool, parse_special: bool) -> list[int]:
            return list(text.encode())

    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "The capital of France is"},
        {"role": "assistant", "content": " Paris."},
        {"role": "user", "content": " The capital of Poland is"},
    ]
    tokens = chat_prompt(Bytes(), None, messages)  # type: ignore[arg-type]
    assert bytes(tokens) == b"The capital of France is Paris. The capital of Poland is"
