"""Home tiles: pure text of a Screen, in French and English, with stale and bad data."""

from __future__ import annotations

import pytest

from core.messages.heating import HeatingState
from core.messages.lightpack import LightpackState
from core.messages.nightlight import NightLightState
from core.messages.presence import ModeChanged
from core.messages.sensors import MutaUpdate, PowerUpdate, WaterUpdate
from core.messages.voice import Transcript, Wake
from core.messages.watch import Alert, PowerState
from kiosk.settings import KioskSettings
from kiosk.texts import Texts
from kiosk.tiles import Context, banner, exchange_tile, home
from kiosk.view_model import Screen, fold, fold_all, request
from tests.kiosk.helpers import SILENT_S, T0, at, env, raw

HOUSE = [
    env(ModeChanged("cocoon", "2024-03-12T08:30:00+01:00", "voice")),
    env(HeatingState("force_comfort", 21.5, True, "salon", 19.8, "2024-03-12T18:00:00+01:00")),
    env(NightLightState("auto", False, True)),
    env(LightpackState("warm_white", [255, 180, 100], overlay="orange")),
    env(MutaUpdate("salon", 1, temperature=19.8, humidity=45.0)),
    env(MutaUpdate("exterieur", 1, temperature=-2.5, light=1200.0)),
    env(PowerUpdate(1500.0, index_wh={"BASE": 1000})),
    env(PowerUpdate(1500.0, index_wh={"BASE": 4250})),
    env(WaterUpdate(12.0, 60, 12.0)),
]


def ctx(now=T0, lang="fr") -> Context:
    return Context(now, KioskSettings(), Texts(lang), SILENT_S)


def test_the_home_screen_in_french() -> None:
    tiles = home(fold_all(Screen(), HOUSE, T0), ctx())
    assert (tiles["mode"].value, tiles["mode"].detail) == ("Cocon", "depuis 08:30, à la voix")
    assert tiles["clock"].value == "14:00" and tiles["clock"].title == "Mardi 12 mars"
    assert tiles["indoor"].value == "19,8 °C" and tiles["indoor"].detail == "45 %"
    assert tiles["outdoor"].value == "-2,5 °C" and "1200 lx" in tiles["outdoor"].detail
    assert tiles["bedroom"].state == "none" and tiles["bedroom"].detail == "pas de données"
    assert tiles["heating"].value == "confort forcé"
    assert tiles["heating"].detail == "consigne 21,5 °C · chauffe · jusqu'à 18:00"
    assert tiles["night_light"].value == "éteinte" and tiles["night_light"].detail == "mode auto"
    assert tiles["lightpack"].colour == "#ffb464" and tiles["lightpack"].state == "warn"
    assert tiles["power"].value == "1500 VA" and tiles["power"].detail == "3,25 kWh aujourd'hui"
    assert tiles["water"].value == "12 L"


def test_english() -> None:
    tiles = home(fold_all(Screen(), HOUSE, T0), ctx(lang="en"))
    assert tiles["mode"].value == "Cocoon" and tiles["mode"].detail == "since 08:30, by voice"
    assert tiles["indoor"].value == "19.8 °C" and tiles["clock"].title == "Tuesday 12 March"


def test_old_data_says_no_data_since() -> None:
    s = fold_all(Screen(), HOUSE, T0)
    tiles = home(s, ctx(now=at(16)))  # stale_after_s = 900
    assert tiles["indoor"].state == "stale"
    assert tiles["indoor"].detail == "pas de données depuis 14:00"
    assert tiles["mode"].state == "ok"  # a mode does not go stale: it changes when it changes


@pytest.mark.parametrize("topic,data,tile", [
    ("basecamp.presence.mode", {"mode": "party", "since": "x", "changed_by": "voice"}, "mode"),
    ("basecamp.heating.state", {"profile": "eco"}, "heating"),
    ("basecamp.muta.update", {"unit": "salon", "seq": "x"}, "indoor"),
])
def test_a_rejected_message_shows_no_data_since_the_last_good_one(topic, data, tile) -> None:
    s = fold(fold_all(Screen(), HOUSE, T0), raw(topic, data), at(1))
    view = home(s, ctx(now=at(2)))[tile]
    assert view.state == "stale" and view.detail == "pas de données depuis 14:00"


def test_a_pending_request_shows_until_confirmed() -> None:
    s = request(fold_all(Screen(), HOUSE, T0), "mode", "lockout", at(1))
    assert home(s, ctx())["mode"].value == "Cocon"
    assert home(s, ctx())["mode"].detail == "demandé : Absence…"
    s = fold(s, env(ModeChanged("lockout", at(1).isoformat(), "kiosk")), at(1))
    assert home(s, ctx(now=at(1)))["mode"].value == "Absence"
    assert home(s, ctx(now=at(1)))["mode"].detail == "depuis 14:01, sur l'écran"


def test_exchange_shows_while_active() -> None:
    s = fold_all(Screen(), [env(Wake("ok")), env(Transcript("rapport complet"))], T0)
    assert exchange_tile(s, ctx()).value == "« rapport complet »"
    assert exchange_tile(s, ctx(now=at(2))) is None


def test_banner_for_incidents_blackout_and_silent_bus() -> None:
    s = fold_all(Screen(), HOUSE, T0)
    assert banner(s, ctx()) is None
    s = fold(s, env(Alert("svc:x", "minor", "problem", "disque plein")), T0)
    assert banner(s, ctx()).value == "1 incident en cours — disque plein"
    two = fold(s, env(Alert("svc:y", "minor", "problem", "pile faible")), T0)
    assert banner(two, ctx()).value.startswith("2 incidents en cours — ")
    from kiosk.texts import Texts  # the language's own plural rule (CLDR)
    assert Texts("fr").plural("incidents", 0) == "0 incident en cours"
    assert Texts("en").plural("incidents", 0) == "0 open incidents"
    assert Texts("en").plural("incidents", 1) == "1 open incident"
    s = fold(s, env(PowerState("BLACKOUT", "2024-03-12T13:58:00+01:00")), T0)
    assert banner(s, ctx()).state == "bad" and "Coupure secteur 13:58" in banner(s, ctx()).value
    assert "Bus muet depuis 14:00" in banner(s, ctx(now=at(5))).value
