//! Shared data with CAS, shared queues, metrics, logs, the virtual clock and
//! ticks, and the WASI subset: state shared by workers of one host.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::time::Duration;

use common::*;
use customs_host::{Host, LogLevel, LogSource, MetricValue, Plugin, Val};

fn get_shared(p: &mut Probe, key: &str) -> (u32, Option<Vec<u8>>, u32) {
    let status = p.call(
        "proxy_get_shared_data",
        &[Arg::B(key.as_bytes()), Arg::Out, Arg::Ret],
    );
    (status, p.out(), p.ret())
}

fn set_shared(p: &mut Probe, key: &str, value: &[u8], cas: u32) -> u32 {
    p.call(
        "proxy_set_shared_data",
        &[Arg::B(key.as_bytes()), Arg::B(value), Arg::I(cas as i32)],
    )
}

#[test]
fn shared_data_follows_envoys_cas_rules() {
    let (host, worker) = start("");
    let mut p = Probe::root(&worker);
    assert_eq!(get_shared(&mut p, "k").0, NOT_FOUND);
    // Creating a key ignores the cas argument.
    assert_eq!(set_shared(&mut p, "k", b"one", 12345), OK);
    let (status, value, v1) = get_shared(&mut p, "k");
    assert_eq!((status, value.as_deref()), (OK, Some(&b"one"[..])));
    assert_ne!(v1, 0);
    assert_eq!(set_shared(&mut p, "k", b"two", v1 + 100), CAS_MISMATCH);
    assert_eq!(set_shared(&mut p, "k", b"two", v1), OK);
    let (_, _, v2) = get_shared(&mut p, "k");
    assert!(v2 > v1);
    assert_eq!(
        set_shared(&mut p, "k", b"three", v1),
        CAS_MISMATCH,
        "a stale version"
    );
    assert_eq!(
        set_shared(&mut p, "k", b"three", 0),
        OK,
        "cas 0 writes unconditionally"
    );
    // Versions come from one counter for every key.
    set_shared(&mut p, "other", b"x", 0);
    let (_, _, v3) = get_shared(&mut p, "k");
    let (_, _, v4) = get_shared(&mut p, "other");
    assert_eq!(v4, v3 + 1);
    assert_eq!(host.shared_data("k"), Some((b"three".to_vec(), v3)));
    // An empty value is a null pointer.
    set_shared(&mut p, "empty", b"", 0);
    assert_eq!(get_shared(&mut p, "empty").1, None);
}

/// Two workers (VMs of one plugin) increment one counter with CAS,
/// interleaved so that one write loses the race; it retries and no update
/// is lost.
#[test]
fn two_workers_contending_on_one_key_lose_no_update() {
    let host = Host::new();
    let plugin = install(&host, "");
    let (a, b) = (plugin.start_vm().unwrap(), plugin.start_vm().unwrap());
    let (mut pa, mut pb) = (Probe::root(&a), Probe::root(&b));
    set_shared(&mut pa, "count", b"0", 0);
    let read = |p: &mut Probe| {
        let (status, value, cas) = get_shared(p, "count");
        assert_eq!(status, OK);
        (
            String::from_utf8(value.unwrap())
                .unwrap()
                .parse::<u32>()
                .unwrap(),
            cas,
        )
    };
    let (a_value, a_cas) = read(&mut pa);
    let (b_value, b_cas) = read(&mut pb);
    assert_eq!(a_cas, b_cas);
    assert_eq!(
        set_shared(
            &mut pb,
            "count",
            (b_value + 1).to_string().as_bytes(),
            b_cas
        ),
        OK
    );
    assert_eq!(
        set_shared(
            &mut pa,
            "count",
            (a_value + 1).to_string().as_bytes(),
            a_cas
        ),
        CAS_MISMATCH
    );
    let (a_value, a_cas) = read(&mut pa);
    assert_eq!(
        set_shared(
            &mut pa,
            "count",
            (a_value + 1).to_string().as_bytes(),
            a_cas
        ),
        OK
    );
    assert_eq!(read(&mut pb).0, 2);
    // Plugins with another vm_id see other data.
    let other = host
        .plugin(Plugin::from_wat(&wat("")).unwrap().vm_id("other"))
        .start_vm()
        .unwrap();
    assert_eq!(get_shared(&mut Probe::root(&other), "count").0, NOT_FOUND);
}

