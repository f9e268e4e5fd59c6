"""Sentence templates (hassil format, `sentences/<lang>/*.yaml`) and slot lists from the config.

`sentence_data(lang)` reads the YAML once; everything else is pure: slot lists built from the
house's rooms and devices, hassil `Intents` for commands and for answers, and
`expand_sentences`, every sentence the house understands (for a Vosk grammar).
"""

from __future__ import annotations

import copy
import functools
import itertools
import re
from collections.abc import Iterator
from enum import StrEnum
from importlib import resources
from typing import Any

import yaml
from hassil import Intents, RangeSlotList, SlotList, TextSlotList, merge_dict

from core.config import Config
from dialogs import ha, when
from dialogs.expand import Context, Expansion, Unexpandable, sentences
from dialogs.settings import DialogSettings
from dialogs.text import fold_template

LANGS = ("fr", "en")
DECLINE_PREFIX = "Decline"
"""Our intents named Decline* are requests the house recognises to refuse (an unknown device)."""
ANSWER_PREFIX = "Answer"
"""Intents named Answer* are only heard while a conversation waits for an answer."""
SWITCHABLE = {"light": "light", "night_light": "light", "heater": "climate"}
"""Device kind -> Home Assistant domain, for the kinds a command may switch."""
GRAMMAR_TEMPERATURES = (4, 35)
"""Temperatures spelled out in the speech grammar (the recogniser accepts any, then checks the
configured bounds; below 4, text2num leaves "un", "deux", "trois" as words)."""


OWN_RULE_PREFIX = "bc_"
"""Our expansion rules are renamed `bc_<file>_<rule>` so HA's rules of the same name keep theirs."""
_RULE_REF = re.compile(r"<(\w+)>")


class Group(StrEnum):
    """Which intents a recogniser pass looks at."""

    COMMANDS = "commands"
    """What the house does: our intents and the HA intents it serves."""
    ANSWERS = "answers"
    """Answers to the house's questions (only while a conversation waits)."""
    UNSUPPORTED = "unsupported"
    """HA intents the house recognises to decline honestly (weather, music, timers…)."""


def _own_file(stem: str, data: dict[str, Any]) -> dict[str, Any]:
    """One of our sentence files with its expansion rules renamed `bc_<file>_<rule>`, so rules
    of the same name in two files (or in HA's data) stay each their own."""
    names = set(data.get("expansion_rules", {}))
    prefix = f"{OWN_RULE_PREFIX}{stem}_"

    def rename(template: str) -> str:
        return _RULE_REF.sub(lambda m: f"<{prefix}{m.group(1)}>"
                             if m.group(1) in names else m.group(0), template)

    data["expansion_rules"] = {prefix + k: rename(v)
                               for k, v in data.get("expansion_rules", {}).items()}
    for intent in data.get("intents", {}).values():
        for block in intent.get("data", []):
            block["sentences"] = [rename(t) for t in block.get("sentences", [])]
    return data


def _own_data(lang: str) -> dict[str, Any]:
    """Our sentence files of a language merged, each file's expansion rules its own."""
    folder = resources.files("dialogs").joinpath("sentences", lang)
    merged: dict[str, Any] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            stem = entry.name.removesuffix(".yaml")
            merge_dict(merged, _own_file(stem, yaml.safe_load(entry.read_text(encoding="utf-8"))))
    return merged


@functools.cache
def sentence_data(lang: str) -> dict[str, Any]:
    """Every sentence file of a language, ours merged over HA's adapted data (read once)."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r} (known: {', '.join(LANGS)})")
    ours = _own_data(lang)
    merged = copy.deepcopy(ours)  # ours first: where both match, the house's reading wins
    merge_dict(merged, copy.deepcopy(ha.load(lang)))
    merged["lists"].update(ours.get("lists", {}))  # and the house's lists (0-999 degrees...)
    return merged


def group_of(intent_name: str, lang: str) -> Group:
    """The group an intent belongs to."""
    if is_answer(intent_name):
        return Group.ANSWERS
    if intent_name.startswith(DECLINE_PREFIX) or intent_name in ha.unsupported(ha.load(lang)):
        return Group.UNSUPPORTED
    return Group.COMMANDS


def is_answer(intent_name: str) -> bool:
    """True for the intents only heard as answers to the house's questions."""
    return intent_name.startswith(ANSWER_PREFIX)


def _fold_data(data: dict[str, Any]) -> dict[str, Any]:
    """The same sentence data with every template folded (canonical `out` values kept)."""
    data = copy.deepcopy(data)
    for intent in data.get("intents", {}).values():
        for block in intent.get("data", []):
            block["sentences"] = [fold_template(s) for s in block.get("sentences", [])]
    for lst in data.get("lists", {}).values():
        for value in lst.get("values", []) or []:
            if isinstance(value, dict):
                value["in"] = fold_template(str(value["in"]))
    data["expansion_rules"] = {k: fold_template(v)
                               for k, v in data.get("expansion_rules", {}).items()}
    data["skip_words"] = [fold_template(w) for w in data.get("skip_words", [])]
    return data


