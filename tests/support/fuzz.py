"""The standing fuzz campaign: every way in, against an oracle, the reference and each other.

Run from the repository root::

    python -m tests.support.fuzz --scenarios 100000 --rule-files 500 [--processes N] [--seed S] [--json FILE]

It generates seeded, reproducible scenarios — mostly valid ones over the whole vocabulary of
the shipped co-ops (ids, words, labels, aliases; case, full-width, half-width and padded
variants), and mutated ones (fields dropped, added or retyped, empty strings, unknown names,
plurals, names of another kind, very long strings, odd Unicode, labels in a hand-built
``Scenario``, lines that are not JSON) — and sends each through every entry point:
``decide``, ``permits``, ``decide_many`` (in batches), ``make_scenario`` + ``decide`` and, in
chunks of JSON Lines, ``python -m coopcheck check --json -`` (a marker line after each case
line pins every answer to its line; stress lines — very long strings, huge numbers, deep
nesting — go to a CLI process of their own, so that a crash on one, which costs a new process,
cannot leave the ordinary lines unchecked). The same lines also go, chunk by chunk, to the
decision service in this process (``create_app`` behind Starlette's TestClient: no port) as
JSON arrays POSTed to ``/v1/decide?coop=DEFAULT`` (a line the service cannot read as JSON
alone as a request body), each answer compared with the other routes' — the CLI's included —
less the ``revision`` and ``decision_id`` the service adds; and to the audit
(``coopcheck.audit.run.audit``) as JSON Lines event logs with an ``event_id`` per object, each
event's outcome and co-op compared with ``decide``'s for the scenario as the audit reads a
log (other keys are the log's columns, a data string is a delimited list), its findings with
those ``decide``'s decisions give. It counts:

- **malformed decided**: the oracle says the scenario is malformed, yet an entry point decided it;
- **wrongly refused**: the oracle says it is well-formed, yet an entry point refused it;
- **disagreements**: a decision differs from :func:`~support.reference.reference_decide`
  (decision, basis, deciding rules), or resolved the names to other ids than the oracle did;
- **inconsistent**: entry points answered the same scenario differently (another decision
  JSON, another error code, one decided and another refused);
- **crashes**: an exception other than ``CoopcheckError`` (or a traceback from the CLI);
- **hangs**: a call that used more than ``hang_seconds`` of CPU time or stalled for a minute (a
  CLI chunk over its time limit). CPU time, not wall-clock time: on a shared machine a call can
  wait seconds for a core.

The oracle (:class:`Oracle`) is written here from docs/input.md alone, sharing no code with
``engine/``: its own name table built from the declarations (id, words, label, aliases),
compared after NFKC normalization, trimming spaces and case folding, with ``_``, ``-`` and
runs of spaces alike in words and no plural stripping. Where docs/input.md leaves a reading
open (a tab in a name, ``purchase__history``, an alias spelt with ``-`` for a space, a name
over 200 characters that is short once trimmed, a name that names two terms), it judges the
scenario both ways; when the readings differ the scenario is *unspecified*: only the entry
points' agreement with each other and with the reference is checked.

It also generates and mutates rule files (from the shipped ones, and from templates) and runs
them through ``coopcheck.dsl.parse``, ``coopcheck.load_string`` and
``coopcheck.dsl.formatter.format_text``, counting crashes, hangs and formatter failures
(formatting must be idempotent, keep the syntax tree, and a formatted file that compiled must
compile to the same rules).

Every failure kind keeps a few examples (truncated) with the case number; ``--show N`` prints
case N in full (with the same ``--seed`` and ``--cli-chunk``). The exit code is 1 when any
failure count is non-zero.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import re
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Callable

import attrs

import coopcheck
import coopcheck.dsl as dsl
from coopcheck.core.jsontext import NotJson, loads_strict
from coopcheck import CoopcheckError
from coopcheck.dsl import ast
from coopcheck.dsl.formatter import format_text

from .reference import load_reference, reference_decide

ROOT = Path(__file__).resolve().parents[2]
ACTIONS = ("use", "collect", "share", "publish")
FIELDS = ("coop", "action", "subject", "data", "recipient", "purpose", "consent", "exception")
MAX_NAME = 200  # docs/input.md: a name longer than 200 characters names no term
ROUTES = ("decide", "permits", "decide_many", "make_scenario", "cli", "service", "audit")
#: What the service adds to each decision of ``check --json``'s contract: left out when its
#: answers are compared (each is checked to be there, a 16-character revision and a UUID).
SERVICE_STAMPS = ("revision", "decision_id")
SERVICE_STRESS_BATCH = 100  # stress lines per request (ordinary ones: the service's max_batch)
FAILURES = ("malformed_decided", "wrongly_refused", "disagreements", "inconsistent", "crashes", "hangs",
            "fmt_failures")
EXAMPLES_PER_KIND = 8  # at most one per signature (what went wrong, numbers left out)
MAX_CLI_RESTARTS = 25  # per chunk: after that many crashes its other lines go unchecked
MARKER_FIRST = '{"fuzz_marker": 0}'  # the first CLI line: an object (so the input is read as JSON Lines)
MARKER = "#"  # after each case line: refused, with the line it was on
AMBIGUOUS = "\0ambiguous"  # a name that names more than one term of the kind


# =============================================================================================
# The oracle: docs/input.md, written plainly
# =============================================================================================
def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


class Names:
    """One policy's terms as scenario input may name them (docs/input.md, "Names"): by id, by
    its words, by its label or by an alias. ``lookup`` gives the strict reading and the loose
    one; both are an id, None (names no term of the kind) or :data:`AMBIGUOUS`."""

    def __init__(self, declarations: list[ast.Declaration]):
        self.ids: dict[str, set] = defaultdict(set)
        self.terms: dict[str, dict[str, tuple]] = defaultdict(dict)  # kind -> id -> (label, aliases)
        self._strict: dict[Any, set] = defaultdict(set)  # folded label or alias, id words -> {(kind, id)}
        self._loose: dict[Any, set] = defaultdict(set)
        self._memo: dict[tuple, tuple] = {}
        for d in declarations:
            kind, tid = d.kind, d.name.key
            self.ids[kind].add(tid)
            self.terms[kind][tid] = (d.label, tuple(d.aliases))
            words = tuple(tid.split("_"))
            self._strict[words].add((kind, tid))
            self._loose[words].add((kind, tid))
            for written in (d.label, *d.aliases):
                if written:
                    self._strict[self._fold_strict(written)].add((kind, tid))
                    folded = self._fold_loose(written)
                    self._loose[folded].add((kind, tid))
                    self._loose[self._words_loose(folded)].add((kind, tid))

    # strict: exactly what docs/input.md says -------------------------------------------------
    @staticmethod
    def _fold_strict(text: str) -> str:
        """NFKC, trim spaces at both ends, case fold."""
        return _nfkc(text).strip(" ").casefold()

    @staticmethod
    def _words_strict(folded: str) -> tuple:
        """The words of a name: `_`, `-` and a run of spaces each separate two words."""
        return tuple(re.split(r"_|-| +", folded))

    # loose: every other reading the text leaves open -------------------------------------------
    @staticmethod
    def _fold_loose(text: str) -> str:
        """Any whitespace trimmed, normalized again after case folding."""
        return _nfkc(_nfkc(text).strip().casefold()).strip()

    @staticmethod
    def _words_loose(folded: str) -> tuple:
        """Any run of `_`, `-` and whitespace is one separator; separators at the ends ignored."""
        return tuple(w for w in re.split(r"[\s_\-]+", folded) if w)

    def _match(self, name: str, kind: str, strict: bool):
        if strict:
            if len(name) > MAX_NAME:
                return None
            folded = self._fold_strict(name)
            found = self._strict.get(folded, set()) | self._strict.get(self._words_strict(folded), set())
        else:
            folded = self._fold_loose(name)
            if len(folded) > MAX_NAME:
                return None
            found = self._loose.get(folded, set()) | self._loose.get(self._words_loose(folded), set())
        ids = {tid for k, tid in found if k == kind}
        if len(ids) > 1:
            return AMBIGUOUS
        return ids.pop() if ids else None

    def lookup(self, name: str, kind: str) -> tuple:
        """``(strict, loose)`` readings of ``name`` as a term of ``kind``."""
        key = (name, kind)
        hit = self._memo.get(key)
        if hit is None:
            hit = (self._match(name, kind, True), self._match(name, kind, False))
            if len(name) <= 300:
                if len(self._memo) > 300_000:
                    self._memo.clear()
                self._memo[key] = hit
        return hit


class Verdict:
    """What the oracle says of one scenario: ``ok`` (with the resolved ids), ``bad`` (with the
    problems, ``(code or None, field)``) or ``unspecified``."""

    __slots__ = ("status", "resolved", "problems", "certain")

    def __init__(self, status: str, resolved: dict | None = None, problems: list | None = None):
        self.status, self.resolved, self.problems = status, resolved, problems or []
        self.certain = True  # False: both readings say malformed, but not for the same reason

    def expected_code(self) -> str | None:
        """The code docs/input.md gives, when the scenario has exactly one problem."""
        if self.status == "bad" and len(self.problems) == 1 and self.certain:
            return self.problems[0][0]
        return None

    def summary(self) -> str:
        if self.status == "ok":
            return "well-formed: " + json.dumps(self.resolved, ensure_ascii=False)
        if self.status == "bad":
            return "malformed: " + ", ".join(f"{c or 'E4xx'} {f}" for c, f in self.problems)
        return "unspecified by docs/input.md"


class Oracle:
    """Whether a scenario is well-formed, and its resolved ids, from docs/input.md alone."""

    def __init__(self, names: dict[str, Names], coop_names: Names):
        self.names = names  # policy id -> its name table
        self.coop_names = coop_names
        self.policies = frozenset(names)

    # ---- JSON-contract dicts ------------------------------------------------------------------
    def judge(self, obj: Any, default: str, forced: str | None = None) -> Verdict:
        """A JSON value given as a scenario; ``default``: the policy deciding when it names no
        ``coop``; ``forced``: the policy it is decided against whatever it names (the API)."""
        strict, differs = self._judge(obj, default, forced, True)
        if not differs:  # every name and the action read alike both ways
            return strict if strict.status != "amb" else Verdict("unspecified")
        loose, _ = self._judge(obj, default, forced, False)
        if strict.status == loose.status == "bad":
            strict.certain = strict.problems == loose.problems
            return strict
        if strict.status == loose.status == "ok" and strict.resolved == loose.resolved:
            return strict
        return Verdict("unspecified")

    @staticmethod
    def _action(value: str, strict: bool) -> str | None:
        """`use`, `collect`, `share`, `publish`; case and surrounding spaces ignored."""
        if strict:
            key = value.strip(" ")
            return key.lower() if key.isascii() and key.lower() in ACTIONS else None
        key = _nfkc(value).strip().casefold()
        return key if key in ACTIONS else None

    def _judge(self, obj, default, forced, strict) -> tuple[Verdict, bool]:
        """The verdict in one reading, and whether any name or the action reads otherwise in
        the other one."""
        if not isinstance(obj, dict):
            return Verdict("bad", problems=[("E404", None)]), False
        problems: list = []
        ambiguous = differs = False
        reading = 0 if strict else 1

        for key in obj:
            if key not in FIELDS:
                problems.append(("E401", key))

        def text(name: str, required: bool) -> str | None:
            value = obj.get(name)
            if value is None:
                if required:
                    problems.append(("E403", name))
                return None
            if not isinstance(value, str) or value == "":
                problems.append(("E404", name))
                return None
            if not value.strip():
                problems.append((None, name))  # blank: refused, which code the text does not say
                return None
            return value

        policy = forced or default
        coop = text("coop", False)
        if coop is not None:
            both = self.coop_names.lookup(coop, "coop")
            differs = both[0] != both[1]
            found = both[reading]
            if found is AMBIGUOUS:
                ambiguous = True
            elif found is None or found not in self.policies or (forced and found != forced):
                problems.append(("E402", "coop"))
            else:
                policy = found
        names = self.names[policy]

        def term(name: str, value: str, kind: str) -> str | None:
            nonlocal ambiguous, differs
            both = names.lookup(value, kind)
            if both[0] != both[1]:
                differs = True
            found = both[reading]
            if found is AMBIGUOUS:
                ambiguous = True
                return None
            if found is None:
                problems.append(("E402", name))
            return found

        action = None
        raw_action = text("action", True)
        if raw_action is not None:
            action = self._action(raw_action, strict)
            if action != self._action(raw_action, not strict):
                differs = True
            if action is None:
                problems.append(("E402", "action"))

        items = None
        raw = obj.get("data")
        if raw is None:
            problems.append(("E403", "data"))
        else:
            if isinstance(raw, str):
                raw = [raw]
            if not isinstance(raw, list) or not raw or not all(isinstance(x, str) and x for x in raw):
                problems.append(("E404", "data"))
            elif not all(x.strip() for x in raw):
                problems.append((None, "data"))
            else:
                found = [term("data", x, "item") for x in raw]
                if all(found):
                    items = tuple(dict.fromkeys(found))

        raw_purpose = text("purpose", True)
        purpose = term("purpose", raw_purpose, "purpose") if raw_purpose is not None else None
        raw_subject = text("subject", False)
        subject = term("subject", raw_subject, "subject") if raw_subject is not None else "member"

        given = obj.get("recipient") is not None
        raw_recipient = text("recipient", False)
        recipient = None
        if action == "share":
            if not given:
                problems.append(("E403", "recipient"))
            elif raw_recipient is not None:
                recipient = term("recipient", raw_recipient, "party")
        elif action == "publish":
            if not given:
                recipient = "public"
            elif raw_recipient is not None:
                recipient = term("recipient", raw_recipient, "party")
                if recipient is not None and recipient != "public":
                    problems.append(("E405", "recipient"))
        elif action is not None and given and raw_recipient is not None:
            problems.append(("E405", "recipient"))

        consent = obj.get("consent")
        if consent is None:
            consent = False
        elif not isinstance(consent, bool):
            problems.append(("E404", "consent"))

        raw_exception = text("exception", False)
        exception = term("exception", raw_exception, "exception") if raw_exception is not None else None

        if problems:
            return Verdict("bad", problems=problems), differs
        if ambiguous:
            return Verdict("amb"), differs
        return Verdict("ok", {"policy": policy, "action": action, "items": items, "purpose": purpose,
                              "subject": subject, "recipient": recipient, "consent": consent,
                              "exception": exception}), differs

    # ---- Scenario objects built by hand -------------------------------------------------------
    def judge_built(self, fields: dict, policy: str) -> Verdict:
        """``Scenario(**fields)`` decided against ``policy``: it must hold ids (docs/input.md)."""
        ids = self.names[policy].ids
        problems: list = []
        unspecified = False
        action = fields.get("action")
        items = fields.get("items")
        purpose = fields.get("purpose")
        subject = fields.get("subject", "member")
        recipient = fields.get("recipient")
        consent = fields.get("consent", False)
        exception = fields.get("exception")
        coop = fields.get("coop")
        if type(action) is not str or action not in ACTIONS:
            problems.append(("E404", "action"))
        if type(items) is not tuple or not items or not all(type(i) is str and i for i in items):
            problems.append(("E404", "data"))
        elif not all(i in ids["item"] for i in items):
            problems.append(("E402", "data"))
        for name, value, kind, optional in (("purpose", purpose, "purpose", False),
                                            ("subject", subject, "subject", False),
                                            ("recipient", recipient, "party", True),
                                            ("exception", exception, "exception", True)):
            if value is None and optional:
                continue
            if type(value) is not str or not value:
                problems.append(("E404", name))
            elif value not in ids[kind]:
                problems.append(("E402", name))
        if type(consent) is not bool:
            problems.append(("E404", "consent"))
        if coop is not None and (type(coop) is not str or not coop):
            problems.append(("E404", "coop"))
        elif coop is not None and coop != policy:
            problems.append(("E402", "coop"))
        if type(recipient) in (str, type(None)):
            if action == "share" and recipient is None:
                problems.append(("E403", "recipient"))
            elif action in ("use", "collect") and recipient is not None:
                problems.append(("E405", "recipient"))
            elif action == "publish" and recipient is None:
                unspecified = True  # "public (or absent)" is said of JSON; of a Scenario, not
            elif action == "publish" and recipient != "public":
                problems.append(("E405", "recipient"))
        if problems:
            return Verdict("bad", problems=problems)
        if unspecified:
            return Verdict("unspecified")
        return Verdict("ok", {"policy": policy, "action": action, "items": items, "purpose": purpose,
                              "subject": subject, "recipient": recipient, "consent": consent,
                              "exception": exception})

    def guess_policy(self, obj: Any, default: str) -> str:
        """The policy a dict's ``coop`` most likely means, however badly written (a plural, odd
        spaces): the API needs some ruleset to be asked."""
        coop = obj.get("coop") if isinstance(obj, dict) else None
        if not isinstance(coop, str):
            return default
        key = coop.strip().casefold()
        for candidate in (coop, key.removesuffix("s"), key.removesuffix("es"), key.strip("_-")):
            for found in self.coop_names.lookup(candidate, "coop"):
                if found in self.policies:
                    return found
        return default


# =============================================================================================
# Generating scenarios
# =============================================================================================
_FULLWIDTH = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)} | {" ": "\u3000"}
_HALFWIDTH: dict[str, str] = {}
for _c in range(0xFF61, 0xFFA0):
    _full = _nfkc(chr(_c))
    if len(_full) == 1:
        _HALFWIDTH.setdefault(_full, chr(_c))
_PADDING = (" ", "  ", "\u3000", "\u00a0", "\u2002", " \u3000")
_ODD = ("\u200b", "\u200d", "\ufeff", "\u00ad", "\u0301", "\u200f", "\x00", "\x7f", "\u2028", "\t", "\x0b",
        "\x1c", "\x85", "\n", "\r", "😀", "𠮷", "\ud800", "\udfff", "Ｊ", "ﬁ", "İ", "ı", "а", "\u3000", "\u00a0",
        "\u2003", "㍿", "ﷺ", "①", "Ⅻ", "\u0000", "\\", '"', "'", "{", "}", "[", "]", ",", ":", "#")
_WHITESPACE_ENDS = ("\t", "\n", "\x0b", "\x0c", "\u2028", "\x1c", "\x85", "\r")
_HOMOGLYPHS = {"a": "а", "e": "е", "o": "о", "c": "с", "p": "р", "i": "і", "y": "у", "x": "х"}
_EXTRA_FIELDS = ("Data", "datum", "coops", "extra", "", " action", "action ", "ACTION", "notes", "項目",
                 "data\u200b", "consent_given", "recipients", "Coop", "scenario", "items", "line")
_WRONG_VALUES = (0, 1, -1, 1.5, 1e308, True, False, [], {}, [1], {"id": "name"}, [None])


class Case:
    """One generated scenario and what the oracle says of it."""

    __slots__ = ("index", "kind", "line", "value", "fields", "policy", "default", "verdict", "api", "cli", "stress")

    def __init__(self, index: int, kind: str, default: str):
        self.index, self.kind, self.default = index, kind, default
        self.line: str | None = None  # the JSON Lines text the CLI reads (None: API only)
        self.value: Any = None  # what the API is given (a parsed JSON value)
        self.fields: dict | None = None  # a hand-built Scenario's keyword arguments
        self.policy = default  # the ruleset the API decides against
        self.verdict: Verdict | None = None
        self.api = True
        self.cli = False
        self.stress = False  # a very long string, a huge number, deep nesting: sent to the CLI apart

    def shown(self, limit: int = 400) -> str:
        """The input, for a report (long strings cut in the middle)."""
        if self.kind == "built":
            text = "Scenario(" + ", ".join(f"{k}={v!r}" for k, v in self.fields.items()) + ")"
        elif self.line is not None:
            text = self.line
        else:
            text = _dumps(self.value)
        return _cut(text, limit)


def _cut(text: str, limit: int = 400) -> str:
    if len(text) <= limit:
        return text
    head = limit * 2 // 3
    tail = limit - head
    return f"{text[:head]}…({len(text) - limit} characters cut)…{text[-tail:]}"


def _dumps(value: Any, ascii_only: bool = True) -> str:
    try:
        text = json.dumps(value, ensure_ascii=ascii_only)
    except (ValueError, TypeError, RecursionError):
        return repr(value)
    if not ascii_only:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: only its escape is UTF-8
            text = json.dumps(value, ensure_ascii=True)
    return text


class Generator:
    """Seeded scenarios over the vocabulary of the shipped co-ops."""

    def __init__(self, oracle: Oracle, written: dict[str, dict[str, tuple]]):
        self.oracle = oracle
        self.policies = tuple(sorted(oracle.names))
        self.written = written  # policy -> dimension -> the terms its rules name
        self._sorted = {(p, k): sorted(self._terms(p, k)) for p in self.policies
                        for k in ("item", "party", "purpose", "subject", "exception", "coop")}
        self.stress = False  # whether the case being generated holds a stress input

    # ---- names ------------------------------------------------------------------------------
    def _terms(self, policy: str, kind: str) -> dict:
        return self.oracle.names[policy].terms[kind] if kind != "coop" else self.oracle.coop_names.terms["coop"]

    def pick(self, rng: random.Random, policy: str, kind: str, dimension: str | None = None) -> str:
        named = self.written[policy].get(dimension, ()) if dimension else ()
        if named and rng.random() < 0.5:
            return rng.choice(named)
        return rng.choice(self._sorted[policy, kind])

    def name(self, rng: random.Random, policy: str, kind: str, tid: str) -> str:
        """A name of term ``tid`` that docs/input.md accepts (mostly: the oracle decides)."""
        label, aliases = self._terms(policy, kind)[tid]
        roll = rng.random()
        if roll < 0.3 or not (label or aliases):
            text = tid
        elif roll < 0.42:
            text = tid.replace("_", " ")
        elif roll < 0.47:
            text = tid.replace("_", "-")
        elif roll < 0.52:
            text = "".join(rng.choice(("_", "-", " ", "  ", "   ")) if c == "_" else c for c in tid)
        elif roll < 0.78 and label or not aliases:
            text = label
        else:
            text = rng.choice(aliases)
        if rng.random() < 0.2:
            text = rng.choice((str.upper, str.title, str.swapcase, str.lower,
                               lambda s: "".join(c.upper() if rng.random() < 0.5 else c for c in s)))(text)
        if rng.random() < 0.1:
            text = "".join(_FULLWIDTH.get(c, c) for c in text)
        if rng.random() < 0.1:
            text = self._halfwidth(text)
        if rng.random() < 0.06:
            text = self._ligatures(rng, text)
        if rng.random() < 0.15:
            text = rng.choice(("", *_PADDING)) + text + rng.choice(("", *_PADDING))
        return text

    @staticmethod
    def _halfwidth(text: str) -> str:
        out = []
        for c in text:
            if c in _HALFWIDTH:
                out.append(_HALFWIDTH[c])
                continue
            parts = unicodedata.normalize("NFD", c)
            if len(parts) == 2 and parts[0] in _HALFWIDTH and parts[1] in ("\u3099", "\u309a"):
                out.append(_HALFWIDTH[parts[0]] + ("\uff9e" if parts[1] == "\u3099" else "\uff9f"))
            else:
                out.append(c)
        return "".join(out)

    @staticmethod
    def _ligatures(rng: random.Random, text: str) -> str:
        swaps = [("fi", "ﬁ"), ("fl", "ﬂ"), ("ss", "ß"), ("s", "ſ"), ("k", "\u212a"), ("K", "\u212a"),
                 ("(株)", "㈱"), ("1", "①")]
        rng.shuffle(swaps)
        for old, new in swaps:
            if old in text:
                return text.replace(old, new, 1)
        return text

    def bad_name(self, rng: random.Random, policy: str, kind: str, tid: str) -> str:
        """A name of ``tid`` spoilt: a plural, a typo, an odd character, odd separators..."""
        text = self.name(rng, policy, kind, tid)
        how = rng.randrange(10)
        if how == 0:  # a plural: rule files may write them, scenario input may not
            words = tid.replace("_", " ") if rng.random() < 0.7 else text
            if words.endswith("y") and rng.random() < 0.5:
                return words[:-1] + "ies"
            return words + rng.choice(("s", "es", "s", "たち", "等"))
        if how == 1 and text:  # a typo
            at = rng.randrange(len(text))
            edit = rng.randrange(4)
            if edit == 0:
                return text[:at] + text[at + 1:]
            if edit == 1:
                return text[:at] + text[at] + text[at:]
            if edit == 2 and at + 1 < len(text):
                return text[:at] + text[at + 1] + text[at] + text[at + 2:]
            return text[:at] + rng.choice("abcxyz_ -") + text[at + 1:]
        if how == 2:  # an odd character somewhere
            at = rng.randrange(len(text) + 1)
            return text[:at] + rng.choice(_ODD) + text[at:]
        if how == 3:  # odd separators in words
            sep = rng.choice(("__", "_-", "-_", " _ ", " - ", "\t", "--", "_ "))
            forms = [tid.replace("_", sep, 1) if "_" in tid else tid + sep.strip() or "_",
                     "_" + tid, tid + "_", "-" + tid, tid + "-", tid.replace("_", ""), tid.replace("_", "."),
                     tid.replace("_", "\u3000\u3000")]
            return rng.choice(forms)
        if how == 4:  # whitespace other than spaces at an end
            ws = rng.choice(_WHITESPACE_ENDS)
            return ws + text if rng.random() < 0.5 else text + ws
        if how == 5:  # a look-alike letter
            for latin, other in rng.sample(sorted(_HOMOGLYPHS.items()), len(_HOMOGLYPHS)):
                if latin in text:
                    return text.replace(latin, other, 1)
            return text + "\u0301"
        if how == 6:  # more words
            return rng.choice(("the ", "my_", "all ", "")) + text + rng.choice((" data", "_id", " etc", "s", ""))
        if how == 7:  # a term of another kind
            other = rng.choice([k for k in ("item", "party", "purpose", "subject", "exception") if k != kind])
            return self.name(rng, policy, other, rng.choice(self._sorted[policy, other]))
        if how == 8:  # Turkish i, which case folding does not turn into i
            return text.replace("i", rng.choice(("İ", "ı")), 1) if "i" in text else text + "ı"
        return rng.choice(("nothing", "unknown", "delete", "null", "none", "true", "0", "-", "_", "・",
                           "個人", "組合", "？", "*", "%", "any", "all"))

    def long_text(self, rng: random.Random, policy: str, kind: str, tid: str) -> str:
        """A name over (or near) the 200-character limit, up to a few thousand characters."""
        self.stress = True
        text = self.name(rng, policy, kind, tid)
        how = rng.randrange(6)
        if how == 0:
            return text + " " * rng.randint(MAX_NAME - len(text) - 2, 400)
        if how == 1:
            return rng.choice("x名 ") * rng.randint(MAX_NAME - 1, 5000)
        if how == 2:
            return (text + " ") * rng.randint(2, 400)
        if how == 3:
            return "".join(chr(rng.randint(0x20, 0x2FFF)) for _ in range(rng.randint(150, 3000)))
        if how == 4:
            return "a" * rng.randint(MAX_NAME - 2, MAX_NAME + 2)
        return text * rng.randint(1, 3000)

    # ---- scenarios ----------------------------------------------------------------------------
    def valid(self, rng: random.Random, default: str) -> tuple[dict, str]:
        """A scenario docs/input.md accepts (the oracle has the last word) and its policy."""
        obj: dict = {}
        roll = rng.random()
        policy = default
        if roll < 0.05:
            obj["coop"] = None
        elif roll >= 0.45:
            policy = rng.choice(self.policies)
            obj["coop"] = self.name(rng, policy, "coop", policy)
        action = rng.choice(ACTIONS)
        roll = rng.random()
        obj["action"] = (action if roll < 0.75 else action.upper() if roll < 0.85 else action.title()
                         if roll < 0.9 else rng.choice(("", " ", "  ")) + action + rng.choice((" ", "  ", "")))
        count = rng.choices((1, 2, 3, 4), (60, 25, 10, 5))[0]
        data = [self.name(rng, policy, "item", self.pick(rng, policy, "item", "items")) for _ in range(count)]
        obj["data"] = data[0] if count == 1 and rng.random() < 0.1 else data
        obj["purpose"] = self.name(rng, policy, "purpose", self.pick(rng, policy, "purpose", "purposes"))
        roll = rng.random()
        if roll < 0.05:
            obj["subject"] = None
        elif roll >= 0.5:
            obj["subject"] = self.name(rng, policy, "subject", self.pick(rng, policy, "subject", "subjects"))
        roll = rng.random()
        if action == "share":
            obj["recipient"] = self.name(rng, policy, "party", self.pick(rng, policy, "party", "recipients"))
        elif action == "publish":
            if roll < 0.15:
                obj["recipient"] = None
            elif roll < 0.4:
                obj["recipient"] = self.name(rng, policy, "party", "public")
        elif roll < 0.1:
            obj["recipient"] = None
        roll = rng.random()
        if roll < 0.08:
            obj["consent"] = None
        elif roll >= 0.3:
            obj["consent"] = rng.random() < 0.5
        roll = rng.random()
        if roll < 0.1:
            obj["exception"] = None
        elif roll >= 0.6:
            obj["exception"] = self.name(rng, policy, "exception", self.pick(rng, policy, "exception"))
        keys = list(obj)
        rng.shuffle(keys)
        return {k: obj[k] for k in keys}, policy

    def mutate(self, rng: random.Random, obj: dict, policy: str) -> dict:
        """``obj`` with one to three things wrong (or only odd: the oracle decides)."""
        obj = dict(obj)
        for _ in range(rng.choices((1, 2, 3), (70, 22, 8))[0]):
            how = rng.randrange(14)
            key = rng.choice(list(obj) or ["action"])
            kind = {"data": "item", "purpose": "purpose", "subject": "subject", "recipient": "party",
                    "exception": "exception", "coop": "coop"}.get(key)
            if how == 0:
                obj.pop(key, None)
            elif how == 1:
                obj[rng.choice(_EXTRA_FIELDS)] = rng.choice(("name", 1, None, True, [], "delivery"))
            elif how == 2:
                obj[rng.choice(FIELDS)] = rng.choice(_WRONG_VALUES + (None,))
            elif how == 3:
                obj[rng.choice(FIELDS)] = rng.choice(("", " ", "\u3000", "\t", "  "))
            elif how in (4, 5) and kind:
                tid = rng.choice(self._sorted[policy, kind])
                bad = self.bad_name(rng, policy, kind, tid) if kind != "coop" else self._bad_coop(rng, policy)
                obj[key] = [bad] if key == "data" and rng.random() < 0.7 else bad
                if key == "data" and isinstance(obj[key], list) and rng.random() < 0.4:
                    obj[key].insert(rng.randrange(2), self.name(rng, policy, "item", tid))
            elif how == 6 and kind:
                tid = rng.choice(self._sorted[policy, kind])
                long = self.long_text(rng, policy, kind, tid)
                obj[key] = [long] if key == "data" else long
            elif how == 7:
                obj["action"] = rng.choice(("delete", "uses", "Use\t", "\tuse", "ＵＳＥ", "ſhare", "sharing",
                                            "publish\u00a0", "use\u200b", "USE ", " Collect", "shared", 1,
                                            ["use"], None, "", "use,share", "使用"))
            elif how == 8:
                item = self.name(rng, policy, "item", self.pick(rng, policy, "item"))
                many = [self.name(rng, policy, "item", rng.choice(self._sorted[policy, "item"]))
                        for _ in range(rng.randint(5, 60))]
                self.stress = True
                obj["data"] = rng.choice(([], [1], [[item]], [None], [item, ""], [item, 1], "", " ",
                                          {item: True}, "name,address", "name address", [item] * 500, many,
                                          [item, "  "], (item,)))
            elif how == 9:
                action = obj.get("action") if isinstance(obj.get("action"), str) else "use"
                party = self.name(rng, policy, "party", self.pick(rng, policy, "party", "recipients"))
                if action.strip().lower() == "share":
                    if rng.random() < 0.5:
                        obj.pop("recipient", None)
                    else:
                        obj["recipient"] = None
                else:
                    obj["recipient"] = party
            elif how == 10:
                obj["consent"] = rng.choice(("true", "false", 1, 0, "yes", [], {}, "", 1.0, "True", [True]))
            elif how == 11:
                obj["exception"] = rng.choice(("", " ", 0, ["by_law"], "none", "null", "by laws", "by_laws",
                                               "by-laws", "BY LAW", "法令に基づく場合", "by law ", "bylaw",
                                               False, {"by_law": True}))
            elif how == 12:
                obj["coop"] = self._bad_coop(rng, policy)
            else:
                obj[key] = rng.choice(("\ud800", "😀" * rng.randint(1, 300), "\x00", "\u2028", "名前",
                                       "'; DROP TABLE --", "%s%s%n", "../../etc/passwd", "${jndi:x}",
                                       "\u202e" + "name", "Ǹame", "NAME\u0307"))
        return obj

    def _bad_coop(self, rng: random.Random, policy: str) -> Any:
        label, aliases = self._terms(policy, "coop")[policy]
        other = rng.choice(self.policies)
        return rng.choice((f"{policy}, {other}", f"{policy} and {other}", f"{label}、{other}", policy + "s", policy.upper() + "S", policy + "es", (label or policy) + "s",
                           policy + "_", "_" + policy, policy + "\t", policy.replace("_", "__"), 1, True, [],
                           {}, [policy], "", " ", "tokyo", "コープ", "生協", policy[:-1], policy + policy,
                           " " + policy + " ", policy.upper(), label, *aliases,
                           rng.choice(self.policies), "\u3000" + policy, policy + "\u200b"))

    def built(self, rng: random.Random, policy: str) -> dict:
        """Keyword arguments of a Scenario built by hand: ids, or one field spoilt."""
        action = rng.choice(ACTIONS)
        fields: dict = {"action": action,
                        "items": tuple(dict.fromkeys(self.pick(rng, policy, "item", "items")
                                                     for _ in range(rng.choice((1, 1, 2, 3))))),
                        "purpose": self.pick(rng, policy, "purpose", "purposes")}
        if rng.random() < 0.4:
            fields["subject"] = self.pick(rng, policy, "subject", "subjects")
        if action == "share":
            fields["recipient"] = self.pick(rng, policy, "party", "recipients")
        elif action == "publish":
            fields["recipient"] = "public"
        if rng.random() < 0.5:
            fields["consent"] = rng.random() < 0.5
        if rng.random() < 0.3:
            fields["exception"] = self.pick(rng, policy, "exception")
        if rng.random() < 0.3:
            fields["coop"] = policy
        if rng.random() < 0.5:
            return fields
        field = rng.choice(("items", "purpose", "subject", "recipient", "exception", "action", "consent",
                            "coop", "items"))
        kind = {"items": "item", "purpose": "purpose", "subject": "subject", "recipient": "party",
                "exception": "exception"}.get(field)
        if kind:
            tid = fields["items"][0] if field == "items" else fields.get(field) or self.pick(rng, policy, kind)
            name = self.name(rng, policy, kind, tid) if rng.random() < 0.7 else self.bad_name(rng, policy, kind, tid)
            if field == "items":
                fields["items"] = rng.choice(((name,), (name,) + fields["items"][1:], list(fields["items"]), (),
                                              (name, 1), ("",)))
            else:
                fields[field] = name
        elif field == "action":
            fields["action"] = rng.choice(("USE", "Use", " use", "share ", "delete", 1, None))
        elif field == "consent":
            fields["consent"] = rng.choice((None, 1, 0, "yes", "true"))
        else:
            fields["coop"] = rng.choice((rng.choice(self.policies), self._bad_coop(rng, policy)))
        if rng.random() < 0.2:  # a recipient that does not fit the action
            fields["recipient"] = rng.choice((None, "jccu", "public"))
        return fields

    def garbage(self, rng: random.Random, default: str) -> str:
        """A line that is (mostly) not JSON; never blank, never with a newline in it."""
        obj, _ = self.valid(rng, default)
        line = _dumps(obj, rng.random() < 0.5)
        how = rng.randrange(10)
        if how == 0:
            line = line[:rng.randrange(1, len(line))]
        elif how == 1:
            line = line.replace('"', "'")
        elif how == 2:
            line = line[:-1] + ",}"
        elif how == 3:  # a number Python's json cannot read
            self.stress = True
            line = line[:-1] + ', "consent": ' + "1" * rng.randint(4301, 6000) + "}"
        elif how == 4:
            self.stress = True
            depth = rng.choice((100, 1000, 100_000))
            line = "[" * depth + "]" * depth if rng.random() < 0.5 else '{"a":' * depth + "1" + "}" * depth
        elif how == 5:
            line = line[:-1] + ', "consent": NaN}'
        elif how == 6:
            line = "\ufeff" + line
        elif how == 7:
            line = "".join(rng.choice(_ODD + tuple("{}[]:,\"abc 0")) for _ in range(rng.randint(1, 60)))
        elif how == 8:
            line = line + " " + line
        else:
            line = rng.choice(("{", "}", "[", "nul", "tru", "{}}", "undefined", "{'a'}", '{"action"}', "//",
                               "<scenario/>", "action=use", '"unterminated', "0x10", "+1", ".5", "1.", "-"))
        line = line.replace("\n", " ").removesuffix("\r")
        line = line.encode("utf-8", "replace").decode("utf-8")  # a lone surrogate cannot be sent
        if not line.strip():
            line = "{" + line
        return line

    def case(self, rng: random.Random, index: int, default: str) -> Case:
        """Case ``index``: valid (55%), mutated (33%), a hand-built Scenario (5%), a scenario for
        another co-op's policy (2%), a JSON value that is not an object (2%), not JSON (3%)."""
        self.stress = False
        case = self._case(rng, index, default)
        case.stress = self.stress
        return case

    def _case(self, rng: random.Random, index: int, default: str) -> Case:
        roll = rng.random()
        oracle = self.oracle
        if roll < 0.88:
            obj, policy = self.valid(rng, default)
            kind = "valid"
            if roll >= 0.55:
                obj, kind = self.mutate(rng, obj, policy), "mutated"
            return self._json_case(index, kind, default, _dumps(obj, rng.random() < 0.5))
        if roll < 0.93:  # a Scenario built by hand, API only
            case = Case(index, "built", default)
            case.policy = rng.choice(self.policies)
            case.fields = self.built(rng, case.policy)
            case.verdict = oracle.judge_built(case.fields, case.policy)
            return case
        if roll < 0.95:  # a valid scenario for one co-op given to another's policy, API only
            obj, policy = self.valid(rng, default)
            other = rng.choice([p for p in self.policies if p != policy])
            obj["coop"] = self.name(rng, policy, "coop", policy)
            case = Case(index, "mismatch", default)
            case.value, case.policy = obj, other
            case.verdict = oracle.judge(obj, default, forced=other)
            return case
        if roll < 0.97:  # any JSON value that is not an object
            obj, _ = self.valid(rng, default)
            value = rng.choice(([], [obj], "use", 42, 1.5, True, False, "", [[]], None, [obj, obj]))
            return self._json_case(index, "value", default, _dumps(value))
        return self._json_case(index, "garbage", default, self.garbage(rng, default))

    def _json_case(self, index: int, kind: str, default: str, line: str) -> Case:
        case = Case(index, kind, default)
        case.line, case.cli = line, True
        try:
            case.value = json.loads(line)
        except (ValueError, RecursionError):  # not JSON (the json module's own refusals included)
            case.api = False
            case.verdict = Verdict("bad", problems=[("E406", None)])
            return case
        if case.value is None:
            case.api = False  # the API reads None as "no mapping": not the same question
        case.verdict = self.oracle.judge(case.value, default)
        if case.verdict.status == "ok":
            case.policy = case.verdict.resolved["policy"]
        else:
            case.policy = self.oracle.guess_policy(case.value, default)
        return case


