"""Speech to text on the installed Vosk model with Korean speech synthesised by espeak-ng:
load, vocabulary, grammar restriction, streaming, free-dictation fallback, timing."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from assistant import samples, vosk_model
from assistant.errors import ModelMissing
from assistant.stt import Mode, VoskTranscriber

from .conftest import KO_SENTENCES, needs_espeak, needs_ko_model


def test_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelMissing, match="no Vosk model at"):
        vosk_model.check_model(tmp_path / "absent")
    (tmp_path / "half").mkdir()
    with pytest.raises(ModelMissing, match="not a complete Vosk model"):
        vosk_model.check_model(tmp_path / "half")
    with pytest.raises(ModelMissing, match="pip install no-such-model"):
        vosk_model.model_path("pypi:no_such_model", None)


@needs_ko_model
def test_vocabulary_is_read_from_the_model(ko_model: Path) -> None:
    words = vosk_model.vocabulary(ko_model)
    assert len(words) > 100_000
    assert {"오늘", "날씨", "어때"} <= words
    assert vosk_model.unknown_token(words) == "<UNK>"


@needs_ko_model
@needs_espeak
def test_the_same_audio_is_heard_the_same_whatever_came_before(ko_model: Path,
                                                              wav_dir: Path) -> None:
    """A command decoded again after others, and by another transcriber of the same model,
    gives the same words and alternatives: before, Kaldi's dither (libc's rand(), one per
    process) and the recogniser's carried-over adaptation made one "음악 틀어 줘" come back
    three different ways here."""
    pcm = {s: samples.load(samples.cached_wav(wav_dir, 0.3, s, 0.5, voice="ko", speed=150))
           for s in KO_SENTENCES}
    sentences = [*KO_SENTENCES, "음악 꺼", "음악 부엌", "부엌 불 꺼", "거실 음악 틀어 줘"]
    first = VoskTranscriber.from_path(ko_model, sentences)
    heard = []
    for other in [*KO_SENTENCES, *KO_SENTENCES[::-1]]:
        heard.append(first.transcribe(pcm["음악 틀어 줘"]))
        first.transcribe(pcm[other])
    heard.append(VoskTranscriber.from_path(ko_model, sentences).transcribe(pcm["음악 틀어 줘"]))
    assert len({(h.text, h.heard, h.distance) for h in heard}) == 1, heard


@needs_ko_model
@needs_espeak
@pytest.mark.parametrize("sentence", KO_SENTENCES)
def test_grammar_recognises_house_sentences(sentence: str, ko_transcriber: VoskTranscriber,
                                            wav_dir: Path) -> None:
    pcm = samples.load(samples.cached_wav(wav_dir, 0.3, sentence, 0.5, voice="ko", speed=150))
    started = time.perf_counter()
    result = ko_transcriber.transcribe(pcm)
    elapsed = time.perf_counter() - started
    assert (result.text, result.mode) == (sentence, Mode.GRAMMAR)
    assert elapsed / (len(pcm) / 32000) < 0.3  # restricted decoding is cheap


@needs_ko_model
@needs_espeak
def test_streaming_partial_sees_a_complete_sentence(ko_transcriber: VoskTranscriber,
                                                    wav_dir: Path) -> None:
    pcm = samples.load(samples.cached_wav(wav_dir, 0.3, "오늘 날씨 어때", 0.5, voice="ko",
                                          speed=150))
    session = ko_transcriber.start()
    partials = []
    for i in range(0, len(pcm), 960):
        session.feed(pcm[i:i + 960])
        match = session.partial()
        partials.append(match.sentence if match else None)
    assert partials[0] is None
    assert "오늘 날씨 어때" in partials
    assert session.finish().text == "오늘 날씨 어때"


@needs_ko_model
@needs_espeak
def test_out_of_grammar_speech_falls_back_to_free_dictation(ko_model: Path,
                                                            wav_dir: Path) -> None:
    pcm = samples.load(samples.cached_wav(wav_dir, 0.3, "저녁에 친구들과 영화를 보러 갈 거예요",
                                          0.5, voice="ko"))
    strict = VoskTranscriber.from_path(ko_model, KO_SENTENCES, free_fallback=False)
    assert strict.transcribe(pcm).mode is Mode.NONE
    fallback = VoskTranscriber.from_path(ko_model, KO_SENTENCES, free_fallback=True)
    result = fallback.transcribe(pcm)
    assert result.mode is Mode.FREE and result.text
    assert result.text not in KO_SENTENCES


@needs_ko_model
def test_sentences_unknown_to_the_model_are_left_out(ko_model: Path) -> None:
    transcriber = VoskTranscriber.from_path(ko_model, ["오늘 날씨 어때", "allume la lumière"])
    assert transcriber.grammar is not None
    assert transcriber.grammar.sentences == ("오늘 날씨 어때",)
    assert "allume" in transcriber.grammar.oov
