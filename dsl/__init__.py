"""coopcheck's rule language: grammar, parser and typed syntax tree.

``parse(text, filename)`` turns rule-file text into a :class:`~dsl.ast.Module` of frozen
nodes with source spans, or raises :class:`~dsl.errors.CoopcheckError` with located
diagnostics.
"""

from .ast import Module, Span, Term
from .errors import CoopcheckError, Diagnostic
from .parser import parse

__all__ = ["parse", "Module", "Span", "Term", "CoopcheckError", "Diagnostic"]
