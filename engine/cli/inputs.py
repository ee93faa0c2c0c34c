"""Scenario input shared by the commands that decide (``check``, ``explain``): the scenario
flags, ``--json FILE|-`` (one object, an array or JSON Lines), ``--coop ID|all``, and the
error objects written for bad lines."""

from __future__ import annotations

import argparse
import codecs
import io
import itertools
import json
import os
import sys
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from attrs import frozen

from coopcheck.dsl.codes import Code
from coopcheck.dsl.errors import CoopcheckError, Diagnostic

from coopcheck.core.api import load_file, load_policy, shipped_policies
from coopcheck.core.collector import fewer_collections
from coopcheck.core.jsontext import STRICT, NotJson, loads_strict
from coopcheck.core.lists import split_names
from coopcheck.core.ruleset import Ruleset
from coopcheck.core.scenario import coop_request
from coopcheck.core.vocabulary import Vocabulary, quote

REQUIRED_FLAGS = ("coop", "action", "data", "purpose")


class _Once(argparse.Action):
    """A flag that holds one value: given twice, the command is refused (exit 2) rather than
    the first value dropped without a word (``--recipient jccu --recipient contractor``)."""

    def __call__(self, parser, namespace, values, option_string=None):
        if getattr(namespace, self.dest, None) is not None:
            parser.error(f"{option_string} is given twice; a scenario has one "
                         f"{self.dest} (several data items go in one --data, or in --data given again)")
        setattr(namespace, self.dest, values)


def add_scenario_fields(p: argparse.ArgumentParser) -> None:
    """Add one flag per scenario field but ``coop`` (``--action`` … ``--exception``). A
    one-value flag given twice is refused; ``--data`` may be given again, each adding items."""
    p.add_argument("--action", action=_Once, help="use | collect | share | publish")
    p.add_argument("--data", action="append",
                   help="data items, comma-separated (id, label or alias); may be given again")
    p.add_argument("--recipient", action=_Once, help="who receives the data (required for share)")
    p.add_argument("--purpose", action=_Once, help="the purpose of the use")
    p.add_argument("--subject", action=_Once, help="whose data it is (default: member)")
    p.add_argument("--consent", action="store_true", help="the data subject has consented")
    p.add_argument("--exception", action=_Once, help="a legal exception claimed (by_law, protect_life, …)")


def add_scenario_arguments(p: argparse.ArgumentParser) -> None:
    """Add ``--coop``, the scenario flags (:func:`add_scenario_fields`), ``--json``, ``--format``,
    ``--lang`` and ``--fail-on-deny``."""
    p.add_argument("--coop", action=_Once, help="policy id (aizu, ibaraki, …), a co-op's name, or `all`")
    add_scenario_fields(p)
    p.add_argument("--json", metavar="FILE", help="read scenarios as JSON from FILE, or `-` for stdin")
    p.add_argument("--format", choices=("text", "json"), default=None,
                   help="output format (default: text for flags, json for --json)")
    p.add_argument("--lang", choices=("en", "ja"), default="en",
                   help="language of verdicts and reasons (default: en, Japanese labels beside ids)")
    p.add_argument("--fail-on-deny", action="store_true", help="exit 1 if anything is denied")


#: How a policy file is named (a scenario's `coop` may name one).
POLICY_SUFFIX = ".policy"


