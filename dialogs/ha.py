"""Home Assistant's sentence data (the `home-assistant-intents` package) for the house.

HA's French and English templates, expansion rules and skip words are the community's work on
how people ask a house for things; Basecamp recognises its shared intents with them rather than
with sentences of its own. `adapt` is pure: it keeps the intents the house serves (`SERVED`),
keeps the others as `UNSUPPORTED` (so "quel temps fait-il" is recognised and honestly declined
instead of guessed at), drops the templates whose targets the house has not (floors, covers,
fans, locks, scenes…), narrows `{name}` to heaters where HA asks for a climate entity, and
removes the few sentences where the house decides otherwise (`DECISIONS`). `load(lang)` reads
the package. The data is © Home Assistant contributors, CC BY 4.0 (credited in the README).
"""

from __future__ import annotations

import copy
import functools
import re
from typing import Any

TIMER_INTENTS = ("HassStartTimer", "HassCancelTimer", "HassIncreaseTimer", "HassDecreaseTimer",
                 "HassPauseTimer", "HassUnpauseTimer", "HassTimerStatus", "HassCancelAllTimers")
"""HA's timer intents: the timers service (`dialogs.timers_service`) carries them out."""
SERVED = ("HassTurnOn", "HassTurnOff", "HassClimateSetTemperature",
          "HassClimateGetTemperature", "HassGetCurrentTime", "HassGetCurrentDate",
          "HassNevermind", "HassBroadcast", *TIMER_INTENTS)
"""HA intents the house carries out."""

HOUSE_LISTS = frozenset({"area", "name", "climate_name", "temperature", "message"})
"""Lists the house fills (rooms, devices) or defines; HA's other lists stay HA's."""
HOUSE_DOMAINS = frozenset({"light", "climate", "switch"})
"""Device domains the house has (`switch`: HA's generic on/off device)."""
HOUSE_FREE_LISTS = frozenset({"floor", "zone", "timer_command"})
"""HA lists the house has no values for: templates needing them are dropped (`timer_command`:
a command run when a timer ends, "dans dix minutes éteins la lumière" — the house does not
defer commands; such sentences are not read as timers)."""

DECISIONS: dict[str, dict[str, str]] = {
    "fr": {
        "chut": "HassNevermind -> BasecampSilence: the owner's silence words (SPEC: « Silence »"
                " puts the house in silence mode); here they mute the house, not cancel",
        "tais toi": "HassNevermind -> BasecampSilence (as « chut »)",
        "tais-toi": "HassNevermind -> BasecampSilence (as « chut »)",
        "silence": "HassNevermind -> BasecampSilence (the owner's own word for silence mode)",
        "(jour|jours)": "HassTurnOn dropped: one word alone is too easily a slip of speech "
                        "to light the house",
        "(nuit|nuits)": "HassTurnOff dropped: « nuit » alone is heard in « bonne nuit » "
                        "(going to bed, BasecampSleep), not a light switch",
    },
    "en": {
        "silence": "HassNevermind -> BasecampSilence (the owner's word for silence mode)",
        "shut up": "HassNevermind -> BasecampSilence: a request for quiet",
        "be quiet": "HassNevermind -> BasecampSilence: a request for quiet",
        "quiet": "HassNevermind -> BasecampSilence: a request for quiet",
    },
}
"""Template -> why the house drops HA's sentence (the decision is written once, here)."""

_LIST_REF = re.compile(r"\{(\w+)(?::\w+)?\}")


def _domains(block: dict[str, Any]) -> set[str] | None:
    """The device domains a template block is about (None: not about devices)."""
    domain = (block.get("slots") or {}).get("domain")
    if domain is not None:
        return set(domain) if isinstance(domain, list) else {domain}
    required = (block.get("requires_context") or {}).get("domain")
    if required is not None:
        return set(required) if isinstance(required, list) else {required}
    return None


def _usable(sentence: str, lists: set[str]) -> bool:
    return all(name in lists for name in _LIST_REF.findall(sentence))


def _block(block: dict[str, Any], dropped: dict[str, str], lists: set[str],
           served: bool) -> dict[str, Any] | None:
    """One template block as the house uses it, or None if it is about what it has not."""
    domains = _domains(block)
    if served and domains is not None and not domains & HOUSE_DOMAINS:
        return None
    out = copy.deepcopy(block)
    sentences = [s for s in out.get("sentences", []) if s not in dropped and _usable(s, lists)]
    if not sentences:
        return None
    if served and domains == {"climate"} and "name" not in (out.get("slots") or {}):
        sentences = [s.replace("{name}", "{climate_name:name}") for s in sentences]
    out["sentences"] = sentences
    if served and (out.get("metadata") or {}).get("slot_combination", "").endswith("_all"):
        out["slots"] = {**(out.get("slots") or {}), "area": "*"}  # "partout": every room
    out.pop("requires_context", None)  # the area comes from the device that heard (canonical)
    out.pop("excludes_context", None)
    out.pop("response", None)
    return out


def adapt(data: dict[str, Any], lang: str) -> dict[str, Any]:
    """HA's data for one language, narrowed to the house (pure; see the module docstring)."""
    lists = (set(data.get("lists", {})) | HOUSE_LISTS) - HOUSE_FREE_LISTS
    dropped = DECISIONS.get(lang, {})
    intents: dict[str, Any] = {}
    for name, intent in data.get("intents", {}).items():
        served = name in SERVED
        blocks = [b for block in intent.get("data", [])
                  if (b := _block(block, dropped, lists, served)) is not None]
        for block in blocks:
            if not served:
                block["slots"] = {"what": name}
        if blocks:
            intents[name] = {"data": blocks}
    return {"language": lang, "intents": intents,
            "lists": {k: v for k, v in data.get("lists", {}).items() if k not in HOUSE_FREE_LISTS},
            "expansion_rules": dict(data.get("expansion_rules", {})),
            "skip_words": list(data.get("skip_words", []))}


def unsupported(data: dict[str, Any]) -> frozenset[str]:
    """The HA intents of adapted data the house recognises but does not carry out."""
    return frozenset(name for name in data.get("intents", {}) if name not in SERVED)


@functools.cache
def load(lang: str) -> dict[str, Any]:
    """HA's sentence data for a language, adapted (read once from the package)."""
    from home_assistant_intents import get_intents
    data = get_intents(lang)
    if data is None:
        raise ValueError(f"home-assistant-intents has no sentences for {lang!r}")
    return adapt(data, lang)
