"""``coopcheck diff A B``: every scenario on which two rule sets decide differently.

A and B are shipped co-op ids (or names) or rule-file paths (two versions of one co-op's
file). Exit 0 when they decide every scenario alike, 1 when they differ (so a policy
revision can be gated in CI), 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from itertools import groupby

from tabulate import tabulate

from coopcheck.dsl.errors import CoopcheckError

from coopcheck.analysis.diff import diff_rulesets
from coopcheck.analysis.regions import PolicyDiff
from coopcheck.core.ruleset import Ruleset
from coopcheck.cli.inputs import load_ruleset
from coopcheck.presentation.diff_render import (MULTI_ITEM_NOTE, describe_outcome, diff_json, region_conditions,
                                                region_scope)

HELP = "list every scenario two rule sets decide differently, grouped into exact regions"

_WORDS = {
    "en": {"compared": "{n:,} single-item scenarios compared on {what}",
           "space": "(every action, subject, data item, recipient, purpose, consent and legal exception)",
           "identical": "they decide every scenario alike",
           "differ": "{n:,} decide differently, in {r} regions",
           "left_out": "left out (only {side} declares them): {terms}",
           "scenarios": "{n:,} scenarios", "scenario": "1 scenario",
           "what": {"decision": "decision", "basis": "basis", "citations": "cited clauses"},
           "and": " and ", "table": ["#", "scenarios", "consent, exception", "{a}", "{b}", "size"]},
    "ja": {"compared": "データ項目1つの場面 {n:,} 件を{what}で比較",
           "space": "（すべての行為・本人・データ項目・提供先・目的・同意・法令上の例外）",
           "identical": "すべての場面で同じ判定",
           "differ": "{n:,} 件で判定が異なる（{r} 領域）",
           "left_out": "比較から除外（{side} のみが宣言）: {terms}",
           "scenarios": "{n:,} 件", "scenario": "1 件",
           "what": {"decision": "判定", "basis": "根拠", "citations": "根拠条項"},
           "and": "・", "table": ["#", "場面", "同意・例外", "{a}", "{b}", "件数"]},
}


def register(p: argparse.ArgumentParser) -> None:
    """Add ``diff``'s arguments."""
    p.add_argument("a", metavar="A", help="co-op id or name, or a .policy file")
    p.add_argument("b", metavar="B", help="co-op id or name, or a .policy file")
    p.add_argument("--clauses", action="store_true",
                   help="also count a change of cited clause with the same decision and basis as a difference")
    p.add_argument("--format", choices=("text", "markdown", "json"), default="text",
                   help="output format (default: text)")
    p.add_argument("--lang", choices=("en", "ja"), default="en", help="language of the output (default: en)")


def _names(args: argparse.Namespace, a: Ruleset, b: Ruleset) -> tuple[str, str]:
    """Co-op ids, or what was written when both are versions of the same co-op."""
    na, nb = a.coop or args.a, b.coop or args.b
    return (args.a, args.b) if na == nb else (na, nb)


def header_lines(diff: PolicyDiff, lang: str = "en") -> list[str]:
    """What was compared, how many scenarios differ, and what was left out."""
    w = _WORDS[lang]
    what = w["and"].join(w["what"][c] for c in diff.compared)
    lines = [f"{diff.a_name} vs {diff.b_name}",
             "  " + w["compared"].format(n=diff.scenarios_compared, what=what),
             "  " + w["space"],
             "  " + MULTI_ITEM_NOTE[lang],
             "  " + (w["identical"] if diff.identical else w["differ"].format(n=diff.differing, r=len(diff.regions)))]
    for kind, (only_a, only_b) in diff.left_out.items():
        for side, terms in ((diff.a_name, only_a), (diff.b_name, only_b)):
            if terms:
                lines.append("  " + w["left_out"].format(side=side, terms=", ".join(terms)))
    return lines


def render_text(diff: PolicyDiff, lang: str = "en") -> str:
    """The header, then the regions: a scope line (what is done with which data, of whom,
    with whom, for what) and under it one numbered entry per region with that scope — its
    consent and exceptions, and what each side decides, with the clauses."""
    w = _WORDS[lang]
    out = header_lines(diff, lang)
    width = max(len(diff.a_name), len(diff.b_name))
    number = 0
    vocab, uni = diff.vocabulary, diff.universe
    for scope, regions in groupby(diff.regions, key=lambda r: region_scope(r, vocab, lang, uni)):
        out += ["", scope]
        for r in regions:
            number += 1
            size = w["scenario"] if r.size == 1 else w["scenarios"].format(n=r.size)
            out.append(f"  {number}. {region_conditions(r, vocab, lang, uni)} — {size}")
            out.append(f"       {diff.a_name:<{width}}  {describe_outcome(r.a, lang)}")
            out.append(f"       {diff.b_name:<{width}}  {describe_outcome(r.b, lang)}")
    return "\n".join(out)


def render_markdown(diff: PolicyDiff, lang: str = "en") -> str:
    """The header as a paragraph, then one table row per region."""
    w = _WORDS[lang]

    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    head = header_lines(diff, lang)
    out = [f"## {cell(head[0])}", "", "\n".join(cell(line.strip()) for line in head[1:])]
    if diff.regions:
        vocab, uni = diff.vocabulary, diff.universe
        rows = [[str(i), cell(region_scope(r, vocab, lang, uni)), cell(region_conditions(r, vocab, lang, uni)),
                 cell(describe_outcome(r.a, lang)), cell(describe_outcome(r.b, lang)), f"{r.size:,}"]
                for i, r in enumerate(diff.regions, 1)]
        headers = [h.format(a=cell(diff.a_name), b=cell(diff.b_name)) for h in w["table"]]
        out += ["", tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True)]
    return "\n".join(out)


def run(args: argparse.Namespace) -> int:
    """Run ``diff``: exit 0 identical, 1 differences, 2 bad input."""
    try:
        a, b = load_ruleset(args.a), load_ruleset(args.b)
    except CoopcheckError as err:
        print(err.render(), file=sys.stderr)
        return 2
    except OSError as err:
        print(f"coopcheck diff: error: cannot read `{err.filename}`: {err.strerror}", file=sys.stderr)
        return 2
    a_name, b_name = _names(args, a, b)
    diff = diff_rulesets(a, b, a_name=a_name, b_name=b_name, clauses=args.clauses)
    if args.format == "json":
        print(json.dumps(diff_json(diff, args.lang), ensure_ascii=False, indent=1))
    elif args.format == "markdown":
        print(render_markdown(diff, args.lang))
    else:
        print(render_text(diff, args.lang))
    return 0 if diff.identical else 1
