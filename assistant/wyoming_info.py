"""What the Wyoming server offers, as the protocol's `Info` (pure: built from what loaded).

Each program is listed only when it can answer: a recogniser without its model, or a wake
engine whose package is missing, is left out (and said on /status) rather than advertised and
then failing in the middle of a voice pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from wyoming.info import (
    AsrModel,
    AsrProgram,
    Attribution,
    HandleModel,
    HandleProgram,
    Info,
    IntentModel,
    IntentProgram,
    TtsProgram,
    TtsVoice,
    WakeModel,
    WakeProgram,
)

import core

ATTRIBUTION = ("Basecamp", "")
"""Our own programs (no public address to give)."""
ENGINE_ATTRIBUTION = {
    "vosk": ("Alpha Cephei (Vosk)", "https://alphacephei.com/vosk/"),
    "porcupine": ("Picovoice (Porcupine)", "https://picovoice.ai/"),
    "microwakeword": ("Kevin Ahrendt (microWakeWord)",
                      "https://github.com/kahrendt/microWakeWord"),
    "espeak-ng": ("eSpeak NG", "https://github.com/espeak-ng/espeak-ng"),
}
WAKE_LANGS = {"porcupine": "en", "microwakeword": "en"}
"""Languages of the built-in keywords (Vosk keywords are in its model's language)."""


@dataclass(frozen=True)
class Offer:
    """What loaded at start: the inputs of `describe`."""

    asr_model: str = ""
    """The Vosk model folder's name ("" = no speech to text)."""
    asr_lang: str = "fr"
    tts_voices: tuple[str, ...] = ()
    """espeak-ng voices the house speaks with (the first is the default)."""
    wake: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Wake engine -> its keywords, for the engines that loaded."""
    intent_langs: tuple[str, ...] = ()
    """Languages the dialogs understand ("" = no intent recognition here)."""
    handle: bool = True
    """The dialogs service is placed in the house (it answers "handle")."""


def describe(offer: Offer) -> Info:
    """The `Info` message for `offer`."""
    ours = Attribution(*ATTRIBUTION)
    version = core.__version__
    info = Info()
    if offer.asr_model:
        info.asr.append(AsrProgram(
            name="basecamp-stt", attribution=ours, installed=True, version=version,
            description="Vosk restricted to the sentences the house understands",
            models=[AsrModel(name=offer.asr_model, languages=[offer.asr_lang], installed=True,
                             attribution=Attribution(*ENGINE_ATTRIBUTION["vosk"]),
                             description=f"Vosk model {offer.asr_model} with the house grammar",
                             version=None)]))
    if offer.tts_voices:
        info.tts.append(TtsProgram(
            name="basecamp-voice", attribution=ours, installed=True, version=version,
            description="The house's voice (pyttsx3 / espeak-ng, sox effects)",
            voices=[TtsVoice(name=v, languages=[v.split("-")[0]], installed=True,
                             attribution=Attribution(*ENGINE_ATTRIBUTION["espeak-ng"]),
                             description=f"espeak-ng {v}", version=None)
                    for v in offer.tts_voices]))
    if offer.wake:
        info.wake.append(WakeProgram(
            name="basecamp-wake", attribution=ours, installed=True, version=version,
            description="The house's wake word engines: " + ", ".join(offer.wake),
            models=[WakeModel(name=keyword, phrase=keyword.replace("_", " "),
                              languages=[WAKE_LANGS.get(engine, offer.asr_lang)],
                              installed=True, version=None, description=engine,
                              attribution=Attribution(*ENGINE_ATTRIBUTION[engine]))
                    for engine, keywords in offer.wake.items() for keyword in keywords]))
    if offer.handle:
        info.handle.append(HandleProgram(
            name="basecamp", attribution=ours, installed=True, version=version,
            description="Basecamp as a conversation agent: the house carries the command "
                        "out and answers", supports_home_control=True,
            models=[HandleModel(name="basecamp-dialogs", languages=["fr", "en"],
                                installed=True, attribution=ours, version=version,
                                description="The house's dialogs (every rule applies)")]))
    if offer.intent_langs:
        info.intent.append(IntentProgram(
            name="basecamp-intents", attribution=ours, installed=True, version=version,
            description="Text to intent name and slots (recognised only, not carried out)",
            models=[IntentModel(name="basecamp-sentences", languages=list(offer.intent_langs),
                                installed=True, attribution=ours, version=version,
                                description="Home Assistant's sentences and the house's")]))
    return info
