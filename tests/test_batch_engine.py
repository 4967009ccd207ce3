"""The continuous-batching engine (lessons_lib.llama) driven directly with the bundled SmolLM2-135M."""

from __future__ import annotations

import dataclasses
import json
import threading
import time

import pytest

from lessons_lib.bundled import bundled_gguf_path
from lessons_lib.llama.batch_engine import BatchEngine, EngineClosed, PromptTooLong, QueueFull
from lessons_lib.llama.batch_model import ContextShape, NativeModel
from lessons_lib.llama.sampling import GrammarError, SamplingParams, grammar_for_format
from lessons_lib.llama.slots import Finished, Request, StopFilter, TextAssembler

pytestmark = pytest.mark.slow  # loads the model (make test-unit skips it)
GREEDY = SamplingParams(temperature=0.0)
THREADS = 2


def chat(model: NativeModel, user: str, system: str = "") -> list[int]:
    """SmolLM2's ChatML prompt, written out (the engine takes tokens; templates are the server's job)."""
    text = (
        f"<|im_start|>system\n{system}<|im_end|>\n" if system else ""
    ) + f"<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n"
    return model.tokenize(text, add_special=False, parse_special=True)


@pytest.fixture(scope="module")
def model():
    m = NativeModel(bundled_gguf_path())
    yield m
    m.close()


@pytest.fixture(scope="module")
def engine(model):
    e = BatchEngine(
        model,
        ContextShape(n_seq=4, n_ctx_seq=1024, n_batch=256, n_threads=THREADS, n_threads_batch=THREADS),
        name="test",
    )
    yield e
    e.close()


def run(engine: BatchEngine, tokens: list[int], **kw) -> tuple[str, Finished]:
    return engine.submit(Request(tokens, **kw)).text()


def reference_greedy(model_path, tokens: list[int], n: int) -> list[int]:
    """What llama-cpp-python's own high-level loop picks, greedily, for the same prompt."""
    import llama_cpp

    llm = llama_cpp.Llama(model_path=str(model_path), n_ctx=1024, n_threads=THREADS, verbose=False)
    try:
        out: list[int] = []
        for tok in llm.generate(tokens, temp=0.0, top_k=1, repeat_penalty=1.0):
            if llm.token_eos() == tok or len(out) >= n:
                break
            out.append(tok)
        return out
    finally:
        llm.close()


def test_a_single_request_answers_what_llama_cpp_answers(engine, model):
    tokens = chat(model, "What is the capital of France?")
    text, done = run(engine, tokens, sampling=GREEDY, max_tokens=24)
    assert done.reason in ("stop", "length") and done.completion_tokens > 0
    assert text == model.detokenize(done.completion)
    assert "Paris" in text
    assert done.completion == reference_greedy(model.path, tokens, done.completion_tokens)


