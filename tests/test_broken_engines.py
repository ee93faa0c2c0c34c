"""The property suite can fail: each deliberately broken engine (tests/support/engines.py) is
caught by at least one named property (tests/support/properties.py).

Each property runs against each broken engine with settings made for finding a failure fast:
no shrinking, no example database, a bounded number of examples.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from support.engines import BROKEN
from support.properties import PROPERTIES

#: Settings for hunting a failure: derandomized, no shrinking, bounded.
HUNT = settings(
    max_examples=max(25, min(100, settings.default.max_examples // 2)),
    phases=(Phase.explicit, Phase.generate),
    derandomize=True,
    database=None,
    deadline=None,
    report_multiple_bugs=False,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow],
)


def _hunt(prop, engine):
    @HUNT
    @given(data=st.data())
    def check(data):
        prop(engine, data)
    return check


#: For each broken engine, a property that must catch it (others may too).
EXPECTED = {
    "prohibitions ignored": "matching_prohibition_denies",
    "subsumption reversed": "permit_holds_for_descendants",
    "items decided as a whole": "several_items_permitted_iff_each_is",
    "consent ignored": "consent_hint_is_truthful",
}


def failures(engine) -> dict[str, str]:
    """The named properties ``engine`` fails, each with the first line of its failure. Only a
    failed assertion counts as a catch: a broken engine that crashes is a broken test."""
    found: dict[str, str] = {}
    for name, prop in PROPERTIES.items():
        try:
            _hunt(prop, engine)()
        except AssertionError as err:
            found[name] = str(err).splitlines()[0] if str(err) else "assertion failed"
    return found


@pytest.mark.parametrize("broken", list(BROKEN))
def test_broken_engine_is_caught(broken):
    """The engine that gets one part of the semantics wrong fails at least one named property."""
    caught = failures(BROKEN[broken])
    report = "\n".join(f"  {name}: {'CAUGHT - ' + caught[name] if name in caught else 'passed'}"
                       for name in PROPERTIES)
    print(f"broken engine `{broken}`:\n{report}")
    assert EXPECTED[broken] in caught, f"`{EXPECTED[broken]}` does not catch `{broken}`:\n{report}"
