"""The policies a decision service serves, recompiled in the background when their files change.

A :class:`PolicyStore` holds one immutable :class:`Snapshot`: the compiled policies by id
(each a :class:`Policy` with its revision) and the problems of the files that do not compile.
A request reads the snapshot once, so everything it decides is decided by one set of
revisions. A poll (:meth:`PolicyStore.check`, every second on a background thread) looks at the
modification time, size and inode of every policy file, of every module it imports and of
their folders; a policy whose files changed is compiled again off the request path and, if it
compiles, swapped in by replacing the snapshot (one reference assignment). A file that no
longer compiles leaves the last good version serving; its diagnostics are kept in the
snapshot's ``problems`` (``/health`` shows them) and written to the server log.

A *revision* names exactly what a policy was compiled from: the first 16 hex digits of the
SHA-256 of each compiled file's name and text (the policy and every module it imports), so the
same files give the same revision on any machine and any edit gives a new one.

>>> store = PolicyStore(shipped_sources())
>>> p = store.snapshot.policies["aizu"]
>>> p.id, p.name, len(p.revision)
('aizu', '生活協同組合コープあいづ', 16)
>>> store.check()            # nothing changed
[]
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
import time
from pathlib import Path
from typing import Callable, Iterable

from attrs import field, frozen

from coopcheck.dsl.codes import Code
from coopcheck.dsl.errors import CoopcheckError, Diagnostic, did_you_mean
from coopcheck.core import paths
from coopcheck.core.compiler import compile_modules
from coopcheck.core.evaluator import Evaluator, evaluator_for
from coopcheck.core.loader import load
from coopcheck.core.ruleset import Ruleset
from coopcheck.core.search import search

log = logging.getLogger("coopcheck.serve")

#: How many hex digits of the SHA-256 name a revision.
REVISION_DIGITS = 16


@frozen
class Source:
    """A policy file or a folder of ``*.policy`` files to serve (``shipped``: one of the
    policies that ship with coopcheck; a policy named on the command line with the same id
    replaces it)."""

    path: str
    shipped: bool = False


@frozen
class Policy:
    """One compiled policy as served: its id, name, ruleset, revision and when it was loaded."""

    id: str
    name: str | None
    ruleset: Ruleset = field(repr=False)
    revision: str
    loaded_at: float
    source: str
    files: tuple[str, ...]
    shipped: bool = False

    @property
    def evaluator(self) -> Evaluator:
        """The evaluator (decision tables, caches) of this revision."""
        return evaluator_for(self.ruleset)

    def to_json(self) -> dict:
        """``{"id", "name", "revision", "loaded_at", "source", "files", "shipped", "rules"}``."""
        return {"id": self.id, "name": self.name, "revision": self.revision, "loaded_at": iso_time(self.loaded_at),
                "source": self.source, "files": list(self.files), "shipped": self.shipped,
                "rules": len(self.ruleset.rules)}


@frozen
class Problem:
    """A policy file that does not compile (or cannot be served): its diagnostics, since when,
    and the revision still serving in its place (None: nothing from this file is served)."""

    source: str
    message: str
    diagnostics: tuple[dict, ...] = ()
    since: float = 0.0
    serving: str | None = None
    policy: str | None = None

    def to_json(self) -> dict:
        """``{"source", "message", "diagnostics", "since", "serving", "policy"}``."""
        return {"source": self.source, "message": self.message, "diagnostics": list(self.diagnostics),
                "since": iso_time(self.since), "serving": self.serving, "policy": self.policy}


@frozen
class Snapshot:
    """What the service serves at one moment: policies by id and the files' problems."""

    policies: dict = field(factory=dict)  # id -> Policy (never mutated once published)
    problems: dict = field(factory=dict)  # source path -> Problem
    generation: int = 0

    def ids(self) -> list[str]:
        """The served policy ids, sorted."""
        return sorted(self.policies)

    def resolve(self, name: str, lists: bool = True) -> list[Policy]:
        """The policies ``name`` names: ``all`` (any case), or one id, co-op's name or alias —
        or, with ``lists`` (the ``?coop=`` of a URL, as the CLI's ``--coop``), a list of them
        (``aizu,kuruko``); never a file path. A scenario's own ``coop`` names one co-op or all,
        as everywhere (docs/input.md). Raises E402 for a name that names no served policy."""
        names = coop_names(name) if lists else (None if name.strip().lower() == "all" else [name])
        if names is None:
            return [self.policies[i] for i in self.ids()]
        if not names:
            raise CoopcheckError([Diagnostic(Code.E403, "no co-op given", None, "e.g. `aizu` or `all`")])
        out: dict[str, Policy] = {}
        for one in names:
            for policy in self._resolve_one(one):
                out.setdefault(policy.id, policy)
        return list(out.values())

    def _resolve_one(self, name: str) -> list[Policy]:
        key = name.strip()
        if key in self.policies:
            return [self.policies[key]]
        for policy in self.policies.values():  # the shared vocabulary knows the co-ops' names
            try:
                found = policy.ruleset.vocabulary.resolve(key, "coop", plurals=False)
            except LookupError:
                continue
            if found in self.policies:
                return [self.policies[found]]
        raise CoopcheckError([Diagnostic(Code.E402, f"unknown co-op `{_quote(name)}`", None, self._hint(key))])

    def _hint(self, key: str) -> str:
        ids = self.ids()
        for policy in self.policies.values():
            vocab = policy.ruleset.vocabulary
            hits = [h.id for h in search(vocab, key, "coop") if h.id in self.policies]
            if hits:
                return f"did you mean `{hits[0]}` ({vocab.terms[hits[0]].label})?"
            break
        return did_you_mean(key, ids) or "served policies: " + ", ".join(ids)


