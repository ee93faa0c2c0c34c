"""``python -m coopcheck`` runs the ``coopcheck`` command line."""

import sys

from coopcheck.cli.main import main

sys.exit(main())
