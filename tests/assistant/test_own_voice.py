"""The house's chime when it starts listening (a sox WAV, checked), and the house never waking
on its own voice: the interphone's own rendering of an announcement that holds the wake word
is fed to the pipeline while the house speaks (no wake), then again after the echo tail (wake);
and a follow-up question spoken by the house is not transcribed as the user's answer."""

from __future__ import annotations

import dataclasses
import importlib.util
import wave
from pathlib import Path

import numpy as np
import pytest

from assistant import samples, wake
from assistant.audio import read_pcm, silence
from assistant.chime import Chime
from assistant.pipeline import Answer, Pipeline
from assistant.settings import InterphoneSettings, PorcupineSettings, VoiceSettings
from assistant.stt import VoskTranscriber
from assistant.tts import Renderer
from assistant.vad import Limits, webrtc
from core.messages import Message
from core.messages.voice import Say, Transcript, Wake

from .conftest import needs_espeak, needs_ko_model

pytestmark = [needs_espeak, pytest.mark.skipif(importlib.util.find_spec("pvporcupine") is None,
                                               reason="pvporcupine is not installed")]
TAIL_S = 0.6


class NoSpeech:
    """A transcriber for tests that never reach speech to text."""

    def start(self):  # type: ignore[no-untyped-def]
        raise AssertionError("the pipeline should not listen")


def pipeline(events: list[Message], transcriber: object = None, handler=None,  # type: ignore[no-untyped-def]
             on_wake=None) -> Pipeline:
    voice = VoiceSettings(porcupine=PorcupineSettings(keywords=("computer",)))
    return Pipeline(spotter=wake.Spotter(wake.create(voice, None, "porcupine"), 2.0),
                    transcriber=transcriber or NoSpeech(),  # type: ignore[arg-type]
                    handler=handler or (lambda text: Answer()), emit=events.append,
                    is_speech=webrtc(2), limits=Limits(600, 3.0, 8.0, 90), lang="ko",
                    on_wake=on_wake)


def feed(p: Pipeline, pcm: bytes) -> None:
    for i in range(0, len(pcm), 960):
        p.feed(pcm[i:i + 960])


def announcement(tmp_path: Path, text: str, voice: str) -> bytes:
    """`text` as the interphone renders it (its TTS, rate and sox effects)."""
    settings = dataclasses.replace(InterphoneSettings(), tts="espeak-ng")
    return read_pcm(Renderer(settings, tmp_path / "cache").render(text, voice=voice))


def test_chime_is_played_when_the_house_starts_listening(tmp_path: Path, wav_dir: Path) -> None:
    chime = Chime(tmp_path / "cache", tmp_path / "spoken", "wav")
    events: list[Message] = []
    p = pipeline(events, transcriber=_Silent(), on_wake=chime.play)
    feed(p, samples.load(samples.cached_wav(wav_dir, 0.5, "computer", 0.4, voice="en-us")))
    assert [type(e) for e in events][:1] == [Wake]
    assert len(chime.played) == 1 and chime.played[0].parent == tmp_path / "spoken"
    with wave.open(str(chime.played[0]), "rb") as wav:
        assert (wav.getframerate(), wav.getnchannels()) == (16000, 1)
        assert 0.2 < wav.getnframes() / 16000 < 0.4
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(float)
    first, second = pcm[:1200], pcm[1600:3600]  # 0-75 ms, 100-225 ms

    def peak(x: np.ndarray) -> float:
        return float(np.fft.rfftfreq(x.size, 1 / 16000)[np.argmax(np.abs(np.fft.rfft(x)))])
    assert abs(peak(first) - 880) < 20 and abs(peak(second) - 1320) < 20
    assert 0.1 < np.abs(pcm).max() / 32768 < 0.5  # -12 dBFS peak: a chime, not a blast


