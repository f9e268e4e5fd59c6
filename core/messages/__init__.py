"""Typed bus messages, one module per domain, in one JSON envelope (see `envelope`).

Domains: `alive` (heartbeats), `log` (logbook entries), `presence` (modes, PIR, Bluetooth),
`heating` (heater), `relays` (latching relays), `nightlight` (night lights), `lightpack` (the RGB
strip), `lights` (room lights), `timers`, `sensors` (readings), `voice` (wake, transcript,
announcements), `dialogs` (intents, replies, SMS), `watch` (alerts, status).
"""

from core.messages.envelope import Envelope, Message, MessageError, Source, decode, encode_message

__all__ = ["Envelope", "Message", "MessageError", "Source", "decode", "encode_message"]