/// on_queue_ready counts its calls at 0x210 and keeps the last token at 0x214.
const COUNT_QUEUE_READY: &str = r#"
  (func (export "proxy_on_queue_ready") (param $ctx i32) (param $token i32)
    (i32.store (i32.const 0x210) (i32.add (i32.load (i32.const 0x210)) (i32.const 1)))
    (i32.store (i32.const 0x214) (local.get $token)))
"#;

#[test]
fn shared_queues_notify_the_registering_worker() {
    let host = Host::new();
    let plugin = install(&host, COUNT_QUEUE_READY);
    let (a, b) = (plugin.start_vm().unwrap(), plugin.start_vm().unwrap());
    let (mut pa, mut pb) = (Probe::root(&a), Probe::root(&b));
    assert_eq!(
        pa.call("proxy_register_shared_queue", &[Arg::B(b"audit"), Arg::Ret]),
        OK
    );
    let token = pa.ret();
    assert_eq!(
        pb.call(
            "proxy_resolve_shared_queue",
            &[Arg::B(b"customs"), Arg::B(b"audit"), Arg::Ret]
        ),
        OK
    );
    assert_eq!(pb.ret(), token);
    assert_eq!(
        pb.call(
            "proxy_resolve_shared_queue",
            &[Arg::B(b"customs"), Arg::B(b"nope"), Arg::Ret]
        ),
        NOT_FOUND
    );
    assert_eq!(
        pa.call(
            "proxy_dequeue_shared_queue",
            &[Arg::I(token as i32), Arg::Out]
        ),
        EMPTY
    );
    assert_eq!(
        pa.call("proxy_dequeue_shared_queue", &[Arg::I(999), Arg::Out]),
        NOT_FOUND
    );
    assert_eq!(
        pb.call("proxy_enqueue_shared_queue", &[Arg::I(999), Arg::B(b"x")]),
        NOT_FOUND
    );
    assert_eq!(
        pb.call(
            "proxy_enqueue_shared_queue",
            &[Arg::I(token as i32), Arg::B(b"first")]
        ),
        OK
    );
    assert_eq!(
        pb.call(
            "proxy_enqueue_shared_queue",
            &[Arg::I(token as i32), Arg::B(b"second")]
        ),
        OK
    );
    assert_eq!(
        (pa.u32_at(0x210), pa.u32_at(0x214)),
        (2, token),
        "A heard of each item"
    );
    assert_eq!(pb.u32_at(0x210), 0, "B registered nothing");
    assert_eq!(host.queue_items("customs", "audit").len(), 2);
    assert_eq!(
        pa.call(
            "proxy_dequeue_shared_queue",
            &[Arg::I(token as i32), Arg::Out]
        ),
        OK
    );
    assert_eq!(pa.out_text().as_deref(), Some("first"));
}

fn define(p: &mut Probe, kind: i32, name: &str) -> i32 {
    assert_eq!(
        p.call(
            "proxy_define_metric",
            &[Arg::I(kind), Arg::B(name.as_bytes()), Arg::Ret]
        ),
        OK
    );
    p.ret() as i32
}

