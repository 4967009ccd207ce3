"""The model ladder: the bundled model and the shelf's models side by side, measured on this machine.

For each model, in one run: file size, the memory llama.cpp takes once it has answered, prompt and
generation speed (`quant.measure.measure_speed`: llama.cpp's own counters, same prompts and threads),
accuracy on a fixed spread of the keyword job's gold set (the job's own prompt, one keyword per
request, the closed-set schema), and one English and one Polish answer to the same question through
the model server. Where quality appears, and what it costs.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import ollama

from .batch.data import gold_labels
from .batch.prompts import pack_messages
from .batch.schema import InvalidAnswer, pack_schema, parse
from .bundled import BUNDLED_MODEL
from .catalog.lookup import resolve
from .edition import text
from .models import find_gguf
from .quant.measure import measure_speed
from .shelf import SHELF

__all__ = ["LADDER", "QUESTIONS", "Rung", "climb", "gold_sample", "gold_accuracy", "table", "plot"]

LADDER: tuple[str, ...] = (BUNDLED_MODEL, *(model.name for model in SHELF))
# The same question in both languages: a fact every model has seen, with a detail that is easy to get wrong.
QUESTIONS = (
    "In one sentence: what is the capital of Poland, and which river flows through it?",
    "Jednym zdaniem: jakie miasto jest stolicą Polski i jaka rzeka przez nie przepływa?",
)


@dataclass(frozen=True)
class Rung:
    model: str
    kind: str  # "instruct" or "base"
    params_b: float
    file_bytes: int
    ram_bytes: int
    prompt_tok_s: float
    gen_tok_s: float
    accuracy: float
    gold_n: int
    answer_en: str
    answer_pl: str


def gold_sample(n: int = 30) -> list[tuple[str, str]]:
    """`n` gold keywords spread evenly over the whole set (both languages, every category)."""
    gold = sorted(gold_labels().items())
    step = max(len(gold) // n, 1)
    return gold[::step][:n]


def _classify(client: ollama.Client, model: str, keyword: str) -> str | None:
    reply = client.chat(
        model=model,
        messages=pack_messages([keyword]),
        format=pack_schema(1),
        options={"temperature": 0, "num_predict": 32},
    )
    try:
        return parse(reply.message.content or "", 1)[0]
    except InvalidAnswer:
        return None


def gold_accuracy(client: ollama.Client, model: str, sample: Sequence[tuple[str, str]], parallel: int = 4) -> float:
    """Share of `sample` the model labels right, one keyword per request, `parallel` requests at once."""
    with ThreadPoolExecutor(parallel) as pool:
        answers = list(pool.map(lambda item: _classify(client, model, item[0]), sample))
    return sum(answer == want for answer, (_, want) in zip(answers, sample)) / len(sample)


def _answer(client: ollama.Client, model: str, question: str, n_gen: int) -> str:
    reply = client.chat(
        model=model,
        messages=[{"role": "user", "content": question}],
        options={"temperature": 0, "seed": 7, "num_predict": n_gen},
    )
    return (reply.message.content or "").strip()


def climb(
    client: ollama.Client,
    models: Sequence[str] = LADDER,
    *,
    n_gold: int = 30,
    n_gen: int = 32,
    n_threads: int | None = None,
) -> list[Rung]:
    """Measure every model of `models` that the server has, smallest first."""
    present = {m.model for m in client.list().models}
    sample = gold_sample(n_gold)
    rungs = []
    for name in (m for m in models if m in present):
        path = find_gguf(name)
        hit = resolve(name)
        instruct = hit is None or hit[0].instruct
        speed = measure_speed(path, n_gen=n_gen, n_threads=n_threads, chat=instruct)
        accuracy = gold_accuracy(client, name, sample)
        answer_en, answer_pl = (_answer(client, name, question, n_gen) for question in QUESTIONS)
        client.generate(model=name, keep_alive=0)  # unload: the next rung gets the memory
        rungs.append(
            Rung(
                model=name,
                kind="instruct" if instruct else "base",
                params_b=hit[0].params_b if hit else 0.0,
                file_bytes=path.stat().st_size,
                ram_bytes=speed.rss_bytes,
                prompt_tok_s=speed.prompt_tokens_per_s,
                gen_tok_s=speed.generation_tokens_per_s,
                accuracy=accuracy,
                gold_n=len(sample),
                answer_en=answer_en,
                answer_pl=answer_pl,
            )
        )
    return rungs


def table(rungs: Sequence[Rung]) -> Any:
    """The ladder as a pandas table, one row per model, columns named in the current edition."""
    import pandas as pd

    return pd.DataFrame(
        [
            {
                text("ladder.col_model"): r.model,
                text("ladder.col_kind"): text(f"shelf.kind_{r.kind}"),
                text("ladder.col_params"): f"{r.params_b:.2f}B",
                text("ladder.col_file"): round(r.file_bytes / 1e6),
                text("ladder.col_ram"): round(r.ram_bytes / 1e6),
                text("ladder.col_prompt"): round(r.prompt_tok_s, 1),
                text("ladder.col_gen"): round(r.gen_tok_s, 1),
                text("ladder.col_accuracy", n=r.gold_n): round(r.accuracy, 2),
            }
            for r in rungs
        ]
    ).set_index(text("ladder.col_model"))


def plot(rungs: Sequence[Rung]) -> Any:
    """Accuracy and generation speed against file size: where quality appears, and what it costs."""
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    sizes = [r.file_bytes / 1e6 for r in rungs]
    for ax, values, label in (
        (left, [r.accuracy for r in rungs], text("ladder.axis_accuracy", n=rungs[0].gold_n if rungs else 0)),
        (right, [r.gen_tok_s for r in rungs], text("ladder.axis_gen")),
    ):
        ax.plot(sizes, values, "o-")
        for r, x, y in zip(rungs, sizes, values):
            ax.annotate(r.model, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
        ax.set_xlabel(text("ladder.axis_file"))
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    left.axhline(0.1, color="grey", linestyle=":", label=text("ladder.chance"))
    left.set_ylim(0, 1)
    left.legend(loc="upper left")
    fig.tight_layout()
    return fig
