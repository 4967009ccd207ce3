"""catalog: real names and sourced sizes, Ollama name matching, the stand-in rule, fit_table."""

import pytest

from lessons_lib.catalog import CATALOG, Choice, choose_model, find, fit_table, parse_name
from lessons_lib.hardware import GPU, Machine
from lessons_lib.memory import ModelShape

GIB = 2**30

REQUIRED_NAMES = [
    "llama3.2:1b",
    "llama3.2:3b",
    "llama3:8b",
    "llama3.1:8b",
    "llama3.1:70b",
    "llama3.1:405b",
    "SpeakLeash/bielik-11b-v2.3-instruct:Q4_K_M",
    "SpeakLeash/bielik-11b-v2.3-instruct:Q5_K_M",
    "SpeakLeash/bielik-11b-v2.3-instruct:Q8_0",
    "SpeakLeash/bielik-1.5b-v3.0-instruct",
    "SpeakLeash/bielik-4.5b-v3.0-instruct",
    "gemma2:2b",
    "mistral:7b",
    "smollm2:135m",
    "deepseek-r1:1.5b",
    "deepseek-r1:7b",
    "deepseek-r1:8b",
    "deepseek-r1:14b",
    "deepseek-r1:32b",
    "deepseek-r1:70b",
    "deepseek-r1:671b",
]


def _machine(ram_available, gpus=(), swap=0):
    return Machine("Test CPU", 4, 8, ram_available + 2 * GIB, ram_available, swap, "Linux", "x86_64", tuple(gpus))


LAPTOP_8GB = _machine(6 * GIB)  # an 8 GB laptop with 6 GiB free
TINY = _machine(int(2.5 * GIB))
GPU_80GB = _machine(60 * GIB, gpus=[GPU("NVIDIA H100 80GB HBM3", "nvidia", 80 * GIB, 79 * GIB)])


def test_catalog_is_well_formed():
    keys = [m.key for m in CATALOG]
    assert len(keys) == len(set(keys))
    for m in CATALOG:
        assert m.variants and m.default is m.variants[0]
        assert isinstance(m.shape, ModelShape) and m.context_max >= 2048
        assert m.params_b > 0 and m.languages and m.license
        for v in m.variants:
            assert v.size_bytes > 10_000_000, v
            assert len(v.source) > 20, f"{v.ollama_name} needs a source"
            parse_name(v.ollama_name)  # raises on an invalid name
        for alias in m.aliases:
            parse_name(alias)


# Bits a weight each quantization type lands in for a whole GGUF file (size x 8 / parameters):
# the nominal rate of its blocks (Q4_K 4.5, Q6_K 6.56, Q8_0 8.5, ...) plus the tensors llama.cpp keeps
# at a higher type (output, token embeddings, parts of attn_v/ffn_down in the K "_M" mixes).
# Source of the nominal rates: reference/quantization.md and llama.cpp's quantize table.
BITS_PER_WEIGHT = {
    "F16": (15.5, 16.5),
    "BF16": (15.5, 16.5),
    "Q8_0": (8.0, 9.0),
    "Q6_K": (6.4, 7.0),
    "Q5_K_M": (5.3, 6.3),
    "Q5_0": (5.3, 6.0),
    "Q4_K_M": (4.5, 6.0),
    "Q4_K_S": (4.4, 5.5),
    "Q4_1": (4.8, 6.0),
    "Q4_0": (4.3, 5.2),
    "Q3_K_M": (3.6, 4.6),
    "Q2_K": (2.6, 3.8),
}
# Below 1B parameters the token embeddings are a large share of the weights (Gemma 3 270M: 170M of
# 268M) and stay at 6-8 bits, so a small Q4 file can reach 8 bits a weight: there only the floor holds,
# and the file must still be well under F16.
SMALL_MODEL_B = 1.0


@pytest.mark.parametrize(
    ("model", "variant"),
    [(m, v) for m in CATALOG for v in m.variants],
    ids=lambda x: getattr(x, "quant", None) or x.key,
)
def test_quantization_matches_size_per_weight(model, variant):
    """A variant's quantization label agrees with its file size: bits a weight = size x 8 / parameters."""
    assert variant.quant in BITS_PER_WEIGHT, f"add a band for {variant.quant}"
    low, high = BITS_PER_WEIGHT[variant.quant]
    bits = variant.size_bytes * 8 / (model.params_b * 1e9)
    if model.params_b < SMALL_MODEL_B and variant.quant not in ("F16", "BF16"):
        high = 9.0
    assert low <= bits <= high, (
        f"{variant.ollama_name} is labelled {variant.quant} but its size gives {bits:.2f} bits a weight "
        f"(expected {low}-{high})"
    )


