"""Lists of names written in one string, as people write them: the one splitter for the
command line's ``--data``/``--coop`` and for the audit's delimited data columns."""

from __future__ import annotations

import re
from typing import Callable

#: Punctuation that separates list items in English and Japanese text.
PUNCTUATION = re.compile(r"(\s*[,，、]\s*)")
#: Punctuation and the words "and" / 及び / および.
PUNCTUATION_AND_WORDS = re.compile(r"(\s*[,，、]\s*|\s+and\s+|\s+及び\s*|\s*および\s*)")
#: The most names one rejoined name is made of (bounds the work on a long list).
MAX_JOINED = 4


def split_names(text: str, *, words: bool = True, names: Callable[[str], bool] | None = None) -> list[str]:
    """The names in ``text``: split at ``,``, ``、`` and ``，`` and, with ``words``, at ``and``,
    ``及び`` and ``および``; blanks dropped. With ``names`` (whether a text names a term), words
    split at ``and`` are joined again where the parts do not all name terms and the whole does
    (``research and development data``), as the rule language does (coopcheck.core.rejoin).

    >>> split_names("氏名、住所"), split_names("name, address and phone")
    (['氏名', '住所'], ['name', 'address', 'phone'])
    >>> split_names("name and address", words=False)
    ['name and address']
    >>> split_names("name and research and development data", names=lambda t: t in {"name", "research and development data"})
    ['name', 'research and development data']
    """
    pieces = (PUNCTUATION_AND_WORDS if words else PUNCTUATION).split(text.strip())
    parts, seps = pieces[0::2], pieces[1::2]
    if names is not None and len(parts) > 1:
        parts = _rejoined(parts, seps, names)
    return [p.strip() for p in parts if p.strip()]


def _rejoined(parts: list[str], seps: list[str], names: Callable[[str], bool]) -> list[str]:
    out: list[str | None] = list(parts)
    n = len(parts)
    for length in range(min(n, MAX_JOINED), 1, -1):
        for i in range(n - length + 1):
            j = i + length
            if any(out[k] is None for k in range(i, j)) or any(PUNCTUATION.fullmatch(s) for s in seps[i:j - 1]):
                continue
            whole = parts[i] + "".join(s + p for s, p in zip(seps[i:j - 1], parts[i + 1:j]))
            if all(names(p.strip()) for p in parts[i:j]) or not names(whole.strip()):
                continue
            out[i:j] = [whole] + [None] * (length - 1)
    return [p for p in out if p is not None]
