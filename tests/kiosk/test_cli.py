"""`basecamp kiosk screenshot`, and the real fullscreen path under Xvfb."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import tomli_w
from PyQt5.QtGui import QImage

from kiosk.cli import main
from tests.helpers import demo_data

ROOT = Path(__file__).resolve().parents[2]


def test_screenshot_of_the_demo_state(tmp_path, qapp) -> None:
    out = tmp_path / "home.png"
    assert main(["screenshot", "--out", str(out), "--demo", "--size", "800x480"]) == 0
    image = QImage(str(out))
    assert image.width() == 800 and 480 <= image.height() <= 520
    # the mode tile is painted in the cocoon colour somewhere in the top half
    colours = {image.pixelColor(x, y).name() for x in range(0, 400, 2) for y in range(40, 200, 2)}
    assert "#f4b860" in colours


def test_screenshot_of_a_state_file(tmp_path, qapp, capsys) -> None:
    state = {"now": "2024-03-12T14:00:00+01:00", "messages": [
        {"topic": "basecamp.presence.mode",
         "data": {"mode": "lockout", "since": "2024-03-12T09:00:00+01:00",
                  "changed_by": "sms"}},
        {"topic": "basecamp.presence.mode", "data": {"mode": "nonsense"}}]}
    path = tmp_path / "state.json"
    path.write_text(json.dumps(state))
    out = tmp_path / "health.png"
    assert main(["screenshot", "--out", str(out), "--state", str(path), "--page", "health",
                 "--lang", "en"]) == 0
    assert QImage(str(out)).width() == 1280
    assert main(["screenshot", "--out", str(out), "--state", str(tmp_path / "none.json")]) == 1
    assert "No such file" in capsys.readouterr().err


def test_demo_state_round_trips(tmp_path, qapp, capsys) -> None:
    assert main(["demo-state"]) == 0
    state = json.loads(capsys.readouterr().out)
    assert {m["topic"] for m in state["messages"]} >= {"basecamp.presence.mode",
                                                        "basecamp.heating.state"}
    path = tmp_path / "s.json"
    path.write_text(json.dumps(state))
    assert main(["screenshot", "--out", str(tmp_path / "c.png"), "--state", str(path),
                 "--page", "charts"]) == 0


PROBE = """
import json, sys
from PyQt5.QtWidgets import QApplication
from core.config import load
from kiosk.app import Kiosk
app = QApplication(sys.argv[:1])
k = Kiosk(load(sys.argv[1]), "bc-ui", run_service=False)
k.show()
app.processEvents()
g, s = k.window.geometry(), app.primaryScreen().geometry()
print(json.dumps({"platform": app.platformName(), "fullscreen": k.window.isFullScreen(),
                  "window": [g.width(), g.height()], "screen": [s.width(), s.height()]}))
k.close()
"""


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run is not installed")
def test_fullscreen_under_xvfb_and_run_until_sigterm(tmp_path) -> None:
    data = demo_data(tmp_path / "var")
    config = tmp_path / "basecamp.toml"
    config.write_text(tomli_w.dumps(data))
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY")}
    env["PYTHONPATH"] = str(ROOT)
    xvfb = ["xvfb-run", "-a", "-s", "-screen 0 1024x600x24"]
    probe = subprocess.run([*xvfb, sys.executable, "-c", PROBE, str(config)], env=env,
                           capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert probe.returncode == 0, probe.stderr
    seen = json.loads(probe.stdout.strip().splitlines()[-1])
    assert seen["platform"] == "xcb" and seen["fullscreen"]
    assert seen["window"] == seen["screen"] == [1024, 600]
    # the real service: `basecamp run kiosk` answers /alive, then stops cleanly on SIGTERM
    proc = subprocess.Popen([*xvfb, sys.executable, "-m", "core.cli", "run", "kiosk",
                             "--config", str(config), "--host", "bc-ui"], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    port = data["services"]["kiosk"]["port"]
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/alive", timeout=1) as r:
                    assert json.load(r)["service"] == "kiosk"
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("kiosk /alive never answered")
        kiosk_pid = int(subprocess.run(["pgrep", "-P", str(proc.pid), "-f", "core.cli"],
                                       capture_output=True, text=True).stdout.split()[0])
        os.kill(kiosk_pid, signal.SIGTERM)
        assert proc.wait(timeout=20) == 0, proc.stdout.read().decode()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


def test_run_kiosk_without_a_display_says_so(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run([sys.executable, "-m", "core.cli", "run", "kiosk"], env=env,
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 3 and "needs a display" in done.stderr


def test_screenshot_without_a_running_kiosk_says_so(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("BASECAMP_HTTP_TOKEN", "t0k3n")
    path = tmp_path / "house.toml"
    path.write_text(tomli_w.dumps(demo_data(tmp_path / "var")))  # free ports: nobody there
    out = tmp_path / "x.png"
    assert main(["screenshot", "--out", str(out), "--config", str(path)]) == 1
    err = capsys.readouterr().err
    assert "the kiosk does not answer" in err and "--demo" in err and not out.exists()
    with pytest.raises(SystemExit):  # drawing options need something to draw
        main(["screenshot", "--out", str(out), "--page", "health", "--config", str(path)])
