"""Forged bus messages replayed against the running demo house (tests/security/test_forgery.py
and bench/trust.py): the attacks the trust issue was opened with, each sent by every kind of
stranger, and judged on the house, not on a counter.

Senders:
- `no key`: a plain ZeroMQ socket on the LAN, as before the bus had keys;
- `own key`: a CURVE socket with a key pair of its own and the forwarder's public key (which is
  public: every machine holds it);
- `bc-water`: a real machine of the house with its real key, whose services (the water meter)
  may send none of these;
- `spoofed`: the kiosk's machine, which may send intents, sending one that claims to come
  from bc-hq's dialogs service.

A forgery is *accepted* when anything it carries reaches a subscriber of the bus (the test's
recorder, subscribed to everything) or its effect shows on the house (mode, heater profile,
an SMS handed to the modem, an `Outcome` for its id).
"""

from __future__ import annotations

import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import zmq
import zmq.auth

from core import buskeys
from core.messages import Envelope, Message, Source, encode_message
from core.messages.dialogs import Intent, Outcome, SmsIncoming, SmsSend
from core.messages.heating import SetProfile
from tests.e2e.house import House, house_keys

OWNER = "+33600000001"
FOREIGN = "+33699999999"
"""A number outside the house: forged SMS would go there."""
SENDERS = ("no key", "own key", "bc-water")
SPOOFED = "spoofed"


@dataclass(frozen=True)
class Forgery:
    """One forged message, and how to see on the house that it acted."""

    name: str
    make: Callable[[str], Message]
    """marker -> the message (the marker lets the recorder recognise it)."""
    acted: Callable[[House, str], bool]
    """(house, marker) -> True when the house shows its effect."""


def _mode(house: House) -> str:
    return str(house.get("modes")["presence"]["mode"])


def _outcome_for(house: House, marker: str) -> bool:
    return any(e.data.get("intent_id") == marker for e in house.bus.since(0, Outcome.TOPIC))


FORGERIES: tuple[Forgery, ...] = (
    Forgery("SetProfile force_comfort (heater relay on)",
            lambda m: SetProfile("force_comfort", changed_by=m),
            lambda h, m: h.get("heater")["heating"]["profile"] == "force_comfort"),
    Forgery("Intent BasecampLeave (lockout, or its end with a Return)",
            lambda m: Intent("BasecampLeave", channel="kiosk", sender="owner", id=m, text=m),
            lambda h, m: _mode(h) != "cocoon" or _outcome_for(h, m)),
    Forgery("SmsIncoming from the owner's number",
            lambda m: SmsIncoming(OWNER, "je pars", received_at=m),
            lambda h, m: _mode(h) != "cocoon"),
    Forgery("SmsSend to a number outside the house",
            lambda m: SmsSend(FOREIGN, f"forged {m}"),
            lambda h, m: any(s["number"] == FOREIGN for s in h.sms_sent())),
    Forgery("Intent BasecampRemoteAccess (the kiosk's link)",
            lambda m: Intent("BasecampRemoteAccess", {"duration": 30}, channel="kiosk",
                             sender="owner", id=m, text=m),
            lambda h, m: _outcome_for(h, m)),
)


class Stranger:
    """Raw PUB sockets that send frames as each sender would."""

    def __init__(self, house: House) -> None:
        self.house = house
        self.ctx = zmq.Context()
        self._folder = Path(tempfile.mkdtemp(prefix="bc-stranger-"))
        _, secret = zmq.auth.create_certificates(str(self._folder), "stranger")
        self._own = zmq.auth.load_certificate(secret)
        self.sockets: dict[str, zmq.Socket[bytes]] = {}

    def socket(self, sender: str) -> zmq.Socket[bytes]:
        if sender not in self.sockets:
            sock = self.ctx.socket(zmq.PUB)
            sock.setsockopt(zmq.LINGER, 1000)
            keys = house_keys(self.house.config)
            if sender == "own key":
                public, secret = self._own
                assert secret is not None
                sock.curve_publickey, sock.curve_secretkey = public, secret
                sock.curve_serverkey = buskeys.load(keys, "bc-ui").server_public
            elif sender != "no key":
                buskeys.client(sock, buskeys.load(keys, "bc-ui" if sender == SPOOFED
                                                  else sender))
            sock.connect(self.house.config.bus_endpoints()[0])
            self.sockets[sender] = sock
        return self.sockets[sender]

    def send(self, sender: str, message: Message) -> None:
        source = Source("bc-hq", "dialogs") if sender == SPOOFED \
            else Source("bc-water" if sender == "bc-water" else "bc-ui", "kiosk")
        self.socket(sender).send(encode_message(message, source, time.time()))

    def close(self) -> None:
        for sock in self.sockets.values():
            sock.close()
        self.ctx.term()


@dataclass
class Tried:
    """What one replay of the catalogue gave."""

    tried: int
    accepted: list[str]
    """"<forgery> from <sender>" for every forgery that reached the bus or acted."""
    refused: dict[str, int]
    """The forwarder's refusal counters after the replay."""


def replay(house: House, settle_s: float = 3.0) -> Tried:
    """Send every forgery from every sender (and the spoofed intent), wait, and judge."""
    stranger = Stranger(house)
    sent: list[tuple[str, Forgery, str]] = []
    try:
        for sender in (*SENDERS, SPOOFED):
            stranger.socket(sender)
        time.sleep(1.0)  # handshakes (or their refusal) and the forwarder's subscription
        start = time.time()
        for sender in SENDERS:
            for forgery in FORGERIES:
                marker = f"forged-{uuid.uuid4().hex[:8]}"
                stranger.send(sender, forgery.make(marker))
                sent.append((sender, forgery, marker))
        spoof = FORGERIES[1]
        marker = f"forged-{uuid.uuid4().hex[:8]}"
        stranger.send(SPOOFED, spoof.make(marker))
        sent.append((SPOOFED, spoof, marker))
        time.sleep(settle_s)
    finally:
        stranger.close()
    seen = house.bus.since(start)
    accepted = [f"{forgery.name} from {sender}" for sender, forgery, marker in sent
                if any(_carries(e, marker) for e in seen) or forgery.acted(house, marker)]
    refused: dict[str, int] = house.get("bus")["endpoints"]["refused"]
    return Tried(len(sent), accepted, refused)


def _carries(envelope: Envelope, marker: str) -> bool:
    return any(isinstance(v, str) and marker in v for v in _values(envelope.data))


def _values(data: Any) -> list[Any]:
    if isinstance(data, dict):
        return [x for v in data.values() for x in _values(v)]
    if isinstance(data, list):
        return [x for v in data for x in _values(v)]
    return [data]
