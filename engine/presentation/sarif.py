"""SARIF 2.1.0 output for ``coopcheck lint --format sarif``, for code-review tools and editors.

One run, tool driver ``coopcheck`` with a reporting descriptor (``id``, ``name``,
``shortDescription``, ``help``, default level) for every code that occurs, all read from the
registry of codes (:mod:`coopcheck.dsl.codes`), and one result per diagnostic:
``ruleId``, ``ruleIndex``, ``level`` (``error`` / ``warning``), ``message.text``, the help
line under ``properties.help``, and a physical location (``artifactLocation.uri`` relative
to ``%SRCROOT%``, the working directory, and a ``region`` with start/end line and column).
Columns count Unicode code points (``columnKind``), as the rule-file parser does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable
from urllib.parse import quote

from coopcheck.dsl.codes import Code
from coopcheck.dsl.errors import Diagnostic

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
VERSION = "2.1.0"


def _uri(file: str) -> tuple[str, str | None]:
    """A file's URI and its base id: relative paths are relative to ``%SRCROOT%``."""
    path = Path(file)
    if path.is_absolute():
        return path.as_uri(), None
    return quote(path.as_posix()), "%SRCROOT%"


def to_sarif(diagnostics: Iterable[Diagnostic], *, tool_version: str = "0.1.0") -> dict:
    """The SARIF log for ``diagnostics``.

    >>> log = to_sarif([Diagnostic("E308", "`any declared purpose` can only be granted")])
    >>> rule = log["runs"][0]["tool"]["driver"]["rules"][0]
    >>> rule["id"], rule["name"], rule["shortDescription"]["text"], rule["defaultConfiguration"]
    ('E308', 'DeclaredPurposeOutsideGrant', '`any declared purpose` outside a grant', {'level': 'error'})
    """
    diagnostics = list(diagnostics)
    codes: list[Code] = sorted({d.code for d in diagnostics})
    index = {code: i for i, code in enumerate(codes)}
    rules = []
    for code in codes:
        rules.append({
            "id": str(code),
            "name": code.rule_name,
            "shortDescription": {"text": code.description},
            "help": {"text": f"{code}: {code.description}. Each result's message says what is wrong there; "
                             "its help line (properties.help) says what to do."},
            "defaultConfiguration": {"level": _level(code.severity)},
        })
    results = []
    for d in diagnostics:
        result: dict = {"ruleId": str(d.code), "ruleIndex": index[d.code], "level": _level(d.severity),
                        "message": {"text": d.message}}
        if d.help:
            result["properties"] = {"help": d.help}
        if d.span is not None:
            uri, base = _uri(d.span.file)
            artifact = {"uri": uri}
            if base:
                artifact["uriBaseId"] = base
            result["locations"] = [{"physicalLocation": {
                "artifactLocation": artifact,
                "region": {"startLine": d.span.line, "startColumn": d.span.column,
                           "endLine": d.span.end_line, "endColumn": d.span.end_column},
            }}]
        results.append(result)
    return {
        "$schema": SCHEMA,
        "version": VERSION,
        "runs": [{
            "tool": {"driver": {"name": "coopcheck", "version": tool_version,
                                "rules": rules}},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": Path.cwd().as_uri() + "/"}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }


def _level(severity: str) -> str:
    """The SARIF level of a severity."""
    return "error" if severity == "error" else "warning"
