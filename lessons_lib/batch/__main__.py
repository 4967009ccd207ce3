"""`python -m lessons_lib.batch run KEYWORDS --out DIR --endpoint URL --model NAME [-k 10]`.

Also `export` (OpenAI Batch JSONL for vLLM's run-batch or OpenAI's Batch API) and `import`.
Run it again with the same --out to resume a job that was stopped or killed.
"""

from __future__ import annotations

import argparse
import json
import sys

from .cascade import build_stages, parse_cascade
from .data import load_keywords
from .endpoints import Endpoint, EndpointDown
from .ledger import JobMismatch
from .openai_batch import export_batch, import_results
from .pipeline import run_job
from .texts import (
    ERR_NO_MODEL_GIVEN,
    ERR_NOTHING_DONE,
    HELP_CASCADE,
    HELP_ENDPOINT,
    HELP_THRESHOLD,
    HELP_TRAIN,
    MSG_DONE,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lessons_lib.batch", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="classify keywords (resumes when --out holds the same job)")
    run.add_argument("keywords", help="CSV/Parquet/JSONL with a 'keyword' column, or a .txt file")
    run.add_argument("--out", required=True)
    run.add_argument("--endpoint", action="append", required=True, help=str(HELP_ENDPOINT))
    run.add_argument("--model", default=None, help="the model (or --cascade)")
    run.add_argument("--cascade", default=None, help=str(HELP_CASCADE))
    run.add_argument("--threshold", type=float, default=0.9, help=str(HELP_THRESHOLD))
    run.add_argument("--train", default=None, help=str(HELP_TRAIN))
    run.add_argument("--api", choices=("ollama", "openai"), default="ollama")
    run.add_argument("--slots", type=int, default=None, help="parallel requests per endpoint (default: ask it)")
    run.add_argument("-k", type=int, default=10, help="keywords per request")
    run.add_argument("--workers", type=int, default=1, help="Ray Data actors")
    run.add_argument("--address", default=None, help="a Ray cluster to join (default: a local Ray for this job)")
    run.add_argument("--price-per-hour", type=float, default=None, help="to show the cost so far")
    run.add_argument("--limit", type=int, default=None, help="only the first N keywords")
    run.add_argument("--api-key-env", default=None, help="environment variable holding the endpoint's key")
    exp = sub.add_parser("export", help="write an OpenAI Batch JSONL file")
    exp.add_argument("keywords")
    exp.add_argument("--out", required=True)
    exp.add_argument("--model", required=True)
    exp.add_argument("-k", type=int, default=10)
    imp = sub.add_parser("import", help="read an OpenAI Batch output file into rows (JSONL on stdout)")
    imp.add_argument("keywords")
    imp.add_argument("results")
    imp.add_argument("-k", type=int, default=10)
    args = parser.parse_args(argv)

    try:
        return _command(args)
    except (JobMismatch, ValueError, EndpointDown) as exc:  # bad input: one line, not a traceback
        print(exc, file=sys.stderr)
        return 2


def _command(args: argparse.Namespace) -> int:
    if args.command == "export":
        print(export_batch(load_keywords(args.keywords), args.out, args.model, args.k))
        return 0
    if args.command == "import":
        for row in import_results(load_keywords(args.keywords), args.results, args.k):
            print(json.dumps(row, ensure_ascii=False))
        return 0
    import os

    key = os.environ.get(args.api_key_env) if args.api_key_env else None
    if not (args.model or args.cascade):
        raise ValueError(ERR_NO_MODEL_GIVEN)
    spec = parse_cascade(args.cascade) if args.cascade else [(args.model, False)]
    models = list(dict.fromkeys(model for model, _ in spec))
    endpoints = [
        Endpoint(url.rstrip("/"), model, args.api, slots=args.slots, api_key=key)
        for url in args.endpoint
        for model in models
    ]
    stages = build_stages(spec, endpoints[0], args.train) if args.cascade else None
    summary = run_job(
        args.keywords,
        args.out,
        endpoints,
        k=args.k,
        workers=args.workers,
        address=args.address,
        price_per_hour=args.price_per_hour,
        limit=args.limit,
        stages=stages,
        threshold=args.threshold,
    )
    print(MSG_DONE.format(**summary.as_dict()))
    if summary.done_now and summary.errors == summary.done_now:
        print(ERR_NOTHING_DONE.format(errors=summary.errors, result=summary.result), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
