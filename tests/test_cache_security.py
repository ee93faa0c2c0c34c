"""The compiled-policy cache cannot be planted, and the parser keeps no cache of its own.

Every attack here is first shown to work against the thing it targets (a positive control:
the planted pickle really runs code when unpickled, a planted permissive policy really
changes the decision when it is accepted), then shown not to work against coopcheck.
"""

from __future__ import annotations

import errno
import json
import os
import pickle
import random
import shutil
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import attrs
import pytest

from coopcheck import decide, load_file, load_policy, load_string
from coopcheck.core import cache as cache_module
from coopcheck.core import paths
from coopcheck.presentation.decision_json import decision_json

#: aizu denies this (coop_kyosai is no joint user); the planted policy below permits it
DENIED = {"action": "share", "data": ["purchase_history"], "recipient": "coop_kyosai", "purpose": "delivery"}
PERMITTED = {"action": "share", "data": ["purchase_history"], "recipient": "jccu", "purpose": "delivery"}
SCENARIOS = (DENIED, PERMITTED, {"action": "use", "data": ["name"], "purpose": "delivery"})


def decisions(ruleset) -> list[dict]:
    return [decision_json(decide(ruleset, s)) for s in SCENARIOS]


def uncached(coop: str):
    return load_file(paths.policies_dir() / f"{coop}.policy")


def entry_path(folder: Path, coop: str) -> Path:
    policy = paths.policies_dir() / f"{coop}.policy"
    return folder / f"{coop}-{cache_module._key(policy)}.pickle"


class Gadget:
    """Unpickling this creates ``marker`` (a stand-in for any code an attacker likes)."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def gadget_bytes(marker: Path) -> bytes:
    data = pickle.dumps(Gadget(marker))
    pickle.loads(data)  # positive control: unpickling it does run code
    assert marker.exists()
    marker.rmdir()
    return data


def permissive_aizu():
    """A ruleset that calls itself aizu, claims aizu's files and permits what aizu denies."""
    ruleset = load_string("policy aizu\nimport vocabulary\nimport appi\n"
                          "purchase history may be shared with coop_kyosai for delivery purposes  [planted]\n",
                          name="aizu")
    ruleset = attrs.evolve(ruleset, files=uncached("aizu").files)
    assert decision_json(decide(ruleset, DENIED))["decision"] == "permit"
    return ruleset


def entry_bytes(ruleset, name: str, secret: bytes) -> bytes:
    """An entry in the cache's own format, authenticated with ``secret``."""
    body = pickle.dumps(ruleset, protocol=pickle.HIGHEST_PROTOCOL)
    return body + cache_module._tag(secret, name, body) + cache_module._FOOTER


def leftovers(folder: Path) -> list[str]:
    """Files in the cache folder other than the secret and entries: temporary files."""
    return sorted(p.name for p in folder.iterdir() if p.name != cache_module.KEY_FILE
                  and not p.name.endswith(".pickle"))


