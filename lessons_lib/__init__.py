"""Local LLM Workbook: the helper package the lessons import.

from lessons_lib import connect
conn = connect()            # a real Ollama if one runs, else the embedded server
conn.client.chat(model="smollm2:135m", messages=[{"role": "user", "content": "Hi"}])
"""

import logging

__version__ = "0.1.0"
__all__ = ["Connection", "connect", "disconnect", "__version__"]

# Matplotlib's font manager logs warnings ("Matplotlib is building the font cache; this may take a
# moment.", findfont notes) to stderr, which a notebook saves as a stray line under a plot. Setup
# builds the cache (lessons_lib.install); a lesson never needs these lines.
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)

try:
    from .connect import Connection, connect, disconnect
except ModuleNotFoundError as missing:
    # Only before the course's dependencies are installed: `python -m lessons_lib.install` (standard
    # library only) must be able to run then. Anything else that is missing is a real error.
    if missing.name is None or missing.name.split(".")[0] == "lessons_lib":
        raise
