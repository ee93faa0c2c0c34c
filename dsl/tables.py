"""The rule-file parser's LALR tables, built ahead of time and shipped with the package.

Building the LALR tables from ``grammar.lark`` takes about 70 ms, which was a third of compiling
every shipped policy cold. The tables depend on nothing but the grammar and the Lark version, so
they are built once, by a developer, and shipped as ``grammar_tables.json`` next to the grammar:

- **Data, not code.** The file is JSON, read with :func:`json.loads`: loading it cannot run code
  (unlike Lark's own ``cache=True``, a pickle in the shared temporary folder). It sits inside the
  installed package, as trusted as the package's code, never in a folder another user can write.
- **Never stale.** The file names the SHA-256 of the grammar text and the Lark version it was
  built with. :func:`load` uses it only when both match the grammar being parsed and the Lark
  installed; otherwise (a grammar being edited, another Lark) the parser is built from the
  grammar as before. ``tests/test_grammar_tables.py`` fails while the shipped file is not the one
  :func:`build_file` writes today.
- **Exact.** JSON has no tuples, frozensets or integer keys, which Lark's serialized form uses;
  :func:`encode` tags them (``{"\\u0000tuple": [...]}``, ...) and :func:`loads` restores them, so
  the loaded tables are the built ones, value for value.

Rebuild after editing the grammar or upgrading Lark::

    python -m coopcheck.dsl.tables
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from importlib import resources
from pathlib import Path
from typing import Any

import lark
from lark import Lark

#: the file the tables are shipped in, next to ``grammar.lark``
TABLES_FILE = "grammar_tables.json"
#: what :func:`encode` writes in place of a tuple, a frozenset and a dict whose keys are not all strings
_TUPLE, _FROZENSET, _PAIRS = "\u0000tuple", "\u0000frozenset", "\u0000pairs"
#: options that hold Python objects (the post-lexer, a transformer): given again when loading
_OBJECT_OPTIONS = ("postlex", "transformer", "lexer_callbacks", "tree_class", "_plugins")


def grammar_text() -> str:
    """The text of the shipped ``grammar.lark``."""
    return resources.files("coopcheck.dsl").joinpath("grammar.lark").read_text(encoding="utf-8")


def grammar_sha256(text: str) -> str:
    """The SHA-256 (hex) of grammar text, as the tables file records it."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def encode(value: Any) -> Any:
    """``value`` (Lark's serialized parser) as plain JSON values, tuples, frozensets and
    non-string dict keys tagged so that :func:`loads` gives ``value`` back.

    >>> loads(json.dumps(encode({1: ("a", frozenset({"b"}))})))
    {1: ('a', frozenset({'b'}))}
    """
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {k: encode(v) for k, v in value.items()}
        return {_PAIRS: [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, tuple):
        return {_TUPLE: [encode(v) for v in value]}
    if isinstance(value, frozenset):
        return {_FROZENSET: sorted(encode(v) for v in value)}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot ship a {type(value).__name__} in the parser tables")


def _untag(obj: dict) -> Any:
    """A JSON object as :func:`loads` gives it back: a tagged tuple, frozenset or dict restored."""
    if len(obj) == 1:
        if _TUPLE in obj:
            return tuple(obj[_TUPLE])
        if _PAIRS in obj:
            return {key: value for key, value in obj[_PAIRS]}
        if _FROZENSET in obj:
            return frozenset(obj[_FROZENSET])
    return obj


def loads(text: str) -> Any:
    """The value :func:`encode` gave as JSON text, read back (the inverse of
    ``json.dumps(encode(value))``)."""
    return json.loads(text, object_hook=_untag)


def serialized(parser: Lark) -> dict:
    """Lark's own serialized form of ``parser`` (its parse tables, terminals, rules and the
    options that are plain values), as :meth:`Lark._load_from_dict` takes it back."""
    data, memo = parser.memo_serialize([lark.lexer.TerminalDef, lark.grammar.Rule])
    data["options"] = {k: v for k, v in data["options"].items() if k not in _OBJECT_OPTIONS}
    return {"data": data, "memo": memo}


def file_text(parser: Lark, grammar: str) -> str:
    """The text of the tables file for ``parser``, built from ``grammar``."""
    document = {"grammar_sha256": grammar_sha256(grammar), "lark_version": lark.__version__,
                "tables": encode(serialized(parser))}
    return json.dumps(document, ensure_ascii=False, sort_keys=True, indent=0) + "\n"


@functools.lru_cache(maxsize=1)
def _shipped_text() -> str | None:
    try:
        return resources.files("coopcheck.dsl").joinpath(TABLES_FILE).read_text(encoding="utf-8")
    except OSError:
        return None


@functools.lru_cache(maxsize=4)
def _shipped_tables(grammar: str, lark_version: str) -> dict | None:
    """The shipped tables when they were built from ``grammar`` with ``lark_version``."""
    text = _shipped_text()
    if text is None:
        return None
    try:
        document = loads(text)
    except ValueError:
        return None
    if not isinstance(document, dict) or document.get("grammar_sha256") != grammar_sha256(grammar) \
            or document.get("lark_version") != lark_version:
        return None
    return document["tables"]


def load(grammar: str, keep_all_tokens: bool = False, **options: Any) -> Lark | None:
    """A parser from the shipped tables (:func:`instantiate`), or None when the tables were not
    built from ``grammar`` with the installed Lark, or cannot be read (the caller then builds
    the parser from the grammar)."""
    tables = _shipped_tables(grammar, lark.__version__)
    if tables is None:
        return None
    return instantiate(tables, keep_all_tokens, **options)


def instantiate(tables: dict, keep_all_tokens: bool = False, **options: Any) -> Lark:
    """The parser of serialized ``tables`` (:func:`serialized`), given the objects among its
    ``options`` (the post-lexer, a transformer). With ``keep_all_tokens`` every rule's callback
    gets all its tokens, keywords and ``_NL`` included (the tables are the same either way; each
    grammar symbol still says whether Lark would have dropped it: ``symbol.filter_out``)."""
    memo = tables["memo"]
    if keep_all_tokens:
        memo = {key: dict(value, options=dict(value["options"], keep_all_tokens=True))
                if value.get("__type__") == "Rule" else value for key, value in memo.items()}
    parser = Lark._load_from_dict(tables["data"], memo, **options)
    for terminal in parser.terminals:  # Lark's serialized form lists the flags; a built parser has a frozenset
        terminal.pattern.flags = frozenset(terminal.pattern.flags)
    return parser


def build_file(path: Path | None = None) -> Path:
    """Build the parser from ``grammar.lark`` and write its tables file (next to the grammar
    unless ``path`` is given). Returns the path written."""
    from coopcheck.dsl.parser import build_lark_parser

    grammar = grammar_text()
    target = path or Path(str(resources.files("coopcheck.dsl").joinpath(TABLES_FILE)))
    temporary = target.with_name(target.name + ".tmp")
    temporary.write_text(file_text(build_lark_parser(grammar), grammar), encoding="utf-8")
    os.replace(temporary, target)  # a reader sees the old file or the whole new one
    return target


if __name__ == "__main__":  # pragma: no cover - a developer's tool
    print(f"wrote {build_file()}")
