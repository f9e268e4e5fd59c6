"""The sentinel speaks the house's language: the same rule, the same alert, in French for a
French house and in English for an English one."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import aiohttp
import pytest

from core.clock import SystemClock
from core.messages.watch import Alert
from tests.helpers import demo_data
from tests.watch.conftest import small_house
from watch.outbox import Outbox
from watch.policy import Check, Kind, Policy
from watch.probes import ProbeContext
from watch.rules import AlertBook, History, Observation, decide, evaluate
from watch.sentinel import Sentinel

T0 = dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.UTC)
SERVICES = [f"service:bc-hq/s{i}" for i in range(3)]
WORDS = {"fr": ("PROBLÈME", "RAPPEL", "RÉTABLI", "instable", "services sur bc-hq"),
         "en": ("PROBLEM", "REMINDER", "RECOVERED", "flapping", "services on bc-hq")}


def _policy() -> Policy:
    checks = tuple(Check(f"{s}#http", s, Kind.HTTP, "bc-hq", s[-2:]) for s in SERVICES)
    return Policy(checks=checks, depends={}, labels={SERVICES[0]: "s0"}, severities={},
                  fail_n=1, fail_m=1, reminder_cycles=1, flap_window=10, flap_changes=3,
                  channels={"major": ("sms",)})


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_rules_write_in_the_house_language(lang: str) -> None:
    """Problem, reminder, flapping, recovery, and one notice for a machine's services."""
    problem, reminder, recovery, flapping, grouped = WORDS[lang]
    pol, history, book = _policy(), History(), AlertBook()
    texts: list[list[str]] = []
    for i, oks in enumerate([(False, False, False), (False, True, True), (True, True, True),
                             (False, True, True), (True, True, True)]):
        obs = [Observation(f"{s}#http", s, ok, "" if ok else "refused")
               for s, ok in zip(SERVICES, oks, strict=True)]
        findings, history = evaluate(obs, history, T0 + dt.timedelta(seconds=i), pol)
        notes, book = decide(findings, book, T0 + dt.timedelta(seconds=i), pol, lang=lang)
        texts.append([n.text for n in notes])
    assert texts == [[f"{problem}: 3 {grouped} (s0, s1, s2) — refused"],
                     [f"{reminder}: s0 — refused", f"{recovery}: 2 {grouped} (s1, s2)"],
                     [f"{recovery}: s0"],
                     [f"{problem}: s0 ({flapping}) — refused"],
                     []]


@pytest.mark.parametrize("lang", ["fr", "en"])
async def test_an_alert_of_the_house_is_told_in_its_language(tmp_path: Path, lang: str) -> None:
    house = {**demo_data(tmp_path)["house"], "lang": lang}
    cfg = small_house(tmp_path, watch={"service_checks": [], "machine_check": "none"},
                      house=house)
    assert cfg.house.lang == lang
    clock = SystemClock("UTC")
    outbox = Outbox(tmp_path / "outbox.sqlite")
    async with aiohttp.ClientSession() as http:
        sentinel = Sentinel(cfg, ProbeContext(cfg, clock.now, http), clock, host="bc-watch",
                            notifiers={}, outbox=outbox, state_path=tmp_path / "state.json",
                            publish=lambda _: None, log=lambda *_: None)
        told = await sentinel.raised(Alert("heater:failsafe", "major", "problem", "chauffage"))
        cleared = await sentinel.raised(Alert("heater:failsafe", "major", "recovery", "ok"))
    outbox.close()
    problem, _, recovery, _, _ = WORDS[lang]
    assert told and {n.text for n in told} == {f"{problem}: chauffage"}
    assert cleared and {n.text for n in cleared} == {f"{recovery}: ok"}