class Compiles:
    """A ``compile_it`` that counts its calls and returns a fresh compile."""

    def __init__(self, coop: str):
        self.fresh = uncached(coop)
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return self.fresh


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("COOPCHECK_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def expected():
    return decisions(uncached("aizu"))


def run_python(code: str, env: dict, timeout: float = 120) -> subprocess.CompletedProcess:
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env={**os.environ, **env},
                         capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, out.stderr
    return out


# ---- planted code -------------------------------------------------------------------------

@pytest.mark.parametrize("with_footer", [False, True], ids=["bare pickle", "forged footer"])
def test_a_planted_pickle_in_the_cache_folder_never_runs(cache, expected, tmp_path, with_footer):
    """A pickle that runs code, planted under the entry's exact name, is never unpickled:
    nothing runs, the decision is the compiled one, and the entry is replaced."""
    marker = tmp_path / "pwned"
    load_policy("aizu")  # the folder, its secret and a real entry exist
    target = entry_path(cache, "aizu")
    planted = gadget_bytes(marker)
    if with_footer:
        planted += os.urandom(32) + cache_module._FOOTER
    target.write_bytes(planted)
    assert decisions(load_policy("aizu")) == expected
    assert not marker.exists()
    assert target.read_bytes() != planted  # recompiled and stored again
    assert decisions(load_policy("aizu")) == expected and not marker.exists()


def test_a_planted_pickle_in_a_fresh_folder_never_runs(cache, expected, tmp_path):
    """Planted before coopcheck ever ran (no secret yet): still never unpickled."""
    marker = tmp_path / "pwned"
    cache.mkdir(mode=0o700)
    entry_path(cache, "aizu").write_bytes(gadget_bytes(marker))
    assert decisions(load_policy("aizu")) == expected
    assert not marker.exists()


def test_a_planted_pickle_in_the_temporary_folder_never_runs(tmp_path):
    """Lark's own cache (a pickle under a predictable name in $TMPDIR, unpickled before any
    check) is not used: a gadget planted there runs when the parser is built from the grammar
    with ``cache=True`` — shown first — and never with coopcheck's parser (made from the LALR
    tables shipped as JSON in the package), which writes nothing to the temporary folder either."""
    shared_tmp = tmp_path / "tmp"
    shared_tmp.mkdir()
    marker = tmp_path / "pwned"
    env = {"TMPDIR": str(shared_tmp), "COOPCHECK_CACHE_DIR": "off"}
    with_lark_cache = """
        import lark
        build = lark.Lark.__init__
        lark.Lark.__init__ = lambda self, *a, **k: build(self, *a, **{**k, "cache": True})
        from coopcheck.dsl import tables
        from coopcheck.dsl.parser import build_lark_parser
        build_lark_parser(tables.grammar_text()).parse("name may be used for delivery  [1]")
    """
    run_python(with_lark_cache, env)  # what the parser did before: Lark writes its pickle
    planted = sorted(shared_tmp.iterdir())
    assert planted, "Lark's cache file was expected in the temporary folder"
    gadget = gadget_bytes(marker)
    for path in planted:  # keep Lark's header line (the grammar's hash), then the gadget
        path.write_bytes(path.read_bytes().split(b"\n", 1)[0] + b"\n" + gadget)
    run_python(with_lark_cache, env)
    assert marker.exists(), "positive control: Lark's cache loader runs the planted pickle"
    marker.rmdir()
    before = {p.name: p.read_bytes() for p in shared_tmp.iterdir()}
    out = run_python("""
        from coopcheck.dsl.parser import ast_parser, lark_parser, parse
        from coopcheck import load_policy, decide
        parse("name may be used for delivery  [1]")
        assert not lark_parser().options.cache and not ast_parser()[0].options.cache
        print(decide(load_policy("aizu"), action="use", data=["name"], purpose="delivery").decision)
    """, env)
    assert out.stdout.strip() == "permit"
    assert not marker.exists()
    assert {p.name: p.read_bytes() for p in shared_tmp.iterdir()} == before


# ---- planted policies and corruption ------------------------------------------------------

def test_a_planted_permissive_policy_is_not_used(cache, expected):
    """A ruleset that permits what aizu denies, planted under the right name — as a bare
    pickle, or in the entry format under another secret — is not used. (Under this user's
    secret it would be: only this user can write that, and only into a folder they own.)"""
    load_policy("aizu")
    target = entry_path(cache, "aizu")
    permissive = permissive_aizu()
    secret = (cache / cache_module.KEY_FILE).read_bytes()
    for planted in (pickle.dumps(permissive),
                    entry_bytes(permissive, target.name, os.urandom(32)),
                    entry_bytes(permissive, target.name.replace("aizu", "nara", 1), secret)):
        target.write_bytes(planted)
        assert decisions(load_policy("aizu")) == expected
    target.write_bytes(entry_bytes(permissive, target.name, secret))  # positive control
    assert decision_json(decide(load_policy("aizu"), DENIED))["decision"] == "permit"


def test_an_entry_claiming_a_file_the_key_does_not_cover_is_not_used(cache, expected, tmp_path):
    """Even authenticated, an entry whose ruleset was compiled from a file outside the key
    (which could have changed unseen) is not used."""
    load_policy("aizu")
    target = entry_path(cache, "aizu")
    secret = (cache / cache_module.KEY_FILE).read_bytes()
    fresh = uncached("aizu")
    stray = attrs.evolve(permissive_aizu(), files=(str(tmp_path / "elsewhere.rules"), *fresh.files))
    target.write_bytes(entry_bytes(stray, target.name, secret))
    assert decisions(load_policy("aizu")) == expected


def test_no_single_byte_corruption_of_an_entry_is_decided_from(cache, expected):
    """Flip bytes of a real entry, one position at a time (the head, the tag and footer
    whole, and a few hundred positions between), and truncate or extend it: the entry is
    never used — the policy is compiled and decides exactly as uncached."""
    compile_it = Compiles("aizu")
    policy = paths.policies_dir() / "aizu.policy"
    cache_module.cached_ruleset(policy, compile_it)
    target = entry_path(cache, "aizu")
    original = target.read_bytes()
    assert cache_module.cached_ruleset(policy, compile_it) is not compile_it.fresh  # a real hit
    tail = len(original) - 48 - len(cache_module._FOOTER)
    rng = random.Random(20240401)
    positions = sorted({*range(64), *range(tail, len(original)), *rng.sample(range(64, tail), 300)})
    damaged = [original[:p] + bytes([original[p] ^ (0xFF if p % 2 else 1 << p % 8)]) + original[p + 1:]
               for p in positions]
    damaged += [original[:n] for n in (0, 1, 2, tail, len(original) - 1, *rng.sample(range(len(original)), 40))]
    damaged += [original + b"\0", original + original[-50:]]
    for i, bad in enumerate(damaged):
        target.write_bytes(bad)
        before = compile_it.calls
        ruleset = cache_module.cached_ruleset(policy, compile_it)
        assert compile_it.calls == before + 1, f"damaged entry #{i} was used"
        assert ruleset is compile_it.fresh
    assert decisions(compile_it.fresh) == expected
    assert decisions(load_policy("aizu")) == expected


# ---- special files --------------------------------------------------------------------------

@pytest.mark.parametrize("at", ["entry", "key"])
def test_a_fifo_in_the_cache_does_not_hang(cache, expected, at):
    """A FIFO at the entry's path (or the secret's) is skipped, not waited on."""
    load_policy("aizu")  # a secret, so that the entry is looked at
    target = entry_path(cache, "aizu") if at == "entry" else cache / cache_module.KEY_FILE
    target.unlink()
    os.mkfifo(target, 0o600)
    out = run_python("""
        import json
        from coopcheck import load_policy, decide
        from coopcheck.presentation.decision_json import decision_json
        print(json.dumps(decision_json(decide(load_policy("aizu"), %r))))
    """ % (DENIED,), {"COOPCHECK_CACHE_DIR": str(cache)}, timeout=60)
    assert json.loads(out.stdout) == expected[0]
    assert leftovers(cache) == []


def test_a_directory_or_symlink_at_the_entry_path_is_skipped(cache, expected, tmp_path):
    load_policy("aizu")
    target = entry_path(cache, "aizu")
    elsewhere = tmp_path / "elsewhere.pickle"
    shutil.move(target, elsewhere)  # a valid entry, but reached through a link
    target.symlink_to(elsewhere)
    compile_it = Compiles("aizu")
    policy = paths.policies_dir() / "aizu.policy"
    assert cache_module.cached_ruleset(policy, compile_it) is compile_it.fresh
    target.unlink()
    target.mkdir()
    assert cache_module.cached_ruleset(policy, compile_it) is compile_it.fresh
    assert compile_it.calls == 2 and target.is_dir()
    assert leftovers(cache) == []  # no temporary file


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="mknod needs root")
def test_a_device_at_the_entry_path_is_not_opened(cache, expected):
    load_policy("aizu")
    entry_path(cache, "aizu").unlink()
    try:
        os.mknod(entry_path(cache, "aizu"), stat.S_IFCHR | 0o600, os.makedev(1, 3))  # like /dev/null
    except OSError as err:
        pytest.skip(f"cannot make a device here: {err}")
    assert decisions(load_policy("aizu")) == expected


