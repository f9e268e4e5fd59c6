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
from collections.abc import Mapping
from pathlib import Path

from core.service import Runtime, ServiceError
from dialogs.settings import MqttSettings


def binary(name: str) -> str:
    """Debian's mosquitto tools (in /usr/sbin or /usr/bin, often outside a user's PATH);
    FileNotFoundError if they are not installed."""
    for found in (shutil.which(name), f"/usr/sbin/{name}", f"/usr/bin/{name}"):
        if found and Path(found).exists():
            return found
    raise FileNotFoundError(f"{name} not found: apt-get install mosquitto (`make test` and "
                            "the broker machine's install add it)")


def write_config(folder: Path, *, address: str, port: int,
                 users: Mapping[str, str] | None = None) -> Path:
    """mosquitto.conf in `folder`: one listener, anonymous, or only `users` ({name: password},
    hashed by mosquitto_passwd into a 0600 password file beside it)."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [f"listener {port} {address}", "persistence false",
             f"log_dest file {folder / 'mosquitto.log'}"]
    if os.geteuid() == 0:  # else it becomes user `mosquitto`, who cannot read this folder
        lines.append("user root")
    if users:
        passwords = folder / "passwords"
        passwords.touch(mode=0o600)
        passwords.write_text("".join(f"{u}:{p}\n" for u, p in users.items()))
        subprocess.run([binary("mosquitto_passwd"), "-U", str(passwords)], check=True,
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
    user = rt.config.reveal(settings.username)
    try:
        mosquitto = binary("mosquitto")
        config = write_config(rt.data_dir(), address=address, port=settings.port,
                              users={user: rt.config.reveal(settings.password) or ""}
                              if user else None)
    except FileNotFoundError as err:
        raise ServiceError(f"broker: {err}") from None
    proc = await asyncio.create_subprocess_exec(mosquitto, "-c", str(config),
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
