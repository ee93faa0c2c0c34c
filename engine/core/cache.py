"""An on-disk cache of compiled shipped policies, so a cold ``coopcheck check`` skips parsing.

A compiled ruleset is stored as a pickle under a key that hashes everything it was built from:
the Python version, the text of the policy and of every shared rule module, and the source of
the code that parses and compiles (``dsl/`` and ``engine/``). Any change to any of them gives
a new key, so a cached ruleset is always the one compiling would give. A cache that cannot be
read or written is ignored: the policy is compiled as usual.

Where: ``$COOPCHECK_CACHE_DIR``, else ``$XDG_CACHE_HOME/coopcheck``, else
``~/.cache/coopcheck``. ``COOPCHECK_CACHE_DIR=off`` turns the cache off.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from pathlib import Path
from typing import Callable

import coopcheck.dsl
from coopcheck.core import paths
from coopcheck.core.ruleset import Ruleset

#: the code that parses and compiles: the language layer and the core (wherever the
#: installation put them: dsl/ and engine/core/ in a checkout, coopcheck/dsl and coopcheck/core in a wheel)
_CODE_DIRS = (Path(__file__).resolve().parent, Path(coopcheck.dsl.__file__).resolve().parent)


def cache_dir() -> Path | None:
    """The cache folder, or None when the cache is off."""
    chosen = os.environ.get("COOPCHECK_CACHE_DIR")
    if chosen:
        return None if chosen.lower() in ("off", "0", "no", "false") else Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "coopcheck"


def _key(policy_file: Path) -> str:
    digest = hashlib.sha256(sys.version.encode())
    sources = [policy_file, *sorted(paths.rules_dir().glob("*.rules"))]
    for folder in _CODE_DIRS:
        sources += sorted(folder.glob("*.py")) + sorted(folder.glob("*.lark"))
    for path in sources:
        digest.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:32]


def cached_ruleset(policy_file: Path, compile_it: Callable[[], Ruleset]) -> Ruleset:
    """The compiled ruleset of a shipped policy file: from the cache when it holds the one
    compiling would give, else compiled by ``compile_it`` and stored."""
    folder = cache_dir()
    if folder is None:
        return compile_it()
    try:
        target = folder / f"{policy_file.stem}-{_key(policy_file)}.pickle"
    except OSError:
        return compile_it()
    try:
        with open(target, "rb") as f:
            ruleset = pickle.load(f)
        if isinstance(ruleset, Ruleset):
            return ruleset
    except Exception:  # missing, unreadable or stale: compile instead
        pass
    ruleset = compile_it()  # compile errors propagate; nothing is stored
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            pickle.dump(ruleset, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, target)  # atomic: readers see the old file or the whole new one
    except OSError:
        pass
    return ruleset
