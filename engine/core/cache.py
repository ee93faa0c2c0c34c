"""An on-disk cache of compiled shipped policies, so a cold ``coopcheck check`` skips parsing.

A compiled ruleset is stored as a pickle under a key that hashes everything it was built from:
the Python version, the text of the policy and of every rule module it could import (each
``*.rules`` file under ``rules/`` and ``policies/``, the only places imports resolve to), and
the source of the code that parses and compiles (``dsl/`` and ``engine/core/``). An entry is
used only if every file its ruleset was compiled from (``Ruleset.files``) is one the key
covers. Any change to any of them gives a new key, so a cached ruleset is always the one
compiling would give.

A pickle runs code when loaded, so the cache trusts nothing it finds:

- the folder is used only if the current user owns it and nobody else can write to it
  (created with mode 0700), and each file read from it likewise; a FIFO, device, directory or
  symbolic link at an entry's path is skipped, never opened for reading or waited on;
- each entry ends with an HMAC-SHA256 tag under a per-user secret (32 random bytes in the
  file ``hmac-key``, mode 0600, created atomically); the tag is checked before anything is
  unpickled, so a planted, foreign, truncated or corrupt entry is never loaded: the policy
  is compiled and the entry rewritten;
- entries are written to a temporary file in the folder, synced and renamed into place
  (readers see the old entry or the whole new one); a failed write removes the temporary
  file.

A cache that cannot be trusted, read or written is ignored: the policy is compiled as usual.
The cache needs POSIX file ownership (it is off elsewhere). The parser keeps no cache on disk
(see :func:`coopcheck.dsl.parser.lark_parser`).

Where: ``$COOPCHECK_CACHE_DIR``, else ``$XDG_CACHE_HOME/coopcheck``, else
``~/.cache/coopcheck``. ``COOPCHECK_CACHE_DIR=off`` turns the cache off.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import pickle
import secrets
import stat
import sys
import tempfile
from pathlib import Path
from typing import Callable

import lark

import coopcheck.dsl
from coopcheck.core import paths
from coopcheck.core.ruleset import Ruleset

#: the code that parses and compiles: the language layer and the core (wherever the
#: installation put them: dsl/ and engine/core/ in a checkout, coopcheck/dsl and coopcheck/core in a wheel)
_CODE_DIRS = (Path(__file__).resolve().parent, Path(coopcheck.dsl.__file__).resolve().parent)

#: the file of the per-user secret that authenticates entries
KEY_FILE = "hmac-key"
_KEY_BYTES = 32
#: an entry is ``pickle ‖ tag ‖ _FOOTER``; the tag is HMAC-SHA256(secret, _FOOTER ‖ name ‖ NUL ‖ pickle)
_FOOTER = b"\ncoopcheck-cache/2\n"
_TAG_BYTES = hashlib.sha256().digest_size
#: larger files are not read (a shipped policy compiles to about 100 kB)
_MAX_ENTRY_BYTES = 64 * 1024 * 1024
#: ownership and O_NOFOLLOW are what make a folder trustworthy; without them, no cache
_SUPPORTED = hasattr(os, "getuid") and hasattr(os, "O_NOFOLLOW")


def cache_dir() -> Path | None:
    """The cache folder, or None when the cache is off."""
    chosen = os.environ.get("COOPCHECK_CACHE_DIR")
    if chosen:
        return None if chosen.lower() in ("off", "0", "no", "false") else Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "coopcheck"


def _rule_modules() -> list[Path]:
    """Every rule module an import can resolve to: imports stay inside rules/ and policies/."""
    found: set[Path] = set()
    for root in (paths.rules_dir(), paths.policies_dir()):
        found.update(p for p in root.rglob("*.rules") if p.is_file())
    return sorted(found, key=str)


def _key_and_sources(policy_file: Path) -> tuple[str, frozenset[str]]:
    """The key of a policy's entry, and the (resolved) rule files it covers."""
    digest = hashlib.sha256(b"\0".join(s.encode() for s in (
        sys.version, sys.implementation.cache_tag or "", str(pickle.HIGHEST_PROTOCOL), lark.__version__)))
    data = [policy_file, *_rule_modules()]
    code: list[Path] = []
    for folder in _CODE_DIRS:
        code += sorted(folder.glob("*.py")) + sorted(folder.glob("*.lark"))
    for path in data + code:
        digest.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:32], frozenset(str(p.resolve()) for p in data)


def _key(policy_file: Path) -> str:
    return _key_and_sources(policy_file)[0]


