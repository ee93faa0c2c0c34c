"""``coopcheck.analysis.diff`` and ``coopcheck diff``: exact regions between two rule sets.

The regions are checked against the engine's own decisions: exhaustively on small policies
in test_diff_properties.py, here on a seeded sample of the shipped policies' scenario space
(millions of scenarios), on two versions of a shipped policy, and through the command line.
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

from coopcheck import decide, load_file, load_policy
from coopcheck.analysis.diff import diff_rulesets
from coopcheck.analysis.regions import PolicyDiff, Region
from coopcheck.presentation.diff_render import collapse, describe_diff_region, describe_outcome, describe_region, diff_json
from coopcheck.core.scenario import ACTIONS, Scenario

REPO = Path(__file__).resolve().parents[1]
JOINT_USE = "aizu 指針2 ◇商品・サービスの提供に関わっての共同利用"


@pytest.fixture(scope="module")
def aizu():
    return load_policy("aizu")


@pytest.fixture(scope="module")
def kuruko():
    return load_policy("kuruko")


@pytest.fixture(scope="module")
def aizu_kuruko(aizu, kuruko) -> PolicyDiff:
    return diff_rulesets(aizu, kuruko)


def key(outcome) -> tuple:
    return (outcome.decision, outcome.basis)


def containing(diff: PolicyDiff, sc: Scenario) -> list[Region]:
    return [r for r in diff.regions if r.contains(sc)]


def random_scenarios(rs, n: int, seed: int) -> list[Scenario]:
    """A seeded sample of the single-item scenario space (what ``diff`` compares)."""
    rng = random.Random(seed)
    v = rs.vocabulary
    parties, out = v.of_kind("party"), []
    for _ in range(n):
        action = rng.choice(ACTIONS)
        recipient = rng.choice(parties) if action == "share" else "public" if action == "publish" else None
        out.append(Scenario(action, (rng.choice(v.of_kind("item")),), rng.choice(v.of_kind("purpose")),
                            rng.choice(v.of_kind("subject")), recipient, rng.random() < 0.5,
                            rng.choice([None] + v.of_kind("exception"))))
    return out


def aizu_version(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of aizu.policy with one line changed."""
    text = (REPO / "policies" / "aizu.policy").read_text(encoding="utf-8")
    assert text.count(old) == 1
    path = tmp_path / "aizu.policy"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


# ---- aizu vs kuruko ------------------------------------------------------------------------

def test_aizu_kuruko_differ_with_clauses_on_both_sides(aizu_kuruko):
    d = aizu_kuruko
    assert not d.identical and d.regions
    assert (d.a_name, d.b_name) == ("aizu", "kuruko")
    both = [r for r in d.regions if r.a.citations and r.b.citations]
    assert len(both) > 10
    assert all(key(r.a) != key(r.b) for r in d.regions)
    assert sum(r.size for r in d.regions) == d.differing < d.scenarios_compared


def test_aizu_kuruko_joint_use_of_purchase_history(aizu_kuruko):
    """Aizu jointly uses purchase history with JCCU; Kuruko's joint use leaves it out."""
    sc = Scenario("share", ("purchase_history",), "delivery", "member", "jccu", False, None)
    [region] = containing(aizu_kuruko, sc)
    assert (region.a.decision, region.a.basis, region.a.citations) == ("permit", "joint_use", (JOINT_USE,))
    assert region.b.decision == "deny"
    assert {"catalog_purchase_data", "purchase_history"} <= set(region.items)
    assert "jccu" in region.recipients and "delivery" in region.purposes
    line = describe_diff_region(aizu_kuruko, region)
    assert line.startswith("share ") and "all of purchase history" in line
    assert f"aizu permits by joint use [{JOINT_USE}]" in line and "kuruko denies" in line


def test_scenario_space_size(aizu_kuruko, aizu):
    v = aizu.vocabulary
    n = {k: len(v.of_kind(k)) for k in ("subject", "item", "party", "purpose", "exception")}
    per_recipient = n["subject"] * n["item"] * n["purpose"] * 2 * (n["exception"] + 1)
    assert aizu_kuruko.scenarios_compared == per_recipient * (1 + 1 + n["party"] + 1)


