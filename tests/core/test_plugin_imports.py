"""First-party plugins use only the public API: `taxportal.api` (and `taxportal.testing`
in their tests). Anything else of the core may change under them."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = ("taxportal.api",)
ALLOWED_IN_TESTS = ("taxportal.api", "taxportal.testing")


def plugin_sources() -> list[Path]:
    return [
        *sorted((ROOT / "plugins").rglob("*.py")),
        *sorted((ROOT / "core" / "taxportal" / "builtin").rglob("*.py")),
    ]


def _is_test(path: str) -> bool:
    parts = Path(path).parts
    return "tests" in parts or Path(path).name.startswith("test_")


def _allowed(module: str, allowed: tuple[str, ...]) -> bool:
    return any(module == a or module.startswith(a + ".") for a in allowed)


def violations(source: str, path: str, allowed: tuple[str, ...] | None = None) -> list[str]:
    """Every import of a `taxportal` module other than the allowed ones (by default those of
    a plugin, or of a plugin's tests), as `path:line`."""
    if allowed is None:
        allowed = ALLOWED_IN_TESTS if _is_test(path) else ALLOWED
    found: list[str] = []
    for node in ast.walk(ast.parse(source, filename=path)):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # `from taxportal import api` names a module; `from taxportal import x` does not
            if node.module == "taxportal":
                modules = [f"taxportal.{alias.name}" for alias in node.names]
            else:
                modules = [node.module]
        else:
            continue
        for module in modules:
            core = module == "taxportal" or module.startswith("taxportal.")
            if core and not _allowed(module, allowed):
                found.append(f"{path}:{node.lineno}: {module}")
    return found


def test_first_party_plugins_import_only_the_public_api():
    sources = plugin_sources()
    assert len(sources) > 10 and any("identity_match" in str(p) for p in sources)
    found = [
        v
        for path in sources
        for v in violations(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]
    assert not found, "import these through taxportal.api:\n" + "\n".join(found)


def test_the_example_plugin_uses_only_the_api_and_its_tests_only_the_testing_kit():
    """Issue 10's proof: tests/example_plugin is written against `taxportal.api` alone and
    tested through `taxportal.testing` alone."""
    example = ROOT / "tests" / "example_plugin"
    sources = sorted(example.rglob("*.py"))
    assert any(p.name == "plugin.py" for p in sources) and any(
        p.name.startswith("test_") for p in sources
    )
    found = []
    for path in sources:
        allowed = ("taxportal.testing",) if path.name.startswith("test_") else ALLOWED
        relative = str(path.relative_to(ROOT))
        found += violations(path.read_text(encoding="utf-8"), relative, allowed)
    assert not found, "\n".join(found)
    assert violations("from taxportal.api import hookimpl\n", "t/test_x.py", ("taxportal.testing",))


def test_the_checker_sees_every_way_of_reaching_past_the_api():
    plugin = "plugins/x/src/x/plugin.py"
    assert violations("from taxportal.api import hookimpl\nimport taxportal_x.y\n", plugin) == []
    assert violations("from taxportal import api\n", plugin) == []
    for bad in (
        "from taxportal.contracts import NavItem",
        "from taxportal import hookimpl",
        "import taxportal.models",
        "import taxportal",
        "from taxportal.testing import plugins_with",
        "def f():\n    from taxportal.web.keys import CORE",
        "if TYPE_CHECKING:\n    from taxportal.config import AppConfig",
    ):
        assert violations(bad + "\n", plugin), bad
    assert violations("from taxportal.testing import plugins_with\n", "plugins/x/tests/t.py") == []
    assert violations("from taxportal.models import Portal\n", "plugins/x/tests/test_y.py")
