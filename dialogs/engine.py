"""The dialog engine: one command language for voice, SMS, push, kiosk and terminal.

`DialogEngine.handle(text, channel=, sender=, now=)` recognises the utterance (French first,
then English), follows the speaker's open conversation, and returns a `Turn`: the reply
(rendered for speech or SMS) and, when a command is complete, the `Intent` to publish.
No I/O: the state of the house comes from an injected `state()` snapshot provider.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.messages.dialogs import Intent
from dialogs.conversations import Conversations, Expect, Key, Pending
from dialogs.grammar import LANGS
from dialogs.recognition import Match, Recognizer
from dialogs.replies import Style, render
from dialogs.report import Snapshot
from dialogs.respond import respond
from dialogs.settings import DialogSettings
from dialogs.slots import Refusal, canonical
from dialogs.text import clean

_LOGGER = logging.getLogger(__name__)

TEXT_STYLES = {"sms": Style.SMS, "push": Style.SMS}
"""Channels answered in compact written form; the others get speech-style replies."""
ASKS = {"BasecampHeatingMenu": (Expect.PROFILE, "BasecampHeatingProfile")}
"""Commands that only open a question: intent -> (what is expected, intent completed)."""


@dataclass(frozen=True)
class Turn:
    """The house's answer to one utterance."""

    reply: str
    intent: Intent | None
    """Set when a command is complete and should be published."""
    expects_answer: bool
    conversation: str
    lang: str = ""


