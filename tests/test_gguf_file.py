"""gguf_file: what the bundled GGUF says about itself, and Ollama's way of printing parameter counts."""

from __future__ import annotations

import shutil

import pytest

from lessons_lib.bundled import bundled_gguf_path
from lessons_lib.llama import gguf_file


@pytest.fixture(scope="module")
def info() -> gguf_file.GGUFInfo:
    return gguf_file.read(bundled_gguf_path())


def test_bundled_model_header(info):
    assert info.architecture == "llama"
    assert info.file_type == "Q4_1"
    assert info.metadata["general.file_type"] == 3
    assert 134_000_000 < info.parameter_count < 135_000_000
    assert info.parameter_count == 134_515_008
    assert info.context_length == 8192
    assert info.embedding_length == 576
    assert info.size == bundled_gguf_path().stat().st_size
    assert "<|im_start|>" in info.chat_template


def test_parameter_count_is_the_sum_of_tensor_elements(info):
    assert "general.parameter_count" not in info.metadata  # so it must be counted
    assert info.parameter_count == sum(t.n_elements for t in info.tensors)
    embedding = next(t for t in info.tensors if t.name == "token_embd.weight")
    assert embedding.shape == (576, 49152) and embedding.n_elements == 576 * 49152


def test_model_info_is_shaped_like_ollama_show(info):
    short = info.model_info()
    assert "general.name" in info.metadata and "general.name" not in short
    assert "tokenizer.chat_template" not in short
    assert not any(key.startswith("GGUF.") for key in short)
    assert short["general.architecture"] == "llama"
    assert short["general.parameter_count"] == info.parameter_count
    assert short["llama.context_length"] == 8192
    # arrays longer than 5 are emptied unless verbose; short ones stay
    assert short["tokenizer.ggml.tokens"] == [] and short["tokenizer.ggml.merges"] == []
    assert short["general.languages"] == ["en"]
    assert list(short) == sorted(short)
    verbose = info.model_info(verbose=True)
    assert len(verbose["tokenizer.ggml.tokens"]) == 49152
    assert verbose["tokenizer.ggml.tokens"][:2] == ["<|endoftext|>", "<|im_start|>"]
    assert "general.name" not in verbose and "tokenizer.chat_template" not in verbose


# Expected values are those of Ollama's format.HumanNumber (format/format.go, v0.12.10) and its tests.
@pytest.mark.parametrize(
    "count, text",
    [
        (0, "0"),
        (999, "999"),
        (1000, "1K"),
        (1001, "1K"),
        (1_000_000, "1M"),
        (125_000_000, "125M"),
        (134_515_008, "134.52M"),
        (500_500_000, "500.50M"),
        (500_550_000, "500.55M"),
        (1_000_000_000, "1B"),
        (2_800_000_000, "2.8B"),
        (2_850_000_000, "2.9B"),
        (8_030_261_248, "8.0B"),
        (70_553_706_496, "70.6B"),
        (1_000_000_000_000, "1000B"),  # no "T": Ollama stays in billions
    ],
)
def test_human_parameter_count_matches_ollama(count, text):
    assert gguf_file.human_parameter_count(count) == text


@pytest.mark.parametrize("data", [b"", b"GGU", b"hello world, not a model", b"\x00" * 64])
def test_a_file_that_is_not_gguf_is_refused(tmp_path, data):
    path = tmp_path / "model.gguf"
    path.write_bytes(data)
    with pytest.raises(ValueError, match="not a GGUF file"):
        gguf_file.read(path)


@pytest.mark.parametrize("size", [4, 40, 100_000])
def test_a_truncated_gguf_is_a_value_error_too(tmp_path, size):
    path = tmp_path / "partial.gguf"
    with open(bundled_gguf_path(), "rb") as fh:
        path.write_bytes(fh.read(size))
    with pytest.raises(ValueError):
        gguf_file.read(path)


def test_results_follow_the_file_not_a_stale_cache(tmp_path):
    path = tmp_path / "copy.gguf"
    shutil.copyfile(bundled_gguf_path(), path)
    assert gguf_file.read(path).file_type == "Q4_1"
    path.write_bytes(b"not gguf any more")
    with pytest.raises(ValueError):
        gguf_file.read(path)


def _gguf_header(kvs: list[tuple[str, int, bytes]]) -> bytes:
    """A GGUF v3 header without tensors: (key, value type, encoded value) triples."""
    import struct

    out = b"GGUF" + struct.pack("<IQQ", 3, 0, len(kvs))
    for key, kind, value in kvs:
        out += struct.pack("<Q", len(key)) + key.encode() + struct.pack("<I", kind) + value
    return out


def _string(text: str) -> bytes:
    import struct

    return struct.pack("<Q", len(text.encode())) + text.encode()


def test_a_hand_made_header_is_read_value_by_value(tmp_path):
    import struct

    path = tmp_path / "tiny.gguf"
    path.write_bytes(
        _gguf_header(
            [
                ("general.architecture", 8, _string("llama")),
                ("llama.context_length", 4, struct.pack("<I", 2048)),
                ("general.file_type", 4, struct.pack("<I", 15)),
                ("tokenizer.ggml.scores", 9, struct.pack("<IQ", 6, 3) + struct.pack("<3f", 0.5, -1.0, 2.0)),
                ("tokenizer.ggml.tokens", 9, struct.pack("<IQ", 8, 2) + _string("a") + _string("żółw")),
                ("general.flag", 7, b"\x01"),
            ]
        )
    )
    info = gguf_file.read(path)
    assert info.architecture == "llama" and info.context_length == 2048 and info.file_type == "Q4_K_M"
    assert info.metadata["tokenizer.ggml.scores"] == [0.5, -1.0, 2.0]
    assert info.metadata["tokenizer.ggml.tokens"] == ["a", "żółw"]
    assert info.metadata["general.flag"] is True
    assert info.tensors == () and info.parameter_count == 0


@pytest.mark.parametrize(
    "damage",
    [
        [("key", 99, b"")],  # no such value type
        [("key", 9, b"\x06\x00\x00\x00" + b"\xff" * 8)],  # an array claiming 2**64-1 floats
        [("key", 8, b"\xff" * 8)],  # a string longer than the file
    ],
)
def test_a_damaged_header_is_a_value_error(tmp_path, damage):
    path = tmp_path / "damaged.gguf"
    path.write_bytes(_gguf_header(damage))
    with pytest.raises(ValueError):
        gguf_file.read(path)
