"""``coopcheck audit``: registered here, implemented in :mod:`coopcheck.audit` (a surface of
its own, beside the CLI: see :mod:`coopcheck.audit.command`)."""

from coopcheck.audit.command import HELP, register, run

__all__ = ["HELP", "register", "run"]
