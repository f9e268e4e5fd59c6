"""A serial device read asynchronously with pyserial, reopened with backoff when it goes away."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import serial

_LOGGER = logging.getLogger(__name__)


class SerialLink:
    """Yields chunks of bytes as they arrive; yields None each time the device is lost."""

    def __init__(self, device: str, baudrate: int, *, bytesize: int = serial.EIGHTBITS,
                 parity: str = serial.PARITY_NONE, backoff: tuple[float, ...] = (0.5, 30.0)
                 ) -> None:
        self.device, self.baudrate, self.bytesize, self.parity = device, baudrate, bytesize, \
            parity
        self.first_wait, self.longest_wait = backoff[0], backoff[-1]
        self.connected = False
        self.opened = 0
        """Successful opens (1 after the first, +1 per reconnection)."""
        self.lost = 0
        self.bytes = 0
        self.last_error = ""
        self._connected = asyncio.Event()

    def status(self) -> dict[str, Any]:
        """For /status."""
        return {"device": self.device, "connected": self.connected, "opened": self.opened,
                "lost": self.lost, "bytes": self.bytes, "last_error": self.last_error}

    async def wait_connected(self, timeout: float | None = None) -> bool:
        """Wait until the device is open (for tests and benchmarks)."""
        try:
            await asyncio.wait_for(self._connected.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def _open(self) -> serial.Serial:
        return serial.Serial(self.device, self.baudrate, bytesize=self.bytesize,
                             parity=self.parity, timeout=0, exclusive=True)

    async def chunks(self) -> AsyncIterator[bytes | None]:
        """Read forever: open, read until an error, close, wait (doubling), reopen."""
        wait = self.first_wait
        while True:
            try:
                port = self._open()
            except (serial.SerialException, OSError, ValueError) as err:
                if self.last_error != str(err):
                    _LOGGER.warning("cannot open %s (retrying every <= %gs): %s", self.device,
                                    self.longest_wait, err)
                self.last_error = str(err)
                await asyncio.sleep(wait)
                wait = min(wait * 2, self.longest_wait)
                continue
            wait = self.first_wait
            self.opened += 1
            self.connected = True
            self._connected.set()
            _LOGGER.info("reading %s at %d baud", self.device, self.baudrate)
            try:
                async for chunk in self._read(port):
                    yield chunk
            except (serial.SerialException, OSError) as err:
                self.lost += 1
                self.last_error = str(err)
                _LOGGER.warning("lost %s: %s", self.device, err)
            finally:
                self.connected = False
                self._connected.clear()
                port.close()
            yield None
            await asyncio.sleep(wait)

    async def _read(self, port: serial.Serial) -> AsyncIterator[bytes]:
        loop = asyncio.get_running_loop()
        ready = asyncio.Event()
        fd = port.fileno()
        loop.add_reader(fd, ready.set)
        try:
            while True:
                await ready.wait()
                ready.clear()
                data = port.read(65536)
                if data:
                    self.bytes += len(data)
                    yield data
        finally:
            loop.remove_reader(fd)
