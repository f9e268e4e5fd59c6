"""`basecamp run sms`: the SMS gateway on bc-watch.

- `basecamp.sms.send` requests go to a persisted outbox and out through the modem, in order,
  at most `sms.max_per_hour` per hour of the house's clock (the rest wait: never dropped);
  the outbox journal records every SMS sent, stamped on that clock;
- the modem is polled for incoming SMS: those from whitelisted contacts (`may_command`) are
  commands, published on `basecamp.sms.incoming`; those from the other contacts (the family)
  are messages for the people at home, published on `basecamp.sms.family` for the interphone
  to read out (never commands); unknown numbers are logged and dropped; an SMS is deleted from
  the SIM only once it was handed to the connected bus;
- a modem that disappears is reconnected at every poll; the outage is reported once by push
  (marked as an error report, so the push side never reports it back: no loops).
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from core.bus import Envelope
from core.config import Config, Contact
from core.messages.dialogs import FamilyMessage, SmsIncoming, SmsSend
from core.messages.log import Level
from core.messages.watch import ChannelState, PushSend
from core.metrics import Point
from core.service import Runtime
from watch.errors import ChannelDown
from watch.modem import GammuModem, Modem, Received, same_number
from watch.outbox import Outbox, nap
from watch.settings import PushSettings, SmsSettings

_LOGGER = logging.getLogger(__name__)


def make_modem(config: Config) -> GammuModem:
    """The configured modem (the dummy phone's folder lives under the data dir)."""
    ss = config.section("sms", SmsSettings)
    device = str(config.path(ss.device)) if ss.model == "dummy" else ss.device
    if ss.model == "dummy":
        config.path(ss.device).mkdir(parents=True, exist_ok=True)
    return GammuModem(device, model=ss.model, connection=ss.connection,
                      pin=config.reveal(ss.pin))


def whitelisted(config: Config, number: str) -> bool:
    """May this number command the house?"""
    return any(c.may_command and c.phone and same_number(c.phone, number)
               for c in config.contacts)


def contact(config: Config, number: str) -> Contact | None:
    """The contact with this phone number, if the house knows one."""
    return next((c for c in config.contacts if c.phone and same_number(c.phone, number)), None)


URGENT = frozenset({"alert", "error_report"})
"""Kinds sent first and outside the hourly allowance."""
PRIORITY = {"alert": 0, "error_report": 0, "link": 1, "report": 2, "reply": 3}
"""Outbox priority by kind (0 first); unknown kinds come with reports."""
MAX_TEXT = 1600
"""Longest SMS text accepted (ten parts)."""


class Gateway:
    """The gateway's poll: receive, then send what waits (I/O through a Modem)."""

    def __init__(self, rt: Runtime, modem: Modem, outbox: Outbox) -> None:
        self.rt, self.modem, self.outbox = rt, modem, outbox
        self.settings = rt.config.section("sms", SmsSettings)
        self.up, self.error = True, ""
        self.published: set[tuple[str, str, str]] = set()
        self.signal: int | None = None
        self._signal_at = float("-inf")

    async def poll(self) -> None:
        """One round: incoming first, then the outbox; an outage is tracked and reported."""
        try:
            await self.receive()
            await self.send()
            await self.measure()
        except ChannelDown as err:
            self._down(str(err))
            return
        if not self.up:
            self._back()

    async def receive(self) -> None:
        """Publish whitelisted SMS, log the others, delete each once handed to the bus."""
        for sms in await asyncio.to_thread(self.modem.fetch):
            key = (sms.number, sms.text, sms.received_at)
            if key not in self.published:
                self._publish(sms)
                self.published.add(key)
            if self.rt.publisher.ready:
                await asyncio.to_thread(self.modem.delete, sms)
                self.published.discard(key)

    def _publish(self, sms: Received) -> None:
        known = contact(self.rt.config, sms.number)
        if whitelisted(self.rt.config, sms.number):
            self.rt.publish(SmsIncoming(sms.number, sms.text, sms.received_at))
            self.rt.counters["received"] += 1
        elif known is not None:
            self.rt.publish(FamilyMessage(sms.number, known.name, sms.text, sms.received_at))
            self.rt.counters["family"] += 1
            self.rt.log(Level.INFO, f"SMS de {known.name} transmis à l'interphone "
                                    f"({len(sms.text)} caractères)")
        else:
            self.rt.counters["unknown_sender"] += 1
            self.rt.log(Level.WARNING, f"SMS d'un numéro inconnu {sms.number} ignoré "
                                       f"({len(sms.text)} caractères)")

    async def send(self) -> None:
        """Send waiting SMS, alerts first; the hourly allowance bounds the others (replies,
        reports) — the sentinel caps its alerts itself, and they never wait for a reply."""
        if not self.outbox.count("sms"):
            return
        others = sum(1 for p in self.outbox.sent_last_hour("sms")
                     if p.get("kind") not in URGENT)
        allowed = self.settings.max_per_hour - others
        for ident, payload in self.outbox.pending("sms"):
            if payload.get("kind") not in URGENT:
                if allowed <= 0:
                    continue  # waits for the next hour (never dropped)
                allowed -= 1
            await asyncio.to_thread(self.modem.send, str(payload["number"]),
                                    str(payload["text"]))  # raises ChannelDown: stop here
            self.outbox.done("sms", ident, payload)
            self.rt.counters["sent"] += 1

    async def measure(self) -> None:
        """The signal quality, every `signal_every_s`, as the metric `gsm` (the sentinel
        checks it: `watch.gsm_min_signal_pct`)."""
        now = self.rt.machine.now().timestamp()  # machine time: the modem's pace, not the house's
        if now - self._signal_at < self.settings.signal_every_s:
            return
        self._signal_at = now
        self.signal = await asyncio.to_thread(self.modem.signal)
        if self.signal is not None:
            self.rt.metrics.write(Point("gsm", {"signal_percent": float(self.signal)},
                                        {"host": self.rt.host}, self.rt.clock.now()))

    def _down(self, error: str) -> None:
        self.rt.counters["modem_errors"] += 1
        if not self.up:
            return
        self.up, self.error = False, error
        queued = self.outbox.count("sms")
        self.rt.publish(ChannelState("sms", False, queued, error))
        self.rt.log(Level.ERROR, f"SMS en panne ({error}); {queued} SMS en attente")
        title = self.rt.config.section("push", PushSettings).title
        self.rt.publish(PushSend(title, f"SMS en panne: {error}", 0, kind="error_report"))

    def _back(self) -> None:
        self.up, self.error = True, ""
        self.rt.publish(ChannelState("sms", True, self.outbox.count("sms")))
        self.rt.log(Level.INFO, "SMS rétabli")


async def serve(rt: Runtime, modem: Modem | None = None) -> None:
    """Start the gateway: outbox, subscription and the poll loop."""
    ss = rt.config.section("sms", SmsSettings)
    modem = modem or make_modem(rt.config)
    outbox = Outbox(rt.data_dir() / "sms.sqlite", rt.clock)
    gateway = Gateway(rt, modem, outbox)
    rt.on_stop(outbox.close)
    rt.on_stop(modem.close)
    wake = asyncio.Event()

    def on_request(envelope: Envelope) -> None:
        msg = SmsSend.from_envelope(envelope)
        if not msg.number or not msg.text:
            raise ValueError("SmsSend needs a number and a text")
        outbox.put("sms", {"number": msg.number, "text": msg.text, "kind": msg.kind},
                   PRIORITY.get(msg.kind, 2))
        rt.counters["queued"] += 1
        wake.set()

    async def loop() -> None:
        while True:
            try:
                await gateway.poll()
            except Exception:  # never let the gateway die on one bad round
                rt.counters["poll_failed"] += 1
                _LOGGER.exception("SMS poll failed")
            wake.clear()
            await nap(wake, ss.poll_s)

    async def send_now(request: web.Request) -> web.Response:
        """POST /send {"number", "text", "mask"} (token): an SMS that must not travel on the
        bus (a remote-access link); `mask`, the secret it holds, is masked in the journal."""
        rt.check_token(request)
        body = await request.json()
        number, text, mask = (body.get("number"), body.get("text"), body.get("mask", "")) \
            if isinstance(body, dict) else (None, None, None)
        if not (isinstance(number, str) and number.strip() and isinstance(text, str)
                and text.strip() and isinstance(mask, str)) or len(text) > MAX_TEXT:
            raise web.HTTPBadRequest(text=f'expected JSON {{"number", "text" (at most '
                                          f'{MAX_TEXT} characters), "mask"}}')
        outbox.put("sms", {"number": number, "text": text, "kind": "link", "mask": mask},
                   PRIORITY["link"])
        rt.counters["queued"] += 1
        wake.set()
        return web.json_response({"queued": outbox.count("sms")}, status=202)

    rt.subscribe([SmsSend.TOPIC], on_request)
    rt.app.router.add_post("/send", send_now)
    rt.status["sms"] = lambda: {"up": gateway.up, "error": gateway.error,
                                "signal_percent": gateway.signal,
                                "queued": outbox.count("sms"),
                                "sent_last_hour": len(outbox.sent_last_hour("sms"))}
    rt.spawn(loop(), name="poll")
