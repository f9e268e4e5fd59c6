"""Every intent the house carries out, on every channel, on the running demo house: the table
the promises test walks and `bench/promises.py` times.

A row is one command as people say it (or the kiosk's control for it), the state that must
hold before it (set through the terminal, untimed) and the effect that must follow on the
bus: the new mode, the lights' or night light's state, the heater's profile or setpoint, the
interphone's words. A channel is one way in:

- `chat`:  `basecamp chat` (the test) or the same POST /command it sends (the bench: the
  client's own start-up is not the house's latency);
- `sms`:   an SMS from the owner's phone dropped into Gammu's dummy phone;
- `push`:  a push reply (`Command` with channel push from the owner's Pushover user);
- `voice`: a `Transcript` on the bus, answered by the dialogs service
  (`dialogs.answer_transcripts`); the speech-to-text before it needs a French Vosk model this
  machine cannot download;
- `kiosk`: the message the kiosk's touch control publishes (`kiosk.intents`), for the rows a
  control exists for.

`run(house, row, channel)` gives when the effect and the reply came, and whether the reply
came after the effect (the house never says it did what it has not done).
"""

from __future__ import annotations

import datetime as dt
import json
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.messages import Envelope, Message
from core.messages.alive import StateRequest
from core.messages.dialogs import Command, Reply, SmsIncoming
from core.messages.heating import HeatingState
from core.messages.lights import LightsState
from core.messages.nightlight import NightLightState
from core.messages.presence import ModeChanged
from core.messages.voice import Spoken, Transcript
from kiosk import intents as kiosk
from tests.e2e.house import House, wait_for

OWNER = "+33600000001"
CHANNELS = ("chat", "sms", "push", "voice", "kiosk")
EFFECT_TIMEOUT_S = 20.0
KITCHEN = "lumière de la cuisine"


def mode_is(mode: str, silence: bool | None = None) -> Callable[[Envelope], bool]:
    def probe(e: Envelope) -> bool:
        m = ModeChanged.from_envelope(e)
        return m.mode == mode and (silence is None or m.silence == silence)
    return probe


def light_is(name: str, on: bool) -> Callable[[Envelope], bool]:
    return lambda e: LightsState.from_envelope(e).on.get(name) is on


def regime_is(regime: str) -> Callable[[Envelope], bool]:
    return lambda e: HeatingState.from_envelope(e).regime == regime


def setpoint_is(value: float) -> Callable[[Envelope], bool]:
    return lambda e: (h := HeatingState.from_envelope(e)).override and h.setpoint == value


def night_light_is(lit: bool) -> Callable[[Envelope], bool]:
    return lambda e: NightLightState.from_envelope(e).mode == ("on" if lit else "off")


def said(text: str) -> Callable[[Envelope], bool]:
    return lambda e: (s := Spoken.from_envelope(e)).text == text and not s.muted


@dataclass(frozen=True)
class Row:
    """One command, the state before it, and its effect on the bus."""

    name: str
    lines: tuple[str, ...]
    """What is said or texted, in turn (a confirmation follows its question)."""
    topic: str
    effect: Callable[[Envelope], bool]
    before: tuple[tuple[str, str, Callable[[Envelope], bool]], ...] = ()
    """(terminal line, topic, state it brings) to set the stage, untimed."""
    control: Callable[[], Message] | None = None
    """The kiosk control's message, if the kiosk has one for this."""


HOME = ("je suis revenu", ModeChanged.TOPIC, mode_is("cocoon"))
AWAY = ("je m'en vais pour quelques jours", ModeChanged.TOPIC, mode_is("lockout"))
ASLEEP = ("bonne nuit la maison", ModeChanged.TOPIC, mode_is("asleep"))
NO_SILENCE = ("désactive le silence", ModeChanged.TOPIC, mode_is("cocoon", silence=False))

