"""`basecamp run push`: the push notifier (Pushover through apprise), throttled and queued.

`PushSend` requests are queued in a persisted outbox and sent in order; at most
`push.max_per_hour` go out per hour of the house's clock (the rest wait, nothing is dropped),
so a loop elsewhere cannot flood the phone. While Pushover is unreachable messages wait, and
the outage is reported once by SMS (marked as an error report, so the SMS side never reports it
back: no loops).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

from core.bus import Envelope
from core.messages.dialogs import SmsSend
from core.messages.log import Level
from core.messages.watch import ChannelState, PushSend
from core.service import Runtime
from watch.errors import ChannelDown
from watch.notifiers import recipients
from watch.outbox import Outbox, drain, nap
from watch.settings import PushSettings

_LOGGER = logging.getLogger(__name__)


class PushSender(Protocol):
    """Delivers one push message; raises ChannelDown when it cannot."""

    def send(self, title: str, message: str, priority: int) -> None:
        """Send now (blocking)."""


class Pushover:
    """Pushover through apprise's Pushover plugin, pointed at `api_url`."""

    def __init__(self, user_key: str, token: str, api_url: str) -> None:
        self.user_key, self.token, self.api_url = user_key, token, api_url

    def send(self, title: str, message: str, priority: int) -> None:
        """Send one message (a fresh plugin object: our own throttle replaces apprise's)."""
        from apprise.plugins.pushover import NotifyPushover
        try:
            plugin = NotifyPushover(user_key=self.user_key, token=self.token,
                                    priority=max(-2, min(1, priority)))
        except TypeError as err:
            raise ChannelDown(f"pushover: configuration refusée ({err})") from err
        plugin.notify_url = self.api_url  # the endpoint is a plain attribute of the plugin
        if not plugin.notify(body=message, title=title):
            raise ChannelDown("pushover: envoi refusé ou serveur injoignable")


def make_sender(rt: Runtime) -> PushSender | None:
    """The configured Pushover sender, or None when its secrets are missing."""
    ps = rt.config.section("push", PushSettings)
    user, token = rt.config.reveal(ps.user_key), rt.config.reveal(ps.token)
    if not user or not token:
        return None
    return Pushover(user, token, ps.api_url)


NOT_CONFIGURED = "pushover non configuré (secrets absents)"


async def serve(rt: Runtime, sender: PushSender | None = None) -> None:
    """Queue `basecamp.push.send` requests and deliver them, throttled."""
    ps = rt.config.section("push", PushSettings)
    sender = sender or make_sender(rt)
    outbox = Outbox(rt.data_dir() / "push.sqlite", rt.clock)
    rt.on_stop(outbox.close)
    wake = asyncio.Event()
    state: dict[str, Any] = {"up": True, "error": ""}

    def on_request(envelope: Envelope) -> None:
        msg = PushSend.from_envelope(envelope)
        outbox.put("push", {"title": msg.title, "message": msg.message,
                            "priority": msg.priority, "kind": msg.kind})
        rt.counters["queued"] += 1
        wake.set()

    async def send(payload: dict[str, Any]) -> None:
        if sender is None:
            raise ChannelDown(NOT_CONFIGURED)
        await asyncio.to_thread(sender.send, str(payload["title"]), str(payload["message"]),
                                int(payload.get("priority", 0)))

    async def deliver() -> None:
        allowed = ps.max_per_hour - len(outbox.sent_last_hour("push"))
        if allowed <= 0 or not outbox.count("push"):
            return
        try:
            sent = await drain(outbox, "push", send, allowed)
        except Exception as err:  # an unexpected library error is an outage too
            _LOGGER.exception("push delivery failed")
            sent, err_text = 0, str(err)
        else:
            err_text = "" if not outbox.count("push") or sent == allowed else "envoi impossible"
        if sender is None:
            return  # already said at start
        rt.counters["sent"] += sent
        _outage(rt, state, err_text, outbox.count("push"))

    async def loop() -> None:
        while True:
            await deliver()
            wake.clear()
            await nap(wake, ps.retry_s)

    if sender is None:
        # not configured is not an outage: said once here (and by `basecamp deploy check`),
        # never reported by SMS; pushes wait in the queue until the secrets are set
        state.update(up=False, error=NOT_CONFIGURED)
        rt.log(Level.WARNING, f"push: {NOT_CONFIGURED}; les messages attendent dans la file")
        rt.publish(ChannelState("push", False, outbox.count("push"), NOT_CONFIGURED))
    rt.subscribe([PushSend.TOPIC], on_request)
    rt.status["push"] = lambda: {"configured": sender is not None, "up": state["up"],
                                 "queued": outbox.count("push"), "error": state["error"]}
    rt.spawn(loop(), name="deliver")


def _outage(rt: Runtime, state: dict[str, Any], error: str, queued: int) -> None:
    """Track the channel's state; report an outage once by SMS, and its end."""
    if error and state["up"]:
        state.update(up=False, error=error)
        rt.publish(ChannelState("push", False, queued, error))
        rt.log(Level.ERROR, f"push en panne ({error}); {queued} message(s) en attente")
        for number in recipients(rt.config):
            rt.publish(SmsSend(number, f"Basecamp: notifications push en panne ({error})",
                               kind="error_report"))
    elif not error and not state["up"]:
        state.update(up=True, error="")
        rt.publish(ChannelState("push", True, queued))
        rt.log(Level.INFO, "push rétabli")
