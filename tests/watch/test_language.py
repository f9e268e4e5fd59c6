"""The sentinel speaks the house's language: the same rule, the same alert, in French for a
French house and in English for an English one."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import aiohttp
import pytest

from core.clock import SystemClock
from core.config import Config
from core.messages.watch import Alert
from tests.helpers import demo_data, free_port
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


LABELS = {
    "power:mains": ("secteur", "mains power"),
    "machine:bc-ui": ("machine bc-ui", "machine bc-ui"),
    "service:bc-hq/bus": ("bus sur bc-hq", "bus on bc-hq"),
    "bus:forwarder": ("bus", "bus"),
    "sensor:salon": ("capteur salon", "sensor salon"),
    "battery:salon": ("pile du capteur salon", "battery of sensor salon"),
    "temperature:salon": ("température maison", "temperature maison"),
    "disk:bc-watch/": ("disque / de bc-watch", "disk / of bc-watch"),
    "internet:access": ("accès Internet", "Internet access"),
    "water:leak": ("fuite d'eau", "water leak"),
    "water:hourly": ("consommation d'eau", "water consumption"),
    "power:hourly": ("consommation électrique", "power consumption"),
    "gsm:signal": ("signal GSM", "GSM signal"),
    "meter:power": ("compteur power", "meter power"),
    "metrics:store": ("base de métriques", "metrics store"),
}
"""Some subjects of the demo house and their labels, in French and in English
(`temperature:salon` is labelled "maison" by the house itself: words not translated)."""


ON = {"fr": "sur", "en": "on"}


def _label(subject: str, lang: str) -> str:
    """A subject's label in `lang`, from `LABELS`."""
    return LABELS[subject][("fr", "en").index(lang)]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_policy_names_its_subjects_in_the_house_language(tmp_path: Path, lang: str) -> None:
    from watch.policy import build_policy
    data = demo_data(tmp_path)
    data["house"]["lang"] = lang
    data["watch"] = {"internet_targets": ["127.0.0.1:9"]}
    cfg = Config.from_dict(data, base_dir=str(tmp_path), source="<demo house>")
    labels = build_policy(cfg).labels
    assert {s: labels.get(s) for s in LABELS} == {s: _label(s, lang) for s in LABELS}
    other = {"sur", "capteur", "disque", "compteur", "secteur"} if lang == "en" \
        else {"on", "sensor", "disk", "meter", "mains"}
    assert not {w for label in labels.values() for w in label.split() if w in other}


def _sentinel(cfg: Config, tmp_path: Path, http: aiohttp.ClientSession, outbox: Outbox,
              alerts: list[Alert], logged: list[str]) -> Sentinel:
    clock = SystemClock("UTC")
    return Sentinel(cfg, ProbeContext(cfg, clock.now, http), clock, host="bc-watch",
                    notifiers={}, outbox=outbox, state_path=tmp_path / "state.json",
                    publish=lambda m: alerts.append(m) if isinstance(m, Alert) else None,
                    log=lambda _lv, line: logged.append(line))


@pytest.mark.parametrize("lang", ["fr", "en"])
async def test_a_dead_service_and_the_mains_are_told_in_the_house_language(
        tmp_path: Path, lang: str) -> None:
    """The logbook refuses connections (and no metrics store answers), then the mains probe
    says there is no power: the alerts name their subjects in the house's words, and so does
    the log."""
    house = {**demo_data(tmp_path)["house"], "lang": lang}
    cfg = small_house(tmp_path, services={"logbook": {"machine": "bc-hq", "port": free_port()}},
                      watch={"service_checks": ["http"], "machine_check": "none",
                             "fail_n": 1, "fail_m": 1,
                             "power": {"probe": "file", "path": str(tmp_path / "mains")},
                             "channels": {"major": ["sms"]}},
                      house=house)
    outbox = Outbox(tmp_path / "outbox.sqlite")
    alerts: list[Alert] = []
    logged: list[str] = []
    async with aiohttp.ClientSession() as http:
        sentinel = _sentinel(cfg, tmp_path, http, outbox, alerts, logged)
        await sentinel.cycle()  # no probe file: mains present
        (tmp_path / "mains").write_text("0\n")
        await sentinel.cycle()
    outbox.close()
    problem = WORDS[lang][0]
    told = {a.key: a.message.partition(" — ")[0] for a in alerts}
    assert told == {"service:bc-hq/logbook": f"{problem}: logbook {ON[lang]} bc-hq",
                    "power:mains": f"{problem}: {_label('power:mains', lang)}",
                    "metrics:store": f"{problem}: {_label('metrics:store', lang)}"}
    assert f"{_label('power:mains', lang)}: lost" in logged


REMEDIES = {
    "fr": {"failed": "false a échoué (code 1)",
           "recreated": "logbook recréé par true", "already": "muta déjà redémarré",
           "restart": "échec du redémarrage de {program}: {err}"},
    "en": {"failed": "false failed (code 1)", "recreated": "logbook recreated by true",
           "already": "muta already restarted",
           "restart": "restart of {program} failed: {err}"},
}


