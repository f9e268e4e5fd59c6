"""The sentinel's remedy against a real supervisord: it leaves a program supervisord has just
brought back alone, and restarts one that has been up for a while."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import free_port
from tests.watch.conftest import small_house
from watch.supervisor import StillStarting, restart


def test_restart_leaves_a_young_program_to_supervisord(tmp_path: Path, supervisord_factory: Any,
                                                       alive_script: Path) -> None:
    sd = supervisord_factory({"logbook": [sys.executable, str(alive_script), "logbook",
                                          str(free_port())]})
    config = small_house(tmp_path, supervisor_ports={"bc-hq": sd.port})
    first = sd.info("logbook")["pid"]
    with pytest.raises(StillStarting, match="vient d'être relancé"):
        restart(config, "bc-hq", "logbook", 5.0, grace_s=3600)
    assert sd.info("logbook")["pid"] == first  # untouched
    time.sleep(1.1)  # supervisord's start times are whole seconds
    done = restart(config, "bc-hq", "logbook", 5.0, grace_s=1)
    assert "redémarré par supervisord sur bc-hq" in done
    info = sd.info("logbook")
    assert info["statename"] == "RUNNING" and info["pid"] != first


def test_restart_starts_a_program_that_exited_a_while_ago(
        tmp_path: Path, supervisord_factory: Any, alive_script: Path) -> None:
    sd = supervisord_factory({"logbook": [sys.executable, str(alive_script), "logbook",
                                          str(free_port())]})
    config = small_house(tmp_path, supervisor_ports={"bc-hq": sd.port})
    sd.kill("logbook")  # autorestart=false here: it stays EXITED
    with pytest.raises(StillStarting, match="vient de s'arrêter"):
        restart(config, "bc-hq", "logbook", 5.0)
    time.sleep(3.1)
    restart(config, "bc-hq", "logbook", 5.0)
    assert sd.info("logbook")["statename"] in ("STARTING", "RUNNING")
