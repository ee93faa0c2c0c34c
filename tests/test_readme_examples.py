"""The shell examples in README.md and docs/*.md print what they show.

An example is a line ``$ COMMAND`` inside a fenced code block, with the output shown under it
(up to the next ``$`` line or the end of the block). A command continues on the next line when
its line ends with ``\\``, and a heredoc (``<<EOF``) runs up to its terminator line.

- ``$ coopcheck ARGS`` and ``$ python -m coopcheck ARGS`` run in-process through the ``cli``
  fixture; anything else (pipes, redirections, heredocs, ``VAR=value`` prefixes) runs through
  ``/bin/sh`` with the interpreter's ``bin`` folder first on ``PATH``. Every example runs in a
  fresh temporary working directory with ``COLUMNS=100``, ``LC_ALL=C.UTF-8`` and the compiled
  policy cache in a temporary folder, so nothing is written outside the test's folders.
- The printed output (standard output, then standard error) is compared with the shown one,
  trailing spaces and trailing blank lines ignored. ``...`` stands for any text: a line that is
  only ``...`` for any number of lines (none included), ``...`` at the end of a line for the
  rest of that line.
- The exit code must be 0, unless the block is preceded by ``<!-- exit: N -->``.
- An example that cannot run here (a server, a language server, a file the text does not
  provide, a write outside the working directory) is preceded by ``<!-- not-run: REASON -->``;
  it is reported as skipped with its reason. There is no other way to skip one.

Markers are HTML comments on the lines just above the block's opening fence (blank lines
between are allowed); a marker with an unknown key, or one before a block with no example,
fails the test rather than being ignored.
"""

from __future__ import annotations

import difflib
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from support.shown_output import matches, normalise

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

# what the documents hold today: fewer means the parser (or a document) lost examples
MIN_EXAMPLES = 6
MIN_RUN = 6

COLUMNS = "100"
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})(.*)$")
MARKER = re.compile(r"^\s*<!--\s*([A-Za-z][\w-]*)\s*:\s*(.*?)\s*-->\s*$")
COMMENT = re.compile(r"^\s*<!--.*-->\s*$")
MARKER_KEYS = ("not-run", "exit")
HEREDOC = re.compile(r"<<-?\s*(['\"]?)([A-Za-z_]\w*)\1")
SHELL_SYNTAX = re.compile(r"[|&;<>()$`*?\[\]{}~]|\\\n|^\s*\w+=")


@dataclass
class Example:
    path: str  # relative to the repository root
    line: int  # of the ``$`` line, 1-based
    command: str
    expected: str
    not_run: str | None = None
    exit_code: int = 0

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def id(self) -> str:
        words = self.command.split()
        if words[:3] in (["python", "-m", "coopcheck"], ["python3", "-m", "coopcheck"]):
            words = words[2:]
        tail = "-".join(w for w in words[:2] if re.fullmatch(r"[\w.-]+", w))
        return f"{self.where}-{tail}" if tail else self.where


@dataclass
class Block:
    line: int  # of the opening fence
    markers: dict[str, str] = field(default_factory=dict)
    examples: list[Example] = field(default_factory=list)


class MarkdownError(ValueError):
    pass


def parse(text: str, path: str) -> list[Block]:
    """The fenced blocks of a Markdown text that hold ``$`` examples or are preceded by markers."""
    lines = text.split("\n")
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            stray = MARKER.match(lines[i])
            if stray and stray.group(1).lower() in MARKER_KEYS and not _before_fence(lines, i):
                raise MarkdownError(f"{path}:{i + 1}: example marker not directly above a code block")
            i += 1
            continue
        indent, fence, _ = opening.groups()
        start = i
        body: list[str] = []
        i += 1
        while i < len(lines):
            closing = FENCE.match(lines[i])
            if (closing and closing.group(2).startswith(fence[0] * len(fence))
                    and not closing.group(3).strip()):
                break
            body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i].lstrip())
            i += 1
        i += 1
        found = _markers(lines, start)
        markers = {key: value for key, (value, _) in found.items() if key in MARKER_KEYS}
        examples = _examples(body, start + 2, path, markers)
        if examples:
            for key, (_, line) in found.items():
                if key not in MARKER_KEYS:
                    raise MarkdownError(f"{path}:{line}: unknown example marker `{key}` "
                                        f"(known: {', '.join(MARKER_KEYS)})")
        if examples or markers:
            blocks.append(Block(start + 1, markers, examples))
    return blocks


def _before_fence(lines: list[str], j: int) -> bool:
    while j < len(lines) and (not lines[j].strip() or COMMENT.match(lines[j])):
        j += 1
    return j < len(lines) and FENCE.match(lines[j]) is not None


