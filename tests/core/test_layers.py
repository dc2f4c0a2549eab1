"""The core keeps its own lines: services never import the web side, and the web side never
queries the database itself (no models, no tortoise, no plain SQL: it calls a service)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "core" / "taxportal"


def typing_only(tree: ast.AST) -> set[ast.AST]:
    """The imports inside ``if TYPE_CHECKING:``: names for annotations, never run."""
    found: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            found.update(inner for stmt in node.body for inner in ast.walk(stmt))
    return found


def imported_modules(source: str, module: str, *, count_typing: bool = True) -> set[str]:
    """Every module `module`'s source imports (relative imports resolved, lazy ones too;
    those only for type annotations unless ``count_typing`` is False)."""
    found: set[str] = set()
    package = module.rsplit(".", 1)[0]
    tree = ast.parse(source)
    skipped = set() if count_typing else typing_only(tree)
    for node in ast.walk(tree):
        if node in skipped:
            continue
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


def crossings(source: str, module: str, forbidden: str, *, count_typing: bool = True) -> list[str]:
    """The imports of `forbidden` or anything under it."""
    return sorted(
        name
        for name in imported_modules(source, module, count_typing=count_typing)
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


QUERYING = ("taxportal.models", "taxportal.sql", "tortoise")


def queries_of(path: Path, module: str) -> list[str]:
    source = path.read_text(encoding="utf-8")
    return [
        name
        for forbidden in QUERYING
        for name in crossings(source, module, forbidden, count_typing=False)
    ]


def test_no_handler_queries_the_database():
    web_modules = modules_under(PACKAGE / "web")
    problems = {
        module: found for module, path in web_modules.items() if (found := queries_of(path, module))
    }
    assert len(web_modules) > 30
    assert not problems, problems


def test_type_annotations_may_name_models_but_code_may_not_use_them():
    annotated = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from taxportal.models import Portal\n"
        "def later():\n"
        "    from tortoise.transactions import in_transaction\n"
        "from taxportal.sql import Sql\n"
    )
    found = [
        name
        for forbidden in QUERYING
        for name in crossings(annotated, "taxportal.web.sample", forbidden, count_typing=False)
    ]
    assert found == [
        "taxportal.sql",
        "taxportal.sql.Sql",
        "tortoise.transactions",
        "tortoise.transactions.in_transaction",
    ]
