"""app.py is wiring only: it imports chalice and chalicelib, nothing else (import-linter checks the rest)."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_app_imports_only_chalice_and_chalicelib():
    tree = ast.parse((ROOT / "app.py").read_text())
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            roots.add((node.module or "").split(".")[0])
    assert roots <= {"chalice", "chalicelib"}, roots


def test_vendor_links_put_engine_and_pages_in_the_lambda_zip():
    for name in ("detectors", "templates", "static"):
        link = ROOT / "vendor" / name
        assert link.is_symlink() and link.resolve() == (ROOT / name).resolve()
