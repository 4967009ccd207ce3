"""Local LLM Workbook: the helper package the lessons import.

from lessons_lib import connect
conn = connect()            # a real Ollama if one runs, else the embedded server
conn.client.chat(model="smollm2:135m", messages=[{"role": "user", "content": "Hi"}])
"""

from .connect import Connection, connect, disconnect

__version__ = "0.1.0"
__all__ = ["Connection", "connect", "disconnect", "__version__"]
