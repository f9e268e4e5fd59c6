"""Touch controls publish the same intents as the voice and SMS paths."""

from __future__ import annotations

import pytest

from core.messages.nightlight import NightLightMode
from core.messages.presence import ModeChanged, PirMotion
from kiosk.blanking import should_blank
from kiosk.intents import heating_intent, mode_intent, night_light_request, silence_intent
from kiosk.settings import KioskSettings
from kiosk.view_model import Screen, fold
from tests.kiosk.helpers import T0, at, env


@pytest.mark.parametrize("target,current,intent", [
    ("lockout", "cocoon", "BasecampLeave"), ("asleep", "cocoon", "BasecampSleep"),
    ("cocoon", "lockout", "BasecampReturn"), ("cocoon", "asleep", "BasecampWake"),
    ("cocoon", None, "BasecampReturn")])
def test_mode_intents(target, current, intent) -> None:
    msg = mode_intent(target, current)
    assert (msg.intent, msg.channel, msg.topic()) == (intent, "kiosk", f"basecamp.intent.{intent}")


def test_heating_intent_expiry_only_for_forced_profiles() -> None:
    assert heating_intent("force_eco", 4, T0).slots == {"profile": "force_eco",
                                                        "until": "2024-03-12T18:00+01:00"}
    assert heating_intent("work_week", 4, T0).slots == {"profile": "work_week"}
    assert heating_intent("force_comfort", 0, T0).slots == {"profile": "force_comfort"}


def test_night_light_and_silence() -> None:
    on = night_light_request("on", "veilleuse")
    assert (on.intent, on.slots) == ("HassTurnOn", {"name": "veilleuse", "domain": "night_light"})
    assert night_light_request("off", "veilleuse").intent == "HassTurnOff"
    assert night_light_request("auto", "veilleuse") == NightLightMode("auto", "kiosk")
    assert silence_intent(True).slots == {"state": "on"}
    with pytest.raises(ValueError):
        night_light_request("blink", "veilleuse")


def test_blanking() -> None:
    cfg = KioskSettings(blank_after_s=300)
    cocoon = fold(Screen(), env(ModeChanged("cocoon", "x", "voice")), T0)
    assert not should_blank(cocoon, at(4), T0, cfg)
    assert should_blank(cocoon, at(6), T0, cfg)
    assert not should_blank(cocoon, at(6), at(2), cfg)  # touched at 14:02
    asleep = fold(cocoon, env(ModeChanged("asleep", "x", "voice")), at(10))
    assert not should_blank(asleep, at(10.2), T0, cfg)
    assert should_blank(asleep, at(11), T0, cfg)
    woken = fold(asleep, env(PirMotion("kiosk", 1)), at(20))
    assert not should_blank(woken, at(20.3), T0, cfg)
    other = fold(asleep, env(PirMotion("entry", 1)), at(20))
    assert should_blank(other, at(20.3), T0, cfg)