# ---- whose folder -----------------------------------------------------------------------------

@pytest.mark.parametrize("mode", [0o777, 0o770, 0o1777, 0o722])
def test_a_folder_others_can_write_is_not_used(cache, expected, tmp_path, mode):
    """Neither read (a planted gadget stays inert) nor written."""
    marker = tmp_path / "pwned"
    load_policy("aizu")
    target = entry_path(cache, "aizu")
    target.write_bytes(gadget_bytes(marker))
    os.chmod(cache, mode)
    try:
        compile_it = Compiles("aizu")
        policy = paths.policies_dir() / "aizu.policy"
        assert cache_module.cached_ruleset(policy, compile_it) is compile_it.fresh
        assert decisions(load_policy("aizu")) == expected
        assert not marker.exists()
        assert target.read_bytes() == gadget_bytes(marker)  # not rewritten either
    finally:
        os.chmod(cache, 0o700)


def test_a_folder_owned_by_someone_else_is_not_used(cache, expected, monkeypatch):
    load_policy("aizu")
    entries = {p.name: p.read_bytes() for p in cache.iterdir()}
    real_uid = os.getuid()
    monkeypatch.setattr(os, "getuid", lambda: real_uid + 4242)
    compile_it = Compiles("aizu")
    policy = paths.policies_dir() / "aizu.policy"
    assert cache_module.cached_ruleset(policy, compile_it) is compile_it.fresh
    load_policy("nara")
    assert {p.name: p.read_bytes() for p in cache.iterdir()} == entries  # nothing stored


