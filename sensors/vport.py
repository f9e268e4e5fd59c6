"""Virtual serial ports: a pty pair whose master a simulator writes and whose slave a daemon
opens with pyserial, exactly as it would open /dev/ttyUSB0."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import tty
from pathlib import Path


class VirtualPort:
    """A pty pair; `path` is the device to give the daemon (optionally behind a symlink)."""

    def __init__(self, link: str | os.PathLike[str] | None = None) -> None:
        self.master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo, no CR/LF translation before the daemon opens it
        os.set_blocking(self.master, False)
        self.tty = os.ttyname(self._slave)
        self.link = Path(link) if link else None
        if self.link is not None:
            self.link.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.link.with_name(self.link.name + ".tmp")
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            tmp.symlink_to(self.tty)
            tmp.replace(self.link)
        self.written = 0

    @property
    def path(self) -> str:
        """What a daemon opens."""
        return str(self.link) if self.link else self.tty

    async def write(self, data: bytes) -> None:
        """Write everything, waiting while the pty buffer is full (the reader is slow)."""
        view = memoryview(data)
        while view:
            try:
                n = os.write(self.master, view)
            except BlockingIOError:
                await asyncio.sleep(0.002)
                continue
            except OSError as err:
                if err.errno == errno.EIO:  # nobody has the slave open and the buffer is full
                    await asyncio.sleep(0.01)
                    continue
                raise
            view = view[n:]
            self.written += n

    def close(self) -> None:
        """Unplug: the daemon's next read fails, the link disappears."""
        for fd in (self.master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)
        if self.link is not None:
            with contextlib.suppress(FileNotFoundError):
                if self.link.is_symlink() and os.readlink(self.link) == self.tty:
                    self.link.unlink()
