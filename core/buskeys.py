"""Bus keys: ZeroMQ CURVE key pairs, one per machine of the house plus the forwarder's.

Every socket of the bus encrypts and authenticates with CURVE (libzmq's own mechanism): a
service connects with its machine's key pair and the forwarder's public key; the forwarder
accepts only the public keys of the house's machines (its ZAP handler), and learns which
machine each connection is. Keys live in `bus.keys_dir` (`secrets/bus` under the data dir;
`$BASECAMP_BUS_KEYS` instead, e.g. for tests): `<name>.key` (public) and `<name>.key_secret`
(the pair, mode 0600). `basecamp deploy keys` writes them; on a fleet the deploy places on each
machine its own pair and the forwarder's public key, and the forwarder's pair and every
machine's public key on the bus machine. The demo house creates them at first start.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import zmq
import zmq.auth
from zmq.utils import z85

from core.config import Config

SERVER = "forwarder"
"""The key pair of the forwarder."""
ENV = "BASECAMP_BUS_KEYS"


@dataclass(frozen=True)
class BusKeys:
    """What one process needs: its pair and the forwarder's public key; the forwarder also
    its secret key and the public keys it lets in (public key -> machine name)."""

    name: str
    public: bytes
    secret: bytes
    server_public: bytes
    server_secret: bytes | None = None
    clients: Mapping[bytes, str] = field(default_factory=dict)
    """Raw (32-byte) public key -> machine name."""


def folder(config: Config) -> Path:
    """Where the house's bus keys are."""
    return Path(os.environ.get(ENV) or config.path(config.bus.keys_dir))


@contextlib.contextmanager
def _locked(where: Path) -> Iterator[None]:
    where.mkdir(parents=True, exist_ok=True)
    os.chmod(where, 0o700)
    with open(where / ".lock", "w") as lock:  # several services start at once
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def generate(where: Path, names: Iterable[str]) -> list[str]:
    """Create the missing key pairs (the forwarder's and `names`); the names created. A name
    whose public key is here is not missing (the bus machine holds the others' public keys
    only, and must never replace them)."""
    made = []
    with _locked(where):
        for name in [SERVER, *names]:
            if (where / f"{name}.key").exists():
                continue
            _, secret = zmq.auth.create_certificates(str(where), name)
            os.chmod(secret, 0o600)
            made.append(name)
    return made


def ensure(config: Config) -> Path:
    """The keys folder; a house that has none yet (the demo's first start) gets a pair for
    the forwarder and every machine, and the folder holding the forwarder's own pair (the
    demo's) one for a machine added since. Keys placed by a deploy are never replaced."""
    where = folder(config)
    if not (where / f"{SERVER}.key").exists() or (where / f"{SERVER}.key_secret").exists():
        generate(where, config.machines)
    return where


def load(where: Path, name: str) -> BusKeys:
    """The keys of `name` (a machine, or the forwarder: then with the clients it admits)."""
    public, secret = zmq.auth.load_certificate(str(where / f"{name}.key_secret"))
    server_public, server_secret = zmq.auth.load_certificate(
        str(where / f"{SERVER}.key_secret" if name == SERVER else where / f"{SERVER}.key"))
    clients: dict[bytes, str] = {}
    if name == SERVER:
        for path in where.glob("*.key"):
            if path.stem != SERVER:
                # ZAP hands over the raw 32-byte key; the files hold it in Z85
                clients[z85.decode(zmq.auth.load_certificate(str(path))[0])] = path.stem
    assert secret is not None
    return BusKeys(name, public, secret, server_public,
                   server_secret if name == SERVER else None, clients)


def bundle(where: Path, host: str, bus_machine: str, out: Path) -> list[Path]:
    """What machine `host` needs, copied from the house's keys `where` into `out`: its own
    pair and the forwarder's public key; on the bus machine also the forwarder's pair and
    every machine's public key. The files written."""
    needed = [f"{host}.key", f"{host}.key_secret", f"{SERVER}.key"]
    if host == bus_machine:
        needed += [f"{SERVER}.key_secret", *(p.name for p in sorted(where.glob("*.key")))]
    missing = [name for name in needed if not (where / name).exists()]
    if missing:
        raise FileNotFoundError(f"missing in {where}: {', '.join(missing)} "
                                "(run `basecamp deploy keys` first)")
    return _copy(where, sorted(set(needed)), out)


def install(src: Path, where: Path) -> list[Path]:
    """Put a machine's bundle (`bundle`) in its keys folder, secret files 0600."""
    names = sorted(p.name for p in src.iterdir() if p.suffix in (".key", ".key_secret"))
    if not any(name.endswith(".key_secret") for name in names):
        raise FileNotFoundError(f"no key pair in {src}")
    with _locked(where):
        return _copy(src, names, where)


def _copy(src: Path, names: list[str], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    os.chmod(out, 0o700)
    written = []
    for name in names:
        target = out / name
        target.touch(mode=0o600)
        os.chmod(target, 0o600 if name.endswith("_secret") else 0o644)
        target.write_bytes((src / name).read_bytes())
        written.append(target)
    return written


def client(sock: zmq.Socket[Any], keys: BusKeys) -> None:
    """Make a connecting socket a CURVE client of the forwarder."""
    sock.curve_secretkey = keys.secret
    sock.curve_publickey = keys.public
    sock.curve_serverkey = keys.server_public
