"""The dialog engine: one command language for voice, SMS, push, kiosk and terminal.

`DialogEngine.handle(text, channel=, sender=, now=)` recognises the utterance (French first,
then English), follows the speaker's open conversation, and returns a `DialogTurn`: the reply
(rendered for speech or SMS) and, when a command is complete, the `Intent` to publish.
No I/O: the state of the house comes from an injected `state()` snapshot provider.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from core import devices
from core.config import Config
from core.messages.dialogs import Intent, Outcome
from dialogs import followup, partial, timers
from dialogs.conversations import Conversations, Expect, Key, Pending
from dialogs.grammar import LANGS
from dialogs.keeper import ACTED
from dialogs.recognition import Form, Language, Match, load, recognize
from dialogs.replies import CATALOGUE, Style, render
from dialogs.report import Snapshot
from dialogs.respond import describe, respond, unsupported_reply
from dialogs.settings import DialogSettings
from dialogs.slots import Refusal, canonical, vague_return
from dialogs.text import clean

_LOGGER = logging.getLogger(__name__)

TEXT_STYLES = {"sms": Style.SMS, "push": Style.SMS}
"""Channels answered in compact written form; the others get speech-style replies."""
ASKS = {"BasecampHeatingMenu": (Expect.PROFILE, "BasecampHeatingProfile")}
"""Commands that only open a question: intent -> (what is expected, intent completed)."""


ROOMED = frozenset({"HassTurnOn", "HassTurnOff", "HassClimateSetTemperature"})
"""Commands that act on a room: by SMS, the house asks which one when none is named."""


def consequential(intent: str, slots: dict[str, Any]) -> bool:
    """Commands a guess must never carry out unasked: they lock the house, force the heating,
    open it to the outside or put every light out."""
    return (intent == "BasecampLeave"
            or (intent == "BasecampHeatingProfile"
                and str(slots.get("profile", "")).startswith("force_"))
            or (intent == "BasecampRemoteAccess" and slots.get("state") == "on")
            or (intent == "HassTurnOff" and slots.get("area") == "*"))


@dataclass(frozen=True)
class DialogTurn:
    """The house's answer to one utterance."""

    reply: str
    intent: Intent | None
    """Set when a command is complete and should be published."""
    expects_answer: bool
    conversation: str
    lang: str = ""
    style: Style = Style.SPEECH
    at: dt.datetime | None = None
    """When it was said (the reply to a carried-out command is composed at that time)."""

    @property
    def acts(self) -> bool:
        """True when a service carries the command out: the reply waits for its `Outcome`."""
        return self.intent is not None and self.intent.intent in ACTED