def test_llama32_1b_is_q8_0_as_ollama_ships_it():
    assert find("llama3.2:1b").default.quant == "Q8_0"


@pytest.mark.parametrize("name", REQUIRED_NAMES)
def test_required_models_are_there(name):
    assert find(name) is not None, name


def test_published_sizes():
    assert find("llama3.2:3b").default.size_bytes == 2_019_377_376
    assert find("llama3.1:8b").default.size_bytes == 4_920_738_944
    assert find("llama3:8b").default.size_bytes == 4_661_211_424
    smol = find("smollm2:135m")
    assert smol.variant("q4_1").size_bytes == 98_362_432  # the bundled file
    assert smol.default.size_bytes > smol.variant("Q4_1").size_bytes  # Ollama's tag is larger
    bielik = find("bielik-11b-v2.3")
    assert [v.quant for v in bielik.variants] == ["Q4_K_M", "Q5_K_M", "Q8_0"]
    assert bielik.variant("Q4_K_M").size_bytes == 6_720_000_000
    assert bielik.shape.n_layer == 50
    assert all(m.thinking for m in CATALOG if m.key.startswith("deepseek-r1"))
    pllum = find("pllum-8b")
    assert pllum.default.ollama_name.startswith("hf.co/") and "pl" in pllum.languages


def test_variant_lookup():
    bielik = find("bielik-11b-v2.3")
    assert bielik.variant("q8_0").quant == "Q8_0"
    assert bielik.variant() is bielik.default
    with pytest.raises(KeyError, match="Q4_K_M, Q5_K_M, Q8_0"):
        bielik.variant("Q2_K")


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("llama3.1:8b", "llama3.1-8b"),
        ("LLAMA3.1:8B", "llama3.1-8b"),
        ("llama3.1", "llama3.1-8b"),  # untagged means :latest, which is the 8B
        ("llama3.1:latest", "llama3.1-8b"),
        ("library/llama3.1:8b", "llama3.1-8b"),
        ("registry.ollama.ai/library/llama3.1:8b", "llama3.1-8b"),
        ("https://registry.ollama.ai/library/llama3.1:70b", "llama3.1-70b"),
        ("llama3.1-405b", "llama3.1-405b"),
        ("speakleash/BIELIK-11b-v2.3-instruct:q5_k_m", "bielik-11b-v2.3"),
        ("hf.co/mradermacher/Llama-PLLuM-8B-instruct-GGUF:Q4_K_M", "pllum-8b"),
        ("deepseek-r1", "deepseek-r1-8b"),
        ("smollm2:135m", "smollm2-135m"),
    ],
)
def test_find_follows_ollama_name_rules(name, key):
    assert find(name).key == key


@pytest.mark.parametrize("name", ["gemma2", "smollm2", "llama3.1:8b-instruct-q8_0", "no-such-model", "bad name!", ""])
def test_find_does_not_guess(name):
    assert find(name) is None


def test_parse_name():
    assert parse_name("llama3.2") == ("registry.ollama.ai", "library", "llama3.2", "latest")
    assert parse_name("hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M") == (
        "hf.co",
        "bartowski",
        "llama-3.2-1b-instruct-gguf",
        "q4_k_m",
    )
    assert parse_name("localhost:5000/ns/model") == ("localhost:5000", "ns", "model", "latest")
    for bad in ["bad name!", "ns.dot/model", ":tag", "model:", "-model"]:
        with pytest.raises(ValueError):
            parse_name(bad)


def test_choose_present_model():
    c = choose_model("llama3.1:8b", ["smollm2:135m", "llama3.1:latest"], machine=LAPTOP_8GB)
    assert c == Choice("llama3.1:8b", "llama3.1:latest", False, "ollama pull llama3.1:8b", c.message)
    assert "on this machine" in c.message
    c = choose_model("Llama3.2:3B", ["llama3.2:3b"], machine=LAPTOP_8GB)
    assert (c.used, c.is_stand_in) == ("llama3.2:3b", False)


def test_choose_stand_in_when_absent():
    c = choose_model("llama3:8b", ["smollm2:135m", "llama3.2:1b"], machine=LAPTOP_8GB)
    assert c.used == "llama3.2:1b" and c.is_stand_in
    assert c.pull_command == "ollama pull llama3:8b"
    assert "llama3:8b is not on this machine" in c.message
    assert "ollama pull llama3:8b" in c.message and "4.7 GB" in c.message
    assert "llama3.2:1b instead" in c.message


