"""supervisord's XML-RPC interface: process tables and restarts (blocking; run in a thread).

A malformed or failing answer raises `SupervisorError` with a readable reason, which the
probe turns into a finding.
"""

from __future__ import annotations

import http.client
import logging
import urllib.parse
import xmlrpc.client
from typing import Any

from core.config import Config
from core.redact import redact
from watch import phrases
from watch.errors import SupervisorError

_LOGGER = logging.getLogger(__name__)


class _Transport(xmlrpc.client.Transport):
    """HTTP transport whose connections time out."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def make_connection(self, host: Any) -> http.client.HTTPConnection:
        conn = super().make_connection(host)
        conn.timeout = self._timeout
        return conn


def proxy(config: Config, machine: str, timeout: float) -> xmlrpc.client.ServerProxy:
    """An XML-RPC proxy to a machine's supervisord (credentials from the config)."""
    m = config.machines[machine]
    password = config.reveal(m.supervisor_password)
    auth = ""
    if password:
        auth = (f"{urllib.parse.quote(m.supervisor_user, safe='')}:"
                f"{urllib.parse.quote(password, safe='')}@")
    url = f"http://{auth}{m.address}:{m.supervisor_port}/RPC2"
    return xmlrpc.client.ServerProxy(url, transport=_Transport(timeout))


def process_table(config: Config, machine: str, timeout: float,
                  lang: str = "fr") -> dict[str, dict[str, Any]]:
    """program name -> process info (statename, start, now, pid...) from supervisord (its
    errors told in `lang`)."""
    try:
        infos = proxy(config, machine, timeout).supervisor.getAllProcessInfo()
    except xmlrpc.client.Fault as err:
        raise SupervisorError(redact(phrases.text("supervisor.fault", lang,
                                                  fault=err.faultString))) from None
    except (OSError, xmlrpc.client.ProtocolError, http.client.HTTPException) as err:
        # ProtocolError carries the URL, credentials included: never in a message
        raise SupervisorError(redact(phrases.text("supervisor.unreachable", lang,
                                                  err=err))) from None
    except Exception as err:  # expat errors on a malformed answer
        raise SupervisorError(redact(phrases.text("supervisor.malformed_err", lang,
                                                  err=err))) from None
    if not isinstance(infos, list) or not all(isinstance(i, dict) and "name" in i
                                              for i in infos):
        raise SupervisorError(phrases.text("supervisor.malformed", lang))
    return {str(i["name"]): i for i in infos}


# supervisord moves an EXITED program with autorestart back to STARTING on its next tick
_AUTORESTART_S = 3


class StillStarting(SupervisorError):
    """The program is starting (inside its boot delay): not a failure to remedy yet."""


def restart(config: Config, machine: str, program: str, timeout: float,
            grace_s: float = 0.0, *, lang: str = "fr") -> str:
    """Stop (if running) and start a program; returns what was done (in `lang`).

    Raises `StillStarting` while supervisord is bringing the program back by itself: inside
    its start delay, started less than `grace_s` ago (supervisord's own autorestart after a
    crash: restarting it again would only kill a service that is booting), or exited a
    moment ago (the autorestart is about to)."""
    # stopping waits for the program to exit (stopwaitsecs is 10 s): allow for it
    server = proxy(config, machine, max(timeout, 15.0))
    try:
        info: Any = server.supervisor.getProcessInfo(program)
        name = f"{info['group']}:{info['name']}"
        state, now = info.get("statename"), int(info.get("now", 0))
        if state == "STARTING":
            # still inside its start delay: a restart would only start the wait again
            raise StillStarting(f"{program} est en cours de démarrage sur {machine}")
        if state == "RUNNING" and now - int(info.get("start", 0)) < grace_s:
            raise StillStarting(f"{program} vient d'être relancé sur {machine}")
        if state == "EXITED" and now - int(info.get("stop", 0)) < _AUTORESTART_S:
            raise StillStarting(f"{program} vient de s'arrêter sur {machine}")
        if state in ("RUNNING", "BACKOFF"):
            server.supervisor.stopProcess(name, True)
        server.supervisor.startProcess(name, False)  # its own start delay may be long
    except xmlrpc.client.Fault as err:
        raise SupervisorError(redact(phrases.text("supervisor.refused", lang, program=program,
                                                  fault=err.faultString))) from None
    except (OSError, xmlrpc.client.ProtocolError, http.client.HTTPException) as err:
        raise SupervisorError(redact(phrases.text("supervisor.unreachable", lang,
                                                  err=err))) from None
    _LOGGER.info("restarted %s on %s through supervisord", program, machine)
    return phrases.text("remedy.restarted", lang, program=program, machine=machine)
