"""``coopcheck lsp``: the language server, driven through the real protocol.

One server (``python -m coopcheck lsp`` as a subprocess, over stdio) serves the whole module,
driven by pytest-lsp's client: a policy with a misspelt term gets lint's diagnostic with its
suggestion, the quick fix applies it and the diagnostic clears; hover, completion,
go-to-definition, formatting, the suppression quick fix, the clause inventory as it is being
edited, edits typed faster than the debounce, and the outline. Every wait is bounded, and the
server is shut down (or killed) at the end; it also ends by itself when its parent process
goes. The in-process tests at the bottom pin that the server's diagnostics are lint's own (on
every file of tests/lint_cases/), that a 300-line policy is linted fast, the column encodings,
completion in a file that does not parse, the message without the ``lsp`` extra, and the VS
Code extension's manifest.
"""

from __future__ import annotations

import asyncio
import io
import shutil
import sys
import time
from pathlib import Path

import pytest

pytest_lsp = pytest.importorskip("pytest_lsp")
from lsprotocol import types as lsp  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient  # noqa: E402

from coopcheck.analysis.lint import lint_paths  # noqa: E402
from coopcheck.dsl.formatter import format_text  # noqa: E402
from coopcheck.lsp.checks import lint_model  # noqa: E402
from coopcheck.lsp.model import build_model  # noqa: E402

#: the protocol tests share one event loop, and so one server, for the module
protocol = pytest.mark.asyncio(loop_scope="module")

#: Seconds any one exchange may take before the test fails (the server answers in well under one).
WAIT = 15
ROOT = Path(__file__).resolve().parents[1]

POLICY = """\
policy demo
import vocabulary
import appi

name: "デモ生協"                                                        [c1]
address: "奈良県奈良市"                                                 [c1]
representative: "理事長 山田 花子"                                      [c1]
purchase histroy may be shared with jccu for delivery managed by "デモ生協"   [c2]
personal data may be used for delivery                                  [c3]
"""
CLAUSES = "c1\nc2\nc3\n"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    """A folder holding a policy (with a misspelt term), its clause inventory, a policy with
    an unused term, and a badly laid out rule file."""
    folder = tmp_path_factory.mktemp("lsp")
    (folder / "demo.policy").write_text(POLICY, encoding="utf-8")
    (folder / "demo.clauses").write_text(CLAUSES, encoding="utf-8")
    (folder / "spare.policy").write_text(
        "policy spare\nimport vocabulary\nimport appi\n\n"
        "purpose spare_purpose, label \"予備の目的\"\n"
        "personal data may be used for delivery   [s1]\n", encoding="utf-8")
    (folder / "messy.policy").write_text(
        "policy messy\nimport vocabulary\nname ,phone may be used for delivery purposes [c 1]\n",
        encoding="utf-8")
    return folder


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(
    server_command=[sys.executable, "-m", "coopcheck", "lsp", "--debounce", "50"]))
async def client(lsp_client: LanguageClient, workspace: Path):
    await asyncio.wait_for(lsp_client.initialize_session(lsp.InitializeParams(
        capabilities=pytest_lsp.client_capabilities("visual-studio-code"),
        root_uri=workspace.as_uri(),
        workspace_folders=[lsp.WorkspaceFolder(uri=workspace.as_uri(), name="lsp")])), WAIT)
    yield
    try:
        await asyncio.wait_for(lsp_client.shutdown_session(), WAIT)
    except (asyncio.TimeoutError, Exception):  # never leave the server running
        server = getattr(lsp_client, "_server", None)
        if server is not None and server.returncode is None:
            server.kill()
        raise


# ---- helpers ------------------------------------------------------------------------------------

def uri(workspace: Path, name: str) -> str:
    return (workspace / name).as_uri()


def open_doc(client: LanguageClient, workspace: Path, name: str, text: str | None = None) -> str:
    """Open a document of the workspace (its saved text unless ``text``)."""
    doc_uri = uri(workspace, name)
    text = (workspace / name).read_text(encoding="utf-8") if text is None else text
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=lsp.TextDocumentItem(
        uri=doc_uri, language_id="coopcheck", version=1, text=text)))
    return doc_uri


