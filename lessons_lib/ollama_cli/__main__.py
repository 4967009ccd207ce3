"""`python -m lessons_lib.ollama_cli ...`: what the `ollama` launcher on the course's PATH runs."""

import sys

from . import main

if __name__ == "__main__":
    sys.exit(main())
