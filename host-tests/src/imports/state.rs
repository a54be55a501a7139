//! Host functions for logs, time, contexts, shared data, queues and metrics.

use crate::abi::{LogLevel, MetricKind, Status};
use crate::host::{LogSource, MetricValue};
use crate::vm::{copy_out, read, read_string, write_u32, write_u64, Ctx, Fault};

pub(super) fn log(c: &mut Ctx<'_>, level: i32, ptr: i32, len: i32) -> Result<(), Fault> {
    let level = LogLevel::from_code(level).ok_or(Status::BadArgument)?;
    let message = read_string(c, ptr, len)?;
    c.data_mut().log(level, LogSource::Proxy, message);
    Ok(())
}

pub(super) fn get_log_level(c: &mut Ctx<'_>, ret: i32) -> Result<(), Fault> {
    let level = c.data().plugin.log_level as u32;
    write_u32(c, ret, level)
}

pub(super) fn get_current_time(c: &mut Ctx<'_>, ret: i32) -> Result<(), Fault> {
    let now = c.data().host.state().now_nanos();
    write_u64(c, ret, now)
}

/// Ticks belong to the root context; 0 turns them off.
pub(super) fn set_tick_period(c: &mut Ctx<'_>, period: i32) -> Result<(), Fault> {
    let st = c.data_mut();
    let period = period as u32;
    st.tick_period_ms = period;
    let elapsed = st.host.state().elapsed_nanos;
    st.next_tick = (period > 0).then(|| elapsed.saturating_add(u64::from(period) * 1_000_000));
    Ok(())
}

pub(super) fn set_effective_context(c: &mut Ctx<'_>, ctx: i32) -> Result<(), Fault> {
    let st = c.data_mut();
    let ctx = ctx as u32;
    if ctx != st.root_id
        && !st
            .streams
            .get(&ctx)
            .is_some_and(|s| s.created && !s.finished)
    {
        return Err(Status::BadArgument.into());
    }
    st.effective = Some(ctx);
    Ok(())
}

pub(super) fn done(_c: &mut Ctx<'_>) -> Result<(), Fault> {
    Ok(())
}

pub(super) fn get_status(c: &mut Ctx<'_>, code: i32, ptr: i32, size: i32) -> Result<(), Fault> {
    let (status, message) = c.data().status.clone();
    write_u32(c, code, status)?;
    copy_out(c, message.as_bytes(), ptr, size)
}

/// No foreign functions are registered in this host.
pub(super) fn call_foreign_function(
    c: &mut Ctx<'_>,
    name: i32,
    name_len: i32,
    _args: i32,
    _args_len: i32,
    _ret: i32,
    _ret_len: i32,
) -> Result<(), Fault> {
    read(c, name, name_len)?;
    Err(Status::NotFound.into())
}

pub(super) fn get_shared_data(
    c: &mut Ctx<'_>,
    key: i32,
    key_len: i32,
    ret: i32,
    ret_len: i32,
    cas: i32,
) -> Result<(), Fault> {
    let key = read_string(c, key, key_len)?;
    let st = c.data();
    let found = st
        .host
        .state()
        .shared_data
        .get(&st.plugin.vm_id)
        .and_then(|m| m.get(&key))
        .cloned();
    let (value, version) = found.ok_or(Status::NotFound)?;
    copy_out(c, &value, ret, ret_len)?;
    write_u32(c, cas, version)
}

pub(super) fn set_shared_data(
    c: &mut Ctx<'_>,
    key: i32,
    key_len: i32,
    value: i32,
    value_len: i32,
    cas: i32,
) -> Result<(), Fault> {
    let key = read_string(c, key, key_len)?;
    let value = read(c, value, value_len)?;
    let st = c.data();
    match st
        .host
        .state()
        .set_shared_data(&st.plugin.vm_id, &key, &value, cas as u32)
    {
        Status::Ok => Ok(()),
        other => Err(other.into()),
    }
}

/// The root context of the caller hears `on_queue_ready`.
pub(super) fn register_queue(
    c: &mut Ctx<'_>,
    name: i32,
    name_len: i32,
    ret: i32,
) -> Result<(), Fault> {
    let name = read_string(c, name, name_len)?;
    let st = c.data();
    let owner = (st.worker_ref.clone(), st.root_id);
    let token = st
        .host
        .state()
        .register_queue(&st.plugin.vm_id, &name, owner);
    write_u32(c, ret, token)
}