async def diagnostics_until(client: LanguageClient, doc_uri: str, check, what: str):
    """Wait (bounded) until the diagnostics published for ``doc_uri`` satisfy ``check``."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        found = client.diagnostics.get(doc_uri)
        if found is not None and check(found):
            return list(found)
        await asyncio.sleep(0.05)
    pytest.fail(f"no diagnostics {what} for {doc_uri} within {WAIT} s; last: {client.diagnostics.get(doc_uri)}")


def apply(text: str, edits: list[lsp.TextEdit]) -> str:
    """``text`` with LSP edits applied (positions in UTF-16 units; these texts are all BMP)."""
    lines = text.split("\n")

    def offset(p: lsp.Position) -> int:
        return sum(len(line) + 1 for line in lines[:p.line]) + p.character

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[:offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end):]
        lines = text.split("\n")
    return text


def change(client: LanguageClient, doc_uri: str, version: int, edits: list[lsp.TextEdit]) -> None:
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=doc_uri, version=version),
        content_changes=[lsp.TextDocumentContentChangePartial(range=e.range, text=e.new_text) for e in edits]))


def at(text: str, needle: str, offset: int = 0) -> lsp.Position:
    """The position of ``needle`` (plus ``offset`` characters) in ``text``."""
    index = text.index(needle) + offset
    line = text.count("\n", 0, index)
    return lsp.Position(line=line, character=index - (text.rfind("\n", 0, index) + 1))


def codes(diagnostics) -> list[str]:
    return [d.code for d in diagnostics]


# ---- through the protocol -----------------------------------------------------------------------

@protocol
async def test_misspelt_term_gets_a_suggestion_and_the_quick_fix_clears_it(client: LanguageClient, workspace):
    doc = open_doc(client, workspace, "demo.policy")
    found = await diagnostics_until(client, doc, lambda ds: ds, "for the misspelt term")
    (typo,) = [d for d in found if d.code == "E201"]
    assert "unknown data item `purchase histroy`" in typo.message
    assert "did you mean `purchase_history` (購買履歴)?" in typo.message  # lint's help line
    assert typo.range == lsp.Range(start=at(POLICY, "purchase histroy"),
                                   end=at(POLICY, "purchase histroy", len("purchase histroy")))
    assert typo.severity == lsp.DiagnosticSeverity.Error and typo.source == "coopcheck"

    actions = await asyncio.wait_for(client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri=doc), range=typo.range,
        context=lsp.CodeActionContext(diagnostics=[typo]))), WAIT)
    (fix,) = [a for a in actions if a.title.startswith("Replace")]
    assert fix.kind == lsp.CodeActionKind.QuickFix and fix.is_preferred
    edits = fix.edit.changes[doc]
    fixed = apply(POLICY, edits)
    assert "purchase history may be shared with jccu" in fixed

    change(client, doc, 2, edits)
    await diagnostics_until(client, doc, lambda ds: not ds, "cleared after the fix")


@protocol
async def test_hover_on_a_term_shows_its_japanese_label_parents_and_rules(client: LanguageClient, workspace):
    doc = uri(workspace, "demo.policy")
    text = apply(POLICY, [lsp.TextEdit(range=lsp.Range(start=at(POLICY, "histroy"), end=at(POLICY, "histroy", 7)),
                                       new_text="history")])
    hover = await asyncio.wait_for(client.text_document_hover_async(lsp.HoverParams(
        text_document=lsp.TextDocumentIdentifier(uri=doc), position=at(text, "jccu", 1))), WAIT)
    value = hover.contents.value
    assert "**jccu**" in value and "party" in value
    assert "日本生活協同組合連合会" in value and "日本生協連" in value  # label and aliases
    assert "`jccu` → `coop_federation` → `third_party`" in value  # the chain of parents
    assert "line 8 `[c2]`" in value  # the rule of this policy that mentions it

    # on a citation: the clause's line in the inventory
    hover = await asyncio.wait_for(client.text_document_hover_async(lsp.HoverParams(
        text_document=lsp.TextDocumentIdentifier(uri=doc), position=at(text, "[c3]", 1))), WAIT)
    assert "demo.clauses` line 3" in hover.contents.value

    # elsewhere on a rule: what it says with its defaults written out
    hover = await asyncio.wait_for(client.text_document_hover_async(lsp.HoverParams(
        text_document=lsp.TextDocumentIdentifier(uri=doc), position=at(text, "may be used", 1))), WAIT)
    assert "personal data of member may be used for delivery" in hover.contents.value
    assert "demo:9" in hover.contents.value


@protocol
async def test_completion_offers_terms_keywords_and_clauses(client: LanguageClient, workspace):
    doc = uri(workspace, "demo.policy")
    text = POLICY.replace("histroy", "history")
    line = "personal data may be used for deliv"
    end = at(text, "personal data may be used for delivery", len(line))
    result = await asyncio.wait_for(client.text_document_completion_async(lsp.CompletionParams(
        text_document=lsp.TextDocumentIdentifier(uri=doc), position=end)), WAIT)
    labels = {item.label for item in result.items}
    # purposes, by their words and their Japanese labels
    assert {"delivery", "商品のお届け・発送・サービスの提供", "any purpose"} <= labels
    assert "jccu" not in labels  # a party is not a purpose
    delivery = next(i for i in result.items if i.label == "delivery")
    assert delivery.text_edit.new_text == "delivery"

    # after `may be`: the verbs the grammar accepts there
    position = at(text, "may be used", len("may be "))
    result = await asyncio.wait_for(client.text_document_completion_async(lsp.CompletionParams(
        text_document=lsp.TextDocumentIdentifier(uri=doc), position=position)), WAIT)
    keywords = {i.label for i in result.items if i.kind == lsp.CompletionItemKind.Keyword}
    # (`disclosed` too: the grammar takes it, and the compiler explains why a grant cannot, E310)
    assert {"used", "shared", "entrusted", "provided", "disclosed", "collected", "published"} == keywords

    # inside a citation: the inventory's clause labels
    position = at(text, "[c3]", 1)
    result = await asyncio.wait_for(client.text_document_completion_async(lsp.CompletionParams(
        text_document=lsp.TextDocumentIdentifier(uri=doc), position=position)), WAIT)
    assert [i.label for i in result.items] == ["c1", "c2", "c3"]


@protocol
async def test_definition_of_a_term_a_citation_and_an_import(client: LanguageClient, workspace):
    doc = uri(workspace, "demo.policy")
    text = POLICY.replace("histroy", "history")
    from coopcheck.core.paths import rules_dir

    vocabulary = rules_dir() / "vocabulary.rules"  # the installed copy (or the checkout's, when editable)
    lines = vocabulary.read_text(encoding="utf-8").split("\n")
    jccu_line = next(i for i, line in enumerate(lines) if line.startswith("party jccu "))

    async def where(position):
        return await asyncio.wait_for(client.text_document_definition_async(lsp.DefinitionParams(
            text_document=lsp.TextDocumentIdentifier(uri=doc), position=position)), WAIT)

    (loc,) = await where(at(text, "jccu", 2))
    assert Path(loc.uri.removeprefix("file://")).resolve() == vocabulary.resolve()
    assert loc.range.start == lsp.Position(line=jccu_line, character=len("party "))
    (loc,) = await where(at(text, "[c2]", 2))
    assert loc.uri.endswith("/demo.clauses") and loc.range.start.line == 1
    (loc,) = await where(at(text, "import appi", len("import a")))
    assert loc.uri.endswith("/rules/appi.rules")


@protocol
async def test_formatting_is_fmt(client: LanguageClient, workspace):
    doc = open_doc(client, workspace, "messy.policy")
    text = (workspace / "messy.policy").read_text(encoding="utf-8")
    edits = await asyncio.wait_for(client.text_document_formatting_async(lsp.DocumentFormattingParams(
        text_document=lsp.TextDocumentIdentifier(uri=doc),
        options=lsp.FormattingOptions(tab_size=4, insert_spaces=True))), WAIT)
    assert edits
    assert apply(text, edits) == format_text(text, "messy.policy")


@protocol
async def test_a_warning_can_be_allowed_by_the_quick_fix(client: LanguageClient, workspace):
    doc = open_doc(client, workspace, "spare.policy")
    text = (workspace / "spare.policy").read_text(encoding="utf-8")
    found = await diagnostics_until(client, doc, lambda ds: "W601" in codes(ds), "with the unused term")
    (unused,) = [d for d in found if d.code == "W601"]
    actions = await asyncio.wait_for(client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri=doc), range=unused.range,
        context=lsp.CodeActionContext(diagnostics=[unused]))), WAIT)
    (allow,) = [a for a in actions if a.title.startswith("Allow W601")]
    edits = allow.edit.changes[doc]
    allowed = apply(text, edits)
    assert "# coopcheck: allow W601 -- " in allowed.split("\n")[4]
    change(client, doc, 2, edits)
    await diagnostics_until(client, doc, lambda ds: "W601" not in codes(ds), "without W601 once allowed")


@protocol
async def test_the_inventory_is_checked_as_it_is_typed(client: LanguageClient, workspace):
    """An unsaved clause added to the open inventory is reported there at once (E501)."""
    policy = uri(workspace, "demo.policy")
    await diagnostics_until(client, policy, lambda ds: not ds, "clean")
    inventory = open_doc(client, workspace, "demo.clauses")
    change(client, inventory, 2, [lsp.TextEdit(range=lsp.Range(start=lsp.Position(line=3, character=0),
                                                               end=lsp.Position(line=3, character=0)),
                                               new_text="c4\n")])
    found = await diagnostics_until(client, inventory, lambda ds: "E501" in codes(ds), "for the new clause")
    (e501,) = found
    assert "clause `c4` is neither cited by a rule nor explained" in e501.message
    assert e501.range.start.line == 3


@protocol
async def test_quick_edits_are_linted_as_the_last_one_left_the_text(client: LanguageClient, workspace):
    text = "policy typing\nimport vocabulary\nimport appi\n\npersonal data may be used for delivery   [t1]\n"
    (workspace / "typing.policy").write_text(text, encoding="utf-8")
    doc = open_doc(client, workspace, "typing.policy")
    await diagnostics_until(client, doc, lambda ds: not ds, "clean")
    current = text
    for version, word in enumerate(["d", "de", "del", "deli", "delix"], 2):  # typed faster than the debounce
        edit = lsp.TextEdit(range=lsp.Range(start=at(current, "for ", 4), end=at(current, "   [t1]")), new_text=word)
        change(client, doc, version, [edit])
        current = apply(current, [edit])
    assert "used for delix   [t1]" in current
    found = await diagnostics_until(client, doc, lambda ds: "E201" in codes(ds), "for the last edit")
    (unknown,) = found
    assert "unknown purpose `delix`" in unknown.message and "did you mean `delivery`" in unknown.message


@protocol
async def test_document_symbols_outline_the_file(client: LanguageClient, workspace):
    doc = uri(workspace, "spare.policy")
    found = await asyncio.wait_for(client.text_document_document_symbol_async(lsp.DocumentSymbolParams(
        text_document=lsp.TextDocumentIdentifier(uri=doc))), WAIT)
    names = [s.name for s in found]
    assert names[0] == "policy spare" and "imports" in names and "rules" in names
    terms = next(s for s in found if s.name == "purpose terms")
    assert [c.name for c in terms.children] == ["spare_purpose"]
    assert "予備の目的" in terms.children[0].detail


@protocol
async def test_the_session_logged_no_errors(client: LanguageClient):
    errors = [m.message for m in client.log_messages if m.type == lsp.MessageType.Error]
    assert not errors


# ---- in process ---------------------------------------------------------------------------------

LINT_CASES = sorted(p for p in (ROOT / "tests" / "lint_cases").rglob("*") if p.suffix in (".policy", ".rules", ".test"))


@pytest.mark.parametrize("case", LINT_CASES, ids=lambda p: p.name)
def test_diagnostics_are_lints_own(case: Path):
    """For each of lint's case files, the server's diagnostics are ``lint_paths``'s, exactly."""
    got = lint_model(build_model(case, case.read_text(encoding="utf-8")))
    try:
        expected = lint_paths([case]).diagnostics
    except Exception:  # lint itself fails on the file: the server keeps the checks that ran
        assert got.failures
        return
    assert not got.failures
    assert tuple(got.diagnostics) == expected


