"""Apps depend one way: audit <- sources <- stories <- newsroom (docs: STYLE.md).

Every module of a lower app is read with `ast`; an import of a higher app anywhere in it (at
module level, inside a function, or by name through import_module / import_string) fails.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ABOVE = {
    "audit": {"sources", "stories", "newsroom"},
    "sources": {"stories", "newsroom"},
    "stories": {"newsroom"},
}
DYNAMIC = {"import_module", "import_string", "__import__"}


def _modules(app: str) -> list[Path]:
    return sorted(p for p in (ROOT / app).rglob("*.py") if ".venv" not in p.parts)


def _package(path: Path) -> list[str]:
    return list(path.relative_to(ROOT).with_suffix("").parts[:-1])


def imported_names(path: Path) -> list[tuple[int, str]]:
    """(line, dotted name) of every import in the file, relative ones made absolute."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _package(path)[: len(_package(path)) - node.level + 1]
                found.append((node.lineno, ".".join([*base, *filter(None, [node.module])])))
            else:
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.Call):
            func = node.func
            name = getattr(func, "id", None) or getattr(func, "attr", None)
            if name in DYNAMIC and node.args and isinstance(node.args[0], ast.Constant) \
                    and isinstance(node.args[0].value, str):
                found.append((node.lineno, node.args[0].value))
    return found


def upward_imports(app: str) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in _modules(app)
        for line, name in imported_names(path)
        if name.split(".")[0] in ABOVE[app]
    ]


@pytest.mark.parametrize("app", ["audit", "sources"])
def test_lower_apps_never_import_a_higher_one(app):
    assert upward_imports(app) == []


def test_stories_never_imports_the_project_package():
    assert upward_imports("stories") == []


@pytest.mark.parametrize("app", ["sources", "stories"])
def test_tasks_import_their_services_only_inside_a_task(app):
    tree = ast.parse((ROOT / app / "tasks.py").read_text())
    module_level = [
        node.lineno for node in tree.body
        if isinstance(node, ast.ImportFrom) and (
            node.module == f"{app}.services" or (node.level == 1 and (
                node.module == "services" or any(a.name == "services" for a in node.names))))
    ]
    assert module_level == []


def test_the_checker_sees_an_import_inside_a_function(tmp_path):
    module = tmp_path / "audit" / "sneaky.py"
    module.parent.mkdir()
    module.write_text("def f():\n    from stories.models import Story\n"
                      "    import_string('newsroom.api.x')\n")
    names = [name for _, name in imported_names(module)]
    assert names == ["stories.models", "newsroom.api.x"]
