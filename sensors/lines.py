"""Cut a byte stream into lines, bounding memory when a device sends garbage without newlines."""

from __future__ import annotations

from sensors.errors import InputRejected, Reason


class LineSplitter:
    """Feed chunks, get complete lines (without CR/LF) and rejects for over-long lines."""

    def __init__(self, max_line: int = 512) -> None:
        self.max_line = max_line
        self._buf = bytearray()
        self._skipping = False

    def feed(self, chunk: bytes) -> list[bytes | InputRejected]:
        """Complete lines in this chunk (in order); partial input waits for the next chunk."""
        self._buf += chunk
        out: list[bytes | InputRejected] = []
        while True:
            end = self._buf.find(b"\n")
            if end < 0:
                break
            line = bytes(self._buf[:end]).rstrip(b"\r")
            del self._buf[:end + 1]
            if self._skipping:
                self._skipping = False
                continue
            if len(line) > self.max_line:
                out.append(InputRejected(Reason.TOO_LONG, f"{len(line)} bytes"))
            elif line.strip():
                out.append(line)
        if len(self._buf) > self.max_line:
            # no newline in sight: drop what we have, and the rest of that line when it ends
            out.append(InputRejected(Reason.TOO_LONG, f"{len(self._buf)} bytes without newline"))
            self._buf.clear()
            self._skipping = True
        return out

    def reset(self) -> list[InputRejected]:
        """Forget a partial line (device unplugged mid-line): reported as truncated."""
        lost = [InputRejected(Reason.TRUNCATED, f"{len(self._buf)} bytes")] if self._buf else []
        self._buf.clear()
        self._skipping = False
        return lost
