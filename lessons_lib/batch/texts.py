"""Every learner-facing string of the keyword job, in one place (the Polish edition translates this file).

Grouped by the module that shows them. The prompt the model reads is not here: it is in
prompts.py, and stays the same in both editions. Error codes at the start of a row's `error`
(`invalid_output:`, `no_endpoint:`) are data a learner filters on, so they stay as they are.
"""

# --- reading keywords (data.py)
ERR_SUFFIX = "Cannot read {path}: keywords come as {suffixes} (a 'keyword' column, or one per line)."
ERR_COLUMN = "{path} has no 'keyword' column (columns: {columns})."

# --- categories (prompts.py)
ERR_EMPTY = "A category set needs at least two categories, got {n}."

# --- checking an answer (schema.py)
ERR_JSON = "the answer is not JSON: {text!r}"
ERR_SHAPE = 'the answer is not {{"labels": [...]}}: {text!r}'
ERR_COUNT = "expected {want} labels, got {got}"
ERR_LABEL = "label {label!r} (keyword {index}) is not one of the categories"

# --- endpoints (endpoints.py)
ERR_KIND = "kind must be 'ollama' or 'openai', not {kind!r}"
ERR_DOWN = "{name}: {why}"
ERR_STATUS = "HTTP {status}: {body}"

# --- a row's error (router.py)
ERR_INVALID = "invalid_output: {why}"
ERR_NO_ENDPOINT = "no_endpoint: every endpoint is out of the job ({n} failures for this pack; last: {last})"

# --- the ledger (ledger.py)
ERR_MISMATCH = (
    "{out} holds another job ({field}: {old!r} there, {new!r} now). Use a new output folder, "
    "or delete this one to start over."
)
ERR_DUPLICATE = "the ledger holds pack {pack} twice: {files}"

# --- the job (pipeline.py)
ERR_NO_ENDPOINTS = "Give at least one endpoint (an Ollama or OpenAI-compatible server URL and a model)."
ERR_K = "k (keywords per request) must be between 1 and 200, not {k!r}"
BAR = "keywords"
MSG_RESUMED = "Resuming the job: {done:,} of {total:,} keywords were already done."

# --- OpenAI Batch files (openai_batch.py)
ERR_CUSTOM_ID = "line {line}: custom_id {custom_id!r} is not one of this job's packs"

# --- the command (python -m lessons_lib.batch)
MSG_DONE = (
    "{done_now:,} keywords classified now ({done_before:,} before), {errors:,} flagged; "
    "{items_per_s:.2f} keywords/s, {tokens_per_s:.1f} tokens/s. Result: {result}"
)
HELP_ENDPOINT = "server URL; repeat for several (Ollama root, or an OpenAI base URL ending in /v1)"