ROWS = (
    Row("leave", ("je m'en vais pour quelques jours",), ModeChanged.TOPIC, mode_is("lockout"),
        before=(HOME,), control=lambda: kiosk.mode_intent("lockout", "cocoon")),
    Row("return", ("je suis revenu",), ModeChanged.TOPIC, mode_is("cocoon"),
        before=(AWAY,), control=lambda: kiosk.mode_intent("cocoon", "lockout")),
    Row("sleep", ("bonne nuit la maison",), ModeChanged.TOPIC, mode_is("asleep"),
        before=(HOME,), control=lambda: kiosk.mode_intent("asleep", "cocoon")),
    Row("wake", ("bonjour la maison",), ModeChanged.TOPIC, mode_is("cocoon"),
        before=(ASLEEP,), control=lambda: kiosk.mode_intent("cocoon", "asleep")),
    Row("silence", ("silence",), ModeChanged.TOPIC, mode_is("cocoon", silence=True),
        before=(HOME, NO_SILENCE), control=lambda: kiosk.silence_intent(True)),
    Row("heating profile", ("chauffage semaine de vacances",), HeatingState.TOPIC,
        regime_is("holiday_week"),
        before=(HOME, ("chauffage semaine de travail", HeatingState.TOPIC,
                       regime_is("work_week"))),
        control=lambda: kiosk.heating_intent("holiday_week", 0, dt.datetime.now(dt.UTC))),
    Row("light on", ("allume la lumière de la cuisine",), LightsState.TOPIC,
        light_is(KITCHEN, True),
        before=(("éteins la lumière de la cuisine", LightsState.TOPIC, light_is(KITCHEN, False)),
                )),
    Row("light off", ("éteins la lumière de la cuisine",), LightsState.TOPIC,
        light_is(KITCHEN, False),
        before=(("allume la lumière de la cuisine", LightsState.TOPIC, light_is(KITCHEN, True)),
                )),
    Row("night light", ("allume la veilleuse",), NightLightState.TOPIC, night_light_is(True),
        before=(("éteins la veilleuse", NightLightState.TOPIC, night_light_is(False)),),
        control=lambda: kiosk.night_light_request("on", "veilleuse")),
    Row("room temperature", ("mets 21 degrés dans le salon",), HeatingState.TOPIC,
        setpoint_is(21.0),
        before=(HOME, ("mets 19 degrés dans le salon", HeatingState.TOPIC, setpoint_is(19.0)))),
    Row("announcement", ("annonce que le dîner est prêt", "oui"), Spoken.TOPIC,
        said("le dîner est prêt"), before=(HOME, NO_SILENCE)),
    Row("report", ("rapport complet",), Reply.TOPIC,
        lambda e: Reply.from_envelope(e).text.startswith("Mode présence"), before=(HOME,)),
)
"""Every command the house carries out (and the report, whose effect is its reply)."""


def pairs() -> list[tuple[Row, str]]:
    """Every (row, channel) the table walks."""
    return [(row, channel) for row in ROWS for channel in CHANNELS
            if channel != "kiosk" or row.control is not None]


@dataclass(frozen=True)
class Result:
    """One command on one channel: when its effect and its reply came (seconds after it)."""

    row: str
    channel: str
    effect_s: float | None
    reply_s: float | None
    reply: str
    entered_s: float = 0.0
    """When the command reached the house's bus (an SMS waits for the modem's poll)."""

    @property
    def kept(self) -> bool:
        """The effect came, and no reply said it before it happened."""
        if self.effect_s is None:
            return False
        return self.reply_s is None or self.reply_s >= self.effect_s or self.row == "report"


