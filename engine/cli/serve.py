"""``coopcheck serve``: the decision service (:mod:`coopcheck.serve.command` does the work; the
service lives in :mod:`coopcheck.serve`, a surface beside the CLI that does not import it)."""

from coopcheck.serve.command import HELP, register, run

__all__ = ["HELP", "register", "run"]
