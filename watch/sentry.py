"""`basecamp run sentry`: on every other machine, reboot it when the sentinel stays silent.

The sentinel publishes `SentinelOk` every `watch.sentry.ok_interval_s`; a sentry that hears
nothing for `watch.sentry.silence_s` runs the configured reboot command once (a dry-run
`echo` in the demo), logs it, and waits for the sentinel again before it may reboot anew.
"""

from __future__ import annotations

import asyncio
import subprocess
from typing import Any

from core.bus import Envelope
from core.messages.log import Level
from core.messages.watch import SentinelOk
from core.service import Runtime
from watch.settings import WatchSettings


def should_reboot(last_ok: float, rebooted: bool, now: float, silence_s: float) -> bool:
    """Reboot now? (silent for too long, and not already rebooted in this silence) [pure]."""
    return not rebooted and now - last_ok > silence_s


async def serve(rt: Runtime) -> None:
    """Listen for the sentinel's OK and run the reboot command after a long silence."""
    ss = rt.config.section("watch", WatchSettings).sentry
    wall = rt.machine.now  # the sentinel's silence is judged in machine time
    state: dict[str, Any] = {"last_ok": wall().timestamp(), "rebooted": False,
                             "cycle": -1}

    def heard(envelope: Envelope) -> None:
        ok = SentinelOk.from_envelope(envelope)
        state.update(last_ok=wall().timestamp(), rebooted=False, cycle=ok.cycle)

    async def check() -> None:
        now = wall().timestamp()
        if not should_reboot(float(state["last_ok"]), bool(state["rebooted"]), now,
                             ss.silence_s):
            return
        state["rebooted"] = True
        rt.counters["reboots"] += 1
        silent = now - float(state["last_ok"])
        rt.log(Level.CRITICAL, f"sentinelle muette depuis {silent:.0f} s: redémarrage de "
                               f"{rt.host} ({' '.join(ss.reboot_command)})")
        if not rt.publisher.ready:  # give the log a chance to leave before the reboot
            await asyncio.sleep(1.0)
        try:
            proc = await asyncio.to_thread(subprocess.run, list(ss.reboot_command),
                                           capture_output=True, timeout=120, check=False)
        except (OSError, subprocess.TimeoutExpired) as err:
            rt.log(Level.ERROR, f"commande de redémarrage impossible: {err}")
            return
        state["output"] = proc.stdout.decode(errors="replace").strip()[:200]
        rt.log(Level.INFO, f"commande de redémarrage terminée (code {proc.returncode})")

    rt.subscribe([SentinelOk.TOPIC], heard)
    rt.status["sentry"] = lambda: dict(state)
    rt.every(max(0.05, min(ss.silence_s / 10, ss.ok_interval_s)), check, name="silence",
             machine_time=True)
