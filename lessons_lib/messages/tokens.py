"""Tokens (lesson 02): the same prompt cut by a model's own tokenizer."""

EN: dict[str, str] = {
    "col_chars": "characters",
    "col_words": "words",
    "col_tokens": "tokens",
    "col_per_word": "tokens per word",
    "col_pieces": "the tokens",
}

PL: dict[str, str] = {
    "col_chars": "znaki",
    "col_words": "słowa",
    "col_tokens": "tokeny",
    "col_per_word": "tokenów na słowo",
    "col_pieces": "tokeny (kawałki tekstu)",
}