class DialogEngine:
    """Recognisers for the house's languages plus the open conversations."""

    def __init__(self, config: Any, *, lang: str | None = None,
                 state: Callable[[], Snapshot] | None = None) -> None:
        self.config = config
        self.settings = config.section("dialogs", DialogSettings)
        self.lang = lang or self.settings.language(config)
        self.langs = (self.lang, *(other for other in LANGS if other != self.lang))
        self.state = state or Snapshot
        self.conversations = Conversations()
        self._recognizers: dict[str, Recognizer] = {}

    def recognizer(self, lang: str) -> Recognizer:
        """The recogniser of a language (built on first use)."""
        if lang not in self._recognizers:
            self._recognizers[lang] = Recognizer(self.config, lang)
        return self._recognizers[lang]

    def recognize(self, text: str, *, answers: bool = False,
                  langs: tuple[str, ...] | None = None) -> tuple[Match, str] | None:
        """The first language whose grammar recognises the text."""
        for lang in langs or self.langs:
            found = self.recognizer(lang).recognize(text, answers=answers)
            if found is not None:
                return found, lang
        return None

    # ---- turns ---------------------------------------------------------------------------
    def handle(self, text: str, *, channel: str, sender: str, now: dt.datetime) -> Turn:
        """Answer one utterance from a speaker on a channel."""
        key: Key = (channel, sender)
        style = TEXT_STYLES.get(channel, Style.SPEECH)
        pending = self.conversations.current(key, now)
        if len(text) > self.settings.max_input_chars:
            return self._say("too_long", pending.lang if pending else self.lang, style,
                             pending.conversation if pending else self.conversations.new_id(key),
                             expects=pending is not None)
        text = " ".join(clean(text).split())
        if pending is not None:
            return self._answer(key, pending, text, style, channel, sender, now)
        self.conversations.pending.pop(key, None)
        return self._command(key, text, style, channel, sender, now)

    def expire(self, now: dt.datetime) -> list[tuple[str, str, Turn]]:
        """Close unanswered conversations: (channel, sender, turn) for each.

        Someone who said "je pars" and never answered has still left: the house goes
        away with an unknown return.
        """
        out: list[tuple[str, str, Turn]] = []
        for (channel, sender), pending in self.conversations.expired(now):
            style = TEXT_STYLES.get(channel, Style.SPEECH)
            if pending.expect == Expect.RETURN:
                turn = self._complete(pending.intent, dict(pending.slots), pending.text,
                                      pending.lang, style, channel, sender, now,
                                      pending.conversation)
            else:
                turn = self._say("timeout", pending.lang, style, pending.conversation)
            out.append((channel, sender, turn))
        return out

    def _command(self, key: Key, text: str, style: Style, channel: str, sender: str,
                 now: dt.datetime) -> Turn:
        conversation = self.conversations.new_id(key)
        if text.strip() == "?":  # the shortest SMS asking for help
            text = "help" if self.lang == "en" else "aide"
        found = self.recognize(text) if text else None
        if found is None:
            return self._say("not_understood", self.lang, style, conversation)
        match, lang = found
        if match.intent in ASKS:
            expect, intent = ASKS[match.intent]
            return self._ask(key, Pending(expect, intent, conversation,
                                          self._deadline(channel, now), lang, text=text),
                             style)
        slots = canonical(match.intent, match.slots, config=self.config,
                          settings=self.settings, now=now)
        if isinstance(slots, Refusal):
            return self._say(slots.reason, lang, style, conversation, **slots.values)
        if match.intent == "BasecampLeave" and "return_at" not in slots \
                and match.slots.get("return") != "unknown":
            return self._ask(key, Pending(Expect.RETURN, match.intent, conversation,
                                          self._deadline(channel, now), lang, text=text),
                             style)
        if match.intent in self.settings.confirm:
            pending = Pending(Expect.CONFIRM, match.intent, conversation,
                              self._deadline(channel, now), lang, slots=slots, text=text)
            return self._ask(key, pending, style)
        return self._complete(match.intent, slots, text, lang, style, channel, sender, now,
                              conversation)

    def _answer(self, key: Key, pending: Pending, text: str, style: Style, channel: str,
                sender: str, now: dt.datetime) -> Turn:
        found = self.recognize(text, answers=True, langs=(pending.lang,)) if text else None
        if found is not None and pending.accepts(found[0].intent):
            return self._answered(key, pending, found[0], style, channel, sender, now)
        command = self.recognize(text) if text else None
        if command is not None:
            del self.conversations.pending[key]
            if command[0].intent == "HassNevermind":
                return self._say("cancelled", pending.lang, style, pending.conversation)
            return self._command(key, text, style, channel, sender, now)
        if pending.retried().exhausted():
            del self.conversations.pending[key]
            if pending.expect == Expect.RETURN:
                return self._complete(pending.intent, dict(pending.slots), pending.text,
                                      pending.lang, style, channel, sender, now,
                                      pending.conversation)
            return self._say("cancelled", pending.lang, style, pending.conversation)
        return self._ask(key, pending.retried(), style, again=True)

    def _answered(self, key: Key, pending: Pending, match: Match, style: Style, channel: str,
                  sender: str, now: dt.datetime) -> Turn:
        del self.conversations.pending[key]
        if match.intent == "AnswerNo":
            return self._say("cancelled", pending.lang, style, pending.conversation)
        slots: dict[str, Any] | Refusal = dict(pending.slots)
        if match.intent in ("AnswerReturn", "AnswerProfile"):
            slots = canonical(match.intent, match.slots, config=self.config,
                              settings=self.settings, now=now)
        if isinstance(slots, Refusal):
            return self._say(slots.reason, pending.lang, style, pending.conversation,
                             **slots.values)
        return self._complete(pending.intent, slots, pending.text, pending.lang, style, channel,
                              sender, now, pending.conversation)

    # ---- replies -------------------------------------------------------------------------
    def _deadline(self, channel: str, now: dt.datetime) -> dt.datetime:
        return now + dt.timedelta(seconds=self.settings.timeouts.for_channel(channel))

    def _ask(self, key: Key, pending: Pending, style: Style, *, again: bool = False) -> Turn:
        self.conversations.pending[key] = pending
        prefix = "ask_again_" if again else "ask_"
        values: dict[str, Any] = {}
        if pending.expect == Expect.CONFIRM:
            values["what"] = render("what_broadcast", pending.lang, Style.SPEECH,
                                    message=pending.slots.get("message", ""))
        return self._say(prefix + pending.expect.value, pending.lang, style,
                         pending.conversation, expects=True, **values)

    def _say(self, key: str, lang: str, style: Style, conversation: str, *,
             expects: bool = False, **values: Any) -> Turn:
        return Turn(render(key, lang, style, **values), None, expects, conversation, lang)

    def _complete(self, intent: str, slots: dict[str, Any], text: str, lang: str, style: Style,
                  channel: str, sender: str, now: dt.datetime, conversation: str) -> Turn:
        reply = respond(intent, slots, lang=lang, style=style, now=now, state=self.state(),
                        settings=self.settings)
        message = Intent(intent=intent, slots=slots, channel=channel, sender=sender, text=text)
        _LOGGER.info("%s from %s:%s -> %s %s", text[:80], channel, sender, intent, slots)
        return Turn(reply, message, False, conversation, lang)
