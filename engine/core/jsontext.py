"""Reading JSON text the way every surface must: strictly (RFC 8259), with one error
message per kind of failure, so ``check --json``, the audit's JSON Lines and the service
refuse the same input the same way (E406, docs/input.md).

Python's :func:`json.loads` is lenient where the contract is not: it reads ``NaN``,
``Infinity`` and ``-Infinity``, which are not JSON, and it fails on an integer longer than
Python converts with a bare ``ValueError``. :func:`loads_strict` refuses the constants and
turns every failure into :class:`NotJson` with a message in words.
"""

from __future__ import annotations

import json
from typing import Any


class NotJson(ValueError):
    """Text that is not one JSON value: ``message`` says why, in words (lower case), with
    ``line`` and ``column`` where the decoder knows them."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


def _no_constant(name: str) -> Any:
    raise NotJson(f"`{name}` is not JSON")


#: A decoder that refuses ``NaN``/``Infinity`` (raising :class:`NotJson`, a ``ValueError``),
#: made once: ``STRICT.decode`` is the fast strict read of a hot loop, where a failure is then
#: reported through :func:`loads_strict`.
STRICT = json.JSONDecoder(parse_constant=_no_constant)


def loads_strict(text: str) -> Any:
    """The JSON value of ``text``; :class:`NotJson` if it is not one.

    >>> loads_strict('{"consent": true}')
    {'consent': True}
    >>> for bad in ('{"consent": NaN}', '{"a": ', '[' * 100_000):
    ...     try:
    ...         loads_strict(bad)
    ...     except NotJson as err:
    ...         print(err.message)
    `NaN` is not JSON
    expecting value
    nested too deeply
    """
    try:
        return STRICT.decode(text)
    except NotJson:
        raise
    except json.JSONDecodeError as err:
        raise NotJson(err.msg.lower().removesuffix(" at"), err.lineno, err.colno) from None
    except RecursionError:
        raise NotJson("nested too deeply") from None
    except ValueError as err:  # an integer too long to convert, say
        text = str(err)
        raise NotJson(text[:1].lower() + text[1:]) from None
