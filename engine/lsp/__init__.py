"""``coopcheck lsp``: a language server (LSP over stdio) for ``.policy``, ``.rules``, ``.test``
and ``.clauses`` files.

A surface, like :mod:`coopcheck.cli`: it sits on top of the library and nothing in the
library imports it. The editor-independent work — what a document means while it is being
typed, its diagnostics, hovers, completions, definitions, outline and fixes — lives in
:mod:`coopcheck.lsp.model`, :mod:`coopcheck.lsp.checks` and :mod:`coopcheck.lsp.features`,
which need no LSP library; :mod:`coopcheck.lsp.server` wires them to the protocol with
pygls and lsprotocol (``pip install 'coopcheck[lsp]'``).
"""
