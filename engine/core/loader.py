"""Reading rule files and resolving their imports inside the project's rule roots."""

from __future__ import annotations

import functools
from pathlib import Path

from attrs import frozen

import coopcheck.dsl as dsl
from coopcheck.dsl import ast
from coopcheck.dsl.errors import CoopcheckError, Diagnostic, ErrorBudget, did_you_mean, file_too_large, line_of, quote
from coopcheck.dsl.limits import MAX_FILE_BYTES

from coopcheck.core import paths


@frozen
class LoadedModule:
    """A parsed file and where it came from."""

    path: str
    module: ast.Module
    source: str


def default_roots() -> tuple[Path, ...]:
    """The shipped rule roots: ``rules/`` and ``policies/``."""
    return (paths.rules_dir().resolve(), paths.policies_dir().resolve())


def display_path(path: Path) -> str:
    """A short name for messages: relative to the working directory when possible."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def load(path: Path | None, text: str | None = None, *, name: str = "<string>",
         roots: tuple[Path, ...] | None = None) -> list[LoadedModule]:
    """Parse a file (or ``text``) and everything it imports, dependencies first.

    Imports are looked up only inside ``roots`` (the shipped ``rules/`` and ``policies/``
    plus the top file's own folder); a path that leads outside them is an error.
    """
    roots = tuple(roots) if roots is not None else default_roots()
    if path is not None:
        path = Path(path).resolve()
        roots = roots + (path.parent,)
        if text is None:
            text = _read(path)
        name = display_path(path)
    assert text is not None
    loaded: dict[str, LoadedModule] = {}
    order: list[LoadedModule] = []
    errors = ErrorBudget()  # the imports' errors, at most MAX_DIAGNOSTICS a file
    unread: list[Diagnostic] = []  # the errors of reading an imported file (already limited)
    known = functools.cache(lambda: sorted({p.stem for r in roots if r.is_dir() for p in r.glob("*.rules")}))

    def visit(file_path: Path | None, source: str, shown: str) -> None:
        module = _parse(source, shown)
        key = str(file_path) if file_path else shown
        entry = LoadedModule(key, module, source)
        loaded[key] = entry
        for imp in module.of_type(ast.Import):
            target, diag = _resolve_import(imp, file_path, roots, source, known)
            if diag:
                errors.add(diag)
                continue
            if str(target) in loaded:
                continue
            try:
                imported = _read(target)
            except CoopcheckError as err:
                unread.extend(err.diagnostics)
                continue
            visit(target, imported, display_path(target))
        order.append(entry)

    visit(path, text, name)
    if errors or unread:
        raise CoopcheckError(errors.diagnostics() + unread)
    return order


@functools.lru_cache(maxsize=128)
def _parse(source: str, shown: str) -> ast.Module:
    """:func:`dsl.parse`, remembered per text: the shared modules every policy imports (the
    vocabulary, the law baseline) are parsed once per process. Syntax trees are immutable,
    so sharing them is safe; a text that fails to parse is not remembered."""
    return dsl.parse(source, shown)


def _read(path: Path) -> str:
    """A rule file's text; unreadable or non-UTF-8 files are located errors, and so is a
    file over :data:`MAX_FILE_BYTES` (E106), of which no more than the limit is read."""
    try:
        too_large = oversized(path)
        if too_large is not None:
            raise CoopcheckError([too_large])
        return path.read_text(encoding="utf-8")
    except OSError as err:
        raise CoopcheckError([Diagnostic("E302", f"cannot read `{display_path(path)}`: {err.strerror}")]) from None
    except UnicodeDecodeError as err:
        raise CoopcheckError([Diagnostic("E302", f"`{display_path(path)}` is not UTF-8 text (byte {err.start})",
                                         None, "save rule files as UTF-8")]) from None


def oversized(path: Path) -> Diagnostic | None:
    """E106 for a file over :data:`MAX_FILE_BYTES`, found from its size and its first bytes
    (a huge file is not read whole to be refused); None for a file within the limit.
    Raises :class:`OSError` for a file that cannot be read."""
    size = path.stat().st_size
    if size <= MAX_FILE_BYTES:
        return None
    with path.open("rb") as f:
        head = f.read(MAX_FILE_BYTES + 1).decode("utf-8", "replace")
    return file_too_large(head, display_path(path), size)


def _resolved(path: Path) -> Path | None:
    """``path`` made absolute, or None when the file system refuses the name."""
    try:
        return path.resolve()
    except (OSError, ValueError):
        return None


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):  # a name too long, or with a NUL
        return False


def _within(path: Path, roots: tuple[Path, ...]) -> bool:
    return any(path == r or r in path.parents for r in roots)


def _resolve_import(imp: ast.Import, importer: Path | None, roots: tuple[Path, ...],
                    source: str, known=None) -> tuple[Path | None, Diagnostic | None]:
    """The file an import names, or the error that it names none. ``known``: the names of
    the modules in the roots, for "did you mean" (a function, so a load looks once)."""
    term = imp.target
    span = term.span or imp.span
    text = line_of(source, span.line) if span else None
    if term.quoted:
        base = importer.parent if importer else roots[0]
        target = _resolved(base / term.text)
        if target is None:  # a name the file system refuses (too long, a NUL)
            return None, Diagnostic("E302", f"cannot find imported file `{quote(term.text)}`", span,
                                    source_line=text)
        if not _within(target, roots):
            return None, Diagnostic("E303", f"import `{quote(term.text)}` leads outside the rule roots", span,
                                    "import modules by name (`import vocabulary`) or by a path inside "
                                    "the project's rules/ or policies/ folders", source_line=text)
        if not _is_file(target):
            return None, Diagnostic("E302", f"cannot find imported file `{quote(term.text)}`", span,
                                    source_line=text)
        return target, None
    name = term.key
    search = ([importer.parent] if importer else []) + list(roots)
    for root in search:
        candidate = _resolved(root / f"{name}.rules")
        if candidate is not None and _is_file(candidate) and _within(candidate, roots):
            return candidate, None
    known = known() if known is not None else sorted({p.stem for r in roots if r.is_dir()
                                                      for p in r.glob("*.rules")})
    return None, Diagnostic("E302", f"cannot find module `{quote(term.text)}`", span,
                            did_you_mean(name, known) or
                            ("available modules: " + ", ".join(f"`{k}`" for k in known) if known else None),
                            source_line=text)
