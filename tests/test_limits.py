"""Bounded work on any rule file (dsl/limits.py, docs/language.md "Limits").

Whatever a rule file holds, coopcheck compiles it or refuses it with located errors within
10 seconds and 500 MB: a 10 MB file, a hierarchy 10 000 deep, 100 000 broken lines, a term of
a million words, a list of 100 000 terms. Each such input is built here and loaded in a child
process under ``RLIMIT_CPU`` (10 s of processor time: the machine running the suite may be
shared, so its wall clock says little) and ``RLIMIT_AS`` (500 MB of address space, which is
more than the peak resident memory the child also reports); a wall-clock timeout only
catches a child that hangs without working. Inputs that take more than a few seconds run
at a smaller size by default and at full size with ``COOPCHECK_LONG=1``.

The limits themselves, their codes and their messages are tested in-process below.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import coopcheck.core.compiler as compiler
import coopcheck.dsl as dsl
from coopcheck import CoopcheckError, load_file, load_string
from coopcheck.analysis.lint import lint_paths
from coopcheck.core.vocabulary import Vocabulary
from coopcheck.dsl import limits
from coopcheck.dsl.errors import Diagnostic, ErrorBudget, _quoted_line, line_of, line_starts
from coopcheck.dsl.ast import Span

LONG = os.environ.get("COOPCHECK_LONG", "").strip() == "1"
CPU_SECONDS = 10
MEMORY_BYTES = 500 * 2 ** 20
WALL_SECONDS = 600  # only a guard against a child that hangs without working

HEAD = "policy demo\nimport vocabulary\nimport appi\n"
FIRST = 4  # the first line after HEAD


# ---- the inputs -----------------------------------------------------------------------------

def chain(depth: int) -> str:
    """A hierarchy ``depth`` terms deep: t1 is t0, t2 is t1, …"""
    return HEAD + "data item t0\n" + "".join(f"data item t{i} is t{i - 1}\n" for i in range(1, depth)) \
        + f"t{depth - 1} may be used for delivery   [c1]\n"


def cycle(length: int) -> str:
    """``length`` terms each under the next, the last under the first."""
    return HEAD + "".join(f"data item t{i} is t{(i + 1) % length}\n" for i in range(length))


RULES = ("name may be used for delivery   [指針1 ①]\n",
         "purchase history may be shared with JCCU for delivery purposes  [指針2]\n",
         "personal data may be entrusted to delivery companies for delivery\n"
         "    obliging supervise contractor, confidentiality agreement\n    [指針3 ①]\n",
         "# a comment between the rules\n")


def valid_policy(size: int) -> str:
    """A policy of about ``size`` bytes of ordinary rules."""
    out, total, i = [HEAD], len(HEAD), 0
    while total < size:
        rule = RULES[i % len(RULES)]
        out.append(rule)
        total += len(rule.encode())
        i += 1
    return "".join(out)


def dense_policy(size: int) -> str:
    """A policy of the smallest statements that compile, as many as ``size`` bytes hold."""
    line = 'note: "x"\n'
    return HEAD + line * ((size - len(HEAD)) // len(line))


def broken_lines(count: int) -> str:
    """``count`` broken rules, as a rule author might write them."""
    return HEAD + "name may be usd for delivery   [c1]\n" * count


def distinct_broken_lines(count: int) -> str:
    """``count`` short broken statements, each different (none is parsed once for all)."""
    return HEAD + "".join(f"x{i}\n" for i in range(count))


def long_term(words: int, per_line: int | None = None) -> str:
    """A rule whose data subject is a term of ``words`` words, on one line or continued on
    indented lines of ``per_line`` words."""
    if per_line is None:
        term = " ".join(["w"] * words)
    else:
        full, rest = divmod(words, per_line)
        rows = [" ".join(["w"] * per_line)] * full + ([" ".join(["w"] * rest)] if rest else [])
        term = "\n    ".join(rows)
    return HEAD + f"name of {term}\n    may be used for delivery  [c]\n"


def long_list(count: int) -> str:
    """A rule about a list of ``count`` terms, ten to an indented line."""
    terms = ["name"] + ["address" if i % 2 else "name" for i in range(count - 1)]
    rows = [", ".join(terms[i:i + 10]) for i in range(0, count, 10)]
    return HEAD + ",\n    ".join(rows) + "\n    may be used for delivery  [c]\n"


# ---- the child ------------------------------------------------------------------------------

CHILD = textwrap.dedent('''
    import json, resource, sys
    from pathlib import Path
    from coopcheck import CoopcheckError, load_file, load_string
    path, how = Path(sys.argv[1]), sys.argv[2]
    try:
        if how == "file":
            load_file(path)
        else:
            load_string(path.read_text(encoding="utf-8"), path.name)
        result = {"ok": True}
    except CoopcheckError as err:
        rendered = err.render()
        result = {"ok": False, "codes": [str(d.code) for d in err.diagnostics],
                  "lines": [d.span.line if d.span else None for d in err.diagnostics],
                  "messages": [d.message for d in err.diagnostics], "rendered": len(rendered),
                  "first": err.diagnostics[0].render(), "last": err.diagnostics[-1].render()}
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["cpu"] = usage.ru_utime + usage.ru_stime
    # the peak resident memory of this program: ru_maxrss would also count the test process
    # this child was forked from, whose pages it shared until it started
    status = Path("/proc/self/status")
    peak = [line for line in status.read_text().splitlines() if line.startswith("VmHWM:")] \
        if status.exists() else []
    result["rss_mb"] = int(peak[0].split()[1]) / 1024 if peak else usage.ru_maxrss / 1024
    print(json.dumps(result))
''')


def _limit_child() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS + 1))


def load_bounded(tmp_path: Path, text: str, how: str = "file", name: str = "big.policy") -> dict:
    """Load ``text`` as a rule file in a child process held to 10 s of processor time and
    500 MB of address space; what it found, with its processor time and peak memory."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    proc = subprocess.run([sys.executable, "-c", CHILD, str(path), how], capture_output=True, text=True,
                          timeout=WALL_SECONDS, preexec_fn=_limit_child)
    assert proc.returncode == 0, f"the child failed (exit {proc.returncode}; -24 is out of processor " \
                                 f"time, a MemoryError out of memory):\n{proc.stderr[-3000:]}"
    result = json.loads(proc.stdout)
    assert result["cpu"] < CPU_SECONDS and result["rss_mb"] < MEMORY_BYTES / 2 ** 20, result
    return result


