"""No module of the project uses another module's private names.

A name starting with one underscore is private to the module that defines it: other
modules neither import it (``from reader.selectors import _page_sql``) nor read it
through the module (``selectors._filter_sql``). What they need becomes public, with a
docstring. Walks the syntax trees of every module under reader/, feeds/ and accounts/
(migrations included); dunder names (``__all__``) are not private. Only the project's
own modules are guarded: a third-party private type in an annotation (``etree._Element``)
is that library's business.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("reader", "feeds", "accounts")


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _absolute(module: str, node: ast.ImportFrom, path: Path) -> str:
    """The absolute module an ``ImportFrom`` names (relative imports resolved)."""
    if not node.level:
        return node.module or ""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{node.module}" if node.module else package


def _first_party(dotted: str) -> bool:
    return dotted.split(".")[0] in PACKAGES


def _is_module(dotted: str) -> bool:
    try:
        return importlib.util.find_spec(dotted) is not None
    except (ImportError, ValueError):
        return False


def _violations(path: Path) -> list[str]:
    """``"path:line: what"`` for each private name of another module used in ``path``."""
    module = _module_name(path)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[str] = []
    modules: set[str] = set()  # local names bound to modules by an import
    where = path.relative_to(ROOT)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if not _first_party(alias.name):
                    continue
                if any(_private(part) for part in alias.name.split(".")[1:]):
                    found.append(f"{where}:{node.lineno}: import {alias.name}")
                modules.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module, node, path)
            if not _first_party(source):
                continue
            for alias in node.names:
                if _private(alias.name):
                    found.append(f"{where}:{node.lineno}: from {source} import {alias.name}")
                elif _is_module(f"{source}.{alias.name}"):
                    modules.add(alias.asname or alias.name)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and _private(node.attr)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
        ):
            found.append(f"{where}:{node.lineno}: {node.value.id}.{node.attr}")
    return found


def _project_modules() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def test_no_module_uses_another_modules_private_names():
    found = [line for path in _project_modules() for line in _violations(path)]
    assert found == [], "Private names used across modules:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "source",
    [
        "from reader.selectors import _page_sql\n",
        "from .selectors import _page_sql\n",
        "from reader import selectors\nselectors._filter_sql\n",
        "import reader.selectors as sel\nsel._hydrate\n",
    ],
    ids=["from-import", "relative-import", "module-attribute", "aliased-module-attribute"],
)
def test_the_check_catches_each_way_of_reaching_a_private_name(tmp_path, monkeypatch, source):
    """The walk itself: every form of the seam it guards is reported."""
    monkeypatch.setattr("tests.test_private_names.ROOT", tmp_path)
    path = tmp_path / "reader" / "example.py"
    path.parent.mkdir()
    path.write_text(source, encoding="utf-8")
    assert len(_violations(path)) == 1


def test_the_check_lets_public_names_and_class_internals_through(tmp_path, monkeypatch):
    """Public names, dunders and a class's own ``_meta`` (Django's API) are not reported."""
    monkeypatch.setattr("tests.test_private_names.ROOT", tmp_path)
    path = tmp_path / "reader" / "example.py"
    path.parent.mkdir()
    path.write_text(
        "from reader.selectors import entry_list, __doc__\nfrom reader.models import Subscription\n"
        "Subscription._meta.get_field\n",
        encoding="utf-8",
    )
    assert _violations(path) == []
