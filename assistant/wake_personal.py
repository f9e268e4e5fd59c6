"""A personal wake word from a few recordings: template matching on MFCC features, as Rhasspy's
Raven does, in numpy only.

Enrollment keeps 3-5 WAVs of the word (`<voice.personal.templates_dir>/<word>/*.wav`, under
`house.data_dir`). Each is trimmed to its speech (webrtcvad) and turned into MFCC frames (25 ms
windows every 10 ms, 12 cepstra without the energy term, unit length). Listening, the stream's
frames are matched against every template at once by a streaming subsequence DTW (steps:
diagonal, stay, skip a template frame; cosine distance; the cost of the best path ending at a
template's last frame, divided by the template's length). A detection is `min_matches`
templates under `distance_threshold`. The DTW only runs while webrtcvad heard speech in the
last second, so silence costs almost nothing. Each recording also gives a reverberant and a
noisy template (`augment`), which is what lets a word said at the kiosk be heard across the
room.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from assistant.audio import RATE, RAW, WIDTH, read_pcm, sox
from assistant.errors import EngineUnavailable
from assistant.settings import PersonalWakeSettings, VoiceSettings
from core.config import Config

FRAME = 1600
"""Samples per `process` call (100 ms): features and DTW are computed in blocks."""
WINDOW = 400
HOP = 160
NFFT = 512
MELS = 26
CEPSTRA = 12
STAY_PENALTY = 0.05
"""Added to a step that stays on the same template frame (the speaker is slower)."""
VAD_FRAME = 480
GATE_S = 1.0
"""DTW runs while speech was heard within this many seconds."""


def _mel_filters() -> np.ndarray:
    def mel(f: np.ndarray | float) -> np.ndarray:
        return 2595.0 * np.log10(1.0 + np.asarray(f) / 700.0)

    edges = 700.0 * (10 ** (np.linspace(mel(60.0), mel(7600.0), MELS + 2) / 2595.0) - 1.0)
    bins = np.fft.rfftfreq(NFFT, 1.0 / RATE)
    filters = np.zeros((MELS, bins.size))
    for m in range(MELS):
        lo, mid, hi = edges[m], edges[m + 1], edges[m + 2]
        filters[m] = np.clip(np.minimum((bins - lo) / (mid - lo), (hi - bins) / (hi - mid)),
                             0.0, None)
    return filters


_FILTERS = _mel_filters()
_HAMMING = np.hamming(WINDOW)
_DCT = np.cos(np.pi / MELS * (np.arange(MELS) + 0.5)[None, :]
              * np.arange(1, CEPSTRA + 1)[:, None])
_FLOOR = 1e-2
"""Floor of the mel energies (in squared 16-bit units): silence and dither look the same."""


def mfcc(samples: np.ndarray) -> np.ndarray:
    """Unit-length MFCC frames (n, 12) of float samples (whole windows only)."""
    count = 1 + (samples.size - WINDOW) // HOP if samples.size >= WINDOW else 0
    if count == 0:
        return np.zeros((0, CEPSTRA))
    index = np.arange(WINDOW)[None, :] + HOP * np.arange(count)[:, None]
    frames = samples[index]
    frames = np.append(frames[:, :1], frames[:, 1:] - 0.97 * frames[:, :-1], axis=1)
    power = np.abs(np.fft.rfft(frames * _HAMMING, NFFT)) ** 2 / NFFT
    logmel = np.log(np.maximum(power @ _FILTERS.T, _FLOOR))
    ceps = logmel @ _DCT.T
    norms = np.linalg.norm(ceps, axis=1, keepdims=True)
    return ceps / np.maximum(norms, 1e-9)


def _pcm(pcm: bytes) -> np.ndarray:
    return np.frombuffer(pcm, dtype="<i2").astype(np.float64)


def trim(pcm: bytes, aggressiveness: int = 2) -> bytes:
    """The speech of a recording: first to last voiced 30 ms frame (plus 30 ms each side)."""
    import webrtcvad
    vad = webrtcvad.Vad(aggressiveness)
    size = VAD_FRAME * WIDTH
    voiced = [i for i in range(0, len(pcm) - size + 1, size)
              if vad.is_speech(pcm[i:i + size], RATE)]
    if not voiced:
        return b""
    start = max(0, voiced[0] - size)
    return pcm[start:voiced[-1] + 2 * size]


def template(pcm: bytes) -> np.ndarray:
    """The features of one enrollment recording (its speech only)."""
    speech = trim(pcm)
    if len(speech) < 0.2 * RATE * WIDTH:
        raise EngineUnavailable("personal wake word: a recording holds less than 0.2 s of "
                                "speech; say the word clearly, close to the microphone")
    return mfcc(_pcm(speech))


def augmented(pcm: bytes) -> list[bytes]:
    """A recording as heard in a reverberant room (sox `reverb`, -6 dB) and in white noise
    (15 dB SNR): few recordings made close to the kiosk then also match across the room and
    over noise. The parameters are fixed here, not fitted to bench/wake.py's held-out ones
    (reverb 60 50 80 at -14 dB, pink noise at 10 dB)."""
    out = []
    if shutil.which("sox"):
        out.append(sox(*RAW, "-", *RAW, "-", "reverb", "40", "40", "60", "vol", "0.5",
                       pcm=pcm))
    samples = _pcm(pcm)
    speech = samples[np.abs(samples) > 0.02 * max(np.abs(samples).max(), 1.0)]
    rms = float(np.sqrt(np.mean(speech ** 2))) if speech.size else 0.0
    hiss = np.random.default_rng(len(pcm)).normal(0.0, rms / 10 ** (15 / 20), samples.size)
    out.append(np.clip(samples + hiss, -32768, 32767).astype("<i2").tobytes())
    return out


def templates(recordings: list[bytes], augment: bool = True) -> list[np.ndarray]:
    """The templates of a word: each recording, and its augmented copies."""
    out = []
    for pcm in recordings:
        out.append(template(pcm))
        if augment:
            out += [template(a) for a in augmented(pcm)]
    return out


def folder(voice: VoiceSettings, config: Config) -> Path:
    """Where the templates of the configured word are kept."""
    base = voice.personal.templates_dir
    root = config.path(base) if config is not None else Path(base)
    return root / voice.personal.word


def recordings(path: Path) -> list[Path]:
    """The enrollment WAVs of a word, in order."""
    return sorted(path.glob("*.wav")) if path.is_dir() else []


def create(voice: VoiceSettings, config: Config) -> PersonalWakeDetector:
    """The detector for the configured word, from its enrolled recordings."""
    try:
        import webrtcvad  # noqa: F401  (the gate and the trimming need it)
    except ImportError as err:
        raise EngineUnavailable(f"personal wake word: webrtcvad is not installed ({err}): "
                                "pip install webrtcvad-wheels") from err
    path = folder(voice, config)
    wavs = recordings(path)
    if not wavs:
        raise EngineUnavailable(f"personal wake word {voice.personal.word!r}: no recording in "
                                f"{path}; enroll it: basecamp voice enroll --word "
                                f"{voice.personal.word} a.wav b.wav c.wav (or the kiosk's "
                                "page)")
    return PersonalWakeDetector(voice.personal,
                                templates([read_pcm(w) for w in wavs], voice.personal.augment))


class PersonalWakeDetector:
    """Every template matched at once against the stream (streaming subsequence DTW)."""

    name = "personal"
    frame_length = FRAME

    def __init__(self, settings: PersonalWakeSettings, templates: Iterable[np.ndarray],
                 aggressiveness: int = 2) -> None:
        import webrtcvad
        self.settings = settings
        self.keywords: tuple[str, ...] = (settings.word,)
        self.templates = [t for t in templates if len(t)]
        if not self.templates:
            raise EngineUnavailable("personal wake word: no usable template")
        count, longest = len(self.templates), max(len(t) for t in self.templates)
        self._stack = np.zeros((count, longest, CEPSTRA))
        for k, t in enumerate(self.templates):
            self._stack[k, :len(t)] = t
        self._flat = self._stack.reshape(count * longest, CEPSTRA)
        self._ends = np.array([len(t) - 1 for t in self.templates])
        self._rows = np.arange(count)
        self._shape = (count, longest)
        self._vad = webrtcvad.Vad(aggressiveness)
        self.last_scores: np.ndarray = np.full(count, np.inf)
        """The latest normalised distance of each template (for benchmarks and tuning)."""
        self.best = np.inf
        """The lowest `min_matches`-th distance seen since the last reset."""
        self.reset()

    def reset(self) -> None:
        """Forget the audio heard so far."""
        self._tail = np.zeros(0)
        self._cost = np.full(self._shape, np.inf)
        self._since_speech = GATE_S * RATE + 1
        self.best = np.inf

    def _voiced(self, frame: bytes) -> bool:
        size = VAD_FRAME * WIDTH
        return any(self._vad.is_speech(frame[i:i + size], RATE)
                   for i in range(0, len(frame) - size + 1, size))

    def process(self, frame: bytes) -> str | None:
        """The word, when enough templates matched within this block, or None."""
        self._since_speech = 0 if self._voiced(frame) else self._since_speech + len(frame) // 2
        samples = np.concatenate([self._tail, _pcm(frame)])
        feats = mfcc(samples)
        used = len(feats) * HOP
        self._tail = samples[used:]
        if self._since_speech > GATE_S * RATE:
            if np.isfinite(self._cost).any():
                self._cost.fill(np.inf)
            return None
        heard = None
        for x in feats:
            if self._step(x) and heard is None:
                heard = self.settings.word
        if heard is not None:
            self._cost.fill(np.inf)
        return heard

    def _step(self, x: np.ndarray) -> bool:
        local = (1.0 - self._flat @ x).reshape(self._shape)
        cost = self._cost
        diag = np.full(self._shape, np.inf)
        diag[:, 1:] = cost[:, :-1]
        diag[:, 0] = 0.0  # a path may start at any stream frame
        skip = np.full(self._shape, np.inf)
        skip[:, 2:] = cost[:, :-2]
        stay = cost + STAY_PENALTY
        skip_total = skip + local  # a skipped template frame counts as if matched
        self._cost = np.minimum(np.minimum(diag, stay), skip_total) + local
        ends = self._cost[self._rows, self._ends] / (self._ends + 1.0)
        self.last_scores = ends
        needed = min(self.settings.min_matches, len(ends))
        kth = float(np.partition(ends, needed - 1)[needed - 1])
        self.best = min(self.best, kth)
        return kth < self.settings.distance_threshold

    def close(self) -> None:
        """Nothing native to free."""