#[test]
fn metrics_are_defined_per_worker_and_shared_by_name() {
    let host = Host::new();
    let plugin = install(&host, "");
    let (a, b) = (plugin.start_vm().unwrap(), plugin.start_vm().unwrap());
    let mut p = Probe::root(&a);
    let counter = define(&mut p, 0, "requests");
    let gauge = define(&mut p, 1, "in_flight");
    let histogram = define(&mut p, 2, "body_bytes");
    assert_eq!(
        (counter & 3, gauge & 3, histogram & 3),
        (0, 1, 2),
        "the kind is in the low bits"
    );
    assert_eq!(
        p.call("proxy_increment_metric", &[Arg::I(counter), Arg::L(5)]),
        OK
    );
    assert_eq!(
        p.call("proxy_increment_metric", &[Arg::I(counter), Arg::L(0)]),
        BAD_ARGUMENT
    );
    assert_eq!(
        p.call("proxy_increment_metric", &[Arg::I(counter), Arg::L(-1)]),
        BAD_ARGUMENT
    );
    assert_eq!(
        p.call("proxy_record_metric", &[Arg::I(counter), Arg::L(3)]),
        OK
    );
    assert_eq!(p.call("proxy_get_metric", &[Arg::I(counter), Arg::Ret]), OK);
    assert_eq!(p.u64_at(RET), 8);
    p.call("proxy_increment_metric", &[Arg::I(gauge), Arg::L(5)]);
    p.call("proxy_increment_metric", &[Arg::I(gauge), Arg::L(-2)]);
    assert_eq!(host.metric("in_flight"), Some(MetricValue::Gauge(3)));
    p.call("proxy_record_metric", &[Arg::I(gauge), Arg::L(10)]);
    assert_eq!(host.metric("in_flight"), Some(MetricValue::Gauge(10)));
    p.call("proxy_record_metric", &[Arg::I(histogram), Arg::L(1)]);
    p.call("proxy_record_metric", &[Arg::I(histogram), Arg::L(2)]);
    assert_eq!(
        p.call("proxy_get_metric", &[Arg::I(histogram), Arg::Ret]),
        BAD_ARGUMENT
    );
    assert_eq!(
        p.call("proxy_increment_metric", &[Arg::I(histogram), Arg::L(1)]),
        BAD_ARGUMENT
    );
    assert_eq!(
        host.metric("body_bytes"),
        Some(MetricValue::Histogram(vec![1, 2]))
    );
    assert_eq!(
        p.call("proxy_get_metric", &[Arg::I(400), Arg::Ret]),
        NOT_FOUND
    );
    assert_eq!(
        p.call("proxy_define_metric", &[Arg::I(3), Arg::B(b"x"), Arg::Ret]),
        BAD_ARGUMENT
    );
    // Another worker's id for the same name moves the same stat.
    let mut pb = Probe::root(&b);
    let counter_b = define(&mut pb, 0, "requests");
    pb.call("proxy_increment_metric", &[Arg::I(counter_b), Arg::L(1)]);
    assert_eq!(host.metric("requests"), Some(MetricValue::Counter(9)));
}

#[test]
fn logs_are_captured_with_level_worker_and_context() {
    let (host, worker) = start(PAUSE_ALL);
    let mut p = Probe::root(&worker);
    for level in 0..=5 {
        assert_eq!(
            p.call(
                "proxy_log",
                &[Arg::I(level), Arg::B(format!("line {level}").as_bytes())]
            ),
            OK
        );
    }
    assert_eq!(
        p.call("proxy_log", &[Arg::I(6), Arg::B(b"x")]),
        BAD_ARGUMENT
    );
    let logs = host.logs();
    assert_eq!(logs.len(), 6);
    assert_eq!(logs[3].level, LogLevel::Warn);
    assert_eq!(logs[3].message, "line 3");
    assert_eq!(
        (logs[3].worker, logs[3].context_id, logs[3].source),
        (0, worker.root_context_id(), LogSource::Proxy)
    );
    assert_eq!(host.log_messages(LogLevel::Error), ["line 4", "line 5"]);
    let mut s = worker.stream();
    s.request_headers(&[(":method", "GET"), (":path", "/")], false);
    let ctx = s.context_id();
    Probe::stream(&mut s).call("proxy_log", &[Arg::I(2), Arg::B(b"in stream")]);
    assert_eq!(host.logs().last().unwrap().context_id, ctx);
    assert_eq!(p.call("proxy_get_log_level", &[Arg::Ret]), OK);
    assert_eq!(p.ret(), LogLevel::Info as u32);
    let debug = Host::new()
        .plugin(
            Plugin::from_wat(&wat(""))
                .unwrap()
                .log_level(LogLevel::Debug),
        )
        .start_vm()
        .unwrap();
    Probe::root(&debug).call("proxy_get_log_level", &[Arg::Ret]);
    assert_eq!(Probe::root(&debug).ret(), 1);
}

#[test]
fn the_clock_is_virtual_and_advances_when_told() {
    let (host, worker) = start("");
    let mut p = Probe::root(&worker);
    assert_eq!(
        p.call("proxy_get_current_time_nanoseconds", &[Arg::Ret]),
        OK
    );
    let start = p.u64_at(RET);
    assert_eq!(start, 1_735_689_600_000_000_000);
    host.advance_clock(Duration::from_millis(1500));
    p.call("proxy_get_current_time_nanoseconds", &[Arg::Ret]);
    assert_eq!(p.u64_at(RET) - start, 1_500_000_000);
    assert_eq!(
        p.call("clock_time_get", &[Arg::I(0), Arg::L(1), Arg::Ret]),
        0
    );
    assert_eq!(p.u64_at(RET), start + 1_500_000_000);
    assert_eq!(
        p.call("clock_time_get", &[Arg::I(1), Arg::L(1), Arg::Ret]),
        0
    );
    assert_eq!(
        p.u64_at(RET),
        2_500_000_000,
        "monotonic: one second plus elapsed"
    );
}

