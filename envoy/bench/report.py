"""The benchmark's report: Markdown tables from the raw figures bench.py saves
(envoy/.run/bench/results.json). Every figure is a median over the rounds;
ratios to "no filter" are taken within a round, then their median.

    python3 envoy/bench/report.py envoy/.run/bench/results.json   # re-render
"""

import json
import statistics
import sys

# The targets.
CPU_RATIO_MAX = {2: 2.0, 32: 4.0}  # customs CPU added / buffer-only CPU added
THROUGHPUT_MIN = {2: 0.8, 32: 0.6}  # customs req/s / no filter, one connection
RSS_GROWTH_MAX_MB = 30
WASM_MAX_BYTES = 1.5 * 1024 * 1024
CUSTOMS = ("default", "full")


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(value, digits=0, suffix=""):
    if value is None:
        return "–"
    return f"{value:,.{digits}f}{suffix}"


def body_label(body):
    size, lang = body.split("-")
    return f"{size[:-1]} KB {lang}"


def _by(rows, *keys):
    out = {}
    for r in rows:
        out.setdefault(tuple(r[k] for k in keys), []).append(r)
    return out


class Figures:
    """Medians and within-round ratios over the raw cells."""

    def __init__(self, results):
        self.r = results
        self.columns = [k for k, c in results["columns"].items() if not c["skipped"]]
        self.cells = _by(results["cells"], "connections", "body", "column")
        self.rounds = {(c["connections"], c["body"], c["column"], c["round"]): c for c in results["cells"]}

    def median(self, conn, body, column, field):
        return med([c[field] for c in self.cells.get((conn, body, column), [])])

    def ratio_to_none(self, conn, body, column, field="rps"):
        ratios = []
        for (c, b, col, rnd), cell in self.rounds.items():
            base = self.rounds.get((c, b, "none", rnd))
            if (c, b, col) == (conn, body, column) and base and base[field]:
                ratios.append(cell[field] / base[field])
        return med(ratios)

    def cpu_added(self, conn, body, column):
        mine, none = self.median(conn, body, column, "cpu_us_per_req"), self.median(conn, body, "none", "cpu_us_per_req")
        return None if mine is None or none is None else mine - none

    def cpu_added_ratio(self, conn, body, column):
        """customs' CPU per request added over no filter, in units of buffer-only's."""
        mine, buf = self.cpu_added(conn, body, column), self.cpu_added(conn, body, "buffer")
        return None if mine is None or not buf or buf <= 0 else mine / buf

    def worker_rss_kb(self, column):
        """RSS of the second worker (two workers minus one), or None."""
        w = {(x["column"], x["workers"]): x["rss_kb"] for x in self.r.get("workers", [])}
        if (column, 1) in w and (column, 2) in w:
            return w[(column, 2)] - w[(column, 1)]
        return None

    def worker_growth_kb(self, column):
        mine, none = self.worker_rss_kb(column), self.worker_rss_kb("none")
        return None if mine is None or none is None else mine - none

    def per_round_diff(self, rows, field, column):
        by_round = {(r["round"], r["column"]): r.get(field) for r in rows if r.get(field) is not None}
        return med([v - by_round[(rnd, "none")] for (rnd, col), v in by_round.items() if col == column and (rnd, "none") in by_round])


