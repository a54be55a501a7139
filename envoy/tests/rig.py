"""A throwaway edge for the Envoy tests: the mock provider and Envoy with customs
under a given policy, all on 127.0.0.1, stopped on exit. Standard library only.

    with Edge(policy, wasm, envoy) as edge:
        edge.listen, edge.admin, edge.upstream   # ports
        edge.crossed()                            # what the mock provider recorded
"""

import json
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEFAULT_WASM = ROOT / "target/wasm32-wasip1/release/customs_filter.wasm"
DEFAULT_ENVOY = ROOT / ".venv/bin/envoy"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Edge:
    def __init__(self, policy, wasm, envoy, log_level="warning", component_log_level=None):
        self.policy, self.wasm, self.envoy, self.log_level = policy, wasm, envoy, log_level
        self.component_log_level = component_log_level
        self.procs = []
        self.work = pathlib.Path(tempfile.mkdtemp(prefix="customs-edge-"))
        self.access_log = self.work / "access.log"
        self.envoy_log = self.work / "envoy.log"

    def __enter__(self):
        try:
            self._start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _start(self):
        mock = subprocess.Popen([sys.executable, str(ROOT / "envoy/mock_provider.py"), "--port", "0"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.procs.append(mock)
        self.upstream = int(re.search(r":(\d+)", mock.stdout.readline()).group(1))
        self.listen, self.admin = free_port(), free_port()
        (self.work / "policy.json").write_text(json.dumps(self.policy))
        config = self.work / "envoy.yaml"
        subprocess.run([sys.executable, str(ROOT / "envoy/render.py"), str(ROOT / "envoy/demo.yaml"),
                        "--wasm", str(self.wasm), "--policy", str(self.work / "policy.json"),
                        "--out", str(config), "--set", f"LISTEN_PORT={self.listen}",
                        "--set", f"ADMIN_PORT={self.admin}", "--set", f"UPSTREAM_PORT={self.upstream}"],
                       check=True, stdout=subprocess.DEVNULL)
        envoy = subprocess.Popen([str(self.envoy), "-c", str(config), "--concurrency", "2",
                                  "--use-dynamic-base-id", "-l", self.log_level,
                                  *(["--component-log-level", self.component_log_level]
                                    if self.component_log_level else [])],
                                 stdout=open(self.access_log, "w"), stderr=open(self.envoy_log, "w"))
        self.procs.append(envoy)
        deadline = time.monotonic() + 30
        while True:
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{self.admin}/ready", timeout=1).status == 200:
                    return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline or envoy.poll() is not None:
                sys.exit(f"Envoy did not become ready:\n{self.envoy_log.read_text()[-2000:]}")
            time.sleep(0.1)

    def url(self, path):
        return f"http://127.0.0.1:{self.listen}{path}"

    def crossed(self):
        """Every request the mock provider received."""
        return json.load(urllib.request.urlopen(f"http://127.0.0.1:{self.upstream}/__mock/requests"))

    def __exit__(self, *exc):
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(self.work, ignore_errors=True)
        return False


def report(checks, details=()):
    """Prints each check and the closing `N passed, N failed` line; the exit code."""
    failed = 0
    for what, ok in checks:
        print(("ok    " if ok else "FAIL  ") + what)
        failed += 0 if ok else 1
    for line in details:
        print("      " + line)
    print(f"{len(checks) - failed} passed, {failed} failed")
    return 1 if failed else 0