def test_choose_prefers_polish_for_bielik():
    present = ["llama3.1:8b", "SpeakLeash/bielik-1.5b-v3.0-instruct:Q8_0", "smollm2:135m"]
    c = choose_model("SpeakLeash/bielik-11b-v2.3-instruct:Q4_K_M", present, machine=GPU_80GB)
    assert c.used == "SpeakLeash/bielik-1.5b-v3.0-instruct:Q8_0" and c.is_stand_in
    assert "Polish" in c.message
    # an explicit language request works for any model
    c = choose_model("llama3.1:70b", present, machine=GPU_80GB, languages=("pl",))
    assert c.used == "SpeakLeash/bielik-1.5b-v3.0-instruct:Q8_0"
    # without a Polish speaker the message says so
    c = choose_model("SpeakLeash/bielik-11b-v2.3-instruct:Q8_0", ["llama3.2:1b"], machine=LAPTOP_8GB)
    assert c.used == "llama3.2:1b" and "no model here speaks Polish" in c.message


def test_choose_prefers_what_fits_then_the_largest():
    present = ["SpeakLeash/bielik-1.5b-v3.0-instruct:Q8_0", "SpeakLeash/bielik-4.5b-v3.0-instruct:Q8_0"]
    assert choose_model("bielik-11b-v2.3", present, machine=TINY).used == present[0]
    assert choose_model("bielik-11b-v2.3", present, machine=GPU_80GB).used == present[1]
    c = choose_model("llama3.1:70b", ["smollm2:135m"], machine=LAPTOP_8GB)
    assert c.used == "smollm2:135m" and "needs about" in c.message


def test_choose_by_catalog_key_pulls_the_real_name():
    c = choose_model("bielik-11b-v2.3", ["llama3.2:1b"], machine=LAPTOP_8GB)
    assert c.pull_command == "ollama pull SpeakLeash/bielik-11b-v2.3-instruct:Q4_K_M"
    assert c.pull_command in c.message


def test_english_requests_do_not_talk_about_languages():
    c = choose_model("llama3:8b", ["smollm2:135m"], machine=LAPTOP_8GB)
    assert "speaks" not in c.message and c.message.endswith("instead.")


def test_unknown_models_rank_after_catalog_ones():
    assert (
        choose_model("llama3.1:8b", ["my-finetune:latest", "smollm2:135m"], machine=LAPTOP_8GB).used == "smollm2:135m"
    )
    c = choose_model("llama3.1:8b", ["my-finetune:latest"], machine=LAPTOP_8GB)
    assert (c.used, c.is_stand_in) == ("my-finetune:latest", True)


def test_choose_with_nothing_present():
    c = choose_model("SpeakLeash/bielik-4.5b-v3.0-instruct", [], machine=LAPTOP_8GB)
    assert c.used is None and not c.is_stand_in
    assert c.pull_command == "ollama pull SpeakLeash/bielik-4.5b-v3.0-instruct"
    assert "No model is on this machine" in c.message and c.pull_command in c.message


def _verdicts(table):
    return dict(zip(table["Ollama name"] + " " + table["Quant"], table["Verdict"]))


def test_fit_table_laptop_vs_gpu():
    laptop = fit_table(LAPTOP_8GB)
    assert len(laptop) == sum(len(m.variants) for m in CATALOG)
    assert {
        "Model",
        "Ollama name",
        "Quant",
        "Params",
        "Download",
        "Weights (GiB)",
        "KV cache (GiB)",
        "Compute (GiB)",
        "Total (GiB)",
        "Verdict",
    } <= set(laptop.columns)
    v = _verdicts(laptop)
    assert v["smollm2:135m Q4_1"] == "CPU"
    assert v["llama3.1:8b Q4_K_M"] == "CPU"
    assert v["llama3.1:70b Q4_K_M"] == "too big"
    assert v["llama3.1:405b Q4_K_M"] == "too big"
    assert v["SpeakLeash/bielik-11b-v2.3-instruct:Q8_0 Q8_0"] == "too big"

    gpu = _verdicts(fit_table(GPU_80GB))
    assert gpu["llama3.1:8b Q4_K_M"] == "GPU"
    assert gpu["llama3.1:70b Q4_K_M"] == "GPU"
    assert gpu["deepseek-r1:70b Q4_K_M"] == "GPU"
    assert gpu["llama3.1:405b Q4_K_M"] == "too big"

    row = laptop[laptop["Ollama name"] == "llama3.1:8b"].iloc[0]
    assert row["Download"] == "4.9 GB" and row["Params"] == "8.0B"
    assert abs(row["Total (GiB)"] - 5.37) < 0.01  # weights + KV cache + compute at num_ctx 4096


def test_fit_table_caps_context_per_model():
    table = fit_table(GPU_80GB, n_ctx=16384)
    ctx = dict(zip(table["Ollama name"], table["num_ctx"]))
    assert ctx["llama3:8b"] == 8192 and ctx["llama3.1:8b"] == 16384
