"""The keyword job's accuracy over the whole hand-labelled gold set, per pack size K.

Each K is one run of the job (Ray Data, the library's own `batch.score`) over every gold keyword,
in the gold file's order, on one endpoint at the slots it reports. Printed per K: accuracy,
invalid-output rate (keywords whose pack never gave a valid answer), keywords/s and prompt tokens
per keyword. Greedy decoding (temperature 0), so the accuracy is the same on any machine; the speed
is this machine's.

    python bench/batch_accuracy.py [-k 1 5 10 25] [--limit N] [--endpoint URL --model NAME]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import pandas as pd

from lessons_lib import batch
from lessons_lib.ollama_server import EmbeddedServer


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("-k", type=int, nargs="+", default=[1, 5, 10, 25])
    parser.add_argument("--limit", type=int, default=None, help="only the first N gold keywords")
    parser.add_argument("--endpoint", default=None)
    parser.add_argument("--model", default="smollm2:135m")
    args = parser.parse_args()
    gold = batch.gold_labels()
    keywords = list(gold)[: args.limit]
    server = None if args.endpoint else EmbeddedServer().start()
    url = args.endpoint or server.url
    rows = []
    try:
        endpoint = batch.Endpoint.ollama(url, args.model).with_slots()
        print(f"{len(keywords)} of {len(gold)} gold keywords, {args.model}, {endpoint.slots} slots")
        batch.start_ray(num_cpus=2)
        for k in args.k:
            load = os.getloadavg()[0]
            started = time.monotonic()
            with tempfile.TemporaryDirectory() as out:
                summary = batch.run_job(keywords, out, [endpoint], k=k, progress=False)
                scored = batch.score(pd.read_parquet(summary.result), gold)
            rows.append(
                {
                    "K": k,
                    "requests": -(-len(keywords) // k),
                    "accuracy": scored["accuracy"],
                    "invalid rate": scored["invalid_rate"],
                    "keywords/s": summary.items_per_s,
                    "prompt tokens/kw": summary.prompt_tokens / max(summary.done_now, 1),
                    "wall s": time.monotonic() - started,
                    "load before": load,
                }
            )
            print(pd.DataFrame(rows[-1:]).round(3).to_string(index=False), flush=True)
    finally:
        batch.stop_ray()
        if server is not None:
            server.stop()
    print()
    print(pd.DataFrame(rows).round(3).to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
