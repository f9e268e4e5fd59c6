"""Dependencies that tell the truth: the wheel, installed alone with one extra in a clean venv,
imports every module of the package that extra serves (and `basecamp --help` runs on the bare
kernel). A module importing what its extra does not declare fails here, not on a machine.

uv makes the venvs (seconds each, from its cache); the packages come from the registry."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[1]
EXTRAS: dict[str, tuple[str, ...]] = {
    "": ("core", "deploy"),
    "dialogs": ("dialogs",),
    "mqtt": ("dialogs",),
    "modes": ("modes",),
    "watch": ("watch",),
    "sms": ("watch",),
    "sensors": ("sensors",),
    "rooms": ("sensors",),
    "voice": ("assistant",),
    "kiosk": ("kiosk",),
}
"""Extra -> the packages whose every module must import with it alone."""
IMPORT_ALL = """
import importlib, pkgutil, sys
failed = []
for name in sys.argv[1:]:
    package = importlib.import_module(name)
    for module in pkgutil.walk_packages(package.__path__, name + "."):
        try:
            importlib.import_module(module.name)
        except Exception as err:
            failed.append(f"{module.name}: {type(err).__name__}: {err}")
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""


def _uv() -> str:
    found = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    assert Path(found).exists(), "uv is missing: `make install` installs the test extra"
    return found


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run([_uv(), "build", "--wheel", "--out-dir", str(out), str(ROOT)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    [built] = out.glob("basecamp-*.whl")
    return built


@pytest.mark.parametrize("extra", list(EXTRAS))
def test_each_extra_alone_imports_its_modules(extra: str, wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([_uv(), "venv", "--quiet", "--python", sys.executable, str(venv)],
                   check=True, timeout=120)
    python = venv / "bin" / "python"
    requirement = f"{wheel}[{extra}]" if extra else str(wheel)
    done = subprocess.run([_uv(), "pip", "install", "--quiet", "--python", str(python),
                           requirement], capture_output=True, text=True, timeout=600,
                          check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    imported = subprocess.run([str(python), "-c", IMPORT_ALL, *EXTRAS[extra]],
                              capture_output=True, text=True, timeout=300, cwd=tmp_path,
                              check=False)
    assert imported.returncode == 0, f"[{extra}] cannot import:\n{imported.stdout}" \
                                     f"{imported.stderr[-2000:]}"
    if not extra:  # the kernel's commands and deploy/'s, found by the installed entry point
        for command in ([], ["up"], ["down"], ["deploy"]):
            helped = subprocess.run([str(venv / "bin" / "basecamp"), *command, "--help"],
                                    capture_output=True, text=True, timeout=60, cwd=tmp_path,
                                    check=False)
            assert helped.returncode == 0 and "basecamp" in helped.stdout, helped.stderr