class Policies:
    """Rulesets loaded on first use during one command run."""

    def __init__(self) -> None:
        self._loaded: dict[tuple, Ruleset] = {}

    def get(self, coop: str, names_only: bool = False) -> list[Ruleset]:
        """The rulesets for ``all``, or a comma list of policy ids, co-op names and policy files
        (``names_only``: one co-op, as a scenario's ``coop`` field gives it: a policy id or
        co-op name — that of a policy file loaded from the command line included — or a
        ``.policy`` file; never a list, and never another kind of file)."""
        if coop.strip().lower() == "all":
            ids = shipped_policies()
        else:
            ids = [coop] if names_only else split_list(coop)
        if not ids:
            raise CoopcheckError([Diagnostic(Code.E403, "no co-op given", None, "e.g. `--coop aizu` or `--coop all`")])
        out = []
        for cid in ids:
            if names_only:
                cid = cid.strip()
                file = cid.endswith(POLICY_SUFFIX)
                named = None if file else self._named(cid)
                key = (cid, not file)  # a name in a scenario is never read as a file named alike
                if named is not None:
                    out.append(named)
                    continue
                if key not in self._loaded:
                    self._loaded[key] = load_ruleset(cid) if file else load_policy(cid)
            else:
                key = (cid, False)
                if key not in self._loaded:
                    self._loaded[key] = load_ruleset(cid)
            out.append(self._loaded[key])
        return out

    def _named(self, coop: str) -> Ruleset | None:
        """A policy file loaded earlier in the run whose co-op id is ``coop`` (a scenario names
        the policy ``--coop ./sakura.policy`` loaded as ``sakura``)."""
        for (cid, _), ruleset in self._loaded.items():
            if cid.endswith(POLICY_SUFFIX) and ruleset.coop == coop:
                return ruleset
        return None


def split_list(text: str) -> list[str]:
    """A list as a person writes it on the command line: ``a,b``, ``a、b``, ``a, b and c``.

    >>> split_list("氏名、住所") , split_list("name and address"), split_list("name, address and phone")
    (['氏名', '住所'], ['name', 'address'], ['name', 'address', 'phone'])
    """
    return split_names(text)


def flags_scenario(args: argparse.Namespace, vocab: Vocabulary | None = None) -> dict[str, Any]:
    """The scenario given as flags, in the JSON contract (terms not yet resolved). With the
    deciding policy's ``vocab``, data items whose words contain ``and`` are kept whole where
    only the whole names an item (``--data "research and development data"``)."""
    data = {"action": args.action, "purpose": args.purpose, "consent": args.consent}
    if args.data is not None:  # each --data given, in order
        names = None if vocab is None else vocab.names_item
        data["data"] = [item for given in args.data for item in split_names(given, names=names)]
    for name in ("recipient", "subject", "exception"):
        value = getattr(args, name)
        if value is not None:
            data[name] = value
    return data


def missing_flags(args: argparse.Namespace) -> list[str]:
    """The required scenario flags not given (``--coop``, ``--action``, ``--data``, ``--purpose``)."""
    return [f"--{n}" for n in REQUIRED_FLAGS if getattr(args, n) is None]


def read_json_text(args: argparse.Namespace, command: str) -> str | None:
    """The text of ``--json FILE|-``; None (after printing an error) when it cannot be read."""
    try:
        if args.json == "-":
            return sys.stdin.read()
        with open(args.json, encoding="utf-8") as f:
            return f.read()
    except OSError as err:
        print(f"coopcheck {command}: error: cannot read `{args.json}`: {err.strerror}", file=sys.stderr)
    except UnicodeDecodeError as err:
        print(f"coopcheck {command}: error: `{args.json}` is not UTF-8 text (byte {err.start})", file=sys.stderr)
    return None


def parse_line(number: int, line: str) -> tuple[int, Any, CoopcheckError | None]:
    """One line of JSON Lines: ``(number, object, None)``, or ``(number, None, error)``."""
    try:
        return number, loads_strict(line), None
    except NotJson as err:
        where = f" at column {err.column}" if err.column is not None else ""
        return number, None, CoopcheckError([Diagnostic(
            Code.E406, f"invalid JSON: {quote(err.message)}{where}", None, "each line must be one JSON object")])


class EmptyInput(Exception):
    """The input holds no text at all (or only blank lines)."""


class NotText(Exception):
    """The input is not UTF-8 text (``start``: the offset of the first bad byte)."""

    def __init__(self, start: int):
        super().__init__(start)
        self.start = start


#: How many bytes of input are read at a time (at most: a read gives what is there).
CHUNK = 1 << 16


