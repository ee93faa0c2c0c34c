"""coopcheck's rule language: grammar, parser and typed syntax tree.

``parse(text, filename)`` turns rule-file text into a :class:`~coopcheck.dsl.ast.Module` of frozen
nodes with source spans, or raises :class:`~coopcheck.dsl.errors.CoopcheckError` with located
diagnostics. Every diagnostic code of the package is registered in :mod:`coopcheck.dsl.codes`
(:class:`~coopcheck.dsl.codes.Code`).
"""

from coopcheck.dsl.ast import Module, Span, Term
from coopcheck.dsl.codes import Code
from coopcheck.dsl.errors import CoopcheckError, Diagnostic

__all__ = ["parse", "Module", "Span", "Term", "Code", "CoopcheckError", "Diagnostic"]


def __getattr__(name: str):
    # the parser (and Lark) is imported on first use: a process that only decides against
    # cached compiled policies never needs it
    if name == "parse":
        from coopcheck.dsl.parser import parse

        return parse
    raise AttributeError(f"module 'coopcheck.dsl' has no attribute {name!r}")
