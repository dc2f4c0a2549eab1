"""The core keeps its own lines: services never import the web side."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "core" / "taxportal"


def imported_modules(source: str, module: str) -> set[str]:
    """Every module `module`'s source imports (relative imports resolved, lazy ones too)."""
    found: set[str] = set()
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def crossings(source: str, module: str, forbidden: str) -> list[str]:
    """The imports of `forbidden` or anything under it."""
    return sorted(
        name
        for name in imported_modules(source, module)
        if name == forbidden or name.startswith(forbidden + ".")
    )


def modules_under(folder: Path) -> dict[str, Path]:
    root = PACKAGE.parent
    return {
        ".".join(path.relative_to(root).with_suffix("").parts): path
        for path in sorted(folder.rglob("*.py"))
    }


def test_no_service_imports_the_web_side():
    problems = {
        module: crossing
        for module, path in modules_under(PACKAGE / "services").items()
        if (crossing := crossings(path.read_text(encoding="utf-8"), module, "taxportal.web"))
    }
    assert len(modules_under(PACKAGE / "services")) > 20
    assert not problems, problems


def test_the_check_finds_every_form_of_import():
    sample = (
        "import taxportal.web.rendering\n"
        "from taxportal.web import keys\n"
        "from ..web.rendering import setup_templates\n"
        "from .. import web\n"
        "def later():\n"
        "    from taxportal.web.access import staff_principal\n"
        "from taxportal.webhooks import x\n"  # another package that merely starts alike
        "from taxportal import i18n\n"
    )
    assert crossings(sample, "taxportal.services.sample", "taxportal.web") == [
        "taxportal.web",
        "taxportal.web.access",
        "taxportal.web.access.staff_principal",
        "taxportal.web.keys",
        "taxportal.web.rendering",
        "taxportal.web.rendering.setup_templates",
    ]
    clean = "from taxportal import i18n\nfrom . import activity\nimport taxportal.webhooks\n"
    assert crossings(clean, "taxportal.services.sample", "taxportal.web") == []
