"""End-to-end scenarios on the whole demo house, driven only through its real interfaces.

One house for the module: `basecamp up` (a supervisord per machine, every service on its
simulator, Gammu's dummy phone) in accelerated simulated time — $BASECAMP_CLOCK, set by the
test itself so that its `basecamp chat` commands share the house's time (what
`basecamp up --clock N --start ISO` sets for the services alone). The scenarios run in file order
and leave the house as they found it (home, no open incident), except the last one (a leak
stays a leak until the next night).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.messages.presence import ModeChanged
from core.messages.voice import Say
from core.messages.watch import Alert, PowerState
from core.metrics import Point, open_store, to_line
from tests.e2e.house import House, parse_time, running_house, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]

TZ = ZoneInfo("Europe/Paris")
SPEED = 20.0
"""Simulated seconds per wall second: the 2 min after a blackout pass in 6 s."""
START = dt.datetime(2026, 3, 7, 10, 0, tzinfo=TZ)
"""A Saturday morning."""
OWNER, FAMILY, STRANGER = "+33600000001", "+33600000002", "+33699999999"
OVERRIDES: dict[str, Any] = {
    # a check cycle every 0.75 s (machine time, 15 simulated seconds): the heater's restart is
    # seen; supervisord's port stands for the machine (no ping per machine per cycle);
    # heartbeats keep their real pace and tolerance (10 s, 35 s: machine time too)
    "watch": {"interval_s": 0.75, "machine_check": "tcp"},
    "sms": {"poll_s": 0.2,  # wall seconds between two looks at the dummy phone
            # the GSM signal is measured every signal_every_s of machine time and found silent
            # after 900 s of house time (45 s here): measured often enough for that
            "signal_every_s": 10.0},
    "heating": {"comfort": 22.0},  # above the simulated ~19 °C: comfort means the relay is on
    # a follow-up refers to the command before it for 60 s of the speaker's time: 1200 s of
    # house time at this speed (60 s of it would be 3 s here, less than one loaded round trip)
    "dialogs": {"follow_up_s": 1200.0},
}


@pytest.fixture(scope="module")
def house(tmp_path_factory: pytest.TempPathFactory) -> Iterator[House]:
    """The running demo house, quiet (all alive, no incident), stopped by SIGTERM at the end."""
    def quiet(h: House) -> None:
        wait_for(lambda: (s := h.get("watch")["watch"])["cycle"] >= 3 and not s["incidents"],
                 60, "a sentinel cycle without open incident")
        wait_for(lambda: h.get("sms")["sms"]["queued"] == 0, 30, "the SMS outbox to drain")
    with running_house(tmp_path_factory.mktemp("house"), OVERRIDES, speed=SPEED, start=START,
                       ready=quiet) as h:
        yield h
    leftovers = [p for p in _processes() if str(h.file) in p]
    assert not leftovers, f"processes left running after basecamp up stopped: {leftovers}"


def _processes() -> list[str]:
    out = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                out.append(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
                           .decode(errors="replace"))
            except OSError:
                continue
    return out


def modes(house: House) -> dict[str, Any]:
    presence: dict[str, Any] = house.get("modes")["presence"]
    return presence


def heating(house: House) -> dict[str, Any]:
    state: dict[str, Any] = house.get("heater")["heating"]
    return state


def screen(house: House) -> dict[str, Any]:
    shown: dict[str, Any] = house.get("kiosk")["screen"]
    return shown


def mode_changes(house: House, since: float) -> list[ModeChanged]:
    return [ModeChanged.from_envelope(e) for e in house.bus.since(since, ModeChanged.TOPIC)]


def alerts(house: House, since: float) -> list[Alert]:
    return [Alert.from_envelope(e) for e in house.bus.since(since, Alert.TOPIC)]


def tomorrow_evening(house: House) -> dt.datetime:
    """"demain soir" as the house understands it: tomorrow at 19:00."""
    day = house.now().astimezone(TZ).date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(19, 0), TZ)


def assert_home(house: House) -> None:
    """Cocoon again: the absence's force_eco is dropped, the kiosk says so."""
    wait_for(lambda: modes(house)["mode"] == "cocoon", 30, "cocoon")
    wait_for(lambda: (h := heating(house))["mode"] == "cocoon" and not h["force"], 20,
             "the heater back from its absence profile")
    wait_for(lambda: screen(house)["mode"] == "cocoon", 20, "the kiosk back to cocoon")


