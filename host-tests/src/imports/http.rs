//! Host functions for HTTP streams: header maps, bodies, properties, stream
//! control, local responses and call-outs, with Envoy's answers.

use std::time::Duration;

use crate::abi::{BufferType, MapType, Status, StreamType};
use crate::headers::{decode_header_pairs, HeaderMap};
use crate::records::Callout;
use crate::vm::{copy_out, read, read_string, write_u32, Ctx, Deferred, Fault, Phase, VmState};

fn map_type(kind: i32) -> Result<MapType, Fault> {
    MapType::from_code(kind).ok_or(Fault::Status(Status::BadArgument))
}

/// A readable map (Envoy's `getConstMap`), cloned out of the state.
fn const_map(st: &VmState, kind: MapType) -> Option<HeaderMap> {
    match kind {
        MapType::CallResponseHeaders => st.call_response.as_ref().map(|r| r.headers.clone()),
        MapType::CallResponseTrailers => st.call_response.as_ref().and_then(|r| r.trailers.clone()),
        _ => st.stream().and_then(|s| s.map(kind)).cloned(),
    }
}

/// Runs `edit` on a writable map; BadArgument when Envoy has none.
fn edit_map(c: &mut Ctx<'_>, kind: i32, edit: impl FnOnce(&mut HeaderMap)) -> Result<(), Fault> {
    let kind = map_type(kind)?;
    let map = c
        .data_mut()
        .stream_mut()
        .and_then(|s| s.map_mut(kind))
        .ok_or(Status::BadArgument)?;
    edit(map);
    Ok(())
}

pub(super) fn get_map_pairs(
    c: &mut Ctx<'_>,
    kind: i32,
    ret: i32,
    ret_len: i32,
) -> Result<(), Fault> {
    let kind = map_type(kind)?;
    let map = const_map(c.data(), kind).unwrap_or_default();
    let bytes = if map.is_empty() {
        Vec::new()
    } else {
        map.encode()
    };
    copy_out(c, &bytes, ret, ret_len)
}

pub(super) fn set_map_pairs(c: &mut Ctx<'_>, kind: i32, ptr: i32, len: i32) -> Result<(), Fault> {
    let pairs = decode_header_pairs(&read(c, ptr, len)?).ok_or(Status::BadArgument)?;
    edit_map(c, kind, |map| {
        map.clear();
        for (k, v) in &pairs {
            map.add(k, v);
        }
    })
}

pub(super) fn get_map_value(
    c: &mut Ctx<'_>,
    kind: i32,
    key: i32,
    key_len: i32,
    ret: i32,
    ret_len: i32,
) -> Result<(), Fault> {
    let kind = map_type(kind)?;
    let key = read_string(c, key, key_len)?;
    let Some(map) = const_map(c.data(), kind) else {
        let in_log = c.data().stream().is_some_and(|s| s.access_log_phase);
        return Err(if in_log {
            Status::NotFound
        } else {
            Status::BadArgument
        }
        .into());
    };
    let value = map.get(&key).ok_or(Status::NotFound)?.to_string();
    copy_out(c, value.as_bytes(), ret, ret_len)
}

pub(super) fn add_map_value(
    c: &mut Ctx<'_>,
    kind: i32,
    key: i32,
    key_len: i32,
    value: i32,
    value_len: i32,
) -> Result<(), Fault> {
    let (key, value) = (
        read_string(c, key, key_len)?,
        read_string(c, value, value_len)?,
    );
    edit_map(c, kind, |map| map.add(&key, &value))
}

pub(super) fn replace_map_value(
    c: &mut Ctx<'_>,
    kind: i32,
    key: i32,
    key_len: i32,
    value: i32,
    value_len: i32,
) -> Result<(), Fault> {
    let (key, value) = (
        read_string(c, key, key_len)?,
        read_string(c, value, value_len)?,
    );
    edit_map(c, kind, |map| map.set(&key, &value))
}

pub(super) fn remove_map_value(
    c: &mut Ctx<'_>,
    kind: i32,
    key: i32,
    key_len: i32,
) -> Result<(), Fault> {
    let key = read_string(c, key, key_len)?;
    edit_map(c, kind, |map| map.remove(&key))
}

pub(super) fn get_map_size(c: &mut Ctx<'_>, kind: i32, ret: i32) -> Result<(), Fault> {
    let mut size = 0;
    edit_map(c, kind, |map| size = map.byte_size())?;
    write_u32(c, ret, size as u32)
}