# =============================================================================================
# The report
# =============================================================================================
class Report:
    """The campaign's counts, a few examples of each failure, and the figures."""

    def __init__(self, scenarios: int, rule_files: int, seed: int, cli_chunk: int, max_cli_restarts: int = 0):
        self.params = {"scenarios": scenarios, "rule_files": rule_files, "seed": seed, "cli_chunk": cli_chunk,
                       "max_cli_restarts": max_cli_restarts}
        self.counts: Counter = Counter()
        self.routes = {r: Counter() for r in ROUTES}
        self.kinds: Counter = Counter()
        self.oracle: Counter = Counter()
        self.rules: Counter = Counter()
        self.code_differs: Counter = Counter()
        self.examples: dict[str, list] = defaultdict(list)
        self.signatures: dict[str, Counter] = defaultdict(Counter)
        self.elapsed = {"scenarios": 0.0, "rule_files": 0.0}
        self.cpu = {"scenarios": 0.0, "cli_processes": 0.0, "rule_files": 0.0}
        self.spans: list[tuple[float, float]] = []  # (start, end) wall-clock times of the scenario runs

    def state(self) -> dict:
        """Everything this report holds, as JSON values (:meth:`from_state` reads it back): what
        ``--state`` keeps of each finished slice of a run."""
        return {"params": self.params, "counts": dict(self.counts),
                "routes": {r: dict(c) for r, c in self.routes.items()}, "kinds": dict(self.kinds),
                "oracle": dict(self.oracle), "rules": dict(self.rules),
                "code_differs": [[list(k), n] for k, n in self.code_differs.items()],
                "examples": dict(self.examples), "signatures": {k: dict(v) for k, v in self.signatures.items()},
                "elapsed": self.elapsed, "cpu": self.cpu, "spans": self.spans}

    @classmethod
    def from_state(cls, state: dict) -> "Report":
        """A report from :meth:`state`."""
        p = state["params"]
        report = cls(p["scenarios"], p["rule_files"], p["seed"], p["cli_chunk"], p.get("max_cli_restarts", 0))
        report.params = dict(p)
        report.counts.update(state["counts"])
        for route, counter in state["routes"].items():
            report.routes.setdefault(route, Counter()).update(counter)
        report.kinds.update(state["kinds"])
        report.oracle.update(state["oracle"])
        report.rules.update(state["rules"])
        report.code_differs.update({tuple(k): n for k, n in state["code_differs"]})
        for kind, examples in state["examples"].items():
            report.examples[kind] = list(examples)
        for kind, counter in state["signatures"].items():
            report.signatures[kind].update(counter)
        report.elapsed.update(state["elapsed"])
        report.cpu.update(state["cpu"])
        report.spans = [tuple(span) for span in state["spans"]]
        return report

    def fail(self, kind: str, example: dict) -> None:
        """Count a failure; keep its example if it is the first of its signature."""
        self.counts[kind] += 1
        signature = _signature(kind, example)
        self.signatures[kind][signature] += 1
        if self.signatures[kind][signature] == 1 and len(self.examples[kind]) < EXAMPLES_PER_KIND:
            self.examples[kind].append(example)

    def merge(self, other: "Report") -> None:
        """Add another part of the same run (another process's chunks): counts add, examples
        keep the first of each signature up to the limit, CPU times add, elapsed times (parts
        run side by side) take the longest."""
        self.counts.update(other.counts)
        for route, counter in other.routes.items():
            self.routes[route].update(counter)
        for mine, theirs in ((self.kinds, other.kinds), (self.oracle, other.oracle), (self.rules, other.rules),
                             (self.code_differs, other.code_differs)):
            mine.update(theirs)
        for kind, examples in other.examples.items():
            for example in examples:
                signature = _signature(kind, example)
                if not self.signatures[kind][signature] and len(self.examples[kind]) < EXAMPLES_PER_KIND:
                    self.examples[kind].append(example)
        for kind, counter in other.signatures.items():
            self.signatures[kind].update(counter)
        for k, v in other.elapsed.items():
            self.elapsed[k] = max(self.elapsed.get(k, 0.0), v)
        for k, v in other.cpu.items():
            self.cpu[k] = self.cpu.get(k, 0.0) + v
        self.spans += other.spans

    @property
    def failures(self) -> dict:
        return {k: self.counts[k] for k in FAILURES}

    @property
    def ok(self) -> bool:
        return not any(self.failures.values())

    def as_dict(self) -> dict:
        total = (max if self.params.get("processes", 1) > 1 else sum)((self.elapsed["scenarios"],
                                                                        self.elapsed["rule_files"]))
        return {
            "params": self.params,
            "failures": self.failures,
            "scenarios": {"generated": self.counts["scenarios"], "by_kind": dict(self.kinds),
                          "oracle": dict(self.oracle), "decided": self.counts["decided"],
                          "refused": self.counts["refused"], "permits": self.counts["permits"],
                          "denies": self.counts["denies"], "reference_checked": self.counts["reference_checked"],
                          "unspecified_decided": self.counts["unspecified_decided"],
                          "cli_chunks": self.counts["cli_chunks"], "cli_restarts": self.counts["cli_restarts"],
                          "cli_unchecked": self.counts["cli_unchecked"],
                          "service_requests": self.counts["service_requests"],
                          "service_unsent": self.counts["service_unsent"],
                          "service_unchecked": self.counts["service_unchecked"],
                          "audit_logs": self.counts["audit_logs"], "audit_unchecked": self.counts["audit_unchecked"],
                          "worker_unchecked": self.counts["worker_unchecked"]},
            "entry_points": {r: dict(c) for r, c in self.routes.items()},
            "rule_files": dict(self.rules),
            "informational": {"error_code_differs_from_docs": {
                f"{field}: docs {want}, got {got}": n for (field, want, got), n in self.code_differs.most_common()}},
            "elapsed_seconds": {k: round(v, 2) for k, v in self.elapsed.items()} | {"total": round(total, 2)},
            "cpu_seconds": {k: round(v, 2) for k, v in self.cpu.items()},
            "scenarios_per_second": round(self.counts["scenarios"] / self.elapsed["scenarios"], 1)
            if self.elapsed["scenarios"] else None,
            "scenarios_per_cpu_second": round(self.counts["scenarios"] / (self.cpu["scenarios"]
                                                                          + self.cpu["cli_processes"]), 1)
            if self.cpu["scenarios"] else None,
            "rule_files_per_second": round(self.rules["generated"] / self.elapsed["rule_files"], 2)
            if self.elapsed["rule_files"] else None,
            "signatures": {k: dict(v.most_common(20)) for k, v in self.signatures.items()},
            "examples": dict(self.examples),
        }

    def text(self) -> str:
        d = self.as_dict()
        s = d["scenarios"]
        lines = [f"fuzz campaign: seed {self.params['seed']}, {s['generated']} scenarios, "
                 f"{self.rules['generated']} rule files (CLI chunks of {self.params['cli_chunk']})",
                 "failures:  " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in d["failures"].items()),
                 f"scenarios: {s['generated']} — " + ", ".join(f"{k} {v}" for k, v in sorted(s["by_kind"].items())),
                 "  oracle:    " + ", ".join(f"{k} {v}" for k, v in sorted(s["oracle"].items())),
                 f"  outcomes:  decided {s['decided']} (permit {s['permits']}, deny {s['denies']}), refused "
                 f"{s['refused']}; checked against the reference {s['reference_checked']}; unspecified and "
                 f"decided {s['unspecified_decided']}",
                 "  entry points (sent / decided / refused):"]
        for route, c in d["entry_points"].items():
            lines.append(f"    {route:<14}{c.get('sent', 0):>10} {c.get('decided', 0):>10} {c.get('refused', 0):>10}")
        lines.append(f"  CLI: {s['cli_chunks']} processes, {s['cli_restarts']} of them started again after a crash, "
                     f"{s['cli_unchecked']} lines left unchecked (at most {self.params['max_cli_restarts']} "
                     "restarts per chunk)")
        lines.append(f"  service: {s['service_requests']} requests, {s['service_unsent']} lines not sent (a byte-order "
                     f"mark, over the body limit), {s['service_unchecked']} unanswered; audit: {s['audit_logs']} logs, "
                     f"{s['audit_unchecked']} lines unchecked")
        if s["worker_unchecked"]:
            lines.append(f"  {s['worker_unchecked']} scenarios unchecked: their worker process died (see crashes)")
        r = d["rule_files"]
        lines.append(f"rule files: {r.get('generated', 0)} — parsed {r.get('parsed', 0)} (parse errors "
                     f"{r.get('parse_errors', 0)}), compiled {r.get('compiled', 0)} (compile errors "
                     f"{r.get('compile_errors', 0)}), formatted {r.get('formatted', 0)}, formatted and "
                     f"recompiled {r.get('recompiled', 0)}")
        e, c = d["elapsed_seconds"], d["cpu_seconds"]
        lines.append(f"elapsed: {e['total']} s (scenarios {e['scenarios']} s, {d['scenarios_per_second']}/s; "
                     f"rule files {e['rule_files']} s, {d['rule_files_per_second']}/s)")
        lines.append(f"cpu: scenarios {c['scenarios']} s in this process + {c['cli_processes']} s in CLI processes "
                     f"({d['scenarios_per_cpu_second']} scenarios per cpu second); rule files {c['rule_files']} s")
        codes = d["informational"]["error_code_differs_from_docs"]
        if codes:
            lines.append("informational — refused with another code than docs/input.md gives (not a failure):")
            lines += [f"  {k}: {v}" for k, v in list(codes.items())[:12]]
        for kind, examples in d["examples"].items():
            lines.append(f"{kind.replace('_', ' ')} ({self.counts[kind]}), by signature:")
            lines += [f"  {n:>8}  {sig}" for sig, n in self.signatures[kind].most_common(10)]
            lines.append("  examples (the first of each signature):")
            for ex in examples:
                lines.append("  - " + json.dumps(ex, ensure_ascii=False))
        lines.append("RESULT: " + ("ok" if self.ok else "FAILED"))
        return "\n".join(lines)


