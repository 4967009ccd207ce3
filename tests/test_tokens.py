"""tokens: the model's own tokenizer on the same prompt in English and Polish (lesson 02)."""

from lessons_lib import edition, tokens
from lessons_lib.bundled import bundled_gguf_path

SAME = {
    "English": "Write a short description of a bicycle shop in Kraków for its website.",
    "Polish": "Napisz krótki opis sklepu rowerowego w Krakowie na jego stronę internetową.",
}


def test_tokenize_with_the_models_own_tokenizer():
    rows = tokens.tokenize(bundled_gguf_path(), SAME)
    assert [r.label for r in rows] == ["English", "Polish"]
    english, polish = rows
    assert english.ids and len(english.pieces) == len(english.ids)
    assert "".join(english.pieces).strip() == SAME["English"]
    # SmolLM2's English-only vocabulary cuts Polish into many more pieces than English.
    assert len(polish.ids) > len(english.ids)


def test_table_in_both_editions():
    rows = tokens.tokenize(bundled_gguf_path(), SAME)
    english = tokens.table(rows)
    assert list(english.index) == ["English", "Polish"]
    assert english.loc["Polish", "tokens"] == len(rows[1].ids)
    assert english.loc["English", "words"] == len(SAME["English"].split())
    edition.use("pl")
    try:
        assert "tokeny" in tokens.table(rows).columns
    finally:
        edition.use("en")
