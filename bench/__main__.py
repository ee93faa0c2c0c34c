"""``python -m bench``: see :mod:`bench.run`."""

import sys

from .measure import Disagreement
from .run import main

try:
    sys.exit(main())
except Disagreement as err:
    print(f"error: {err}", file=sys.stderr)
    sys.exit(1)