@pytest.mark.parametrize("change", ["entry writable by others", "entry owned by another user",
                                    "secret readable by others"])
def test_a_file_others_could_have_written_is_not_used(cache, expected, change):
    """Inside a trusted folder, an entry others can write (or do own) is not read; a secret
    others can read is not used, and is replaced by a new one on the next store."""
    load_policy("aizu")
    target = entry_path(cache, "aizu")
    key = cache / cache_module.KEY_FILE
    if change == "entry writable by others":
        os.chmod(target, 0o666)
    elif change == "entry owned by another user":
        if os.geteuid() != 0:
            pytest.skip("chown needs root")
        os.chown(target, 4242, 4242)
    else:
        os.chmod(key, 0o644)
    old_secret = key.read_bytes()
    compile_it = Compiles("aizu")
    policy = paths.policies_dir() / "aizu.policy"
    assert cache_module.cached_ruleset(policy, compile_it) is compile_it.fresh
    st = os.stat(target)
    assert st.st_uid == os.getuid() and stat.S_IMODE(st.st_mode) == 0o600  # stored again
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    if change == "secret readable by others":
        assert key.read_bytes() != old_secret
    assert cache_module.cached_ruleset(policy, compile_it) is not compile_it.fresh  # and used
    assert decisions(load_policy("aizu")) == expected


def test_the_folder_and_its_files_are_private(cache):
    load_policy("aizu")
    assert stat.S_IMODE(os.stat(cache).st_mode) == 0o700
    for path in cache.iterdir():
        st = os.lstat(path)
        assert stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600
    assert len((cache / cache_module.KEY_FILE).read_bytes()) == 32


# ---- the key ---------------------------------------------------------------------------------

@pytest.fixture
def roots(tmp_path, monkeypatch):
    """A copy of the shipped rule roots with a policy ``demo`` that imports a module from
    policies/ by name and one from a subfolder by path."""
    rules, policies = tmp_path / "roots" / "rules", tmp_path / "roots" / "policies"
    shutil.copytree(paths.rules_dir(), rules)
    (policies / "sub").mkdir(parents=True)
    (policies / "demo.policy").write_text('policy demo\nimport vocabulary\nimport appi\nimport extra\n'
                                          'import "sub/deep.rules"\n', encoding="utf-8")
    (policies / "extra.rules").write_text("module extra\nimport vocabulary\npurchase history may be shared "
                                          "with coop_kyosai for delivery purposes  [extra 1]\n", encoding="utf-8")
    (policies / "sub" / "deep.rules").write_text("module deep\nimport vocabulary\n"
                                                 "name may be used for delivery  [deep 1]\n", encoding="utf-8")
    monkeypatch.setattr(paths, "rules_dir", lambda: rules)
    monkeypatch.setattr(paths, "policies_dir", lambda: policies)
    return policies


