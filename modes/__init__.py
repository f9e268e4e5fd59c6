"""Presence modes: the cocoon / lockout / asleep machine and what it drives.

Pure machines, each `step(state, event, now) -> (state, effects)`: `presence` (modes, entry
checks, silence), `heating` (profiles, schedules, thermostat, failsafe), `nightlight` (AUTO by
outdoor light, sun sanity), `lightpack` (colour, problem overlay, lock), `scheduler` (spoken
time, reports, pruning); `house` runs them together (replay, scenarios, benchmark). Services:
`service` (modes), `heater_service`, `nightlight_service`, `lightpack_service`; `cli` is
`basecamp modes replay`; `scenarios/*.jsonl` are the tables the tests replay.
"""
