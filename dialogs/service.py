"""The dialogs service: one engine answering SMS, push, kiosk (and optionally voice) over the bus.

In: `SmsIncoming` (whitelisted contacts only), `Command` (push replies, kiosk, tools),
`Transcript` (when `dialogs.answer_transcripts`), `ReportDue` (a scheduled report: said and/or
sent to the owner), and the state a report needs (`ModeChanged`,
`HeatingState`, `MutaUpdate`, `Alert`, `FamilyMessage` kept unheard). Out: `Intent` on
`basecamp.intent.<Name>`, `Reply`, `SmsSend` answers, `Say` for voice. HTTP: `POST /command`
(token) answers a text.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import time
from typing import Any

from aiohttp import web

from core.bus import parse
from core.messages import Envelope
from core.messages.dialogs import (
    Command,
    FamilyMessage,
    Outcome,
    Reply,
    ReportDue,
    SmsIncoming,
    SmsSend,
)
from core.messages.heating import HeatingState
from core.messages.presence import ModeChanged
from core.messages.sensors import MutaUpdate
from core.messages.voice import Say, Transcript
from core.messages.watch import Alert, PushSend
from core.service import Runtime
from dialogs import state as snapshot
from dialogs.channels import channel_of, may_command
from dialogs.engine import DialogEngine, DialogTurn
from dialogs.keeper import Keeper
from dialogs.replies import Style
from dialogs.report import Snapshot, render_report
from dialogs.settings import Counter, DialogSettings

_LOGGER = logging.getLogger(__name__)

STATE_TOPICS: dict[str, type[Any]] = {ModeChanged.TOPIC: ModeChanged,
                                      HeatingState.TOPIC: HeatingState,
                                      MutaUpdate.TOPIC: MutaUpdate, Alert.TOPIC: Alert,
                                      FamilyMessage.TOPIC: FamilyMessage}


def day_growth(store: Any, counter: Counter, now: dt.datetime) -> float | None:
    """Growth of a cumulative counter since midnight (None without data)."""
    return growth(store, counter, now.replace(hour=0, minute=0, second=0, microsecond=0), now)


def read_meter(store: Any, counter: Counter, now: dt.datetime,
               days: int) -> snapshot.Consumption:
    """Today so far, the mean of the previous `days` days by the same time, yesterday."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    before = [growth(store, counter, midnight - dt.timedelta(days=k),
                     now - dt.timedelta(days=k)) for k in range(1, days + 1)]
    seen = [v for v in before if v is not None]
    return snapshot.Consumption(
        growth(store, counter, midnight, now), sum(seen) / len(seen) if seen else None,
        growth(store, counter, midnight - dt.timedelta(days=1), midnight))


def growth(store: Any, counter: Counter, start: dt.datetime, end: dt.datetime) -> float | None:
    """Growth of a counter between two instants (None without data)."""
    if not counter.measurement:
        return None
    stats = store.stats(counter.measurement, counter.field, start, end, counter.tags)
    if counter.kind == "increments":
        return None if stats is None else stats.mean * stats.count * counter.scale
    if stats is None or stats.count < 2:
        return None
    return max(0.0, (stats.max - stats.min) * counter.scale)


class ReplyLimiter:
    """SMS replies per sender: a reply that did nothing ("je n'ai pas compris") at most once
    every `idle_s`, and at most `per_hour` replies of any kind an hour."""

    def __init__(self, idle_s: float, per_hour: int) -> None:
        self.idle_s, self.per_hour = idle_s, per_hour
        self._idle: dict[str, float] = {}
        self._sent: dict[str, list[float]] = {}

    def allow(self, sender: str, idle: bool, now: float) -> bool:
        """May this reply go to `sender` at `now` (monotonic seconds)?"""
        recent = [t for t in self._sent.get(sender, []) if now - t < 3600]
        if len(recent) >= self.per_hour or (
                idle and now - self._idle.get(sender, float("-inf")) < self.idle_s):
            self._sent[sender] = recent
            return False
        if idle:
            self._idle[sender] = now
        self._sent[sender] = [*recent, now]
        return True


