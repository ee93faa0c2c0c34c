"""Build the wheel, install it into a fresh venv and run ``coopcheck`` from outside the repo.

Proves the packaging: the console script exists, and the rule files, shipped policies and
their tests travel inside the package. Slow (builds a wheel, creates a venv, installs from
the index), so it runs only when COOPCHECK_WHEEL_TEST=1 (CI sets it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(os.environ.get("COOPCHECK_WHEEL_TEST") != "1",
                                reason="set COOPCHECK_WHEEL_TEST=1 to build and install the wheel")

REPO = Path(__file__).resolve().parents[1]
CLAUSE = "指針2 ◇商品・サービスの提供に関わっての共同利用"
PIP_TIMEOUT = 300
RUN_TIMEOUT = 120


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["PYTHONIOENCODING"] = "utf-8"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _run(argv, *, cwd: Path, timeout: int = RUN_TIMEOUT, input: str | None = None):
    return subprocess.run([str(a) for a in argv], cwd=cwd, env=_env(), input=input, capture_output=True,
                          text=True, encoding="utf-8", timeout=timeout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The bin/ folder of a fresh venv with the freshly built coopcheck wheel installed."""
    base = tmp_path_factory.mktemp("wheel")
    dist = base / "dist"
    proc = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", dist, REPO],
                cwd=base, timeout=PIP_TIMEOUT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    wheels = sorted(dist.glob("coopcheck-*.whl"))
    assert len(wheels) == 1, wheels
    venv = base / "venv"
    proc = _run([sys.executable, "-m", "venv", venv], cwd=base, timeout=PIP_TIMEOUT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / ("python.exe" if os.name == "nt" else "python")
    proc = _run([python, "-m", "pip", "install", wheels[0]], cwd=base, timeout=PIP_TIMEOUT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return bindir


def _coopcheck(bindir: Path) -> Path:
    return bindir / ("coopcheck.exe" if os.name == "nt" else "coopcheck")


def test_wheel_check_flags(installed, tmp_path):
    proc = _run([_coopcheck(installed), "check", "--coop", "aizu", "--action", "share", "--data", "購買履歴",
                 "--recipient", "日本生協連", "--purpose", "delivery"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "PERMIT" in proc.stdout
    assert CLAUSE in proc.stdout
    assert "purchase_history (購買履歴)" in proc.stdout


def test_wheel_check_json(installed, tmp_path):
    scenario = {"coop": "aizu", "action": "share", "data": ["購買履歴"], "recipient": "日本生協連",
                "purpose": "delivery"}
    proc = _run([_coopcheck(installed), "check", "--json", "-"], cwd=tmp_path,
                input=json.dumps(scenario, ensure_ascii=False) + "\n")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 1
    d = json.loads(lines[0])
    assert {"coop", "decision", "basis", "obligations", "citations", "reasons",
            "would_permit_with_consent", "items"} <= d.keys()
    assert (d["coop"], d["decision"], d["basis"]) == ("aizu", "permit", "joint_use")
    assert f"aizu {CLAUSE}" in d["citations"]
    assert d["would_permit_with_consent"] is None
    assert isinstance(d["reasons"], list) and d["reasons"]
    assert [i["item"] for i in d["items"]] == ["purchase_history"]


def test_wheel_shipped_tests(installed, tmp_path):
    proc = _run([_coopcheck(installed), "test"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    last = proc.stdout.strip().splitlines()[-1]
    passed, _, rest = last.partition(" passed, ")
    assert int(passed) > 0 and rest == "0 failed", last


def test_wheel_carries_clause_inventories(installed, tmp_path):
    """The installed policies carry their `.clauses` files, so `coopcheck test` checks them."""
    proc = _run([_coopcheck(installed), "test", "--format", "json"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    entries = report["cases"]
    inventories = [e for e in entries if e["name"] == "clause inventory"]
    assert len(inventories) == 5 and all(e["passed"] for e in inventories), inventories


def test_wheel_is_not_the_checkout(installed, tmp_path):
    """The installed package, not the repository, is what ran."""
    python = installed / ("python.exe" if os.name == "nt" else "python")
    proc = _run([python, "-c", "import coopcheck, coopcheck.core.paths as p; print(coopcheck.__file__); print(p.policies_dir())"],
                cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    module, policies = proc.stdout.splitlines()
    assert not Path(module).resolve().is_relative_to(REPO)
    assert not Path(policies).resolve().is_relative_to(REPO)
    assert (Path(policies) / "aizu.policy").is_file()


def test_wheel_installs_one_top_level_name(installed):
    """The wheel's only top-level import package is ``coopcheck`` (no ``engine`` or ``dsl`` to
    clash with other projects), and ``import coopcheck`` decides."""
    python = installed / ("python.exe" if os.name == "nt" else "python")
    code = ("import importlib.metadata as m, coopcheck; "
            "print(sorted({f.parts[0] for f in m.files('coopcheck') if not f.parts[0].endswith('.dist-info') "
            "and f.parts[0] not in ('..', 'bin', 'Scripts')})); "
            "d = coopcheck.decide(coopcheck.load_policy('aizu'), {'action': 'use', 'data': ['name'], "
            "'purpose': 'delivery'}); print(d.decision)")
    proc = _run([python, "-c", code], cwd=installed)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["['coopcheck']", "permit"]
