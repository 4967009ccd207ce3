"""The keyword job: categorise many keywords, resumably, on Ray Data, against one or many endpoints.

    from lessons_lib import batch
    ep = batch.Endpoint.ollama(server_url, "smollm2:135m")
    summary = batch.run_job(batch.sample_path(), "out/", [ep], k=10)

From a shell: `python -m lessons_lib.batch run keywords.csv --out out/ --endpoint URL --model NAME`.
"""

from .accuracy import accuracy_above, gold_keywords, reliability, score
from .confidence import label_confidence
from .crash import Killed, run_and_kill
from .data import gold_labels, gold_path, load_keywords, sample_path
from .endpoints import Endpoint, EndpointDown, check_endpoint, discover_slots
from .ledger import JobMismatch, Ledger
from .local_ray import start_ray, stop_ray
from .openai_batch import export_batch, import_results
from .pipeline import JobSummary, run_job
from .prompts import CATEGORIES, Categories, pack_messages, system_prompt
from .router import Stage
from .schema import InvalidAnswer, pack_schema, parse

__all__ = [
    "gold_keywords",
    "reliability",
    "accuracy_above",
    "label_confidence",
    "Killed",
    "run_and_kill",
    "score",
    "gold_labels",
    "gold_path",
    "load_keywords",
    "sample_path",
    "Endpoint",
    "EndpointDown",
    "discover_slots",
    "check_endpoint",
    "JobMismatch",
    "Ledger",
    "export_batch",
    "import_results",
    "JobSummary",
    "run_job",
    "start_ray",
    "stop_ray",
    "CATEGORIES",
    "Categories",
    "pack_messages",
    "system_prompt",
    "InvalidAnswer",
    "Stage",
    "pack_schema",
    "parse",
]
