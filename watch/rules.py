"""The sentinel's pure rules, with Monit/Nagios semantics.

    observations --evaluate--> findings (debounced, flapping, suppressed by dependencies)
    findings + alert book --decide--> notifications (one per state change and channel,
                                                     reminders every K cycles, rate caps)

- debounce: a subject turns PROBLEM when N of its last M results failed, OK again when N of
  the last M succeeded;
- flapping: as many state changes as `flap_changes` within `flap_window` cycles; a flapping
  subject opens one incident and stays open until it is stable and OK;
- a subject whose dependency (its machine) is in PROBLEM is suppressed: no alert of its own;
- during a BLACKOUT only mains power is told.

Notices are written in the house's language (`decide(..., lang=house.lang)`, words in
`watch.phrases`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum

from core.messages.watch import Notice, Severity
from watch import phrases
from watch.policy import BUS, MAINS, Policy


class State(StrEnum):
    """Debounced state of a subject."""

    OK = "ok"
    PROBLEM = "problem"


@dataclass(frozen=True)
class Observation:
    """One check result."""

    check: str
    subject: str
    ok: bool
    detail: str = ""
    value: float | None = None


@dataclass(frozen=True)
class SubjectHistory:
    """What the rules remember about one subject."""

    results: tuple[bool, ...] = ()
    state: State = State.OK
    since: str = ""
    changes: tuple[int, ...] = ()
    """Cycles at which the state changed (within the flap window)."""
    last_check: str = ""
    last_error: str = ""


@dataclass(frozen=True)
class History:
    """All subjects' histories and the cycle counter."""

    cycle: int = 0
    subjects: dict[str, SubjectHistory] = field(default_factory=dict)


@dataclass(frozen=True)
class Finding:
    """A subject's state after this cycle."""

    subject: str
    state: State
    severity: Severity
    label: str
    detail: str
    since: str
    changed: bool = False
    flapping: bool = False
    suppressed_by: str = ""


@dataclass(frozen=True)
class Incident:
    """An open problem."""

    subject: str
    severity: Severity
    opened: str
    detail: str
    cycles: int = 0
    """Cycles since the last notice (for reminders)."""
    reminders: int = 0
    flapping: bool = False
    told: tuple[str, ...] = ()
    """Channels its problem notice went out on (its recovery follows there, cap or not)."""


@dataclass(frozen=True)
class AlertBook:
    """Open incidents and recent sends per channel (for the per-channel cap)."""

    incidents: dict[str, Incident] = field(default_factory=dict)
    sent: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """channel -> ISO times of recent sends (last hour)."""
    capped: int = 0
    """Notifications moved to the logbook because their channel hit its hourly cap."""


@dataclass(frozen=True)
class Notification:
    """One message for one channel."""

    channel: str
    subject: str
    notice: Notice
    severity: Severity
    text: str


def _combine(observations: Iterable[Observation]) -> dict[str, tuple[bool, str]]:
    observations = list(observations)
    if any(obs.subject == BUS and not obs.ok for obs in observations):
        # heartbeats travel on the bus: with the bus down their silence says nothing
        # about the services themselves (the bus has its own finding)
        observations = [o for o in observations if not o.check.endswith("#heartbeat")]
    out: dict[str, tuple[bool, str]] = {}
    for obs in observations:
        ok, detail = out.get(obs.subject, (True, ""))
        if not obs.ok:
            detail = f"{detail}; {obs.detail}" if detail else obs.detail
        out[obs.subject] = (ok and obs.ok, detail)
    return out


def _suspect(dep: SubjectHistory | None) -> bool:
    """A dependency in PROBLEM, or whose latest check failed: until it is confirmed either
    way, what depends on it is not judged (Nagios checks the host before a service alert)."""
    return dep is not None and (dep.state is State.PROBLEM or
                                (bool(dep.results) and not dep.results[-1]))


def evaluate(observations: Iterable[Observation], history: History, now: dt.datetime,
             policy: Policy) -> tuple[list[Finding], History]:
    """Fold one cycle's observations into findings and the next history."""
    cycle = history.cycle + 1
    stamp = now.isoformat()
    subjects = dict(history.subjects)
    findings: list[Finding] = []
    for subject, (ok, detail) in _combine(observations).items():
        old = subjects.get(subject, SubjectHistory(since=stamp))
        results = (*old.results, ok)[-policy.fail_m:]
        state = old.state
        # fail_n of the last fail_m observations; the latest alone for an immediate subject
        judged = results[-1:] if subject in policy.immediate else results
        need = 1 if subject in policy.immediate else policy.fail_n
        if state is State.OK and judged.count(False) >= need:
            state = State.PROBLEM
        elif state is State.PROBLEM and judged.count(True) >= need:
            state = State.OK
        changed = state is not old.state
        changes = tuple(c for c in (*old.changes, *((cycle,) if changed else ()))
                        if c > cycle - policy.flap_window)
        new = SubjectHistory(results, state, stamp if changed else old.since or stamp, changes,
                             stamp, detail if not ok else old.last_error)
        subjects[subject] = new
        findings.append(Finding(subject, state, policy.severities.get(subject, Severity.MAJOR),
                                policy.labels.get(subject, subject), detail, new.since, changed,
                                len(changes) >= policy.flap_changes))
    out = []
    for finding in findings:
        dep = policy.depends.get(finding.subject, "")
        if dep and _suspect(subjects.get(dep)):
            finding = replace(finding, suppressed_by=dep)
        out.append(finding)
    return out, History(cycle, subjects)