def assert_locked_out(house: House, since: float, changed_by: str) -> None:
    """Lockout until tomorrow evening, force_eco until an hour before, on every observer."""
    back = tomorrow_evening(house)
    change = wait_for(lambda: [m for m in mode_changes(house, since) if m.mode == "lockout"],
                      20, "ModeChanged lockout on the bus")[0]
    assert change.changed_by == changed_by
    assert change.return_at is not None and parse_time(change.return_at) == back
    presence = modes(house)
    assert presence["mode"] == "lockout" and parse_time(presence["return_at"]) == back
    heat = wait_for(lambda: (h := heating(house))["force"] == "force_eco" and h, 20,
                    "the heater forced to eco")
    assert parse_time(heat["force_until"]) == back - dt.timedelta(hours=1)
    assert heat["setpoint"] == 17.0 and heat["mode"] == "lockout"
    shown = wait_for(lambda: (s := screen(house))["mode"] == "lockout" and s, 20,
                     "the kiosk showing lockout")
    assert shown["tiles"]["mode"]["value"] == "Absence"
    assert "17,0 °C" in shown["tiles"]["heating"]["detail"]
    wait_for(lambda: [e for e in house.logbook() if e["service"] == "modes"
                      and e["message"].startswith(f"mode lockout ({changed_by}")], 20,
             "the mode change in the logbook")


# ---- 1. "je pars" in a terminal ----------------------------------------------------------
def test_leaving_by_chat_locks_the_house_and_forces_eco(house: House) -> None:
    since = time.time()
    out = house.basecamp("chat", stdin="je pars\nje reviens demain soir\n")
    assert out.returncode == 0, out.stderr
    ask, done = out.stdout.splitlines()
    assert ask == "Tu reviens quand ?"
    assert done.startswith("OK, je surveille en ton absence. Bonne ")
    assert out.stderr == ""  # the bus answered: the intent was published
    assert_locked_out(house, since, "terminal")
    out = house.basecamp("chat", stdin="je suis revenu\n")
    assert out.returncode == 0 and out.stderr == "", out.stderr
    assert_home(house)


# ---- 2. the same by SMS ------------------------------------------------------------------
def test_leaving_by_sms_answers_by_sms(house: House) -> None:
    since, sent = time.time(), len(house.sms_sent())
    house.receive_sms(OWNER, "Je pars")
    replies = wait_for(lambda: house.sms_sent()[sent:], 30, "the SMS reply to 'je pars'")
    assert [(r["number"], r["text"]) for r in replies] == [
        (OWNER, "Retour quand ? (ce soir, demain matin, dans 3 jours, je ne sais pas)")]
    house.receive_sms(OWNER, "demain soir")
    replies = wait_for(lambda: house.sms_sent()[sent + 1:], 30, "the SMS reply to the return")
    assert [(r["number"], r["text"]) for r in replies] == [
        (OWNER, "OK, mode absence. Retour : demain à 19:00.")]
    assert_locked_out(house, since, "sms")
    house.receive_sms(FAMILY, "je suis revenu")  # may not command: a message, kept for later
    house.receive_sms(STRANGER, "je suis revenu")  # unknown: refused
    house.receive_sms(OWNER, "je suis revenu")
    assert_home(house)
    replies = wait_for(lambda: house.sms_sent()[sent + 2:], 30, "the SMS reply to the return")
    assert [r["number"] for r in replies] == [OWNER], replies
    wait_for(lambda: [e for e in house.logbook() if e["service"] == "sms"
                      and STRANGER in e["message"]], 20, "the refused SMS in the logbook")
    wait_for(lambda: [e for e in house.logbook() if e["service"] == "sms"
                      and "Claire" in e["message"]], 20, "the family's SMS passed on")
    modes_by_sms = [m.mode for m in mode_changes(house, since) if m.changed_by == "sms"]
    assert [m for i, m in enumerate(modes_by_sms) if modes_by_sms[i - 1:i] != [m]] == [
        "lockout", "cocoon"]  # (the modes service also republishes its state every minute)
    assert not os.listdir(house.phone() / "sms" / "1")  # every SMS taken off the SIM


