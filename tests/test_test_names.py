"""Test names read as sentences: a case code (P16, H3...) belongs in the docstring, not the name.

A test of a ../shared case is named for what it shows and its docstring starts with
``Case P16: ...``, so that ``pytest -k`` and failure lists read as behaviour.
"""

from __future__ import annotations

import ast
import re

from tests.conftest import ROOT

CASE_CODE = re.compile(r"(^|_)[a-z]\d{1,2}[a-z]?(_|$)")


def _test_names():
    for path in sorted((ROOT / "tests").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                yield path.relative_to(ROOT), node.name
        if path.name.startswith("test_"):
            yield path.relative_to(ROOT), path.stem


def test_no_test_or_test_file_is_named_with_a_case_code():
    coded = [f"{path}::{name}" for path, name in _test_names() if CASE_CODE.search(name[5:])]
    assert coded == []
