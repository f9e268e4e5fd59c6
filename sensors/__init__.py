"""Basecamp sensors: pure protocol parsers, serial/Bluetooth daemons, simulators.

Daemons (`basecamp run <name>`) and what they write — the contract other packages read:

- muta (wireless units): bus `basecamp.muta.update` (`MutaUpdate`, unit = config name:
  salon, chambre, exterieur). Metrics `muta`, tag `unit`, fields `temperature` (°C),
  `humidity` (%), `light` (lux), `battery` (V) — one point per reading.
- pir: bus `basecamp.pir.motion` (`PirMotion`, sensor entry/kiosk/indoor, state 1/0).
  Metrics `pir` (tag `sensor`, field `state`), `pir_board` (field `temperature`).
- power (Téléinfo): bus `basecamp.power.update` (`PowerUpdate`). Metrics `power`, fields
  `papp_va`, `iinst_a`, one `<label>_wh` per index (`base_wh`, `hchc_wh`, `hchp_wh`,
  `east_wh`, `easf01_wh`...), `total_wh`, `tariff` (string); at most one point every
  `sensors.teleinfo.write_every_s` (every frame is aggregated).
- water: bus `basecamp.water.update` (`WaterUpdate`, one per closed slot). Metrics `water`,
  tag `slot` = "60s" (per minute), "<sensors.water.slot_s>s" (default "900s", the night leak
  check's slots) and "3600s" (hourly maxima); fields `litres`, `pulses`, `flow_lpm`; point time =
  slot start. Zero slots are written; slots the daemon did not fully watch are not.
- bluetooth: bus `basecamp.bluetooth.presence` (`BluetoothPresence`) on arrival/departure;
  reacts to `basecamp.bluetooth.scan`. Metrics `bluetooth` (tag `device`, fields `present`,
  `rssi`).
- rooms: bus `basecamp.rooms.location` (`RoomLocation`). Metrics `rooms` (tag `badge`,
  fields `room`, `confidence`).
- sysmetrics: metrics `system`, tag `host` (fields `cpu_percent`, `memory_percent`,
  `memory_available_mb`, `load1`, `temperature_c` when available) and tags `host` + `path`
  (fields `disk_percent`, `disk_free_mb`).

Aggregates: every interval (`sensors.muta.aggregate_s` 600 s, `sensors.teleinfo.aggregate_s`
3600 s) a point of `<measurement>_agg`, tags as the raw series plus `interval` ("600s",
"3600s"), fields `<field>_mean`, `_min`, `_max`, `_count`, and `_diff` for counters — hourly
maxima of power: `power_agg` `papp_va_max`, hourly consumption: `total_wh_diff`.
Rejected input: metrics `sensor_errors` (tags `sensor`, `reason`; field `count`), bus
`basecamp.sensors.error` (`SensorError`), `/status` `rejected`.
Every point goes through the service's on-disk store-and-forward queue (core.metrics).
"""
