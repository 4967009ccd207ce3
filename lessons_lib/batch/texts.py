"""The keyword job's learner-facing strings, by the names its modules use (`ERR_JSON.format(text=...)`).

The strings themselves live in the message catalogue, `lessons_lib/messages/batch.py` (English and Polish side
by side); each name here fills its string in the current edition when it is formatted (`edition.use("pl")`).
The prompt the model reads is not here: it is in prompts.py, and stays the same in both editions.
"""

from __future__ import annotations

from typing import Any

from .. import edition


class Message:
    """One string of the catalogue's batch room; `format` (or `str`) gives it in the current edition."""

    def __init__(self, key: str):
        self.key = f"batch.{key}"

    def format(self, **fields: Any) -> str:
        return edition.text(self.key, **fields)

    def __str__(self) -> str:
        return self.format()

    def __repr__(self) -> str:
        return f"Message({self.key!r})"


# --- reading keywords (data.py)
ERR_SUFFIX = Message("err_suffix")
ERR_COLUMN = Message("err_column")
ERR_NO_FILE = Message("err_no_file")
ERR_NOT_UTF8 = Message("err_not_utf8")

# --- categories (prompts.py)
ERR_EMPTY = Message("err_empty")

# --- checking an answer (schema.py)
ERR_JSON = Message("err_json")
ERR_SHAPE = Message("err_shape")
ERR_COUNT = Message("err_count")
ERR_LABEL = Message("err_label")

# --- endpoints (endpoints.py)
ERR_KIND = Message("err_kind")
ERR_DOWN = Message("err_down")
ERR_STATUS = Message("err_status")
ERR_UNREACHABLE = Message("err_unreachable")
ERR_NO_MODEL = Message("err_no_model")
ERR_REFUSED = Message("err_refused")

# --- a row's error (router.py); its code (invalid_output:, no_endpoint:) is the same in every edition
ERR_INVALID = Message("err_invalid")
ERR_NO_ENDPOINT = Message("err_no_endpoint")

# --- the ledger (ledger.py)
ERR_MISMATCH = Message("err_mismatch")
ERR_DUPLICATE = Message("err_duplicate")

# --- the job (pipeline.py)
ERR_NO_ENDPOINTS = Message("err_no_endpoints")
ERR_K = Message("err_k")
ERR_ALL_DOWN = Message("err_all_down")
MSG_SKIPPED = Message("msg_skipped")
BAR = Message("bar")
MSG_RESUMED = Message("msg_resumed")

# --- OpenAI Batch files (openai_batch.py)
ERR_CUSTOM_ID = Message("err_custom_id")

# --- the command (python -m lessons_lib.batch)
MSG_DONE = Message("msg_done")
HELP_ENDPOINT = Message("help_endpoint")
ERR_NOTHING_DONE = Message("err_nothing_done")
ERR_NO_MODEL_GIVEN = Message("err_no_model_given")
HELP_CASCADE = Message("help_cascade")
HELP_THRESHOLD = Message("help_threshold")
HELP_TRAIN = Message("help_train")
