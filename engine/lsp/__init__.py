"""``coopcheck lsp``: a language server (LSP over stdio) for ``.policy``, ``.rules``, ``.test``
and ``.clauses`` files.

A surface, like :mod:`coopcheck.cli`: it sits on top of the library and nothing in the
library imports it. The editor-independent work — what a document means while it is being
typed, its diagnostics, hovers, completions, definitions, outline and fixes — lives in
modules that build lsprotocol's types but never talk to the client:

- :mod:`~coopcheck.lsp.model`: what a document means as it is typed;
  :mod:`~coopcheck.lsp.checks`: lint's diagnostics for it;
- :mod:`~coopcheck.lsp.positions`: model columns (code points) <-> the client's encoding;
- :mod:`~coopcheck.lsp.statements`: what a statement names and cites, the statement at a line;
- :mod:`~coopcheck.lsp.hover`, :mod:`~coopcheck.lsp.definition`,
  :mod:`~coopcheck.lsp.completion`, :mod:`~coopcheck.lsp.symbols`,
  :mod:`~coopcheck.lsp.formatting`: one feature each;
- :mod:`~coopcheck.lsp.diagnostics`: lint's diagnostics as the client gets them, with their
  fixes; :mod:`~coopcheck.lsp.actions`: the quick fixes.

:mod:`coopcheck.lsp.server` wires them to the protocol with pygls
(``pip install 'coopcheck[lsp]'``).
"""