class DialogService:
    """The engine, the house snapshot and the channels' plumbing."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.settings = rt.config.section("dialogs", DialogSettings)
        self.snapshot = Snapshot(kwh_price=self.settings.kwh_price,
                                 currency=self.settings.currency)
        self.engine = DialogEngine(rt.config, state=lambda: self.snapshot)
        self.sms_replies = ReplyLimiter(self.settings.sms_idle_reply_s,
                                        self.settings.sms_replies_per_hour)
        self.keeper = Keeper(rt.publish, self.settings.outcome_timeout_s,
                             self.settings.spoken_timeout_s)

    # ---- inputs ----------------------------------------------------------------------
    def on_state(self, envelope: Envelope) -> None:
        """Keep the latest mode, heating, temperatures and problems."""
        cls = next((c for t, c in STATE_TOPICS.items() if envelope.topic.startswith(t)), None)
        if cls is not None:
            self.snapshot = snapshot.fold(self.snapshot, parse(envelope, cls),
                                          self.rt.clock.now())

    def on_sms(self, envelope: Envelope) -> None:
        """Answer a whitelisted SMS; log and ignore the others."""
        sms = parse(envelope, SmsIncoming)
        if not may_command(self.rt.config, "sms", sms.number):
            self.rt.counters["sms_refused"] += 1
            self.rt.log("warning", f"SMS from non-whitelisted {sms.number} ignored")
            return
        self.rt.spawn(self.answer(sms.text, "sms", sms.number), name="answer")

    def on_command(self, envelope: Envelope) -> None:
        """Answer text from push replies, the kiosk or tools."""
        cmd = parse(envelope, Command)
        cmd = dataclasses.replace(cmd, channel=channel_of(cmd.channel) or cmd.channel)
        if not may_command(self.rt.config, cmd.channel, cmd.sender):
            self.rt.counters["command_refused"] += 1
            self.rt.log("warning", f"{cmd.channel} command from {cmd.sender!r} ignored")
            return
        self.rt.spawn(self.answer(cmd.text, cmd.channel, cmd.sender), name="answer")

    def on_transcript(self, envelope: Envelope) -> None:
        """Answer speech (only when the assistant does not run the engine itself)."""
        transcript = parse(envelope, Transcript)
        self.rt.spawn(self.answer(transcript.text, "voice", transcript.conversation or "kiosk"),
                      name="answer")

    # ---- outputs ---------------------------------------------------------------------
    async def answer(self, text: str, channel: str, sender: str) -> DialogTurn:
        """Run one turn: carry its command out, then say what was done."""
        self.rt.counters[f"{channel}_in"] += 1
        turn = self.engine.handle(text, channel=channel, sender=sender, now=self.rt.clock.now())
        return await self.deliver(turn, channel, sender)

    async def deliver(self, turn: DialogTurn, channel: str, sender: str) -> DialogTurn:
        """Publish the turn's command, wait for its outcome, then publish the reply."""
        if turn.intent is not None:
            self.rt.counters["intents"] += 1
            intent, outcome = await self.keeper.carry(turn.intent)
            if turn.acts:
                self.rt.counters["done" if outcome is not None and outcome.done else
                                 "refused" if outcome is not None else "unconfirmed"] += 1
            turn = self.engine.conclude(dataclasses.replace(turn, intent=intent), outcome)
            if intent.intent == "BasecampReport":
                self.snapshot = snapshot.reported(self.snapshot)
        else:
            self.rt.counters["no_intent"] += 1
        self.publish(turn, channel, sender)
        return turn

    def publish(self, turn: DialogTurn, channel: str, sender: str) -> None:
        """The reply, and the channel's own answer (SMS, speech)."""
        self.rt.publish(Reply(turn.reply, channel, sender, turn.expects_answer,
                              turn.conversation))
        if channel == "sms" and turn.reply:
            idle = turn.intent is None and not turn.expects_answer  # "pas compris", a refusal
            if self.sms_replies.allow(sender, idle, time.monotonic()):
                self.rt.publish(SmsSend(sender, turn.reply, kind="reply"))
            else:  # a burst of junk from one phone: one answer a minute, never a flood
                self.rt.counters["sms_replies_held_back"] += 1
        elif channel == "voice" and turn.reply:
            self.rt.publish(Say(turn.reply, lang=turn.lang))

    def on_report_due(self, envelope: Envelope) -> None:
        """A scheduled report: composed here, spoken and/or sent to the owner."""
        self.rt.spawn(self.scheduled_report(ReportDue.from_envelope(envelope)), name="report")

    async def scheduled_report(self, due: ReportDue) -> None:
        """The day's figures read afresh, then the report said and sent as `due` asks."""
        await self.refresh_consumption()
        now, lang = self.rt.clock.now(), self.engine.lang
        if due.spoken:
            self.rt.publish(Say(render_report(self.snapshot, now, lang), lang=lang,
                                when_home=True))
        title = f"{'Rapport' if lang == 'fr' else 'Report'} {now:%H:%M}"
        text = render_report(self.snapshot, now, lang, Style.SMS)
        for channel in due.send:
            if channel == "sms":  # unasked for: titled, to be told from an answer
                for contact in self.rt.config.contacts:
                    if contact.role == "owner" and contact.phone:
                        self.rt.publish(SmsSend(contact.phone, f"{title}\n{text}",
                                                kind="report"))
            elif channel == "push":
                self.rt.publish(PushSend(title, text))
            else:
                self.rt.counters["report_channel_unknown"] += 1
        self.rt.counters["scheduled_reports"] += 1
        self.snapshot = snapshot.reported(self.snapshot)

    def expire(self) -> None:
        """Close conversations nobody answered (a "je pars" still leaves)."""
        for channel, sender, turn in self.engine.expire(self.rt.clock.now()):
            self.rt.counters["timeouts"] += 1
            self.rt.spawn(self.deliver(turn, channel, sender), name="deliver")

    async def refresh_consumption(self) -> None:
        """Read the day's water and electricity for reports (blocking store, in a thread)."""
        from core.metrics import StoreUnavailable, open_store
        now = self.rt.clock.now()

        days = self.settings.usual_days

        def read() -> tuple[snapshot.Consumption, snapshot.Consumption]:
            store = open_store(self.rt.config)
            try:
                return (read_meter(store, self.settings.water, now, days),
                        read_meter(store, self.settings.power, now, days))
            finally:
                store.close()
        try:
            water, energy = await asyncio.to_thread(read)
        except (StoreUnavailable, OSError) as err:
            self.rt.counters["metrics_unavailable"] += 1
            _LOGGER.warning("day consumption unavailable: %s", err)
            return
        self.snapshot = snapshot.with_consumption(self.snapshot, water, energy)

    async def http_command(self, request: web.Request) -> web.Response:
        """POST /command {"text", "channel", "sender"} -> the turn (token required)."""
        self.rt.check_token(request)
        try:
            body = await request.json()
            text, channel, sender = (body["text"], body.get("channel", "push"),
                                     body.get("sender", ""))
            if not all(isinstance(v, str) for v in (text, channel, sender)) or not text.strip():
                raise TypeError("text, channel and sender are strings; text is not empty")
        except (ValueError, KeyError, TypeError, RecursionError):
            self.rt.counters["bad_request"] += 1
            raise web.HTTPBadRequest(text='expected JSON {"text", "channel", "sender"} with '
                                          'a non-empty text') from None
        channel = channel_of(channel) or channel
        if not may_command(self.rt.config, channel, sender):
            raise web.HTTPForbidden(text="sender may not command the house")
        turn = await self.answer(text, channel, sender)
        return web.json_response({"reply": turn.reply, "expects_answer": turn.expects_answer,
                                  "conversation": turn.conversation,
                                  "intent": turn.intent.to_dict() if turn.intent else None})

    def status(self) -> dict[str, Any]:
        """Open conversations and what the report would say about the mode."""
        return {"lang": self.engine.lang, "open_conversations": len(
            self.engine.conversations.pending), "mode": self.snapshot.mode,
            "problems_pending": len(self.snapshot.problems)}


async def serve(rt: Runtime) -> None:
    """Start the dialogs service."""
    service = DialogService(rt)
    await asyncio.to_thread(service.engine.recognizer, service.engine.lang)  # build tables
    rt.spawn(asyncio.to_thread(service.engine.warm), name="warm")  # the rest, meanwhile
    await service.refresh_consumption()  # the meters read before the first question
    rt.subscribe(list(STATE_TOPICS), service.on_state)
    rt.subscribe([SmsIncoming.TOPIC], service.on_sms)
    rt.subscribe([Command.TOPIC], service.on_command)
    rt.subscribe([Outcome.TOPIC], service.keeper.on_outcome)
    rt.subscribe([ReportDue.TOPIC], service.on_report_due)
    if service.settings.answer_transcripts:
        rt.subscribe([Transcript.TOPIC], service.on_transcript)
    rt.every(service.settings.expire_every_s, service.expire, name="expire")
    rt.every(service.settings.metrics_every_s, service.refresh_consumption, name="consumption")
    rt.app.router.add_post("/command", service.http_command)
    rt.status["dialogs"] = service.status
