//! The WASI subset Envoy gives modules: output goes to the log, clocks are
//! the virtual clock, there are no files, arguments or environment.

use wasmtime::{Caller, Linker};

use crate::vm::{output_level, read, write, write_u32, write_u64, Fault, VmState};

const ESUCCESS: i32 = 0;
const EBADF: i32 = 8;
const EINVAL: i32 = 28;
const ENOENT: i32 = 44;
const ENOSYS: i32 = 52;
const ENOTSUP: i32 = 58;
const ESPIPE: i32 = 70;

/// Envoy refuses `random_get` requests larger than this.
const MAX_RANDOM_BYTES: u32 = 64 * 1024;

type C<'a> = Caller<'a, VmState>;

/// Maps a memory fault to EFAULT-like errno; traps pass through.
fn errno(result: Result<i32, Fault>) -> wasmtime::Result<i32> {
    match result {
        Ok(code) => Ok(code),
        Err(Fault::Status(_)) => Ok(21), // EFAULT
        Err(Fault::Trap(e)) => Err(e),
    }
}

fn fd_write(c: &mut C<'_>, fd: i32, iovs: i32, iovs_len: i32, nwritten: i32) -> Result<i32, Fault> {
    let index = match fd {
        1 => 0,
        2 => 1,
        _ => return Ok(EBADF),
    };
    let mut bytes = Vec::new();
    for i in 0..iovs_len.max(0) {
        let iov = read(c, iovs.wrapping_add(i * 8), 8)?;
        let field =
            |at: usize| u32::from_le_bytes([iov[at], iov[at + 1], iov[at + 2], iov[at + 3]]) as i32;
        bytes.extend(read(c, field(0), field(4))?);
    }
    write_u32(c, nwritten, bytes.len() as u32)?;
    // Log whole lines: Rust writes a panic message in several pieces.
    let st = c.data_mut();
    st.partial_lines[index].extend_from_slice(&bytes);
    while let Some(newline) = st.partial_lines[index].iter().position(|b| *b == b'\n') {
        let line: Vec<u8> = st.partial_lines[index].drain(..=newline).collect();
        let (level, source) = output_level(index);
        st.log(
            level,
            source,
            String::from_utf8_lossy(&line[..line.len() - 1]).into_owned(),
        );
    }
    Ok(ESUCCESS)
}

fn fd_fdstat_get(c: &mut C<'_>, fd: i32, stat: i32) -> Result<i32, Fault> {
    if fd != 1 && fd != 2 {
        return Ok(EBADF);
    }
    // filetype 2 (character device), no flags, no rights.
    let mut buf = [0u8; 24];
    buf[0] = 2;
    write(c, stat, &buf)?;
    Ok(ESUCCESS)
}

fn sizes_empty(c: &mut C<'_>, count: i32, size: i32) -> Result<i32, Fault> {
    write_u32(c, count, 0)?;
    write_u32(c, size, 0)?;
    Ok(ESUCCESS)
}

fn clock_time_get(c: &mut C<'_>, id: i32, _precision: i64, ret: i32) -> Result<i32, Fault> {
    let now = {
        let state = c.data().host.state();
        match id {
            0 => state.now_nanos(),
            1 => state.monotonic_nanos(),
            _ => return Ok(ENOTSUP),
        }
    };
    write_u64(c, ret, now)?;
    Ok(ESUCCESS)
}

fn random_get(c: &mut C<'_>, buf: i32, len: i32) -> Result<i32, Fault> {
    if len as u32 > MAX_RANDOM_BYTES {
        return Ok(EINVAL);
    }
    let bytes = c.data().host.state().random_bytes(len as u32 as usize);
    write(c, buf, &bytes)?;
    Ok(ESUCCESS)
}

pub(super) fn define(linker: &mut Linker<VmState>) -> wasmtime::Result<()> {
    for module in ["wasi_snapshot_preview1", "wasi_unstable"] {
        linker.func_wrap(
            module,
            "fd_write",
            |mut c: C<'_>, fd: i32, iovs: i32, n: i32, out: i32| {
                errno(fd_write(&mut c, fd, iovs, n, out))
            },
        )?;
        linker.func_wrap(
            module,
            "fd_read",
            |_: C<'_>, _: i32, _: i32, _: i32, _: i32| ENOSYS,
        )?;
        linker.func_wrap(
            module,
            "fd_seek",
            |_: C<'_>, _: i32, _: i64, _: i32, _: i32| ESPIPE,
        )?;
        linker.func_wrap(module, "fd_close", |_: C<'_>, _: i32| ESUCCESS)?;
        linker.func_wrap(
            module,
            "fd_fdstat_get",
            |mut c: C<'_>, fd: i32, stat: i32| errno(fd_fdstat_get(&mut c, fd, stat)),
        )?;
        linker.func_wrap(module, "fd_prestat_get", |_: C<'_>, _: i32, _: i32| EBADF)?;
        linker.func_wrap(
            module,
            "fd_prestat_dir_name",
            |_: C<'_>, _: i32, _: i32, _: i32| EBADF,
        )?;
        linker.func_wrap(
            module,
            "path_open",
            |_: C<'_>, _: i32, _: i32, _: i32, _: i32, _: i32, _: i64, _: i64, _: i32, _: i32| {
                ENOENT
            },
        )?;
        linker.func_wrap(
            module,
            "environ_sizes_get",
            |mut c: C<'_>, n: i32, size: i32| errno(sizes_empty(&mut c, n, size)),
        )?;
        linker.func_wrap(module, "environ_get", |_: C<'_>, _: i32, _: i32| ESUCCESS)?;
        linker.func_wrap(
            module,
            "args_sizes_get",
            |mut c: C<'_>, n: i32, size: i32| errno(sizes_empty(&mut c, n, size)),
        )?;
        linker.func_wrap(module, "args_get", |_: C<'_>, _: i32, _: i32| ESUCCESS)?;
        linker.func_wrap(
            module,
            "clock_time_get",
            |mut c: C<'_>, id: i32, precision: i64, ret: i32| {
                errno(clock_time_get(&mut c, id, precision, ret))
            },
        )?;
        linker.func_wrap(module, "random_get", |mut c: C<'_>, buf: i32, len: i32| {
            errno(random_get(&mut c, buf, len))
        })?;
        linker.func_wrap(module, "sched_yield", |_: C<'_>| ESUCCESS)?;
        linker.func_wrap(
            module,
            "proc_exit",
            |_: C<'_>, code: i32| -> wasmtime::Result<()> {
                Err(wasmtime::format_err!("proc_exit({code})"))
            },
        )?;
    }
    Ok(())
}
