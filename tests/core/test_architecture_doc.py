"""docs/architecture.md names only modules that exist, lists every wing in the layering test's order,
and places each module it names in a wing's row in the wing that holds it."""

from __future__ import annotations

import re

from tests.conftest import ROOT
from tests.core.test_layering import PACKAGE, WINGS

DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def test_every_path_named_exists():
    paths = set(re.findall(r"`((?:grader/)?[a-z_]+/[a-z_]+\.py)`", DOC))
    assert paths, "the page names modules as wing/module.py"
    for path in paths:
        assert (ROOT / path).is_file() or (PACKAGE / path).is_file(), path


def test_the_wings_are_listed_in_the_import_order():
    rows = re.findall(r"^\| (\d+) \| `([a-z]+)/` \| (.*) \| (.*) \|$", DOC, flags=re.MULTILINE)
    assert tuple(wing for _, wing, _, _ in rows) == WINGS


def test_each_wing_row_names_modules_of_that_wing():
    rows = re.findall(r"^\| \d+ \| `([a-z]+)/` \| (.*) \| .* \|$", DOC, flags=re.MULTILINE)
    for wing, owns in rows:
        for name in re.findall(r"`([a-z_]+)`", owns):
            assert (PACKAGE / wing / f"{name}.py").is_file(), f"{wing}/{name}.py is named in the {wing} row"


def test_dotted_names_in_the_steps_exist():
    """``loader.find_exercise``, ``sandbox.Session``… : module.attribute pairs exist in the wing named nearby."""
    import importlib

    for module, attr in set(re.findall(r"`([a-z_]+)\.([A-Za-z_]+)`", DOC)) - {("__init__", "py")}:
        holders = [w for w in WINGS if (PACKAGE / w / f"{module}.py").is_file()]
        assert holders, module
        assert any(hasattr(importlib.import_module(f"grader.{w}.{module}"), attr) for w in holders), (module, attr)
