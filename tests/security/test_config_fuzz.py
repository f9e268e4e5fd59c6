"""Config files as an attacker or a slip of the keyboard writes them: every one is refused with
one clear line (file, key path, expectation) and exit 2 — never a traceback, never a value that
would stall a loop (nan, inf)."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.config import ConfigError, load, parse
from tests.helpers import demo_data

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "+nan"])
def test_non_finite_numbers_are_refused_with_their_key(tmp_path: Path, value: str) -> None:
    for section, key in (("watch", "interval_s"), ("presence", "tick_s"),
                         ("dialogs", "kwh_price")):
        with pytest.raises(ConfigError, match=rf"{section}\.{key}: expected a finite number"):
            parse(f"[{section}]\n{key} = {value}\n", source="x.toml")


@pytest.mark.parametrize(("content", "said"), [
    (b"\x00\x01\x02binary", "binary data"),
    ("[house]\nname = \"été\"\n".encode("latin-1"), "not UTF-8"),
    (("x = " + "[" * 5000 + "]" * 5000).encode(), "nested too deeply"),
    (("x = " + "[" * 30 + "]" * 30).encode(), "nested more than"),
    (b"[house]\nname = \n", "TOML syntax error"),
])
def test_unreadable_files_get_one_clear_line(tmp_path: Path, content: bytes, said: str) -> None:
    path = tmp_path / "house.toml"
    path.write_bytes(content)
    out = subprocess.run([sys.executable, "-m", "core.cli", "config", "check", str(path)],
                         capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.returncode == 2 and said in out.stderr, out.stderr
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1


SECTIONS = ("house", "watch", "presence", "heating", "dialogs", "sms", "kiosk", "lightpack",
            "scheduler", "voice", "interphone")
scalar = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12),
                   st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
                   st.times().map(lambda t: t.replace(microsecond=0)))
value = st.recursive(scalar.filter(lambda v: v is not None),
                     lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.text(min_size=1, max_size=8), inner, max_size=3),
                     max_leaves=8)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(section=st.sampled_from(SECTIONS), key=st.text(min_size=1, max_size=16) | st.sampled_from(
    ["interval_s", "tick_s", "lang", "timezone", "channels", "reports", "poll_s", "colours",
     "max_sentences", "units", "fail_n", "name", "latitude"]), junk=value)
def test_any_value_anywhere_is_a_config_error_or_a_config(section: str, key: str,
                                                          junk: Any) -> None:
    data = demo_data("/tmp/fuzz-house")
    data.setdefault(section, {})
    if isinstance(data[section], dict):
        data[section][key] = junk
    try:
        text = tomli_w.dumps(data)
    except (TypeError, ValueError):
        return  # not writable as TOML: no file can hold it
    try:
        config = parse(text, source="fuzz.toml")
    except ConfigError as err:
        assert str(err).startswith("fuzz.toml")
        return
    for name in SECTIONS:  # what was accepted holds no number that stalls a loop
        section_data = config.to_plain().get(name, {})
        assert not any(isinstance(v, float) and not math.isfinite(v)
                       for v in _leaves(section_data))


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


def test_a_missing_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load(tmp_path / "nope.toml")