# ---- 3. a blackout -----------------------------------------------------------------------
def test_blackout_one_sms_then_recovery_after_two_minutes(house: House) -> None:
    mains = house.config.path("power/mains")
    mains.parent.mkdir(parents=True, exist_ok=True)
    since, sent = time.time(), len(house.sms_sent())
    mains.write_text("0\n")
    lost = wait_for(lambda: [PowerState.from_envelope(e) for e in
                             house.bus.since(since, PowerState.TOPIC)], 30, "BLACKOUT")
    assert [p.state for p in lost] == ["BLACKOUT"]
    sms = wait_for(lambda: house.sms_sent()[sent:], 30, "the blackout SMS")
    report = house.get("watch", "/status_report")
    assert report["power"]["state"] == "BLACKOUT"
    logbook_check = report["machines"]["bc-hq"]["services"]["logbook"]["last_check"]
    cycle = house.get("watch")["watch"]["cycle"]
    wait_for(lambda: house.get("watch")["watch"]["cycle"] >= cycle + 8, 30, "8 more cycles")
    assert house.sms_sent()[sent:] == sms and len(sms) == 1, "one SMS for a blackout"
    assert "coupure" in sms[0]["text"].lower() or "secteur" in sms[0]["text"].lower()
    report = house.get("watch", "/status_report")
    assert report["machines"]["bc-hq"]["services"]["logbook"]["last_check"] == logbook_check, \
        "only mains is watched during a blackout"
    assert {a.key for a in alerts(house, since)} == {"power:mains"}

    back_at = time.time()
    mains.write_text("1\n")
    state = wait_for(lambda: [p for e in house.bus.since(back_at, PowerState.TOPIC)
                              if (p := PowerState.from_envelope(e)).state == "POWER_OK"],
                     30, "POWER_OK")[0]
    returned = parse_time(state.since)
    recovery = wait_for(lambda: house.sms_sent()[sent + 1:], 30, "the recovery SMS")
    assert len(recovery) == 1

    def resumed() -> dt.datetime | None:
        check = house.get("watch", "/status_report")["machines"]["bc-hq"]["services"][
            "logbook"]["last_check"]
        return parse_time(check) if check != logbook_check else None
    first_normal = wait_for(resumed, 30, "normal checks to resume")
    assert (first_normal - returned).total_seconds() >= 120, "machines get 2 min to reboot"
    cycle = house.get("watch")["watch"]["cycle"]
    wait_for(lambda: house.get("watch")["watch"]["cycle"] >= cycle + 4, 30, "4 normal cycles")
    assert len(house.sms_sent()) == sent + 2, "nothing else said after the blackout"
    assert {a.key for a in alerts(house, since)} == {"power:mains"}
    assert not house.get("watch")["watch"]["incidents"]


