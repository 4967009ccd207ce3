"""The quantization lab, step by step: a source model, its variants, and one table of measurements.

Every variant is measured in the same run, on the same prompts, text and thread count, so the
rows of the table can be compared with each other (not with another machine's numbers).
Files go to a temporary workspace that `Workspace.cleanup()` (or interpreter exit) removes.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import llama_cpp
import pandas as pd

from ..bundled import BUNDLED_MODEL, bundled_gguf_path
from ..edition import text
from ..llama import gguf_file
from ..llama.quantize import QuantizeReport, normalize_kind, quantize
from ..memory import ModelShape, kv_cache_bytes
from ..progress import tqdm
from .dequantize import FULL_PRECISION, describe_source, to_f16
from .evaluate import Evaluation, evaluate_model, load_eval_texts, tokenize_parts
from .measure import PROMPTS, SpeedResult, measure_speed

__all__ = [
    "DEFAULT_KINDS",
    "Workspace",
    "Source",
    "prepare_source",
    "make_variants",
    "variant_paths",
    "LabResults",
    "find_model_file",
    "measure_variants",
    "kv_cache_lab",
]

# --- user-facing strings (kept together so a Polish edition can translate them) -------------
COL = {
    "kind": "type",
    "size": "size (MB)",
    "bpw": "bits/weight",
    "fallbacks": "fallbacks",
    "load": "load (s)",
    "rss": "RSS (MiB)",
    "pp": "prompt tok/s",
    "tg": "gen tok/s",
    "ppl": "PPL",
    "ppl_part": "PPL {part}",
    "dppl": "ΔPPL",
    "kld": "KLD",
    "top1": "top-1 (%)",
    "kv_type": "KV type",
    "kv_measured": "KV (MiB, llama.cpp)",
    "kv_estimate": "KV (MiB, estimate)",
    "kv_saved": "saved (%)",
}

DEFAULT_KINDS = ("F16", "Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "Q4_0", "Q3_K_M", "Q2_K")
REFERENCE = "F16"
KV_TYPES = {"f16": llama_cpp.GGML_TYPE_F16, "q8_0": llama_cpp.GGML_TYPE_Q8_0, "q4_0": llama_cpp.GGML_TYPE_Q4_0}
MIB = 2**20


class Workspace:
    """A temporary folder for model files, removed by cleanup() or at interpreter exit."""

    def __init__(self, prefix: str = "quant-lab-", parent: str | os.PathLike[str] | None = None):
        self.path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
        atexit.register(self.cleanup)

    def cleanup(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cleanup()


@dataclass(frozen=True)
class Source:
    original: Path  # the file the learner chose
    original_type: str  # its quantization ("Q4_1", "F16", ...)
    f16: Path  # the F16 reference every variant is made from and compared against
    description: str  # what the F16 reference really is, in one sentence


def find_model_file(model: str | os.PathLike[str]) -> Path:
    """A .gguf path, the bundled model's name, or a model in the learner's Ollama store."""
    path = Path(model)
    if path.suffix == ".gguf" or path.is_file():
        if not path.is_file():
            raise FileNotFoundError(text("quant.err_no_model", model=str(model)))
        return path

    if str(model) in (BUNDLED_MODEL, BUNDLED_MODEL.split(":")[0]):
        return bundled_gguf_path()
    from .. import models as ollama_models  # the learner's own Ollama store (lesson 01)

    try:
        return Path(ollama_models.find_gguf(str(model)))
    except LookupError as exc:  # ModelNotFound: its message lists what the stores hold
        raise FileNotFoundError(f"{text('quant.err_no_model', model=str(model))}. {exc}") from exc


def prepare_source(model: str | os.PathLike[str], workdir: Path) -> Source:
    """Find the model and make its F16 reference (dequantized with `gguf` if it is quantized)."""
    path = find_model_file(model)
    info = gguf_file.read(path)
    kind = info.file_type
    if kind == "F16":
        f16 = path
    elif kind in FULL_PRECISION:  # BF16/F32: llama.cpp converts without rounding to a grid
        f16 = workdir / f"{path.stem}.F16.gguf"
        quantize(path, f16, "F16")
    else:
        f16 = workdir / f"{path.stem}.F16.gguf"
        with tqdm(total=len(info.tensors), desc=text("quant.bar_dequantize"), unit="tensor") as bar:
            to_f16(path, f16, progress=lambda done, total, name: bar.update(done - bar.n))
    return Source(original=path, original_type=kind, f16=f16, description=describe_source(kind, path.name))


def make_variants(source: Source, workdir: Path, kinds: Sequence[str] = DEFAULT_KINDS) -> dict[str, QuantizeReport]:
    """Quantize the F16 reference into every kind (the F16 entry is the reference itself)."""
    names = [normalize_kind(k) for k in kinds]
    n_tensors = len(gguf_file.read(source.f16).tensors)
    reports: dict[str, QuantizeReport] = {}
    todo = [k for k in names if k != REFERENCE]
    with tqdm(total=n_tensors * len(todo), desc=text("quant.bar_quantize"), unit="tensor") as bar:
        for kind in todo:
            bar.set_postfix_str(kind)
            start = bar.n

            def advance(done: int, total: int, name: str, start: int = start) -> None:
                bar.update(start + done - bar.n)

            reports[kind] = quantize(
                source.f16, workdir / f"{source.original.stem}.{kind}.gguf", kind, progress=advance
            )
    return reports


def variant_paths(
    source: Source, reports: Mapping[str, QuantizeReport], kinds: Sequence[str] = DEFAULT_KINDS
) -> dict[str, Path]:
    """kind -> file, in the order of `kinds`; F16 is the reference file."""
    paths = {}
    for kind in (normalize_kind(k) for k in kinds):
        paths[kind] = source.f16 if kind == REFERENCE else reports[kind].destination
    return paths


def _file_row(kind: str, path: Path, report: QuantizeReport | None) -> dict[str, object]:
    info = gguf_file.read(path)
    n_params = sum(t.n_elements for t in info.tensors)
    bits = 8 * sum(t.n_bytes for t in info.tensors) / n_params
    return {
        COL["kind"]: kind,
        COL["size"]: round(info.size / 1e6, 1),
        COL["bpw"]: round(bits, 2),
        COL["fallbacks"]: report.fallback_summary if report else f"0/{len(info.tensors)}",
    }


def _against_reference(ev: Evaluation) -> dict[str, float]:
    """KLD and top-1 columns; the reference itself (nothing to compare) shows 0 and 100%."""
    return {
        COL["kld"]: round(ev.kld, 5) if ev.kld is not None else 0.0,
        COL["top1"]: round(100 * ev.top1_agreement, 1) if ev.top1_agreement is not None else 100.0,
    }


@dataclass
class LabResults:
    table: pd.DataFrame  # one row per variant
    answers: pd.DataFrame  # the answers each variant gave to PROMPTS
    evaluations: dict[str, Evaluation]
    speeds: dict[str, SpeedResult]


def measure_variants(
    paths: Mapping[str, Path],
    reports: Mapping[str, QuantizeReport],
    *,
    n_ctx: int = 512,
    max_chunks: int | None = None,
    n_threads: int | None = None,
    n_gen: int = 32,
    prompts: Sequence[str] = PROMPTS,
    texts: Mapping[str, str] | None = None,
) -> LabResults:
    """Measure every variant: file, speed, memory, perplexity, KLD and top-1 against F16."""
    if REFERENCE not in paths:
        raise ValueError(text("quant.err_no_reference", ref=REFERENCE))
    threads = n_threads or os.cpu_count() or 1
    tokens = tokenize_parts(paths[REFERENCE], texts or load_eval_texts())
    rows, evaluations, speeds = [], {}, {}
    reference: Evaluation | None = None
    # The reference goes first: every other variant's KLD needs its log-probabilities.
    order = [REFERENCE] + [k for k in paths if k != REFERENCE]
    for kind in tqdm(order, desc=text("quant.bar_measure"), unit="model"):
        path = paths[kind]
        speed = measure_speed(path, prompts=prompts, n_gen=n_gen, n_threads=threads)
        ev = evaluate_model(
            path,
            tokens,
            n_ctx=n_ctx,
            max_chunks=max_chunks,
            n_threads=threads,
            reference=reference,
            keep_logp=kind == REFERENCE,
        )
        if kind == REFERENCE:
            reference = ev
        speeds[kind], evaluations[kind] = speed, ev
        row = _file_row(kind, path, reports.get(kind))
        row.update(
            {
                COL["load"]: round(speed.load_s, 2),
                COL["rss"]: round(speed.rss_bytes / MIB),
                COL["pp"]: round(speed.prompt_tokens_per_s, 1),
                COL["tg"]: round(speed.generation_tokens_per_s, 1),
                COL["ppl"]: round(ev.perplexity.value, 3),
            }
        )
        for part, ppl in ev.by_part.items():
            row[COL["ppl_part"].format(part=part)] = round(ppl.value, 3)
        row[COL["dppl"]] = round(ev.delta_ppl, 3) if ev.delta_ppl is not None else 0.0
        row.update(_against_reference(ev))
        rows.append(row)
    if reference is not None:
        reference.logp = None  # hundreds of MB for big vocabularies; not needed any more
    table = pd.DataFrame(rows).set_index(COL["kind"]).loc[list(paths)]
    answers = pd.DataFrame({kind: speeds[kind].answers for kind in paths}, index=list(prompts)).T
    return LabResults(table=table, answers=answers, evaluations=evaluations, speeds=speeds)


def kv_cache_lab(
    model_path: Path,
    *,
    kv_types: Sequence[str] = tuple(KV_TYPES),
    n_ctx_memory: int = 8192,
    n_ctx: int = 512,
    max_chunks: int | None = 1,
    n_threads: int | None = None,
    n_gen: int = 32,
    prompts: Sequence[str] = PROMPTS,
    texts: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """KV cache in F16 versus quantized (flash attention on for all): memory saved and its cost."""
    unknown = [kv for kv in kv_types if kv not in KV_TYPES]
    if unknown:
        raise ValueError(text("quant.err_kv_type", kv=unknown[0], known=", ".join(KV_TYPES)))
    threads = n_threads or os.cpu_count() or 1
    tokens = tokenize_parts(model_path, texts or load_eval_texts())
    shape = ModelShape.from_gguf_metadata(gguf_file.read(model_path).metadata)
    rows, reference = [], None
    for kv in tqdm(kv_types, desc=text("quant.bar_kv"), unit="type"):
        kw: dict[str, Any] = {"flash_attn": True, "type_k": KV_TYPES[kv], "type_v": KV_TYPES[kv]}
        speed = measure_speed(model_path, prompts=prompts, n_gen=n_gen, n_threads=threads, n_ctx=n_ctx_memory, **kw)
        ev = evaluate_model(
            model_path,
            tokens,
            n_ctx=n_ctx,
            max_chunks=max_chunks,
            n_threads=threads,
            reference=reference,
            keep_logp=reference is None,
            **kw,
        )
        if reference is None:
            reference = ev
        rows.append(
            {
                COL["kv_type"]: kv,
                "n_ctx": n_ctx_memory,
                COL["kv_measured"]: round(speed.kv_cache_bytes / MIB, 1),
                COL["kv_estimate"]: round(kv_cache_bytes(shape, n_ctx_memory, kv) / MIB, 1),
                COL["tg"]: round(speed.generation_tokens_per_s, 1),
                COL["pp"]: round(speed.prompt_tokens_per_s, 1),
                COL["ppl"]: round(ev.perplexity.value, 3),
                **_against_reference(ev),
            }
        )
    table = pd.DataFrame(rows).set_index(COL["kv_type"])
    base = table[COL["kv_measured"]].iloc[0]
    table[COL["kv_saved"]] = (100 * (1 - table[COL["kv_measured"]] / base)).round(1) if base else 0.0
    return table