def _text(notice: Notice, finding: Finding, incident: Incident | None, lang: str) -> str:
    head = phrases.text(notice, lang)
    detail = finding.detail or (incident.detail if incident else "")
    flap = phrases.text("flapping", lang) \
        if finding.flapping and notice is not Notice.RECOVERY else ""
    text = f"{head}: {finding.label}{flap}"
    return f"{text} — {detail}" if detail and notice is not Notice.RECOVERY else text


def decide(findings: Iterable[Finding], book: AlertBook, now: dt.datetime, policy: Policy, *,
           blackout: bool = False, max_per_hour: int = 20,
           lang: str = "fr") -> tuple[list[Notification], AlertBook]:
    """Notifications for this cycle's findings, in the house's language `lang`, and the next
    alert book."""
    incidents = dict(book.incidents)
    out: list[tuple[Notice, Finding, Incident | None]] = []
    for f in findings:
        if (blackout and f.subject != MAINS) or f.suppressed_by:
            continue
        inc = incidents.get(f.subject)
        if f.state is State.PROBLEM:
            if inc is None:
                inc = Incident(f.subject, f.severity, now.isoformat(), f.detail,
                               flapping=f.flapping)
                incidents[f.subject] = inc
                out.append((Notice.PROBLEM, f, inc))
                continue
            inc = replace(inc, cycles=inc.cycles + 1, detail=f.detail or inc.detail,
                          flapping=inc.flapping or f.flapping)
            if policy.reminder_cycles and inc.cycles >= policy.reminder_cycles:
                inc = replace(inc, cycles=0, reminders=inc.reminders + 1)
                out.append((Notice.REMINDER, f, inc))
            incidents[f.subject] = inc
        elif inc is not None:
            if f.flapping:  # stays open until the subject is stable
                incidents[f.subject] = replace(inc, cycles=inc.cycles + 1, flapping=True)
                continue
            del incidents[f.subject]
            out.append((Notice.RECOVERY, f, inc))
    return _route(out, AlertBook(incidents, book.sent, book.capped), now, policy, max_per_hour,
                  lang)


GROUP = "group:"
"""Subject prefix of one notice standing for several services of one machine."""


def _machine_of(subject: str) -> str:
    """The machine of a service subject ("service:bc-hq/logbook" -> "bc-hq"), else ""."""
    kind, _, rest = subject.partition(":")
    return rest.partition("/")[0] if kind == "service" else ""


def _route(items: list[tuple[Notice, Finding, Incident | None]], book: AlertBook,
           now: dt.datetime, policy: Policy, cap: int,
           lang: str) -> tuple[list[Notification], AlertBook]:
    """Channels for each notice, within the hourly cap (problems count, recoveries do not);
    the services of one machine that change together go out as one notice per channel (a
    supervisord that refuses the sentinel is one message, not one per program)."""
    hour_ago = (now - dt.timedelta(hours=1)).isoformat()
    sent = {ch: [t for t in times if t > hour_ago] for ch, times in book.sent.items()}
    capped = book.capped
    incidents = dict(book.incidents)
    notes: list[Notification] = []
    grouped: dict[tuple[str, Notice, str], list[tuple[int, Finding, Severity, str]]] = {}
    for notice, f, inc in items:
        severity = inc.severity if inc else f.severity
        text = _text(notice, f, inc, lang)
        machine = _machine_of(f.subject)
        told = []
        for channel in policy.channels_for(f.subject, severity):
            key = (channel, notice, machine)
            if machine and channel != "log" and key in grouped:  # joins the machine's notice
                grouped[key].append((-1, f, severity, text))
                told.append(notes[grouped[key][0][0]].channel)  # where the group's went
                continue
            times = sent.setdefault(channel, [])
            # a recovery follows its problem where the problem went: a phone that got
            # PROBLÈME must get RÉTABLI (at most one per problem told: no flood)
            owed = notice is Notice.RECOVERY and inc is not None and channel in inc.told
            routed = channel
            if channel != "log" and len(times) >= cap and f.subject != MAINS and not owed:
                capped += 1
                routed = "log"
            elif notice is not Notice.RECOVERY:  # the cap counts problems told
                times.append(now.isoformat())
            told.append(routed)
            if machine and channel != "log":
                grouped[key] = [(len(notes), f, severity, text)]
            notes.append(Notification(routed, f.subject, notice, severity, text))
        if notice is Notice.PROBLEM and f.subject in incidents:
            incidents[f.subject] = replace(incidents[f.subject], told=tuple(told))
    for (_, notice, machine), members in grouped.items():
        if len(members) > 1:
            index = members[0][0]
            severity = Severity.MAJOR if any(m[2] is Severity.MAJOR for m in members) \
                else members[0][2]
            notes[index] = Notification(notes[index].channel, f"{GROUP}{machine}", notice,
                                        severity, _group_text(notice, machine, members, lang))
    deduped = list(dict.fromkeys(notes))
    return deduped, AlertBook(incidents, {k: tuple(v) for k, v in sent.items()}, capped)


def _group_text(notice: Notice, machine: str,
                members: list[tuple[int, Finding, Severity, str]], lang: str) -> str:
    names = ", ".join(m[1].subject.partition("/")[2] for m in members)
    details = {m[1].detail for m in members if m[1].detail}
    text = f"{phrases.text(notice, lang)}: " + phrases.text(
        "services", lang, count=len(members), machine=machine, names=names)
    if notice is not Notice.RECOVERY and len(details) == 1:
        text += f" — {details.pop()}"
    return text