def _signature(kind: str, example: dict) -> str:
    """What went wrong, in a few words, with numbers left out: failures with the same
    signature are most likely one defect."""
    parts = []
    if kind == "malformed_decided":
        parts.append(example.get("oracle", ""))
    for key in ("entry", "step", "what", "codes", "refused by", "error"):
        value = example.get(key)
        if value is None:
            continue
        if key == "error":
            value = str(value).strip().split("\n")[0]
            value = re.sub(r"`[^`]*`", "`…`", value)
        parts.append(f"{key}: {value}")
    return re.sub(r"(?<![E\d])\d+", "N", "; ".join(map(str, parts)))[:200]


# =============================================================================================
# Running the entry points
# =============================================================================================
class _Hang(BaseException):
    """Raised by the alarm when one call runs past the hard limit on its CPU time."""


def _on_alarm(signum, frame):
    if GC_CLOCK.collecting:  # the CPU limit ran out inside a collection of the harness's own heap:
        signal.setitimer(signal.ITIMER_PROF, HANG_GRACE)  # not the call's time; look again after it
        return
    raise _Hang()


#: CPU seconds granted again when the hard limit fires during a cycle collection.
HANG_GRACE = 1.0


STALL_SECONDS = 60.0  # wall-clock time after which a call counts as hung, whatever its CPU time
NO_TIME = (0.0, 0.0)


