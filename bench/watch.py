"""Sentinel benchmark: one check cycle over 200 services on 20 simulated machines.

Real things on loopback: 190 `/alive` HTTP servers in one helper process, 10 more services run
by one real supervisord (their `/alive` plus supervisord's XML-RPC state), and a TCP machine
check per machine. Ours: the concurrent checker (`watch.probes.run_checks`); reference: the
same checks done one after another. `detect_s`: time from `kill -9` of a supervised service
to its PROBLEM finding, with checks every `interval_s`.
Last line: {"bench": "watch", "cycle_s", "sequential_s", "ratio", "detect_s", ...}.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
import xmlrpc.client
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.config import Config
from tests.helpers import demo_data, free_port
from watch import rules
from watch.policy import Check, Kind, Policy
from watch.probes import ProbeContext, run_check, run_checks

MACHINES, PER_MACHINE, SUPERVISED = 20, 10, 10
INTERVAL_S = 0.5

SERVERS = textwrap.dedent('''
    import asyncio, sys
    from aiohttp import web
    async def main(names_ports):
        for name, port in names_ports:
            async def alive(_, name=name):
                return web.json_response({"service": name, "uptime_s": 1.0})
            app = web.Application()
            app.router.add_get("/alive", alive)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", port).start()
        print("ready", flush=True)
        await asyncio.Event().wait()
    pairs = [a.split("=") for a in sys.argv[1:]]
    asyncio.run(main([(n, int(p)) for n, p in pairs]))
''')


def start_supervisord(folder: Path, programs: dict[str, list[str]]) -> tuple[
        subprocess.Popen[bytes], int, xmlrpc.client.ServerProxy]:
    port = free_port()
    conf = [f"[supervisord]\nlogfile={folder}/sd.log\npidfile={folder}/sd.pid\n"
            f"childlogdir={folder}\n", f"[inet_http_server]\nport=127.0.0.1:{port}\n",
            "[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = "
            "supervisor.rpcinterface:make_main_rpcinterface\n"]
    conf += [f"[program:{n}]\ncommand={' '.join(a)}\nautorestart=false\nstartsecs=0\n"
             for n, a in programs.items()]
    (folder / "sd.conf").write_text("\n".join(conf))
    proc = subprocess.Popen([str(Path(sys.executable).with_name("supervisord")), "-n", "-c",
                             str(folder / "sd.conf")], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    rpc = xmlrpc.client.ServerProxy(f"http://127.0.0.1:{port}/RPC2")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if all(i["statename"] == "RUNNING" for i in rpc.supervisor.getAllProcessInfo()):
                return proc, port, rpc
        except OSError:
            pass
        time.sleep(0.1)
    raise TimeoutError("supervisord did not start")


async def wait_ports(ports: list[int], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    for port in ports:
        while True:
            try:
                _, w = await asyncio.open_connection("127.0.0.1", port)
                w.close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.05)


async def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="bc-bench-watch-"))
    script = folder / "servers.py"
    script.write_text(SERVERS)
    ports: list[int] = []
    while len(ports) < MACHINES * PER_MACHINE:
        port = free_port()
        if port not in ports:
            ports.append(port)
    services = [(f"m{m:02d}", f"s{m:02d}_{i}", ports[m * PER_MACHINE + i])
                for m in range(MACHINES) for i in range(PER_MACHINE)]
    supervised, plain = services[:SUPERVISED], services[SUPERVISED:]
    helper = subprocess.Popen([sys.executable, str(script), *[f"{n}={p}" for _, n, p in plain]],
                              stdout=subprocess.PIPE)
    sd, sd_port, rpc = start_supervisord(folder, {
        n: [sys.executable, str(script), f"{n}={p}"] for _, n, p in supervised})
    try:
        await wait_ports([p for _, _, p in services])
        data = demo_data(folder)
        data["machines"] = {f"m{m:02d}": {"supervisor_port": sd_port} for m in range(MACHINES)}
        data.pop("relays", None)  # wired on the demo's machines, not these
        data["bus"]["machine"] = "m00"
        data["services"] = {}
        data["watch"] = {"timeout_s": 2.0}
        config = Config.from_dict(data, base_dir=str(folder))
        checks = [Check(f"machine:{m}#tcp", f"machine:{m}", Kind.TCP, m,
                        target=f"127.0.0.1:{sd_port}") for m in data["machines"]]
        for machine, name, port in services:
            subject = f"service:{machine}/{name}"
            checks.append(Check(f"{subject}#http", subject, Kind.HTTP, machine, name,
                                f"http://127.0.0.1:{port}/alive"))
        for machine, name, _ in supervised:
            subject = f"service:{machine}/{name}"
            checks.append(Check(f"{subject}#supervisor", subject, Kind.SUPERVISOR, machine,
                                name, name))
        async with aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=2.0),
                connector=aiohttp.TCPConnector(limit=0)) as http:
            ctx = ProbeContext(config, lambda: __import__("datetime").datetime.now(
                __import__("datetime").UTC), http)
            await run_checks(checks, ctx)  # warm up
            cycles = []
            for _ in range(5):
                t0 = time.perf_counter()
                obs = await run_checks(checks, ctx)
                cycles.append(time.perf_counter() - t0)
            failed_ok = sum(not o.ok for o in obs)
            t0 = time.perf_counter()
            ctx.new_cycle()
            for check in checks:
                await run_check(check, ctx)
            sequential = time.perf_counter() - t0
            detects = await measure_detect(checks, ctx, rpc, supervised[:3])
    finally:
        sd.terminate()
        helper.terminate()
        sd.wait(10)
        helper.wait(10)
    cycle = sorted(cycles)[len(cycles) // 2]
    print(f"checks per cycle: {len(checks)}; failures in a healthy cycle: {failed_ok}",
          file=sys.stderr)
    print(json.dumps({"bench": "watch", "services": len(services), "machines": MACHINES,
                      "checks": len(checks), "cycle_s": round(cycle, 4),
                      "sequential_s": round(sequential, 4),
                      "ratio": round(sequential / cycle, 1), "interval_s": INTERVAL_S,
                      "detect_s": round(max(detects), 3),
                      "detect_intervals": round(max(detects) / INTERVAL_S, 2),
                      "debounce": "1 of 1", "cpus": os.cpu_count()}))


async def measure_detect(checks: list[Check], ctx: ProbeContext, rpc: xmlrpc.client.ServerProxy,
                         victims: list[tuple[str, str, int]]) -> list[float]:
    """Kill supervised services at moments unrelated to the cycle (offsets 0.1, 0.5, 0.9 of an
    interval); cycles keep their schedule; time from each kill to its PROBLEM finding."""
    policy = Policy(tuple(checks), fail_n=1, fail_m=1)
    history = rules.History()
    loop = asyncio.get_running_loop()
    start = loop.time()
    killed: dict[str, float] = {}
    detected: dict[str, float] = {}

    async def killer(name: str, at: float) -> None:
        await asyncio.sleep(max(0.0, start + at - loop.time()))
        os.kill(int(rpc.supervisor.getProcessInfo(name)["pid"]), 9)
        killed[f"service:{victims[0][0]}/{name}"] = time.perf_counter()

    tasks = [asyncio.ensure_future(killer(name, (2 + 2 * i + frac) * INTERVAL_S))
             for i, ((_, name, _), frac) in enumerate(zip(victims, (0.1, 0.5, 0.9),
                                                          strict=False))]
    next_cycle = start
    for _ in range(100):
        await asyncio.sleep(max(0.0, next_cycle - loop.time()))
        next_cycle += INTERVAL_S
        obs = await run_checks(checks, ctx)
        findings, history = rules.evaluate(obs, history, ctx.now(), policy)
        for f in findings:
            if f.subject in killed and f.subject not in detected \
                    and f.state is rules.State.PROBLEM:
                detected[f.subject] = time.perf_counter() - killed[f.subject]
        if len(detected) == len(victims):
            break
    await asyncio.gather(*tasks)
    if len(detected) != len(victims):
        raise RuntimeError("a killed service was never detected")
    return list(detected.values())


if __name__ == "__main__":
    asyncio.run(main())
