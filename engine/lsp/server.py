"""The language server: the language features (:mod:`~coopcheck.lsp.hover`,
:mod:`~coopcheck.lsp.completion`, :mod:`~coopcheck.lsp.definition`, :mod:`~coopcheck.lsp.symbols`,
:mod:`~coopcheck.lsp.actions`, :mod:`~coopcheck.lsp.formatting`, lint's diagnostics as
:mod:`~coopcheck.lsp.diagnostics` converts them) over the Language Server Protocol, with pygls
and lsprotocol (``pip install 'coopcheck[lsp]'``).

Documents: ``.policy``, ``.rules``, ``.test`` and ``.clauses`` files, synchronised
incrementally. After each change a document is linted again once the typing pauses
(``debounce`` seconds, 0.3 by default; at once when it is opened or saved), in a worker
thread so requests are answered meanwhile, and lint's diagnostics are published for every file
they are in: the document, its clause inventory, an import that does not load. Documents
that depend on each other (a policy, its ``.clauses`` and its ``.test``) are linted again
together; saving any rule file lints every open document again (imports are read as saved).

Requests — hover, completion, definition, formatting, code actions, document symbols —
are answered from the document's current text; the model behind them is rebuilt at most once
per change (:class:`~coopcheck.lsp.model.Model`).

Works with pygls 1.3 and 2.x.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lsprotocol import types as lsp
from pygls.uris import from_fs_path, to_fs_path

try:  # pygls 2
    from pygls.lsp.server import LanguageServer
except ImportError:  # pygls 1.x
    from pygls.server import LanguageServer

from coopcheck.lsp.actions import allow_action, fix_action
from coopcheck.lsp.checks import DocumentLint, lint_model
from coopcheck.lsp.completion import completion
from coopcheck.lsp.definition import definition
from coopcheck.lsp.diagnostics import to_lsp
from coopcheck.lsp.formatting import formatting
from coopcheck.lsp.hover import hover
from coopcheck.lsp.model import SUFFIXES, Model, build_model, disk_sources
from coopcheck.lsp.positions import Positions
from coopcheck.lsp.symbols import symbols

log = logging.getLogger("coopcheck.lsp")

#: Seconds of quiet after a change before the document is linted again.
DEFAULT_DEBOUNCE = 0.3


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("coopcheck")
    except Exception:  # noqa: BLE001 - a checkout that is not installed
        return "0.1.0"


class CoopcheckLanguageServer(LanguageServer):
    """The server: open documents, their models, pending lints and published diagnostics."""

    def __init__(self, debounce: float = DEFAULT_DEBOUNCE):
        super().__init__("coopcheck", _version(), text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental)
        self.debounce = debounce
        self.generation = 0  # bumped by every change to any document: models older than it are stale
        self.open: dict[Path, str] = {}  # path -> the uri the client opened it by
        self.models: dict[Path, tuple[int, Model]] = {}
        self.models_lock = threading.Lock()
        self.pending: dict[str, asyncio.Task] = {}
        self.results: dict[str, dict[str, list[lsp.Diagnostic]]] = {}  # owner uri -> target uri -> diagnostics
        self.reported: set[str] = set()  # failures already logged
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="coopcheck-lint")

    # -- documents --------------------------------------------------------------------------------
    @staticmethod
    def path_of(uri: str) -> Path | None:
        """The file a ``file:`` uri names."""
        fs = to_fs_path(uri)
        return Path(fs).resolve() if fs else None

    def uri_of(self, path: Path) -> str:
        """The uri of a file: the one the client opened it by, if open."""
        return self.open.get(path) or from_fs_path(str(path))

    def text_of(self, uri: str) -> tuple[str, int | None]:
        """The text the client holds for an open document, and its version."""
        doc = self.workspace.get_text_document(uri)
        return doc.source, doc.version

    def snapshot(self):
        """``path -> text`` for the open documents now, falling back to the saved files: the
        sources a model is built from (taken on the event loop, read in the worker)."""
        texts = {}
        for path, uri in self.open.items():
            try:
                texts[path] = self.text_of(uri)[0]
            except Exception:  # noqa: BLE001 - closed meanwhile
                continue

        def sources(path: Path) -> str | None:
            path = Path(path).resolve()
            return texts[path] if path in texts else disk_sources(path)
        return sources

    def model(self, uri: str) -> Model | None:
        """The model of an open document's current text (cached until the next change)."""
        path = self.path_of(uri)
        if path is None or path.suffix not in SUFFIXES:
            return None
        with self.models_lock:
            cached = self.models.get(path)
            if cached is not None and cached[0] == self.generation:
                return cached[1]
        generation = self.generation
        sources = self.snapshot()
        text = sources(path)
        if text is None:
            return None
        built = build_model(path, text, sources)
        self._remember(path, generation, built)
        return built

    def _remember(self, path: Path, generation: int, model: Model) -> None:
        with self.models_lock:
            if generation == self.generation:
                self.models[path] = (generation, model)

    def positions(self, sources=None) -> Positions:
        """Column conversion in the position encoding agreed with the client."""
        encoding = getattr(self.workspace, "position_encoding", None) or "utf-16"
        return Positions(str(getattr(encoding, "value", encoding)), sources or self.snapshot())

    def changed(self) -> None:
        """Something changed: every cached model is stale."""
        with self.models_lock:
            self.generation += 1
            self.models.clear()

    # -- linting ------------------------------------------------------------------------------------
    def related(self, path: Path) -> list[str]:
        """The open documents to lint again when ``path`` changes: itself, and the policy,
        inventory and tests that share its name."""
        out = [self.open[path]] if path in self.open else []
        for other, uri in self.open.items():
            if other != path and other.parent == path.parent and other.stem == path.stem:
                out.append(uri)
        return out

    def schedule(self, uri: str, delay: float) -> None:
        """Lint ``uri`` after ``delay`` seconds, unless another change comes first."""
        task = self.pending.pop(uri, None)
        if task is not None:
            task.cancel()
        self.pending[uri] = asyncio.ensure_future(self._lint_later(uri, delay))

    async def _lint_later(self, uri: str, delay: float) -> None:
        try:
            if delay > 0:
                await asyncio.sleep(delay)
            path = self.path_of(uri)
            if path is None or path not in self.open:
                return
            text, version = self.text_of(uri)
            generation, sources = self.generation, self.snapshot()
            loop = asyncio.get_running_loop()
            model, result, seconds = await loop.run_in_executor(self.executor, _lint, path, text, sources)
            if path not in self.open or self.text_of(uri)[1] != version:
                return  # changed meanwhile: a newer lint is on its way
            self._remember(path, generation, model)
            self.publish(uri, model, result, version, sources)
            log.debug("linted %s in %.0f ms", path.name, seconds * 1000)
        except asyncio.CancelledError:
            raise
        except Exception as err:  # noqa: BLE001 - keep serving; say what went wrong
            log.exception("linting %s failed", uri)
            self.log(lsp.MessageType.Error, f"coopcheck: linting {uri} failed: {type(err).__name__}: {err}")
        finally:
            if self.pending.get(uri) is asyncio.current_task():
                del self.pending[uri]

    def publish(self, owner: str, model: Model, result: DocumentLint, version, sources) -> None:
        """Publish a document's lint results to every file they are in, merged with what
        other open documents found there."""
        for failure in result.failures:
            if failure not in self.reported:
                self.reported.add(failure)
                self.log(lsp.MessageType.Warning,
                         f"coopcheck: a lint analysis failed on {model.path.name} "
                         f"(its other checks still run): {failure}")
        pos = self.positions(sources)
        by_target: dict[str, list[lsp.Diagnostic]] = {owner: []}
        for d in result.diagnostics:
            path = model.path if d.span is None else _path_of_shown(d.span.file)
            lines = model.lines if path == model.path else pos.lines(path)
            by_target.setdefault(self.uri_of(path), []).append(to_lsp(d, lines, pos))
        before = self.results.get(owner, {})
        self.results[owner] = by_target
        for target in set(before) | set(by_target):
            merged, seen = [], set()
            for results in self.results.values():
                for d in results.get(target, ()):
                    key = (d.range.start.line, d.range.start.character, d.range.end.line,
                           d.range.end.character, d.code, d.message)
                    if key not in seen:
                        seen.add(key)
                        merged.append(d)
            self.send_diagnostics(target, merged, version if target == owner else None)

    def published(self, uri: str, diagnostic: lsp.Diagnostic) -> lsp.Diagnostic | None:
        """The diagnostic this server published for ``uri`` at the same place with the same
        code and message (it carries the ``data`` a quick fix needs)."""
        for results in self.results.values():
            for d in results.get(uri, ()):
                if d.range == diagnostic.range and d.code == diagnostic.code and d.message == diagnostic.message:
                    return d
        return None

    # -- compatibility between pygls 1.x and 2.x --------------------------------------------------
    def send_diagnostics(self, uri: str, diagnostics: list[lsp.Diagnostic], version=None) -> None:
        """``textDocument/publishDiagnostics``."""
        if hasattr(self, "text_document_publish_diagnostics"):  # pygls 2
            self.text_document_publish_diagnostics(
                lsp.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version))
        else:  # pragma: no cover - pygls 1.x
            self.publish_diagnostics(uri, diagnostics, version)

    def log(self, kind: lsp.MessageType, message: str) -> None:
        """``window/logMessage``."""
        if hasattr(self, "window_log_message"):  # pygls 2
            self.window_log_message(lsp.LogMessageParams(type=kind, message=message))
        else:  # pragma: no cover - pygls 1.x
            self.show_message_log(message, kind)


