"""The limits on what coopcheck reads, in one place.

Parsing and compiling take time and memory linear in a file's size, and these limits bound
that size and the few quantities whose cost is not linear, so any rule file is answered —
compiled, or refused with located errors — in bounded time and memory. Going over a limit is
an error with its own registered code (:mod:`coopcheck.dsl.codes`), never a hang;
docs/language.md ("Limits") documents them for rule authors.

>>> MAX_FILE_BYTES // 1024, MAX_LINE_CHARS, MAX_HIERARCHY_DEPTH, MAX_DIAGNOSTICS
(1024, 10000, 64, 100)
"""

from __future__ import annotations

import contextlib
import gc
import threading
from typing import Iterator

#: The largest rule file, in bytes of UTF-8 (E106). The largest shipped file is 23 KB; a file
#: at the limit parses and compiles in a few seconds and well under 500 MB. A larger rule set
#: is split into modules that a policy imports.
MAX_FILE_BYTES = 1024 * 1024

#: The longest line, in characters (E107). An indented line continues the statement above
#: it, so no statement needs a longer one (the longest shipped line has 205).
MAX_LINE_CHARS = 10_000

#: The deepest `is` hierarchy: terms on a chain from a root term down to the deepest term,
#: both included (E209). Closures cost a term's depth, so this keeps them linear in the
#: vocabulary's size. The shipped vocabulary is 4 deep.
MAX_HIERARCHY_DEPTH = 64

#: Errors reported per file; the rest are counted in one last line, "… and N more errors"
#: (E108). Errors beyond the limit are not described, so they cost no suggestions.
MAX_DIAGNOSTICS = 100

#: The characters of a long source line a diagnostic quotes: a window around the column,
#: with "…" where the line goes on.
QUOTE_WIDTH = 120

#: The characters of a user's text (a term, a word, a key) a message quotes, with "…"
#: marking the cut.
QUOTE_LIMIT = 80

#: The longest name a term is looked up by; a longer one names no term (and is not searched
#: for a close spelling).
MAX_NAME = 200

#: The longest message or help line, in characters: a last guard, whatever a message quotes.
MAX_MESSAGE = 600

#: The index of a rule set (:func:`coopcheck.core.compiler.index_rules`) files each rule under
#: every (action, data subject, data item) it speaks of: at most this many entries (E309). The
#: shipped policies have fewer than 5 000; a rule about `personal data of any subject` has
#: a few hundred with the shipped vocabulary.
MAX_INDEX_ENTRIES = 2_000_000


_collections_lock = threading.Lock()
_collections_depth = 0
_collections_saved: tuple[int, ...] | None = None


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Parse or compile with the cycle collector run less often. A big file makes hundreds
    of thousands of objects that all stay alive (nodes, tokens, spans); the collector would
    walk them again and again, about as long as the work itself. Thread-safe and nestable:
    the first to enter raises the thresholds, the last to leave puts back what was set
    (a collector that is off, or set to 0, is left alone).

    >>> before = gc.get_threshold()
    >>> with fewer_collections():
    ...     gc.get_threshold()[0] >= 100_000 or gc.get_threshold()[0] == 0
    True
    >>> gc.get_threshold() == before
    True
    """
    global _collections_depth, _collections_saved
    with _collections_lock:
        if _collections_depth == 0:
            _collections_saved = gc.get_threshold()
            first, second, third = _collections_saved
            if first:
                gc.set_threshold(max(first, 100_000), max(second, 50), max(third, 100))
        _collections_depth += 1
    try:
        yield
    finally:
        with _collections_lock:
            _collections_depth -= 1
            if _collections_depth == 0 and _collections_saved is not None:
                gc.set_threshold(*_collections_saved)
