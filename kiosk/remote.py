"""Temporary outside access to the kiosk: a short-lived secret that closes by itself.

The owner (or whoever holds the house's HTTP token) opens it for a while —
`basecamp kiosk access open --minutes 15`, or `POST /access?minutes=15` on the kiosk's service —
and gets a link with a fresh random key. Whoever has the link sees the kiosk's screen
(`/remote`: the picture refreshed every few seconds, `/remote/state`: what the tiles say) and
nothing else: no control, no other endpoint. One key at a time; opening again replaces it;
at the end of its time (machine time: a demo's accelerated clock does not shorten it) or on
`DELETE /access` it is gone. Keys are compared in constant time and never logged.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from core.messages.dialogs import Intent, Outcome, intent_topic
from core.messages.log import Level


@dataclass
class RemoteAccess:
    """At most one open key, with its end (machine time, seconds)."""

    max_s: float
    """The longest an access may stay open (the config's `kiosk.remote_max_minutes`)."""
    clock: Callable[[], float] = time.monotonic
    _key: str = field(default="", repr=False)
    _until: float = 0.0

    def open(self, seconds: float) -> tuple[str, float]:
        """A new key for `seconds` (at most `max_s`); the previous one stops working.
        Returns the key and how long it lasts."""
        if not seconds > 0:
            raise ValueError("the duration must be positive")
        seconds = min(seconds, self.max_s)
        self._key, self._until = secrets.token_urlsafe(18), self.clock() + seconds
        return self._key, seconds

    def close(self) -> bool:
        """Close the access now; False when nothing was open."""
        was_open = self.is_open
        self._key, self._until = "", 0.0
        return was_open

    def expire(self) -> bool:
        """Close the access if its time is over; True when this closed it."""
        if self._key and self.clock() >= self._until:
            self._key, self._until = "", 0.0
            return True
        return False

    @property
    def is_open(self) -> bool:
        """A key works now."""
        return bool(self._key) and self.clock() < self._until

    @property
    def remaining_s(self) -> float:
        """Seconds the open key has left (0 when closed)."""
        return max(0.0, self._until - self.clock()) if self.is_open else 0.0

    def allows(self, key: str) -> bool:
        """The key is the open one and its time is not over (constant-time comparison)."""
        return self.is_open and hmac.compare_digest(key.encode(), self._key.encode())


PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Basecamp</title>
<style>body{{margin:0;background:#101418;color:#ccc;font:14px sans-serif}}
img{{width:100%;height:auto;display:block}}p{{margin:6px}}</style></head>
<body><img id="screen" src="remote/screen.png?key={key}" alt="{alt}">
<p>{notice}</p>
<script>
setInterval(function () {{
  document.getElementById("screen").src = "remote/screen.png?key={key}&t=" + Date.now();
}}, {refresh_ms});
</script></body></html>
"""
"""The viewer: the screen's picture, refreshed; no control."""


def page(key: str, remaining_s: float, lang: str, refresh_s: float = 5.0) -> str:
    """The viewer page for a valid key (the key is URL-safe base64: no escaping needed)."""
    minutes = max(1, round(remaining_s / 60))
    notice = (f"Accès temporaire en lecture seule, fermé dans {minutes} min."
              if lang == "fr" else
              f"Temporary read-only access, closes in {minutes} min.")
    alt = "écran du kiosque" if lang == "fr" else "kiosk screen"
    return PAGE.format(lang=lang, key=key, alt=alt, notice=notice,
                       refresh_ms=int(refresh_s * 1000))


def open_said(rt: Any, access: RemoteAccess, minutes: Any, default_s: float,
              via: str) -> tuple[str, float]:
    """Open for `minutes` (None: the default), count it and say it in the logbook — never the
    key. ValueError or TypeError on a duration that is not a positive number."""
    key, seconds = access.open(default_s if minutes is None else float(minutes) * 60)
    rt.counters["remote_opened"] += 1
    rt.log(Level.WARNING, f"accès distant au kiosque ouvert pour {seconds / 60:g} min ({via})")
    return key, seconds


def close_said(rt: Any, access: RemoteAccess, via: str) -> None:
    """Close now, and say so when something was open."""
    if access.close():
        rt.log(Level.INFO, f"accès distant au kiosque fermé ({via})")


def add_routes(rt: Any, access: RemoteAccess, *, screen: Callable[[], dict[str, Any]] | None,
               png: Callable[[], Awaitable[bytes]], lang: str, default_s: float) -> None:
    """The access endpoints on the kiosk's service: `POST|DELETE /access` and `POST /screenshot`
    (the house's token), `GET /remote`, `/remote/screen.png`, `/remote/state` (the temporary
    key)."""

    async def open_access(request: web.Request) -> web.Response:
        rt.check_token(request)
        try:
            key, seconds = open_said(rt, access, request.query.get("minutes"), default_s, "HTTP")
        except ValueError:
            raise web.HTTPBadRequest(text="minutes: expected a positive number") from None
        return web.json_response({"key": key, "path": f"/remote?key={key}",
                                  "expires_in_s": round(seconds, 1)})

    async def close_access(request: web.Request) -> web.Response:
        rt.check_token(request)
        close_said(rt, access, "HTTP")
        return web.json_response({"open": False})

    def expire() -> None:
        if access.expire():
            rt.log(Level.INFO, "accès distant au kiosque fermé (délai écoulé)")

    def key_of(request: web.Request) -> str:
        expire()  # said the moment it is over, not only at the next periodic look
        key = request.query.get("key", "")
        if not access.allows(key):
            rt.counters["remote_refused"] += 1
            raise web.HTTPForbidden(text="no access (closed, expired or wrong key)")
        return key

    async def viewer(request: web.Request) -> web.Response:
        key = key_of(request)
        return web.Response(text=page(key, access.remaining_s, lang), content_type="text/html",
                            headers=NO_STORE)

    async def picture(request: web.Request) -> web.Response:
        key_of(request)
        try:
            data = await png()
        except (TimeoutError, RuntimeError) as err:
            raise web.HTTPServiceUnavailable(text=f"screen unavailable: {err}") from err
        return web.Response(body=data, content_type="image/png", headers=NO_STORE)

    async def screenshot(request: web.Request) -> web.Response:
        """The screen as it is now, for `basecamp kiosk screenshot` (the house's token)."""
        rt.check_token(request)
        try:
            data = await png()
        except (TimeoutError, RuntimeError) as err:
            raise web.HTTPServiceUnavailable(text=f"screen unavailable: {err}") from err
        return web.Response(body=data, content_type="image/png", headers=NO_STORE)

    async def state(request: web.Request) -> web.Response:
        key_of(request)
        return web.json_response({"screen": screen() if screen else None,
                                  "expires_in_s": round(access.remaining_s, 1)},
                                 headers=NO_STORE)

    rt.app.router.add_post("/access", open_access)
    rt.app.router.add_delete("/access", close_access)
    rt.app.router.add_post("/screenshot", screenshot)
    rt.app.router.add_get("/remote", viewer)
    rt.app.router.add_get("/remote/screen.png", picture)
    rt.app.router.add_get("/remote/state", state)
    rt.status["remote"] = lambda: {"open": access.is_open,
                                   "expires_in_s": round(access.remaining_s, 1)}
    rt.every(1.0, expire, name="remote-expiry", machine_time=True)


NO_STORE = {"Cache-Control": "no-store"}


async def send_link(rt: Any, number: str, text: str, key: str) -> bool:
    """POST the SMS to the gateway's /send with the house token; True once it is queued."""
    config = rt.config
    token = config.reveal(config.http.token)
    if "sms" not in config.services or not token:
        return False
    try:
        async with aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=config.http.timeout_s)) as http, \
                http.post(config.service_url("sms") + "/send",
                          json={"number": number, "text": text, "mask": key},
                          headers={"Authorization": f"Bearer {token}"}) as resp:
            return resp.status == 202
    except (aiohttp.ClientError, TimeoutError, OSError):
        return False


def answer_intents(rt: Any, access: RemoteAccess, *, base_url: str, default_s: float) -> None:
    """`BasecampRemoteAccess` from voice, SMS, the kiosk or a terminal (dialogs checked the
    sender): open the access and send the link by SMS — to the whitelisted number that asked,
    else to the owners — or close it."""
    contacts = rt.config.contacts
    allowed = {c.phone for c in contacts if c.phone and c.may_command}
    owners = [c.phone for c in contacts if c.phone and c.role == "owner"]

    def answer(intent: Intent, done: bool, reason: str = "", **values: Any) -> None:
        if intent.id:
            rt.publish(Outcome(intent.id, intent.intent, done, reason, values))

    def heard(envelope: Any) -> None:
        intent = Intent.from_envelope(envelope)
        if intent.slots.get("state") == "off":
            close_said(rt, access, intent.channel)
            answer(intent, True, state="off")
            return
        to = [intent.sender] if intent.channel == "sms" else owners
        if not to or any(number not in allowed and number not in owners for number in to):
            rt.counters["remote_refused"] += 1
            rt.log(Level.WARNING, "accès distant demandé sans destinataire autorisé: refusé")
            answer(intent, False, "no_recipient")
            return
        try:
            key, seconds = open_said(rt, access, intent.slots.get("minutes") or None, default_s,
                                     f"{intent.channel}, lien envoyé par SMS")
        except (TypeError, ValueError):
            rt.counters["remote_refused"] += 1
            answer(intent, False, "refused", why=str(intent.slots.get("minutes")))
            return
        text = (f"Basecamp : écran du kiosque pendant {seconds / 60:g} min : "
                f"{base_url}/remote?key={key}")
        rt.spawn(deliver(intent, to, text, key, seconds), name="remote-link")

    async def deliver(intent: Intent, to: list[str], text: str, key: str,
                      seconds: float) -> None:
        """The link goes to the SMS gateway over HTTP, never on the bus (the key would be
        read by every subscriber), and is journalled there with the key masked."""
        sent = [await send_link(rt, number, text, key) for number in to]
        if not all(sent):
            close_said(rt, access, "lien non envoyé")  # a link nobody got does not stay open
            rt.counters["remote_link_failed"] += 1
            answer(intent, False, "offline")
            return
        answer(intent, True, state="on", minutes=round(seconds / 60))  # never the key

    rt.subscribe([intent_topic("BasecampRemoteAccess")], heard)
