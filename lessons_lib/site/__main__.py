"""`python -m lessons_lib.site [--out DIR]`: what `make site` runs."""

import sys

from .build import main

sys.exit(main())
