"""The keyword job on Ray Data: packs of K keywords -> workers -> endpoints -> the ledger.

    from lessons_lib import batch
    summary = batch.run_job("keywords.csv", "out/", [batch.Endpoint.ollama(url, "smollm2:135m")], k=10)

Ray Data is the distributed engine: by default a local Ray is started for the job and stopped at
its end (`address="auto"` or "ray://..." joins a cluster instead). Its workers (an actor pool of
`workers` actors) call the endpoints through a `Router`; the driver writes each finished block
of packs to the ledger as it streams back, so a killed job resumes where it stopped.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, cast

import httpx
import pyarrow as pa

from .. import edition
from .data import load_keywords
from .endpoints import Endpoint, check_endpoint
from .ledger import RESULT_SCHEMA, Ledger
from .local_ray import start_ray, stop_ray
from .prompts import CATEGORIES, Categories, system_prompt
from .router import Router, Stage
from .texts import BAR, ERR_ALL_DOWN, ERR_K, ERR_NO_ENDPOINTS, MSG_RESUMED, MSG_SKIPPED

__all__ = ["run_job", "JobSummary"]


@dataclass
class JobSummary:
    keywords: int
    done_before: int  # rows finished by earlier runs of this job (a resume)
    done_now: int
    errors: int
    invalid: int  # rows whose pack never produced a valid answer
    seconds: float  # this run, wall clock, Ray start included
    job_seconds: float  # this run, from the first pack sent to the last one written (Ray's start-up apart)
    prompt_tokens: float
    completion_tokens: float
    k: int
    model: str
    endpoints: list[dict[str, Any]] = field(default_factory=list)
    cost: float | None = None  # dollars so far, when a price per hour was given
    result: str = ""

    @property
    def items_per_s(self) -> float:
        return self.done_now / self.job_seconds if self.job_seconds > 0 else 0.0

    @property
    def tokens_per_s(self) -> float:
        return self.completion_tokens / self.job_seconds if self.job_seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "items_per_s": round(self.items_per_s, 3), "tokens_per_s": round(self.tokens_per_s, 2)}


class Classify:
    """A Ray Data actor: each call classifies one block of packs, concurrently, through its Router."""

    def __init__(
        self, endpoints: list[Endpoint], categories: Categories, share: float, router_options: dict, lang: str = "en"
    ):
        edition.use(lang)  # a worker process speaks the driver's edition (the messages in a row's `error`)
        self.router = Router(endpoints, categories, share=share, **router_options)
        self.client: httpx.AsyncClient | None = None

    async def __call__(self, batch: pa.Table) -> pa.Table:
        if self.client is None:  # created on the actor's event loop, reused for every block
            limits = httpx.Limits(max_connections=max(8, self.router.capacity * 2))
            self.client = httpx.AsyncClient(limits=limits, timeout=None)
        packs = batch.to_pylist()
        client = self.client
        results = await asyncio.gather(*(self.router.classify(client, p["keywords"]) for p in packs))
        rows = [
            {
                "row": row,
                "keyword": keyword,
                "category": result.labels[i],
                "model": result.models[i],
                "confidence": result.confidence[i],
                "alternatives": result.alternatives[i],
                "error": result.errors[i],
                "endpoint": result.endpoints[i],
                "pack": pack["pack"],
                "attempts": result.attempts,
                "prompt_tokens": result.prompt_tokens[i],
                "completion_tokens": result.completion_tokens[i],
                "seconds": result.seconds,
            }
            for pack, result in zip(packs, results)
            for i, (row, keyword) in enumerate(zip(pack["rows"], pack["keywords"]))
        ]
        return pa.Table.from_pylist(rows, schema=RESULT_SCHEMA)


def _fingerprint(keywords: list[str]) -> str:
    digest = hashlib.sha256()
    for kw in keywords:
        digest.update(kw.encode("utf-8") + b"\n")
    return digest.hexdigest()[:16]


def usable_endpoints(endpoints: list[Endpoint]) -> list[Endpoint]:
    """The endpoints that answer and serve their model (checked together, in seconds); a line for each
    one left out; ValueError naming every problem when none is left."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(16, len(endpoints))) as pool:
        problems = list(pool.map(check_endpoint, endpoints))
    if all(problems):
        raise ValueError(ERR_ALL_DOWN.format(problems=" ".join(str(p) for p in problems)))
    for problem in problems:
        if problem:
            print(MSG_SKIPPED.format(problem=problem))
    return [ep for ep, problem in zip(endpoints, problems) if not problem]


