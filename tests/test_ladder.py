"""The model ladder (lesson 01): a real measurement on the bundled model, and the gold sample it scores."""

from __future__ import annotations

import ollama
import pytest

from lessons_lib import edition, ladder
from lessons_lib.batch.data import gold_labels
from lessons_lib.bundled import BUNDLED_MODEL


def test_the_gold_sample_spreads_over_languages_and_categories() -> None:
    sample = ladder.gold_sample(30)
    gold = gold_labels()
    assert len(sample) == 30 and len(set(sample)) == 30
    assert all(gold[keyword] == category for keyword, category in sample)
    assert len({category for _, category in sample}) >= 8  # not one corner of the set


@pytest.mark.slow
def test_a_rung_is_measured_by_llama_cpp_and_scored_through_the_server(client: ollama.Client) -> None:
    (rung,) = ladder.climb(client, [BUNDLED_MODEL, "no-such-model:1b"], n_gold=4, n_gen=8, n_threads=1)
    assert rung.model == BUNDLED_MODEL and rung.kind == "instruct" and rung.gold_n == 4
    assert rung.file_bytes > 90e6 and rung.ram_bytes > 0 and rung.gen_tok_s > 0 and rung.prompt_tok_s > 0
    assert rung.accuracy in {0.0, 0.25, 0.5, 0.75, 1.0}
    assert rung.answer_en and rung.answer_pl
    edition.use("pl")
    try:
        table = ladder.table([rung])
    finally:
        edition.use("en")
    assert table.index.name == "model" and "trafność (złoty zbiór, n = 4)" in table.columns