# ---- 4. kill -9 of the heater ------------------------------------------------------------
def test_heater_killed_is_restarted_with_its_state(house: House) -> None:
    until = (house.now() + dt.timedelta(hours=6)).replace(microsecond=0)
    house.post("heater", f"/set_profile?profile=force_comfort&until={until.isoformat()}"
               .replace("+", "%2B"))
    before = wait_for(lambda: (h := heating(house))["relay"] and h, 30,
                      "comfort forced and the relay on")
    old = house.process("bc-power", "heater")
    pulses = wait_for(lambda: (r := house.get("relays", host="bc-power")["relays"]["heater"])
                      ["on"] and r["pulses"], 30, "the heater's relay on bc-power closed")
    since, sent = time.time(), len(house.sms_sent())
    os.kill(old["pid"], signal.SIGKILL)

    new = wait_for(lambda: (p := house.process("bc-power", "heater"))["pid"] != old["pid"]
                   and p["statename"] == "RUNNING" and p, 60, "supervisord to restart it")
    after = wait_for(lambda: (h := heating(house))["restored"] and h["relay"] and h, 60,
                     "the restarted heater to drive the relay again")
    for key in ("force", "force_until", "regime", "profile", "setpoint", "mode"):
        assert after[key] == before[key], key
    # the relay itself, on bc-power's GPIO (`basecamp run relays`): closed again by a new pulse
    wait_for(lambda: (r := house.get("relays", host="bc-power")["relays"]["heater"])["on"]
             and r["pulses"] > pulses, 30, "the restarted heater's pulse on the relay")
    subject = "service:bc-power/heater"
    closed = wait_for(lambda: [a for a in alerts(house, since)
                               if a.key == subject and a.state == "recovery"], 90,
                      "the sentinel to close the heater's incident")
    told = [a.state for a in alerts(house, since) if a.key == subject]
    assert told == ["problem", "recovery"], told
    assert closed and subject not in house.get("watch")["watch"]["incidents"]
    sms = wait_for(lambda: s if len(s := house.sms_sent()[sent:]) >= 2 else None, 30,
                   "the problem and recovery SMS")
    texts = [s["text"] for s in sms]
    assert len(texts) == 2 and all("heater" in t for t in texts), texts
    assert texts[0].startswith("PROBLÈME") and texts[1].startswith("RÉTABLI")
    # supervisord's restart was enough: the sentinel did not restart it a second time
    assert house.process("bc-power", "heater")["pid"] == new["pid"]
    assert not [e for e in house.logbook() if "remède" in e["message"]
                and "heater" in e["message"]]
    house.post("heater", "/set_profile?profile=work_week")  # the force ends


# ---- 5. a follow-up without the wake word ------------------------------------------------
def relay_on(house: House, light: str) -> bool | None:
    """The simulated relay of a room light (the lights service's file), None if never set."""
    found = list(house.root.rglob(f"relay-light:{light}.json"))
    return json.loads(found[0].read_text())["on"] if found else None


def ask(house: House, text: str) -> dict[str, Any]:
    """What the assistant answers to a transcript (its text path, /ask)."""
    return house.post("assistant", "/ask?" + urllib.parse.urlencode({"text": text}), timeout=30)


def test_a_follow_up_lights_the_other_room(house: House) -> None:
    """"allume la lumière du salon" then "et dans la chambre" (no wake word, no command
    repeated): both rooms' lights really on; then "éteins tout" leaves the house as it was."""
    chambre = [d.name for d in house.config.devices if d.room == "chambre" and d.kind == "light"]
    assert relay_on(house, "lumière du salon") is not True
    first = ask(house, "allume la lumière du salon")
    assert first["intent"] == "HassTurnOn"
    wait_for(lambda: relay_on(house, "lumière du salon"), 20, "the salon light's relay on")
    assert not any(relay_on(house, light) for light in chambre)
    second = ask(house, "et dans la chambre")
    assert second["intent"] == "HassTurnOn" and "chambre" in second["reply"]
    wait_for(lambda: all(relay_on(house, light) for light in chambre), 20,
             "the chambre lights' relays on")
    assert relay_on(house, "lumière de la cuisine") is not True  # only the room named
    third = ask(house, "et dans la cuisine")  # a follow-up of a follow-up: the cuisine too
    wait_for(lambda: relay_on(house, "lumière de la cuisine"), 20, "the cuisine light on")
    assert third["intent"] == "HassTurnOn"
    ask(house, "éteins toutes les lumières")
    wait_for(lambda: not any(relay_on(house, d.name) for d in house.config.devices
                             if d.kind == "light"), 20, "every light off again")


