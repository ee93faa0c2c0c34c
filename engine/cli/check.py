"""``coopcheck check``: decide scenarios given as flags or as JSON (one object or JSON Lines)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Iterator

from dsl.errors import CoopcheckError, Diagnostic

from ..api import decide, load_policy, shipped_policies
from ..ruleset import Ruleset
from .render import render_decision, render_table

HELP = "decide a proposed data use against one co-op's policy or all of them"


def register(p: argparse.ArgumentParser) -> None:
    """Add ``check``'s arguments."""
    p.add_argument("--coop", help="policy id (aizu, ibaraki, …), a co-op's name, or `all`")
    p.add_argument("--action", help="use | collect | share | publish")
    p.add_argument("--data", help="data items, comma-separated (id, label or alias)")
    p.add_argument("--recipient", help="who receives the data (required for share)")
    p.add_argument("--purpose", help="the purpose of the use")
    p.add_argument("--subject", help="whose data it is (default: member)")
    p.add_argument("--consent", action="store_true", help="the data subject has consented")
    p.add_argument("--exception", help="a legal exception claimed (by_law, protect_life, …)")
    p.add_argument("--json", metavar="FILE", help="read scenarios as JSON from FILE, or `-` for stdin")
    p.add_argument("--format", choices=("text", "json"), default=None,
                   help="output format (default: text for flags, json for --json)")
    p.add_argument("--lang", choices=("en", "ja"), default="en",
                   help="language of verdicts and reasons (default: en, Japanese labels beside ids)")
    p.add_argument("--fail-on-deny", action="store_true", help="exit 1 if anything is denied")


class _Policies:
    """Rulesets loaded on first use during one command run."""

    def __init__(self) -> None:
        self._loaded: dict[str, Ruleset] = {}

    def get(self, coop: str) -> list[Ruleset]:
        ids = shipped_policies() if coop == "all" else [coop]
        out = []
        for cid in ids:
            if cid not in self._loaded:
                rs = load_policy(cid)
                self._loaded[cid] = rs
                self._loaded[rs.coop] = rs
            out.append(self._loaded[cid])
        return out


def _flags_scenario(args: argparse.Namespace) -> dict[str, Any]:
    data = {"action": args.action, "purpose": args.purpose, "consent": args.consent}
    if args.data is not None:
        data["data"] = [d.strip() for d in args.data.split(",") if d.strip()]
    for name in ("recipient", "subject", "exception"):
        value = getattr(args, name)
        if value is not None:
            data[name] = value
    return data


def _read_scenarios(text: str) -> Iterator[tuple[int, Any, CoopcheckError | None]]:
    """(line number, parsed object, error) for one JSON value, an array, or JSON Lines."""
    stripped = text.strip()
    if not stripped:
        return
    try:
        whole = json.loads(stripped)
    except (json.JSONDecodeError, RecursionError):
        whole = None
    else:
        if isinstance(whole, list):
            for i, obj in enumerate(whole, 1):
                yield i, obj, None
        else:
            yield 1, whole, None
        return
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line), None
        except json.JSONDecodeError as err:
            yield number, None, CoopcheckError([Diagnostic(
                "E406", f"invalid JSON: {err.msg.lower()} at column {err.colno}", None,
                "each line must be one JSON object")])
        except RecursionError:
            yield number, None, CoopcheckError([Diagnostic(
                "E406", "invalid JSON: nested too deeply", None, "each line must be one JSON object")])


def _error_object(err: CoopcheckError, line: int | None) -> dict:
    diag = err.diagnostics[0]
    obj = diag.to_json()
    if line is not None:
        obj["line"] = line
    if err.field:
        obj["field"] = err.field
    return {"error": obj}


def run(args: argparse.Namespace) -> int:
    """Run ``check``; see :mod:`engine.cli.main` for exit codes."""
    policies = _Policies()
    if args.json is not None:
        return _run_json(args, policies)
    missing = [f"--{n}" for n in ("coop", "action", "data", "purpose") if getattr(args, n) is None]
    if missing:
        print(f"coopcheck check: error: missing {', '.join(missing)} (or give scenarios with --json FILE)",
              file=sys.stderr)
        return 2
    fmt = args.format or "text"
    try:
        rulesets = policies.get(args.coop)
        decisions = [decide(rs, _flags_scenario(args)) for rs in rulesets]
    except CoopcheckError as err:
        print(err.render(), file=sys.stderr)
        return 2
    if fmt == "json":
        for d in decisions:
            print(json.dumps(d.to_json(args.lang), ensure_ascii=False))
    elif len(decisions) == 1 and args.coop != "all":
        print(render_decision(decisions[0], rulesets[0].name, args.lang))
    else:
        print(render_table(decisions, args.lang))
    denied = any(not d.permitted for d in decisions)
    return 1 if (args.fail_on_deny and denied) else 0


def _run_json(args: argparse.Namespace, policies: _Policies) -> int:
    try:
        text = sys.stdin.read() if args.json == "-" else open(args.json, encoding="utf-8").read()
    except OSError as err:
        print(f"coopcheck check: error: cannot read `{args.json}`: {err.strerror}", file=sys.stderr)
        return 2
    except UnicodeDecodeError as err:
        print(f"coopcheck check: error: `{args.json}` is not UTF-8 text (byte {err.start})", file=sys.stderr)
        return 2
    fmt = args.format or "json"
    errors = denied = False
    for number, obj, error in _read_scenarios(text):
        if error is None:
            try:
                if not isinstance(obj, dict):
                    raise CoopcheckError([Diagnostic("E404", "a scenario must be a JSON object", None)])
                coop = obj.get("coop") if obj.get("coop") is not None else args.coop
                if coop is None:
                    raise CoopcheckError([Diagnostic("E403", "missing field `coop`", None,
                                                     "give `coop` in the scenario or --coop on the command line")])
                if not isinstance(coop, str):
                    raise CoopcheckError([Diagnostic("E404", "field `coop` must be a policy id or `all`", None)])
                rulesets = policies.get(coop)
                body = {k: v for k, v in obj.items() if k != "coop"}
                decisions = [decide(rs, body) for rs in rulesets]
            except CoopcheckError as err:
                error = err
        if error is not None:
            errors = True
            if fmt == "json":
                print(json.dumps(_error_object(error, number), ensure_ascii=False))
            else:
                print(f"line {number}: {error.diagnostics[0].render()}")
            continue
        for d in decisions:
            denied = denied or not d.permitted
            if fmt == "json":
                print(json.dumps(d.to_json(args.lang), ensure_ascii=False))
            else:
                print(render_decision(d, policies.get(d.coop)[0].name, args.lang) + "\n")
        sys.stdout.flush()
    if errors:
        return 2
    return 1 if (args.fail_on_deny and denied) else 0