def bounded_report(result: dict) -> None:
    """However many errors, the report stays short: at most 100 and one count of the rest,
    each message under 2 KB."""
    assert len(result["codes"]) <= limits.MAX_DIAGNOSTICS + 1
    assert max(len(m) for m in result["messages"]) < 2048
    assert result["rendered"] < (limits.MAX_DIAGNOSTICS + 1) * 2048


# ---- the targets: compiled or refused in bounded time and memory ------------------------------

def test_a_10_mb_policy_is_refused_at_once(tmp_path):
    text = valid_policy(10 * 2 ** 20)
    for how in ("file", "string"):  # refused by its size on disk, and by the parser
        result = load_bounded(tmp_path, text, how)
        assert result["codes"] == ["E106"], result
        assert result["cpu"] < 2, result
        assert "a rule file may have at most 1 048 576 (1 MiB)" in result["messages"][0]
        bounded_report(result)


def test_a_policy_at_the_size_limit_compiles(tmp_path):
    result = load_bounded(tmp_path, valid_policy(limits.MAX_FILE_BYTES - 200))
    assert result["ok"], result


@pytest.mark.skipif(not LONG, reason="about 5 s of processor time: COOPCHECK_LONG=1")
def test_the_densest_policy_at_the_size_limit_compiles(tmp_path):
    result = load_bounded(tmp_path, dense_policy(limits.MAX_FILE_BYTES - 200))
    assert result["ok"], result


def test_a_hierarchy_10_000_deep_is_one_located_error(tmp_path):
    result = load_bounded(tmp_path, chain(10_000))
    assert result["codes"] == ["E209"], result
    assert result["lines"] == [FIRST + limits.MAX_HIERARCHY_DEPTH]  # the declaration of t64
    assert result["messages"][0].startswith("`t64` is 65 levels deep in the hierarchy under `t0` "
                                            "(which goes 10 000 levels deep)")
    bounded_report(result)


def test_a_cycle_of_10_000_terms_is_one_short_error(tmp_path):
    result = load_bounded(tmp_path, cycle(10_000))
    # the cycle is cut at t0: what is left, t1 … t9999 t0, is still too deep
    assert result["codes"] == ["E205", "E209"], result
    assert result["messages"][0] == ("hierarchy cycle: t0 -> t1 -> t2 -> t3 -> … -> t9997 -> t9998 -> t9999 "
                                     "-> t0 (10 000 terms)")