pub(super) fn resolve_queue(
    c: &mut Ctx<'_>,
    vm_id: i32,
    vm_id_len: i32,
    name: i32,
    name_len: i32,
    ret: i32,
) -> Result<(), Fault> {
    let vm_id = read_string(c, vm_id, vm_id_len)?;
    let name = read_string(c, name, name_len)?;
    let token = {
        let state = c.data().host.state();
        state
            .queues
            .iter()
            .find(|(_, q)| q.vm_id == vm_id && q.name == name)
            .map(|(t, _)| *t)
    };
    write_u32(c, ret, token.ok_or(Status::NotFound)?)
}

pub(super) fn dequeue(c: &mut Ctx<'_>, token: i32, ret: i32, ret_len: i32) -> Result<(), Fault> {
    let item = {
        let mut state = c.data().host.state();
        let queue = state
            .queues
            .get_mut(&(token as u32))
            .ok_or(Status::NotFound)?;
        queue.items.pop_front().ok_or(Status::Empty)?
    };
    copy_out(c, &item, ret, ret_len)
}

pub(super) fn enqueue(
    c: &mut Ctx<'_>,
    token: i32,
    value: i32,
    value_len: i32,
) -> Result<(), Fault> {
    let value = read(c, value, value_len)?;
    match c.data().host.state().enqueue(token as u32, &value) {
        Status::Ok => Ok(()),
        other => Err(other.into()),
    }
}

/// Ids are per VM and carry the kind in their two low bits (Envoy's
/// scheme); the value behind a name is shared by all workers.
pub(super) fn define_metric(
    c: &mut Ctx<'_>,
    kind: i32,
    name: i32,
    name_len: i32,
    ret: i32,
) -> Result<(), Fault> {
    let kind = MetricKind::from_code(kind).ok_or(Status::BadArgument)?;
    let name = read_string(c, name, name_len)?;
    let st = c.data_mut();
    let slot = kind as usize;
    let id = st.next_metric_id[slot];
    st.next_metric_id[slot] = id.wrapping_add(4);
    st.metric_ids.insert(id, name.clone());
    let initial = match kind {
        MetricKind::Counter => MetricValue::Counter(0),
        MetricKind::Gauge => MetricValue::Gauge(0),
        MetricKind::Histogram => MetricValue::Histogram(Vec::new()),
    };
    st.host
        .state()
        .metrics
        .entry(name)
        .or_insert((kind, initial));
    write_u32(c, ret, id)
}

/// Applies `f` to the metric behind `id`; NotFound for an unknown id.
fn with_metric<R>(
    c: &mut Ctx<'_>,
    id: i32,
    f: impl FnOnce(&mut MetricValue) -> Result<R, Status>,
) -> Result<R, Fault> {
    let st = c.data();
    let name = st.metric_ids.get(&(id as u32)).ok_or(Status::NotFound)?;
    let mut state = st.host.state();
    let (_, value) = state.metrics.get_mut(name).ok_or(Status::NotFound)?;
    f(value).map_err(Fault::Status)
}

pub(super) fn increment_metric(c: &mut Ctx<'_>, id: i32, offset: i64) -> Result<(), Fault> {
    with_metric(c, id, |m| match m {
        MetricValue::Counter(v) if offset > 0 => {
            *v = v.saturating_add(offset as u64);
            Ok(())
        }
        MetricValue::Gauge(v) => {
            *v = v.saturating_add(offset);
            Ok(())
        }
        _ => Err(Status::BadArgument),
    })
}

pub(super) fn record_metric(c: &mut Ctx<'_>, id: i32, value: i64) -> Result<(), Fault> {
    let value = value as u64;
    with_metric(c, id, |m| {
        match m {
            MetricValue::Counter(v) => *v = v.saturating_add(value),
            MetricValue::Gauge(v) => *v = value as i64,
            MetricValue::Histogram(samples) => samples.push(value),
        }
        Ok(())
    })
}

pub(super) fn get_metric(c: &mut Ctx<'_>, id: i32, ret: i32) -> Result<(), Fault> {
    let value = with_metric(c, id, |m| match m {
        MetricValue::Counter(v) => Ok(*v),
        MetricValue::Gauge(v) => Ok(*v as u64),
        MetricValue::Histogram(_) => Err(Status::BadArgument),
    })?;
    write_u64(c, ret, value)
}
