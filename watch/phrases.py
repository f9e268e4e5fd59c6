"""What the sentinel writes in its alerts, in French first and English second [pure].

The house's language (`house.lang`) picks the words; an unknown language gets French. The
subjects' labels come from the policy (`watch.policy`).
"""

from __future__ import annotations

_TEXTS: dict[str, dict[str, str]] = {
    "problem": {"fr": "PROBLÈME", "en": "PROBLEM"},
    "reminder": {"fr": "RAPPEL", "en": "REMINDER"},
    "recovery": {"fr": "RÉTABLI", "en": "RECOVERED"},
    "flapping": {"fr": " (instable)", "en": " (flapping)"},
    "services": {"fr": "{count} services sur {machine} ({names})",
                 "en": "{count} services on {machine} ({names})"},
}
"""key -> lang -> text; the notices' keys are `rules.Notice` values."""


def text(key: str, lang: str = "fr", **values: object) -> str:
    """The phrase `key` in `lang` (French when the language is unknown), filled in."""
    forms = _TEXTS[key]
    return forms.get(lang, forms["fr"]).format(**values)