class DialogEngine:
    """Recognisers for the house's languages plus the open conversations."""

    def __init__(self, config: Config, *, lang: str | None = None,
                 state: Callable[[], Snapshot] | None = None,
                 cache_dir: Path | None = None) -> None:
        self.config = config
        self.cache_dir = cache_dir
        """Where compiled languages are cached (None: `dialogs.cache.default_folder()`)."""
        self.settings = config.section("dialogs", DialogSettings)
        self.lang = lang or self.settings.language(config)
        self.langs = (self.lang, *(other for other in LANGS if other != self.lang))
        self.state = state or Snapshot
        self.conversations = Conversations()
        self.recent = followup.Recent(self.settings.follow_up_s)
        """Each speaker's last command, what a follow-up ("et dans la chambre ?") refers to."""
        self._recognizers: dict[str, Language] = {}

    def recognizer(self, lang: str) -> Language:
        """A language loaded for recognition (on first use, from the cache when it can)."""
        if lang not in self._recognizers:
            self._recognizers[lang] = load(self.config, lang, cache_dir=self.cache_dir)
        return self._recognizers[lang]

    def warm(self) -> None:
        """Build every language and compile its templates (seconds, once: a service calls it
        in a thread at start, so the first sentences are answered at full speed)."""
        for lang in self.langs:
            self.recognizer(lang).warm()

    def recognize(self, text: str, *, answers: bool = False,
                  langs: tuple[str, ...] | None = None,
                  context_area: str | None = None) -> tuple[Match, str] | None:
        """The intent of the text: exact in the first language that has it, else the best
        fuzzy guess of all languages, else a request the house declines."""
        langs = langs or self.langs
        if answers:
            for lang in langs:
                found = recognize(text, self.recognizer(lang), answers=True)
                if found is not None:
                    return found, lang
            return None
        forms = {lang: self.recognizer(lang).forms(text) for lang in langs}
        for lang in langs:
            found = self.recognizer(lang).exact_command(forms[lang])
            if found is not None:
                return found, lang
        found_partial = self._partial(text, langs, forms)
        if found_partial is not None:
            return found_partial
        for lang in langs:
            found = self.recognizer(lang).unknown_device(forms[lang])
            if found is not None:
                return found, lang
        guesses = [(guess, lang) for lang in langs if forms[lang]
                   if (guess := self.recognizer(lang).guess(forms[lang][0], context_area))]
        if guesses:
            return max(guesses, key=lambda g: g[0].score)
        for lang in langs:
            found = self.recognizer(lang).declined(forms[lang])
            if found is not None:
                return found, lang
        return None

    def _partial(self, text: str, langs: tuple[str, ...],
                 forms: dict[str, list[Form]]) -> tuple[Match, str] | None:
        """A command in one clause, or the first or last words, of the utterance (a guess)."""
        for lang in langs:
            recognizer = self.recognizer(lang)

            def exact(part: str, recognizer: Language = recognizer) -> Match | None:
                found = recognizer.exact_command(recognizer.forms(part))
                return found if found is not None and "what" not in found.slots else None

            if not forms[lang]:
                continue
            whole = forms[lang][0]
            taken_back = partial.correction(whole.text, lang)
            if taken_back is not None:  # "allume la cuisine, euh non, le garage"
                head, tail = taken_back
                first = exact(head) or partial.find(head, head, exact, lang)
                said = recognizer.mentions(tail, ("name", "area", "temperature", "profile"))
                fixed = partial.corrected(first, said) if first is not None else None
                if fixed is not None:
                    return fixed, lang
            found = partial.find(text, whole.text, exact, lang)
            if found is not None:
                return partial.complete(found, whole.when, recognizer.mentions(whole.text)), lang
        return None

    # ---- turns ---------------------------------------------------------------------------
    def handle(self, text: str, *, channel: str, sender: str, now: dt.datetime,
               room: str = "") -> DialogTurn:
        """Answer one utterance from a speaker on a channel (and, by voice, in a room).

        A follow-up ("et dans la chambre ?", "plus chaud") refers to the last command of the
        same speaker: same channel, sender and room.
        """
        turn = self._handle(text, channel=channel, sender=sender, now=now, room=room)
        intent = turn.intent
        if intent is not None:
            if room:
                intent = replace(intent, room=room)
                turn = replace(turn, intent=intent)
            self.recent.remember((channel, sender, room), intent.intent, intent.slots, now)
        return turn

    def _handle(self, text: str, *, channel: str, sender: str, now: dt.datetime,
                room: str) -> DialogTurn:
        key: Key = (channel, sender)
        style = TEXT_STYLES.get(channel, Style.SPEECH)
        pending = self.conversations.current(key, now)
        if len(text) > self.settings.max_input_chars:
            return self._say("too_long", pending.lang if pending else self.lang, style,
                             pending.conversation if pending else self.conversations.new_id(key),
                             expects=pending is not None)
        text = " ".join(clean(text).split())
        if pending is not None:
            return self._answer(key, pending, text, style, channel, sender, now, room)
        self.conversations.pending.pop(key, None)
        return self._command(key, text, style, channel, sender, now, room)

    def expire(self, now: dt.datetime) -> list[tuple[str, str, DialogTurn]]:
        """Close unanswered conversations: (channel, sender, turn) for each.

        Someone who said "je pars" and never answered has still left: the house goes
        away with an unknown return.
        """
        out: list[tuple[str, str, DialogTurn]] = []
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
                 now: dt.datetime, room: str = "") -> DialogTurn:
        conversation = self.conversations.new_id(key)
        if text.strip() == "?":  # the shortest SMS asking for help
            text = "help" if self.lang == "en" else "aide"
        found = self.recognize(text) if text else None
        if found is None:
            return self._say("not_understood", self.lang, style, conversation)
        match, lang = found
        if match.intent in followup.FOLLOW_UPS:
            meant = followup.resolve(self.recent.recall((channel, sender, room), now),
                                     match.intent, match.slots, setpoint=self.state().setpoint)
            if isinstance(meant, followup.Unresolved):
                return self._say(meant.reason, lang, style, conversation)
            match = replace(match, intent=meant[0], slots=meant[1])
        if match.intent in ASKS:
            expect, intent = ASKS[match.intent]
            return self._ask(key, Pending(expect, intent, conversation,
                                          self._deadline(channel, now), lang, text=text),
                             style)
        slots = canonical(match.intent, match.slots, config=self.config,
                          settings=self.settings, now=now)
        if isinstance(slots, Refusal):
            return self._refuse(slots, lang, style, conversation)
        if match.intent in timers.HANDLED:  # "pâtes", not the folded "pates"
            slots = timers.as_said_slots(slots, text)
        if match.intent in ("HassTurnOn", "HassTurnOff"):
            switched, missing = devices.reach(self.config, slots)
            if not switched:  # nothing can switch what was named: say so, do nothing
                names = ", ".join(d.name for d in missing) or describe(
                    match.intent, slots, lang=lang, now=now, settings=self.settings)
                return self._refuse(Refusal("no_driver", {"target": names}), lang, style,
                                    conversation)
        needs_return = match.intent == "BasecampLeave" and "return_at" not in slots \
            and not vague_return(match.slots)
        if match.stage == "fuzzy" and self.unsure(match, slots):
            pending = Pending(Expect.CONFIRM, match.intent, conversation,
                              self._deadline(channel, now), lang, slots=slots, text=text,
                              guessed=True, then=Expect.RETURN if needs_return else None)
            return self._ask(key, pending, style, now=now)
        if needs_return:
            return self._ask(key, Pending(Expect.RETURN, match.intent, conversation,
                                          self._deadline(channel, now), lang, text=text),
                             style)
        if style == Style.SMS and match.intent in ROOMED and "name" not in match.slots \
                and "area" not in match.slots:  # an SMS is not heard in any room
            return self._ask(key, Pending(Expect.ROOM, match.intent, conversation,
                                          self._deadline(channel, now), lang, slots=slots,
                                          text=text), style)
        if match.intent in self.settings.confirm:
            pending = Pending(Expect.CONFIRM, match.intent, conversation,
                              self._deadline(channel, now), lang, slots=slots, text=text)
            return self._ask(key, pending, style)
        return self._complete(match.intent, slots, text, lang, style, channel, sender, now,
                              conversation)

    def _answer(self, key: Key, pending: Pending, text: str, style: Style, channel: str,
                sender: str, now: dt.datetime, room: str = "") -> DialogTurn:
        found = self.recognize(text, answers=True, langs=(pending.lang,)) if text else None
        if found is not None and pending.accepts(found[0].intent):
            return self._answered(key, pending, found[0], style, channel, sender, now)
        command = self.recognize(text) if text else None
        if command is not None:
            del self.conversations.pending[key]
            if command[0].intent == "HassNevermind":
                return self._say("cancelled", pending.lang, style, pending.conversation)
            return self._command(key, text, style, channel, sender, now, room)
        if pending.retried().exhausted():
            del self.conversations.pending[key]
            if pending.expect == Expect.RETURN:
                return self._complete(pending.intent, dict(pending.slots), pending.text,
                                      pending.lang, style, channel, sender, now,
                                      pending.conversation)
            return self._say("cancelled", pending.lang, style, pending.conversation)
        return self._ask(key, pending.retried(), style, again=True)

    def _refuse(self, refusal: Refusal, lang: str, style: Style, conversation: str) -> DialogTurn:
        key = unsupported_reply(refusal.values.get("what", "")) \
            if refusal.reason == "unsupported" else refusal.reason
        return self._say(key, lang, style, conversation, **refusal.values)

    def unsure(self, match: Match, slots: dict[str, Any]) -> bool:
        """True when a fuzzy guess must be confirmed before the house acts on it."""
        return match.score < self.settings.sure_score or consequential(match.intent, slots)

    def _answered(self, key: Key, pending: Pending, match: Match, style: Style, channel: str,
                  sender: str, now: dt.datetime) -> DialogTurn:
        del self.conversations.pending[key]
        if match.intent == "AnswerNo":
            return self._say("cancelled", pending.lang, style, pending.conversation)
        if pending.then is not None:
            return self._ask(key, replace(pending, expect=pending.then, then=None,
                                          guessed=False, retries=0,
                                          deadline=self._deadline(channel, now)), style)
        slots: dict[str, Any] | Refusal = dict(pending.slots)
        if match.intent == "AnswerRoom":
            slots = {**pending.slots, "area": str(match.slots.get("area"))}
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

    def _ask(self, key: Key, pending: Pending, style: Style, *, again: bool = False,
             now: dt.datetime | None = None) -> DialogTurn:
        self.conversations.pending[key] = pending
        prefix = "ask_again_" if again else "ask_"
        values: dict[str, Any] = {}
        question = pending.expect.value
        if pending.expect == Expect.CONFIRM and pending.guessed:
            question = "guess"
            values["what"] = describe(pending.intent, pending.slots, lang=pending.lang,
                                      now=now or pending.deadline, settings=self.settings)
        elif pending.expect == Expect.CONFIRM:
            values["what"] = render("what_broadcast", pending.lang, Style.SPEECH,
                                    message=pending.slots.get("message", ""))
        elif pending.expect == Expect.ROOM:
            values["rooms"] = ", ".join(room.name for room in self.config.rooms)
        return self._say(prefix + question, pending.lang, style,
                         pending.conversation, expects=True, **values)

    def _say(self, key: str, lang: str, style: Style, conversation: str, *,
             expects: bool = False, **values: Any) -> DialogTurn:
        return DialogTurn(render(key, lang, style, **values), None, expects, conversation, lang)

    def _complete(self, intent: str, slots: dict[str, Any], text: str, lang: str, style: Style,
                  channel: str, sender: str, now: dt.datetime, conversation: str) -> DialogTurn:
        reply = respond(intent, slots, lang=lang, style=style, now=now, state=self.state(),
                        settings=self.settings)
        message = Intent(intent=intent, slots=slots, channel=channel, sender=sender, text=text)
        _LOGGER.info("%s from %s:%s -> %s %s", text[:80], channel, sender, intent, slots)
        return DialogTurn(reply, message, False, conversation, lang, style, now)

    def conclude(self, turn: DialogTurn, outcome: Outcome | None) -> DialogTurn:
        """The reply to a carried-out command, from what its service says was done (pure)."""
        if not turn.acts or turn.intent is None:
            return turn
        lang, style, now = turn.lang or self.lang, turn.style, turn.at or dt.datetime.now(dt.UTC)
        if outcome is None:
            reply = render("not_confirmed", lang, style)
        elif not outcome.done:
            reply = render(outcome.reason if outcome.reason in CATALOGUE else "refused", lang,
                           style, **{"why": outcome.reason, **outcome.values})
        else:
            slots = {**turn.intent.slots, **outcome.values}
            self.recent.settled((turn.intent.channel, turn.intent.sender, turn.intent.room),
                                turn.intent.intent, outcome.values.get("setpoint"))
            reply = respond(turn.intent.intent, slots, lang=lang, style=style, now=now,
                            state=self.state(), settings=self.settings)
        return replace(turn, reply=reply)
