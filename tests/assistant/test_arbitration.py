"""Which satellite answers when several heard the same command: the pure ranking, then two
real pipelines hearing the same WAV at different levels (sox `vol`)."""

from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path
from typing import ClassVar

import pytest

from assistant import samples, wake
from assistant.arbitration import SILENCE_DB, Arbiter, energy_db, verdict, winner
from assistant.audio import RATE, scaled, silence
from assistant.pipeline import Answer, Pipeline, Verdict
from assistant.settings import PorcupineSettings, VoiceSettings
from assistant.stt import VoskTranscriber
from assistant.vad import Limits, webrtc
from core.messages import Message
from core.messages.dialogs import Intent
from core.messages.voice import Listening, Say, WakeBid

from .conftest import needs_espeak, needs_ko_model, wake_pcm

W = 6.0  # dB per unit of wake score


def bid(machine: str, energy: float, at: float = 100.0, score: float = 1.0) -> WakeBid:
    return WakeBid(machine, machine.removeprefix("bc-"), score, energy, at)


def tone(amplitude: int, samples_: int = RATE) -> bytes:
    return b"".join(v.to_bytes(2, "little", signed=True)
                    for v in itertools.islice(itertools.cycle((amplitude, -amplitude)),
                                              samples_))


def test_energy_is_the_level_in_dbfs() -> None:
    assert energy_db(silence(1.0)) == SILENCE_DB == energy_db(b"")
    assert energy_db(tone(32767)) == pytest.approx(0.0, abs=0.01)
    assert energy_db(tone(16384)) == pytest.approx(-6.02, abs=0.05)
    assert energy_db(tone(328)) == pytest.approx(-40.0, abs=0.1)


def test_the_loudest_wins_whatever_the_order_bids_arrive_in() -> None:
    bids = [bid("bc-ui", -30.0), bid("bc-chambre", -22.5), bid("bc-cuisine", -41.0)]
    for order in itertools.permutations(bids):
        assert winner(order, W).machine == "bc-chambre"


def test_the_wake_score_weighs_against_loudness() -> None:
    sure, unsure = bid("bc-ui", -30.0, score=1.0), bid("bc-chambre", -27.0, score=0.4)
    assert winner([sure, unsure], W) is sure  # 3 dB louder, but 0.6 less sure (3.6 dB)
    assert winner([sure, unsure], 0.0) is unsure  # loudness alone


def test_equal_bids_break_ties_by_machine_name_on_every_satellite() -> None:
    a, b = bid("bc-chambre", -25.0), bid("bc-ui", -25.0)
    assert winner([a, b], W) is a and winner([b, a], W) is a


def test_verdict_waits_for_the_window_then_counts_only_that_window() -> None:
    own = bid("bc-ui", -30.0, at=100.0)
    louder_now = bid("bc-chambre", -20.0, at=100.15)
    louder_before = bid("bc-chambre", -10.0, at=98.0)  # an earlier command
    assert verdict(own, [louder_now], 100.2, 0.4, W) is None  # still open
    assert verdict(own, [louder_now], 100.4, 0.4, W) is False
    assert verdict(own, [louder_before], 100.4, 0.4, W) is True
    assert verdict(own, [], 100.4, 0.4, W) is True  # alone in the house


def test_a_late_bid_stays_quiet_even_when_louder() -> None:
    """A satellite whose audio lags bids after the others decided: one answer, not two."""
    early = bid("bc-ui", -35.0, at=100.0)
    late = bid("bc-chambre", -20.0, at=100.7)  # after the salon's window closed
    assert verdict(early, [late], 100.4, 0.4, W) is True  # decided before the late bid
    assert verdict(late, [early], 101.2, 0.4, W) is False
    assert verdict(late, [bid("bc-ui", -35.0, at=98.0)], 101.2, 0.4, W) is True  # old command


def test_both_satellites_reach_the_same_decision() -> None:
    clock = [100.0]
    ui, bedroom = (Arbiter(m, 0.4, W, clock=lambda: clock[0]) for m in ("bc-ui", "bc-chambre"))
    mine, theirs = bid("bc-ui", -31.0, 100.0), bid("bc-chambre", -24.0, 100.05)
    ui.heard(mine)  # its own echo from the bus: ignored
    ui.heard(theirs)
    bedroom.heard(mine)
    assert ui.decide(mine) is None
    clock[0] = 100.5
    assert (ui.decide(mine), bedroom.decide(theirs)) == (False, True)


# ---- two real pipelines, one command heard at two levels ---------------------------------

needs_porcupine = pytest.mark.skipif(importlib.util.find_spec("pvporcupine") is None,
                                     reason="pvporcupine is not installed")


