"""``python -m engine`` runs the ``coopcheck`` command line."""

import sys

from .cli.main import main

sys.exit(main())
