"""The layout holds: the kernel (`core/`) imports none of the packages built on it, not even
lazily — neither the launcher and deployment (`deploy/`) nor the test helpers (`tests/`); no
product package imports `tests/` or `bench/`; and every command and service the `basecamp`
command table names is a function defined where the table says."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

from core.cli import COMMANDS, SERVICES

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("core", "deploy", "modes", "dialogs", "assistant", "sensors", "watch", "kiosk")
"""The packages pyproject installs."""
OURS = (*PRODUCT, "tests", "bench")


def imported(path: Path) -> set[str]:
    """Top-level names of the absolute imports of a module, at its top or inside functions."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.partition(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.partition(".")[0])
    return names


def crossings(package: str, forbidden: set[str]) -> list[str]:
    """"module imports package" for every import of a forbidden package in `package`."""
    return [f"{path.relative_to(ROOT)} imports {name}"
            for path in sorted((ROOT / package).rglob("*.py"))
            for name in sorted(imported(path) & forbidden)]


def test_the_kernel_imports_none_of_the_packages_built_on_it() -> None:
    assert crossings("core", set(OURS) - {"core"}) == []


@pytest.mark.parametrize("package", PRODUCT)
def test_no_product_package_imports_the_tests_or_the_benches(package: str) -> None:
    assert crossings(package, {"tests", "bench"}) == []


def test_the_checks_see_an_import_inside_a_function(tmp_path: Path) -> None:
    module = tmp_path / "lazy.py"
    module.write_text("def up():\n    from deploy.launcher import up_command\n"
                      "    import tests.helpers\n")
    assert imported(module) == {"deploy", "tests"}


@pytest.mark.parametrize("target", sorted({*(t for t, _ in COMMANDS.values()),
                                           *SERVICES.values()}))
def test_every_command_and_service_is_where_the_table_says(target: str) -> None:
    module, _, function = target.partition(":")
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin, f"{target}: no module {module}"
    tree = ast.parse(Path(spec.origin).read_text())
    defined = {node.name for node in tree.body
               if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}
    assert function in defined, f"{target}: {module} defines no {function}()"