def test_100_000_broken_lines_are_refused_at_once(tmp_path):
    result = load_bounded(tmp_path, broken_lines(100_000))  # 3.6 MB: over the size limit
    assert result["codes"] == ["E106"], result


def test_100_000_broken_lines_report_100_errors_and_count_the_rest(tmp_path):
    result = load_bounded(tmp_path, HEAD + "name may\n" * 100_000)  # 900 KB: within the size limit
    assert result["codes"] == ["E102"] * 100 + ["E108"], result["codes"][-3:]
    assert result["lines"][:100] == list(range(FIRST, FIRST + 100))
    assert result["messages"][-1] == "… and 99 900 more errors"
    assert result["last"].endswith(f"big.policy:{FIRST + 100}:1: error[E108]: … and 99 900 more errors")
    bounded_report(result)


def test_distinct_broken_lines_are_each_parsed_once(tmp_path):
    count = 100_000 if LONG else 20_000
    result = load_bounded(tmp_path, distinct_broken_lines(count))
    assert result["codes"][-1] == "E108" and len(result["codes"]) == 101
    assert result["messages"][-1] == f"… and {count - 100:,} more errors".replace(",", " ")
    bounded_report(result)


def test_a_term_of_a_million_words_gives_a_short_message(tmp_path):
    result = load_bounded(tmp_path, long_term(1_000_000))  # 2 MB on one line
    assert result["codes"] == ["E106"], result
    assert len(result["first"]) < 2048, result["first"]


def test_a_line_of_100_000_words_gives_a_short_message(tmp_path):
    result = load_bounded(tmp_path, long_term(100_000))  # 200 KB on one line
    assert result["codes"] == ["E107"], result
    first = result["first"]
    assert f"big.policy:{FIRST}:10001: error[E107]: the line has 200 007 characters; " \
           "a line may have at most 10 000\n" in first
    assert len(first) < 2048, first
    bounded_report(result)


def test_a_term_of_many_words_over_many_lines_gives_a_short_message(tmp_path):
    words = 400_000 if LONG else 100_000
    result = load_bounded(tmp_path, long_term(words, per_line=20))  # indented lines continue the term
    assert result["codes"] == ["E201"], result
    assert len(result["first"]) < 2048, result["first"]
    assert result["messages"][0].startswith("unknown data subject `w w w")


def test_a_list_of_many_terms_compiles(tmp_path):
    result = load_bounded(tmp_path, long_list(100_000 if LONG else 20_000))
    assert result["ok"], result


# ---- the limits, in-process ------------------------------------------------------------------

def errors_of(text: str, name: str = "demo.policy") -> tuple[Diagnostic, ...]:
    with pytest.raises(CoopcheckError) as info:
        load_string(text, name)
    return info.value.diagnostics


def test_the_limits_are_the_documented_ones():
    doc = (Path(__file__).resolve().parents[1] / "docs" / "language.md").read_text(encoding="utf-8")
    assert limits.MAX_FILE_BYTES == 2 ** 20 and "| file size | 1 MiB (1 048 576 bytes of UTF-8) |" in doc
    assert limits.MAX_LINE_CHARS == 10_000 and "| line length | 10 000 characters |" in doc
    assert limits.MAX_HIERARCHY_DEPTH == 64 and "| hierarchy depth | 64 terms" in doc
    assert limits.MAX_INDEX_ENTRIES == 2_000_000 and "| index of the rules | 2 000 000" in doc
    assert limits.MAX_DIAGNOSTICS == 100 and "| errors reported per file | 100 |" in doc


def test_a_hierarchy_at_the_depth_limit_compiles_and_one_deeper_does_not():
    rs = load_string(chain(limits.MAX_HIERARCHY_DEPTH))
    assert len(rs.vocabulary.ancestors[f"t{limits.MAX_HIERARCHY_DEPTH - 1}"]) == limits.MAX_HIERARCHY_DEPTH
    [d] = errors_of(chain(limits.MAX_HIERARCHY_DEPTH + 1))
    assert (d.code, d.span.line, d.span.column) == ("E209", FIRST + 64, len("data item ") + 1)
    assert d.message == ("`t64` is 65 levels deep in the hierarchy under `t0` (which goes 65 levels deep); "
                         "a hierarchy may be at most 64 levels deep")
    assert d.help == "make `t64` part of a term nearer the top than `t63`, or leave out levels of the chain"
    assert "data item t64 is t63" in d.render()