@pytest.mark.parametrize("other", ["kuruko", "nara", "ibaraki"])
def test_sampled_scenarios_lie_in_the_right_region(aizu, other):
    """On a sample of the space: a scenario the two decide differently (on decision or basis)
    lies in exactly one region, which says what each side decides; any other lies in none."""
    b = load_policy(other)
    d = diff_rulesets(aizu, b)
    seen_differing = 0
    for sc in random_scenarios(aizu, 2000, seed=len(other)):
        da, db = decide(aizu, sc), decide(b, sc)
        found = containing(d, sc)
        if key(da) == key(db):
            assert found == [], sc
            continue
        seen_differing += 1
        assert len(found) == 1, sc
        [r] = found
        assert key(r.a) == key(da) and key(r.b) == key(db)
        assert set(da.citations) <= set(r.a.citations) and set(db.citations) <= set(r.b.citations)
        assert set(da.rules) <= set(r.a.rules) and set(db.rules) <= set(r.b.rules)
        for one, outcome in ((da, r.a), (db, r.b)):
            if one.decision == "deny":  # a denial's clauses are exact
                assert set(one.citations) == set(outcome.citations)
    assert seen_differing > 50


def test_identical_to_itself(aizu):
    d = diff_rulesets(aizu, aizu, clauses=True)
    assert d.identical and d.regions == () and d.differing == 0
    assert diff_json(d)["identical"] is True


def test_regions_sorted_and_sized(aizu_kuruko):
    firsts = [ACTIONS.index(r.actions[0]) for r in aizu_kuruko.regions]
    assert firsts == sorted(firsts)
    for r in aizu_kuruko.regions[:50]:
        assert r.size == len(r.actions) * len(r.subjects) * len(r.items) * max(len(r.recipients), 1) \
            * len(r.purposes) * len(r.consent) * len(r.exceptions)
        assert (r.recipients == ()) == (set(r.actions) <= {"use", "collect"})


def test_to_json(aizu_kuruko):
    obj = json.loads(json.dumps(diff_json(aizu_kuruko), ensure_ascii=False))
    assert obj["a"] == "aizu" and obj["b"] == "kuruko" and obj["identical"] is False
    assert obj["compared"] == ["decision", "basis"]
    assert len(obj["regions"]) == len(aizu_kuruko.regions)
    first = obj["regions"][0]
    assert {"actions", "subjects", "items", "recipients", "purposes", "consent", "exceptions", "size",
            "a", "b", "description"} <= first.keys()
    assert {"decision", "basis", "citations", "rules"} <= first["a"].keys()
    assert sum(r["size"] for r in obj["regions"]) == obj["differing"]


def test_describe_with_default_names(aizu_kuruko, aizu):
    r = aizu_kuruko.regions[0]
    line = describe_region(r, aizu.vocabulary)
    assert ": A " in line and "; B " in line
    assert "B " + describe_outcome(r.b) in line
    ja = describe_region(r, aizu.vocabulary, "ja")
    assert "許可" in ja


def test_collapse_words(aizu):
    v = aizu.vocabulary
    assert collapse(["name"], "item", v) == "name"
    assert collapse(v.of_kind("purpose"), "purpose", v) == "any purpose"
    assert collapse(["kyosai", "kyosai_contract", "kyosai_guidance", "kyosai_payment"], "purpose", v) == "all of kyosai"
    everyone_but = [p for p in v.of_kind("party") if p != "jccu"]
    assert collapse(everyone_but, "party", v) == "any recipient except jccu"
    assert collapse(["purchase_history", "catalog_purchase_data"], "item", v, lang="ja") == "購買履歴（下位を含む）"


# ---- two versions of one co-op's file ----------------------------------------------------------

def test_version_with_a_wider_purpose(tmp_path, aizu):
    """One rule gains a purpose: every region is about that purpose and names the rule's
    clause on the new side."""
    path = aizu_version(tmp_path, "personal data may be used for survey  ",
                        "personal data may be used for survey and welfare services  ")
    d = diff_rulesets(aizu, load_file(path))
    assert d.regions
    for r in d.regions:
        assert r.purposes == ("welfare_services",) and r.b.decision == "permit"
        assert "aizu 指針1 ⑧" not in r.a.citations
        if r.actions == ("share",):  # contractors may now receive it for a declared purpose
            assert r.b.basis == "entrustment" and "aizu 方針6" in r.b.citations
        else:
            assert "aizu 指針1 ⑧" in r.b.citations
    denied = [r for r in d.regions if r.actions == ("use",) and r.a.decision == "deny"]
    assert denied and denied[0].consent == (False,) and denied[0].b.basis == "purpose"


