"""A fixed, seeded stream of scenarios over the five shipped co-ops, for before/after checks.

``python -m bench.golden N SEED > scenarios.jsonl`` writes N scenarios as JSON Lines: random
actions, subjects, one to three data items, recipients, purposes, consent and legal exceptions
drawn from the shipped vocabulary (ids, with some labels and aliases, a few unknown terms and
malformed fields so error lines are covered too). Feeding the same file to
``coopcheck check --json -`` before and after a change, and comparing the outputs byte for
byte, shows every decision the change altered.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COOPS = ("aizu", "ibaraki", "aicoop_miyagi", "nara", "kuruko")
ACTIONS = ("use", "collect", "share", "publish")
SEED = 20261130


def _vocabulary() -> dict[str, list[tuple[str, str | None, tuple[str, ...]]]]:
    """Terms by kind from rules/vocabulary.rules, read as plain text (no engine import, so the
    generator is the same before and after a change to the engine)."""
    import re

    kinds: dict[str, list] = {}
    text = "\n".join(f.read_text(encoding="utf-8") for f in sorted((ROOT / "rules").glob("*.rules")))
    decl = re.compile(r"^(data item|party|purpose|subject|exception|obligation|cooperative)\s+([a-z0-9_]+)(.*)$")
    kind_of = {"data item": "item", "party": "party", "purpose": "purpose", "subject": "subject",
               "exception": "exception", "obligation": "obligation", "cooperative": "coop"}
    for line in text.splitlines():
        m = decl.match(line.split("#", 1)[0].strip())
        if not m:
            continue
        rest = m.group(3)
        label = re.search(r'label\s+"([^"]+)"', rest)
        aliases = tuple(re.findall(r'"([^"]+)"', rest.split("aliases", 1)[1])) if "aliases" in rest else ()
        kinds.setdefault(kind_of[m.group(1)], []).append((m.group(2), label.group(1) if label else None, aliases))
    return kinds


def _name(rng: random.Random, term) -> str:
    tid, label, aliases = term
    r = rng.random()
    if r < 0.8 or (label is None and not aliases):
        return tid
    if r < 0.92 and label:
        return label
    return rng.choice(aliases) if aliases else tid


def scenarios(n: int, seed: int):
    """``n`` scenario dicts, the same for the same seed."""
    rng = random.Random(seed)
    vocab = _vocabulary()
    for _ in range(n):
        sc: dict = {"coop": rng.choice(COOPS), "action": rng.choice(ACTIONS)}
        if rng.random() < 0.3:
            sc["subject"] = _name(rng, rng.choice(vocab["subject"]))
        sc["data"] = [_name(rng, rng.choice(vocab["item"])) for _ in range(rng.choice((1, 1, 1, 2, 3)))]
        if sc["action"] == "share" or rng.random() < 0.05:
            sc["recipient"] = _name(rng, rng.choice(vocab["party"]))
        sc["purpose"] = _name(rng, rng.choice(vocab["purpose"]))
        if rng.random() < 0.3:
            sc["consent"] = True
        if rng.random() < 0.15:
            sc["exception"] = _name(rng, rng.choice(vocab["exception"]))
        r = rng.random()
        if r < 0.005:
            sc["data"] = ["no_such_item"]
        elif r < 0.01:
            sc["bogus"] = 1
        elif r < 0.012:
            sc["consent"] = "yes"
        yield sc


def main(argv: list[str]) -> int:
    """Write the stream to stdout."""
    n = int(argv[0]) if argv else 100_000
    seed = int(argv[1]) if len(argv) > 1 else SEED
    out = sys.stdout
    for sc in scenarios(n, seed):
        out.write(json.dumps(sc, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