def test_each_branch_too_deep_is_reported_once():
    text = chain(70) + "data item u is t66\ndata item v is t63\n"  # u: level 68, v: level 65
    diags = errors_of(text)
    assert [(d.code, d.message.split("`")[1]) for d in diags] == [("E209", "t64"), ("E209", "v")]


def test_the_cycle_check_keeps_its_messages():
    [d] = errors_of(HEAD + "data item a is b\ndata item b is c\ndata item c is a\n")
    assert (d.code, d.span.line, d.message) == ("E205", FIRST, "hierarchy cycle: a -> b -> c -> a")
    # a cycle is reported at its first-declared term, however the walk reaches it
    [d] = errors_of(HEAD + "data item x is b\ndata item a is b\ndata item b is c\ndata item c is a\n")
    assert (d.span.line, d.message) == (FIRST + 1, "hierarchy cycle: a -> b -> c -> a")


def test_more_than_100_errors_end_with_a_count():
    diags = errors_of(HEAD + "".join(f"nosuch{i} may be used for delivery  [c]\n" for i in range(250)))
    assert [d.code for d in diags] == ["E201"] * 100 + ["E108"]
    assert diags[-1].message == "… and 150 more errors" and diags[-1].span.line == FIRST + 100
    assert diags[-1].render() == f"demo.policy:{FIRST + 100}:1: error[E108]: … and 150 more errors"
    one = errors_of(HEAD + "".join(f"nosuch{i} may be used for delivery  [c]\n" for i in range(101)))
    assert one[-1].message == "… and 1 more error"


def test_errors_past_the_limit_cost_no_suggestion(monkeypatch):
    calls = []
    suggest = Vocabulary._suggest
    monkeypatch.setattr(Vocabulary, "_suggest", lambda self, *a: calls.append(1) or suggest(self, *a))
    errors_of(HEAD + "".join(f"nosuch{i} may be used for delivery  [c]\n" for i in range(300)))
    assert len(calls) == limits.MAX_DIAGNOSTICS


def test_the_error_count_sorts_last_in_its_file():
    budget = ErrorBudget(limit=2)
    for line in (9, 3, 7, 1):
        budget.error("E201", f"line {line}", Span("f", line, 1, line, 2))
    out = sorted(budget.diagnostics(), key=Diagnostic.sort_key)
    assert [d.message for d in out] == ["line 3", "line 9", "… and 2 more errors"]
    assert len(budget) == 4


def test_a_long_line_is_an_error_and_the_other_statements_are_still_read():
    text = HEAD + "name may be usd for delivery  [a]\n" + "note: \"" + "x" * 20_000 + "\"\n" \
        + "# " + "y" * 20_000 + "\n" + "address may be usd for delivery  [b]\n"
    with pytest.raises(CoopcheckError) as info:
        dsl.parse(text, "t.policy")
    diags = info.value.diagnostics
    assert [(d.code, d.span.line) for d in diags] == [("E102", FIRST), ("E107", FIRST + 1), ("E107", FIRST + 2),
                                                      ("E102", FIRST + 3)]
    long = diags[1]
    assert (long.span.column, long.message) == (10_001, "the line has 20 008 characters; a line may have at most 10 000")
    lines = long.render().split("\n")
    assert max(len(line) for line in lines) < 200, lines


def test_a_file_over_the_size_limit_is_not_read_whole(tmp_path):
    path = tmp_path / "big.policy"
    path.write_text(valid_policy(limits.MAX_FILE_BYTES + 10_000), encoding="utf-8")
    with pytest.raises(CoopcheckError) as info:
        load_file(path)
    [d] = info.value.diagnostics
    assert d.code == "E106" and d.span.file.endswith("big.policy") and d.span.line > 10_000
    assert d.help == "split it into modules, each a file of its own, and `import` them"
    result = lint_paths([path])  # lint reports it as an error in the file (exit 1), not unreadable (2)
    assert [x.code for x in result.diagnostics] == ["E106"] and not result.unreadable