/// `f` of the bytes of a buffer as Envoy's `getBuffer` sees them; None:
/// NotFound. Lent, not copied: the filter asks a body's length and then its
/// bytes, and a benchmark should not time the harness copying it twice more.
fn with_buffer<R>(st: &VmState, kind: BufferType, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
    let stream_body = |response: bool| {
        st.stream()
            .map(|s| if response { &s.resp } else { &s.req })
            .filter(|d| d.body_visible())
            .map_or(&[][..], |d| d.body.as_slice())
    };
    let bytes = match kind {
        BufferType::RequestBody => stream_body(false),
        BufferType::ResponseBody => stream_body(true),
        BufferType::CallResponseBody => st.call_response.as_ref()?.body.as_slice(),
        BufferType::VmConfiguration => st.plugin.vm_configuration.as_slice(),
        BufferType::PluginConfiguration if st.phase == Phase::Starting => {
            st.plugin.configuration.as_slice()
        }
        BufferType::PluginConfiguration => return None,
        BufferType::DownstreamData
        | BufferType::UpstreamData
        | BufferType::GrpcReceiveBuffer
        | BufferType::CallData => &[],
    };
    Some(f(bytes))
}

pub(super) fn get_buffer_bytes(
    c: &mut Ctx<'_>,
    kind: i32,
    start: i32,
    max: i32,
    ret: i32,
    ret_len: i32,
) -> Result<(), Fault> {
    let kind = BufferType::from_code(kind).ok_or(Status::BadArgument)?;
    let start = start as u32 as usize;
    let range = |bytes: &[u8]| {
        let end = start.saturating_add(max as u32 as usize).min(bytes.len());
        bytes.get(start..end).map(<[u8]>::to_vec)
    };
    let slice = with_buffer(c.data(), kind, range).ok_or(Status::NotFound)?;
    // Envoy writes nothing for an empty range; the SDK then reads None.
    match slice {
        Some(slice) if !slice.is_empty() => copy_out(c, &slice, ret, ret_len),
        _ => Ok(()),
    }
}

pub(super) fn get_buffer_status(
    c: &mut Ctx<'_>,
    kind: i32,
    len_ptr: i32,
    flags_ptr: i32,
) -> Result<(), Fault> {
    let kind = BufferType::from_code(kind).ok_or(Status::BadArgument)?;
    let len = with_buffer(c.data(), kind, <[u8]>::len).ok_or(Status::NotFound)?;
    write_u32(c, len_ptr, len as u32)?;
    write_u32(c, flags_ptr, 0)
}

/// Envoy's `Buffer::copyFrom`: start 0 drains `size` bytes and prepends the
/// data; a start at or past the end appends; anything else is BadArgument.
pub(super) fn set_buffer_bytes(
    c: &mut Ctx<'_>,
    kind: i32,
    start: i32,
    size: i32,
    data: i32,
    data_len: i32,
) -> Result<(), Fault> {
    let kind = BufferType::from_code(kind).ok_or(Status::BadArgument)?;
    let data = read(c, data, data_len)?;
    let response = match kind {
        BufferType::RequestBody => false,
        BufferType::ResponseBody => true,
        _ => return Err(Status::BadArgument.into()),
    };
    let stream = c.data_mut().stream_mut().ok_or(Status::NotFound)?;
    let dir = if response {
        &mut stream.resp
    } else {
        &mut stream.req
    };
    if !dir.body_visible() {
        return Err(Status::NotFound.into());
    }
    let (start, size) = (start as u32 as usize, size as u32 as usize);
    if start == 0 {
        dir.body.drain(..size.min(dir.body.len()));
        dir.body.splice(0..0, data);
    } else if start >= dir.body.len() {
        dir.body.extend_from_slice(&data);
    } else {
        return Err(Status::BadArgument.into());
    }
    Ok(())
}

fn path_key(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw).into_owned()
}

pub(super) fn get_property(
    c: &mut Ctx<'_>,
    path: i32,
    path_len: i32,
    ret: i32,
    ret_len: i32,
) -> Result<(), Fault> {
    let raw = read(c, path, path_len)?;
    let value = crate::properties::lookup(c.data(), &path_key(&raw)).ok_or(Status::NotFound)?;
    copy_out(c, &value, ret, ret_len)
}

/// Stores into the stream's filter state, where access logs read it. The
/// root context has no stream, so Envoy answers NotFound there.
pub(super) fn set_property(
    c: &mut Ctx<'_>,
    path: i32,
    path_len: i32,
    value: i32,
    value_len: i32,
) -> Result<(), Fault> {
    let key = path_key(&read(c, path, path_len)?);
    let value = read(c, value, value_len)?;
    let stream = c.data_mut().stream_mut().ok_or(Status::NotFound)?;
    stream.filter_state.insert(key, value);
    Ok(())
}

pub(super) fn continue_stream(c: &mut Ctx<'_>, kind: i32) -> Result<(), Fault> {
    let kind = StreamType::from_code(kind).ok_or(Status::BadArgument)?;
    let response = match kind {
        StreamType::Request => false,
        StreamType::Response => true,
        StreamType::Downstream => return Ok(()),
        StreamType::Upstream => return Err(Status::Unimplemented.into()),
    };
    let st = c.data_mut();
    let ctx = st.context();
    if let Some(stream) = st.stream_mut() {
        // Envoy drops its request pointers at once (for either direction).
        stream.req.headers_visible = false;
        stream.req.trailers_visible = false;
        st.deferred.push(Deferred::Continue { ctx, response });
    }
    Ok(())
}

