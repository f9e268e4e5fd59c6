"""French audio for measuring speech to text and wake words, built from installed packages.

- `asterisk`: real human French, Debian's asterisk-core-sounds-fr prompts with their transcript.
- `build`: the whole set (human prompts + synthetic house commands with room noise), a manifest
  and a held-out part (`python -m tests.assistant.audio_fr.build --help`).

No audio is committed: everything is made in a cache folder from Debian packages.
"""