# ---- 6. a leaking night ------------------------------------------------------------------
def water_night(house: House, *, quiet: tuple[int, int] | None) -> list[str]:
    """Last night's water meter points as the water daemon writes them (1 min, 15 min, 1 h
    slots), a drip every minute from 01:00 to 05:00 except in `quiet` (minutes after 01:00)."""
    day = house.now().astimezone(TZ).date()
    start = dt.datetime.combine(day, dt.time(1, 0), TZ)
    drips = [m for m in range(240) if quiet is None or not quiet[0] <= m < quiet[1]]
    lines = []
    for slot, tag in ((60, "60s"), (900, "900s"), (3600, "3600s")):
        for first in range(0, 240, slot // 60):
            litres = float(sum(1 for m in drips if first <= m < first + slot // 60))
            when = start + dt.timedelta(minutes=first)
            lines.append(to_line(Point("water", {"litres": litres, "pulses": int(litres),
                                                 "flow_lpm": litres * 60 / slot},
                                       {"slot": tag}, when)))
    return lines


def write_points(house: House, lines: list[str]) -> None:
    store = open_store(house.config)
    try:
        store.write_lines(lines)
    finally:
        store.close()


def test_leaking_night_sms_and_spoken_alert(house: House) -> None:
    assert modes(house)["mode"] == "cocoon" and not modes(house)["silence"]
    # a tight night first: one quiet quarter of an hour (02:00-02:15) is no leak
    write_points(house, water_night(house, quiet=(60, 75)))
    since, sent = time.time(), len(house.sms_sent())
    cycle = house.get("watch")["watch"]["cycle"]
    wait_for(lambda: house.get("watch")["watch"]["cycle"] >= cycle + 4, 30, "4 cycles")
    leak = house.get("watch", "/status_report")["checks"]["water:leak"]
    assert leak["state"] == "ok", leak
    assert not [a for a in alerts(house, since) if a.key == "water:leak"]
    # then the tap drips through that quarter too: the morning check finds a leak
    wav_before = house.get("interphone")["interphone"]["last_wav"]
    write_points(house, [line for line in water_night(house, quiet=None)
                         if ("slot=60s" in line and _minute(line) in range(60, 75))
                         or ("slot=900s" in line and _minute(line) == 60)])
    problem = wait_for(lambda: [a for a in alerts(house, since)
                                if a.key == "water:leak" and a.state == "problem"], 30,
                       "the leak alert")
    assert len(problem) == 1
    sms = wait_for(lambda: [s for s in house.sms_sent()[sent:] if "fuite" in s["text"].lower()],
                   30, "the leak SMS")
    assert len(sms) == 1 and sms[0]["number"] == OWNER
    said = wait_for(lambda: [s for e in house.bus.since(since, Say.TOPIC)
                             if "fuite" in (s := Say.from_envelope(e)).text.lower()], 30,
                    "the spoken leak alert")
    assert len(said) == 1
    wav = wait_for(lambda: (w := house.get("interphone")["interphone"]["last_wav"]) != wav_before
                   and w, 60, "the interphone to speak")
    assert Path(wav).stat().st_size > 1000


def _minute(line: str) -> int:
    """Minutes after 01:00 of a water point (from its line-protocol time)."""
    from core.metrics import from_ns
    when = from_ns(int(line.rsplit(" ", 1)[1])).astimezone(TZ)
    return (when.hour - 1) * 60 + when.minute
