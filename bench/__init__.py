"""Benchmarks: coopcheck against a dict-lookup floor, a naive loop, the reference evaluator and
other engines (Cedar, Casbin, Rego), and ``coopcheck check --json`` against its floor.

Run ``python -m bench`` from the repository root (``--quick`` for a smoke run,
``--check-only`` to check every answer without timing, ``--json FILE`` to keep the figures).
Every engine starts from the same scenario dicts and every answer is checked before any
timing starts. See ``bench/README.md``.
"""