def text_lines(binary, waiting: Callable[[], None] | None = None) -> Iterator[list[str]]:
    """The lines of a binary stream as text, without their ``\n``, a list for each chunk of
    bytes read as they come (``read1``: a read gives what is there and waits only when
    nothing is); a last line without ``\n`` is a line too. ``waiting()`` is called before
    each read, when every line read so far has been taken: the moment to flush what answers
    them, since the read may wait for the writer of the input (a person, or a program that
    waits for the answers). Raises :class:`NotText` (after the lines before it) at the first
    byte that is not UTF-8."""
    read = getattr(binary, "read1", None) or binary.read
    tail = b""
    offset = 0  # where `tail` starts in the stream
    while True:
        if waiting is not None:
            waiting()
        chunk = read(CHUNK)
        if not chunk:
            break
        data = tail + chunk if tail else chunk
        end = data.rfind(b"\n")
        if end < 0:
            tail = data
            continue
        tail = data[end + 1:]
        yield from _decoded_lines(data[:end], offset)
        offset += end + 1
    if tail:
        yield from _decoded_lines(tail, offset)


def _decoded_lines(data: bytes, offset: int) -> Iterator[list[str]]:
    """The lines of ``data`` (whole lines, from byte ``offset`` of a stream on) as text; if
    it is not all UTF-8, the lines before the one with the first bad byte, then
    :class:`NotText` at that byte."""
    try:
        yield data.decode("utf-8").split("\n")
    except UnicodeDecodeError as err:
        good = data.rfind(b"\n", 0, err.start)
        if good >= 0:
            yield data[:good].decode("utf-8").split("\n")
        raise NotText(offset + err.start) from None


def stream_scenarios(binary, waiting: Callable[[], None] | None = None) -> Iterator[tuple[int, Any, CoopcheckError | None]]:
    """What :func:`read_scenarios` gives for the text of a binary stream, read as it comes when
    the input is JSON Lines (its first non-blank line is a whole JSON object), so a long stream
    is decided line by line in constant memory. Any other input (an array, an object over
    several lines) is read whole. Lines end at ``\n`` only. Raises :class:`NotText` at the
    first line that is not UTF-8. ``waiting`` is called before each read (:func:`text_lines`)."""
    lines = itertools.chain.from_iterable(text_lines(binary, waiting))
    head: list[str] = []
    for line in lines:
        if not head:
            line = line.removeprefix("\ufeff")  # a byte-order mark is not part of the text
        head.append(line)
        if line.strip():
            break
    else:
        raise EmptyInput  # nothing but blank lines (or nothing at all)
    try:
        obj = STRICT.decode(head[-1].removesuffix("\r"))
    except (ValueError, RecursionError):  # JSONDecodeError and NotJson are ValueErrors
        obj = None
    if not isinstance(obj, dict):  # not JSON Lines: the whole text is one value (or broken)
        # (its byte-order mark is gone already: a second U+FEFF is text, and not JSON)
        yield from read_scenarios("\n".join(itertools.chain(head, lines)), mark=False)
        return
    number = len(head)
    pending = []  # blank lines after the first object, up to the next line with content
    if number > 1:  # after blank lines, it is line `number` of JSON Lines, or scenario 1 of
        # a text that is this one object (as read_scenarios says): the rest of the text tells
        for line in lines:
            pending.append(line)
            if line.strip():
                break
        else:
            yield 1, obj, None
            return
    yield number, obj, None  # (on the first line it is 1 either way: answered without waiting)
    yield from numbered_scenarios(itertools.chain(pending, lines) if pending else lines, number + 1)


