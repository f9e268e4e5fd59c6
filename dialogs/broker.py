"""`basecamp run broker`: the demo house's MQTT broker, Debian's mosquitto run and watched.

A house that already has a broker (Home Assistant's Mosquitto add-on, a NAS) points `[mqtt]`
at it and does not place this service. The demo places it on bc-hq so that the bridge
(`basecamp run mqtt`) has a broker to talk to: mosquitto listens on `[mqtt] port` at this
machine's address, anonymous, or with the `[mqtt]` user and password when they are set (its
password file is hashed by mosquitto_passwd, in this service's folder, 0600). When mosquitto
exits, the service stops with an error and supervisord starts both again; the sentinel sees
it like any other service."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
from pathlib import Path

from core.service import Runtime, ServiceError
from dialogs.settings import MqttSettings


def _binary(name: str) -> str:
    found = shutil.which(name) or f"/usr/sbin/{name}"
    if not Path(found).exists():
        found = f"/usr/bin/{name}"
    if not Path(found).exists():
        raise ServiceError(f"broker: {name} is not installed (apt install mosquitto)")
    return found


def write_config(folder: Path, *, address: str, port: int, user: str | None,
                 password: str | None) -> Path:
    """mosquitto.conf (and its password file when a user is set) in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [f"listener {port} {address}", "persistence false",
             f"log_dest file {folder / 'mosquitto.log'}"]
    if os.geteuid() == 0:  # else it becomes user `mosquitto`, who cannot read this folder
        lines.append("user root")
    if user:
        passwords = folder / "passwords"
        passwords.touch(mode=0o600)
        passwords.write_text(f"{user}:{password or ''}\n")
        subprocess.run([_binary("mosquitto_passwd"), "-U", str(passwords)], check=True,
                       capture_output=True, timeout=30)
        lines += ["allow_anonymous false", f"password_file {passwords}"]
    else:
        lines.append("allow_anonymous true")
    path = folder / "mosquitto.conf"
    path.write_text("\n".join(lines) + "\n")
    return path


async def serve(rt: Runtime) -> None:
    """Start mosquitto; stop with it."""
    settings = rt.config.section("mqtt", MqttSettings)
    address = rt.config.machines[rt.host].address
    address = "127.0.0.1" if address == "localhost" else address
    config = write_config(rt.data_dir(), address=address, port=settings.port,
                          user=rt.config.reveal(settings.username),
                          password=rt.config.reveal(settings.password))
    proc = await asyncio.create_subprocess_exec(_binary("mosquitto"), "-c", str(config),
                                                stdout=subprocess.DEVNULL,
                                                stderr=subprocess.DEVNULL)

    async def watch() -> None:
        code = await proc.wait()
        raise ServiceError(f"broker: mosquitto exited with {code}")

    def stop() -> None:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.terminate()

    rt.spawn(watch(), name="mosquitto")
    rt.on_stop(stop)
    rt.status["broker"] = lambda: {"address": address, "port": settings.port, "pid": proc.pid,
                                   "running": proc.returncode is None}
