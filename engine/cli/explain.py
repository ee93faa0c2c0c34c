"""``coopcheck explain``: how a decision was derived and, on a deny, what would permit it.

Takes the same scenario inputs as ``check`` (flags, ``--json FILE|-``, ``--coop all``) and
prints, per co-op, the derivation item by item (deciding rules, bars checked, grants matched
but not deciding, rules not matching with the part that fell outside) and the verified
why-nots. ``--format json`` writes one object per line (shape: :mod:`coopcheck.presentation.explain_json`).
``--all`` lists every not-matching rule and every why-not. Exit codes as ``check``.
"""

from __future__ import annotations

import argparse
import json
import sys

from coopcheck.dsl.errors import CoopcheckError

from coopcheck.core.api import make_scenario
from coopcheck.analysis.explain import GROUPS, Explanation, explain
from coopcheck.presentation.wording import BASIS_WORDS, EXPLAIN_TEMPLATES, render_check, render_why_not, term
from coopcheck.core.ruleset import Ruleset
from coopcheck.cli.inputs import Policies, add_scenario_arguments, flags_scenario, missing_flags, run_json_jobs
from coopcheck.presentation.explain_json import explanation_json
from coopcheck.presentation.render import HEADINGS, render_decision

HELP = "explain a decision: the rules checked, the deciding clause, and what would permit a deny"


def register(p: argparse.ArgumentParser) -> None:
    """Add ``explain``'s arguments: those of ``check`` and ``--all``."""
    add_scenario_arguments(p)
    p.add_argument("--all", action="store_true", dest="show_all",
                   help="list every rule that does not match and every why-not (default: the "
                        "rules that miss on one part, and five why-nots)")


def render_explanation(e: Explanation, coop_name: str | None = None, lang: str = "en") -> str:
    """The explanation as text: the verdict, then the derivation per item, then the why-nots."""
    lang = "ja" if lang == "ja" else "en"
    t = EXPLAIN_TEMPLATES[lang]
    h = HEADINGS[lang]
    d = e.decision
    head = render_decision(d, coop_name, lang).splitlines()
    # the verdict block without its reasons: the derivation below gives them in full
    cut = next(n for n, line in enumerate(head) if line.strip() == f"{h['because']}:")
    lines = head[:cut]
    for ie in e.items:
        idec = ie.decision
        verdict = h["PERMIT"] if idec.permitted else h["DENY"]
        lines.append("")
        lines.append("  " + t["h.item"].format(item=term(d, ie.item, lang), verdict=verdict,
                                               basis=BASIS_WORDS[lang][idec.basis]))
        for name in GROUPS:
            checks = ie.group(name)
            extra = []
            if name == "deciding" and not checks:
                extra.append(t["default_deny"])
            if name == "not_matching" and ie.hidden:
                extra.append(t["hidden"].format(count=ie.hidden))
            if not checks and not extra:
                continue
            lines.append(f"    {t['h.' + name]}:")
            lines.extend(f"      - {render_check(c, d, lang)}" for c in checks)
            lines.extend(f"      - {x}" for x in extra)
        if idec.obligations:
            lines.append(f"    {t['h.obligations']}: " + ", ".join(term(d, o, lang) for o in idec.obligations))
    if d.citations:
        lines.append(f"  {h['cited']}:")
        lines.extend(f"    - {c}" for c in d.citations)
    if not d.permitted:
        lines.append("")
        if e.why_not:
            lines.append(f"  {t['h.why_not']}:")
            lines.extend(f"    {n}. {render_why_not(w, lang)}" for n, w in enumerate(e.why_not, 1))
            if e.why_not_more:
                lines.append("    " + t["why_not_more"].format(count=e.why_not_more))
        else:
            lines.append(f"  {t['h.why_not_none']}")
    return "\n".join(lines)


def _explain_all(rulesets, body: dict, show_all: bool) -> list[tuple[Ruleset, Explanation]]:
    return [(rs, explain(rs, make_scenario(rs, body), show_all=show_all)) for rs in rulesets]


def _print(found, fmt: str, lang: str) -> None:
    for rs, e in found:
        if fmt == "json":
            print(json.dumps(explanation_json(e, lang), ensure_ascii=False))
        else:
            print(render_explanation(e, rs.name, lang) + "\n")


def run(args: argparse.Namespace) -> int:
    """Run ``explain``; exit 0 when every scenario was explained, 1 with ``--fail-on-deny`` if
    anything was denied, 2 on an input error."""
    policies = Policies()
    if args.json is not None:
        return _run_json(args, policies)
    missing = missing_flags(args)
    if missing:
        print(f"coopcheck explain: error: missing {', '.join(missing)} (or give scenarios with --json FILE)",
              file=sys.stderr)
        return 2
    try:
        rulesets = policies.get(args.coop)
        found = _explain_all(rulesets, flags_scenario(args, rulesets[0].vocabulary if rulesets else None),
                             args.show_all)
    except CoopcheckError as err:
        print(err.render(), file=sys.stderr)
        return 2
    _print(found, args.format or "text", args.lang)
    denied = any(not e.decision.permitted for _, e in found)
    return 1 if (args.fail_on_deny and denied) else 0


def _run_json(args: argparse.Namespace, policies: Policies) -> int:
    def answer(rulesets, scenario):
        found = _explain_all(rulesets, scenario, args.show_all)
        return found, any(not e.decision.permitted for _, e in found)

    return run_json_jobs(args, policies, "explain", answer, lambda found, fmt: _print(found, fmt, args.lang))