/// on_configure asks for a 100 ms tick; on_tick counts at 0x220.
const TICKING: &str = r#"
  (func (export "proxy_on_configure") (param i32 i32) (result i32)
    (drop (call $proxy_set_tick_period_milliseconds (i32.const 100)))
    (i32.const 1))
  (func (export "proxy_on_tick") (param i32)
    (i32.store (i32.const 0x220) (i32.add (i32.load (i32.const 0x220)) (i32.const 1))))
"#;

#[test]
fn ticks_fire_on_every_worker_whose_period_elapsed() {
    let host = Host::new();
    let plugin = install(&host, TICKING);
    let (a, b) = (plugin.start_vm().unwrap(), plugin.start_vm().unwrap());
    assert_eq!(a.tick_period(), Some(Duration::from_millis(100)));
    host.advance_clock(Duration::from_millis(99));
    assert_eq!(Probe::root(&a).u32_at(0x220), 0);
    host.advance_clock(Duration::from_millis(151));
    assert_eq!(Probe::root(&a).u32_at(0x220), 2);
    assert_eq!(Probe::root(&b).u32_at(0x220), 2);
    // A period of 0 stops them.
    Probe::root(&a).call("proxy_set_tick_period_milliseconds", &[Arg::I(0)]);
    host.advance_clock(Duration::from_secs(1));
    assert_eq!(Probe::root(&a).u32_at(0x220), 2);
    assert_eq!(Probe::root(&b).u32_at(0x220), 12);
}

#[test]
fn wasi_output_goes_to_the_log_line_by_line() {
    let (host, worker) = start("");
    let mut p = Probe::root(&worker);
    let write = |p: &mut Probe, fd: i32, text: &[u8]| {
        // One iovec at 0x400 pointing at the text at 0x500.
        let worker = worker.clone();
        worker.write_memory(0x500, text);
        let mut iov = 0x500u32.to_le_bytes().to_vec();
        iov.extend((text.len() as u32).to_le_bytes());
        worker.write_memory(0x400, &iov);
        p.call(
            "fd_write",
            &[Arg::I(fd), Arg::I(0x400), Arg::I(1), Arg::Ret],
        )
    };
    // Each call here is its own callback: what is left of a line is logged
    // when the callback ends.
    assert_eq!(write(&mut p, 1, b"hello\nworld"), 0);
    assert_eq!(p.ret(), 11, "bytes written");
    assert_eq!(write(&mut p, 2, b"oops\n"), 0);
    assert_eq!(write(&mut p, 7, b"x"), 8, "EBADF");
    let logs = host.logs();
    let lines: Vec<(&str, LogLevel, LogSource)> = logs
        .iter()
        .map(|l| (l.message.as_str(), l.level, l.source))
        .collect();
    assert_eq!(
        lines,
        [
            ("hello", LogLevel::Info, LogSource::Stdout),
            ("world", LogLevel::Info, LogSource::Stdout),
            ("oops", LogLevel::Error, LogSource::Stderr)
        ]
    );
}

#[test]
fn wasi_environment_is_empty_and_randomness_follows_the_seed() {
    let draw = |seed: u64| {
        let host = Host::with_seed(seed);
        let worker = install(&host, "").start_vm().unwrap();
        let mut p = Probe::root(&worker);
        assert_eq!(p.call("random_get", &[Arg::I(0x600), Arg::I(16)]), 0);
        assert_eq!(
            p.call("random_get", &[Arg::I(0x600), Arg::I(100_000)]),
            28,
            "over Envoy's 64 KiB"
        );
        assert_eq!(
            p.call("environ_sizes_get", &[Arg::I(0x700), Arg::I(0x704)]),
            0
        );
        assert_eq!((p.u32_at(0x700), p.u32_at(0x704)), (0, 0));
        assert_eq!(p.call("args_sizes_get", &[Arg::I(0x700), Arg::I(0x704)]), 0);
        worker.read_memory(0x600, 16).unwrap()
    };
    assert_eq!(draw(1), draw(1));
    assert_ne!(draw(1), draw(2));
}

#[test]
fn proc_exit_is_a_trap() {
    let (_host, worker) = start("");
    let trap = worker.call("call_proc_exit", &[Val::I32(3)]).unwrap_err();
    assert!(trap.message.contains("proc_exit(3)"), "{trap}");
    assert!(worker.is_failed());
}