@pytest.mark.parametrize("lang", ["fr", "en"])
async def test_the_remedies_are_told_in_the_house_language(tmp_path: Path, lang: str) -> None:
    """Three silent sensor units share one operator (restarted once, the others say it was
    already done) whose recreating command fails; the logbook's command succeeds."""
    from core.metrics import SQLiteStore
    house = {**demo_data(tmp_path)["house"], "lang": lang}
    cfg = small_house(tmp_path, services={"muta": {"machine": "bc-hq", "port": free_port()},
                                          "logbook": {"machine": "bc-hq", "port": free_port()}},
                      watch={"service_checks": ["http"], "machine_check": "none",
                             "restart": True, "fail_n": 1, "fail_m": 1,
                             "ignore_services": ["muta"],
                             "sensors": {"units": ["salon", "chambre"]},
                             "docker": {"muta": ["false"], "logbook": ["true"]}},
                      house=house)
    store = SQLiteStore(tmp_path / "metrics.sqlite")  # no reading: every unit silent
    outbox = Outbox(tmp_path / "outbox.sqlite")
    logged: list[str] = []
    clock = SystemClock("UTC")
    async with aiohttp.ClientSession() as http:
        sentinel = Sentinel(cfg, ProbeContext(cfg, clock.now, http, store=store), clock,
                            host="bc-watch", notifiers={}, outbox=outbox,
                            state_path=tmp_path / "state.json", publish=lambda _: None,
                            log=lambda _lv, line: logged.append(line))
        await sentinel.cycle()
        report = sentinel.report()
    outbox.close()
    store.close()
    words = REMEDIES[lang]
    failed = words["restart"].format(program="muta", err=words["failed"])
    remedies = {s: report["checks"][f"sensor:{s}"]["remedy"] for s in ("salon", "chambre")}
    assert sorted(remedies.values()) == sorted([failed, words["already"]])
    assert report["machines"]["bc-hq"]["services"]["logbook"]["remedy"] == words["recreated"]
    assert failed in logged


DETAILS = {
    "fr": {"refused": "connexion refusée", "timeout": "pas de réponse en 1 s",
           "blackout": "coupure de courant", "mains": "secteur présent",
           "leak": "aucun créneau de 15 min sans consommation entre 01:00 et 05:00 (min 0.4 L)",
           "quiet": "1 créneau(x) sans consommation cette nuit",
           "hourly": "350 L sur la dernière heure (max 300 L)",
           "supervisord": "supervisord injoignable: "},
    "en": {"refused": "connection refused", "timeout": "no answer within 1 s",
           "blackout": "power cut", "mains": "mains power present",
           "leak": "no 15 min slot without consumption between 01:00 and 05:00 (min 0.4 L)",
           "quiet": "1 slot(s) without consumption last night",
           "hourly": "350 L over the last hour (max 300 L)",
           "supervisord": "supervisord unreachable: "},
}
"""The probes' details (after " — " in an alert) in French and in English."""


@pytest.mark.parametrize("lang", ["fr", "en"])
async def test_the_probes_details_are_in_the_house_language(tmp_path: Path, lang: str) -> None:
    """A refused connection, a probe that hangs, a blackout and mains present: the context
    takes the house's language from the config."""
    from watch.probes import run_check
    house = {**demo_data(tmp_path)["house"], "lang": lang}
    cfg = small_house(tmp_path, watch={"service_checks": [], "machine_check": "none"},
                      house=house)
    (tmp_path / "mains").write_text("0\n")
    (tmp_path / "on").write_text("1\n")
    checks = [Check("tcp", "s", Kind.TCP, "bc-hq", target=f"127.0.0.1:{free_port()}"),
              Check("hang", "s", Kind.COMMAND, "bc-hq", args=("sleep", "5")),
              Check("off", "power:mains", Kind.MAINS, "bc-watch", target=str(tmp_path / "mains")),
              Check("on", "power:mains", Kind.MAINS, "bc-watch", target=str(tmp_path / "on"))]
    clock = SystemClock("UTC")
    async with aiohttp.ClientSession() as http:
        ctx = ProbeContext(cfg, clock.now, http)
        details = [(await run_check(c, ctx)).detail for c in checks]
    words = DETAILS[lang]
    assert details == [words["refused"], words["timeout"], words["blackout"], words["mains"]]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_water_details_are_in_the_house_language(lang: str) -> None:
    from watch.water import leaking, over_maximum
    start = dt.datetime(2024, 3, 1, 1, 0, tzinfo=dt.UTC)
    end = start + dt.timedelta(hours=4)
    night = [(start + dt.timedelta(minutes=15 * i, seconds=30), 0.4) for i in range(16)]
    words = DETAILS[lang]
    assert leaking(night, start, end, 900, lang) == (True, words["leak"])
    assert leaking(night[:15], start, end, 900, lang) == (False, words["quiet"])
    assert over_maximum(350, 300, "L", lang) == (True, words["hourly"])
    if lang == "fr":  # the default is today's French
        assert leaking(night, start, end, 900)[1] == words["leak"]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_supervisord_errors_are_in_the_house_language(tmp_path: Path, lang: str) -> None:
    """An unreachable supervisord: the reason a probe (or a failed restart) tells."""
    from watch.errors import SupervisorError
    from watch.supervisor import process_table
    cfg = small_house(tmp_path, supervisor_ports={"bc-hq": free_port()})
    with pytest.raises(SupervisorError) as err:
        process_table(cfg, "bc-hq", 1.0, lang)
    assert str(err.value).startswith(DETAILS[lang]["supervisord"])