def _lint(path: Path, text: str, sources) -> tuple[Model, DocumentLint, float]:
    """Build the model and lint it (in the worker thread)."""
    start = time.perf_counter()
    model = build_model(path, text, sources)
    return model, lint_model(model, sources), time.perf_counter() - start


def _path_of_shown(shown: str) -> Path:
    """The file a span names (spans name files as lint shows them: relative to the
    working directory when they are under it)."""
    path = Path(shown)
    return (path if path.is_absolute() else Path.cwd() / path).resolve()


def _watch_parent(pid: int | None) -> None:
    """End the server when the editor that started it is gone (it may not say ``exit``)."""
    if not pid or os.name != "posix" or pid == os.getpid():
        return

    def watch() -> None:
        while True:
            time.sleep(3)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                os._exit(0)
            except PermissionError:
                pass

    threading.Thread(target=watch, name="coopcheck-parent-watch", daemon=True).start()


def make_server(debounce: float = DEFAULT_DEBOUNCE) -> CoopcheckLanguageServer:
    """A server with every feature registered (not started)."""
    server = CoopcheckLanguageServer(debounce)

    def guarded(name: str, default=None):
        """Answer a request with ``default`` (and log why) if computing it fails."""
        def wrap(fn):
            def handler(ls: CoopcheckLanguageServer, params):
                try:
                    return fn(ls, params)
                except Exception as err:  # noqa: BLE001 - a failing request must not end the session
                    log.exception("%s failed", name)
                    ls.log(lsp.MessageType.Error, f"coopcheck: {name} failed: {type(err).__name__}: {err}")
                    return default
            handler.__name__ = fn.__name__
            return handler
        return wrap

    @server.feature(lsp.INITIALIZED)
    def initialized(ls: CoopcheckLanguageServer, params: lsp.InitializedParams) -> None:
        root = ls.workspace.root_path
        if root and Path(root).is_dir():
            os.chdir(root)  # spans and messages name files as `coopcheck lint` run there does
        _watch_parent(getattr(ls, "process_id", None))

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: CoopcheckLanguageServer, params: lsp.DidOpenTextDocumentParams) -> None:
        path = ls.path_of(params.text_document.uri)
        if path is None or path.suffix not in SUFFIXES:
            return
        ls.open[path] = params.text_document.uri
        ls.changed()
        for uri in ls.related(path):
            ls.schedule(uri, 0 if uri == params.text_document.uri else ls.debounce)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: CoopcheckLanguageServer, params: lsp.DidChangeTextDocumentParams) -> None:
        path = ls.path_of(params.text_document.uri)
        if path is None or path not in ls.open:
            return
        ls.changed()
        for uri in ls.related(path):
            ls.schedule(uri, ls.debounce)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: CoopcheckLanguageServer, params: lsp.DidSaveTextDocumentParams) -> None:
        ls.changed()
        for uri in list(ls.open.values()):  # a saved module changes what every importer loads
            ls.schedule(uri, 0 if uri == params.text_document.uri else ls.debounce)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: CoopcheckLanguageServer, params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        path = ls.path_of(uri)
        if path is None or path not in ls.open:
            return
        del ls.open[path]
        task = ls.pending.pop(uri, None)
        if task is not None:
            task.cancel()
        ls.changed()
        before = ls.results.pop(uri, {})
        for target in before:  # what only this document reported goes with it
            merged = [d for results in ls.results.values() for d in results.get(target, ())]
            ls.send_diagnostics(target, merged)
        for other in ls.related(path):
            ls.schedule(other, ls.debounce)

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched(ls: CoopcheckLanguageServer, params: lsp.DidChangeWatchedFilesParams) -> None:
        ls.changed()
        for uri in list(ls.open.values()):
            ls.schedule(uri, ls.debounce)

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    @guarded("hover")
    def on_hover(ls: CoopcheckLanguageServer, params: lsp.HoverParams) -> lsp.Hover | None:
        model = ls.model(params.text_document.uri)
        if model is None:
            return None
        pos = ls.positions()
        line, column = pos.from_client(model.lines, params.position)
        return hover(model, line, column, pos)

    @server.feature(lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionOptions(trigger_characters=["["]))
    @guarded("completion")
    def on_completion(ls: CoopcheckLanguageServer, params: lsp.CompletionParams) -> lsp.CompletionList | None:
        model = ls.model(params.text_document.uri)
        if model is None:
            return None
        items = completion(model, params.position, ls.positions())
        return lsp.CompletionList(is_incomplete=False, items=items)

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    @guarded("definition")
    def on_definition(ls: CoopcheckLanguageServer, params: lsp.DefinitionParams) -> list[lsp.Location] | None:
        model = ls.model(params.text_document.uri)
        if model is None:
            return None
        pos = ls.positions()
        line, column = pos.from_client(model.lines, params.position)
        out = []
        for path, span in definition(model, line, column):
            lines = model.lines if path == model.path else pos.lines(path)
            out.append(lsp.Location(uri=ls.uri_of(path), range=pos.range(lines, span)))
        return out or None

    @server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
    @guarded("formatting")
    def on_formatting(ls: CoopcheckLanguageServer, params: lsp.DocumentFormattingParams) -> list[lsp.TextEdit] | None:
        model = ls.model(params.text_document.uri)
        if model is None:
            return None
        edits = formatting(model, ls.positions())
        if edits is None and model.parse_error is not None:
            ls.log(lsp.MessageType.Info, f"coopcheck: {model.path.name} does not parse; not formatted")
        return edits

    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    @guarded("documentSymbol")
    def document_symbol(ls: CoopcheckLanguageServer,
                        params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol] | None:
        model = ls.model(params.text_document.uri)
        if model is None:
            return None
        return symbols(model, ls.positions())

    @server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION,
                    lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]))
    @guarded("codeAction")
    def code_action(ls: CoopcheckLanguageServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction] | None:
        uri = params.text_document.uri
        model = ls.model(uri)
        if model is None:
            return None
        pos = ls.positions()
        actions = []
        for diagnostic in params.context.diagnostics:
            if diagnostic.source != "coopcheck":
                continue
            if not isinstance(diagnostic.data, dict):  # a client that does not send `data` back
                diagnostic = ls.published(uri, diagnostic) or diagnostic
            fix = fix_action(uri, diagnostic)
            if fix is not None and _still_applies(model, fix, pos):
                actions.append(fix)
            allow = allow_action(model, uri, diagnostic, pos)
            if allow is not None:
                actions.append(allow)
        return actions

    return server


def _still_applies(model: Model, action: lsp.CodeAction, pos: Positions) -> bool:
    """Whether the text a fix replaces is still there (the document may have changed since
    the diagnostic was published)."""
    (edit,) = next(iter(action.edit.changes.values()))
    start = pos.from_client(model.lines, edit.range.start)
    end = pos.from_client(model.lines, edit.range.end)
    if start[0] != end[0]:
        return False
    text = model.lines[start[0] - 1][start[1] - 1:end[1] - 1] if start[0] <= len(model.lines) else ""
    return text == _old_text(action)


def _old_text(action: lsp.CodeAction) -> str:
    data = action.diagnostics[0].data if action.diagnostics else None
    return data["fix"]["oldText"] if isinstance(data, dict) and "fix" in data else ""


def serve(debounce: float = DEFAULT_DEBOUNCE) -> None:
    """Run the server over standard input and output until the client says ``exit``."""
    make_server(debounce).start_io()