def coop_names(coop: str) -> list[str] | None:
    """The co-ops a ``coop`` field names: None for ``all``, else the names of the list (split
    at commas, 、 and "and", as ``coopcheck check`` reads a list).

    >>> coop_names("ALL"), coop_names("aizu, kuruko"), coop_names("コープあいづ、コープクルコ")
    (None, ['aizu', 'kuruko'], ['コープあいづ', 'コープクルコ'])
    """
    if coop.strip().lower() == "all":
        return None
    parts = re.split(r"\s*[,，、]\s*|\s+and\s+|\s+及び\s*|\s*および\s*", coop.strip())
    return [p.strip() for p in parts if p.strip()]


def _quote(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def iso_time(epoch: float) -> str:
    """An epoch time as RFC 3339 UTC with milliseconds (``2026-11-30T17:14:11.123Z``)."""
    whole = int(epoch)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{int((epoch - whole) * 1000):03d}Z"


def revision_of(named_texts: Iterable[tuple[str, str]]) -> str:
    """The revision of compiled files given as ``(path, text)``: their names and texts hashed.

    >>> revision_of([("/a/x.policy", "policy x\\n")]) == revision_of([("/b/x.policy", "policy x\\n")])
    True
    """
    h = hashlib.sha256()
    for path, text in named_texts:
        for part in (os.path.basename(path).encode("utf-8"), text.encode("utf-8", "surrogatepass")):
            h.update(len(part).to_bytes(8, "big"))
            h.update(part)
    return h.hexdigest()[:REVISION_DIGITS]


def compile_policy(path: str) -> tuple[Ruleset, str]:
    """Compile a policy file; returns the ruleset and its revision (raises CoopcheckError)."""
    modules = load(Path(path))
    ruleset = compile_modules(modules)
    return ruleset, revision_of((m.path, m.source) for m in modules)


def _stat_key(path: str) -> tuple:
    try:
        st = os.stat(path)
    except OSError:
        return (path, None)
    return (path, st.st_mtime_ns, st.st_size, st.st_ino)


def shipped_sources() -> list[Source]:
    """The shipped policies as sources."""
    return [Source(str(paths.policies_dir() / f"{pid}.policy"), shipped=True) for pid in paths.shipped_policy_ids()]


class PolicyStore:
    """The served policies; see the module docstring. ``sources`` are policy files and folders
    (a folder serves each ``*.policy`` file in it, including files added later)."""

    def __init__(self, sources: Iterable[Source], *, on_reload: Callable[[str, bool], None] | None = None,
                 clock: Callable[[], float] = time.time):
        self.sources = tuple(sources)
        self._on_reload = on_reload or (lambda source, ok: None)
        self._clock = clock
        self._lock = threading.Lock()  # one writer at a time; readers never wait
        self._fingerprints: dict[str, tuple] = {}  # policy file -> what was looked at when it was compiled
        self._by_source: dict[str, Policy] = {}  # policy file -> last good version
        self._problems: dict[str, Problem] = {}
        self._generation = 0
        self._snapshot = Snapshot()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.check(initial=True)

    @property
    def snapshot(self) -> Snapshot:
        """The current snapshot (read it once per request)."""
        return self._snapshot

    # ---- the files -------------------------------------------------------------------------
    def policy_files(self) -> list[tuple[str, bool]]:
        """Every policy file served now: ``(absolute path, shipped)``, shipped ones first."""
        out: dict[str, bool] = {}
        for src in self.sources:
            path = os.path.abspath(src.path)
            if os.path.isdir(path):
                for name in sorted(os.listdir(path)):
                    if name.endswith(".policy") and os.path.isfile(os.path.join(path, name)):
                        out.setdefault(os.path.join(path, name), src.shipped)
            else:
                out.setdefault(path, src.shipped)
        return sorted(out.items(), key=lambda kv: (not kv[1], kv[0]))

    def _fingerprint(self, path: str) -> tuple:
        policy = self._by_source.get(path)
        files = [path, *(policy.files if policy else ())]
        folders = sorted({os.path.dirname(f) for f in files})
        return tuple(_stat_key(f) for f in dict.fromkeys(files)) + tuple(_stat_key(d) for d in folders)

    # ---- polling ---------------------------------------------------------------------------
    def check(self, initial: bool = False) -> list[str]:
        """Look at every policy file once; recompile those that changed and publish a new
        snapshot if anything did. Returns the files compiled again."""
        with self._lock:
            changed = []
            files = self.policy_files()
            present = {p for p, _ in files}
            for path, shipped in files:
                fp = self._fingerprint(path)
                if self._fingerprints.get(path) == fp:
                    continue
                changed.append(path)
                self._compile(path, shipped, initial)
                self._fingerprints[path] = self._fingerprint(path)
            for gone in [p for p in self._fingerprints if p not in present]:
                # a file that disappeared keeps its last good version serving, and says so
                del self._fingerprints[gone]
                changed.append(gone)
                old = self._by_source.get(gone)
                self._problem(gone, f"policy file `{gone}` is missing", (), old)
            if changed or initial:
                self._publish()
            return changed

    def _compile(self, path: str, shipped: bool, initial: bool) -> None:
        old = self._by_source.get(path)
        try:
            ruleset, revision = compile_policy(path)
        except CoopcheckError as err:
            self._failed(path, f"`{path}` does not compile", tuple(d.to_json() for d in err.diagnostics), old,
                         err.render(), initial)
            return
        except (OSError, UnicodeError, RecursionError, ValueError) as err:  # unreadable in some other way
            self._failed(path, f"`{path}` cannot be compiled: {err}", (), old, "", initial)
            return
        if ruleset.coop is None:
            self._problem(path, f"`{path}` is a rule module, not a policy (no `policy NAME` line)", (), old)
            return
        self._problems.pop(path, None)
        if old is not None and old.revision == revision and old.id == ruleset.coop:
            return  # touched, not changed
        self._by_source[path] = Policy(ruleset.coop, ruleset.name, ruleset, revision, self._clock(), path,
                                       tuple(ruleset.files), shipped)
        if not initial:
            log.info("policy %s reloaded from %s: revision %s", ruleset.coop, path, revision)
            self._on_reload(path, True)

    def _failed(self, path: str, message: str, diags: tuple, old: Policy | None, rendered: str,
                initial: bool) -> None:
        prior = self._problems.get(path)
        if prior is not None and (prior.message, prior.diagnostics) == (message, diags):
            return  # looked at again (its folder changed), failing as before: already told
        self._problem(path, message, diags, old, rendered)
        if not initial:
            self._on_reload(path, False)

    def _problem(self, path: str, message: str, diags: tuple, old: Policy | None, rendered: str = "") -> None:
        serving = old.revision if old else None
        self._problems[path] = Problem(path, message, diags, self._clock(), serving, old.id if old else None)
        if old is not None:
            log.error("%s; still serving %s revision %s\n%s", message, old.id, old.revision, rendered)
        else:
            log.error("%s; nothing from it is served\n%s", message, rendered)

    def _publish(self) -> None:
        policies: dict[str, Policy] = {}
        problems = dict(self._problems)
        # named files first claim their ids over shipped ones; among named files, the first wins
        order = sorted(self._by_source.items(), key=lambda kv: (kv[1].shipped, kv[0]))
        for path, policy in order:
            if policy.id in policies:
                winner = policies[policy.id]
                if not (policy.shipped and not winner.shipped):
                    problems[path] = Problem(path, f"policy `{policy.id}` is also served from `{winner.source}`",
                                             (), self._clock(), None, policy.id)
                continue
            policies[policy.id] = policy
        self._generation += 1
        self._snapshot = Snapshot(policies, problems, self._generation)

    # ---- the background poll ---------------------------------------------------------------
    def start(self, interval: float = 1.0) -> None:
        """Poll every ``interval`` seconds on a daemon thread until :meth:`stop`."""
        if self._thread is not None:
            return
        self._stop.clear()

        def loop() -> None:
            while not self._stop.wait(interval):
                try:
                    self.check()
                except Exception:  # noqa: BLE001 — the poll must outlive any one bad pass
                    log.exception("policy poll failed")

        self._thread = threading.Thread(target=loop, name="coopcheck-policy-poll", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the background poll."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


__all__ = ["Source", "Policy", "Problem", "Snapshot", "PolicyStore", "compile_policy", "revision_of", "iso_time",
           "shipped_sources"]
