"""The on-disk cache of compiled shipped policies: reused when valid, never trusted blindly."""

from __future__ import annotations

import pickle
import shutil

import pytest

from coopcheck.presentation.decision_json import decision_json
from coopcheck import decide, load_file, load_policy
from coopcheck.core import cache as cache_module
from coopcheck.core import paths


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("COOPCHECK_CACHE_DIR", str(folder))
    return folder


def test_first_load_stores_and_second_load_reuses(cache, monkeypatch):
    """The first load compiles and stores a pickle; the next load reads it without compiling,
    and decides exactly as a fresh compile."""
    first = load_policy("aizu")
    stored = list(cache.glob("aizu-*.pickle"))
    assert len(stored) == 1

    def no_compile(*args, **kwargs):
        raise AssertionError("compiled although the cache holds the policy")

    monkeypatch.setattr("coopcheck.core.api.load_file", no_compile)
    again = load_policy("aizu")
    assert again == first
    scenario = {"action": "share", "data": ["purchase_history"], "recipient": "jccu", "purpose": "delivery"}
    assert decision_json(decide(again, scenario)) == decision_json(decide(first, scenario))


def test_a_changed_rule_file_gives_a_new_key(cache, tmp_path, monkeypatch):
    """Editing a shipped rule file changes the key, so the stale pickle is never read."""
    rules = tmp_path / "rules"
    shutil.copytree(paths.rules_dir(), rules)
    monkeypatch.setattr(paths, "rules_dir", lambda: rules)
    policy = paths.policies_dir() / "aizu.policy"
    before = cache_module._key(policy)
    (rules / "appi.rules").write_text((rules / "appi.rules").read_text(encoding="utf-8") + "\n# edited\n",
                                      encoding="utf-8")
    assert cache_module._key(policy) != before


def test_a_corrupt_cache_file_is_ignored(cache):
    """A damaged pickle is not an error: the policy is compiled again and the file replaced."""
    load_policy("nara")
    (target,) = cache.glob("nara-*.pickle")
    target.write_bytes(b"not a pickle")
    ruleset = load_policy("nara")
    assert ruleset == load_file(paths.policies_dir() / "nara.policy")
    assert isinstance(pickle.loads(target.read_bytes()), type(ruleset))


def test_cache_can_be_turned_off(tmp_path, monkeypatch):
    """``COOPCHECK_CACHE_DIR=off`` writes nothing."""
    monkeypatch.setenv("COOPCHECK_CACHE_DIR", "off")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    load_policy("kuruko")
    assert cache_module.cache_dir() is None
    assert not any(tmp_path.rglob("*.pickle"))


def test_an_unwritable_cache_folder_still_loads(tmp_path, monkeypatch):
    """When the cache folder cannot be created, loading works as without a cache."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("COOPCHECK_CACHE_DIR", str(blocker / "cache"))
    assert load_policy("ibaraki").coop == "ibaraki"