def run_job(
    source: str | os.PathLike[str] | list[str],
    out: str | os.PathLike[str],
    endpoints: list[Endpoint],
    *,
    k: int = 10,
    categories: Categories = CATEGORIES,
    workers: int = 1,
    packs_per_block: int | None = None,
    address: str | None = None,
    num_cpus: int = 2,
    price_per_hour: float | None = None,
    progress: bool = True,
    on_commit: Callable[[int], None] | None = None,
    limit: int | None = None,
    stages: list[Stage] | None = None,
    threshold: float = 0.9,
    **router_options: Any,
) -> JobSummary:
    """Classify every keyword of `source` (a file or a list) into `out/`; resumes when `out/` has a ledger.

    `stages`: a cascade (see `Router`); the keywords a stage answers with confidence below
    `threshold` go to the next stage. Without it, every endpoint answers every pack.
    """
    if not endpoints:
        raise ValueError(ERR_NO_ENDPOINTS)
    if not isinstance(k, int) or not 1 <= k <= 200:
        raise ValueError(ERR_K.format(k=k))
    started = time.monotonic()
    keywords = list(source) if isinstance(source, list) else load_keywords(source)
    if limit is not None:
        keywords = keywords[:limit]
    models = sorted({ep.model for ep in endpoints})
    ledger = Ledger(out)
    ledger.open(
        {
            "input": _fingerprint(keywords),
            "rows": len(keywords),
            "k": k,
            "models": models,
            "categories": categories.names,
            "system_prompt": system_prompt(categories),
            "cascade": [stage.name for stage in stages] if stages else None,
            "threshold": threshold if stages else None,
        }
    )
    router_options.update(stages=stages, threshold=threshold)
    n_packs = math.ceil(len(keywords) / k)
    done = ledger.done_packs()
    pending: list[dict[str, Any]] = [
        {
            "pack": p,
            "rows": list(range(p * k, min((p + 1) * k, len(keywords)))),
            "keywords": keywords[p * k : (p + 1) * k],
        }
        for p in range(n_packs)
        if p not in done
    ]
    done_before = len(keywords) - sum(len(p["rows"]) for p in pending)
    if pending:
        endpoints = [ep.with_slots() for ep in usable_endpoints(endpoints)]
    capacity = sum(ep.slots or 1 for ep in endpoints)
    per_block = packs_per_block or max(1, math.ceil(capacity / max(1, workers)))
    if done_before and progress:
        print(MSG_RESUMED.format(done=done_before, total=len(keywords)))
    bar = None
    if progress:
        from ..progress import tqdm

        bar = tqdm(total=len(keywords), initial=done_before, desc=str(BAR), unit="kw", smoothing=0.1)
    counts = {"rows": 0, "errors": 0, "invalid": 0}
    tokens = {"prompt": 0.0, "completion": 0.0}
    by_endpoint: dict[str, int] = {}
    job_started = first_sent = last_written = time.monotonic()
    written_any = False
    ours = False
    try:
        if pending:
            import ray

            ours = start_ray(address, num_cpus)
            items = ray.data.from_items(pending, override_num_blocks=max(1, math.ceil(len(pending) / per_block)))
            # On this machine's Ray an actor that dies (out of memory, killed) would die again: the job
            # stops and the next run resumes from the ledger. Ray's restart also makes its driver print
            # an error line at every start (ray-project/ray#53727). On a cluster (`address` given) Ray
            # restarts the actor, on another node if need be.
            restarts: dict[str, Any] = {} if address else {"max_restarts": 0}
            with warnings.catch_warnings():
                # max_restarts has no named parameter in map_batches; Ray Data's source says to pass it so.
                warnings.filterwarnings("ignore", message="`ray_remote_args` is deprecated")
                ds = items.map_batches(
                    Classify,
                    batch_size=per_block,
                    batch_format="pyarrow",
                    num_cpus=0.25,
                    compute=ray.data.ActorPoolStrategy(size=workers),
                    **restarts,
                    fn_constructor_kwargs={
                        "endpoints": endpoints,
                        "categories": categories,
                        "share": 1.0 / workers,
                        "router_options": router_options,
                        "lang": edition.current(),
                    },
                )
            job_started = first_sent = last_written = time.monotonic()
            for batch in ds.iter_batches(batch_size=None, batch_format="pyarrow", prefetch_batches=0):
                block = cast(pa.Table, batch)
                # The job's clock starts when its first pack was sent, not when Ray Data was asked:
                # starting the actor (a process that imports the job) is paid once, like Ray's start.
                # A block's packs are handed to the router together; `seconds` is each one's time from
                # then to its answer, so "now - the longest" is when the block started (late by the
                # milliseconds it took to reach the driver). Durations, not clock readings: a cluster's
                # clocks differ.
                if block.num_rows:
                    sent = time.monotonic() - max(block.column("seconds").to_pylist())
                    first_sent = max(job_started, min(first_sent, sent) if written_any else sent)
                    written_any = True
                fresh = ledger.commit(block)
                last_written = time.monotonic()
                written = fresh.num_rows
                if not written:
                    continue
                errors = [e for e in fresh.column("error").to_pylist()]
                counts["rows"] += written
                counts["errors"] += sum(e is not None for e in errors)
                counts["invalid"] += sum(e is not None and e.startswith("invalid_output") for e in errors)
                tokens["prompt"] += sum(fresh.column("prompt_tokens").to_pylist())
                tokens["completion"] += sum(fresh.column("completion_tokens").to_pylist())
                for name in fresh.column("endpoint").to_pylist():
                    by_endpoint[name] = by_endpoint.get(name, 0) + 1
                if bar is not None:
                    elapsed = max(1e-9, time.monotonic() - first_sent)
                    postfix = {"tok/s": f"{tokens['completion'] / elapsed:.0f}"}
                    if price_per_hour is not None:
                        postfix["cost"] = f"${price_per_hour * (time.monotonic() - started) / 3600:.4f}"
                    bar.set_postfix(postfix, refresh=False)
                    bar.update(written)
                if on_commit is not None:
                    on_commit(counts["rows"])
    finally:
        if bar is not None:
            bar.close()
        if ours:
            stop_ray()
    seconds = time.monotonic() - started
    summary = JobSummary(
        keywords=len(keywords),
        done_before=done_before,
        done_now=counts["rows"],
        errors=counts["errors"],
        invalid=counts["invalid"],
        seconds=round(seconds, 3),
        job_seconds=round(last_written - first_sent, 3),
        prompt_tokens=round(tokens["prompt"], 1),
        completion_tokens=round(tokens["completion"], 1),
        k=k,
        model=", ".join(models),
        endpoints=[{"endpoint": ep.name, "slots": ep.slots, "rows": by_endpoint.get(ep.name, 0)} for ep in endpoints],
        cost=round(price_per_hour * seconds / 3600, 6) if price_per_hour is not None else None,
    )
    summary.result = str(ledger.finish(summary.as_dict()))
    return summary
