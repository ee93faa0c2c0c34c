"""Comparing a command's output with the output a document shows for it (the README's and the
docs' `$` examples, the tutorial's output blocks): ``...`` stands for text."""

from __future__ import annotations

import re


def normalise(text: str) -> list[str]:
    """The lines of ``text``: CRLF read as LF, trailing spaces and trailing blank lines dropped."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def matches(expected: str, actual: str) -> bool:
    """Whether ``actual`` is ``expected`` with each ``...`` standing for text: a line that is only
    ``...`` for any number of lines (none included), ``...`` at the end of a line for the rest of
    that line only. Trailing spaces and trailing blank lines do not count.

    >>> matches("a\\n...\\nd", "a\\nb\\nc\\nd"), matches("ab...", "abc"), matches("a...", "b")
    (True, True, False)
    """
    pattern = []
    for line in normalise(expected):
        if line.strip() == "...":
            pattern.append(r"(?:[^\n]*\n)*?")
        elif line.endswith("..."):
            pattern.append(re.escape(line[:-3]) + r"[^\n]*\n")
        else:
            pattern.append(re.escape(line) + r"\n")
    return re.fullmatch("".join(pattern), "".join(line + "\n" for line in normalise(actual))) is not None