def build_intents(lang: str, group: Group = Group.COMMANDS, *, folded: bool = True) -> Intents:
    """hassil Intents of one group of a language (folded for matching)."""
    data = sentence_data(lang)
    if folded:
        data = _fold_data(data)
    data = dict(data, intents={name: body for name, body in data.get("intents", {}).items()
                               if group_of(name, lang) == group})
    return Intents.from_dict(data)


def _values(pairs: list[tuple[str, str]], folded: bool) -> TextSlotList:
    seen: dict[str, str] = {}
    for text_in, value_out in pairs:
        key = fold_template(text_in) if folded else text_in.lower()
        seen.setdefault(key, value_out)
    return TextSlotList.from_tuples(list(seen.items()), allow_template=False)


def slot_lists(config: Config, *, folded: bool = True) -> dict[str, SlotList]:
    """The house's lists: `area` (rooms + aliases), `name` (switchable devices), `climate_name`."""
    extra = config.section("dialogs", DialogSettings).aliases

    def names(thing: Any) -> tuple[str, ...]:
        return (thing.name, *thing.aliases, *extra.get(thing.name, ()))

    rooms = [(alias, room.name) for room in config.rooms for alias in names(room)]
    devices = [(alias, dev.name) for dev in config.devices if dev.kind in SWITCHABLE
               for alias in names(dev)]
    heaters = [(alias, dev.name) for dev in config.devices if dev.kind == "heater"
               for alias in names(dev)]
    return {"area": _values(rooms, folded), "name": _values(devices, folded),
            "climate_name": _values(heaters, folded)}


def _interleave(groups: list[list[str]]) -> Iterator[str]:
    """Round-robin over templates' sentences, so a limit still covers every template."""
    for row in itertools.zip_longest(*groups):
        yield from (text for text in row if text is not None)


_DIGITS = re.compile(r"\d")
NOT_SPOKEN = frozenset({"AnswerRoom"})
"""Answers only asked for in writing (the microphone's room is known): not in the grammar."""
PER_TEMPLATE = 150
"""Sentences kept per template in the speech grammar (a random sample of bigger ones)."""
FEWER = {name: 5 for name in ha.TIMER_INTENTS}
"""Intents with many templates differing only by their numbers (HA's timers: one template per
combination of hours, minutes and seconds): `PER_TEMPLATE` divided by this for each, and in a
capped grammar (`expand_sentences(limit=)`) all of an intent's templates share one template's
turn (else HA's timers would take 40 % of the speech grammar's 2 000 sentences)."""


def template_sentences(config: Config, lang: str, *, per_template: int = PER_TEMPLATE,
                       words: bool = True) -> Iterator[tuple[str, list[Expansion]]]:
    """(intent name, expansions) per template, commands then answers; wildcards skipped."""
    lists: dict[str, SlotList] = dict(slot_lists(config, folded=False))
    lo, hi = GRAMMAR_TEMPERATURES
    lists["temperature"] = RangeSlotList(name="temperature", start=lo, stop=hi)
    for group in (Group.COMMANDS, Group.ANSWERS):
        intents = build_intents(lang, group, folded=False)
        for name, intent in intents.intents.items():
            for data in intent.data:
                all_lists = {**intents.slot_lists, **data.slot_lists, **lists}
                rules = {**intents.expansion_rules, **data.expansion_rules}
                ctx = Context(all_lists, rules, words_lang=lang if words else None)
                bare = Context(all_lists, rules, words_lang=lang if words else None, bare=True)
                cap = per_template // FEWER.get(name, 1)
                for i, sentence in enumerate(data.sentences):
                    try:
                        # the plain forms first ("je pars"), then a sample of the others
                        plain = sentences(sentence.expression, bare, cap=cap // 2, seed=i)
                        yield name, plain + sentences(sentence.expression, ctx,
                                                      cap=cap - len(plain), seed=i)
                    except Unexpandable:
                        continue


def expand_sentences(config: Config, lang: str, *, limit: int | None = None) -> list[str]:
    """Every sentence the house understands in `lang`, lower case, numbers in words.

    Templates with more than `PER_TEMPLATE` variants contribute their plain forms (every
    optional word left out) and a random sample of the others; `limit` caps the total, spread
    over every template. Times come as the named ones (the placeholder is left out).
    """
    groups: list[list[str]] = []
    merged: dict[str, list[list[str]]] = {}  # the FEWER intents' templates
    place: dict[str, int] = {}  # ... take one group each, where their first template was
    for intent, expansions in template_sentences(config, lang):
        if intent in NOT_SPOKEN:
            continue
        texts = [" ".join(text.lower().split()) for text, _ in expansions]
        if intent in FEWER:
            if intent not in place:
                place[intent] = len(groups)
                groups.append([])
            merged.setdefault(intent, []).append(texts)
            continue
        groups.append(texts)
    for intent, index in place.items():
        groups[index] = list(_interleave(merged[intent]))
    seen: dict[str, None] = {}
    for sentence in _interleave(groups):
        if sentence and not _DIGITS.search(sentence) and "°" not in sentence \
                and when.PLACEHOLDER not in sentence and sentence not in seen:
            seen[sentence] = None
            if limit is not None and len(seen) >= limit:
                break
    return list(seen)
