"""A follow-up by voice on the running demo house: one WAV dropped into the salon's simulated
microphone says the wake word, "allume la lumière du salon", then after a pause "et dans la
chambre" with no wake word; both rooms' lights really go on (the lights service's state).

The Korean Vosk model is the only speech model here: `voice.commands` maps the two Korean
phrases it hears to the French house sentences, which go to the dialogs as if heard.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from assistant import samples
from core.messages.dialogs import Intent
from core.messages.voice import Listening, Wake
from tests.assistant.conftest import wake_pcm
from tests.e2e.house import House, running_house, wait_for
from tests.e2e.voice import MARKS, SALON, START, say_until_woken, voice_overrides, wait_listening

pytestmark = MARKS

FIRST, THEN = "불 꺼", "지금 몇 시"
"""The Korean phrases the model hears (carriers only: their meaning is set below)."""
OVERRIDES: dict[str, Any] = {"voice": voice_overrides(
    {FIRST: "allume la lumière du salon", THEN: "et dans la chambre"})}


@pytest.fixture(scope="module")
def house(tmp_path_factory: pytest.TempPathFactory) -> Iterator[House]:
    """The demo house with the salon's assistant listening to its spool."""
    def listening(h: House) -> None:
        wait_listening(h, SALON)
    with running_house(tmp_path_factory.mktemp("house"), OVERRIDES, speed=1.0, start=START,
                       ready=listening) as h:
        yield h


def lights_on(house: House) -> dict[str, bool]:
    state: dict[str, bool] = house.get("lights")["lights"]["on"]
    return state


def test_et_dans_la_chambre_without_the_wake_word(house: House) -> None:
    chambre = {d.name for d in house.config.devices if d.kind == "light"
               and d.room == "chambre"}
    assert not any(lights_on(house).get(name) for name in {*chambre, "lumière du salon"})
    said = wake_pcm() + samples.utterance(FIRST, 1.5, THEN, 1.0, voice="ko", speed=150)
    t0 = say_until_woken(house, SALON, said)
    wait_for(lambda: all(lights_on(house).get(name) for name in {*chambre,
                                                                 "lumière du salon"}),
             60, lambda: f"the salon's and the chambre's lights on: {lights_on(house)}")
    assert not lights_on(house).get("lumière de la cuisine")  # only the rooms said
    intents = [Intent.from_envelope(e) for e in house.bus.since(t0, Intent.TOPIC + ".")]
    assert [(i.intent, i.slots.get("area"), i.room) for i in intents] == \
        [("HassTurnOn", "salon", "salon"), ("HassTurnOn", "chambre", "salon")]
    assert len(house.bus.since(t0, Wake.TOPIC)) == 1  # one wake word for both commands
    opened = [Listening.from_envelope(e) for e in house.bus.since(t0, Listening.TOPIC)]
    assert [m.follow_up for m in opened if m.active][:2] == [False, True]
