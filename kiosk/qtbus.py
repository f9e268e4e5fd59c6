"""The bus inside Qt's event loop: a SUB reader and an XPUB publisher driven by
`QSocketNotifier`s on ZeroMQ's file descriptors — no polling loop, no blocking call.

ZeroMQ's FD is edge-triggered and only says "look at zmq.EVENTS": after each activation (and
after each send on the same socket) we drain with NOBLOCK while EVENTS shows POLLIN.
The publisher mirrors `core.bus.Publisher` without asyncio: it buffers until the forwarder's
subscription arrives, then flushes in order; a disconnect makes it buffer again.
"""

from __future__ import annotations

import collections
import logging
import time
from collections.abc import Iterable

import zmq
from PyQt5.QtCore import QObject, QSocketNotifier, QTimer, pyqtSignal

from core import buskeys
from core.bus import client_keys
from core.messages import Envelope, Message, MessageError, Source, decode, encode_message

_LOGGER = logging.getLogger(__name__)
BATCH = 2000
"""Frames handled per turn of the event loop, so a backlog cannot freeze the screen."""


class BusReader(QObject):
    """Subscribes to topic prefixes and emits `received(list[Envelope])` per batch."""

    received = pyqtSignal(list)

    def __init__(self, endpoint: str, topics: Iterable[str], *,
                 ctx: zmq.Context | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._sock = (ctx or zmq.Context.instance()).socket(zmq.SUB)
        self._sock.setsockopt(zmq.RCVHWM, 0)
        self._sock.setsockopt(zmq.LINGER, 0)
        for topic in topics:
            self._sock.setsockopt(zmq.SUBSCRIBE, topic.encode())
        if (keys := client_keys()) is not None:
            buskeys.client(self._sock, keys)
        self._sock.connect(endpoint)
        self.frames = 0
        self.malformed = 0
        self._notifier = QSocketNotifier(self._sock.getsockopt(zmq.FD), QSocketNotifier.Type.Read,
                                         self)
        self._notifier.activated.connect(self._drain)
        QTimer.singleShot(0, self._drain)  # edge-triggered: something may already be queued

    def _drain(self) -> None:
        if self._sock.closed:
            return
        batch: list[Envelope] = []
        more = False
        self._notifier.setEnabled(False)
        try:
            while self._sock.getsockopt(zmq.EVENTS) & zmq.POLLIN:
                if len(batch) >= BATCH:
                    more = True
                    break
                try:
                    frame = self._sock.recv(zmq.NOBLOCK)
                except zmq.Again:
                    break
                self.frames += 1
                try:
                    batch.append(decode(frame))
                except MessageError as err:
                    self.malformed += 1
                    _LOGGER.warning("kiosk: malformed bus message #%d (%s)", self.malformed, err)
        finally:
            self._notifier.setEnabled(True)
        if more:
            QTimer.singleShot(0, self._drain)
        if batch:
            self.received.emit(batch)

    def close(self) -> None:
        """Stop reading and close the socket."""
        self._notifier.setEnabled(False)
        self._sock.close(linger=0)


class QtPublisher(QObject):
    """Publishes messages from the GUI thread; buffers until the forwarder is reached."""

    def __init__(self, endpoint: str, source: Source, *, buffer: int = 10_000,
                 ctx: zmq.Context | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.source = source
        self.endpoint = endpoint
        self._sock = (ctx or zmq.Context.instance()).socket(zmq.XPUB)
        self._sock.setsockopt(zmq.SNDHWM, 0)
        self._sock.setsockopt(zmq.RCVHWM, 0)
        self._sock.setsockopt(zmq.XPUB_VERBOSE, 1)
        self._sock.setsockopt(zmq.LINGER, 1000)
        self._monitor = self._sock.get_monitor_socket(zmq.EVENT_DISCONNECTED)
        if (keys := client_keys()) is not None:
            buskeys.client(self._sock, keys)
        self._sock.connect(endpoint)
        self._pending: collections.deque[bytes] = collections.deque(maxlen=buffer)
        self.ready = False
        self.sent = 0
        self._notifiers = []
        for sock, slot in ((self._sock, self._on_subscription), (self._monitor, self._on_event)):
            notifier = QSocketNotifier(sock.getsockopt(zmq.FD), QSocketNotifier.Type.Read, self)
            notifier.activated.connect(slot)
            self._notifiers.append(notifier)
        QTimer.singleShot(0, self._on_subscription)

    def _on_subscription(self) -> None:
        if self._sock.closed:
            return
        while self._sock.getsockopt(zmq.EVENTS) & zmq.POLLIN:
            try:
                frame = self._sock.recv(zmq.NOBLOCK)
            except zmq.Again:
                break
            if frame[:1] == b"\x01" and not self.ready:
                _LOGGER.info("kiosk: bus forwarder reached at %s", self.endpoint)
                self.ready = True
                while self._pending:
                    self._send(self._pending.popleft())

    def _on_event(self) -> None:
        if self._monitor.closed:
            return
        while self._monitor.getsockopt(zmq.EVENTS) & zmq.POLLIN:
            try:
                self._monitor.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                break
            if self.ready:
                _LOGGER.warning("kiosk: bus forwarder at %s went away; buffering", self.endpoint)
            self.ready = False

    def _send(self, frame: bytes) -> None:
        self._sock.send(frame)
        self.sent += 1

    def publish(self, message: Message, ts: float | None = None) -> None:
        """Publish now, or keep it until the forwarder is reached (never blocks)."""
        frame = encode_message(message, self.source, time.time() if ts is None else ts)
        if self.ready:
            self._send(frame)
            # sending may consume the FD's edge: look for subscriptions that came meanwhile
            self._on_subscription()
        else:
            self._pending.append(frame)

    def close(self) -> None:
        """Close the sockets (lingers up to 1 s to deliver what is queued)."""
        for notifier in self._notifiers:
            notifier.setEnabled(False)
        self._sock.disable_monitor()
        self._monitor.close(linger=0)
        self._sock.close()