def test_a_300_line_policy_is_linted_fast(tmp_path):
    """Build and lint a 300-line policy after an edit, as the server does after each pause."""
    source = ROOT / "policies" / "aicoop_miyagi.policy"
    text = source.read_text(encoding="utf-8")
    text += "\n".join(f"# padding line {i}" for i in range(300 - text.count("\n"))) + "\n"
    assert text.count("\n") >= 300
    path = tmp_path / source.name
    path.write_text(text, encoding="utf-8")
    shutil.copy(source.with_suffix(".clauses"), tmp_path)
    build_model(path, text)  # warm: the imports are parsed once per process
    best = min(_timed(path, text + f"# edit {i}\n") for i in range(3))
    assert best < 1.0, f"{best:.2f} s"


def _timed(path: Path, text: str) -> float:
    start = time.perf_counter()
    lint_model(build_model(path, text))
    return time.perf_counter() - start


def test_without_pygls_the_command_says_what_to_install(monkeypatch, capsys):
    from coopcheck.cli.main import main

    # an environment without the `lsp` extra: pygls and lsprotocol cannot be imported
    for name in [n for n in sys.modules if n.split(".")[0] in ("pygls", "lsprotocol")]:
        monkeypatch.delitem(sys.modules, name)
    for name in ("pygls", "lsprotocol"):
        monkeypatch.setitem(sys.modules, name, None)
    for name in [n for n in sys.modules if n.startswith("coopcheck.lsp.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # were it to start anyway, it would end at once
    assert main(["lsp"]) == 2
    assert "pip install 'coopcheck[lsp]'" in capsys.readouterr().err


def test_the_vscode_extension_starts_the_server_for_the_four_kinds_of_file():
    import json

    folder = ROOT / "editors" / "vscode"
    manifest = json.loads((folder / "package.json").read_text(encoding="utf-8"))
    extensions = {e for lang in manifest["contributes"]["languages"] for e in lang["extensions"]}
    assert extensions == {".rules", ".policy", ".test", ".clauses"}
    (grammar,) = manifest["contributes"]["grammars"]
    assert grammar["scopeName"] == "source.coopcheck"
    assert "../coopcheck.tmLanguage.json" in manifest["scripts"]["postinstall"]  # npm install copies it
    assert grammar["path"] == "./syntaxes/coopcheck.tmLanguage.json"
    assert "vscode-languageclient" in manifest["dependencies"]
    script = (folder / manifest["main"]).read_text(encoding="utf-8")
    assert "'coopcheck'" in script and "['lsp']" in script
    assert manifest["contributes"]["configuration"]["properties"]["coopcheck.server.args"]["default"] == ["lsp"]


def test_columns_are_converted_to_the_clients_encoding():
    from coopcheck.lsp.positions import Positions

    lines = ["😀 jccu 日本"]  # one character outside the BMP: two UTF-16 units
    utf16, utf32 = Positions("utf-16"), Positions("utf-32")
    assert utf16.to_client(lines, 1, 3).character == 3 and utf32.to_client(lines, 1, 3).character == 2
    assert utf16.from_client(lines, lsp.Position(line=0, character=3)) == (1, 3)
    assert Positions("utf-8").to_client(lines, 1, 8).character == len("😀 jccu ".encode())


def test_completion_and_hover_survive_a_syntax_error(tmp_path):
    """While a statement is half typed the file does not parse: the statements that do still
    give the vocabulary, so completion and hover keep working."""
    from coopcheck.lsp.completion import completion
    from coopcheck.lsp.hover import hover
    from coopcheck.lsp.positions import Positions

    text = ("policy demo\nimport vocabulary\n\npersonal data may be usd for delivery   [c]\n"
            "purchase history may be shared with \n")
    model = build_model(tmp_path / "demo.policy", text)
    assert model.parse_error is not None
    items = completion(model, lsp.Position(line=4, character=len("purchase history may be shared with ")),
                       Positions())
    labels = {i.label for i in items}
    assert {"jccu", "日本生活協同組合連合会", "anyone"} <= labels and "delivery" not in labels
    found = hover(model, 2, len("import vo"), Positions())
    assert "vocabulary.rules" in found.contents.value


@protocol
async def test_a_term_split_at_a_keyword_gets_a_quick_fix_that_quotes_it(client: LanguageClient, workspace):
    """W609 (words read as two terms that also name one) comes with a code action that
    quotes the words, and the warning clears once they are quoted."""
    text = ("policy split\nimport vocabulary\n"
            "data item research_and_development_data is personal data\n"
            "data item research is personal data\ndata item development_data is personal data\n"
            "research and development data may be used for survey   [c1]\n")
    (workspace / "split.policy").write_text(text, encoding="utf-8")
    doc = open_doc(client, workspace, "split.policy")
    found = await diagnostics_until(client, doc, lambda ds: any(d.code == "W609" for d in ds), "for the split term")
    (split,) = [d for d in found if d.code == "W609"]
    actions = await asyncio.wait_for(client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri=doc), range=split.range,
        context=lsp.CodeActionContext(diagnostics=[split]))), WAIT)
    (fix,) = [a for a in actions if a.title.startswith("Replace")]
    fixed = apply(text, fix.edit.changes[doc])
    assert '"research and development data" may be used for survey' in fixed
    change(client, doc, 2, fix.edit.changes[doc])
    await diagnostics_until(client, doc, lambda ds: not any(d.code == "W609" for d in ds), "cleared after quoting")