def test_version_changed_clause_only_shows_with_clauses(tmp_path, aizu):
    path = aizu_version(tmp_path, "[指針1 ⑧]", "[指針1 ⑧ アンケート]")
    other = load_file(path)
    assert diff_rulesets(aizu, other).identical
    d = diff_rulesets(aizu, other, clauses=True)
    assert d.compared == ("decision", "basis", "citations") and d.regions
    for r in d.regions:
        assert key(r.a) == key(r.b)
        assert "aizu 指針1 ⑧" in r.a.citations and "aizu 指針1 ⑧ アンケート" in r.b.citations
        assert r.purposes == ("survey",)


def test_version_with_a_new_term_leaves_it_out(tmp_path, aizu):
    path = aizu_version(tmp_path, "import appi\n",
                        "import appi\ndata item hobby is personal_data, label \"趣味\"\n"
                        "hobby may be used for member activities   [指針1 ⑩]\n")
    d = diff_rulesets(aizu, load_file(path))
    assert d.left_out == {"item": ((), ("hobby",))}
    assert all("hobby" not in r.items for r in d.regions)
    assert d.scenarios_compared == diff_rulesets(aizu, aizu).scenarios_compared


# ---- the command line ---------------------------------------------------------------------------

def test_cli_diff_text(cli):
    code, out, err = cli("diff", "aizu", "kuruko")
    assert code == 1 and not err
    head = out.splitlines()[:5]
    assert head[0] == "aizu vs kuruko"
    assert "3,853,200 single-item scenarios compared on decision and basis" in head[1]
    assert "decided item by item" in out
    assert "decide differently, in" in head[4] and "regions" in head[4]
    assert f"aizu    permits by joint use [{JOINT_USE}]" in out
    assert "kuruko  denies" in out


def test_cli_diff_identical_exits_0(cli):
    code, out, _ = cli("diff", "aizu", "コープあいづ")
    assert code == 0 and "they decide every scenario alike" in out


def test_cli_diff_json(cli):
    code, out, _ = cli("diff", "aizu", "nara", "--format", "json")
    assert code == 1
    obj = json.loads(out)
    assert obj["a"] == "aizu" and obj["b"] == "nara" and obj["regions"]
    assert all(r["description"] for r in obj["regions"])


def test_cli_diff_markdown(cli):
    code, out, _ = cli("diff", "aizu", "kuruko", "--format", "markdown")
    assert code == 1
    assert out.startswith("## aizu vs kuruko")
    assert "| # " in out and "| aizu " in out and "| kuruko " in out


def test_cli_diff_japanese(cli):
    code, out, _ = cli("diff", "aizu", "kuruko", "--lang", "ja")
    assert code == 1 and "で比較" in out and "許可（共同利用）" in out


def test_cli_diff_versions_named_by_path(cli, tmp_path):
    path = aizu_version(tmp_path, "personal data may be used for survey  ",
                        "personal data may be used for survey and welfare services  ")
    shipped = str(REPO / "policies" / "aizu.policy")
    code, out, _ = cli("diff", shipped, str(path))
    assert code == 1
    assert out.splitlines()[0] == f"{shipped} vs {path}"
    assert "permits by purpose [aizu 指針1 ⑧]" in out


def test_cli_diff_clauses_flag(cli, tmp_path):
    path = aizu_version(tmp_path, "[指針1 ⑧]", "[指針1 ⑧ アンケート]")
    assert cli("diff", "aizu", str(path))[0] == 0
    code, out, _ = cli("diff", "aizu", str(path), "--clauses")
    assert code == 1 and "decision and basis and cited clauses" in out


@pytest.mark.parametrize("argv", [("diff", "aizu", "nowhere"), ("diff", "aizu", "missing.policy"),
                                  ("diff", "aizu")])
def test_cli_diff_bad_input(cli, argv):
    code, _, err = cli(*argv)
    assert code == 2 and err


def test_cli_diff_rule_file_error(cli, tmp_path):
    bad = tmp_path / "bad.policy"
    shutil.copy(REPO / "policies" / "aizu.policy", bad)
    bad.write_text(bad.read_text(encoding="utf-8") + "name may be shred with jccu for delivery [x]\n",
                   encoding="utf-8")
    code, out, err = cli("diff", "aizu", str(bad))
    assert code == 2 and "E102" in err and not out
