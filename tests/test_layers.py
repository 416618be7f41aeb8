"""The house's three floors, read from the code's own imports (every import, at the top or inside a
function or an `if TYPE_CHECKING:` block):

- kernel: aiplan's top-level modules, `models/` and `documents/`: what every part stands on;
- figures: `figures/`, the one read side (progress, late, verified, targets, the rollup, the
  school page's view model);
- features: every other folder (auth, schools, checklists, activities, …): routes, forms and
  write services.

Imports run downward only (features → figures → kernel); no two modules, and no two folders,
import each other in a loop; and an import inside a function says why it is not at the top.
`aiplan/__init__.py` (the app factory) and `aiplan/cli.py` (the operator's commands) wire the
features together and stand above them all. README.md, "Layout", draws the same floors.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "aiplan"
APP = {"aiplan", "aiplan.cli"}
KERNEL_PACKAGES = {"aiplan.models", "aiplan.documents"}
FLOOR = {"kernel": 0, "figures": 1, "features": 2, "app": 3}


def _modules() -> dict[str, Path]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The module of this package that `name` (a module, or a name inside one) lives in."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str) -> list[tuple[str, int, bool]]:
    """(imported module of aiplan, line, inside a function) for every import of `module`."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    in_function = {
        id(node)
        for function in ast.walk(tree)
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(function)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                origin = f"{base}.{node.module}" if node.module else base
            else:
                origin = node.module or ""
            if origin != "aiplan" and not origin.startswith("aiplan."):
                continue
            names = [_resolve(f"{origin}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [_resolve(alias.name) for alias in node.names if alias.name.startswith("aiplan")]
        else:
            continue
        found += [(name, node.lineno, id(node) in in_function) for name in names if name and name != module]
    return found


def floor_of(module: str) -> str:
    if module in APP:
        return "app"
    if module == "aiplan.figures" or module.startswith("aiplan.figures."):
        return "figures"
    if module.count(".") == 1 and MODULES[module].name != "__init__.py":
        return "kernel"  # a top-level module: aiplan/access.py, aiplan/schoolyear.py, …
    if folder_of(module) in KERNEL_PACKAGES:
        return "kernel"
    return "features"


def folder_of(module: str) -> str:
    """The room a module belongs to: its folder under aiplan/, or itself if it is a top-level file."""
    return ".".join(module.split(".")[:2])


EDGES = {module: _imports(module) for module in MODULES}


def _loops(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    loops = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                loops.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return loops


def test_every_module_has_a_floor_and_the_three_floors_are_there():
    floors = {floor_of(module) for module in MODULES}
    assert floors == {"kernel", "figures", "features", "app"}
    assert floor_of("aiplan.access") == floor_of("aiplan.models.checklist") == "kernel"
    assert floor_of("aiplan.figures.rollup") == "figures"
    assert floor_of("aiplan.schools.routes") == floor_of("aiplan.rollup.exports") == "features"


def test_imports_only_run_downward():
    upward = [
        f"{MODULES[module].relative_to(PACKAGE.parent)}:{line} ({floor_of(module)}) "
        f"imports {target} ({floor_of(target)})"
        for module, imports in EDGES.items()
        for target, line, _ in imports
        if FLOOR[floor_of(target)] > FLOOR[floor_of(module)]
    ]
    assert upward == []


@pytest.mark.parametrize("level", ["file", "folder"])
def test_there_is_no_import_loop(level):
    room = (lambda module: module) if level == "file" else folder_of
    graph: dict[str, set[str]] = {}
    for module, imports in EDGES.items():
        if module in APP:
            continue  # the factory imports every feature, and each feature's folder imports its __init__
        graph.setdefault(room(module), set()).update(
            room(target) for target, _, _ in imports if room(target) != room(module) and target not in APP
        )
    assert _loops(graph) == []


def test_an_import_inside_a_function_says_why_it_is_not_at_the_top():
    unexplained = []
    for path in MODULES.values():
        lines = path.read_text(encoding="utf-8").splitlines()
        tree = ast.parse("\n".join(lines))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            imports = [node for node in ast.walk(function) if isinstance(node, ast.Import | ast.ImportFrom)]
            if not imports:
                continue
            first = min(node.lineno for node in imports)
            comment = " ".join(lines[max(first - 4, 0) : first - 1]).lower()
            if "not at the top" not in comment:
                unexplained.append(f"{path.relative_to(PACKAGE.parent)}:{first}")
    assert unexplained == []


def test_the_layout_in_the_readme_names_every_folder():
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    layout = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    folders = sorted({folder_of(module) for module in MODULES if MODULES[module].name == "__init__.py"} - {"aiplan"})
    missing = [folder for folder in folders if folder.removeprefix("aiplan.") + "/" not in layout]
    assert missing == []
