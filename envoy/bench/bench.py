#!/usr/bin/env python3
"""customs' load benchmark in a real Envoy: the orchestration. run.sh installs
and builds what it needs, then runs this; see envoy/bench/README.md.

The Envoy under test runs with one worker pinned to core 0. wrk and the far side
(a second Envoy answering a canned chat completion once it has read the whole
body) share core 1. Five columns, each its own Envoy under test: no filter, a
do-nothing wasm filter that only buffers the body, the same filter making
customs' host calls and nothing more, customs with its default policy, customs
with a full policy. Every round restarts them (timing start-up
to /ready), warms them up, reads their memory, then measures every body on
every column, in an order that rotates from round to round. A streaming part
then measures time to first byte through customs against the mock provider.
Raw figures go to envoy/.run/bench/results.json, the report (report.py) to
envoy/bench/results.md and stdout. Standard library only; binds 127.0.0.1.
"""
import argparse
import hashlib
import json
import os
import pathlib
import platform
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import bodies  # noqa: E402
import report  # noqa: E402
import stream  # noqa: E402
from envoys import (  # noqa: E402
    ADMIN_BASE, BENCH, FAR_ADMIN, FAR_PORT, LISTEN_BASE, LOAD_CORE, MAX_COLUMNS, MOCK_PORT, RUN, STREAM_ADMIN_BASE,
    STREAM_LISTEN_BASE, TICK, Column, Processes, busy_ticks, children_ticks, cpu_ticks, envoy_argv, fail, port_taken,
    post, refusal, render, render_column, rotated, rss_kb, self_ticks, start_envoy, wait_ready,
)  # fmt: skip


# ----------------------------------------------------------------- load


def wrk(port, body_path, seconds, connections):
    """Runs wrk on the load core; returns the figures post.lua printed."""
    argv = [
        "taskset", "-c", str(LOAD_CORE), "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency",
        "-s", str(BENCH / "post.lua"), f"http://127.0.0.1:{port}", "--", str(body_path),
    ]  # fmt: skip
    out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    for line in out.stdout.splitlines():
        if line.startswith("BENCH "):
            return json.loads(line[6:])
    fail(f"wrk printed no result: {out.stdout[-500:]} {out.stderr[-500:]}")


def measure(proc, far, port, body_path, seconds, connections):
    """One cell: wrk against the Envoy under test, with its CPU over the run."""
    before = (cpu_ticks(proc.pid), cpu_ticks(far.pid), busy_ticks(), children_ticks(), self_ticks())
    wall = time.perf_counter()
    r = wrk(port, body_path, seconds, connections)
    wall = time.perf_counter() - wall
    after = (cpu_ticks(proc.pid), cpu_ticks(far.pid), busy_ticks(), children_ticks(), self_ticks())
    envoy, far_side, busy, children, own = (a - b for a, b in zip(after, before))
    requests = max(1, r["requests"])
    foreign = max(0.0, busy - envoy - far_side - children - own)
    return {
        "requests": r["requests"],
        "rps": r["requests"] / (r["duration_us"] / 1e6),
        "cpu_us_per_req": envoy / TICK * 1e6 / requests,
        "far_cpu_us_per_req": far_side / TICK * 1e6 / requests,
        "p50_us": r["p50_us"],
        "p99_us": r["p99_us"],
        "non_2xx": r["errors_status"],
        "socket_errors": r["errors_connect"] + r["errors_read"] + r["errors_write"] + r["errors_timeout"],
        "foreign_cpu_pct": 100.0 * foreign / TICK / wall,
    }


class QuietGuard:
    """Other work on the machine (a compile) skews a cell. Before a cell, wait
    for the machine to be quiet; after it, measure it again if other processes
    took more than the threshold during it, keeping the quietest attempt. The
    waiting and the repeats share one time budget for the whole run, so a
    machine that never quietens costs at most that much extra."""

    def __init__(self, threshold_pct, budget_s):
        self.threshold, self.budget = threshold_pct, budget_s

    def wait(self):
        for _ in range(int(self.budget) + 1):  # bounded: one-second samples
            if self.budget <= 0:
                return
            before, start = busy_ticks(), time.perf_counter()
            time.sleep(1)
            elapsed = time.perf_counter() - start
            self.budget -= elapsed
            if 100.0 * (busy_ticks() - before) / TICK / elapsed < self.threshold:
                return

    def measure(self, *cell_args, retries=2):
        self.wait()
        best = measure(*cell_args)
        for _ in range(retries):
            if best["foreign_cpu_pct"] < self.threshold or self.budget <= 0:
                break
            self.wait()
            start = time.perf_counter()
            again = measure(*cell_args)
            self.budget -= time.perf_counter() - start
            best = min(best, again, key=lambda c: c["foreign_cpu_pct"])
        return best


