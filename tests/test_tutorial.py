"""docs/tutorial.md and the files it builds (docs/tutorial/) stay one text.

The tutorial marks what it quotes with an HTML comment on the line(s) just above a fenced block
(blank lines between are allowed):

- ``<!-- file: PATH -->``: the block is the whole file PATH (relative to the repository root);
  ``<!-- file: PATH lines A-B -->``: the block is lines A to B of it (1-based, inclusive).
- ``<!-- output: COMMAND -->``: the block is what ``COMMAND`` (a ``coopcheck ...`` command, run
  from the repository root) prints, standard output then standard error; the nearest fenced
  block above must be a ``sh`` block showing exactly that command, so what the reader copies is
  what is run. ``...`` stands for text as in tests/test_readme_examples.py.
- ``<!-- variant-lint: OLD => NEW -->``: the block is what ``coopcheck lint`` prints for a copy
  of the tutorial policy with ``OLD`` replaced by ``NEW`` (once).

Every file in docs/tutorial/ must be quoted whole at least once. The tutorial shows commands
without a ``$`` prompt: tests/test_readme_examples.py runs ``$`` examples in a fresh folder,
where docs/tutorial/ does not exist.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from support.shown_output import matches, normalise

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "docs" / "tutorial.md"
FOLDER = "docs/tutorial"
POLICY = "docs/tutorial/sakura.policy"

FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})(.*)$")
MARKER = re.compile(r"^\s*<!--\s*(file|output|variant-lint)\s*:\s*(.*?)\s*-->\s*$")
FILE_VALUE = re.compile(r"^(\S+)(?:\s+lines\s+(\d+)-(\d+))?$")
COLUMNS = "100"


@dataclass
class Block:
    line: int  # of the opening fence, 1-based
    info: str  # the fence's info string (``coopcheck``, ``sh``, ...)
    body: str  # the lines between the fences, the fence's indentation removed, joined by "\n"
    marker: tuple[str, str, int] | None = None  # (key, value, line)


def parse(text: str) -> list[Block]:
    """The fenced blocks of the tutorial with their markers; a marker that is not just above
    a fence is an error (it would silently check nothing)."""
    lines = text.split("\n")
    blocks: list[Block] = []
    pending: tuple[str, str, int] | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        marker = MARKER.match(line)
        if marker:
            if pending:
                raise ValueError(f"docs/tutorial.md:{pending[2]}: marker not directly above a code block")
            pending = (marker.group(1), marker.group(2), i + 1)
            i += 1
            continue
        opening = FENCE.match(line)
        if not opening:
            if line.strip() and pending:
                raise ValueError(f"docs/tutorial.md:{pending[2]}: marker not directly above a code block")
            i += 1
            continue
        indent, fence, info = opening.groups()
        start, body = i, []
        i += 1
        while i < len(lines):
            closing = FENCE.match(lines[i])
            if closing and closing.group(2).startswith(fence[0] * len(fence)) and not closing.group(3).strip():
                break
            body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i].lstrip())
            i += 1
        else:
            raise ValueError(f"docs/tutorial.md:{start + 1}: code block is not closed")
        i += 1
        blocks.append(Block(start + 1, info.strip(), "\n".join(body), pending))
        pending = None
    if pending:
        raise ValueError(f"docs/tutorial.md:{pending[2]}: marker not directly above a code block")
    return blocks


def _file_lines(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n"), f"{path} does not end with a newline"
    return text[:-1].split("\n")


def quotation_problems(text: str, root: Path) -> list[str]:
    """Every way the tutorial's ``file:`` quotations and the files under ``root`` disagree:
    a block that is not its file (or lines), a file of docs/tutorial/ never quoted whole, a
    marker naming a file outside docs/tutorial/ or lines it does not have."""
    problems = []
    whole: set[str] = set()
    for block in parse(text):
        if not block.marker or block.marker[0] != "file":
            continue
        _, value, line = block.marker
        found = FILE_VALUE.match(value)
        if not found:
            problems.append(f"docs/tutorial.md:{line}: malformed marker `file: {value}`")
            continue
        name, first, last = found.groups()
        path = root / name
        if not name.startswith(FOLDER + "/") or not path.is_file():
            problems.append(f"docs/tutorial.md:{line}: `{name}` is not a file in {FOLDER}/")
            continue
        lines = _file_lines(path)
        if first is None:
            expected, what = lines, name
            whole.add(name)
        else:
            a, b = int(first), int(last)
            if not 1 <= a <= b <= len(lines):
                problems.append(f"docs/tutorial.md:{line}: {name} has no lines {a}-{b} ({len(lines)} lines)")
                continue
            expected, what = lines[a - 1:b], f"{name} lines {a}-{b}"
        quoted = block.body.split("\n")
        if quoted != expected:
            diff = next(k for k in range(max(len(quoted), len(expected)))
                        if k >= len(quoted) or k >= len(expected) or quoted[k] != expected[k])
            shown = quoted[diff] if diff < len(quoted) else "(nothing)"
            wanted = expected[diff] if diff < len(expected) else "(nothing)"
            problems.append(f"docs/tutorial.md:{block.line}: the block quoting {what} differs from the file "
                            f"at its line {diff + 1}: quoted {shown!r}, file has {wanted!r}")
    for path in sorted((root / FOLDER).rglob("*")):
        name = path.relative_to(root).as_posix()
        if path.is_file() and name not in whole:
            problems.append(f"{name} is never quoted whole in docs/tutorial.md")
    return problems






BLOCKS = parse(TUTORIAL.read_text(encoding="utf-8"))
OUTPUTS = [b for b in BLOCKS if b.marker and b.marker[0] == "output"]
VARIANTS = [b for b in BLOCKS if b.marker and b.marker[0] == "variant-lint"]


@pytest.fixture
def run(cli, monkeypatch, tmp_path):
    """``cli`` from a chosen folder (the repository root by default), with a fixed terminal
    width and the compiled-policy cache in a temporary folder."""
    monkeypatch.setenv("COLUMNS", COLUMNS)
    monkeypatch.setenv("COOPCHECK_CACHE_DIR", str(tmp_path / "cache"))

    def go(*argv: str, cwd: Path = ROOT, stdin: str | None = None) -> tuple[int, str, str]:
        monkeypatch.chdir(cwd)
        return cli(*argv, stdin=stdin)

    return go


# ---- (1), (2): the quotations are the files ------------------------------------------------

def test_every_quotation_is_its_file_and_every_file_is_quoted():
    problems = quotation_problems(TUTORIAL.read_text(encoding="utf-8"), ROOT)
    assert not problems, "\n".join(problems)
    files = [b for b in BLOCKS if b.marker and b.marker[0] == "file"]
    assert len(files) >= 4 + 8, "the tutorial lost its quotations"


def test_a_changed_line_in_a_file_is_found(tmp_path):
    copy = tmp_path / FOLDER
    shutil.copytree(ROOT / FOLDER, copy)
    policy = copy / "sakura.policy"
    policy.write_text(policy.read_text(encoding="utf-8").replace(
        "unless consent or by law", "unless consent or a legal exception"), encoding="utf-8")
    problems = quotation_problems(TUTORIAL.read_text(encoding="utf-8"), tmp_path)
    # the clause-6 excerpt and the appendix both quote the changed line
    assert len(problems) == 2 and all("sakura.policy" in p and "a legal exception" in p for p in problems), problems


def test_a_changed_line_in_the_tutorial_is_found(tmp_path):
    text = TUTORIAL.read_text(encoding="utf-8")
    changed = text.replace('case "2 (2) delivery": use address for delivery',
                           'case "2 (2) delivery": use name for delivery', 1)
    assert changed != text
    problems = quotation_problems(changed, ROOT)
    assert len(problems) == 1 and "sakura.test" in problems[0], problems


def test_a_file_never_quoted_and_a_wrong_line_range_are_found(tmp_path):
    shutil.copytree(ROOT / FOLDER, tmp_path / FOLDER)
    (tmp_path / FOLDER / "notes.txt").write_text("x\n", encoding="utf-8")
    text = TUTORIAL.read_text(encoding="utf-8").replace(
        "<!-- file: docs/tutorial/sakura.policy lines 1-13 -->", "<!-- file: docs/tutorial/sakura.policy lines 2-14 -->")
    problems = quotation_problems(text, tmp_path)
    assert any("notes.txt is never quoted" in p for p in problems), problems
    assert any("sakura.policy lines 2-14 differs" in p for p in problems), problems


def test_a_marker_away_from_its_block_fails():
    with pytest.raises(ValueError, match="not directly above a code block"):
        parse("<!-- file: docs/tutorial/sakura.txt -->\nsome prose\n```text\nx\n```\n")


# ---- (3), (4), (5): the files pass their own checks ------------------------------------------

def test_the_tutorial_tests_and_inventory_pass(run):
    code, out, err = run("test", "--format", "json", POLICY)
    assert code == 0, out + err
    report = json.loads(out)
    assert report["failed"] == 0 and not report["errors"], out
    assert all(case["passed"] for case in report["cases"]), out
    inventory = [c for c in report["cases"] if c["name"] == "clause inventory"]
    assert len(inventory) == 1 and inventory[0]["file"].endswith("sakura.clauses"), out
    cases = [c for c in report["cases"] if c["name"] != "clause inventory"]
    # `passed` counts the inventory too
    assert 12 <= len(cases) <= 20 and report["passed"] == len(cases) + 1, out


def test_the_tutorial_policy_lints_clean_under_strict(run):
    code, out, err = run("lint", "--strict", "--format", "json", FOLDER)
    assert code == 0 and json.loads(out) == [], out + err


def test_the_tutorial_files_are_formatted(run):
    code, out, err = run("fmt", "--check", FOLDER)
    assert code == 0, out + err


# ---- (6): the decisions the tutorial states ----------------------------------------------------

STATED = [
    # clause 4: joint use with 日本生協連
    ({"action": "share", "data": "purchase history", "recipient": "jccu", "purpose": "product development"},
     "permit", "joint_use", ["sakura 4"]),
    # その他の組合員登録データ: the category, not only the examples
    ({"action": "share", "data": "email", "recipient": "日本生協連", "purpose": "product incident"},
     "permit", "joint_use", ["sakura 4"]),
    # clause 5: entrustment, with its two obligations
    ({"action": "share", "data": "address", "recipient": "delivery company", "purpose": "delivery"},
     "permit", "entrustment", ["sakura 5"]),
    # clause 6: provision refused ...
    ({"action": "share", "data": "name", "recipient": "unrelated third party", "purpose": "third party marketing"},
     "deny", "none", ["sakura 6"]),
    # ... permitted with consent, on the law baseline ...
    ({"action": "share", "data": "name", "recipient": "unrelated third party", "purpose": "third party marketing",
      "consent": True}, "permit", "consent", ["APPI Art. 27(1)"]),
    # ... and by law, the exception the co-op honours
    ({"action": "share", "data": "name", "recipient": "public authority", "purpose": "legal compliance",
      "exception": "by law"}, "permit", "legal_exception", ["sakura 6"]),
    # 日本生協連 for a purpose clause 4 does not name: only provision is left, and clause 6 bars it
    ({"action": "share", "data": "name", "recipient": "jccu", "purpose": "delivery"}, "deny", "none", ["sakura 6"]),
]


def test_the_decisions_the_tutorial_states(run):
    lines = "\n".join(json.dumps(scenario, ensure_ascii=False) for scenario, *_ in STATED)
    code, out, err = run("check", "--coop", POLICY, "--json", "-", stdin=lines)
    decisions = [json.loads(line) for line in out.splitlines()]
    assert len(decisions) == len(STATED), out + err
    for (scenario, effect, basis, citations), decision in zip(STATED, decisions):
        got = (decision.get("decision"), decision.get("basis"), decision.get("citations"))
        assert got == (effect, basis, citations), (scenario, decision)
    entrusted = decisions[2]
    assert entrusted["obligations"] == ["confidentiality_agreement", "supervise_contractor"]
    assert decisions[3]["would_permit_with_consent"] is True


# ---- the commands and outputs the tutorial shows ---------------------------------------------

def test_outputs_and_variants_are_found():
    assert len(OUTPUTS) >= 8 and len(VARIANTS) >= 1
    assert not any(line.startswith("$") for b in BLOCKS for line in b.body.split("\n")), (
        "a `$` line would be run by tests/test_readme_examples.py in a folder without docs/tutorial/")


@pytest.mark.parametrize("block", OUTPUTS, ids=lambda b: f"tutorial.md:{b.line}")
def test_shown_output(block, run):
    command = block.marker[1]
    shown = [b for b in BLOCKS if b.line < block.line][-1]
    assert (shown.info, shown.body.strip()) == ("sh", command), (
        f"docs/tutorial.md:{block.line}: the block above does not show `{command}`")
    argv = shlex.split(command)
    assert argv[0] == "coopcheck", command
    code, out, err = run(*argv[1:])
    assert code == 0, out + err
    assert matches(block.body, out + err), f"docs/tutorial.md:{block.line}: `{command}` prints\n{out}{err}"


@pytest.mark.parametrize("block", VARIANTS, ids=lambda b: f"tutorial.md:{b.line}")
def test_shown_lint_of_a_variant(block, run, tmp_path):
    old, new = (part.strip() for part in block.marker[1].split("=>"))
    source = (ROOT / POLICY).read_text(encoding="utf-8")
    assert source.count(old) == 1, f"`{old}` is not in {POLICY} exactly once"
    work = tmp_path / "variant"
    work.mkdir()
    (work / "sakura.policy").write_text(source.replace(old, new), encoding="utf-8")
    code, out, err = run("lint", "sakura.policy", cwd=work)
    assert matches(block.body, out + err), f"docs/tutorial.md:{block.line}: lint prints\n{out}{err}"
    # what the tutorial says the variant does: the joint use of clause 4 is stopped too
    code, out, err = run("check", "--coop", "sakura.policy", "--format", "json", "--action", "share",
                         "--data", "purchase history", "--recipient", "jccu", "--purpose", "product development",
                         cwd=work)
    assert json.loads(out)["decision"] == "deny", out + err
