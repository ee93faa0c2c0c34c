"""Lists of names written in one string, as people write them: the one splitter for the
command line's ``--data``/``--coop`` and for the audit's delimited data columns."""

from __future__ import annotations

import re

#: Punctuation that separates list items in English and Japanese text.
PUNCTUATION = re.compile(r"\s*[,，、]\s*")
#: Punctuation and the words "and" / 及び / および.
PUNCTUATION_AND_WORDS = re.compile(r"\s*[,，、]\s*|\s+and\s+|\s+及び\s*|\s*および\s*")


def split_names(text: str, *, words: bool = True) -> list[str]:
    """The names in ``text``: split at ``,``, ``、`` and ``，`` and, with ``words``, at ``and``,
    ``及び`` and ``および``; blanks dropped.

    >>> split_names("氏名、住所"), split_names("name, address and phone")
    (['氏名', '住所'], ['name', 'address', 'phone'])
    >>> split_names("name and address", words=False)
    ['name and address']
    """
    pattern = PUNCTUATION_AND_WORDS if words else PUNCTUATION
    return [p.strip() for p in pattern.split(text.strip()) if p.strip()]