def test_a_changed_imported_module_changes_the_key(cache, roots):
    """Modules a policy imports from policies/ (by name, or by path from a subfolder) are
    part of the key, so an edit to them is never answered from a stale entry."""
    policy = roots / "demo.policy"
    assert load_policy("demo").files[-3:-1] == (str(roots / "extra.rules"), str(roots / "sub" / "deep.rules"))
    assert decide(load_policy("demo"), DENIED).decision == "permit"
    keys = {cache_module._key(policy)}
    for module, text in (("extra.rules", "module extra\nimport vocabulary\n"),
                         ("sub/deep.rules", "module deep\nimport vocabulary\n")):
        (roots / module).write_text(text, encoding="utf-8")
        keys.add(cache_module._key(policy))
    assert len(keys) == 3
    assert decide(load_policy("demo"), DENIED).decision == "deny"
    assert decide(load_policy("demo"), action="use", data=["name"], purpose="delivery").decision == "deny"


def test_a_policy_reading_a_file_the_key_does_not_cover_is_not_stored(cache, roots):
    """A module imported by path under another extension is outside the key: the policy is
    compiled every time rather than answered from an entry that could go stale."""
    (roots / "sub" / "deep.rules").rename(roots / "sub" / "deep.mod")
    (roots / "demo.policy").write_text('policy demo\nimport vocabulary\nimport "sub/deep.mod"\n', encoding="utf-8")
    assert decide(load_policy("demo"), action="use", data=["name"], purpose="delivery").decision == "permit"
    assert not list(cache.glob("demo-*.pickle"))
    (roots / "sub" / "deep.mod").write_text("module deep\nimport vocabulary\n", encoding="utf-8")
    assert decide(load_policy("demo"), action="use", data=["name"], purpose="delivery").decision == "deny"


def test_the_python_version_is_part_of_the_key(monkeypatch):
    policy = paths.policies_dir() / "aizu.policy"
    before = cache_module._key(policy)
    monkeypatch.setattr(sys, "version", sys.version + " (another build)")
    assert cache_module._key(policy) != before


# ---- writing ---------------------------------------------------------------------------------

@pytest.mark.parametrize("fails", ["write", "fsync"])
@pytest.mark.parametrize("secret_exists", [True, False], ids=["secret there", "no secret yet"])
def test_a_full_disk_leaves_no_temporary_file(cache, expected, monkeypatch, fails, secret_exists):
    """ENOSPC while writing the entry (or the secret): the policy is still returned, and no
    temporary file is left behind."""
    if secret_exists:
        load_policy("aizu")
        entry_path(cache, "aizu").unlink()
    else:
        cache.mkdir(mode=0o700)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with monkeypatch.context() as patch:
        patch.setattr(os, fails, full)
        ruleset = load_policy("aizu")
    assert decisions(ruleset) == expected
    assert leftovers(cache) == []
    assert not list(cache.glob("*.pickle"))
    assert (cache / cache_module.KEY_FILE).exists() == secret_exists
    assert decisions(load_policy("aizu")) == expected  # the disk has room again: stored
    assert len(list(cache.glob("aizu-*.pickle"))) == 1 and leftovers(cache) == []


def test_eight_processes_filling_the_cache_at_once(cache, expected):
    """Eight processes start on an empty cache at the same moment (they race to make the
    secret and to store the entry), then eight more read it: every one decides correctly,
    and the folder ends with one secret, one entry and nothing else."""
    script = """
        import json, sys, time
        from coopcheck import load_policy, decide
        from coopcheck.presentation.decision_json import decision_json
        start = float(sys.argv[1])
        time.sleep(max(0.0, start - time.time()))
        ruleset = load_policy("aizu")
        print(json.dumps([decision_json(decide(ruleset, s)) for s in %r]))
    """ % (SCENARIOS,)
    env = {**os.environ, "COOPCHECK_CACHE_DIR": str(cache)}
    for _ in range(2):
        start = time.time() + 3
        procs = [subprocess.Popen([sys.executable, "-c", textwrap.dedent(script), str(start)], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(8)]
        for proc in procs:
            out, err = proc.communicate(timeout=180)
            assert proc.returncode == 0, err
            assert json.loads(out) == expected
        assert sorted(p.name for p in cache.iterdir()) == sorted([cache_module.KEY_FILE,
                                                                  entry_path(cache, "aizu").name])
