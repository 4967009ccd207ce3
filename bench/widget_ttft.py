"""Time to first token through the chat widget versus the `ollama` client called directly.

Same embedded server, model, prompt and options. The two paths take turns (the order flips every
round so neither always goes first), and the medians are compared. Not a timed test: run it with
`make bench`. The course's target: the widget adds at most 20 ms.

  direct   client.chat(stream=True): from the call to the first chunk that carries text
  widget   ChatWidget Send (the button's click): from the click to the moment the first piece of
           the answer is on the transcript (thread start, history, Markdown rendering included)
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import ollama

from lessons_lib.bundled import BUNDLED_MODEL
from lessons_lib.ollama_server import EmbeddedServer
from lessons_lib.widgets.chat import ChatWidget

PROMPT = "What is a hamburger?"
# What the widget sends for its temperature and max-tokens settings; the direct call sends the same.
OPTIONS = {"temperature": 0.0, "num_predict": 8}
TARGET_MS = 20.0


def direct_ttft(client: ollama.Client) -> float:
    started, first = time.perf_counter(), None
    for chunk in client.chat(
        model=BUNDLED_MODEL, messages=[{"role": "user", "content": PROMPT}], options=OPTIONS, stream=True
    ):
        if first is None and chunk.message.content:
            first = time.perf_counter()
    assert first is not None, "no text came back"
    return first - started


def widget_ttft(widget: ChatWidget) -> float:
    first: list[float] = []

    def seen(change: dict) -> None:
        # The first update that shows the model's bubble is the first token on screen.
        if not first and BUNDLED_MODEL in change["new"]:
            first.append(time.perf_counter())

    widget.clear()
    widget.transcript.observe(seen, names="value")
    widget.prompt.value = PROMPT
    started = time.perf_counter()
    widget.send_button.click()
    result = widget.wait(120)
    widget.transcript.unobserve(seen, names="value")
    assert result is not None and result.ok and first, result and result.error
    return first[0] - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=21)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as models, EmbeddedServer(models=models) as server:
        client = ollama.Client(host=server.url)
        widget = ChatWidget(
            client=client, model=BUNDLED_MODEL, temperature=OPTIONS["temperature"], max_tokens=OPTIONS["num_predict"]
        )
        direct_ttft(client)  # load the model and warm both paths before timing
        widget_ttft(widget)
        direct, through_widget = [], []
        for i in range(args.rounds):
            pair = [(direct, lambda: direct_ttft(client)), (through_widget, lambda: widget_ttft(widget))]
            for sink, measure in pair if i % 2 == 0 else pair[::-1]:
                sink.append(measure())
        d, w = statistics.median(direct), statistics.median(through_widget)
        # Each round measured both paths back to back: the median of those paired differences is
        # the steadier estimate on a busy machine.
        paired_ms = statistics.median((b - a) * 1000 for a, b in zip(direct, through_widget))

        def spread(xs: list[float]) -> str:
            low, _, high = statistics.quantiles(xs, n=4)
            return f"(quartiles {low * 1000:.0f}-{high * 1000:.0f} ms)"

        print(f"time to first token, median of {args.rounds} alternating rounds ({BUNDLED_MODEL}, embedded server)")
        print(f"  direct client : {d * 1000:8.1f} ms {spread(direct)}")
        print(f"  chat widget   : {w * 1000:8.1f} ms {spread(through_widget)}")
        print(
            f"  widget / direct: {w / d:.3f}; added by the widget: {(w - d) * 1000:+.1f} ms (difference of medians), "
            f"{paired_ms:+.1f} ms (median of paired differences)"
        )
        print(f"  target: at most {TARGET_MS:.0f} ms added: {'met' if paired_ms <= TARGET_MS else 'NOT met'}")


if __name__ == "__main__":
    main()
