"""The whole voice pipeline on synthesised WAVs: wake -> transcript -> intent -> answer, and
the follow-up turn without a wake word."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from assistant import samples, wake
from assistant.audio import silence
from assistant.pipeline import Answer, Pipeline
from assistant.settings import PorcupineSettings, VoiceSettings
from assistant.stt import VoskTranscriber
from assistant.vad import Limits, webrtc
from core.messages import Message
from core.messages.dialogs import Intent
from core.messages.voice import Listening, Say, Transcript, Wake

from .conftest import needs_espeak, needs_ko_model

pytestmark = [needs_espeak, needs_ko_model,
              pytest.mark.skipif(importlib.util.find_spec("pvporcupine") is None,
                                 reason="pvporcupine is not installed")]

INTENTS = {"오늘 날씨 어때": "HassGetWeather", "지금 몇 시": "HassGetCurrentTime",
           "음악 틀어 줘": "PlayMusic", "조용히 하세요": "Silence", "불 꺼": "HassTurnOff"}


def run(pcm: bytes, transcriber: VoskTranscriber, handler, *, wake_word: bool = True,
        quick_end_ms: int = 90) -> tuple[list[Message], Pipeline]:  # type: ignore[no-untyped-def]
    events: list[Message] = []
    voice = VoiceSettings(porcupine=PorcupineSettings(keywords=("computer",)))
    spotter = wake.Spotter(wake.create(voice, None, "porcupine"), 2.0) if wake_word else None
    pipeline = Pipeline(spotter=spotter, transcriber=transcriber, handler=handler,
                        emit=events.append, is_speech=webrtc(2),
                        limits=Limits(600, 3.0, 8.0, quick_end_ms), lang="ko")
    for i in range(0, len(pcm), 960):
        pipeline.feed(pcm[i:i + 960])
    pipeline.flush()
    return events, pipeline


def table_handler(text: str) -> Answer:
    return Answer(reply=f"ok {text}", intent=Intent(INTENTS[text]))


def test_wake_transcript_intent_answer(ko_transcriber: VoskTranscriber, wav_dir: Path) -> None:
    pcm = samples.load(samples.cached_wav(wav_dir, 0.5, "computer", 0.4, voice="en-us")) + \
        samples.load(samples.cached_wav(wav_dir, "지금 몇 시", 1.0, voice="ko", speed=150))
    events, pipeline = run(pcm, ko_transcriber, table_handler)
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["Wake", "Listening", "Listening", "Transcript", "Intent", "Say"]
    assert events[0] == Wake("computer", "porcupine")
    assert events[3] == Transcript("지금 몇 시")
    intent = events[4]
    assert isinstance(intent, Intent) and intent.intent == "HassGetCurrentTime"
    assert intent.channel == "voice" and intent.text == "지금 몇 시"
    assert events[5] == Say("ok 지금 몇 시", lang="ko")
    turn = pipeline.turns[0]
    assert turn.mode == "grammar" and 1.0 < turn.speech_end_s < len(pcm) / 32000


def test_no_wake_word_no_command(ko_transcriber: VoskTranscriber, wav_dir: Path) -> None:
    pcm = samples.load(samples.cached_wav(wav_dir, "지금 몇 시", 1.0, voice="ko", speed=150))
    events, _ = run(pcm, ko_transcriber, table_handler)
    assert events == []


def test_follow_up_turn_reopens_without_wake_word(ko_transcriber: VoskTranscriber,
                                                  wav_dir: Path) -> None:
    def ask_back(text: str) -> Answer:
        if text == "음악 틀어 줘":
            return Answer(reply="무슨 음악?", expects_answer=True, conversation="c1")
        return Answer(reply="네", intent=Intent(INTENTS[text]), conversation="c1")

    pcm = samples.load(samples.cached_wav(wav_dir, 0.5, "computer", 0.4, voice="en-us")) + \
        samples.load(samples.cached_wav(wav_dir, "음악 틀어 줘", 1.0, voice="ko", speed=150)) + \
        samples.load(samples.cached_wav(wav_dir, "오늘 날씨 어때", 1.0, voice="ko", speed=150))
    events, _ = run(pcm, ko_transcriber, ask_back)
    opened = [e for e in events if isinstance(e, Listening) and e.active]
    assert [e.follow_up for e in opened] == [False, True]
    transcripts = [e for e in events if isinstance(e, Transcript)]
    assert transcripts == [Transcript("음악 틀어 줘"), Transcript("오늘 날씨 어때", "c1")]
    assert [e.intent for e in events if isinstance(e, Intent)] == ["HassGetWeather"]
    assert sum(isinstance(e, Wake) for e in events) == 1


def test_push_to_talk_and_a_failing_handler(ko_transcriber: VoskTranscriber,
                                            wav_dir: Path) -> None:
    def broken(text: str) -> Answer:
        raise RuntimeError("dialog crashed")

    pcm = silence(0.3) + samples.load(samples.cached_wav(wav_dir, "불 꺼", 1.0, voice="ko",
                                                          speed=150))
    events, pipeline = run(pcm, ko_transcriber, broken, wake_word=False)
    assert Transcript("불 꺼") in events
    assert not any(isinstance(e, Intent) for e in events)
    assert pipeline.errors == 1


@pytest.mark.parametrize("quick_end_ms", [90, 5000])
def test_a_whole_sentence_ends_at_the_first_short_pause(
        ko_transcriber: VoskTranscriber, wav_dir: Path, quick_end_ms: int) -> None:
    pcm = silence(0.3) + samples.load(samples.cached_wav(wav_dir, "음악 틀어 줘", 1.0, voice="ko",
                                                          speed=150))
    events, pipeline = run(pcm, ko_transcriber, table_handler, wake_word=False,
                           quick_end_ms=quick_end_ms)
    assert [e.intent for e in events if isinstance(e, Intent)] == ["PlayMusic"]
    turn = pipeline.turns[0]
    waited = turn.ended_s - turn.speech_end_s
    if quick_end_ms == 90:  # one check at 90 ms of silence, and the sentence is complete
        assert 0.08 < waited < 0.2
    else:  # no early check: the full 600 ms of silence
        assert 0.58 < waited < 0.7


@pytest.mark.parametrize(("sentences", "heard"), [
    (["지금 몇 시", "지금 몇 시 오늘 날씨 어때"], "지금 몇 시 오늘 날씨 어때"),  # may go on: wait
    (["지금 몇 시", "오늘 날씨 어때"], "지금 몇 시"),  # nothing longer: ends at the pause
])
def test_a_sentence_that_may_go_on_is_not_cut_at_a_pause(ko_model: Path, wav_dir: Path,
                                                         sentences: list[str],
                                                         heard: str) -> None:
    transcriber = VoskTranscriber.from_path(ko_model, sentences)
    pcm = silence(0.3) + samples.load(samples.cached_wav(
        wav_dir, "지금 몇 시", 0.25, "오늘 날씨 어때", 1.0, voice="ko", speed=150))
    texts: list[str] = []

    def handler(text: str) -> Answer:
        texts.append(text)
        return Answer()

    _, pipeline = run(pcm, transcriber, handler, wake_word=False)
    assert texts[0] == heard
    turn = pipeline.turns[0]
    assert 0.08 < turn.ended_s - turn.speech_end_s < 0.2
