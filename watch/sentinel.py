"""One sentinel cycle: probe, evaluate, decide, notify, remedy, remember.

`Sentinel` holds the I/O seams (probe context, notifiers, outbox, remedies) around the pure
rules; the service runs `cycle()` every interval, `basecamp watch once` runs it once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.clock import Clock
from core.config import Config
from core.messages import Message
from core.messages.log import Level
from core.messages.watch import Alert, Notice, PowerState, Severity
from watch import phrases, power, rules, state
from watch.errors import SupervisorError
from watch.notifiers import Notifier
from watch.outbox import Outbox, drain
from watch.policy import BUS, MAINS, Policy, build_policy
from watch.probes import ProbeContext, run_checks
from watch.rules import Finding, Notification, Observation
from watch.settings import WatchSettings
from watch.supervisor import StillStarting, restart


class Sentinel:
    """The sentinel's state and one-cycle logic (I/O through injected seams)."""

    def __init__(self, config: Config, ctx: ProbeContext, clock: Clock, *, host: str,
                 notifiers: dict[str, Notifier], outbox: Outbox, state_path: Path | None,
                 publish: Callable[[Message], None], log: Callable[[Level, str], None],
                 policy: Policy | None = None) -> None:
        self.config, self.ctx, self.clock, self.host = config, ctx, clock, host
        self.settings = config.section("watch", WatchSettings)
        self.policy = policy or build_policy(config, host=host)
        self.notifiers, self.outbox, self.state_path = notifiers, outbox, state_path
        self.publish, self.log = publish, log
        self.memory = state.load(state_path) if state_path else state.Memory()
        self.findings: dict[str, Finding] = {}
        self.observations: dict[str, Observation] = {}
        self.remedy: Callable[[str, str], str] = self._restart
        self.wake: Callable[[str], None] = self._wake_on_lan
        """Sends a Wake-on-LAN packet to a MAC address."""
        self.save_failures = 0
        self.lang = config.house.lang
        """The house's language: the alerts', remedies' and log lines' words."""
        self._lock = asyncio.Lock()
        """One cycle or one alert from elsewhere at a time: each reads and writes the memory."""

    async def raised(self, alert: Alert) -> list[Notification]:
        """An alert raised elsewhere in the house (an intrusion, the heater's failsafe, a night
        light's sensor...): told through the same policy as the sentinel's own findings —
        channels by key, kind and severity, one notice per state change, hourly caps, the
        blackout — at once, not at the next cycle."""
        async with self._lock:
            now = self.clock.now()
            mem = self.memory
            problem = alert.state != Notice.RECOVERY
            try:
                severity = Severity(alert.severity)
            except ValueError:
                severity = Severity.MAJOR
            finding = Finding(alert.key, rules.State.PROBLEM if problem else rules.State.OK,
                              severity, alert.message, "", now.isoformat(), changed=True)
            if not problem and alert.key not in mem.book.incidents:
                return []  # a recovery of nothing told
            notes, book = rules.decide([finding], mem.book, now, self.policy,
                                       blackout=mem.mains.state is power.Power.BLACKOUT,
                                       lang=self.lang)
            self.memory = dataclasses.replace(mem, book=book)
            for note in notes:
                self.outbox.put(note.channel, {"subject": note.subject,
                                               "notice": note.notice.value,
                                               "severity": note.severity.value,
                                               "text": note.text})
            await self.flush()
            await self._save()
            return notes

    async def cycle(self) -> list[Finding]:
        """Run one check cycle; return its findings."""
        async with self._lock:
            return await self._cycle()

    async def _cycle(self) -> list[Finding]:
        now = self.clock.now()
        mem = self.memory
        wait = self.settings.power.return_wait_s
        normal = power.normal_checks(mem.mains, now, wait)
        checks = [c for c in self.policy.checks if normal or c.subject == MAINS]
        observations = await run_checks(checks, self.ctx)
        self.observations.update({o.check: o for o in observations})
        findings, history = rules.evaluate(observations, mem.history, now, self.policy)
        mains = mem.mains
        for f in findings:
            if f.subject == MAINS:
                mains, events = power.step(mains, f.state is rules.State.OK, now)
                for event in events:
                    self.publish(PowerState(mains.state.value, mains.since))
                    self.log(Level.CRITICAL if event is power.PowerEvent.LOST else Level.INFO,
                             phrases.text("log.mains", self.lang, event=event.value))
        notes, book = rules.decide(findings, mem.book, now, self.policy,
                                   blackout=mains.state is power.Power.BLACKOUT,
                                   lang=self.lang)
        self.memory = dataclasses.replace(mem, history=history, book=book, mains=mains)
        self.findings.update({f.subject: f for f in findings})
        self._alerts(notes)
        for note in notes:
            self.outbox.put(note.channel, {"subject": note.subject, "notice": note.notice.value,
                                           "severity": note.severity.value, "text": note.text})
        await self.flush()
        await self._save()  # what was told is remembered before the remedies, which are slow
        if normal:
            await self._remedies(findings)
            await self._save()
        return findings

    async def _save(self) -> None:
        if not self.state_path:
            return
        try:
            await asyncio.to_thread(state.save, self.state_path, self.memory)
        except OSError as err:  # a full disk must not stop the cycle: the memory lives on
            self.save_failures += 1
            if self.save_failures == 1:
                self.log(Level.ERROR, phrases.text("log.unsaved", self.lang, err=err))
            return
        self.save_failures = 0

    def _alerts(self, notes: list[Notification]) -> None:
        seen: set[tuple[str, str]] = set()
        for n in notes:
            if n.subject.startswith(rules.GROUP):
                continue  # the group's services have their own notes (the logbook's)
            if (n.subject, n.notice) not in seen:
                seen.add((n.subject, n.notice))
                self.publish(Alert(n.subject, n.severity, n.notice, n.text, "watch"))

    async def flush(self) -> dict[str, int]:
        """Send what waits in the outbox on every channel that is up, in order."""
        sent = {}
        for channel, notifier in self.notifiers.items():
            sent[channel] = await drain(self.outbox, channel, notifier.send)
        return sent

    async def _remedies(self, findings: list[Finding]) -> None:
        remedied = dict(self.memory.remedied)
        restarted = {self._remedy_target(subject) for subject in remedied}
        for f in findings:
            if f.state is rules.State.OK:
                remedied.pop(f.subject, None)
                continue
            if f.suppressed_by or f.subject in remedied or not self.settings.restart:
                continue
            if self._passing(f.subject):
                continue  # back by itself (supervisord restarted it): the debounce closes it
            if f.subject.startswith("machine:"):
                woken = self._woken(f.subject)
                if woken:
                    remedied[f.subject] = woken
                continue
            target = self._remedy_target(f.subject)
            if target is None:
                continue
            machine, program = target
            if target in restarted:  # three silent sensors, one operator: restarted once
                remedied[f.subject] = phrases.text("remedy.already", self.lang, program=program)
                continue
            restarted.add(target)
            try:
                done = await asyncio.to_thread(self.remedy, machine, program)
                self.log(Level.WARNING, phrases.text("log.remedy_watch", self.lang, done=done))
            except StillStarting:
                continue  # look again next cycle
            except (SupervisorError, OSError) as err:
                done = phrases.text("remedy.failed", self.lang, program=program, err=err)
                self.log(Level.ERROR, done)
            remedied[f.subject] = done
        self.memory = dataclasses.replace(self.memory, remedied=remedied)

    def _woken(self, subject: str) -> str:
        """A machine down for `wake_after_s` with a MAC gets a Wake-on-LAN packet (once per
        incident); what was done, or "" when nothing was (yet)."""
        machine = subject.removeprefix("machine:")
        mac = self.config.machines[machine].mac if machine in self.config.machines else ""
        incident = self.memory.book.incidents.get(subject)
        if not mac or incident is None:
            return ""
        try:
            down_s = (self.clock.now() - dt.datetime.fromisoformat(incident.opened)
                      ).total_seconds()
        except ValueError:
            return ""
        if down_s < self.settings.wake_after_s:
            return ""
        try:
            self.wake(mac)
        except OSError as err:
            done = phrases.text("remedy.wake_failed", self.lang, machine=machine, err=err)
            self.log(Level.ERROR, done)
            return done
        done = phrases.text("remedy.woken", self.lang, machine=machine, mac=mac)
        self.log(Level.WARNING, phrases.text("log.remedy", self.lang, done=done))
        return done

    def _wake_on_lan(self, mac: str) -> None:
        """The magic packet: 6 x 0xFF then the MAC 16 times, by UDP broadcast."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            sock.sendto(magic_packet(mac), (self.settings.wake_to, self.settings.wake_port))

    def _passing(self, subject: str) -> bool:
        """Every latest check of the subject succeeded (it is still an incident only until
        enough of them have)."""
        latest = [o for o in self.observations.values() if o.subject == subject]
        return bool(latest) and all(o.ok for o in latest)

    def _remedy_target(self, subject: str) -> tuple[str, str] | None:
        """The program a restart may mend: a service's own; for a silent sensor unit its
        operator (the MUTA receiver's daemon); for a silent meter its daemon."""
        if subject == BUS:
            return self.config.bus.machine, "bus"
        kind, _, rest = subject.partition(":")
        operator = {"sensor": "muta", "meter": rest}.get(kind)
        if operator is not None:
            if operator not in self.config.services:
                return None
            return self.config.hosts(operator)[0], operator
        if kind != "service":
            return None
        machine, _, service = rest.partition("/")
        if machine == self.host and service == "watch":
            return None  # the sentinel cannot nurse itself: supervisord's autorestart does
        return machine, service

    def _restart(self, machine: str, program: str) -> str:
        command = self.settings.docker.get(program)
        if command:
            import subprocess
            proc = subprocess.run(list(command), capture_output=True, timeout=120, check=False)
            if proc.returncode:
                raise OSError(phrases.text("remedy.command_failed", self.lang, command=command[0],
                                           code=proc.returncode))
            return phrases.text("remedy.recreated", self.lang, program=program, command=command[0])
        return restart(self.config, machine, program, self.settings.timeout_s,
                       self.settings.start_grace_s, lang=self.lang)

    # ---- status ------------------------------------------------------------------------
    def report(self) -> dict[str, Any]:
        """JSON per machine: its services, state, since, last check, last error."""
        subjects = self.memory.history.subjects
        incidents = self.memory.book.incidents

        def entry(subject: str) -> dict[str, Any]:
            h = subjects.get(subject)
            f = self.findings.get(subject)
            state_ = "unknown" if h is None else h.state.value
            if f is not None and f.suppressed_by:
                state_ = "unreachable"
            return {"state": state_, "since": h.since if h else "",
                    "last_check": h.last_check if h else "",
                    "last_error": h.last_error if h else "",
                    "detail": f.detail if f else "", "incident": subject in incidents,
                    "remedy": self.memory.remedied.get(subject, "")}

        machines: dict[str, Any] = {}
        for name in self.config.machines:
            machines[name] = {**entry(f"machine:{name}"), "services": {}}
        others: dict[str, Any] = {}
        for subject in self.policy.subjects():
            kind, _, rest = subject.partition(":")
            if kind == "service":
                machine, _, service = rest.partition("/")
                machines[machine]["services"][service] = entry(subject)
            elif kind != "machine":
                others[subject] = entry(subject)
        return {"host": self.host, "cycle": self.memory.history.cycle,
                "power": {"state": self.memory.mains.state.value,
                          "since": self.memory.mains.since},
                "machines": machines, "checks": others,
                "incidents": sorted(incidents), "queued": self.outbox.count(),
                "at": self.clock.now().isoformat(timespec="seconds")}


def finding_line(f: Finding, now: dt.datetime) -> dict[str, Any]:
    """A finding as one JSON-friendly record (`basecamp watch once`)."""
    return {"subject": f.subject, "state": f.state.value, "severity": f.severity.value,
            "label": f.label, "detail": f.detail, "since": f.since,
            "suppressed_by": f.suppressed_by, "flapping": f.flapping,
            "at": now.isoformat(timespec="seconds")}


def magic_packet(mac: str) -> bytes:
    """The Wake-on-LAN magic packet of a MAC address (aa:bb:cc:dd:ee:ff or aa-bb-...)."""
    raw = bytes.fromhex(mac.replace(":", "").replace("-", ""))
    if len(raw) != 6:
        raise ValueError(f"not a MAC address: {mac!r}")
    return b"\xff" * 6 + raw * 16
