"""feeds.pipeline.fetch is the only outbound HTTP of the product (DESIGN.md, security)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HTTP_CLIENTS = {
    "requests",
    "urllib3",
    "httpx",
    "aiohttp",
    "pycurl",
    "urllib.request",
    "http.client",
}
SEAM = ROOT / "feeds" / "pipeline" / "fetch"


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _client_imports(names: set[str]) -> set[str]:
    return {n for n in names if any(n == c or n.startswith(c + ".") for c in HTTP_CLIENTS)}


def test_only_the_fetch_package_imports_an_http_client():
    offenders = {}
    for package in ("accounts", "feeds", "reader"):
        for path in (ROOT / package).rglob("*.py"):
            if SEAM in path.parents or "migrations" in path.parts:
                continue
            found = _client_imports(_imported_modules(path))
            if found:
                offenders[str(path.relative_to(ROOT))] = sorted(found)
    assert offenders == {}, "outbound HTTP must go through feeds.pipeline.fetch"


def test_the_seam_check_would_see_an_offender():
    assert _client_imports({"requests", "os", "urllib.request", "urllib.parse"}) == {
        "requests",
        "urllib.request",
    }