def cached_ruleset(policy_file: Path, compile_it: Callable[[], Ruleset]) -> Ruleset:
    """The compiled ruleset of a shipped policy file: from the cache when it holds the one
    compiling would give, else compiled by ``compile_it`` and stored."""
    folder = cache_dir()
    if folder is None or not _SUPPORTED:
        return compile_it()
    try:
        key, covered = _key_and_sources(policy_file)
    except OSError:
        return compile_it()
    name = f"{policy_file.stem}-{key}.pickle"
    ruleset = _load(folder, name, covered)
    if ruleset is not None:
        return ruleset
    ruleset = compile_it()  # compile errors propagate; nothing is stored
    if set(ruleset.files) <= covered:  # else it read a file the key does not cover: keep it out
        _store(folder, name, ruleset)
    return ruleset


# -- trust ------------------------------------------------------------------------------------

def _trusted(st: os.stat_result, private: bool = False) -> bool:
    """Owned by the current user and writable by no one else (``private``: not even readable)."""
    return st.st_uid == os.getuid() and not st.st_mode & (0o077 if private else 0o022)


def _trusted_folder(folder: Path) -> bool:
    try:
        st = os.stat(folder)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and _trusted(st)


def _read_trusted(path: Path, limit: int, private: bool = False) -> bytes | None:
    """The bytes of a regular file the current user owns and no one else can write, or None.
    A FIFO, device, directory or symbolic link is never opened for reading (so never waited
    on); a file that changes between the look and the open is checked again on its descriptor."""
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return None
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or not _trusted(st, private) or st.st_size > limit:
            return None
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            size += len(chunk)
        return None  # grew past the limit while being read
    except OSError:
        return None
    finally:
        os.close(fd)


def _secret(folder: Path, create: bool) -> bytes | None:
    """The per-user secret that authenticates entries; made when missing (or unusable) and
    ``create`` is set. Two processes making it at once agree on one: the secret is written
    to a temporary file and published with ``os.link``, which fails if the name exists."""
    path = folder / KEY_FILE
    secret = _read_trusted(path, _KEY_BYTES, private=True)
    if secret is not None and len(secret) == _KEY_BYTES:
        return secret
    if not create:
        return None
    fresh = secrets.token_bytes(_KEY_BYTES)
    if os.path.lexists(path):  # there, but not a private 32-byte file: replace it
        return fresh if _publish(folder, KEY_FILE, fresh, exclusive=False) else None
    if _publish(folder, KEY_FILE, fresh, exclusive=True):
        return fresh
    secret = _read_trusted(path, _KEY_BYTES, private=True)  # another process was first
    return secret if secret is not None and len(secret) == _KEY_BYTES else None


def _tag(secret: bytes, name: str, body: bytes) -> bytes:
    mac = hmac.new(secret, _FOOTER + name.encode() + b"\0", hashlib.sha256)
    mac.update(body)
    return mac.digest()


# -- entries ----------------------------------------------------------------------------------

def _load(folder: Path, name: str, covered: frozenset[str]) -> Ruleset | None:
    """The ruleset of a trusted, authenticated entry, or None. Nothing is unpickled before
    its tag is verified."""
    try:
        if not _trusted_folder(folder):
            return None
        secret = _secret(folder, create=False)
        if secret is None:
            return None
        entry = _read_trusted(folder / name, _MAX_ENTRY_BYTES)
        if entry is None or len(entry) < _TAG_BYTES + len(_FOOTER) or not entry.endswith(_FOOTER):
            return None
        body, tag = entry[:-_TAG_BYTES - len(_FOOTER)], entry[-_TAG_BYTES - len(_FOOTER):-len(_FOOTER)]
        if not hmac.compare_digest(tag, _tag(secret, name, body)):
            return None
        ruleset = pickle.loads(body)  # authenticated: written by this user's coopcheck
    except Exception:  # unreadable or undecodable: compile instead
        return None
    if not isinstance(ruleset, Ruleset) or not set(ruleset.files) <= covered:
        return None
    return ruleset


def _store(folder: Path, name: str, ruleset: Ruleset) -> None:
    """Store an entry; any failure leaves the cache as it was (and no temporary file)."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _trusted_folder(folder):
            return
        secret = _secret(folder, create=True)
        if secret is None:
            return
        body = pickle.dumps(ruleset, protocol=pickle.HIGHEST_PROTOCOL)
        _publish(folder, name, body + _tag(secret, name, body) + _FOOTER, exclusive=False)
    except Exception:
        pass


def _publish(folder: Path, name: str, data: bytes, exclusive: bool) -> bool:
    """Write ``data`` to ``folder/name`` whole or not at all: a temporary file in the same
    folder (mode 0600), synced, then renamed over the name (``exclusive``: linked to it,
    failing if it exists). The temporary file never outlives the call, whatever fails (a full
    disk, a directory at the name: the error propagates). Whether the name now holds ``data``."""
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".", suffix=".tmp")
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        if exclusive:
            try:
                os.link(tmp, folder / name)
            except FileExistsError:
                return False
        else:
            os.replace(tmp, folder / name)
            tmp = None
        return True
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