def test_rules_that_speak_of_too_many_cases_are_refused(monkeypatch):
    text = HEAD + "".join(f"personal data of any subject may be used for any purpose  [c{i}]\n" for i in range(5))
    entries = lambda rs: sum(len(v) for index in (rs.grant_index, rs.bar_index, rs.notice_index)  # noqa: E731
                             for v in index.values())
    baseline, each = entries(load_string(HEAD)), entries(load_string(HEAD + text.split("\n")[3] + "\n"))
    each -= baseline  # the cases one rule about personal data of anyone speaks of
    monkeypatch.setattr(compiler, "MAX_INDEX_ENTRIES", baseline + 2 * each + 1)
    [d] = errors_of(text)
    assert d.code == "E309" and (d.span.file, d.span.line) == ("demo.policy", FIRST + 2)
    assert d.message.startswith("with this rule the rules speak of ")
    monkeypatch.setattr(compiler, "MAX_INDEX_ENTRIES", 2_000_000)
    load_string(text)


def test_a_message_quotes_little_of_a_long_word():
    [d] = errors_of(HEAD + "name may be " + "u" * 5000 + " for delivery  [c]\n")
    assert d.code == "E102" and len(d.message) < 300 and "…" in d.message
    long_key = "k" * 5000
    [d] = errors_of(HEAD + f"{long_key}: \"x\"\n")
    assert d.code == "E207" and len(d.message) < 200


def test_every_message_is_bounded():
    d = Diagnostic("E201", "unknown term `" + "x" * 100_000 + "`", help="y" * 100_000)
    assert len(d.message) == len(d.help) == limits.MAX_MESSAGE
    assert d.message.startswith("unknown term `x") and d.message.endswith("x`") and "…" in d.message


def test_a_long_line_is_quoted_around_the_column():
    shown, pad, caret = _quoted_line("a" * 5000 + "BAD" + "b" * 5000, 5000, 3)
    assert len(shown) == limits.QUOTE_WIDTH + 2 and shown[pad:pad + caret] == "BAD"
    assert shown.startswith("…") and shown.endswith("…")
    shown, pad, caret = _quoted_line("x" * 300, 300, 1)  # the caret after the end of the line
    assert shown.startswith("…") and not shown.endswith("…") and pad == len(shown)
    wide = "購" * 300  # wide characters take two columns: the caret still points at its character
    shown, pad, caret = _quoted_line(wide + "BAD" + wide, 300, 3)
    assert caret == 3 and pad == 1 + 2 * (shown.index("BAD") - 1)


def test_line_starts_are_found_once_per_source():
    source = "".join(f"line {i}\n" for i in range(10_000)) + "end"
    before = line_starts.cache_info()
    assert [line_of(source, n) for n in (1, 5000, 10_001, 10_002)] == ["line 0", "line 4999", "end", None]
    after = line_starts.cache_info()
    assert after.misses - before.misses == 1 and after.hits - before.hits == 3


def test_an_import_of_a_name_too_long_for_the_file_system_is_not_found():
    for target in ("w" * 5000, "w " * 2000, '"' + "w" * 5000 + '"'):
        [d] = errors_of(f"policy demo\nimport {target}\n")
        assert d.code == "E302" and len(d.message) < 200, d.message


def test_many_failed_imports_end_with_a_count(monkeypatch):
    globs = []
    glob = Path.glob
    monkeypatch.setattr(Path, "glob", lambda self, pattern: globs.append(1) or glob(self, pattern))
    diags = errors_of("policy demo\n" + "".join(f"import nosuch{i}\n" for i in range(300)))
    assert [d.code for d in diags] == ["E302"] * 100 + ["E108"]
    assert diags[-1].message == "… and 200 more errors"
    assert len(globs) <= 4  # the modules are listed once for all the "did you mean"s, not once per import


def test_lint_ends_a_long_report_with_one_line(tmp_path, cli):
    path = tmp_path / "broken.policy"
    path.write_text(HEAD + "".join(f"x{i}\n" for i in range(150)), encoding="utf-8")
    code, out, _ = cli("lint", str(path))
    assert code == 1
    report = out.strip().split("\n\n")
    assert len(report) == 102 and report[-1] == "101 errors, 0 warnings in 1 file"
    assert report[-2].endswith(f"broken.policy:{FIRST + 100}:1: error[E108]: … and 50 more errors")
    assert "\n" not in report[-2]