def numbered_scenarios(lines: Iterable[str], first: int) -> Iterator[tuple[int, Any, CoopcheckError | None]]:
    """``(line number, object, error)`` for JSON Lines, the first of ``lines`` being line
    ``first``: blank lines skipped, a ``\r`` before the line's end dropped, each line read as
    strict JSON (:func:`parse_line` says what is wrong with one that is not)."""
    loads = STRICT.decode  # strict JSON (no NaN), as parse_line reads a line that fails here
    number = first - 1
    for line in lines:
        number += 1
        if line.endswith("\r"):
            line = line[:-1]
        if not line.strip():
            continue
        try:
            obj = loads(line)
        except (ValueError, RecursionError):  # what parse_line reports
            yield parse_line(number, line)
            continue
        yield number, obj, None


def read_scenarios(text: str, mark: bool = True) -> Iterator[tuple[int, Any, CoopcheckError | None]]:
    """(line number, parsed object, error) for one JSON value, an array, or JSON Lines.

    Line numbers count ``\n`` only: a line ends at ``\n`` (a ``\r`` before it is dropped), so
    ``\r\n`` and ``\n`` files number alike and a ``\r`` elsewhere is part of its line. A
    byte-order mark at the start is not part of the text (one: ``mark`` false when the
    caller has removed it already)."""
    if mark:
        text = text.removeprefix("\ufeff")
    stripped = text.strip()
    if not stripped:
        return
    try:
        whole = STRICT.decode(stripped)
    except (ValueError, RecursionError):  # JSONDecodeError and NotJson are ValueErrors
        whole = None
    else:
        if isinstance(whole, list):
            for i, obj in enumerate(whole, 1):
                yield i, obj, None
        else:
            yield 1, whole, None
        return
    # JSON Lines end at "\n" only: str.splitlines() would also split inside a JSON string
    # that holds a raw U+2028 or another Unicode line break
    for number, line in enumerate(text.split("\n"), 1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        yield parse_line(number, line)


@frozen
class Job:
    """One scenario read from JSON: its line, the rulesets it is for and its fields (without
    ``coop``), or the error that stops it."""

    line: int
    rulesets: tuple[Ruleset, ...] = ()
    body: dict | None = None
    error: CoopcheckError | None = None


def json_jobs(text, default_coop: str | None, policies: Policies) -> Iterator[Job]:
    """The scenarios of a JSON input (its text, or the ``(line, object, error)`` triples of
    :func:`stream_scenarios`) as :func:`json_job` gives each."""
    for number, obj, error in (read_scenarios(text) if isinstance(text, str) else text):
        yield json_job(number, obj, error, default_coop, policies)


def json_job(number: int, obj: Any, error: CoopcheckError | None, default_coop: str | None,
             policies: Policies) -> Job:
    """One scenario read from JSON with its rulesets (``coop`` in the scenario, else
    ``default_coop``), or a :class:`Job` with the error that stops it."""
    if error is not None:
        return Job(number, error=error)
    try:
        asked = coop_request(obj, default_coop, "--coop on the command line")
        rulesets = tuple(policies.get(asked.name, names_only=asked.own))
    except CoopcheckError as err:
        return Job(number, error=err)
    return Job(number, rulesets, asked.body)


def scenario_rulesets(coop: Any, default_coop: str | None, policies: Policies) -> tuple[Ruleset, ...]:
    """The rulesets a scenario with field ``coop`` (None: not given) is for: the co-op it names
    (one, or all) by id or name, or a ``.policy`` file — never a list — else the command
    line's ``default_coop`` (a list, or rule files); raises the input error when there are none
    (the reading of :func:`~coopcheck.core.scenario.coop_request`)."""
    asked = coop_request({} if coop is None else {"coop": coop}, default_coop, "--coop on the command line")
    return tuple(policies.get(asked.name, names_only=asked.own))


def error_object(err: CoopcheckError, line: int | None) -> dict:
    """The ``{"error": {...}}`` object written for a bad scenario."""
    diag = err.diagnostics[0]
    obj = diag.to_json()
    if line is not None:
        obj["line"] = line
    if err.field:
        obj["field"] = err.field
    return {"error": obj}


def error_line(err: CoopcheckError, line: int) -> str:
    """The JSON line (with its newline) :func:`print_error` prints for a bad scenario line."""
    return json.dumps(error_object(err, line), ensure_ascii=False) + "\n"


def print_error(err: CoopcheckError, line: int, fmt: str) -> None:
    """Report a bad scenario line in the output stream, as JSON or text."""
    if fmt == "json":
        print(json.dumps(error_object(err, line), ensure_ascii=False))
    else:
        print(f"line {line}: {err.diagnostics[0].render()}")


def run_json_jobs(args: argparse.Namespace, policies: Policies, command: str, answer, show, quick=None, *,
                  stream=None) -> int:
    """The ``--json FILE|-`` loop shared by ``check`` and ``explain``: read the scenarios,
    answer each with ``answer(rulesets, scenario) -> (results, denied)``, ``show(results, fmt)``
    in input order, and print an error object for a bad line while the rest still run.
    ``quick(object) -> (text, denied) | None``, when given, may answer a line's object whole
    (the text written as it is) before any of that; None leaves the line to the rest.
    Output is flushed whenever the next read of the input may have to wait, so a stream
    answers each line as it comes. Returns the exit code: 2 on any input error, else 1 when
    ``--fail-on-deny`` and something was denied, else 0. ``stream``: the input already open
    (``--jobs`` hands back what it read before it knew the input is not JSON Lines)."""
    binary = stream if stream is not None else open_json_input(args, command)
    if binary is None:
        return 2
    quick_answers = _Gathered()
    try:
        scenarios = stream_scenarios(binary, quick_answers.flush)
        return _run_jobs(args, policies, answer, show, quick, scenarios, quick_answers)
    except NotText as err:
        print(f"coopcheck {command}: error: `{args.json}` is not UTF-8 text (byte {err.start})", file=sys.stderr)
        return 2
    except EmptyInput:
        where = "standard input" if args.json == "-" else f"`{args.json}`"
        print(f"coopcheck {command}: error: no scenarios in {where} (it is empty)", file=sys.stderr)
        return 2
    except BrokenPipeError:
        raise  # the output's reader has gone (cli.main ends the run quietly)
    except OSError as err:
        print(f"coopcheck {command}: error: cannot read `{args.json}`: {err.strerror}", file=sys.stderr)
        return 2
    finally:
        if args.json != "-":
            binary.close()


def open_json_input(args: argparse.Namespace, command: str):
    """The binary stream ``--json FILE|-`` names; None (after printing why) when it cannot be
    opened."""
    try:
        return _stdin_bytes() if args.json == "-" else open(args.json, "rb")
    except OSError as err:
        print(f"coopcheck {command}: error: cannot read `{args.json}`: {err.strerror}", file=sys.stderr)
        return None


def answer_chunk(args: argparse.Namespace, policies: Policies, answer, show, quick, scenarios) -> int:
    """Answer a run of ``(line, object, error)`` scenarios to standard output, as
    :func:`run_json_jobs` answers them; the exit code of the run (for ``--jobs``)."""
    return _run_jobs(args, policies, answer, show, quick, scenarios, _Gathered())


class _Gathered:
    """Output for standard output, gathered and written in one piece (a stream of short
    answers costs one write per chunk of input, not one per line). ``quick`` answers and JSON
    error lines come as UTF-8 bytes and go to the stream's byte buffer as they are, when it has one and its
    encoding is UTF-8 (else they are decoded and written as text); other output is written
    as text in between, so :meth:`after_text` must be called after it: the text layer is
    flushed before the next bytes, and the order of the lines is kept."""

    __slots__ = ("chunks", "text_written")

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.text_written = False

    def add(self, data: bytes) -> None:
        """Gather ``data`` (UTF-8)."""
        self.chunks.append(data)

    def add_text(self, text: str) -> None:
        """Gather ``text``; one that UTF-8 cannot hold (a lone surrogate from JSON ``\\ud800``
        echoed in an error) is written as text instead, after what is gathered, for standard
        output to escape as it is configured to."""
        try:
            self.chunks.append(text.encode("utf-8"))
        except UnicodeEncodeError:
            self.write()
            sys.stdout.write(text)
            self.after_text()

    def after_text(self) -> None:
        """Note that text was written to standard output since the last :meth:`write`."""
        self.text_written = True

    def write(self) -> None:
        """Write what is gathered to standard output (whatever it is at the time: tests
        replace it)."""
        if not self.chunks:
            return
        data = b"".join(self.chunks)
        self.chunks.clear()
        write_utf8(data, self.text_written)
        self.text_written = False

    def flush(self) -> None:
        """Write what is gathered and flush standard output."""
        self.write()
        sys.stdout.flush()


def write_utf8(data: bytes, text_written: bool = False) -> None:
    """Write UTF-8 ``data`` to standard output (whatever it is at the time): as it is to the
    byte buffer when the stream takes UTF-8 (:func:`utf8_buffer`), the text written before it
    (``text_written``) flushed first so that it stays in front; else decoded, as text."""
    out = sys.stdout
    buffer = utf8_buffer(out)
    if buffer is None:
        out.write(data.decode("utf-8"))
        return
    if text_written:
        out.flush()
    buffer.write(data)


def utf8_buffer(stream):
    """The byte buffer under a text stream whose encoding is UTF-8, or None (also where text
    streams write a newline as another line ending, as on Windows: answers keep one ending)."""
    buffer = getattr(stream, "buffer", None)
    if buffer is None or os.linesep != "\n":
        return None
    encoding = getattr(stream, "encoding", None)
    try:
        if encoding is None or codecs.lookup(encoding).name != "utf-8":
            return None
    except LookupError:
        return None
    return buffer


def _stdin_bytes():
    """Standard input as bytes (a text stream without a buffer, as in tests, is encoded)."""
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is not None:
        return buffer
    return io.BytesIO(sys.stdin.read().encode("utf-8", "surrogatepass"))


def _run_jobs(args, policies: Policies, answer, show, quick, scenarios, quick_answers: _Gathered) -> int:
    # what a line allocates is freed by reference counting as soon as its answer is written;
    # the collector's frequent passes would mostly re-scan the evaluators' growing caches
    try:
        with fewer_collections():
            return _answer_jobs(args, policies, answer, show, quick, scenarios, quick_answers)
    finally:
        quick_answers.write()


def _answer_jobs(args, policies: Policies, answer, show, quick, scenarios, quick_answers: _Gathered) -> int:
    """Answer each scenario in order: ``quick``'s answers are gathered in ``quick_answers``
    and written before any other output."""
    fmt = args.format or "json"
    errors = denied = False
    gather = quick_answers.add
    for number, obj, error in scenarios:
        if quick is not None and error is None:
            found = quick(obj)
            if found is not None:
                gather(found[0])
                denied = denied or found[1]
                continue
        job = json_job(number, obj, error, args.coop, policies)
        error = job.error
        if error is None:
            try:
                results, job_denied = answer(job.rulesets, job.body)
            except CoopcheckError as err:
                error = err
        if error is not None:
            errors = True
            if fmt == "json":  # gathered with the quick answers: no text between them to flush
                quick_answers.add_text(error_line(error, job.line))
            else:
                quick_answers.write()
                print_error(error, job.line, fmt)
                quick_answers.after_text()
            continue
        denied = denied or job_denied
        quick_answers.write()
        show(results, fmt)
        quick_answers.after_text()
    if errors:
        return 2
    return 1 if (args.fail_on_deny and denied) else 0


def load_ruleset(name: str) -> Ruleset:
    """A co-op named on the command line: a rule file (``.policy``/``.rules`` or an existing
    path) or a shipped policy's id or name."""
    try:
        is_file = name.endswith((".policy", ".rules")) or Path(name).is_file()
    except (OSError, ValueError):  # too long for a path, or holds a NUL: not a file
        is_file = False
    if is_file:
        return load_file(name)
    return load_policy(name)
