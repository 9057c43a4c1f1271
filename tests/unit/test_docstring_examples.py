"""The examples in docstrings run and print what they say (doctest over the library layers)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import arch
import numerics
import sim


def _modules() -> list[str]:
    names = []
    for package in (numerics, arch, sim):
        names.append(package.__name__)
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            names.append(info.name)
    return names


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.failed == 0
