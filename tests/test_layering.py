"""Apps depend one way: audit <- sources <- stories <- newsroom (docs: STYLE.md).

Every module of a lower app is read with `ast`; an import of a higher app anywhere in it (at
module level, inside a function, or by name through import_module / import_string) fails.
Nor do modules import each other in a circle, at any level: the one way back is a task
importing what it calls inside its body (services import their tasks at module level). Nor
does a lower app's code or migrations name a higher app's model: what audit events are about
is the model the project names (settings.AUDIT_STORY_MODEL), as admin names AUTH_USER_MODEL's.
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


def named_models(app: str) -> list[str]:
    """Where a module of `app` (migrations included) names a model or a migration of a higher
    app: a string "label.Model" or a ("label", "migration") dependency."""
    found = []
    for path in _modules(app):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                label, dot, model = node.value.partition(".")
                if dot and label in ABOVE[app] and model.isidentifier() and model[0].isalpha() \
                        and " " not in node.value:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} names {node.value}")
            elif isinstance(node, ast.Tuple) and len(node.elts) == 2 and all(
                    isinstance(e, ast.Constant) and isinstance(e.value, str)
                    for e in node.elts) and node.elts[0].value in ABOVE[app]:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} depends on "
                             f"{node.elts[0].value}.{node.elts[1].value}")
    return found


@pytest.mark.parametrize("app", ["audit", "sources"])
def test_lower_apps_name_no_model_or_migration_of_a_higher_one(app):
    assert named_models(app) == []


def test_the_model_checker_sees_a_foreign_key_and_a_migration_dependency(tmp_path, monkeypatch):
    module = tmp_path / "audit" / "models.py"
    module.parent.mkdir()
    module.write_text("story = ForeignKey('stories.Story')\n"
                      "dependencies = [('stories', '0001_initial')]\n"
                      "help = 'See stories.Story docs.'\n")
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert named_models("audit") == ["audit/models.py:1 names stories.Story",
                                     "audit/models.py:2 depends on stories.0001_initial"]


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


# --- no import cycles ---------------------------------------------------------------------

APPS = ("audit", "sources", "stories", "newsroom")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _project_modules() -> dict[str, Path]:
    return {_module_name(p): p for app in APPS for p in _modules(app)
            if "migrations" not in p.parts}


def _imports(name: str, path: Path, modules) -> list[tuple[str, bool]]:
    """(project module imported, whether the import sits inside a function) for each import
    in module `name`; `from . import x` names module x when x is one."""
    tree = ast.parse(path.read_text(), filename=str(path))
    inner = {id(node) for fn in ast.walk(tree)
             if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
             for node in ast.walk(fn)}
    package = name.split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = ".".join([*package[: len(package) - node.level + 1], *filter(None, [
                node.module])]) if node.level else node.module
            names = [f"{base}.{a.name}" for a in node.names]
            targets = [n if n in modules else base for n in names]
        elif isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target:
                found.append((target, id(node) in inner))
    return found


def import_cycles(modules: dict[str, Path]) -> list[list[str]]:
    """Cycles among the project's modules, at any level, except through a task importing what
    it calls inside its body (STYLE.md: services import their tasks at module level)."""
    graph = {
        name: {target for target, in_function in _imports(name, path, modules)
               if target != name and not (in_function and path.name == "tasks.py")}
        for name, path in modules.items()
    }
    cycles, done = [], set()

    def visit(name, trail):
        if name in trail:
            cycles.append(trail[trail.index(name):] + [name])
            return
        if name in done:
            return
        for target in sorted(graph[name]):
            visit(target, [*trail, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])
    return cycles


def test_no_module_imports_itself_through_others_at_any_level():
    assert import_cycles(_project_modules()) == []


def test_the_cycle_checker_sees_a_cycle_closed_inside_a_function(tmp_path):
    app = tmp_path / "app"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "a.py").write_text("from . import b\n")
    (app / "b.py").write_text("def f():\n    from .a import x\n")
    (app / "tasks.py").write_text("def t():\n    from . import a\n")
    (app / "c.py").write_text("from . import tasks\n")
    modules = {f"app.{p.stem}": p for p in app.glob("*.py") if p.stem != "__init__"}
    assert import_cycles(modules) == [["app.a", "app.b", "app.a"]]