def main_table(f, conn):
    s = f.r["settings"]
    lines = [
        f"### {conn} connection{'s' if conn > 1 else ''}: wrk -t1 -c{conn}, {s['rounds']} round(s) x {s['seconds']} s a cell",
        "",
        "| body | filter | req/s | x no filter | Envoy CPU us/req | added over no filter | p50 ms | p99 ms | non-2xx |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    bodies = sorted({b for (c, b, _) in f.cells if c == conn}, key=lambda b: (int(b.split("k")[0]), b))
    for body in bodies:
        for col in f.columns:
            if (conn, body, col) not in f.cells:
                continue
            non2xx = sum(c["non_2xx"] + c["socket_errors"] for c in f.cells[(conn, body, col)])
            added = f.cpu_added(conn, body, col) if col != "none" else None
            lines.append(
                f"| {body_label(body)} | {f.r['columns'][col]['title']} | {fmt(f.median(conn, body, col, 'rps'))} | "
                f"{fmt(f.ratio_to_none(conn, body, col), 2)} | {fmt(f.median(conn, body, col, 'cpu_us_per_req'), 1)} | "
                f"{fmt(added, 1)} | {fmt(_ms(f.median(conn, body, col, 'p50_us')), 2)} | "
                f"{fmt(_ms(f.median(conn, body, col, 'p99_us')), 2)} | {non2xx} |"
            )
    return lines


def _ms(us):
    return None if us is None else us / 1000


def column_table(f):
    r = f.r
    lines = [
        "| filter | .wasm | start to /ready ms | VM start (over no filter) ms | RSS after warm-up MB | over no filter MB | "
        "RSS after the round MB | a second worker adds MB | per worker over no filter MB |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for col in f.columns:
        c = r["columns"][col]
        starts = [s for s in r["starts"] if s["column"] == col]
        warm = [m["rss_warm_kb"] for m in r["memory"] if m["column"] == col and "rss_warm_kb" in m]
        end = [m["rss_end_kb"] for m in r["memory"] if m["column"] == col and "rss_end_kb" in m]
        over_start = f.per_round_diff(r["starts"], "ready_s", col) if col != "none" else None
        over_rss = f.per_round_diff(r["memory"], "rss_warm_kb", col) if col != "none" else None
        size = f"{c['wasm_bytes'] / 1024:,.0f} KiB" if c["wasm_bytes"] else "–"
        lines.append(
            f"| {c['title']} | {size} | {fmt(_x(med([s['ready_s'] for s in starts]), 1000))} | "
            f"{fmt(_x(over_start, 1000))} | {fmt(_x(med(warm), 1 / 1024), 1)} | {fmt(_x(over_rss, 1 / 1024), 1)} | "
            f"{fmt(_x(med(end), 1 / 1024), 1)} | {fmt(_x(f.worker_rss_kb(col), 1 / 1024), 1)} | "
            f"{fmt(_x(f.worker_growth_kb(col), 1 / 1024), 1) if col != 'none' else '–'} |"
        )
    return lines


def _x(v, k):
    return None if v is None else v * k


def targets_table(f):
    lines = ["| target | filter | measured | met |", "|---|---|---|---|"]
    langs = sorted({b.split("-")[1] for (_, b, _) in f.cells})

    def row(name, col, values, ok, detail=None):
        shown = ", ".join(f"{fmt(v, 2)} ({lang}{detail(lang) if detail else ''})" for lang, v in values)
        verdict = "–" if any(v is None for _, v in values) else ("yes" if ok else "**no**")
        lines.append(f"| {name} | {f.r['columns'][col]['title']} | {shown} | {verdict} |")

    customs = [c for c in CUSTOMS if c in f.columns]
    for size, limit in CPU_RATIO_MAX.items():
        for col in customs:
            vals = [(lang, f.cpu_added_ratio(1, f"{size}k-{lang}", col)) for lang in langs]
            def us(lang, col=col, size=size):
                body = f"{size}k-{lang}"
                return f": +{fmt(f.cpu_added(1, body, col), 1)} / +{fmt(f.cpu_added(1, body, 'buffer'), 1)} us"

            if "buffer" in f.columns and any(v is not None for _, v in vals):
                row(f"CPU added / buffer-only's added, {size} KB, <= {limit:g}x", col, vals,
                    all(v is not None and v <= limit for _, v in vals), us)  # fmt: skip
    for size, floor in THROUGHPUT_MIN.items():
        for col in customs:
            vals = [(lang, f.ratio_to_none(1, f"{size}k-{lang}", col)) for lang in langs]
            if any(v is not None for _, v in vals):
                row(f"req/s at one connection / no filter, {size} KB, >= {floor:g}", col, vals,
                    all(v is not None and v >= floor for _, v in vals))  # fmt: skip
    for col in customs:
        growth = f.worker_growth_kb(col)
        if growth is None:  # no memory probe: the one-worker excess, an upper bound
            growth = f.per_round_diff(f.r["memory"], "rss_warm_kb", col)
        mb = _x(growth, 1 / 1024)
        lines.append(
            f"| RSS growth over no filter <= {RSS_GROWTH_MAX_MB} MB per worker | {f.r['columns'][col]['title']} | "
            f"{fmt(mb, 1)} MB | {'–' if mb is None else ('yes' if mb <= RSS_GROWTH_MAX_MB else '**no**')} |"
        )
    wasm = next((f.r["columns"][c]["wasm_bytes"] for c in customs), None)
    if wasm:
        ok = "yes" if wasm < WASM_MAX_BYTES else "**no**"
        lines.append(f"| .wasm < 1.5 MB | customs | {wasm / 1024 / 1024:.2f} MB ({wasm:,} bytes) | {ok} |")
    return lines


def split_table(f):
    """customs' added CPU split into what its host calls cost (the `calls`
    column: the fixture making customs' calls and doing none of its work) and
    its own work, beside the CPU-ratio target's budget."""
    lines = [
        "| body | buffer-only added us | host calls only added us | x buffer-only's | customs, default added us | "
        "of it: the host calls' us | of it: customs' own work us | the target's budget us |",
        "|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    bodies = sorted({b for (c, b, _) in f.cells if c == 1}, key=lambda b: (int(b.split("k")[0]), b))
    for body in bodies:
        buf, calls = f.cpu_added(1, body, "buffer"), f.cpu_added(1, body, "calls")
        default = f.cpu_added(1, body, "default")
        if calls is None or buf is None:
            continue
        size = int(body.split("k")[0])
        over_buffer = calls - buf
        own = None if default is None else default - calls
        limit = CPU_RATIO_MAX.get(size)
        budget = None if limit is None or buf <= 0 else limit * buf
        lines.append(
            f"| {body_label(body)} | {fmt(buf, 1)} | {fmt(calls, 1)} | {fmt(calls / buf if buf > 0 else None, 2)} | "
            f"{fmt(default, 1)} | {fmt(over_buffer, 1)} | {fmt(own, 1)} | {fmt(budget, 1)} |"
        )
    return lines


def stream_table(r):
    lines = [
        "| path | TTFB p50 ms | TTFB p90 ms | whole answer p50 ms | data events sent | of them usage chunks customs asked for | "
        "received | none merged or lost | e-mail reached the provider | e-mail in the client's answer |",
        "|---|--:|--:|--:|--:|--:|--:|---|---|---|",
    ]
    for s in r["stream"].values():
        ttfb = sorted(v for v in s["ttfb_s"] if v is not None)
        p90 = ttfb[min(len(ttfb) - 1, int(len(ttfb) * 0.9))] if ttfb else None
        # A scan of a streamed answer holds back text that may be the start of
        # a value and sends what it holds at the end in one event of its own.
        extra = s["events_received"] - (s["events_sent"] - s.get("usage_events_added", 0))
        whole = {0: "yes", 1: "yes (+1: the text held back, at the end)"}.get(extra, "**no**")
        lines.append(
            f"| {s['title']} | {fmt(_x(med(ttfb), 1000), 2)} | {fmt(_x(p90, 1000), 2)} | "
            f"{fmt(_x(med(s['total_s']), 1000), 2)} | {s['events_sent']} | {s.get('usage_events_added', 0)} | "
            f"{s['events_received']} | {whole} | "
            f"{'yes' if s['email_reached_provider'] else 'no'} | {'yes' if s['email_in_answer'] else 'no'} |"
        )
    return lines


def sanity_table(r):
    lines = [
        "| filter | body | status | forwarded bytes | x-customs-redactions | attested | values still in the forwarded body |",
        "|---|---|--:|--:|---|---|---|",
    ]
    for s in r["sanity"]:
        lines.append(
            f"| {r['columns'][s['column']]['title']} | {body_label(s['body'])} | {s['status']} | "
            f"{s['forwarded_bytes']:,} | {s['redactions'] or '–'} | {'yes' if s['attested'] else 'no'} | "
            f"{', '.join(s['values_left']) or 'none'} |"
        )
    return lines


def _customs_line(r):
    wasm = next((c for c in r["columns"].values() if c.get("wasm_sha256") and c["title"].startswith("customs")), None)
    parts = []
    if r.get("source"):
        parts.append(f"source `{r['source']}`" + (" (a `-dirty` suffix: uncommitted changes)" if "dirty" in r["source"] else ""))
    if wasm:
        parts.append(f"`customs_filter.wasm` {wasm['wasm_bytes']:,} bytes, sha256 `{wasm['wasm_sha256'][:16]}`")
    return ", ".join(parts) or "unknown build"


def render(r):
    f = Figures(r)
    s, m = r["settings"], r["machine"]
    foreign = [c["foreign_cpu_pct"] for c in r["cells"]]
    far = [c["far_cpu_us_per_req"] for c in r["cells"]]
    out = ["# customs load benchmark: results", ""]
    if s.get("note"):
        out += [s["note"], ""]
    out += [
        f"- Envoy: `{r['envoy_version'].split('version: ', 1)[-1]}`, `--concurrency 1`, pinned to core 0; "
        "wrk and the far side (a second Envoy) share core 1.",
        f"- customs: {_customs_line(r)}.",
        f"- Machine: {m['cpu']}, {m['cores']} cores, Linux {m['kernel']}.",
        f"- Load average (1, 5, 15 min) before: {', '.join(f'{x:.2f}' for x in m['load_before'])}; "
        f"after: {', '.join(f'{x:.2f}' for x in m.get('load_after', []))}.",
        f"- CPU used by other processes during the measured cells (percent of one core): median "
        f"{fmt(med(foreign))}%, max {fmt(max(foreign) if foreign else None)}%.",
        f"- Far side CPU per request: median {fmt(med(far), 1)} us, max {fmt(max(far) if far else None, 1)} us.",
        f"- Settings: {s['rounds']} round(s) x {s['seconds']} s a cell, warm-up {s['warmup']} s per body, "
        f"connections {', '.join(map(str, s['connections']))}.",
        f"- Cells where other processes took more than {s.get('quiet_threshold', 25):g}% of a core even after "
        f"waiting and measuring again: {sum(1 for x in foreign if x >= s.get('quiet_threshold', 25))} of {len(foreign)}.",
    ]
    for key, c in r["columns"].items():
        if c["skipped"]:
            out.append(f"- Column **{c['title']}** was dropped: {c['skipped']}")
    out += ["", "## Throughput, CPU and latency", ""]
    for conn in s["connections"]:
        out += main_table(f, conn) + [""]
    out += ["## Per filter", ""] + column_table(f) + [""]
    out += ["## The issue's targets", ""] + targets_table(f) + [""]
    if "calls" in f.columns and "buffer" in f.columns:
        out += [
            "## Where customs' added CPU goes",
            "",
            "The host-calls fixture makes the host calls customs makes for a forwarded request "
            "(`host-tests/tests/host_call_surface.rs` holds the two equal, call by call) and does none "
            "of its work. \"Of it: the host calls\" is what those calls add over the buffer-only "
            "filter; \"customs' own work\" is the rest of customs' added CPU: its code in V8 and what "
            "that code's cache footprint costs Envoy. The target's budget is the most customs may add "
            "under the CPU-ratio target (2x the buffer-only filter's added CPU at 2 KB, 4x at 32 KB).",
            "",
        ] + split_table(f) + [""]
    if r["stream"] or r.get("stream_error") or r.get("stream_skipped"):
        out += [
            "## Streaming (through the mock provider, one request at a time)",
            "",
            f"The mock answers `stream: true` by echoing the prompt word by word, one SSE event a word, "
            f"{s.get('stream_pace_ms', 0):g} ms apart; {s.get('stream_requests')} requests a path, interleaved.",
            "",
        ]
        if r["stream"]:
            out += stream_table(r) + [""]
        for title, why in r.get("stream_skipped", {}).items():
            out += [f"- **{title}** was dropped: {why}"]
        if r.get("stream_error"):
            out += [f"- The streaming part failed: {r['stream_error']}"]
        out += [""]
    if r["sanity"]:
        out += ["## What customs did to the benchmark bodies", ""] + sanity_table(r) + [""]
    return "\n".join(out)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    with open(sys.argv[1], encoding="utf-8") as fh:
        print(render(json.load(fh)))