def load_rounds(args, envoy, columns, body_paths, procs, far, results):
    guard = QuietGuard(args.quiet_threshold, args.quiet_budget * 60)
    cells = [(conn, key) for conn in args.connections for key in body_paths]
    for rnd in range(args.rounds):
        print(f"\n== round {rnd + 1} of {args.rounds}", flush=True)
        active = [(i, c) for i, c in enumerate(columns) if not c.skipped]
        running = {}
        for i, col in rotated(active, rnd):
            proc, ready = start_envoy(procs, envoy, f"under-test-{col.key}", render_column(col, i), ADMIN_BASE + i)
            running[col.key] = (i, proc)
            results["starts"].append({"round": rnd, "column": col.key, "ready_s": ready})
            print(f"   {col.title}: ready in {ready * 1000:.0f} ms", flush=True)
        if rnd == 0:
            precheck(columns, running, body_paths)
        for i, col in active:
            if col.skipped:
                continue
            proc = running[col.key][1]
            for path in body_paths.values():
                wrk(LISTEN_BASE + i, path, args.warmup, max(args.connections))
            results["memory"].append({"round": rnd, "column": col.key, "rss_warm_kb": rss_kb(proc.pid)})
        for n, (conn, key) in enumerate(cells):
            for i, col in rotated([(i, c) for i, c in active if not c.skipped], rnd + n):
                proc = running[col.key][1]
                cell = guard.measure(proc, far, LISTEN_BASE + i, body_paths[key], args.seconds, conn)
                cell.update(round=rnd, connections=conn, body=f"{key[0]}k-{key[1]}", column=col.key)
                results["cells"].append(cell)
                print(
                    f"   c={conn} {key[0]:>3} KB {key[1]}  {col.title:<24} {cell['rps']:8.0f} req/s "
                    f"{cell['cpu_us_per_req']:8.1f} us/req  p50 {cell['p50_us'] / 1000:6.2f} ms  "
                    f"p99 {cell['p99_us'] / 1000:6.2f} ms  non-2xx {cell['non_2xx']}  "
                    f"other load {cell['foreign_cpu_pct']:.0f}%",
                    flush=True,
                )
        for key, (i, proc) in running.items():
            results["memory"].append({"round": rnd, "column": key, "rss_end_kb": rss_kb(proc.pid)})
            procs.stop(proc)


def memory_per_worker(args, envoy, columns, body_paths, procs, results):
    """Resident memory of one more worker: each column once with one worker and
    once with two (the listener balances connections exactly, so two wrk
    connections warm both), both after warm-up with every body. With one worker
    Envoy already runs two VMs of a filter (the main thread's and the worker's),
    so this difference, not the one-worker figure, is the growth per worker."""
    for i, col in enumerate(columns):
        if col.skipped:
            continue
        for workers in (1, 2):
            name = f"under-test-{col.key}-{workers}w"
            proc, _ = start_envoy(procs, envoy, name, render_column(col, i), ADMIN_BASE + i, workers)
            for path in body_paths.values():
                wrk(LISTEN_BASE + i, path, args.warmup, 2)
            rss = rss_kb(proc.pid)
            results["workers"].append({"column": col.key, "workers": workers, "rss_kb": rss})
            print(f"   {col.title}, {workers} worker(s): RSS {rss / 1024:.1f} MB after warm-up", flush=True)
            procs.stop(proc)


def precheck(columns, running, body_paths):
    """Every column must answer every body with 200, or its figures would be
    those of refusals; a column that does not is dropped, with the reason."""
    for col in columns:
        if col.skipped or col.key not in running:
            continue
        i, _ = running[col.key]
        for key, path in body_paths.items():
            status, answer = post(LISTEN_BASE + i, path.read_bytes())
            if status != 200:
                col.skipped = f"HTTP {status} on the {key[0]} KB {key[1]} body: {answer[:200].decode('utf-8', 'replace')}"
                print(f"   {col.title}: dropped, {col.skipped}", flush=True)
                break


