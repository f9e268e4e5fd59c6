"""Pure rules: debounce, one alert per state change, reminders, flapping, dependencies, caps."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from core.messages.watch import Notice, Severity
from watch.policy import MAINS, Check, Kind, Policy
from watch.rules import AlertBook, History, Observation, State, decide, evaluate

T0 = dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.UTC)
SVC, MACHINE = "service:bc-hq/logbook", "machine:bc-hq"


def policy(**kw: object) -> Policy:
    checks = (Check(f"{MACHINE}#icmp", MACHINE, Kind.ICMP, "bc-hq"),
              Check(f"{SVC}#http", SVC, Kind.HTTP, "bc-hq", "logbook"),
              Check(f"{SVC}#supervisor", SVC, Kind.SUPERVISOR, "bc-hq", "logbook"),
              Check(f"{MAINS}#mains", MAINS, Kind.MAINS, "bc-watch"))
    base = dict(checks=checks, depends={SVC: MACHINE}, labels={SVC: "logbook sur bc-hq"},
                severities={}, fail_n=2, fail_m=3, reminder_cycles=0, flap_window=10,
                flap_changes=4, channels={"major": ("sms", "push", "log")})
    base.update(kw)
    return Policy(**base)  # type: ignore[arg-type]


def run(pol: Policy, cycles: list[dict[str, bool]], **kw: object) -> list[list[tuple[str, str]]]:
    """Feed cycles of {subject: ok}; return per cycle [(channel, notice)]."""
    history, book, out = History(), AlertBook(), []
    for i, cycle in enumerate(cycles):
        now = T0 + dt.timedelta(seconds=30 * i)
        obs = [Observation(f"{s}#x", s, ok, "" if ok else "connection refused")
               for s, ok in cycle.items()]
        findings, history = evaluate(obs, history, now, pol)
        notes, book = decide(findings, book, now, pol, **kw)  # type: ignore[arg-type]
        out.append([(n.channel, n.notice.value) for n in notes if n.subject == SVC])
    return out


@pytest.mark.parametrize(("pattern", "problems_at", "recovery_at"), [
    ("FF", 1, None),          # 2 of 3 failed -> problem on the 2nd failure
    ("FOF", 2, None),         # still 2 failures in the last 3
    ("FOOF", None, None),     # never 2 failures within 3 checks
    ("FFOO", 1, 3),           # recovery after 2 successes of the last 3
    ("FFFOFO", 1, 5),
])
def test_debounce_n_of_m(pattern: str, problems_at: int | None, recovery_at: int | None) -> None:
    result = run(policy(), [{MACHINE: True, SVC: c == "O"} for c in pattern])
    problems = [i for i, notes in enumerate(result) if ("sms", "problem") in notes]
    recoveries = [i for i, notes in enumerate(result) if ("sms", "recovery") in notes]
    assert problems == ([problems_at] if problems_at is not None else [])
    assert recoveries == ([recovery_at] if recovery_at is not None else [])


def test_one_message_per_channel_per_state_change() -> None:
    result = run(policy(), [{MACHINE: True, SVC: False}] * 50 + [{MACHINE: True, SVC: True}] * 3)
    flat = [n for notes in result for n in notes]
    assert sorted(flat) == sorted([("sms", "problem"), ("push", "problem"), ("log", "problem"),
                                   ("sms", "recovery"), ("push", "recovery"),
                                   ("log", "recovery")])


def test_reminders_every_k_cycles() -> None:
    result = run(policy(reminder_cycles=10), [{MACHINE: True, SVC: False}] * 32)
    reminders = [i for i, notes in enumerate(result) if ("sms", "reminder") in notes]
    assert reminders == [11, 21, 31]


def test_thousand_failures_in_a_minute_give_one_message_per_channel() -> None:
    pol = policy(reminder_cycles=0)
    history, book, sent = History(), AlertBook(), []
    for i in range(1000):
        now = T0 + dt.timedelta(milliseconds=60 * i)
        findings, history = evaluate([Observation("c", SVC, False, "boom")], history, now, pol)
        notes, book = decide(findings, book, now, pol)
        sent += notes
    assert sorted(n.channel for n in sent) == ["log", "push", "sms"]


def test_service_of_a_down_machine_is_suppressed() -> None:
    result = run(policy(), [{MACHINE: False, SVC: False}] * 5)
    assert result == [[]] * 5


def test_blackout_silences_all_but_mains() -> None:
    pol = policy()
    history, book = History(), AlertBook()
    subjects: list[str] = []
    for i in range(4):
        now = T0 + dt.timedelta(seconds=30 * i)
        obs = [Observation("m", MAINS, False, "onbatt"), Observation("s", SVC, False, "x"),
               Observation("h", MACHINE, True)]
        findings, history = evaluate(obs, history, now, pol)
        notes, book = decide(findings, book, now, pol, blackout=True)
        subjects += [n.subject for n in notes]
    assert set(subjects) == {MAINS}


def test_flapping_opens_one_incident_and_closes_when_stable() -> None:
    pattern = "FFOOFFOOFFOOFF" + "O" * 12
    result = run(policy(flap_window=12, flap_changes=4),
                 [{MACHINE: True, SVC: c == "O"} for c in pattern])
    sms = [(i, n) for i, notes in enumerate(result) for ch, n in notes if ch == "sms"]
    assert [n for _, n in sms].count("problem") <= 3
    assert sms[-1][1] == "recovery"
    # once flapping is detected, no further problem/recovery pairs until stable
    flat = [n for _, n in sms]
    assert flat.count("recovery") < flat.count("problem") + 1


def test_channel_cap_moves_excess_to_the_logbook() -> None:
    subjects = [f"service:m{i}/s" for i in range(30)]  # thirty machines: nothing to group
    pol = policy(depends={}, channels={"major": ("sms", "log")})
    history, book = History(), AlertBook()
    notes = []
    for i in range(2):
        findings, history = evaluate([Observation("c", s, False) for s in subjects], history,
                                     T0 + dt.timedelta(seconds=i), pol)
        out, book = decide(findings, book, T0 + dt.timedelta(seconds=i), pol, max_per_hour=5)
        notes += out
    assert sum(n.channel == "sms" for n in notes) == 5
    # the capped SMS land in the logbook, merged with the logbook's own copy
    assert sum(n.channel == "log" for n in notes) == 30
    assert book.capped == 25


def test_one_machines_services_are_one_notice_and_recoveries_do_not_eat_the_cap() -> None:
    """A supervisord that refuses the sentinel once made 18 SMS and then a real FATAL went to
    the logbook only: the machine's services are one notice per channel, and the cap counts
    problems told, not the recoveries that close them."""
    subjects = [f"service:bc-hq/s{i}" for i in range(18)]
    pol = policy(depends={}, channels={"major": ("sms", "log")})
    history, book = History(), AlertBook()

    def cycle(at: int, ok: bool, who: list[str]) -> list[Any]:
        nonlocal history, book
        findings, history = evaluate([Observation("c", s, ok, "" if ok else "401 refusé")
                                      for s in who], history, T0 + dt.timedelta(seconds=at),
                                     pol)
        out, book = decide(findings, book, T0 + dt.timedelta(seconds=at), pol, max_per_hour=3)
        return out
    problems = cycle(0, False, subjects) + cycle(1, False, subjects)
    sms = [n for n in problems if n.channel == "sms"]
    assert len(sms) == 1 and sms[0].text == (
        "PROBLÈME: 18 services sur bc-hq (" + ", ".join(f"s{i}" for i in range(18))
        + ") — 401 refusé")
    assert sum(n.channel == "log" for n in problems) == 18  # the logbook says each
    recoveries = cycle(2, True, subjects) + cycle(3, True, subjects)
    assert [n.text for n in recoveries if n.channel == "sms"] == [
        "RÉTABLI: 18 services sur bc-hq (" + ", ".join(f"s{i}" for i in range(18)) + ")"]
    # a real failure afterwards still reaches the phone: 1 problem told of the 3 an hour
    fatal = cycle(4, False, ["service:bc-power/heater"]) + \
        cycle(5, False, ["service:bc-power/heater"])
    assert [n.channel for n in fatal if n.subject == "service:bc-power/heater"] == [
        "sms", "log"]


def test_a_recovery_follows_its_problem_through_the_cap() -> None:
    """Five problems filled the hour's SMS; their five recoveries still go by SMS (a phone that
    got PROBLÈME must get RÉTABLI), the 25 capped ones recover in the logbook only."""
    subjects = [f"service:m{i}/s" for i in range(30)]  # thirty machines: nothing to group
    pol = policy(depends={}, channels={"major": ("sms", "log")})
    history, book = History(), AlertBook()
    notes = []
    for i, ok in enumerate([False, False, True, True]):
        now = T0 + dt.timedelta(minutes=i)
        findings, history = evaluate([Observation("c", s, ok) for s in subjects], history,
                                     now, pol)
        out, book = decide(findings, book, now, pol, max_per_hour=5)
        notes += out
    by_sms = [(n.subject, n.notice) for n in notes if n.channel == "sms"]
    told = {s for s, notice in by_sms if notice == "problem"}
    assert len(told) == 5
    assert {s for s, notice in by_sms if notice == "recovery"} == told
    assert sum(n.channel == "log" and n.notice == "recovery" for n in notes) == 30
    assert not book.incidents


def test_findings_carry_state_since_and_detail() -> None:
    pol = policy()
    history = History()
    for i in range(3):
        findings, history = evaluate([Observation("c", SVC, False, "HTTP 500")], history,
                                     T0 + dt.timedelta(seconds=i), pol)
    (finding,) = findings
    assert finding.state is State.PROBLEM
    assert finding.detail == "HTTP 500"
    assert finding.since == (T0 + dt.timedelta(seconds=1)).isoformat()
    assert finding.severity is Severity.MAJOR
    assert history.subjects[SVC].last_error == "HTTP 500"


def test_notice_texts_are_french() -> None:
    pol = policy(fail_n=1, fail_m=1)
    f, h = evaluate([Observation("c", SVC, False, "refused")], History(), T0, pol)
    notes, book = decide(f, AlertBook(), T0, pol)
    assert notes[0].text == "PROBLÈME: logbook sur bc-hq — refused"
    f, h = evaluate([Observation("c", SVC, True)], h, T0, pol)
    notes, _ = decide(f, book, T0, pol)
    assert notes[0].notice is Notice.RECOVERY and notes[0].text == "RÉTABLI: logbook sur bc-hq"


def test_service_with_an_older_failure_waits_for_its_machine_to_be_judged() -> None:
    # the service failed once before (e.g. during boot); when the machine then goes away the
    # service reaches 2-of-3 one cycle before its machine: it must not alert on its own
    cycles = [{MACHINE: True, SVC: False}, {MACHINE: True, SVC: True},
              {MACHINE: False, SVC: False}, {MACHINE: False, SVC: False},
              {MACHINE: False, SVC: False}]
    assert run(policy(), cycles) == [[]] * 5


def test_heartbeats_say_nothing_while_the_bus_is_down() -> None:
    from watch.policy import BUS
    pol = policy()
    history = History()
    for i in range(4):
        obs = [Observation(f"{MACHINE}#icmp", MACHINE, True),
               Observation(f"{SVC}#http", SVC, True),
               Observation(f"{SVC}#heartbeat", SVC, False, "bus: aucun battement"),
               Observation(f"{BUS}#probe", BUS, False, "la sonde n'est pas revenue")]
        findings, history = evaluate(obs, history, T0 + dt.timedelta(seconds=30 * i), pol)
    states = {f.subject: f.state for f in findings}
    assert states[SVC] is State.OK and states[BUS] is State.PROBLEM
    # with the bus up, a missing heartbeat is the service's own failure
    for i in range(4, 7):
        obs = [Observation(f"{SVC}#heartbeat", SVC, False, "bus: aucun battement"),
               Observation(f"{BUS}#probe", BUS, True)]
        findings, history = evaluate(obs, history, T0 + dt.timedelta(seconds=30 * i), pol)
    assert {f.subject: f.state for f in findings}[SVC] is State.PROBLEM


@pytest.mark.parametrize(("subject", "severity", "told"), [
    ("water:hourly", Severity.MINOR, {"sms", "voice", "log"}),   # the owner asked: SMS + spoken
    ("power:hourly", Severity.MINOR, {"sms", "voice", "log"}),
    ("water:leak", Severity.MAJOR, {"sms", "voice", "push", "log"}),
    ("modes:intrusion", Severity.MAJOR, {"sms", "push", "voice", "log"}),
    ("heater:failsafe", Severity.MAJOR, {"sms", "push", "voice", "log"}),
    ("nightlight:light_sensor", Severity.MINOR, {"push", "voice", "log"}),
])
def test_the_default_channels_of_each_alert(subject: str, severity: Severity,
                                            told: set[str]) -> None:
    """The default routes (watch.channels), by key, kind, then severity: what the owner
    asked for each alert the house raises."""
    from watch.settings import WatchSettings
    pol = policy(channels=dict(WatchSettings().channels))
    assert set(pol.channels_for(subject, severity)) == told


def test_mains_and_leaks_are_judged_on_their_first_observation() -> None:
    """A power cut or a leak is told at the cycle that sees it, not confirmed a cycle later
    (other subjects keep their fail_n of fail_m)."""
    leak = "water:leak"
    pol = policy(immediate=frozenset({MAINS, leak}))
    history = History()
    states = []
    for ok in (True, False, True):
        obs = [Observation(f"{s}#x", s, ok, "") for s in (MAINS, leak, SVC)]
        findings, history = evaluate(obs, history, T0, pol)
        states.append({f.subject: f.state for f in findings})
    assert [s[MAINS] for s in states] == [State.OK, State.PROBLEM, State.OK]
    assert [s[leak] for s in states] == [State.OK, State.PROBLEM, State.OK]
    assert [s[SVC] for s in states] == [State.OK, State.OK, State.OK]  # one failure of three


def test_the_policy_makes_mains_and_leak_checks_immediate(config: Any) -> None:
    from watch.policy import build_policy
    pol = build_policy(config)
    kinds = {c.subject: c.kind for c in pol.checks}
    assert pol.immediate == {s for s, k in kinds.items() if k in (Kind.MAINS, Kind.LEAK)}
    assert any(kinds[s] is Kind.LEAK for s in pol.immediate)
