"""Putting the house on machines, from the one config: outside the kernel, which never imports it.

- `fleet.py`   what each machine runs and installs: supervisord configs (`render_supervisor`),
               boot hooks and units, roles (Python extras, Debian packages), `basecamp deploy
               check`; `basecamp deploy` is its command line            [pure renderers + io]
- `launcher.py` `basecamp up` / `basecamp down`: every machine's supervisord of the config on
               this one computer (the demo house), and when it is ready  [io]
- `Makefile`   `make -f deploy/Makefile machine|fleet`: the same over SSH, onto real machines
- `basecamp.service`, `grafana/`: the systemd unit running a machine's supervisord; a dashboard
"""