# ----------------------------------------------------------------- main


def source_version():
    """The commit measured, and whether the tree had changes on top of it."""
    try:
        out = subprocess.run(["git", "-C", str(BENCH), "describe", "--always", "--dirty"], capture_output=True, text=True)
        return out.stdout.strip() or None
    except OSError:
        return None


def machine_facts():
    cpu = "unknown"
    for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return {"cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(), "load_before": os.getloadavg()}


def parse_args():
    p = argparse.ArgumentParser(description="customs' load benchmark in a real Envoy (run it through run.sh)")
    p.add_argument("--envoy", required=True, help="the Envoy binary")
    p.add_argument("--customs-wasm", required=True, type=pathlib.Path)
    p.add_argument("--buffer-wasm", required=True, type=pathlib.Path)
    p.add_argument("--calls-wasm", type=pathlib.Path,
                   help="the buffer-only fixture built with --features host-calls (the `calls` column)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--seconds", type=int, default=10, help="length of one measured cell")
    p.add_argument("--warmup", type=int, default=1, help="seconds of warm-up per body and column, every round")
    p.add_argument("--connections", default="1", help="comma list; 1 is the issue's one-connection figure")
    p.add_argument("--sizes", default="2,32,256", help="body sizes in KB")
    p.add_argument("--langs", default="en,zh")
    p.add_argument("--columns", default="none,buffer,calls,default,full")
    p.add_argument("--quiet-threshold", type=float, default=25,
                   help="percent of one core other processes may take during a cell before it is measured again")
    p.add_argument("--quiet-budget", type=float, default=15,
                   help="minutes the whole run may spend waiting for quiet and measuring again")
    p.add_argument("--no-memory-probe", dest="memory_probe", action="store_false",
                   help="skip measuring memory with one worker and with two")
    p.add_argument("--policy", action="append", default=[], metavar="NAME=FILE",
                   help="another column: customs with this policy (repeatable)")
    p.add_argument("--build", action="append", default=[], metavar="NAME=WASM",
                   help="another column: this customs .wasm with the default policy (repeatable; "
                        "compares two builds in the same run)")
    p.add_argument("--stream-requests", type=int, default=50, help="0 skips the streaming part")
    p.add_argument("--stream-pace-ms", type=float, default=2, help="pause between the mock's SSE events")
    p.add_argument("--results", type=pathlib.Path, default=BENCH / "results.md")
    p.add_argument("--note", default="", help="a line to put at the top of the results")
    args = p.parse_args()
    args.connections = [int(x) for x in args.connections.split(",")]
    args.sizes = [int(x) for x in args.sizes.split(",")]
    args.langs = args.langs.split(",")
    args.columns = args.columns.split(",")
    if args.rounds < 1 or args.seconds < 1 or min(args.connections) < 1:
        fail("rounds, seconds and connections must be at least 1")
    if "none" not in args.columns:
        fail("the columns must include `none`: every ratio is against it")
    return args


def main():
    args = parse_args()
    RUN.mkdir(parents=True, exist_ok=True)
    # Measure copies: a rebuild during the run must not change what later rounds load.
    if args.calls_wasm is None and "calls" in args.columns:
        args.columns.remove("calls")
    for attr in ("customs_wasm", "buffer_wasm", "calls_wasm"):
        source = getattr(args, attr)
        if source is None:
            continue
        if not source.is_file():
            fail(f"no {source}")
        copy = RUN / "wasm" / f"{attr}-{source.name}"
        copy.parent.mkdir(exist_ok=True)
        shutil.copyfile(source, copy)
        setattr(args, attr, copy)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    all_columns = {
        "none": Column("none", "no filter"),
        "buffer": Column("buffer", "buffer-only wasm", args.buffer_wasm, None, "buffer_only"),
        # The fixture making customs' host calls for a forwarded request and
        # nothing else: what the calls cost, apart from customs' own work.
        "calls": Column("calls", "host calls only (fixture)", args.calls_wasm, None, "buffer_only"),
        "default": Column("default", "customs, default policy", args.customs_wasm, None, "customs"),
        "full": Column("full", "customs, full policy", args.customs_wasm, BENCH / "full-policy.json", "customs"),
    }
    unknown = [k for k in args.columns if k not in all_columns]
    if unknown:
        fail(f"unknown column {unknown[0]!r}; choose from {', '.join(all_columns)}")
    columns = [all_columns[k] for k in args.columns]
    if len(args.columns) + len(args.policy) + len(args.build) > MAX_COLUMNS:
        fail(f"at most {MAX_COLUMNS} columns")
    for item in args.policy:
        name, sep, file = item.partition("=")
        if not sep or not name or name in all_columns or not pathlib.Path(file).is_file():
            fail(f"--policy wants NAME=FILE with a new name and an existing file, got {item!r}")
        columns.append(Column(name, f"customs, {name}", args.customs_wasm, pathlib.Path(file).resolve(), "customs"))
    names = set(all_columns) | {c.key for c in columns}
    for item in args.build:
        name, sep, file = item.partition("=")
        if not sep or not name or name in names or not pathlib.Path(file).is_file():
            fail(f"--build wants NAME=WASM with a new name and an existing file, got {item!r}")
        names.add(name)
        copy = RUN / "wasm" / f"build-{name}.wasm"
        copy.parent.mkdir(exist_ok=True)
        shutil.copyfile(file, copy)
        columns.append(Column(name, f"customs {name}, default policy", copy, None, "customs"))
    ports = [FAR_PORT, FAR_ADMIN, MOCK_PORT]
    ports += [p + i for i in range(len(columns) + 1) for p in (LISTEN_BASE, ADMIN_BASE, STREAM_LISTEN_BASE, STREAM_ADMIN_BASE)]
    taken = [p for p in ports if port_taken(p)]
    if taken:
        fail(f"port {taken[0]} on 127.0.0.1 is taken; stop whatever listens there (another benchmark?)")

    body_paths = {}
    for size in args.sizes:
        for lang in args.langs:
            path = RUN / "bodies" / f"chat-{size}k-{lang}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(bodies.chat_body(size, lang))
            body_paths[(size, lang)] = path
    for i, col in enumerate(columns):
        col.skipped = refusal(args.envoy, render_column(col, i)) if col.wasm else None
        if col.skipped:
            print(f"bench: {col.title} dropped: {col.skipped}", file=sys.stderr)

    results = {
        "settings": {k: (str(v) if isinstance(v, pathlib.Path) else v) for k, v in vars(args).items()},
        "machine": machine_facts(),
        "source": source_version(),
        "envoy_version": subprocess.run([args.envoy, "--version"], capture_output=True, text=True).stdout.strip(),
        "columns": {},
        "starts": [], "memory": [], "cells": [], "sanity": [], "stream": {}, "stream_skipped": {}, "workers": [],
    }  # fmt: skip
    procs = Processes(RUN / "pids")
    try:
        far = procs.start("far-side", envoy_argv(args.envoy, render(BENCH / "far.yaml", "far.yaml",
                          LISTEN_PORT=FAR_PORT, ADMIN_PORT=FAR_ADMIN)), LOAD_CORE)  # fmt: skip
        wait_ready(far, FAR_ADMIN, time.perf_counter())
        load_rounds(args, args.envoy, columns, body_paths, procs, far, results)
        if args.memory_probe:
            print("\n== memory per worker", flush=True)
            memory_per_worker(args, args.envoy, columns, body_paths, procs, results)
        procs.stop(far)
        if args.stream_requests > 0:
            print("\n== streaming and what crossed, through the mock provider", flush=True)
            try:
                stream.streaming(args, args.envoy, columns, body_paths, procs, results)
            except (OSError, RuntimeError, ValueError, SystemExit) as err:
                # The load figures stand on their own; report the failure with them.
                results["stream_error"] = str(err)
                print(f"bench: the streaming part failed: {err}", file=sys.stderr)
    finally:
        procs.stop_all()
    results["machine"]["load_after"] = os.getloadavg()
    for col in columns:
        results["columns"][col.key] = {
            "title": col.title,
            "wasm_bytes": col.wasm.stat().st_size if col.wasm else None,
            "wasm_sha256": hashlib.sha256(col.wasm.read_bytes()).hexdigest() if col.wasm else None,
            "skipped": col.skipped,
        }
    (RUN / "results.json").write_text(json.dumps(results, indent=1))
    text = report.render(results)
    args.results.write_text(text, encoding="utf-8")
    print("\n" + text)


if __name__ == "__main__":
    main()

