"""What the benchmark runs and reads: Envoy configs rendered with
envoy/render.py, processes pinned to a core and stopped at the end, readiness,
and the /proc figures (CPU time, resident memory, the machine's busy time).
Standard library only."""

import http.client
import os
import pathlib
import resource
import socket
import subprocess
import sys
import time

BENCH = pathlib.Path(__file__).resolve().parent
ROOT = BENCH.parent.parent
RUN = ROOT / "envoy" / ".run" / "bench"

FAR_PORT, FAR_ADMIN = 18100, 19940
MOCK_PORT = 18101
MAX_COLUMNS = 12
LISTEN_BASE, ADMIN_BASE = 10100, 19900  # + column index: the load columns
STREAM_LISTEN_BASE, STREAM_ADMIN_BASE = 10120, 19920  # + index: the streaming paths
ENVOY_CORE, LOAD_CORE = 0, 1
TICK = os.sysconf("SC_CLK_TCK")


class Column:
    """One configuration of the Envoy under test."""

    def __init__(self, key, title, wasm=None, policy=None, root_id=None):
        self.key, self.title, self.wasm, self.policy, self.root_id = key, title, wasm, policy, root_id
        self.skipped = None  # why the column was dropped, if it was

    @property
    def template(self):
        return BENCH / ("proxy-wasm.yaml" if self.wasm else "proxy.yaml")


# ----------------------------------------------------------------- processes


class Processes:
    """Everything the benchmark starts, so that all of it is stopped at the end.
    Their ids also go to a pid file that run.sh's exit trap reads."""

    def __init__(self, pidfile):
        self.pidfile = pidfile
        self.procs = []
        self._write_pids()

    def _write_pids(self):
        self.pidfile.write_text("".join(f"{p.pid}\n" for p in self.procs if p.poll() is None))

    def start(self, name, argv, core):
        log = open(RUN / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            ["taskset", "-c", str(core), *argv], stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        proc.bench_log = log
        proc.bench_name = name
        self.procs.append(proc)
        self._write_pids()
        return proc

    def stop(self, proc):
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        proc.bench_log.close()
        if proc in self.procs:
            self.procs.remove(proc)
        self._write_pids()

    def stop_all(self):
        for proc in list(self.procs):
            self.stop(proc)


def fail(message):
    raise SystemExit(f"bench: {message}")


def port_taken(port):
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def render(template, out_name, wasm=None, policy=None, **values):
    """Fills a template with envoy/render.py, into envoy/.run/bench/."""
    argv = [sys.executable, str(ROOT / "envoy" / "render.py"), str(template), "--out", str(RUN / out_name)]
    if wasm:
        argv += ["--wasm", str(wasm)]
    if policy:
        argv += ["--policy", str(policy)]
    for name, value in values.items():
        argv += ["--set", f"{name}={value}"]
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    return RUN / out_name


def envoy_argv(envoy, config, workers=1):
    return [envoy, "-c", str(config), "--concurrency", str(workers), "--use-dynamic-base-id", "-l", "warning"]


def wait_ready(proc, admin_port, started, limit_s=60):
    """Seconds from `started` until Envoy's /ready answers 200."""
    for _ in range(int(limit_s / 0.005)):
        if proc.poll() is not None:
            fail(f"{proc.bench_name} exited with {proc.returncode}; see envoy/.run/bench/{proc.bench_name}.log")
        conn = http.client.HTTPConnection("127.0.0.1", admin_port, timeout=1)
        try:
            conn.request("GET", "/ready")
            if conn.getresponse().status == 200:
                return time.perf_counter() - started
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.005)
    fail(f"{proc.bench_name} was not ready after {limit_s}s")


def start_envoy(procs, envoy, name, config, admin_port, workers=1):
    started = time.perf_counter()
    proc = procs.start(name, envoy_argv(envoy, config, workers), ENVOY_CORE)
    return proc, wait_ready(proc, admin_port, started)


# ----------------------------------------------------------------- /proc


def cpu_ticks(pid):
    """utime + stime of a process, in clock ticks."""
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def rss_kb(pid):
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def busy_ticks():
    """Busy time of the whole machine (all cores), in clock ticks."""
    fields = pathlib.Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return user + nice + system + irq + softirq + steal


def children_ticks():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (ru.ru_utime + ru.ru_stime) * TICK


def self_ticks():
    t = os.times()
    return (t.user + t.system) * TICK


def post(port, body, timeout=30):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(
            "POST", "/v1/chat/completions", body=body,
            headers={"content-type": "application/json", "authorization": "Bearer sk-bench-client-key"},
        )  # fmt: skip
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def rotated(items, by):
    k = by % len(items) if items else 0
    return items[k:] + items[:k]


def refusal(envoy, config):
    """Loads a config with `envoy --mode validate`, which runs the filter's
    on_configure: a policy customs refuses fails here, not mid-run. Returns
    Envoy's reason, or None when the config loads."""
    out = subprocess.run(
        [envoy, "--mode", "validate", "-c", str(config), "-l", "error"], capture_output=True, text=True, timeout=120
    )
    if out.returncode == 0:
        return None
    lines = [l for l in (out.stdout + out.stderr).splitlines() if "customs:" in l or "error initializing" in l]
    return (lines[0].split("] ")[-1] if lines else "envoy --mode validate failed").strip()


def render_column(column, index, upstream=FAR_PORT, listen=None, admin=None, name=None):
    return render(
        column.template,
        name or f"under-test-{column.key}.yaml",
        wasm=column.wasm,
        policy=column.policy,
        ROOT_ID=column.root_id or "none",
        LISTEN_PORT=listen or LISTEN_BASE + index,
        ADMIN_PORT=admin or ADMIN_BASE + index,
        UPSTREAM_PORT=upstream,
    )
