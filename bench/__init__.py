"""Benchmarks: coopcheck against a naive evaluator, a set-lookup floor and other engines.

Run ``python -m bench`` from the repository root (``--quick`` for a smoke run, ``--json
FILE`` to keep the figures). Every engine is given the same policy and every engine's
permit/deny is checked equal to coopcheck's on every scenario it is timed on before any
timing starts. See ``bench/README.md``.
"""