def command(house: House, text: str, channel: str = "terminal", sender: str = "owner"
            ) -> dict[str, Any]:
    """POST /command to the dialogs service, as `basecamp chat` does."""
    body = json.dumps({"text": text, "channel": channel, "sender": sender}).encode()
    request = urllib.request.Request(
        house.url("dialogs") + "/command", data=body, method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {house.token()}"})
    with urllib.request.urlopen(request, timeout=30) as resp:
        return dict(json.loads(resp.read()))


def first(house: House, since: float, topic: str, probe: Callable[[Envelope], bool]
          ) -> float | None:
    """Wall time of the first message after `since` on `topic` that `probe` accepts."""
    with house.bus._lock:  # the recorder's own list, read under its lock
        found = [t for t, e in house.bus.messages
                 if t >= since and e.topic.startswith(topic) and _safe(probe, e)]
    return found[0] if found else None


def last(house: House, topic: str) -> dict[str, Any] | None:
    """The data of the latest message on `topic` (for failure messages)."""
    with house.bus._lock:
        found = [e.data for _, e in house.bus.messages if e.topic.startswith(topic)]
    return found[-1] if found else None


def _safe(probe: Callable[[Envelope], bool], envelope: Envelope) -> bool:
    try:
        return bool(probe(envelope))
    except (KeyError, TypeError, ValueError):
        return False


def stage(house: House, row: Row) -> None:
    """Bring the house to the state the row starts from (through the terminal)."""
    for line, topic, probe in row.before:
        since = time.time()
        command(house, line)
        wait_for(_holds(house, since, topic, probe), EFFECT_TIMEOUT_S,
                 lambda t=topic, said=line: f"{row.name}: the state after {said!r} "
                 f"(last on {t}: {last(house, t)})")


def _holds(house: House, since: float, topic: str,
           probe: Callable[[Envelope], bool]) -> Callable[[], bool]:
    """A probe: the state came after `since`; it asks the services to say their state again
    (a line that changed nothing is not published otherwise)."""
    asked = [0.0]

    def holds() -> bool:
        if time.monotonic() - asked[0] > 0.7:  # services answer one request per 0.5 s
            asked[0] = time.monotonic()
            house.bus.publish(StateRequest(topic))
        return first(house, since, topic, probe) is not None
    return holds


def send(house: House, row: Row, channel: str, *, cli: bool) -> float:
    """Say the row's lines on the channel; the wall time the first one left."""
    sent = time.time()
    if channel == "chat" and cli:
        out = house.basecamp("chat", stdin="".join(f"{line}\n" for line in row.lines),
                             timeout=90)
        if out.returncode != 0 or out.stderr:
            raise AssertionError(f"basecamp chat failed: {out.stderr}")
    elif channel == "chat":
        for line in row.lines:
            command(house, line)
    elif channel == "sms":
        for i, line in enumerate(row.lines):
            before = len(house.sms_sent())
            house.receive_sms(OWNER, line)
            if i < len(row.lines) - 1:  # the question comes back before the answer goes
                wait_for(lambda b=before: len(house.sms_sent()) > b, EFFECT_TIMEOUT_S,
                         "the SMS question")
    elif channel == "kiosk":
        assert row.control is not None
        sent = house.bus.publish(row.control())
    else:
        for i, line in enumerate(row.lines):
            message = Transcript(line, "kitchen-mic") if channel == "voice" \
                else Command(line, "push", "owner")
            t = house.bus.publish(message)
            sent = t if i == 0 else sent
            if i < len(row.lines) - 1:
                wait_for(lambda s=t: first(house, s, Reply.TOPIC, lambda e: True),
                         EFFECT_TIMEOUT_S, "the question")
    return sent


def run(house: House, row: Row, channel: str, *, cli: bool = True) -> Result:
    """Stage, send, and time the effect and the reply."""
    stage(house, row)
    time.sleep(0.2)  # the stage's own replies are out before the command goes
    sent = send(house, row, channel, cli=cli)
    reply_on = "terminal" if channel == "chat" else channel
    deadline = time.monotonic() + EFFECT_TIMEOUT_S
    effect = reply = None
    while time.monotonic() < deadline and (effect is None or (reply is None and
                                                               channel != "kiosk")):
        effect = effect or first(house, sent, row.topic, row.effect)
        reply = reply or first(house, sent, Reply.TOPIC,
                               lambda e: Reply.from_envelope(e).channel == reply_on
                               and not Reply.from_envelope(e).expects_answer)
        time.sleep(0.02)
    entered = sent
    if channel == "sms":
        entered = first(house, sent, SmsIncoming.TOPIC,
                        lambda e: SmsIncoming.from_envelope(e).text == row.lines[0]) or sent
    text = ""
    if reply is not None:
        with house.bus._lock:
            text = next(Reply.from_envelope(e).text for t, e in house.bus.messages
                        if t == reply and e.topic == Reply.TOPIC)
    return Result(row.name, channel, None if effect is None else effect - sent,
                  None if reply is None else reply - sent, text, entered - sent)
