"""Errors of the voice assistant.

AssistantError
 ├── EngineUnavailable   an engine's package is missing or the wrong version
 ├── ModelMissing        the Vosk model folder is absent or incomplete
 ├── AudioUnavailable    no microphone or no loudspeaker
 └── ChecksumMismatch    a downloaded model does not match its published checksum
"""


class AssistantError(RuntimeError):
    """Something the voice path needs is not there; the message says what to do."""


class EngineUnavailable(AssistantError):
    """An engine's package is missing, or installed in a version that cannot work."""


class ModelMissing(AssistantError):
    """The speech model folder is absent or incomplete."""


class AudioUnavailable(AssistantError):
    """No microphone, or no audio output."""


class ChecksumMismatch(AssistantError):
    """A downloaded file's SHA-256 differs from the published one."""
