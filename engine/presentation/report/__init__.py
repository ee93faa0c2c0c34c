"""A static HTML report for reviewers: one page per co-op, a comparison page, an index.

>>> from coopcheck.core.api import load_policy
>>> site = build_site([load_policy("aizu"), load_policy("nara")], with_diffs=False)
>>> sorted(site)
['aizu.html', 'compare.html', 'index.html', 'nara.html', 'style.css']
>>> "指針2 ◇商品・サービスの提供に関わっての共同利用" in site["aizu.html"]
True

Pages are plain HTML5 with one stylesheet: no scripts, no external fonts, nothing fetched
from the network. The output is deterministic (no timestamp unless ``stamp`` is given), so
two reports can be compared with ``diff -r``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Callable, Sequence

from coopcheck.core.files import WriteError, write_atomic
from coopcheck.core.ruleset import Ruleset
from coopcheck.presentation.report.html import Writer, compare_html, coop_html, diff_html, index_html
from coopcheck.presentation.report.model import baseline_rows, comparison, coop_page

__all__ = ["build_site", "write_report", "stylesheet"]


def stylesheet() -> str:
    """The report's CSS (shipped as package data)."""
    return resources.files(__package__).joinpath("style.css").read_text(encoding="utf-8")


def _keys(rulesets: Sequence[Ruleset]) -> list[str]:
    """Unique page keys: the co-op id, with ``-2``, ``-3`` … for a second file of one co-op."""
    seen: dict[str, int] = {}
    keys = []
    for rs in rulesets:
        base = rs.coop or (Path(rs.files[-1]).stem if rs.files else "policy")
        seen[base] = seen.get(base, 0) + 1
        keys.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return keys


def build_site(rulesets: Sequence[Ruleset], lang: str = "en", baseline: str | None = None,
               stamp: str | None = None, with_diffs: bool = True) -> dict[str, str]:
    """The report's files, name -> text.

    ``baseline`` (a co-op id among ``rulesets``) diffs each co-op against it instead of every
    pair; ``with_diffs=False`` leaves the exact diffs out of the comparison page.
    """
    if not rulesets:
        raise ValueError("a report needs at least one policy")
    pages = [coop_page(rs, key) for rs, key in zip(rulesets, _keys(rulesets))]
    if baseline is not None and baseline not in {p.key for p in pages}:
        raise ValueError(f"the baseline `{baseline}` is not among the co-ops in the report")
    writer = Writer(rulesets[0].vocabulary, lang, stamp)
    site = {"index.html": index_html(writer, pages, baseline_rows(rulesets[0])),
            "style.css": stylesheet()}
    for page in pages:
        site[page.page] = coop_html(writer, page, pages)
    cmp = comparison(rulesets, pages, baseline, with_diffs)
    site["compare.html"] = compare_html(writer, cmp)
    for pair in cmp.pairs:
        site[pair.page] = diff_html(writer, pair, pages)
    return site


def write_report(rulesets: Sequence[Ruleset], out: str | Path, *,
                 on_error: Callable[[WriteError], None] | None = None, **options) -> list[Path]:
    """Write :func:`build_site` into the folder ``out`` (created if needed); returns the paths
    written.

    Each file is written atomically (:func:`coopcheck.core.files.write_atomic`): it is either
    the whole new page or, when it cannot be written, left as it was (or absent) — never a
    part of a page. A file that cannot be written raises :class:`~coopcheck.core.files.WriteError`,
    or, when ``on_error`` is given, is passed to it and the other files are still written.
    """
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in build_site(rulesets, **options).items():
        path = folder / name
        try:
            write_atomic(path, text)
        except WriteError as err:
            if on_error is None:
                raise
            on_error(err)
            continue
        written.append(path)
    return written
