"""pyproject.toml declares exactly what the code imports: every third-party module a package
imports (at the top or lazily) belongs to a distribution its extra (or the kernel) declares,
and every declared distribution is imported somewhere. A dependency that only arrives through
another one's requirements is not declared: this test says so."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

from deploy.fleet import EXTRA_OF_PACKAGE

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_EXTRA = {**EXTRA_OF_PACKAGE, "deploy": ""}  # deploy/ runs no service: the kernel's
OURS = set(PACKAGE_EXTRA) | {"tests", "bench"}
UNDECLARABLE = {"pvporcupine"}
"""Imported but not declared, on purpose: pvporcupine 1.9's metadata requires enum34, which
breaks Python 3.11 (`make install` adds it --no-deps; see pyproject.toml's voice extra)."""
EXTRA_OF_MODULE = {"sensors.rooms_model": "rooms", "core.pins": "modes",
                   "watch.modem": "sms", "watch.sms_cli": "sms", "dialogs.mqtt": "mqtt"}
"""Modules whose dependencies live in another extra than their package's (core.pins imports
gpiozero only for the relays and the water meter, whose extras declare it)."""


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _declared() -> dict[str, set[str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras: dict[str, list[str]] = project["optional-dependencies"]
    declared = {"": {_name(r) for r in project["dependencies"]}}
    for extra, requirements in extras.items():
        names = set()
        for requirement in requirements:
            if requirement.startswith("basecamp["):
                continue  # resolved below
            names.add(_name(requirement))
        declared[extra] = names
    for extra, requirements in extras.items():  # basecamp[x] inside an extra
        for requirement in requirements:
            if requirement.startswith("basecamp["):
                for other in requirement[len("basecamp["):-1].split(","):
                    declared[extra] |= declared[other]
    return declared


def _imports(package: str) -> dict[str, dict[str, set[str]]]:
    """module -> third-party top-level name it imports -> the distributions providing it."""
    distributions = importlib.metadata.packages_distributions()
    found: dict[str, dict[str, set[str]]] = {}
    for path in (ROOT / package).rglob("*.py"):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {a.name.partition(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.partition(".")[0])
        third = {n for n in names if n not in sys.stdlib_module_names and n not in OURS
                 and n not in UNDECLARABLE}
        found[module] = {n: {d.lower().replace("_", "-") for d in distributions.get(n, [n])}
                         for n in third}
    return found


def test_every_import_is_declared_by_its_extra() -> None:
    declared = _declared()
    missing = []
    for package, extra in PACKAGE_EXTRA.items():
        for module, names in sorted(_imports(package).items()):
            where = EXTRA_OF_MODULE.get(module, extra)
            allowed = declared[""] | declared[where]
            missing += [f"{module} imports {name} ({', '.join(sorted(dists))}): not in "
                        f"[{where or 'kernel'}]"
                        for name, dists in sorted(names.items()) if not dists & allowed]
    assert not missing, "\n".join(missing)


def test_every_declared_distribution_is_imported() -> None:
    declared = _declared()
    used = {d for package in PACKAGE_EXTRA for names in _imports(package).values()
            for dists in names.values() for d in dists}
    runtime_only = {"supervisor"}  # supervisord, a program `basecamp up` runs
    unused = sorted(name for extra, names in declared.items() if extra not in ("test", "all")
                    for name in names if name not in used and name not in runtime_only)
    assert not unused, f"declared but never imported: {unused}"