class Rooms:
    """Two real pipelines (bc-ui in the salon, bc-chambre in the chambre) whose bids cross
    like the bus carries them, on one audio clock; the speaker is in the chambre."""

    INTENTS: ClassVar[dict[str, str]] = {"지금 몇 시": "HassGetCurrentTime", "불 꺼": "HassTurnOff"}
    """What each Korean command stands for (turning off invites a follow-up)."""

    def __init__(self, transcriber: VoskTranscriber) -> None:
        self.clock = [1000.0]
        self.heard: dict[str, list[Message]] = {"bc-ui": [], "bc-chambre": []}
        self.arbiters = {m: Arbiter(m, 0.4, W, clock=lambda: self.clock[0]) for m in self.heard}
        self.ui = self.satellite("bc-ui", "salon", transcriber)
        self.bedroom = self.satellite("bc-chambre", "chambre", transcriber)

    def satellite(self, machine: str, room: str, transcriber: VoskTranscriber) -> Pipeline:
        clock, arbiters = self.clock, self.arbiters

        def arbitrate(detection: wake.Detection, level: float) -> Verdict:
            own = WakeBid(machine, room, 1.0, level, clock[0])
            for other in arbiters.values():  # what the bus does
                other.heard(own)

            def decide(wait: bool) -> bool | None:
                if wait:  # the command ended inside the window: the audio clock moves on
                    while arbiters[machine].decide(own) is None:
                        clock[0] += 0.03
                return arbiters[machine].decide(own)
            return decide

        voice = VoiceSettings(porcupine=PorcupineSettings(keywords=("computer",)))
        return Pipeline(spotter=wake.Spotter(wake.create(voice, None, "porcupine"), 2.0),
                        transcriber=transcriber, emit=self.heard[machine].append,
                        handler=lambda text: Answer(reply=f"ok {text}",
                                                    intent=Intent(self.INTENTS[text])),
                        is_speech=webrtc(2), limits=Limits(600, 3.0, 8.0, 90), lang="ko",
                        room=room, arbitrate=arbitrate)

    @staticmethod
    def command(wav_dir: Path, text: str) -> bytes:
        """The tests' wake word, then `text` in Korean."""
        return wake_pcm() + samples.load(samples.cached_wav(wav_dir, text, 1.0, voice="ko",
                                                            speed=150))

    def say(self, pcm: bytes) -> None:
        """Both rooms hear `pcm` at once, 30 ms at a time: near in the chambre, far in the
        salon."""
        near, far = scaled(pcm, 0.9), scaled(pcm, 0.25)  # far: farther away
        for i in range(0, len(near), 960):
            self.bedroom.feed(near[i:i + 960])
            self.ui.feed(far[i:i + 960])
            self.clock[0] += 0.03

    def said(self, machine: str) -> list[Message]:
        """The intents and replies of one room."""
        return [e for e in self.heard[machine] if isinstance(e, (Intent, Say))]


@needs_espeak
@needs_ko_model
@needs_porcupine
def test_two_satellites_one_answer_from_the_louder_room(ko_transcriber: VoskTranscriber,
                                                        wav_dir: Path) -> None:
    rooms = Rooms(ko_transcriber)
    rooms.say(rooms.command(wav_dir, "지금 몇 시"))
    rooms.bedroom.flush()
    rooms.ui.flush()
    assert rooms.said("bc-ui") == [] and rooms.ui.yielded == 1
    assert Listening(False, follow_up=False, outcome="yielded") in rooms.heard["bc-ui"]
    intent, say = rooms.said("bc-chambre")
    assert isinstance(intent, Intent) and intent.room == "chambre"
    assert say == Say("ok 지금 몇 시", lang="ko", rooms=["chambre"])
    assert rooms.bedroom.yielded == 0 and (rooms.bedroom.turns[0].arbitration_ms or 0) > 0


@needs_espeak
@needs_ko_model
@needs_porcupine
def test_the_wake_word_in_a_follow_up_window_is_bid_for(ko_transcriber: VoskTranscriber,
                                                        wav_dir: Path) -> None:
    """The chambre turned the light off and keeps its microphone open for a follow-up; the
    wake word and another command said then, heard by both rooms, get one answer, from the
    chambre: it bids again, the salon stands down (both answered before: the chambre took the
    command as its follow-up without bidding, the salon found no rival bid)."""
    rooms = Rooms(ko_transcriber)
    rooms.say(rooms.command(wav_dir, "불 꺼"))
    assert [type(e) for e in rooms.said("bc-chambre")] == [Intent, Say]
    assert rooms.bedroom.phase == "listening", "the follow-up window is open"
    rooms.say(rooms.command(wav_dir, "지금 몇 시"))
    rooms.bedroom.flush()
    rooms.ui.flush()
    assert rooms.said("bc-ui") == [] and rooms.ui.yielded == 2
    assert Listening(False, follow_up=True, outcome="woken") in rooms.heard["bc-chambre"]
    intents = [e for e in rooms.said("bc-chambre") if isinstance(e, Intent)]
    assert [i.intent for i in intents] == ["HassTurnOff", "HassGetCurrentTime"], \
        rooms.heard["bc-chambre"]
    assert all(i.room == "chambre" for i in intents)
