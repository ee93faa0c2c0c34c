"""The language says what the law says (docs/language.md, docs/semantics.md §3, §5.1): a new
co-op's policy file, written the way its published clause reads, through the CLI."""

from __future__ import annotations

import json

import pytest

#: A sixth co-op, as a new author writes it: no `cooperative` declaration, the natural
#: sentence for 「本人の同意がある場合や法令に基づく場合以外は第三者に提供しません」.
SAKURA = """policy sakura
import vocabulary
import appi
name: "さくら生活協同組合"
personal data may be used for delivery and product supply   [利用目的 1]
purchase history may be shared with jccu for product supply managed by sakura   [共同利用]
personal data may be entrusted to delivery companies for delivery   [委託]
personal data of anyone must not be provided to third parties unless consent or by law   [第三者提供]
honour legal exceptions: by law   [第三者提供]
"""


@pytest.fixture
def sakura(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sakura.policy").write_text(SAKURA, encoding="utf-8")
    return "./sakura.policy"


def _decide(cli, policy: str, **scenario) -> dict:
    argv = ["check", "--coop", policy, "--format", "json"]
    for key, value in scenario.items():
        if value is True:
            argv.append(f"--{key}")
        else:
            argv += [f"--{key}", value]
    code, out, err = cli(*argv)
    assert code == 0, err
    return json.loads(out)


def test_the_third_party_sentence_bars_third_party_provision_only(cli, sakura):
    joint = _decide(cli, sakura, action="share", data="purchase history", recipient="jccu", purpose="product supply")
    assert (joint["decision"], joint["basis"]) == ("permit", "joint_use")
    entrusted = _decide(cli, sakura, action="share", data="name", recipient="delivery company", purpose="delivery")
    assert (entrusted["decision"], entrusted["basis"]) == ("permit", "entrustment")
    provided = _decide(cli, sakura, action="share", data="name", recipient="unrelated third party",
                       purpose="delivery")
    assert provided["decision"] == "deny" and provided["citations"] == ["sakura 第三者提供"]
    assert provided["would_permit_with_consent"] is True
    consented = _decide(cli, sakura, action="share", data="name", recipient="unrelated third party",
                        purpose="delivery", consent=True)
    assert (consented["decision"], consented["basis"]) == ("permit", "consent")
    by_law = _decide(cli, sakura, action="share", data="name", recipient="public authority",
                     purpose="legal compliance", exception="by law")
    assert (by_law["decision"], by_law["basis"]) == ("permit", "legal_exception")


def test_the_same_bar_written_for_any_disclosure_stops_joint_use_too(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "strict.policy").write_text(
        SAKURA.replace("must not be provided to", "must not be disclosed to"), encoding="utf-8")
    joint = _decide(cli, "strict.policy", action="share", data="purchase history", recipient="jccu",
                    purpose="product supply")
    assert joint["decision"] == "deny" and joint["citations"] == ["sakura 第三者提供"]
    code, out, _ = cli("lint", "strict.policy")
    assert "W610" in out and "also stops the joint use" in out


def test_a_scenario_names_the_policy_file_or_its_id_in_json(cli, sakura):
    lines = [{"coop": "sakura.policy", "action": "share", "data": "name", "recipient": "unrelated_third_party",
              "purpose": "delivery"},
             {"coop": "sakura", "action": "share", "data": "name", "recipient": "unrelated_third_party",
              "purpose": "delivery", "consent": True},
             {"coop": "/etc/passwd", "action": "use", "data": "name", "purpose": "delivery"}]
    code, out, _ = cli("check", "--coop", sakura, "--json", "-", stdin="\n".join(json.dumps(x) for x in lines))
    first, second, third = (json.loads(x) for x in out.splitlines())
    assert (first["coop"], first["decision"]) == ("sakura", "deny")
    assert (second["coop"], second["decision"], second["basis"]) == ("sakura", "permit", "consent")
    assert third["error"]["code"] == "E402" and code == 2  # never another kind of file


def test_explain_and_test_take_the_policy_file_too(cli, sakura, tmp_path):
    code, out, err = cli("explain", "--coop", sakura, "--action", "share", "--data", "name",
                         "--recipient", "unrelated third party", "--purpose", "delivery")
    assert code == 0 and "第三者提供" in out, err
    (tmp_path / "sakura.test").write_text(
        'tests for "sakura.policy"\n'
        'case "joint use": share purchase history with jccu for product supply\n'
        '    expect permit by joint use citing [共同利用]\n', encoding="utf-8")
    code, out, err = cli("test", sakura)
    assert code == 0 and "1 passed, 0 failed" in out, out + err


def test_a_new_coop_needs_no_cooperative_declaration(cli, sakura):
    code, out, err = cli("lint", "--strict", sakura)
    assert "sakura" not in err and "E201" not in out, out + err
    code, out, _ = cli("desugar", sakura, "--line", "6")
    assert "personal data of member" not in out and "purchase history of member may be shared with jccu" in out


def test_explain_shows_a_provision_bar_passed_by_a_joint_use(cli, sakura):
    code, out, _ = cli("explain", "--coop", sakura, "--action", "share", "--data", "purchase history",
                       "--recipient", "jccu", "--purpose", "product supply", "--format", "json")
    [item] = json.loads(out)["derivation"]["items"]
    [bar] = [c for c in item["bars"] if c["verb"] == "provide"]
    assert (bar["status"], bar["basis"]) == ("passed", "joint_use")
    assert all(c["status"] == "decisive" for c in item["deciding"])
    code, out, _ = cli("explain", "--coop", sakura, "--action", "share", "--data", "purchase history",
                       "--recipient", "jccu", "--purpose", "product supply")
    assert "bars third-party provision only; this share rests on joint use" in out
