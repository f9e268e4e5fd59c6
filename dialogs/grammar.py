"""Sentence templates (hassil format, `sentences/<lang>/*.yaml`) and slot lists from the config.

`sentence_data(lang)` reads the YAML once; everything else is pure: slot lists built from the
house's rooms and devices, hassil `Intents` for commands and for answers, and
`expand_sentences`, every sentence the house understands (for a Vosk grammar).
"""

from __future__ import annotations

import copy
import functools
import itertools
import logging
import re
from collections.abc import Iterator
from importlib import resources
from typing import Any

import yaml
from hassil import Intents, RangeSlotList, SlotList, TextSlotList, merge_dict

from dialogs.expand import Context, Expansion, Unexpandable, sentences
from dialogs.settings import DialogSettings
from dialogs.text import fold_template

_LOGGER = logging.getLogger(__name__)

LANGS = ("fr", "en")
ANSWER_PREFIX = "Answer"
"""Intents named Answer* are only heard while a conversation waits for an answer."""
SWITCHABLE = {"light": "light", "night_light": "light", "heater": "climate"}
"""Device kind -> Home Assistant domain, for the kinds a command may switch."""
GRAMMAR_TEMPERATURES = (0, 40)
"""Temperatures spelled out in the speech grammar (the recogniser accepts any, then checks)."""


@functools.cache
def sentence_data(lang: str) -> dict[str, Any]:
    """All sentence files of a language merged into one hassil dict (read once)."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r} (known: {', '.join(LANGS)})")
    folder = resources.files("dialogs").joinpath("sentences", lang)
    merged: dict[str, Any] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            merge_dict(merged, yaml.safe_load(entry.read_text(encoding="utf-8")))
    return merged


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


def build_intents(lang: str, *, answers: bool, folded: bool = True) -> Intents:
    """hassil Intents for a language: the commands, or the answers (folded for matching)."""
    data = sentence_data(lang)
    if folded:
        data = _fold_data(data)
    data = dict(data, intents={name: body for name, body in data.get("intents", {}).items()
                               if is_answer(name) == answers})
    return Intents.from_dict(data)


def _values(pairs: list[tuple[str, str]], folded: bool) -> TextSlotList:
    seen: dict[str, str] = {}
    for text_in, value_out in pairs:
        key = fold_template(text_in) if folded else text_in.lower()
        seen.setdefault(key, value_out)
    return TextSlotList.from_tuples(list(seen.items()), allow_template=False)


def slot_lists(config: Any, *, folded: bool = True) -> dict[str, SlotList]:
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
PER_TEMPLATE = 400
"""Sentences kept per template in the speech grammar (a random sample of bigger ones)."""


def template_sentences(config: Any, lang: str, *, per_template: int = PER_TEMPLATE,
                       words: bool = True) -> Iterator[tuple[str, list[Expansion]]]:
    """(intent name, expansions) per template, commands then answers; wildcards skipped."""
    lists: dict[str, SlotList] = dict(slot_lists(config, folded=False))
    lo, hi = GRAMMAR_TEMPERATURES
    lists["temperature"] = RangeSlotList(name="temperature", start=lo, stop=hi)
    for answers in (False, True):
        intents = build_intents(lang, answers=answers, folded=False)
        for name, intent in intents.intents.items():
            for data in intent.data:
                ctx = Context({**intents.slot_lists, **data.slot_lists, **lists},
                              {**intents.expansion_rules, **data.expansion_rules},
                              words_lang=lang if words else None)
                for i, sentence in enumerate(data.sentences):
                    try:
                        yield name, sentences(sentence.expression, ctx, cap=per_template,
                                              seed=i)
                    except Unexpandable:
                        continue


def expand_sentences(config: Any, lang: str, *, limit: int | None = None) -> list[str]:
    """Every sentence the house understands in `lang`, lower case, numbers in words.

    Templates with more than `PER_TEMPLATE` variants contribute a random sample of that many
    (all their words are still heard); `limit` caps the total, spread over every template.
    """
    groups = [[" ".join(text.lower().split()) for text, _ in expansions]
              for _, expansions in template_sentences(config, lang)]
    seen: dict[str, None] = {}
    for sentence in _interleave(groups):
        if sentence and not _DIGITS.search(sentence) and "°" not in sentence \
                and sentence not in seen:
            seen[sentence] = None
            if limit is not None and len(seen) >= limit:
                break
    return list(seen)
