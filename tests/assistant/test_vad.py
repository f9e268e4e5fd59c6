"""End of speech: the endpointer on fake frames, then webrtcvad on synthesised speech."""

from __future__ import annotations

import numpy
import pytest

from assistant import samples
from assistant.audio import silence
from assistant.vad import FRAME_BYTES, Endpointer, Limits, Outcome, webrtc

from .conftest import needs_espeak

LOUD = b"\xff\x7f" * (FRAME_BYTES // 2)


def loud(seconds: float) -> bytes:
    return LOUD * int(seconds * 1000 / 30)


def energy(frame: bytes) -> bool:
    return frame == LOUD


@pytest.mark.parametrize(("audio", "outcome", "end_s"), [
    (silence(0.3) + loud(0.6) + silence(1.0), Outcome.ENDED, 0.9),
    (silence(5.0), Outcome.NO_SPEECH, 0.0),
    (silence(0.2) + loud(12.0), Outcome.TOO_LONG, 10.0),
    (silence(0.5) + loud(0.06) + silence(4.0), Outcome.NO_SPEECH, 0.0),  # a click is not speech
    (silence(0.3) + loud(0.6) + silence(0.3), Outcome.LISTENING, 0.9),  # still in the pause
])
def test_endpointer(audio: bytes, outcome: Outcome, end_s: float) -> None:
    ep = Endpointer(energy, Limits(end_silence_ms=600, no_speech_s=4.0, max_command_s=10.0))
    for i in range(0, len(audio), 960):
        ep.feed(audio[i:i + 960])
    assert ep.outcome is outcome
    if ep.heard_speech:
        assert ep.speech_end_s == pytest.approx(end_s, abs=0.031)


def test_hurry_ends_sooner() -> None:
    ep = Endpointer(energy, Limits(end_silence_ms=600))
    ep.feed(silence(0.3) + loud(0.6))
    ep.hurry(240)
    assert ep.feed(silence(0.27)) is Outcome.ENDED


@needs_espeak
def test_webrtc_finds_the_end_of_real_speech() -> None:
    speech = samples.speak("turn on the kitchen light please", "en-us")
    audio = silence(0.5) + speech + silence(1.5)
    ep = Endpointer(webrtc(2), Limits(end_silence_ms=500))
    for i in range(0, len(audio), 960):
        if ep.feed(audio[i:i + 960]) is not Outcome.LISTENING:
            break
    assert ep.outcome is Outcome.ENDED
    samples_ = numpy.frombuffer(speech, dtype=numpy.int16)
    loud_at = numpy.nonzero(numpy.abs(samples_) > 300)[0]
    spoken_end = 0.5 + loud_at[-1] / 16000  # espeak-ng pads its output with silence
    assert abs(ep.speech_end_s - spoken_end) < 0.25