def _markers(lines: list[str], fence: int) -> dict[str, tuple[str, int]]:
    """The ``<!-- key: value -->`` comments just above a fence: key -> (value, line)."""
    markers: dict[str, tuple[str, int]] = {}
    j = fence - 1
    while j >= 0 and (not lines[j].strip() or COMMENT.match(lines[j])):
        found = MARKER.match(lines[j])
        if found:
            markers.setdefault(found.group(1).lower(), (found.group(2), j + 1))
        j -= 1
    return markers


def _examples(body: list[str], first_line: int, path: str, markers: dict[str, str]) -> list[Example]:
    examples: list[Example] = []
    exit_code = 0
    if "not-run" in markers and not markers["not-run"]:
        raise MarkdownError(f"{path}:{first_line - 1}: `not-run` marker needs a reason")
    if "exit" in markers:
        if not markers["exit"].isdigit():
            raise MarkdownError(f"{path}:{first_line - 1}: `exit` marker needs a number")
        exit_code = int(markers["exit"])
    k = 0
    while k < len(body):
        if not (body[k].startswith("$ ") or body[k] == "$"):
            k += 1
            continue
        line = first_line + k
        command = [body[k][2:]]
        k += 1
        while command[-1].endswith("\\") and k < len(body):
            command.append(body[k])
            k += 1
        heredoc = HEREDOC.search("\n".join(command))
        if heredoc:
            terminator = heredoc.group(2)
            while k < len(body):
                command.append(body[k])
                k += 1
                if command[-1].strip() == terminator:
                    break
            else:
                raise MarkdownError(f"{path}:{line}: heredoc `{terminator}` is not closed")
        output: list[str] = []
        while k < len(body) and not (body[k].startswith("$ ") or body[k] == "$"):
            output.append(body[k])
            k += 1
        examples.append(Example(path, line, "\n".join(command).strip(), "\n".join(output),
                                markers.get("not-run"), exit_code))
    return examples


def collect() -> list[Example]:
    examples: list[Example] = []
    for document in DOCUMENTS:
        path = document.relative_to(ROOT).as_posix()
        for block in parse(document.read_text(encoding="utf-8"), path):
            if not block.examples:
                raise MarkdownError(f"{path}:{block.line}: marker(s) {sorted(block.markers)} before a "
                                    f"block with no `$` example")
            examples.extend(block.examples)
    return examples






EXAMPLES = collect()


def _in_process_argv(command: str) -> list[str] | None:
    """The arguments of a plain ``coopcheck ...`` / ``python -m coopcheck ...`` command, or
    None when the command needs a shell."""
    if SHELL_SYNTAX.search(command):
        return None
    argv = shlex.split(command)
    if argv[:1] == ["coopcheck"]:
        return argv[1:]
    if argv[:3] in (["python", "-m", "coopcheck"], ["python3", "-m", "coopcheck"]):
        return argv[3:]
    return None


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory) -> Path:
    # shared by the module's examples so each policy is compiled once, and never ~/.cache
    return tmp_path_factory.mktemp("coopcheck-cache")


def _environment(cache: Path, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COOPCHECK_", "LC_"))}
    env.update(COLUMNS=COLUMNS, LINES="50", LANG="C.UTF-8", LC_ALL="C.UTF-8",
               PYTHONIOENCODING="utf-8", COOPCHECK_CACHE_DIR=str(cache), HOME=str(home))
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.pop("PYTHONSTARTUP", None)
    return env


def run(example: Example, cli, monkeypatch, workdir: Path, cache: Path) -> tuple[int, str]:
    """Run an example in ``workdir``: (exit code, standard output then standard error)."""
    env = _environment(cache, workdir)
    argv = _in_process_argv(example.command)
    if argv is not None:
        for name in [k for k in os.environ if k.startswith(("COOPCHECK_", "LC_"))]:
            monkeypatch.delenv(name)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.chdir(workdir)
        code, out, err = cli(*argv, stdin="")
        return code, out + err
    done = subprocess.run(["/bin/sh", "-c", example.command], cwd=workdir, env=env,
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=120)
    out, err = done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace")
    assert "Traceback" not in out + err, f"{example.where}: traceback\n{out}{err}"
    return done.returncode, out + err


def test_examples_are_found():
    """The documents' examples are found and most of them run: a parser that finds none (or a
    document that loses them) fails here instead of passing vacuously."""
    ran = [e.where for e in EXAMPLES if e.not_run is None]
    listing = "\n".join(f"  {e.where}: {'not-run (' + e.not_run + ')' if e.not_run else 'run'}: "
                        f"$ {e.command.splitlines()[0]}" for e in EXAMPLES)
    assert len(EXAMPLES) >= MIN_EXAMPLES, f"found {len(EXAMPLES)} examples:\n{listing}"
    assert len(ran) >= MIN_RUN, f"{len(ran)} examples run:\n{listing}"
    assert {"README.md", "docs/semantics.md"} <= {e.path for e in EXAMPLES}


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.id)
def test_example(example: Example, cli, monkeypatch, tmp_path, cache_dir):
    """The example prints the output shown under it (``...`` standing for any text)."""
    if example.not_run is not None:
        pytest.skip(f"{example.where}: marked not-run: {example.not_run}")
    workdir = tmp_path / "work"
    workdir.mkdir()
    code, printed = run(example, cli, monkeypatch, workdir, cache_dir)
    if not matches(example.expected, printed):
        diff = list(difflib.unified_diff(normalise(example.expected), normalise(printed),
                                         f"{example.where} (shown)", "printed", lineterm=""))
        if len(diff) > 150:
            diff = diff[:150] + [f"... ({len(diff) - 150} more diff lines)"]
        diff = "\n".join(diff)
        pytest.fail(f"{example.where}: `$ {example.command}` prints other output than shown "
                    f"(`...` stands for any text)\n{diff}", pytrace=False)
    if code != example.exit_code:
        pytest.fail(f"{example.where}: `$ {example.command}` exited {code}, expected {example.exit_code} "
                    f"(write `<!-- exit: {code} -->` above the block if that is right)", pytrace=False)