pub(super) fn close_stream(c: &mut Ctx<'_>, kind: i32) -> Result<(), Fault> {
    let kind = StreamType::from_code(kind).ok_or(Status::BadArgument)?;
    let st = c.data_mut();
    let ctx = st.context();
    if matches!(kind, StreamType::Request | StreamType::Response) && st.stream().is_some() {
        st.deferred.push(Deferred::Reset { ctx });
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub(super) fn send_local_response(
    c: &mut Ctx<'_>,
    status: i32,
    details: i32,
    details_len: i32,
    body: i32,
    body_len: i32,
    headers: i32,
    headers_len: i32,
    _grpc_status: i32,
) -> Result<(), Fault> {
    let details = read_string(c, details, details_len)?;
    let body = read(c, body, body_len)?;
    let headers =
        decode_header_pairs(&read(c, headers, headers_len)?).ok_or(Status::BadArgument)?;
    let st = c.data_mut();
    let ctx = st.context();
    if st.stream().is_some() {
        let status = u16::try_from(status).unwrap_or(500);
        st.deferred.push(Deferred::LocalReply {
            ctx,
            status,
            details,
            body,
            headers,
        });
    }
    Ok(())
}

/// Envoy's `httpCall`: the cluster must exist, the headers must carry
/// `:path`, `:method` and `:authority`; the response comes back on the root
/// context.
#[allow(clippy::too_many_arguments)]
pub(super) fn http_call(
    c: &mut Ctx<'_>,
    upstream: i32,
    upstream_len: i32,
    headers: i32,
    headers_len: i32,
    body: i32,
    body_len: i32,
    trailers: i32,
    trailers_len: i32,
    timeout: i32,
    ret: i32,
) -> Result<(), Fault> {
    let cluster = read_string(c, upstream, upstream_len)?;
    let headers =
        decode_header_pairs(&read(c, headers, headers_len)?).ok_or(Status::BadArgument)?;
    let body = read(c, body, body_len)?;
    let trailers =
        decode_header_pairs(&read(c, trailers, trailers_len)?).ok_or(Status::BadArgument)?;
    if timeout < 0 {
        return Err(Status::BadArgument.into());
    }
    let st = c.data_mut();
    if st
        .plugin
        .clusters
        .as_ref()
        .is_some_and(|known| !known.contains(&cluster))
    {
        return Err(Status::BadArgument.into());
    }
    let mut headers = HeaderMap::from_pairs(&headers);
    if [":path", ":method", ":authority"]
        .iter()
        .any(|h| !headers.contains(h))
    {
        return Err(Status::BadArgument.into());
    }
    if !body.is_empty() {
        headers.set("content-length", &body.len().to_string());
    }
    let token = st.next_callout_token;
    st.next_callout_token += 1;
    let elapsed = st.host.state().elapsed_nanos;
    let timeout = (timeout > 0).then(|| Duration::from_millis(timeout as u64));
    let callout = Callout {
        token,
        context_id: st.context(),
        cluster,
        headers,
        body,
        trailers: HeaderMap::from_pairs(&trailers),
        timeout,
        deadline: timeout.map(|t| elapsed.saturating_add(t.as_nanos() as u64)),
    };
    st.callouts.insert(token, callout);
    write_u32(c, ret, token)
}

/// gRPC call-outs are not simulated: Envoy's answer for a cluster it does
/// not know.
#[allow(clippy::too_many_arguments)]
pub(super) fn grpc_call(
    _c: &mut Ctx<'_>,
    _a: i32,
    _b: i32,
    _c1: i32,
    _d: i32,
    _e: i32,
    _f: i32,
    _g: i32,
    _h: i32,
    _i: i32,
    _j: i32,
    _k: i32,
    _l: i32,
) -> Result<(), Fault> {
    Err(Status::ParseFailure.into())
}

#[allow(clippy::too_many_arguments)]
pub(super) fn grpc_stream(
    _c: &mut Ctx<'_>,
    _a: i32,
    _b: i32,
    _c1: i32,
    _d: i32,
    _e: i32,
    _f: i32,
    _g: i32,
    _h: i32,
    _i: i32,
) -> Result<(), Fault> {
    Err(Status::ParseFailure.into())
}

pub(super) fn grpc_token_op(_c: &mut Ctx<'_>, _token: i32) -> Result<(), Fault> {
    Err(Status::NotFound.into())
}

pub(super) fn grpc_token_op4(
    _c: &mut Ctx<'_>,
    _token: i32,
    _msg: i32,
    _len: i32,
    _end: i32,
) -> Result<(), Fault> {
    Err(Status::NotFound.into())
}

/// The pair encoding of a header map, as Envoy serialises map properties.
pub(crate) fn encode_map(map: &HeaderMap) -> Vec<u8> {
    map.encode()
}
