# Two commands matter: `make run` (the demo house) and `make test` (the whole suite).
# Both install what is missing first: Debian packages, the .venv, the project with its extras.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := influxdb sox espeak-ng socat gammu-smsd xvfb xauth x11-xserver-utils \
	libxcb-icccm4 libxcb-keysyms1 libxcb-xinerama0 libxcb-randr0 libxcb-render-util0 \
	libxcb-image0 libxcb-shape0 libxcb-xkb1 libxkbcommon-x11-0 libgl1 libegl1 libfontconfig1 \
	libdbus-1-3 libportaudio2 alsa-utils iproute2 iputils-ping mosquitto \
	asterisk-core-sounds-fr asterisk-core-sounds-fr-wav
PYTEST_ARGS ?=

.PHONY: all install install-role system venv run test test-fast lint bench clean

all: install

install: system venv

system: .make/system
.make/system: Makefile
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "make: installing Debian packages:" $$missing; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@mkdir -p .make && touch $@

venv: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	@echo "make: installing Python packages into $(VENV)"
	@$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install -q --disable-pip-version-check -e '.[all,test]'
	@# pvporcupine 1.9.x runs offline with built-in keywords; its old metadata pulls enum34,
	@# which breaks Python 3.11, hence --no-deps.
	@$(PY) -m pip install -q --disable-pip-version-check --no-deps 'pvporcupine>=1.9,<2'
	@touch $@

# One machine of a fleet (deploy/Makefile runs it there): only its services' extras and Debian
# packages (`basecamp deploy extras --host NAME [--apt]`), no test tools, no Xvfb.
install-role:
	@test -n "$(EXTRAS)" || { echo "usage: make install-role EXTRAS=kiosk,voice APT='sox ...'"; exit 2; }
	@if [ -n "$(APT)" ]; then $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $(APT); fi
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check '.[$(EXTRAS)]'
	@# the default wake engine: pvporcupine 1.9's metadata pulls enum34 (see pyproject.toml)
	@case ",$(EXTRAS)," in *,voice,*) \
		$(PY) -m pip install -q --disable-pip-version-check --no-deps 'pvporcupine>=1.9,<2';; esac

run: install
	$(VENV)/bin/basecamp up

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: install
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy core deploy modes dialogs assistant sensors watch kiosk

bench: install
	@for b in bench/*.py; do echo "== $$b"; $(PY) $$b | tail -1; done

clean:
	rm -rf .make $(VENV) var .pytest_cache .mypy_cache .ruff_cache