# The harness itself, on small texts: it must not be blind.

SAMPLE = """\
text
<!-- not-run: needs a server -->

```sh
$ coopcheck serve
```

<!-- exit: 1 -->
```
$ coopcheck diff a b
region 1
...
$ echo '{"a": 1}' \\
  | coopcheck check --json -
{"coop": "aizu", ...
$ cat <<EOF | coopcheck check --json -
{"a": 1}
EOF
out
```

```
no example here
```
"""


def test_parser_reads_markers_continuations_and_heredocs():
    blocks = parse(SAMPLE, "x.md")
    assert [b.line for b in blocks] == [4, 9]
    (serve,), (diff, piped, heredoc) = (b.examples for b in blocks)
    assert (serve.command, serve.not_run, serve.line) == ("coopcheck serve", "needs a server", 5)
    assert (diff.command, diff.expected, diff.exit_code, diff.not_run) == (
        "coopcheck diff a b", "region 1\n...", 1, None)
    assert piped.command == "echo '{\"a\": 1}' \\\n  | coopcheck check --json -"
    assert piped.expected == '{"coop": "aizu", ...'
    assert heredoc.command == 'cat <<EOF | coopcheck check --json -\n{"a": 1}\nEOF'
    assert (heredoc.expected, heredoc.line) == ("out", 16)
    assert _in_process_argv(diff.command) == ["diff", "a", "b"]
    assert _in_process_argv("python -m coopcheck check --data 'purchase history'") == [
        "check", "--data", "purchase history"]
    assert _in_process_argv(piped.command) is None and _in_process_argv(heredoc.command) is None


def test_parser_refuses_unknown_and_stray_markers():
    with pytest.raises(MarkdownError, match="unknown example marker `not-ran`"):
        parse("<!-- not-ran: typo -->\n```\n$ coopcheck lsp\n```\n", "x.md")
    assert parse("<!-- not-run: why -->\n```\nplain\n```\n", "x.md")[0].examples == []
    assert parse("<!-- note: not a marker -->\n```\nplain\n```\n", "x.md") == []
    with pytest.raises(MarkdownError, match="`not-run` marker needs a reason"):
        parse("<!-- not-run: -->\n```\n$ coopcheck lsp\n```\n", "x.md")
    with pytest.raises(MarkdownError, match="not directly above a code block"):
        parse("<!-- not-run: why -->\nsome text\n```\n$ coopcheck lsp\n```\n", "x.md")


def test_ellipsis_matching():
    assert matches("a\nb", "a\nb\n\n")
    assert matches("a  \nb", "a\nb   ")
    assert not matches("a\nb", "a\nb\nc")
    assert not matches("a\nb", "a\nc")
    assert matches("a\n...\nd", "a\nb\nc\nd")
    assert matches("a\n...\nd", "a\nd")
    assert matches("...\nd\n...", "x\nd\ny")
    assert not matches("a\n...\nd", "a\nb\nc")
    assert matches("rule aizu:138 ...", "rule aizu:138 [aizu 指針2]")
    assert not matches("rule aizu:138 ...", "rule aizu:139 [aizu 指針2]")
    assert not matches("a ...", "a b\nc")  # at the end of a line: the rest of that line only
    assert not matches("(…)", "(日本)")  # only three full stops are an ellipsis
