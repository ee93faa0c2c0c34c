"""Shared fixtures: the Hypothesis profiles, chosen by ``COOPCHECK_HYPOTHESIS_PROFILE``, and
``cli``, which runs ``coopcheck`` in-process.

- ``ci`` (the default): derandomized, no deadline, a bounded number of examples, so the whole
  suite runs the same way every time and well under ten minutes on two cores.
- ``thorough``: random, many more examples, for local runs:
  ``COOPCHECK_HYPOTHESIS_PROFILE=thorough python -m pytest -q tests``.
"""

from __future__ import annotations

import io
import os
import sys

import pytest
from hypothesis import HealthCheck, settings

PROFILE_VARIABLE = "COOPCHECK_HYPOTHESIS_PROFILE"

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=50,
    database=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    deadline=None,
    max_examples=1000,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)

PROFILES = ("ci", "thorough")


def _chosen_profile() -> str:
    return os.environ.get(PROFILE_VARIABLE, "").strip() or "ci"


def pytest_configure(config) -> None:
    """Load the profile ``COOPCHECK_HYPOTHESIS_PROFILE`` names (default ``ci``)."""
    profile = _chosen_profile()
    if profile not in PROFILES:
        raise pytest.UsageError(f"unknown hypothesis profile `{profile}` in {PROFILE_VARIABLE}: "
                                f"use {' or '.join(f'`{p}`' for p in PROFILES)}")
    settings.load_profile(profile)


def pytest_report_header(config) -> str:
    """Say which Hypothesis profile is active, and how to choose another."""
    current = settings.default
    return (f"hypothesis profile: {_chosen_profile()} (max_examples={current.max_examples}, "
            f"derandomize={current.derandomize}; set {PROFILE_VARIABLE}=ci|thorough)")


@pytest.fixture
def cli(capsys, monkeypatch):
    """Run ``coopcheck ARGV`` in-process: returns (exit code, stdout, stderr); never a traceback."""
    from coopcheck.cli.main import main

    def run(*argv: str, stdin: str | None = None) -> tuple[int, str, str]:
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse usage errors
            code = exc.code
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        return code, out, err

    return run