class _Silent:
    """A session that hears nothing (the chime test stops at the wake word)."""

    def start(self):  # type: ignore[no-untyped-def]
        from assistant.stt import Mode, Transcription

        class Session:
            def feed(self, chunk: bytes) -> None:
                pass

            def try_finish(self) -> None:
                return None

            def finish(self) -> Transcription:
                return Transcription("", Mode.NONE)
        return Session()


def test_announcement_with_the_wake_word_does_not_wake_while_the_house_speaks(
        tmp_path: Path) -> None:
    said = announcement(tmp_path, "Say computer, to talk to me.", "en-us")
    events: list[Message] = []
    p = pipeline(events, transcriber=_Silent())
    p.speaking(True)  # the interphone's Speaking
    feed(p, said)
    p.speaking(False, tail_s=TAIL_S)  # its Spoken
    feed(p, silence(TAIL_S - 0.1))  # the echo tail
    assert events == [] and p.muted
    assert p.muted_s == pytest.approx(len(said) / 32000 + TAIL_S - 0.1, abs=0.07)
    feed(p, silence(0.2))
    assert not p.muted
    feed(p, silence(0.5) + said + silence(0.5))  # the same audio once the house is quiet: it wakes
    assert [e for e in events if isinstance(e, Wake)] == [Wake("computer", "porcupine")]


@needs_ko_model
def test_follow_up_hears_the_answer_not_the_house_asking(
        tmp_path: Path, ko_transcriber: VoskTranscriber, wav_dir: Path) -> None:
    """The house asks back (a follow-up opens at once) and speaks its question in Korean, a
    sentence the recogniser knows: muted, the question is not taken as the answer."""
    question = announcement(tmp_path, "오늘 날씨 어때", "ko")
    events: list[Message] = []
    holder: list[Pipeline] = []

    def emit(message: Message) -> None:
        events.append(message)
        if isinstance(message, Say):
            holder[0].speaking(True)

    def handler(text: str) -> Answer:
        return Answer(reply="오늘 날씨 어때", expects_answer=text == "음악 틀어 줘",
                      conversation="c1")

    p = pipeline(events, transcriber=ko_transcriber, handler=handler)
    p.emit = emit
    holder.append(p)
    feed(p, samples.load(samples.cached_wav(wav_dir, 0.5, "computer", 0.4, voice="en-us")))
    feed(p, samples.load(samples.cached_wav(wav_dir, "음악 틀어 줘", 1.0, voice="ko",
                                            speed=150)))
    assert p.phase == "listening" and p.muted  # follow-up open, the house speaking
    feed(p, question)
    p.speaking(False, tail_s=TAIL_S)
    feed(p, silence(TAIL_S) + samples.load(samples.cached_wav(wav_dir, "지금 몇 시", 1.0,
                                                              voice="ko", speed=150)))
    p.flush()
    assert [e.text for e in events if isinstance(e, Transcript)] == ["음악 틀어 줘", "지금 몇 시"]


def test_satellites_sharing_a_cache_render_the_chime_at_once(tmp_path: Path) -> None:
    """Two assistants of one machine (salon and chambre) start together on an empty cache:
    each gets a whole chime, neither crashes (one used to lose its sox parts to the other)."""
    import subprocess
    import sys
    import time
    script = ("import sys, time; from pathlib import Path; from assistant.chime import render; "
              "time.sleep(max(0.0, float(sys.argv[2]) - time.time())); "  # all at one moment
              "print(render(Path(sys.argv[1])).stat().st_size)")
    for round_ in range(4):
        path = tmp_path / f"cache{round_}" / "chime.wav"
        at = str(time.time() + 1.5)
        procs = [subprocess.Popen([sys.executable, "-c", script, str(path), at],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for _ in range(4)]
        results = [p.communicate(timeout=60) for p in procs]
        assert [p.returncode for p in procs] == [0] * 4, [err.decode()[-300:]
                                                          for _, err in results]
        assert {int(out) for out, _ in results} == {path.stat().st_size}
        assert [p.name for p in path.parent.iterdir()] == ["chime.wav"]  # nothing left over
