"""``coopcheck terms [KIND] [--search WORDS]``: the vocabulary, to find the term to write.

Lists the terms (of one kind: item, party, purpose, subject, exception, obligation, coop)
with their labels, aliases and parents; ``--search`` finds terms by id, words, label or alias —
whole, as a prefix or a part — or by an everyday word (``配達`` finds ``delivery``), best first
(:mod:`coopcheck.core.search`, the same search that gives every "did you mean").
"""

from __future__ import annotations

import argparse
import json
import sys

from tabulate import tabulate

from coopcheck.dsl.errors import CoopcheckError
from coopcheck.core import paths
from coopcheck.core.api import load_file
from coopcheck.core.search import term_entries
from coopcheck.core.vocabulary import KIND_NAMES

HELP = "list or search the vocabulary: ids, Japanese labels, aliases, parents"

#: Words a person may use for a kind on the command line.
KIND_WORDS = {"item": "item", "items": "item", "data": "item", "party": "party", "parties": "party",
              "recipient": "party", "recipients": "party", "purpose": "purpose", "purposes": "purpose",
              "subject": "subject", "subjects": "subject", "exception": "exception", "exceptions": "exception",
              "obligation": "obligation", "obligations": "obligation", "coop": "coop", "coops": "coop",
              "co-op": "coop", "co-ops": "coop"}


def register(p: argparse.ArgumentParser) -> None:
    """Add ``terms``'s arguments."""
    p.add_argument("kind", nargs="?", help="item, party, purpose, subject, exception, obligation or coop")
    p.add_argument("--search", metavar="WORDS", help="find terms by id, words, label, alias or an everyday word")
    p.add_argument("--lang", choices=("en", "ja"), default="en", help="column headings in English or Japanese")
    p.add_argument("--format", choices=("text", "json"), default="text")


def run(args: argparse.Namespace) -> int:
    """Run ``terms``: exit 0, 1 when a search finds nothing, 2 on a bad kind."""
    kind = None
    if args.kind:
        kind = KIND_WORDS.get(args.kind.strip().lower())
        if kind is None:
            print(f"coopcheck terms: error: unknown kind `{args.kind}` (kinds: "
                  + ", ".join(sorted(set(KIND_WORDS.values()))) + ")", file=sys.stderr)
            return 2
    try:
        vocab = load_file(paths.policies_dir() / "aizu.policy").vocabulary  # every shipped policy imports it
    except CoopcheckError as err:
        print(err.render(), file=sys.stderr)
        return 2
    out = term_entries(vocab, (kind,) if kind else None, args.search)
    if args.format == "json":
        print(json.dumps(out, ensure_ascii=False, indent=1))
    else:
        ja = args.lang == "ja"
        heads = (["ID", "種類", "ラベル", "別名", "上位"] if ja else ["id", "kind", "label", "aliases", "parents"])
        if args.search:
            heads.append("一致" if ja else "found by")
        table = [[t["id"], KIND_NAMES[t["kind"]] if not ja else _KIND_JA[t["kind"]], t["label"] or "",
                  "、".join(t["aliases"]), " > ".join(t["parents"])]
                 + ([_HOW_JA.get(t["found_by"], t["found_by"]) if ja else t["found_by"]] if args.search else [])
                 for t in out]
        if table:
            print(tabulate(table, headers=heads, tablefmt="simple"))
    if args.search and not out:
        print(f"coopcheck terms: nothing found for `{args.search}`", file=sys.stderr)
        return 1
    return 0


_HOW_JA = {"exact": "完全一致", "prefix": "前方一致", "part": "部分一致", "everyday word": "日常語",
           "close spelling": "近い綴り"}
_KIND_JA = {"item": "データ項目", "party": "提供先", "purpose": "利用目的", "subject": "本人の区分",
            "exception": "法令上の例外", "obligation": "義務", "coop": "生協"}

