"""``coopcheck audit``: check a federation's logged data flows against the co-ops' policies.

A surface, like :mod:`coopcheck.cli` (docs/semantics.md §8): it reads event logs, decides each
distinct case once with the compiled policies and reports the denied flows. Nothing in the
library imports it.
"""