#: The routes that read the scenario as JSON text (the API routes take the dict itself).
TEXT_ROUTES = ("cli", "service")


def _strict_json(line: str | None) -> bool:
    """Whether a case's line is JSON text as RFC 8259 has it (no ``NaN``/``Infinity``), as
    every text-reading entry point requires (coopcheck.core.jsontext); True without a line."""
    if line is None:
        return True
    try:
        loads_strict(line)
    except NotJson:
        return False
    return True


class _GcClock:
    """The thread CPU time the cycle collector has spent in this process (``gc.callbacks``).

    A full collection in the harness's long-lived process walks everything every earlier call
    left alive (the evaluators' caches, the reports); it is the harness's cost, not the call's
    it happens to interrupt, so :meth:`_Timer.call` does not charge it to the call, and reports
    it beside the call's own time."""

    def __init__(self) -> None:
        self.total = 0.0
        self._start: float | None = None
        gc.callbacks.append(self._on_gc)

    @property
    def collecting(self) -> bool:
        """Whether a collection is under way now."""
        return self._start is not None

    def _on_gc(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._start = time.thread_time()
        elif self._start is not None:
            self.total += time.thread_time() - self._start
            self._start = None


GC_CLOCK = _GcClock()


def _slow(spent: tuple, limit: float) -> bool:
    """Whether a call that took ``spent`` (CPU seconds, wall-clock seconds) hung."""
    return spent[0] > limit or spent[1] > STALL_SECONDS


class _Timer:
    """A hard limit on the CPU time of each call (SIGPROF, in the main thread), and the CPU and
    wall-clock time each call took."""

    def __init__(self, hard: float):
        self.hard = hard
        self.armed = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
        self.previous = None

    def __enter__(self):
        if self.armed:
            self.previous = signal.signal(signal.SIGPROF, _on_alarm)
        return self

    def __exit__(self, *exc):
        if self.armed:
            signal.setitimer(signal.ITIMER_PROF, 0)
            signal.signal(signal.SIGPROF, self.previous)

    def call(self, fn: Callable, *args):
        """``("ok", result) | ("err", code, error) | ("crash", text) | ("hang", None)``, and
        ``(cpu seconds, wall-clock seconds, collector seconds)``: the call's own CPU time, the
        cycle collector's time during the call excluded (:class:`_GcClock`)."""
        start, cpu, collected = time.perf_counter(), time.thread_time(), GC_CLOCK.total
        if self.armed:
            signal.setitimer(signal.ITIMER_PROF, self.hard)
        try:
            out = ("ok", fn(*args))
        except CoopcheckError as err:
            out = ("err", str(err.diagnostics[0].code) if err.diagnostics else "?", err)
        except _Hang:
            out = ("hang", None)
        except Exception as err:  # noqa: BLE001 - a crash is what we count
            out = ("crash", f"{type(err).__name__}: {err}")
        finally:
            if self.armed:
                signal.setitimer(signal.ITIMER_PROF, 0)
        in_gc = GC_CLOCK.total - collected
        return out, (time.thread_time() - cpu - in_gc, time.perf_counter() - start, in_gc)


def _scenario_tuple(d) -> tuple:
    """A decided scenario's resolved ids (a Decision or a decision JSON dict)."""
    sc = d["scenario"] if isinstance(d, dict) else d.scenario.to_json()
    return (sc["action"], tuple(sc["data"]), sc["purpose"], sc["subject"], sc["recipient"], sc["consent"],
            sc["exception"])


def _ruleset_for_json(d) -> str | None:
    return d["coop"] if isinstance(d, dict) else d.coop


class Campaign:
    """The shipped co-ops, their reference policies and the oracle, ready to run cases."""

    def __init__(self, api: Any = coopcheck, cli_command: list[str] | None = None, hang_seconds: float = 5.0,
                 max_cli_restarts: int = MAX_CLI_RESTARTS):
        self.api = api
        self.max_cli_restarts = max_cli_restarts
        self.cli_command = cli_command or [sys.executable, "-m", "coopcheck"]
        self.hang_seconds = hang_seconds
        self.policies = tuple(sorted(coopcheck.shipped_policies()))
        self.rulesets = {p: coopcheck.load_policy(p) for p in self.policies}
        names, refs, written = {}, {}, {}
        coop_decls: list = []
        for p in self.policies:
            files = _policy_files(p)
            modules = [dsl.parse(text, name) for name, text in files]
            decls = [d for m in modules for d in m.of_type(ast.Declaration)]
            names[p] = Names(decls)
            coop_decls += [d for d in decls if d.kind == "coop"]
            refs[p] = load_reference([(text, name) for name, text in files])
            written[p] = {dim: tuple(sorted({t for r in refs[p].rules for t in (getattr(r, dim) or ())}))
                          for dim in ("items", "subjects", "recipients", "purposes")}
        unique = {d.name.key: d for d in coop_decls}
        self.oracle = Oracle(names, Names(list(unique.values())))
        self.refs = refs
        self.generator = Generator(self.oracle, written)
        self._ref_memo: dict[tuple, tuple] = {}
        self._service: Any = None  # (TestClient, max_batch, max_body) while a run uses the service
        self._audit_sets: dict[str, Any] = {}  # default co-op -> the audit's PolicySet, for one run

    # ---- generation -------------------------------------------------------------------------
    def chunk(self, seed: int, number: int, start: int, size: int) -> list[Case]:
        """Cases ``start`` .. ``start + size`` (chunk ``number``): reproducible from the seed."""
        rng = random.Random(f"coopcheck-fuzz/{seed}/{number}/{start}")
        default = self.policies[number % len(self.policies)]
        return [self.generator.case(rng, start + k, default) for k in range(size)]

    # ---- the reference ------------------------------------------------------------------------
    def reference(self, policy: str, ids: tuple) -> tuple:
        """``(decision, basis, sorted rules)`` from the reference evaluator (remembered)."""
        action, items, purpose, subject, recipient, consent, exception = ids
        key = (policy, action, frozenset(items), purpose, subject, recipient, consent, exception)
        hit = self._ref_memo.get(key)
        if hit is None:
            d = reference_decide(self.refs[policy], {
                "action": action, "data": list(items), "purpose": purpose, "subject": subject,
                "recipient": recipient, "consent": consent, "exception": exception})
            hit = (d.decision, d.basis, tuple(sorted(d.rules)))
            if len(self._ref_memo) > 500_000:
                self._ref_memo.clear()
            self._ref_memo[key] = hit
        return hit

    # ---- one chunk ----------------------------------------------------------------------------
    def run_chunk(self, cases: list[Case], report: Report, use_cli: bool, use_service: bool = False,
                  use_audit: bool = False) -> None:
        default = cases[0].default
        lined = [c for c in cases if c.cli]  # the cases with a JSON line: the CLI's, the service's, the audit's
        cli_cases = lined if use_cli else []
        # stress lines go to a CLI process of their own: a crash on one of them (each crash
        # costs a new process) then cannot leave the ordinary lines unchecked
        batches = [[c for c in cli_cases if not c.stress], [c for c in cli_cases if c.stress]]
        started = [(self._cli_start(batch, default, 0), batch) for batch in batches if batch]
        outcomes: list[dict] = [{} for _ in cases]
        with _Timer(max(10.0, 2 * self.hang_seconds)) as timer:
            self._api(cases, outcomes, timer, report)
        # the service and the audit run while the CLI does (they are judged after it)
        if use_service and lined:
            self._service_chunk(lined, outcomes, cases[0].index, default, report)
        if use_audit and lined:
            self._audit_chunk(lined, outcomes, cases[0].index, default, report)
        for handle, batch in started:
            self._cli_collect(handle, batch, outcomes, cases[0].index, report)
        for case, outs in zip(cases, outcomes):
            self._judge_case(case, outs, report)

    def _api(self, cases: list[Case], outcomes: list[dict], timer: _Timer, report: Report) -> None:
        api = self.api
        batches: dict[str, list[int]] = defaultdict(list)
        inputs: dict[int, Any] = {}
        for k, case in enumerate(cases):
            if not case.api:
                continue
            rs = self.rulesets[case.policy]
            if case.kind == "built":
                made, _ = timer.call(lambda f=case.fields: coopcheck.Scenario(**f))
                if made[0] != "ok":  # refused (or crashed) when built: every route sees that
                    for route in ("decide", "permits", "decide_many"):
                        self._record(case, outcomes[k], route, made, NO_TIME, report)
                    continue
                value = made[1]
                routes = [("decide", api.decide, (rs, value)), ("permits", api.permits, (rs, value))]
            else:
                value = case.value
                if isinstance(value, dict) and case.index % 2:
                    make = lambda rs=rs, v=value: api.decide(rs, api.make_scenario(rs, **v))  # noqa: E731
                else:
                    make = lambda rs=rs, v=value: api.decide(rs, api.make_scenario(rs, v))  # noqa: E731
                routes = [("decide", api.decide, (rs, value)), ("permits", api.permits, (rs, value)),
                          ("make_scenario", make, ())]
            inputs[k] = value
            batches[case.policy].append(k)
            if case.index % 3 == 1:  # vary which route meets a name first (and fills the caches)
                routes.reverse()
            for route, fn, args in routes:
                out, seconds = timer.call(fn, *args)
                if route == "decide" and out[0] == "err":
                    rendered, _ = timer.call(out[2].render)  # rendering the message must work too
                    if rendered[0] in ("crash", "hang"):
                        self._record(case, outcomes[k], "decide (render)", rendered, NO_TIME, report)
                self._record(case, outcomes[k], route, out, seconds, report)
        for policy, ks in batches.items():
            self._batch(policy, ks, inputs, cases, outcomes, timer, report)

    def _batch(self, policy: str, ks: list[int], inputs: dict, cases: list[Case], outcomes: list[dict],
               timer: _Timer, report: Report) -> None:
        """``decide_many`` over the cases ``ks``: a refused scenario ends a stream, so the rest
        are streamed again from the next one."""
        rs = self.rulesets[policy]
        pos = 0
        while pos < len(ks):
            made, _ = timer.call(lambda: iter(self.api.decide_many(rs, (inputs[k] for k in ks[pos:]))))
            if made[0] != "ok":
                self._record(cases[ks[pos]], outcomes[ks[pos]], "decide_many", made, NO_TIME, report)
                pos += 1
                continue
            stream = made[1]
            while pos < len(ks):
                k = ks[pos]
                out, seconds = timer.call(next, stream)
                if out[0] == "crash" and out[1].startswith("StopIteration"):
                    out = ("crash", "decide_many ended before its input did")
                self._record(cases[k], outcomes[k], "decide_many", out, seconds, report)
                pos += 1
                if out[0] != "ok":
                    break

    def _record(self, case: Case, outs: dict, route: str, out: tuple, seconds: tuple, report: Report) -> None:
        counts = report.routes.get(route)
        if counts is not None:
            counts["sent"] += 1
        if _slow(seconds, self.hang_seconds) or out[0] == "hang":
            report.fail("hangs", {"case": case.index, "entry": route, "cpu_seconds": round(seconds[0], 2),
                                  "wall_seconds": round(seconds[1], 2), "gc_seconds": round(seconds[2], 2),
                                  "policy": case.policy, "input": case.shown()})
        if out[0] == "crash":
            report.fail("crashes", {"case": case.index, "entry": route, "error": _cut(out[1], 300),
                                    "policy": case.policy, "input": case.shown()})
        elif out[0] in ("ok", "err") and counts is not None:
            counts["decided" if out[0] == "ok" else "refused"] += 1
            outs[route] = out

    # ---- the CLI ------------------------------------------------------------------------------
    def _cli_start(self, cli_cases: list[Case], default: str, skip: int) -> dict:
        """Start ``check --json -`` on the cases from ``skip`` on. Each case line is followed by a
        marker line that is refused (line 1 with E401, the others with E406), so the error
        object of each marker, which names its line, shows exactly which answers belong to
        which case — whatever a case line does (one answer, none, several)."""
        text = MARKER_FIRST + "\n" + "".join(f"{c.line}\n{MARKER}\n" for c in cli_cases[skip:])
        stdin = tempfile.TemporaryFile()
        stdin.write(text.encode("utf-8"))
        stdin.seek(0)
        stdout, stderr = tempfile.TemporaryFile(), tempfile.TemporaryFile()
        env = {**os.environ, "PYTHONIOENCODING": "utf-8", "PYTHONUTF8": "1"}
        proc = subprocess.Popen([*self.cli_command, "check", "--json", "-", "--coop", default], stdin=stdin,
                                stdout=stdout, stderr=stderr, cwd=ROOT, env=env)
        lines = len(cli_cases) - skip
        return {"proc": proc, "files": (stdin, stdout, stderr), "skip": skip, "default": default,
                "started": time.monotonic(), "timeout": 120 + 0.01 * lines}

    def _cli_collect(self, handle: dict, cli_cases: list[Case], outcomes_of: list[dict], first_index: int,
                     report: Report) -> None:
        """Wait for the CLI, give each case its answer; after a crash, start again after the
        case it crashed on (at most ``max_cli_restarts`` times per chunk)."""
        restarts = 0
        while True:
            skip, proc = handle["skip"], handle["proc"]
            stdin, stdout, stderr = handle["files"]
            report.counts["cli_chunks"] += 1
            timed_out = False
            try:
                proc.wait(timeout=max(1.0, handle["timeout"] - (time.monotonic() - handle["started"])))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                timed_out = True
            stdout.seek(0)
            stderr.seek(0)
            raw, err = stdout.read(), stderr.read().decode("utf-8", "replace")
            for f in (stdin, stdout, stderr):
                f.close()
            todo = cli_cases[skip:]
            try:
                lines = raw.decode("utf-8").split("\n")
            except UnicodeDecodeError as exc:
                report.fail("crashes", {"entry": "cli", "error": f"output is not UTF-8: {exc}",
                                        "chunk_first_case": first_index})
                report.counts["cli_unchecked"] += len(todo)
                return
            if lines and lines[-1] == "":
                lines.pop()
            answers: list[list] = [[] for _ in todo]
            current = None  # the case whose answers come next (after the marker before it)
            for line in lines:
                try:
                    obj = json.loads(line)
                except ValueError:
                    report.fail("crashes", {"entry": "cli", "error": "output line is not JSON: " + _cut(line, 200),
                                            "chunk_first_case": first_index})
                    continue
                error = obj.get("error") if isinstance(obj, dict) else None
                number = error.get("line") if isinstance(error, dict) else None
                if isinstance(number, int) and number % 2 == 1:  # a marker: line 2k + 1 comes before case k
                    current = (number - 1) // 2
                    continue
                if current is None or current >= len(todo):
                    report.fail("inconsistent", {"entry": "cli", "what": "an answer that follows no input line",
                                                 "output": _cut(line, 300), "chunk_first_case": first_index})
                    continue
                answers[current].append(obj)
            finished = current is not None and current >= len(todo) and not timed_out
            stop = len(todo) if finished else (current or 0)
            for k in range(stop):
                self._cli_answer(todo[k], answers[k], 2 * k + 2, outcomes_of[todo[k].index - first_index], report)
            crashed = "Traceback" in err or proc.returncode != 2
            if finished and not crashed:
                return
            culprit = todo[stop] if stop < len(todo) else None
            shown = {"case": culprit.index, "input": culprit.shown()} if culprit else {}
            if timed_out:
                report.fail("hangs", {"entry": "cli", "what": f"chunk over {handle['timeout']:.0f} s; the line "
                                      f"after the last answered one (output is buffered: near it)", **shown})
                report.counts["cli_unchecked"] += len(todo) - stop
                return
            report.fail("crashes", {"entry": "cli", "exit": proc.returncode,
                                    "error": _cut(err.strip().split("\n")[-1], 300) if err.strip() else
                                    f"exit code {proc.returncode}", "stderr": _cut(err.strip(), 400),
                                    "what": "on the line after the last answered one", **shown})
            if culprit is None:
                return
            if restarts >= self.max_cli_restarts:
                report.counts["cli_unchecked"] += len(todo) - stop - 1
                return
            restarts += 1
            report.counts["cli_restarts"] += 1
            handle = self._cli_start(cli_cases, handle["default"], skip + stop + 1)

    def _cli_answer(self, case: Case, answers: list, number: int, outs: dict, report: Report) -> None:
        """The CLI's answers to one case line (at line ``number``): exactly one is expected; of
        several decisions, the first stands for the line (so it also counts as decided)."""
        counts = report.routes["cli"]
        counts["sent"] += 1
        if len(answers) != 1:
            shown = _cut(json.dumps(answers, ensure_ascii=False), 300)
            report.fail("inconsistent", _Example(case) | {"entry": "cli", "what": f"{len(answers)} answers to one line",
                                                          "answers": shown})
            if not answers or not all(isinstance(a, dict) and "decision" in a for a in answers):
                return
        obj = answers[0]
        if isinstance(obj, dict) and isinstance(obj.get("error"), dict):
            counts["refused"] += 1
            if obj["error"].get("line") != number:
                report.fail("inconsistent", _Example(case) | {"entry": "cli", "what": "the error names another "
                                                              "line", "error": obj["error"]})
            outs["cli"] = ("err", str(obj["error"].get("code")), obj)
        elif isinstance(obj, dict) and "decision" in obj:
            counts["decided"] += 1
            outs["cli"] = ("ok", obj)
        else:
            report.fail("crashes", _Example(case) | {"entry": "cli", "error": "an answer that is neither a decision "
                                                     "nor an error: " + _cut(json.dumps(obj), 200)})

    # ---- the service ----------------------------------------------------------------------------
    def open_service(self, factory: Callable[[], Any] | None = None) -> None:
        """Start the decision service in this process: its ASGI app (``create_app`` with the
        default configuration: the shipped policies, no token, no decision log) behind
        Starlette's TestClient — no port, no network. ``factory`` builds another app."""
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # newer Starlette prefers httpx2 to httpx, and says so
            from starlette.testclient import TestClient
        from coopcheck.serve.app import ServeConfig, create_app

        app = factory() if factory is not None else create_app(ServeConfig())
        service = getattr(getattr(app, "state", None), "service", None)
        config = getattr(service, "config", None) or ServeConfig()
        client = TestClient(app, raise_server_exceptions=False)  # an exception is a 500 answer, counted
        client.__enter__()
        self._service = (client, config.max_batch, config.max_body)

    def close_service(self) -> None:
        if self._service is not None:
            client, self._service = self._service[0], None
            client.__exit__(None, None, None)

    def _service_chunk(self, lined: list[Case], outcomes: list[dict], first_index: int, default: str,
                       report: Report) -> None:
        """POST the chunk's JSON lines to ``/v1/decide?coop=DEFAULT`` (as ``check --json -
        --coop DEFAULT`` reads them): the lines the service reads as JSON as arrays (each line's
        text as it is; at most ``max_batch`` per request and within ``max_body``; stress lines
        in requests of their own, :data:`SERVICE_STRESS_BATCH` at most), each other line alone
        as a request body, which must be refused (400, E406). Each answer is the service's for
        its case; :meth:`_judge_case` compares it with every other route's (the CLI's
        included)."""
        _, max_batch, max_body = self._service
        url = "/v1/decide?coop=" + default
        counts = report.counts
        groups: tuple[list, list] = ([], [])
        for case in lined:
            line = case.line
            if line.startswith("\ufeff"):  # a body may start with a byte-order mark, a line not: not comparable
                counts["service_unsent"] += 1
                continue
            if not case.api and case.value is None and line.strip() != "null":  # not JSON
                self._service_single(url, case, outcomes[case.index - first_index], report)
                continue
            if "NaN" in line or "Infinity" in line:  # JSON to Python's json module, not to the service
                try:
                    json.loads(line, parse_constant=_not_json)
                except ValueError:
                    self._service_single(url, case, outcomes[case.index - first_index], report)
                    continue
            groups[case.stress].append(case)
        for group, most in ((groups[0], max_batch), (groups[1], min(max_batch, SERVICE_STRESS_BATCH))):
            batch: list[Case] = []
            size = 2
            for case in group:
                n = len(case.line.encode("utf-8")) + 1
                if n + 2 > max_body:
                    counts["service_unsent"] += 1
                    continue
                if batch and (len(batch) >= most or size + n > max_body):
                    self._service_batch(url, batch, outcomes, first_index, report)
                    batch, size = [], 2
                batch.append(case)
                size += n
            if batch:
                self._service_batch(url, batch, outcomes, first_index, report)

    def _service_post(self, url: str, body: bytes, case: Case, lines: int, report: Report):
        """``(status, answer)``, or None after reporting a crash, a hang or an answer that is
        not JSON."""
        client = self._service[0]
        report.counts["service_requests"] += 1
        start, cpu = time.perf_counter(), time.process_time()
        try:
            response = client.post(url, content=body, headers={"content-type": "application/json"})
            status, raw = response.status_code, response.content
        except Exception as err:  # noqa: BLE001 - a crash is what we count
            report.fail("crashes", _Example(case) | {"entry": "service", "error": _cut(f"{type(err).__name__}: "
                                                                                      f"{err}", 300)})
            return None
        wall, spent = time.perf_counter() - start, time.process_time() - cpu
        try:
            answer = json.loads(raw)
        except ValueError:
            answer = None
        timeout = status == 503 and isinstance(answer, dict) and (answer.get("error") or {}).get("code") == "timeout"
        if timeout or wall > STALL_SECONDS:
            report.fail("hangs", _Example(case) | {"entry": "service", "what": f"a request of {lines} lines (this "
                                                   "the first)" + (": 503 timeout" if timeout else ""),
                                                   "cpu_seconds": round(spent, 2), "wall_seconds": round(wall, 2)})
            if timeout:
                return None
        if answer is None:
            report.fail("crashes", _Example(case) | {"entry": "service", "error": f"status {status}, an answer that "
                                                     "is not JSON: " + _cut(raw.decode("utf-8", "replace"), 200)})
            return None
        return status, answer

    def _service_batch(self, url: str, batch: list[Case], outcomes: list[dict], first_index: int,
                       report: Report) -> None:
        body = ("[" + ",".join(c.line for c in batch) + "]").encode("utf-8")
        got = self._service_post(url, body, batch[0], len(batch), report)
        if got is not None and (got[0] != 200 or not isinstance(got[1], list) or len(got[1]) != len(batch)):
            report.fail("crashes", _Example(batch[0]) | {
                "entry": "service", "what": f"a request of {len(batch)} lines (this the first)",
                "error": f"status {got[0]}: " + _cut(json.dumps(got[1], ensure_ascii=False), 300)})
            got = None
        if got is None:
            report.counts["service_unchecked"] += len(batch)
            return
        for position, (case, answer) in enumerate(zip(batch, got[1]), 1):
            self._service_answer(case, answer, position, 200, outcomes[case.index - first_index], report)

    def _service_single(self, url: str, case: Case, outs: dict, report: Report) -> None:
        got = self._service_post(url, case.line.encode("utf-8"), case, 1, report)
        if got is None:
            report.counts["service_unchecked"] += 1
            return
        self._service_answer(case, got[1], None, got[0], outs, report)

    def _service_answer(self, case: Case, answer: Any, position: int | None, status: int, outs: dict,
                        report: Report) -> None:
        """The service's answer to one case (``position``: its place in the request's array;
        None: the request was the line alone, answered with ``status``)."""
        counts = report.routes["service"]
        counts["sent"] += 1
        example = _Example(case)
        if isinstance(answer, list):  # one answer per co-op; the CLI writes a line per co-op
            report.fail("inconsistent", example | {"entry": "service", "what": f"{len(answer)} answers to one line",
                                                   "answers": _cut(json.dumps(answer, ensure_ascii=False), 300)})
            if not answer:
                return
            answer = answer[0]
        if isinstance(answer, dict) and isinstance(answer.get("error"), dict):
            counts["refused"] += 1
            error = answer["error"]
            if error.get("line") != position or (position is None and status != 400):
                report.fail("inconsistent", example | {"entry": "service", "what": "the error names another line "
                                                       "(or the status is not 400)", "status": status, "error": error})
            outs["service"] = ("err", str(error.get("code")), answer)
        elif isinstance(answer, dict) and "decision" in answer:
            counts["decided"] += 1
            answer = dict(answer)
            revision, decision_id = (answer.pop(k, None) for k in SERVICE_STAMPS)
            if not (isinstance(revision, str) and len(revision) == 16 and isinstance(decision_id, str)
                    and _UUID.fullmatch(decision_id)) or status != 200:
                report.fail("inconsistent", example | {"entry": "service", "what": "a decision without its revision "
                                                       "and decision_id (or the status is not 200)", "status": status,
                                                       "revision": revision, "decision_id": decision_id})
            outs["service"] = ("ok", answer)
        else:
            report.fail("crashes", example | {"entry": "service", "error": "an answer that is neither a decision "
                                              "nor an error: " + _cut(json.dumps(answer, ensure_ascii=False), 200)})

    # ---- the audit ------------------------------------------------------------------------------
    def _audit_chunk(self, lined: list[Case], outcomes: list[dict], first_index: int, default: str,
                     report: Report) -> None:
        """Write the chunk's JSON lines as event logs and audit each (``coopcheck.audit.run.audit``
        with ``--coop DEFAULT``, every event's decision kept): the well-formed scenarios, each
        with an ``event_id``, re-written one JSON object a line (uniform JSON types: the audit
        reads that log the fast way, with PyArrow); the other JSON objects as they are (an
        ``event_id`` added to their text); the lines that are not JSON objects; and the stress
        lines — four logs, so that a crash on one leaves the others checked. Each event's
        outcome (permit, deny or error, its co-op, its error code) must be ``decide``'s for the
        scenario as the audit reads it (:func:`_audit_fields`); the findings (denied events by
        co-op, deciding clauses, item, recipient and purpose, with their counts, consent counts
        and rules) must be what ``decide``'s decisions give."""
        logs: dict[str, list] = {"valid": [], "objects": [], "lines": [], "stress": []}
        with _Timer(max(10.0, 2 * self.hang_seconds)) as timer:
            for case in lined:
                value = case.value
                if isinstance(value, dict):
                    eid = f"fuzz-{case.index}"
                    fields, same = _audit_fields(value)
                    outs = outcomes[case.index - first_index]
                    if same and "decide" in outs:
                        verdict, want = case.verdict, outs["decide"]
                    else:
                        verdict = self.oracle.judge(fields, default)
                        policy = (verdict.resolved["policy"] if verdict.status == "ok"
                                  else self.oracle.guess_policy(fields, default))
                        want, _ = timer.call(coopcheck.decide, self.rulesets[policy], fields)
                        if want[0] in ("crash", "hang"):  # the API's failure on the audit's reading
                            report.fail("crashes" if want[0] == "crash" else "hangs", _Example(case) | {
                                "entry": "decide (the audit's reading)", "error": want[1], "policy": policy,
                                "input": _cut(_dumps(fields), 400)})
                    if verdict.status == "ok" and isinstance(fields.get("data"), list) and not case.stress:
                        logs["valid"].append((_dumps({"event_id": eid, **fields}, False), case, eid, verdict, want))
                    else:
                        logs["stress" if case.stress else "objects"].append(
                            (_with_event_id(case.line, eid), case, eid, verdict, want))
                else:  # not JSON, or a JSON value that is not an object
                    parsed = case.api or value is not None or case.line.strip() == "null"
                    logs["stress" if case.stress else "lines"].append(
                        (case.line, case, None, case.verdict, ("err", "E404" if parsed else "E406")))
        for name, entries in logs.items():
            if entries:
                self._audit_log(name, entries, first_index, default, report)

    def _audit_log(self, name: str, entries: list, first_index: int, default: str, report: Report) -> None:
        import coopcheck.audit.run as audit_run
        from coopcheck.audit.cases import PolicySet

        policies = self._audit_sets.get(default)
        if policies is None:
            policies = self._audit_sets[default] = PolicySet(list(self.rulesets.values()), default)
        report.counts["audit_logs"] += 1
        with tempfile.TemporaryDirectory(prefix="coopcheck-fuzz-audit-") as folder:
            path = os.path.join(folder, name + ".jsonl")
            text = "\n".join(e[0] for e in entries) + "\n"
            if text.startswith("\ufeff"):  # a first line's own mark would be read as the file's
                text = "\ufeff" + text  # byte-order mark (as by every reader of a file): so give it one
            with open(path, "w", encoding="utf-8", newline="\n") as f:
                f.write(text)
            start, cpu = time.perf_counter(), time.process_time()
            try:
                result = audit_run.audit([path], default_coop=default, keep_events=True, policies=policies)
            except Exception as err:  # noqa: BLE001 - a crash is what we count
                report.fail("crashes", {"entry": "audit", "log": name, "error": _cut(f"{type(err).__name__}: {err}",
                                                                                     300),
                                        "chunk_first_case": first_index, "lines": len(entries)})
                report.counts["audit_unchecked"] += len(entries)
                return
        wall, spent = time.perf_counter() - start, time.process_time() - cpu
        if wall > STALL_SECONDS + 0.01 * len(entries):
            report.fail("hangs", {"entry": "audit", "log": name, "what": f"a log of {len(entries)} lines",
                                  "chunk_first_case": first_index, "cpu_seconds": round(spent, 2),
                                  "wall_seconds": round(wall, 2)})
        answered = set()
        for row, event_id, coop, decision, code in result.frame.select(
                "row", "event_id", "coop", "decision", "code").iter_rows():
            if not 1 <= row <= len(entries) or row in answered:
                report.fail("inconsistent", {"entry": "audit", "log": name, "what": "an event for no line (or twice)",
                                             "row": row, "chunk_first_case": first_index})
                continue
            answered.add(row)
            self._audit_answer(entries[row - 1][1:], (decision, coop, code, event_id), report)
        for row, entry in enumerate(entries, 1):
            if row not in answered:
                report.fail("inconsistent", _Example(entry[1]) | {"entry": "audit", "what": "no event for the line"})
        self._audit_findings(result, entries, report)

    def _audit_answer(self, found: tuple, got: tuple, report: Report) -> None:
        case, eid, verdict, want = found
        decision, coop, code, event_id = got
        if not _strict_json(case.line):  # not JSON text: refused unread, so without its id
            want, eid = ("err", "E406"), None
        counts = report.routes["audit"]
        counts["sent"] += 1
        example = _Example(case)
        if verdict is not case.verdict:
            example = example | {"audit reads": _cut(verdict.summary(), 300)}
        if event_id != eid:
            report.fail("inconsistent", example | {"entry": "audit", "what": "the event has another id",
                                                   "event_id": event_id, "written": eid})
        if decision in ("permit", "deny"):
            counts["decided"] += 1
            if verdict.status == "bad":
                report.fail("malformed_decided", example | {"decided by": ["audit"], "decision": f"{decision} "
                                                            f"({coop})"})
            if want[0] == "ok":
                d = want[1]
                if decision != str(d.decision) or coop != d.coop:
                    report.fail("inconsistent", example | {"entry": "audit", "what": "the audit decided otherwise",
                                                           "audit": f"{decision} ({coop})",
                                                           "decide": f"{d.decision} ({d.coop})"})
            elif want[0] == "err":
                report.fail("inconsistent", example | {"decided by": ["audit"], "refused by": {"decide": want[1]}})
        elif decision == "error":
            counts["refused"] += 1
            if verdict.status == "ok":
                report.fail("wrongly_refused", example | {"refused by": ["audit"], "error": code})
            if want[0] == "ok":
                report.fail("inconsistent", example | {"decided by": ["decide"], "refused by": {"audit": code}})
            elif want[0] == "err" and want[1] != code:
                report.fail("inconsistent", example | {"codes": {"audit": code, "decide": want[1]}})
        else:
            report.fail("crashes", example | {"entry": "audit", "error": f"an event decided `{decision}`"})

    def _audit_findings(self, result, entries: list, report: Report) -> None:
        """The audit's findings against those ``decide``'s decisions give."""
        want: dict[tuple, list] = {}
        for _, case, _, _, out in entries:
            if out[0] != "ok" or out[1].permitted:
                continue
            d = out[1]
            for item in d.items:
                if item.permitted:
                    continue
                key = (d.coop, " / ".join(item.citations) or None, item.item, d.scenario.recipient,
                       d.scenario.purpose)
                group = want.setdefault(key, [0, 0, set(), case])
                group[0] += 1
                group[1] += bool(d.would_permit_with_consent)
                group[2].update(item.rules)
        got = {(f.coop, f.clause, f.item, f.recipient, f.purpose): f for f in result.findings}
        for key in sorted(set(want) | set(got), key=repr):
            w, f = want.get(key), got.get(key)
            mine = (w[0], w[1], tuple(sorted(w[2]))) if w else None
            theirs = (f.events, f.consent_would_permit, f.rules) if f else None
            if mine != theirs:
                shown = {"entry": "audit", "what": "a finding differs (events, consent would permit, rules)",
                         "finding": list(key), "audit": theirs, "decide": mine}
                report.fail("inconsistent", _Example(w[3]) | shown if w else shown)


    # ---- judging one case -----------------------------------------------------------------------
    def _judge_case(self, case: Case, outs: dict, report: Report) -> None:
        verdict = case.verdict
        if not _strict_json(case.line):
            # the line is not JSON text (NaN, Infinity): the routes that read text refuse it
            # (E406); the API routes were handed the dict a lenient reader makes of it
            for route in TEXT_ROUTES:
                out = outs.get(route)
                if out is not None and out[:2] != ("err", "E406"):
                    report.fail("inconsistent", _Example(case) | {
                        "entry": route, "what": "a line that is not JSON text was read",
                        "answer": out[1] if out[0] == "err" else "decided"})
            outs = {r: o for r, o in outs.items() if r not in TEXT_ROUTES}
        report.counts["scenarios"] += 1
        report.kinds[case.kind] += 1
        report.oracle[{"ok": "well_formed", "bad": "malformed", "unspecified": "unspecified"}[verdict.status]] += 1
        decided = {r: o for r, o in outs.items() if o[0] == "ok"}
        refused = {r: o for r, o in outs.items() if o[0] == "err"}
        if not outs:
            return
        base = next((decided[r][1] for r in ("decide", "make_scenario", "decide_many") if r in decided), None)
        if base is None:
            base = next((decided[r][1] for r in ("cli", "service") if r in decided), None)
        example = _Example(case)
        if decided and refused:
            report.fail("inconsistent", example | {"decided by": sorted(decided),
                                                   "refused by": {r: refused[r][1] for r in sorted(refused)}})
        elif refused:
            codes = {r: refused[r][1] for r in sorted(refused)}
            if len(set(codes.values())) > 1:
                report.fail("inconsistent", example | {"codes": codes})
        elif decided:
            self._agree(case, base, decided, report, example)
        if decided:
            report.counts["decided"] += 1
            permitted = base.permitted if not isinstance(base, dict) else base["decision"] == "permit"
            report.counts["permits" if permitted else "denies"] += 1
        else:
            report.counts["refused"] += 1
        if verdict.status == "bad" and decided:
            report.fail("malformed_decided", example | {"decided by": sorted(decided),
                                                        "decision": _decision_summary(base)})
        elif verdict.status == "ok" and refused:
            first = next(iter(refused.values()))
            message = first[2].render() if len(first) > 2 and isinstance(first[2], CoopcheckError) else first[2]
            report.fail("wrongly_refused", example | {"refused by": sorted(refused),
                                                      "error": _cut(str(message), 300)})
        if verdict.status == "bad" and refused and not decided:
            want = verdict.expected_code()
            got = next(iter(refused.values()))[1]
            if want and got != want:
                report.code_differs[(verdict.problems[0][1], want, got)] += 1
        if decided and verdict.status != "bad":
            self._against_reference(case, base, report, example)

    def _agree(self, case: Case, base, decided: dict, report: Report, example: "_Example") -> None:
        """Every route that decided gave the same decision (JSON) as ``base``."""
        base_json = None

        def as_json():
            nonlocal base_json
            if base_json is None:
                base_json = base if isinstance(base, dict) else coopcheck.decision_json(base)
            return base_json

        for route, out in decided.items():
            got = out[1]
            if got is base:
                continue
            if route == "permits":
                want = base.permitted if not isinstance(base, dict) else base["decision"] == "permit"
                if got is not want:
                    report.fail("inconsistent", example | {"what": f"permits gave {got!r}, decide "
                                                                   f"{'permit' if want else 'deny'}"})
                continue
            if not isinstance(got, dict) and not isinstance(base, dict) and got == base:
                continue
            got_json = got if isinstance(got, dict) else coopcheck.decision_json(got)
            if got_json != as_json() and _normal(got_json) != _normal(as_json()):
                got_json, base_json = _normal(got_json), _normal(as_json())
                differ = sorted(k for k in set(got_json) | set(as_json()) if got_json.get(k) != as_json().get(k))
                report.fail("inconsistent", example | {"what": f"{route} decided otherwise: fields {differ}",
                                                       route: _cut(json.dumps({k: got_json.get(k) for k in differ},
                                                                              ensure_ascii=False), 300),
                                                       "decide": _cut(json.dumps({k: as_json().get(k) for k in differ},
                                                                                 ensure_ascii=False), 300)})

    def _against_reference(self, case: Case, base, report: Report, example: "_Example") -> None:
        verdict = case.verdict
        engine_ids = _scenario_tuple(base)
        if verdict.status == "ok":
            r = verdict.resolved
            ids = (r["action"], r["items"], r["purpose"], r["subject"], r["recipient"], r["consent"], r["exception"])
            policy = r["policy"]
            if engine_ids != ids or _ruleset_for_json(base) != policy:
                report.fail("disagreements", example | {"what": "names resolved to other ids than docs/input.md says",
                                                        "engine": [_ruleset_for_json(base), *engine_ids],
                                                        "oracle": [policy, *ids]})
                return
        else:
            report.counts["unspecified_decided"] += 1
            ids, policy = engine_ids, _ruleset_for_json(base)
            if policy not in self.refs:
                return
        report.counts["reference_checked"] += 1
        want = self.reference(policy, ids)
        if isinstance(base, dict):
            got = (base["decision"], base["basis"], tuple(sorted(base["rules"])))
        else:
            got = (str(base.decision), str(base.basis), tuple(sorted(base.rules)))
        if got != want:
            report.fail("disagreements", example | {"what": "the reference decides otherwise",
                                                    "engine": list(got), "reference": list(want)})


class _Example:
    """A failure example for a case, built only when a failure is reported (``example | extra``)."""

    __slots__ = ("case",)

    def __init__(self, case: Case):
        self.case = case

    def __or__(self, extra: dict) -> dict:
        case = self.case
        return {"case": case.index, "kind": case.kind, "policy": case.policy, "input": case.shown(),
                "oracle": _cut(case.verdict.summary(), 300)} | extra


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_AUDIT_DELIMITERS = re.compile(r"[、,，]")  # docs: a data field given as one string is a delimited list


def _not_json(name: str):
    raise ValueError(f"`{name}` is not JSON")


def _audit_fields(value: dict) -> tuple[dict, bool]:
    """The scenario the audit reads from a JSON Lines event (engine/audit/cases.py's reading of
    a log): the scenario fields only (other keys are the log's own columns), absent and null
    alike, ``data`` given as one string a list delimited by ``、``, ``,`` or ``，`` (spaces
    around items dropped). And whether that is the scenario itself (no key left out, no data
    string read as a list)."""
    out = {}
    for name in FIELDS:
        v = value.get(name)
        if v is None:
            continue
        if name == "data" and isinstance(v, str):
            items = [p for p in (p.strip() for p in _AUDIT_DELIMITERS.split(v)) if p]
            v = items or v
        out[name] = v
    return out, len(out) == len(value) and not isinstance(value.get("data"), str)


def _with_event_id(line: str, eid: str) -> str:
    """A JSON object's line with ``"event_id"`` added as its first key (the text otherwise as it is)."""
    at = line.index("{")
    rest = line[at + 1:]
    sep = "" if rest.lstrip(" \t\r\n").startswith("}") else ","
    return f'{line[:at + 1]}"event_id":"{eid}"{sep}{rest}'


def _normal(value):
    """A decision JSON as it reads back from a JSON line."""
    return json.loads(json.dumps(value, ensure_ascii=False))


def _decision_summary(d) -> str:
    if isinstance(d, dict):
        return f"{d['decision']} by {d['basis']}: {json.dumps(d['scenario'], ensure_ascii=False)}"
    return f"{d.decision} by {d.basis}: {json.dumps(d.scenario.to_json(), ensure_ascii=False)}"


def _policy_files(policy: str) -> list[tuple[str, str]]:
    """``(file name, text)`` of a shipped policy and the modules it imports, dependencies first."""
    order: list[tuple[str, str]] = []
    seen: set = set()

    def visit(path: Path) -> None:
        if path in seen:
            return
        seen.add(path)
        text = path.read_text(encoding="utf-8")
        for imp in dsl.parse(text, path.name).of_type(ast.Import):
            visit(ROOT / "rules" / f"{imp.target.key}.rules")
        order.append((path.name, text))

    visit(ROOT / "policies" / f"{policy}.policy")
    return order


# =============================================================================================
# Rule files
# =============================================================================================
_FRAGMENTS = ("module", "policy", "tests for", "import", "data item", "party", "purpose", "subject", "exception",
              "obligation", "cooperative", "is", "label", "aliases", "may", "be", "only", "must", "not", "used",
              "collected", "published", "shared with", "entrusted to", "provided to", "for", "of", "and", "or",
              "unless", "provided that", "consent", "is given", "a legal exception", "obliging", "managed by",
              "requires", "notice", "collecting", "sharing", "honour legal exceptions:", "any purpose",
              "any declared purpose", "anyone", "case", "expect", "permit", "deny", "by", "citing",
              "purchase history", "jccu", "delivery", "by law", '"日本生協連"', "[指針2]", "[", "]", '"', "「", "」",
              ",", "，", ":", "#", "# coopcheck: allow W604 -- x", "2022-04-01", "-", "_", " ", "\t", "\u3000",
              "\n", "\n    ", "\r\n", "\r", "\x00", "\ufeff", "\u2028", "\x0b", "é", "ﬁ", "Ｊ", "𠮷", "\\", "'")
_TEMPLATES = (
    "{items} may be used for {purposes}",
    "{items} of {subjects} may be used for {purposes}",
    "{items} may be collected for {purposes}",
    "{items} may be shared with {parties} for {purposes}\n    obliging coop remains responsible",
    "{items} may be entrusted to {parties} for any declared purpose obliging supervise contractor",
    "{items} may be provided to {parties} for {purposes} provided that consent is given",
    "{items} must not be provided to {parties} unless consent",
    "{items} must not be used for {purposes} unless a legal exception",
    "{items} may only be used for {purposes} unless consent",
    "{items} of {subjects} may only be shared with {parties} for {purposes}",
    "collecting {items} requires consent and notice",
    "using {items} of {subjects} requires notice",
    "honour legal exceptions: {exceptions}",
    "{items} may be published for {purposes} provided that consent is given",
    "{items} of anyone may be used for any purpose provided that consent is given",
)


class RuleFiles:
    """Rule files generated from templates or mutated from the shipped ones, and the checks."""

    def __init__(self, campaign: Campaign):
        self.shipped = sorted([*(ROOT / "rules").glob("*.rules"), *(ROOT / "policies").glob("*.policy"),
                               *(ROOT / "policies").glob("*.test")])
        self.texts = [(p.name, p.read_text(encoding="utf-8")) for p in self.shipped]
        names = campaign.oracle.names[campaign.policies[0]]
        self.terms = {k: sorted(v) for k, v in names.terms.items()}
        self.labels = {k: [label for label, _ in v.values() if label] for k, v in names.terms.items()}

    def _list(self, rng: random.Random, kind: str, most: int = 4) -> str:
        picked = [rng.choice(self.terms[kind]) for _ in range(rng.randint(1, most))]
        words = [f'"{rng.choice(self.labels[kind])}"' if rng.random() < 0.15 else t.replace("_", " ")
                 for t in dict.fromkeys(picked)]
        return words[0] if len(words) == 1 else ", ".join(words[:-1]) + rng.choice((" and ", ", ")) + words[-1]

    def generated(self, rng: random.Random) -> tuple[str, str]:
        """A policy from the templates: mostly valid, in assorted layouts."""
        out = [rng.choice(("policy fuzz", "policy aizu", "policy demo")), "import vocabulary"]
        if rng.random() < 0.8:
            out.append("import appi")
        if rng.random() < 0.3:
            out.append('name: "生活協同組合ファズ"  [meta]')
        for n in range(rng.randint(1, 25)):
            line = rng.choice(_TEMPLATES).format(
                items=self._list(rng, "item"), subjects=self._list(rng, "subject", 2),
                parties=self._list(rng, "party", 3), purposes=self._list(rng, "purpose"),
                exceptions=self._list(rng, "exception", 3))
            if rng.random() < 0.2:
                line = line.replace(" ", "  ", rng.randint(1, 3))
            if rng.random() < 0.1:
                line = line.replace(" for ", "\n    for ", 1)
            if rng.random() < 0.15:
                out.append("# " + rng.choice(("note", "指針", "coopcheck: allow W605 -- fuzz", "")))
            out.append(f"{line}   [c{n} {rng.choice(('指針', '方針', 'art'))}{rng.randint(1, 9)}]")
        return "fuzz.policy", "\n".join(out) + rng.choice(("\n", "", "\n\n", "\r\n"))

    def mutated(self, rng: random.Random) -> tuple[str, str]:
        """A shipped file after one to four edits: lines, tokens, junk, depth, length."""
        name, text = rng.choice(self.texts)
        for _ in range(rng.randint(1, 4)):
            how = rng.randrange(12)
            lines = text.split("\n")
            at = rng.randrange(len(lines))
            if how == 0:
                del lines[at]
            elif how == 1:
                lines.insert(at, lines[at])
            elif how == 2:
                other = rng.randrange(len(lines))
                lines[at], lines[other] = lines[other], lines[at]
            elif how in (3, 4, 5):
                tokens = re.findall(r"\s+|\S+", text)
                if tokens:
                    k = rng.randrange(len(tokens))
                    edit = how - 3
                    if edit == 0:
                        del tokens[k]
                    elif edit == 1:
                        tokens.insert(k, tokens[k])
                    else:
                        j = rng.randrange(len(tokens))
                        tokens[k], tokens[j] = tokens[j], tokens[k]
                text = "".join(tokens)
                continue
            elif how == 6:
                lines[at] = lines[at] + " " + rng.choice(_FRAGMENTS)
            elif how == 7:
                col = rng.randrange(len(lines[at]) + 1)
                lines[at] = lines[at][:col] + rng.choice(_FRAGMENTS) + lines[at][col:]
            elif how == 8:  # a deeper hierarchy
                kind, keyword = rng.choice((("item", "data item"), ("party", "party"), ("purpose", "purpose"),
                                            ("subject", "subject")))
                parent = rng.choice(self.terms[kind]).replace("_", " ")
                depth = rng.randint(10, 400)
                chain = [f"{keyword} fz{kind}0 is {parent}"] + [f"{keyword} fz{kind}{k} is fz{kind}{k - 1}"
                                                                for k in range(1, depth)]
                lines[at:at] = chain
                if kind == "item":
                    lines.append(f"fz{kind}{depth - 1} may be used for delivery   [fuzz]")
            elif how == 9:  # a very long line
                roll = rng.randrange(5)
                if roll == 0:
                    items = [rng.choice(self.terms["item"]).replace("_", " ") for _ in range(rng.randint(50, 600))]
                    lines.insert(at, ", ".join(items[:-1]) + " and " + items[-1] + " may be used for delivery [long]")
                elif roll == 1:
                    lines.insert(at, 'data item fzlong, label "' + "長" * rng.randint(1000, 20000) + '"')
                elif roll == 2:
                    lines.insert(at, "name may be used for delivery [" + "x" * rng.randint(1000, 20000) + "]")
                elif roll == 3:
                    lines.insert(at, "a" * rng.randint(1000, 50000) + " may be used for delivery [c]")
                else:
                    lines.insert(at, "# " + "コメント" * rng.randint(500, 5000))
            elif how == 10:
                text = text.replace("\n", rng.choice(("\r\n", "\n\n", "\n\t", "\n\u3000", "\r")), rng.randint(1, 50))
                continue
            else:
                col = rng.randrange(len(lines[at]) + 1)
                lines[at] = lines[at][:col] + lines[at][col + 1:]
            text = "\n".join(lines)
        return name, text

    def check(self, name: str, text: str, timer: _Timer, report: Report, hang: float, number: int) -> None:
        """Parse, compile and format one file, counting what went wrong."""
        rules = report.rules
        rules["generated"] += 1
        example = {"file": number, "name": name, "text": _cut(text, 500)}

        def step(what: str, fn, *args):
            out, seconds = timer.call(fn, *args)
            if _slow(seconds, hang) or out[0] == "hang":
                report.fail("hangs", example | {"step": what, "cpu_seconds": round(seconds[0], 2),
                                                "wall_seconds": round(seconds[1], 2)})
            if out[0] == "crash":
                report.fail("crashes", example | {"step": what, "error": _cut(out[1], 300)})
            if out[0] == "err":
                rendered, _ = timer.call(out[2].render)
                if rendered[0] == "crash":
                    report.fail("crashes", example | {"step": what + " (render)", "error": _cut(rendered[1], 300)})
            return out

        parsed = step("parse", dsl.parse, text, name)
        rules["parsed" if parsed[0] == "ok" else "parse_errors"] += 1
        compiled = step("compile", coopcheck.load_string, text, name)
        rules["compiled" if compiled[0] == "ok" else "compile_errors"] += 1
        if parsed[0] != "ok":
            return
        once = step("fmt", format_text, text, name)
        if once[0] == "err":
            report.fail("fmt_failures", example | {"what": "fmt refused a file that parses",
                                                   "error": _cut(once[2].render(), 300)})
        if once[0] != "ok":
            return
        rules["formatted"] += 1
        formatted = once[1]
        twice = step("fmt (again)", format_text, formatted, name)
        if twice[0] == "ok" and twice[1] != formatted:
            report.fail("fmt_failures", example | {"what": "formatting is not idempotent",
                                                   "diff": _first_difference(formatted, twice[1])})
        reparsed = step("parse (formatted)", dsl.parse, formatted, name)
        if reparsed[0] == "err" or reparsed[0] == "ok" and reparsed[1] != parsed[1]:
            report.fail("fmt_failures", example | {"what": "the formatted file says something else"
                                                   if reparsed[0] == "ok" else "the formatted file does not parse",
                                                   "diff": _first_difference(text, formatted)})
        if compiled[0] != "ok":
            return
        recompiled = step("compile (formatted)", coopcheck.load_string, formatted, name)
        if recompiled[0] == "ok":
            rules["recompiled"] += 1
            if _without_lines(recompiled[1]) != _without_lines(compiled[1]):
                report.fail("fmt_failures", example | {"what": "the formatted file compiles to other rules"})
        elif recompiled[0] == "err":
            report.fail("fmt_failures", example | {"what": "the formatted file does not compile",
                                                   "error": _cut(recompiled[2].render(), 300)})


def _first_difference(a: str, b: str) -> str:
    la, lb = a.split("\n"), b.split("\n")
    for k, (x, y) in enumerate(zip(la, lb)):
        if x != y:
            return f"line {k + 1}: {_cut(x, 150)!r} -> {_cut(y, 150)!r}"
    return f"{len(la)} lines -> {len(lb)} lines"


def _without_lines(ruleset) -> tuple:
    """A ruleset with each rule's id and line replaced by its position (formatting moves lines)."""
    index = {r.id: n for n, r in enumerate(ruleset.rules)}
    return (tuple(attrs.evolve(r, id=str(index[r.id]), line=0) for r in ruleset.rules),
            ruleset.meta, ruleset.vocabulary, ruleset.declared, tuple(ruleset.honoured),
            {k: tuple(index[r.id] for r in v) for k, v in ruleset.bar_index.items()},
            {k: tuple(index[r.id] for r in v) for k, v in ruleset.grant_index.items()})


# =============================================================================================
# The campaign
# =============================================================================================
def run(scenarios: int, rule_files: int, seed: int, *, cli_chunk: int = 50_000, cli: bool = True,
        service: bool = True, audit: bool = True, service_app: Callable[[], Any] | None = None,
        api: Any = None, hang_seconds: float = 5.0, rule_hang_seconds: float = 10.0,
        max_cli_restarts: int = MAX_CLI_RESTARTS, progress: Callable[[str], None] | None = None,
        campaign: Campaign | None = None, only: range | None = None) -> Report:
    """Run the campaign: ``scenarios`` scenarios through every entry point (the CLI in chunks of
    ``cli_chunk`` lines, unless ``cli`` is false; after a crash the rest of a chunk is run again,
    at most ``max_cli_restarts`` times; the same chunks' lines through the service, unless
    ``service`` is false, and the audit, unless ``audit`` is false) and ``rule_files`` rule
    files through parse, compile and fmt. A call using more than ``hang_seconds`` of CPU time
    (a rule-file step more than ``rule_hang_seconds``), or stalled for a minute, is a hang.
    ``api`` replaces the module whose ``decide``, ``permits``, ``decide_many`` and
    ``make_scenario`` are called, ``service_app`` builds the service's ASGI app (to show that a
    broken one is caught). ``only``: run only the chunks whose number is in it (a slice of a
    run shared by processes: :func:`run_parallel`)."""
    campaign = campaign or Campaign()
    campaign.api = api or coopcheck
    campaign.hang_seconds = hang_seconds
    campaign.max_cli_restarts = max_cli_restarts
    campaign._audit_sets = {}  # the audit's remembered outcomes belong to one run
    report = Report(scenarios, rule_files, seed, cli_chunk, max_cli_restarts)
    start, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
    began = time.time()
    done = 0
    number = 0
    if service and scenarios:
        campaign.open_service(service_app)
    try:
        mine = 0
        while done < scenarios:
            size = min(cli_chunk, scenarios - done)
            if only is not None and number >= only.stop:
                break
            if only is None or number in only:
                cases = campaign.chunk(seed, number, done, size)
                shown = {kind: len(examples) for kind, examples in report.examples.items()}
                campaign.run_chunk(cases, report, cli, service, audit)
                del cases
                _release_memory()
                mine += size
                if progress:  # a new kind of failure is shown at once, not only in the final report
                    for kind, examples in list(report.examples.items()):
                        for example in examples[shown.get(kind, 0):]:
                            progress(f"fuzz: {kind.replace('_', ' ')}: " + _cut(json.dumps(example, ensure_ascii=False), 600))
                    spent = time.perf_counter() - start
                    where = f" (chunk {number} of chunks {only.start}–{only.stop - 1})" if only is not None else ""
                    progress(f"fuzz: {mine} scenarios{where} of {scenarios}, {mine / spent:.0f}/s,"
                             f" failures {sum(report.failures.values())}, {_resident_mb()} MB resident")
            done += size
            number += 1
    finally:
        campaign.close_service()
        campaign._audit_sets = {}
    report.elapsed["scenarios"] = time.perf_counter() - start
    if scenarios:
        report.spans.append((began, time.time()))
    report.cpu["scenarios"] = time.process_time() - cpu
    report.cpu["cli_processes"] = _children_cpu() - children
    start, cpu = time.perf_counter(), time.process_time()
    if rule_files:
        files = RuleFiles(campaign)
        rng = random.Random(f"coopcheck-fuzz-rules/{seed}")
        with _Timer(max(rule_hang_seconds * 2, 20.0)) as timer:
            for n in range(rule_files):
                name, text = files.generated(rng) if rng.random() < 0.35 else files.mutated(rng)
                files.check(name, text, timer, report, rule_hang_seconds, n)
                if progress and (n + 1) % 1000 == 0:
                    progress(f"fuzz: {n + 1}/{rule_files} rule files")
    report.elapsed["rule_files"] = time.perf_counter() - start
    report.cpu["rule_files"] = time.process_time() - cpu
    return report


def _run_jobs(context, jobs: list, processes: int, quiet: bool):
    """Run each job (``(kind, chunks, kwargs)``) in a fresh worker process, at most
    ``processes`` at a time, and yield each one's report. A worker that dies without a report
    (killed by a signal: a crash of native code, or the kernel out of memory) does not stop
    the run: it is a failure of kind ``crashes``, with its exit status and the chunks it
    was running, and its cases count as unchecked (with ``state``, that slice runs again when
    the run is started again)."""
    from multiprocessing.connection import wait

    waiting = list(jobs)
    running: dict = {}  # sentinel -> (process, connection, job)
    while waiting or running:
        while waiting and len(running) < processes:
            job = waiting.pop(0)
            receive, send = context.Pipe(duplex=False)
            process = context.Process(target=_run_job, args=(job[0], job[2], send), daemon=True)
            process.start()
            send.close()
            running[process.sentinel] = (process, receive, job)
        for sentinel in wait(list(running)):
            process, receive, (kind, only, kwargs) = running.pop(sentinel)
            state = None
            try:
                if receive.poll():
                    state = receive.recv()
            except (EOFError, OSError):
                state = None
            receive.close()
            process.join()
            if state is not None:
                yield Report.from_state(state)
                continue
            dead = Report(kwargs.get("scenarios", 0), kwargs.get("rule_files", 0), kwargs["seed"],
                          kwargs.get("cli_chunk", 50_000))
            code = process.exitcode
            how = f"killed by signal {signal.Signals(-code).name}" if code is not None and code < 0 else \
                f"exit status {code}"
            where = f"chunks {only.start}–{only.stop - 1}" if only is not None else "the rule files"
            dead.fail("crashes", {"entry": "worker process", "error": f"died ({how}) running {where}",
                                  "chunks": [only.start, only.stop - 1] if only is not None else None})
            if only is not None:
                chunk = kwargs.get("cli_chunk", 50_000)
                dead.counts["worker_unchecked"] += min(len(only) * chunk, kwargs["scenarios"] - only.start * chunk)
            if not quiet:
                print(f"fuzz: crashes: a worker process died ({how}) running {where}", file=sys.stderr, flush=True)
            yield dead


def _run_job(kind: str, kwargs: dict, send) -> None:
    """A worker process's job: a slice of the scenarios' chunks, or the rule files; sends its
    report's state back."""
    if kind == "slice":
        report = _run_part(kwargs)
    else:
        quiet, state = kwargs.pop("quiet"), kwargs.pop("state")
        progress = None if quiet else (lambda line: print(line, file=sys.stderr, flush=True))
        report = run(0, progress=progress, **kwargs)
        report.params["rule_files"] = kwargs["rule_files"]
        if state is not None:
            _keep(state, "rule-files.json", report)
    send.send(report.state())
    send.close()


def _run_part(kwargs: dict) -> Report:
    """One slice of :func:`run_parallel` (its chunks, no rule files), in a fresh process; with
    ``state``, its report is kept there as soon as it is done."""
    quiet = kwargs.pop("quiet")
    state = kwargs.pop("state")
    progress = None if quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    report = run(progress=progress, rule_files=0, **kwargs)
    report.params["routes"] = [r for r in ("cli", "service", "audit") if kwargs.get(r, True)]
    if state is not None:
        _keep(state, _slice_name(kwargs["only"]), report)
    return report


#: How many chunks a worker process of :func:`run_parallel` runs before it is replaced by a
#: fresh one (20 chunks of 50 000: a million scenarios).
SLICE_CHUNKS = 20


def _slice_name(only: range) -> str:
    return f"chunks-{only.start:05d}-{only.stop - 1:05d}.json"


def _keep(folder: Path, name: str, report: Report) -> None:
    """Write a finished part's report into the run's state folder (whole or not at all)."""
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / (name + ".partial")
    temporary.write_text(json.dumps(report.state()) + "\n", encoding="ascii")  # (examples may hold lone surrogates)
    os.replace(temporary, folder / name)


def _kept(folder: Path | None, name: str, run_params: dict) -> Report | None:
    """A part's report kept by an earlier sitting of the same run (same parameters), or None."""
    if folder is None or not (folder / name).is_file():
        return None
    report = Report.from_state(json.loads((folder / name).read_text(encoding="utf-8")))
    if any(report.params.get(k) != v for k, v in run_params.items()):
        raise SystemExit(f"{folder / name} belongs to another run ({report.params}); use another --state folder")
    return report


def _union_seconds(spans: list[tuple[float, float]]) -> float:
    """The wall time covered by a set of (start, end) spans, overlaps counted once."""
    total, reach = 0.0, None
    for start, end in sorted(spans):
        if reach is None or start > reach:
            total += end - start
            reach = end
        elif end > reach:
            total += end - reach
            reach = end
    return total


def run_parallel(scenarios: int, rule_files: int, seed: int, processes: int, *, quiet: bool = False,
                 slice_chunks: int = SLICE_CHUNKS, state: str | Path | None = None, **options) -> Report:
    """:func:`run` shared by ``processes`` worker processes: the chunks are cut into slices of
    ``slice_chunks`` consecutive chunks, each slice is run by a fresh worker process (the same
    cases, from the same seed, as a run in one process), and so are the rule files (beside the
    first slices); the parts' reports are merged (:func:`_run_jobs`: a worker that dies is a
    crash, not a hung run). A worker lives for one slice, so its memory does not
    grow with the run: the workers of a 4M run, each kept for half of it, reached 7 GB, and a
    worker grew by about 135 MB per chunk of 50 000 even with each chunk's garbage collected and
    the heap trimmed — mostly the harness's own remembered answers (the oracle's names, the
    reference's decisions, the audit's outcomes: each bounded, the bounds large); a process
    that only decided a chunk's scenarios through the API was at 316 MB resident, its evaluators'
    caches some tens of MB of it.

    With ``state`` (a folder), each finished slice's report (and the rule files') is kept there
    at once, and a run started again with the same parameters and folder runs only what is not
    kept yet: a long run survives being stopped, and may be made in several sittings. Its
    elapsed time is then the wall time its parts ran, gaps between sittings left out."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    chunk = options.get("cli_chunk", 50_000)
    report = Report(scenarios, rule_files, seed, chunk, options.get("max_cli_restarts", MAX_CLI_RESTARTS))
    folder = Path(state) if state is not None else None
    run_params = {"scenarios": scenarios, "seed": seed, "cli_chunk": chunk,
                  "routes": [r for r in ("cli", "service", "audit") if options.get(r, True)]}
    chunks = -(-scenarios // chunk)
    slices = [range(a, min(a + slice_chunks, chunks)) for a in range(0, chunks, max(1, slice_chunks))]
    todo = []
    for only in slices:
        kept = _kept(folder, _slice_name(only), run_params)
        if kept is not None:
            report.merge(kept)
        else:
            todo.append(only)
    rules_done = _kept(folder, "rule-files.json", {"rule_files": rule_files, "seed": seed}) if rule_files else None
    if rules_done is not None:
        report.merge(rules_done)
    jobs = [("slice", only, dict(options, scenarios=scenarios, seed=seed, only=only, quiet=quiet, state=folder))
            for only in todo]
    if rule_files and rules_done is None:  # the rule files run beside the first slices
        jobs.insert(min(processes - 1, len(jobs)), ("rule files", None, dict(
            {k: v for k, v in options.items() if k not in ("service", "audit", "cli")},
            rule_files=rule_files, seed=seed, quiet=quiet, state=folder)))
    for part in _run_jobs(context, jobs, processes, quiet):
        report.merge(part)
    report.params.update(run_params)
    report.params["rule_files"] = rule_files
    report.elapsed["scenarios"] = _union_seconds(report.spans)  # the slices ran side by side and in turn
    report.params["processes"] = processes
    report.params["slice_chunks"] = slice_chunks
    return report


def _release_memory() -> None:
    """Collect the garbage, then give the heap's free pages back to the system (glibc's
    ``malloc_trim``; nothing elsewhere).
    A chunk's cases, the CLI's output and the service's and audit's buffers are freed when the
    chunk is judged, but glibc keeps the freed pages (measured: 2.4 GB resident after one chunk
    of 50 000, 1.0 GB after the trim; the workers of the 4M run, without it, held 7 GB each)."""
    gc.collect()  # first the chunk's garbage in reference cycles (error tracebacks, mostly)
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _resident_mb() -> int | None:
    """This process's resident memory in MB (Linux), or None."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) // 1024
    except (OSError, ValueError):
        pass
    return None


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def show_case(index: int, seed: int, cli_chunk: int) -> str:
    """Case ``index`` of a run with this seed and chunk size, in full."""
    campaign = Campaign()
    number, start = divmod(index, cli_chunk)
    cases = campaign.chunk(seed, number, number * cli_chunk, start + 1)
    case = cases[start]
    out = {"case": index, "kind": case.kind, "policy (API)": case.policy, "--coop (CLI)": case.default,
           "oracle": case.verdict.summary(),
           "entry points": " and ".join(x for x, on in (("API", case.api), ("CLI", case.cli)) if on)}
    if case.kind == "built":
        out["Scenario"] = {k: repr(v) for k, v in case.fields.items()}
    elif case.line is not None:
        out["json line"] = case.line
    else:
        out["value"] = repr(case.value)
    return json.dumps(out, ensure_ascii=False, indent=2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.support.fuzz", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenarios", type=int, default=10_000, help="how many scenarios (default 10000)")
    parser.add_argument("--rule-files", type=int, default=0, help="how many rule files (default 0)")
    parser.add_argument("--seed", type=int, default=0, help="the seed (default 0)")
    parser.add_argument("--json", metavar="FILE", help="also write the report as JSON to FILE")
    parser.add_argument("--cli-chunk", type=int, default=50_000, help="scenarios per CLI process (default 50000)")
    parser.add_argument("--no-cli", action="store_true", help="leave the CLI out")
    parser.add_argument("--no-service", action="store_true", help="leave the service out")
    parser.add_argument("--no-audit", action="store_true", help="leave the audit out")
    parser.add_argument("--hang-seconds", type=float, default=5.0,
                        help="a call using more CPU seconds than this is a hang (default 5)")
    parser.add_argument("--show", type=int, metavar="N", help="print case N of this seed in full and stop")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    parser.add_argument("--processes", type=int, default=1,
                        help="worker processes sharing the scenarios' chunks (default 1: this process)")
    parser.add_argument("--state", metavar="DIR",
                        help="with --processes: keep each finished slice's report in DIR, and run only the "
                             "slices not kept there yet (a long run in several sittings)")
    parser.add_argument("--slice-chunks", type=int, default=SLICE_CHUNKS,
                        help=f"with --processes: chunks a worker process runs before a fresh one takes over "
                             f"(default {SLICE_CHUNKS})")
    args = parser.parse_args(argv)
    if args.show is not None:
        print(show_case(args.show, args.seed, args.cli_chunk))
        return 0
    progress = None if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    options = dict(cli_chunk=args.cli_chunk, cli=not args.no_cli, service=not args.no_service,
                   audit=not args.no_audit, hang_seconds=args.hang_seconds)
    if args.processes > 1:
        report = run_parallel(args.scenarios, args.rule_files, args.seed, args.processes, quiet=args.quiet,
                              slice_chunks=args.slice_chunks, state=args.state, **options)
    else:
        report = run(args.scenarios, args.rule_files, args.seed, progress=progress, **options)
    print(report.text())
    if args.json:
        Path(args.json).write_text(json.dumps(report.as_dict(), ensure_ascii=False, indent=2) + "\n",
                                   encoding="utf-8")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
