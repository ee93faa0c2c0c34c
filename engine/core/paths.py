"""Where the shipped rule files live: inside the installed package, or in the source tree."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # the coopcheck package (engine/ in a checkout)


def _data_dir(name: str) -> Path:
    installed = _PACKAGE / name  # the wheel maps rules/ and policies/ into coopcheck/
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / name  # running from a checkout


def rules_dir() -> Path:
    """The shared rule modules (vocabulary, law baseline)."""
    return _data_dir("rules")


def policies_dir() -> Path:
    """The shipped co-op policies and their rule-file tests."""
    return _data_dir("policies")


def shipped_policy_ids() -> list[str]:
    """Ids of the shipped policies, sorted."""
    return sorted(p.stem for p in policies_dir().glob("*.policy"))
