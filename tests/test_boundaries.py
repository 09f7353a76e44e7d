"""console/ stays usable without the UI, and importing it does no work; the application module keeps
to the services as the screens do."""

import ast
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from grimp import ImportGraph

ROOT = Path(__file__).resolve().parent.parent
CONSOLE_MODULES = sorted(
    ".".join(path.relative_to(ROOT).with_suffix("").parts)
    for path in (ROOT / "console").rglob("*.py")
    if "migrations" not in path.parts
)


def _python(code: str, cwd: Path) -> str:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_console_never_loads_textual(tmp_path: Path) -> None:
    imports = "; ".join(f"import {name}" for name in CONSOLE_MODULES)
    loaded = _python(
        f"import sys; sys.path.insert(0, {str(ROOT)!r}); {imports}; print(sorted(sys.modules))", tmp_path
    )
    assert "'textual'" not in loaded and "'widgets'" not in loaded and "'app'" not in loaded


def test_importing_console_creates_nothing(tmp_path: Path) -> None:
    """No engine, folder or file appears just because a module was imported."""
    imports = "; ".join(f"import {name}" for name in CONSOLE_MODULES)
    home = tmp_path / "home"
    home.mkdir()
    code = (
        f"import os, sys; os.environ['HOME'] = {str(home)!r}; sys.path.insert(0, {str(ROOT)!r}); {imports}; "
        "import console.cli; print('alembic' in sys.modules, 'argon2' in sys.modules)"
    )
    assert _python(code, tmp_path).split() == ["False", "False"]  # heavy imports are deferred too
    assert list(home.iterdir()) == [] and sorted(p.name for p in tmp_path.iterdir()) == ["home"]


def _cycles(graph: "ImportGraph") -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each a cycle of imports."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in graph.modules:
                continue
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_module_imports_itself_through_others() -> None:
    """No import cycles anywhere, deferred imports inside functions included."""
    import grimp

    sys.path.insert(0, str(ROOT))
    graph = grimp.build_graph("console", "widgets")
    assert _cycles(graph) == []


def test_the_application_module_never_imports_the_store() -> None:
    """As the screens (an import-linter contract): app.py is a module, which import-linter cannot
    take as a source, so its imports are read here, those in functions and for type checking too."""
    tree = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    imported = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    imported += [
        f"{node.module}.{alias.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    ]
    assert [name for name in imported if f"{name}.".startswith("console.store.")] == []
