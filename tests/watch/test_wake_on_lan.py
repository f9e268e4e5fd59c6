"""A machine that does not come back gets a Wake-on-LAN packet from the sentinel: a real
UDP broadcast on a veth into a network namespace, where a listener stands for the machine's
network card (root and iproute2, as on the house's machines and CI)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from core.clock import SystemClock
from core.schema import ConfigError
from tests.watch.conftest import small_house
from watch.outbox import Outbox
from watch.probes import ProbeContext
from watch.sentinel import Sentinel, magic_packet

MAC = "52:54:00:12:34:56"
LISTENER = """
import json, socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 9))
print("ready", flush=True)
got, end = [], None
s.settimeout(30)
while end is None or time.monotonic() < end:
    try:
        data, _ = s.recvfrom(512)
    except TimeoutError:
        break
    got.append(data.hex())
    end = end or time.monotonic() + 3  # more packets within 3 s would be a flood
    s.settimeout(max(0.05, end - time.monotonic()))
print(json.dumps(got), flush=True)
"""


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


@pytest.fixture
def lan() -> Iterator[tuple[str, str, str]]:
    """A namespace behind a veth: (namespace, its address, the subnet's broadcast)."""
    n = os.getpid() % 200 + 20
    ns, host_if, ns_if = f"bcwol{n}", f"bcwh{n}", f"bcwn{n}"
    ip("netns", "add", ns)
    try:
        ip("link", "add", host_if, "type", "veth", "peer", "name", ns_if)
        ip("link", "set", ns_if, "netns", ns)
        ip("addr", "add", f"10.213.{n}.1/24", "dev", host_if)
        ip("link", "set", host_if, "up")
        ip("netns", "exec", ns, "ip", "addr", "add", f"10.213.{n}.2/24", "dev", ns_if)
        ip("netns", "exec", ns, "ip", "link", "set", ns_if, "up")
        ip("netns", "exec", ns, "ip", "link", "set", "lo", "up")
        yield ns, f"10.213.{n}.2", f"10.213.{n}.255"
    finally:
        subprocess.run(["ip", "link", "del", host_if], capture_output=True, check=False)
        subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False)


def test_the_magic_packet() -> None:
    packet = magic_packet("52-54-00-12-34-56")
    assert packet[:6] == b"\xff" * 6 and packet[6:] == bytes.fromhex("525400123456") * 16
    with pytest.raises(ValueError):
        magic_packet("52:54:00")


def test_a_mac_must_look_like_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"machines\.bc-hq\.mac"):
        small_house(tmp_path, machines={"bc-hq": {"mac": "nope"}})


async def test_a_machine_still_down_is_woken_once(tmp_path: Path,
                                                  lan: tuple[str, str, str]) -> None:
    ns, address, broadcast = lan
    listener = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-c", LISTENER],
                                stdout=subprocess.PIPE, text=True)
    assert listener.stdout is not None and listener.stdout.readline().strip() == "ready"
    cfg = small_house(tmp_path, machines={"bc-hq": {"mac": MAC, "address": address}},
                      watch={"machine_check": "tcp", "service_checks": [], "restart": True,
                             "fail_n": 1, "fail_m": 1, "wake_after_s": 0,
                             "wake_to": broadcast})
    clock = SystemClock("UTC")
    outbox = Outbox(tmp_path / "outbox.sqlite")
    logged: list[str] = []
    async with aiohttp.ClientSession() as http:
        sentinel = Sentinel(cfg, ProbeContext(cfg, clock.now, http), clock, host="bc-watch",
                            notifiers={}, outbox=outbox, state_path=tmp_path / "state.json",
                            publish=lambda _: None, log=lambda _lv, text: logged.append(text))
        for _ in range(4):  # down every cycle: one packet, not one per cycle
            await sentinel.cycle()
        remedy = sentinel.report()["machines"]["bc-hq"]["remedy"]
    outbox.close()
    out, _ = listener.communicate(timeout=40)
    packets = json.loads(out.strip().splitlines()[-1])
    assert packets == [magic_packet(MAC).hex()]
    assert remedy == f"réveil réseau (Wake-on-LAN) envoyé à bc-hq ({MAC})"
    assert any("Wake-on-LAN" in line for line in logged)
