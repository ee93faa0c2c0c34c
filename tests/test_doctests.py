"""The examples in the docstrings of every ``coopcheck`` module run as doctests.

The modules are imported by their installed names (``coopcheck.core.api``, …), so the
examples exercise the same package a user imports, whatever the source layout.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import coopcheck
import coopcheck.dsl


def _modules() -> list[str]:
    # the language layer is walked on its own: in a checkout (an editable install) it is
    # mapped into the namespace from dsl/, not found under engine/
    names = {"coopcheck", "coopcheck.dsl"}
    for package in (coopcheck, coopcheck.dsl):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if not info.name.endswith("__main__"):
                names.add(info.name)
    return sorted(names)


MODULES = _modules()


def test_every_layer_is_walked():
    """The walk reaches the language layer and every engine layer (a doctest left out
    silently would be a test that cannot fail)."""
    for layer in ("coopcheck.dsl.parser", "coopcheck.core.api", "coopcheck.analysis.explain",
                  "coopcheck.presentation.wording", "coopcheck.cli.main"):
        assert layer in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    """Every example in the module's docstrings gives the output written under it."""
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(module, name):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} doctest example(s) failed in {name}"