def test_concurrent_requests_each_get_their_own_answer(engine, model):
    prompts = [
        "What is the capital of France?",
        "Name three colours.",
        "Count from one to five.",
        "What is 2 + 2?",
        "Say hello in Spanish.",
        "What is water made of?",
    ]
    solo = {p: run(engine, chat(model, p), sampling=GREEDY, max_tokens=20)[1].completion for p in prompts}
    gens = {p: engine.submit(Request(chat(model, p), sampling=GREEDY, max_tokens=20)) for p in prompts}
    results: dict[str, list[int]] = {}
    threads = [
        threading.Thread(target=lambda p=p: results.__setitem__(p, gens[p].text()[1].completion)) for p in prompts
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert set(results) == set(prompts)
    # More prompts than slots: some waited and joined the running batch between tokens.
    assert results == solo
    assert engine.metrics().n_busy_slots_total > engine.metrics().n_decode_total  # batches held several slots


def test_a_stop_string_ends_the_answer_before_it(engine, model):
    tokens = chat(model, "What is the capital of France?")
    full, _ = run(engine, tokens, sampling=GREEDY, max_tokens=24)
    word = "Paris"
    cut, done = run(engine, tokens, sampling=GREEDY, max_tokens=24, stop=(word,))
    assert done.reason == "stop"
    assert cut == full[: full.index(word)]


def test_max_tokens_ends_with_length(engine, model):
    _, done = run(engine, chat(model, "Tell me a long story about a dragon."), sampling=GREEDY, max_tokens=5)
    assert (done.reason, done.completion_tokens) == ("length", 5)
    _, done = run(engine, chat(model, "Hi"), max_tokens=0)
    assert (done.reason, done.completion_tokens) == ("length", 0)


def test_a_cancelled_request_frees_its_slot_within_a_token(engine, model):
    gen = engine.submit(Request(chat(model, "Write a very long essay about the sea."), sampling=GREEDY, max_tokens=500))
    events = iter(gen)
    assert isinstance(next(events), str)
    gen.cancel()
    left = list(events)
    assert isinstance(left[-1], Finished) and left[-1].reason == "cancel"
    assert len(left) <= 3  # at most the piece already in flight, then the end
    deadline = time.monotonic() + 5
    while engine.active and time.monotonic() < deadline:
        time.sleep(0.01)
    assert engine.active == 0


def test_a_shared_prefix_is_not_evaluated_again(model):
    system = "You sort keywords into categories. " + " ".join(f"Category {i}: topic number {i}." for i in range(40))
    first = chat(model, "Sort: blue shoes", system)
    second = chat(model, "Sort: red apples", system)
    prefix = next(i for i, (a, b) in enumerate(zip(first, second)) if a != b)
    assert prefix > 300
    # Both engines evaluate prompts in chunks of 32: llama.cpp picks other matrix kernels for big
    # batches, so one 444-token batch and 340 cached + 104 new tokens can differ in the last digits
    # and flip a near-tie (seen on an AVX-512 machine: top logprobs 0.02 apart). With equal, small
    # chunks the reused KV must give the very answer a full evaluation gives.
    shape = ContextShape(n_seq=4, n_ctx_seq=1024, n_batch=32, n_threads=THREADS, n_threads_batch=THREADS)
    cached = BatchEngine(model, shape)
    try:
        _, a = run(cached, first, sampling=GREEDY, max_tokens=4)
        text, b = run(cached, second, sampling=GREEDY, max_tokens=8)
    finally:
        cached.close()
    assert b.cached_tokens >= prefix - 1
    fresh = BatchEngine(model, dataclasses.replace(shape, n_seq=1))
    try:
        again, c = fresh.submit(Request(second, sampling=GREEDY, max_tokens=8)).text()
    finally:
        fresh.close()
    assert c.cached_tokens == 0 and again == text  # the reused KV answers as a full evaluation does


def test_a_busy_slot_lends_its_prefix_to_a_new_one(model):
    system = "Answer in one word. " + " ".join(
        f"Fact {i}: the number {i} is {'even' if i % 2 == 0 else 'odd'}." for i in range(30)
    )
    with_engine = BatchEngine(model, ContextShape(n_seq=2, n_ctx_seq=1024, n_threads=THREADS, n_threads_batch=THREADS))
    try:
        long_one = with_engine.submit(
            Request(chat(model, "Write a poem about numbers.", system), sampling=GREEDY, max_tokens=60)
        )
        next(iter(long_one))  # its prompt is in the KV cache now
        question = chat(model, "Is 7 even?", system)
        text, done = with_engine.submit(Request(question, sampling=GREEDY, max_tokens=8)).text()
        long_one.cancel()
        assert done.cached_tokens > 200  # copied from the other slot, not evaluated again
        fresh = BatchEngine(model, ContextShape(n_seq=1, n_ctx_seq=1024, n_threads=THREADS, n_threads_batch=THREADS))
        try:
            assert fresh.submit(Request(question, sampling=GREEDY, max_tokens=8)).text()[0] == text
        finally:
            fresh.close()
    finally:
        with_engine.close()


def test_format_json_gives_json(engine, model):
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "population": {"type": "integer"}},
        "required": ["city", "population"],
    }
    sampling = SamplingParams(temperature=0.0, grammar=grammar_for_format(schema))
    text, done = run(engine, chat(model, "Give the biggest city of Japan as JSON."), sampling=sampling, max_tokens=60)
    assert done.reason == "stop"
    value = json.loads(text)
    assert set(value) == {"city", "population"} and isinstance(value["population"], int)


@pytest.mark.parametrize("fmt", [{"type": "object", "properties": {"a": {"$ref": "#/nowhere"}}}, 42, "yaml"])
def test_a_format_llama_cpp_cannot_follow_is_refused_before_it_runs(fmt):
    with pytest.raises(GrammarError):
        grammar_for_format(fmt)


def test_a_grammar_that_does_not_parse_fails_at_submit(engine, model):
    with pytest.raises(GrammarError):
        engine.submit(Request(chat(model, "hi"), sampling=SamplingParams(grammar="root ::= (")))
    assert engine.active == 0


@pytest.mark.parametrize(
    "sampling",
    [
        SamplingParams(repeat_penalty=0.0, repeat_last_n=64),
        SamplingParams(repeat_penalty=-3.0, frequency_penalty=float("nan"), presence_penalty=float("inf")),
        SamplingParams(temperature=float("nan"), top_k=-5, top_p=7.0, min_p=-1.0, typical_p=0.0),
        SamplingParams(temperature=1e30, top_k=10**9, repeat_last_n=-1, seed=2**40),
    ],
)
def test_options_out_of_range_are_clamped_not_fatal(engine, model, sampling):
    _, done = run(engine, chat(model, "Hi"), sampling=sampling, max_tokens=3)
    assert done.reason in ("stop", "length")


