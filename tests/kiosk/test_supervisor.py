"""A machine's supervisord processes on the health page, read from a real supervisord."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PyQt5.QtCore import Qt

from kiosk.app import Kiosk
from kiosk.demo import demo_status_report
from kiosk.health import Health, parse_status_report

SUPERVISORD = Path(sys.executable).with_name("supervisord")


@pytest.mark.slow
@pytest.mark.timeout(60)
@pytest.mark.skipif(not SUPERVISORD.exists() and not shutil.which("supervisord"),
                    reason="supervisord is not installed")
def test_touching_a_machine_shows_its_supervisord_processes(qtbot, config, tmp_path) -> None:
    port = config.machines["bc-hq"].supervisor_port
    conf = tmp_path / "supervisord.conf"
    conf.write_text(f"""
[supervisord]
logfile={tmp_path}/supervisord.log
pidfile={tmp_path}/supervisord.pid
[inet_http_server]
port=127.0.0.1:{port}
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[program:sleeper]
command=sleep 600
startsecs=0
""")
    proc = subprocess.Popen([str(SUPERVISORD), "-n", "-c", str(conf)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    k = Kiosk(config, "bc-ui", run_service=False)
    qtbot.addWidget(k.window)
    try:
        k.window.fit_to(1024, 600)
        k.window.show()
        k.window.show_page("health")
        k.window.set_health(Health(parse_status_report(demo_status_report(k.window.now())),
                                   at=k.window.now()))
        label = k.window.health.supervisor
        deadline = time.monotonic() + 20
        while "sleeper: RUNNING" not in label.text() and time.monotonic() < deadline:
            qtbot.mouseClick(k.window.health.cells["bc-hq"], Qt.LeftButton)
            qtbot.wait(300)
        assert "sleeper: RUNNING" in label.text()
        assert f"http://localhost:{port}" in label.text()
        # a machine whose supervisord does not answer says so
        qtbot.mouseClick(k.window.health.cells["bc-water"], Qt.LeftButton)
        qtbot.waitUntil(lambda: "bc-water" in label.text() and "refused" in label.text(),
                        timeout=5000)
    finally:
        k.close()
        proc.terminate()
        proc.wait(10)