def test_same_seed_same_answer(engine, model):
    tokens = chat(model, "Tell me a fun fact.")
    sampling = SamplingParams(temperature=0.9, seed=42)
    assert (
        run(engine, tokens, sampling=sampling, max_tokens=16)[0]
        == run(engine, tokens, sampling=sampling, max_tokens=16)[0]
    )


def test_prompts_that_cannot_run_are_refused(engine, model):
    with pytest.raises(PromptTooLong):
        engine.submit(Request([]))
    with pytest.raises(PromptTooLong):
        engine.submit(Request([1] * 2000))
    with pytest.raises(PromptTooLong):
        engine.submit(Request([model.n_vocab + 5]))


def test_a_batch_smaller_than_the_slots_still_serves_every_slot(model):
    # num_batch 1 with 4 slots once reached llama.cpp's GGML_ASSERT(n_outputs_max <= n_outputs_max)
    # and aborted the server process (found by `make fuzz`); the batch now holds a token per slot.
    tiny = BatchEngine(
        model, ContextShape(n_seq=4, n_ctx_seq=256, n_batch=1, n_threads=THREADS, n_threads_batch=THREADS)
    )
    try:
        assert tiny.ctx.n_batch == 4
        gens = [tiny.submit(Request(chat(model, q), sampling=GREEDY, max_tokens=6)) for q in ("Hi", "Name a fruit.")]
        for gen in gens:
            text, done = gen.text()
            assert done.completion_tokens == 6 or done.reason == "stop"
    finally:
        tiny.close()


def test_the_queue_is_bounded_and_close_ends_everything(model):
    small = BatchEngine(
        model, ContextShape(n_seq=1, n_ctx_seq=512, n_threads=THREADS, n_threads_batch=THREADS), max_queue=1
    )
    tokens = chat(model, "Write a long story.")
    running = small.submit(Request(tokens, max_tokens=400))
    next(iter(running))
    queued = small.submit(Request(tokens, max_tokens=400))
    with pytest.raises(QueueFull):
        small.submit(Request(tokens, max_tokens=400))
    small.close()
    for gen in (running, queued):
        with pytest.raises(EngineClosed):
            list(gen)
    with pytest.raises(EngineClosed):
        small.submit(Request(tokens))


# -- text assembly (no model) -------------------------------------------------------------------
def test_utf8_split_across_tokens_is_joined():
    text = TextAssembler([])
    data = "żółw 🐢".encode()
    out = "".join(text.feed(data[i : i + 1]) for i in range(len(data))) + text.finish()
    assert out == "żółw 🐢"


def test_stop_filter_holds_back_a_possible_stop_and_cuts_at_the_first():
    f = StopFilter(["END", "STOP"])
    assert f.feed("abc E") == "abc "
    assert f.feed("N") == ""
    assert f.feed("x STO") == "ENx "
    assert f.feed("P more END") == ""
    assert f.hit


def test_logprobs_are_the_models_own_and_only_when_asked(engine, model):
    """Each token's log probability and top alternatives, against llama-cpp-python's own computation
    (its high-level Llama with logits_all, an independent log-softmax of the same model's logits).

    The two contexts differ (4 sequences and a 256-token batch here, one sequence there), and a
    4-bit model's logits move with the kernels that compute them: measured up to 0.10 apart in
    log probability, so the tolerance is 0.15 (a wrong row or a wrong normalisation is off by 1+).
    """
    import llama_cpp

    from lessons_lib.llama.logprobs import TokenLogprob

    tokens = chat(model, "Name a fruit.")
    events = list(engine.submit(Request(tokens, sampling=GREEDY, max_tokens=6, logprobs=3)))
    entries = [e for e in events if isinstance(e, TokenLogprob)]
    finished = events[-1]
    assert isinstance(finished, Finished) and len(entries) == len(finished.completion) == 6
    plain = list(engine.submit(Request(tokens, sampling=GREEDY, max_tokens=6)))
    assert not any(isinstance(e, TokenLogprob) for e in plain)  # the fast path reads no logits
    llm = llama_cpp.Llama(
        model_path=str(bundled_gguf_path()), n_ctx=1024, n_threads=THREADS, logits_all=True, verbose=False
    )
    try:
        ref = llm.create_completion(tokens, max_tokens=6, temperature=0.0, top_k=1, logprobs=3)["choices"][0][
            "logprobs"
        ]
    finally:
        llm.close()
    assert [e.token for e in entries] == ref["tokens"]
    assert [e.logprob for e in entries] == pytest.approx(ref["token_logprobs"], abs=0.15)
    for entry, top in zip(entries, ref["top_logprobs"]):
        assert entry.top[0][0] == next(iter(top))  # the best alternative (lower ranks may swap near-ties)
        assert [lp for _, lp in entry.top] == pytest.approx(sorted(top.values(), reverse=True), abs=0.15)
