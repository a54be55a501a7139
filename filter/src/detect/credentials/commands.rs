//! Passwords on a command line, where a flag or a connect string's shape,
//! not a name, says what they are.
//!
//! - `curl -u user:password` (and `--user`).
//! - Oracle's `user/password@database`, after `sqlplus`, `connect`,
//!   `jdbc:oracle:thin:` and the like.
//! - A password given to a flag: MySQL's clients take it run into `-p`
//!   (`mysql -u root -pS3cret`), `sshpass` after `-p` and a space.
//!
//! The command is looked for backwards, at most [`MAX_COMMAND`] bytes for
//! `curl` (a command may go on over several lines) and [`MAX_FLAG_COMMAND`]
//! bytes, within its command line, for a `-p` flag's client; a password is
//! read forward at most [`MAX_QUOTED`] bytes, back at most [`MAX_NAME`].

use super::{is_name_byte, looked_up, MAX_NAME, MAX_QUOTED};
use crate::detect::bytes::{at, before};

/// How far back `curl` is looked for from its `-u` flag.
const MAX_COMMAND: usize = 512;

/// The user of `curl -u user:password` whose name ends at the `:` at `op`
/// (an e-mail address too): its span, when the flag and `curl` stand
/// before it.
pub(super) fn user_flag(t: &[u8], start: usize, end: usize, op: usize) -> Option<(usize, usize)> {
    // A password follows the colon at once; prose puts a space there.
    if at(t, op) != b':' || end != op || matches!(at(t, op + 1), b' ' | b'\t' | b'\n' | 0) {
        return None;
    }
    let mut user_start = start;
    if before(t, user_start) == b'@' {
        user_start -= 1;
        while start - user_start < MAX_NAME
            && (is_name_byte(before(t, user_start)) || before(t, user_start) == b'+')
        {
            user_start -= 1;
        }
    }
    let mut flag_end = user_start;
    if matches!(before(t, flag_end), b'"' | b'\'') {
        flag_end -= 1;
    }
    let head = t.get(..flag_end)?;
    let flag_start = if head.ends_with(b"--user ") || head.ends_with(b"--user=") {
        flag_end - 7
    } else if head.ends_with(b" -u ") {
        flag_end - 3
    } else {
        return None;
    };
    let command = t.get(flag_start.saturating_sub(MAX_COMMAND)..flag_start)?;
    let curl = command.windows(5).any(|w| w == b"curl ");
    curl.then_some((user_start, end))
}

/// The password of `curl -u user:password`, after the `:` at `op`.
pub(super) fn user_password(t: &[u8], op: usize, user: (usize, usize)) -> Option<(usize, usize)> {
    let start = op + 1;
    let end = shell_word_end(t, start);
    let password = t.get(start..end)?;
    let same_as_user = t.get(user.0..user.1) == Some(password);
    (password.len() >= 3 && !same_as_user && !looked_up(password, true)).then_some((start, end))
}

/// What stands before an Oracle connect string's user: its tools and
/// commands, and the JDBC driver's prefix (compared in lower case).
const ORACLE_LEADS: &[&[u8]] = &[
    b"thin:",
    b"sqlplus ",
    b"sqlplus -s ",
    b"sqlplus -l ",
    b"connect ",
    b"conn ",
    b"expdp ",
    b"impdp ",
    b"exp ",
    b"imp ",
    b"sqlldr ",
    b"rman target ",
    b"userid=",
    b"connect(",
];

/// The password of an Oracle connect string, `user/password@database`, at
/// its `@`: `sqlplus scott/tiger@orcl`, `jdbc:oracle:thin:app/pw@//db:1521/svc`.
pub(super) fn connect_password(t: &[u8], at_sign: usize) -> Option<(usize, usize)> {
    let mut start = at_sign;
    while before(t, start) != b'/' {
        let b = before(t, start);
        if at_sign - start >= MAX_NAME || !b.is_ascii_graphic() || matches!(b, b'@' | b'"' | b'\'')
        {
            return None;
        }
        start -= 1;
    }
    let user_end = start - 1;
    let mut user = user_end;
    while user_end - user < MAX_NAME && is_name_byte(before(t, user)) {
        user -= 1;
    }
    if user == user_end {
        return None;
    }
    let mut lead_end = user;
    if matches!(before(t, lead_end), b'"' | b'\'') {
        lead_end -= 1;
    }
    let head = t.get(lead_end.saturating_sub(16)..lead_end)?;
    let led = ORACLE_LEADS.iter().any(|lead| {
        head.len() >= lead.len()
            && head
                .get(head.len() - lead.len()..)
                .is_some_and(|tail| tail.eq_ignore_ascii_case(lead))
            && !before(t, lead_end - lead.len()).is_ascii_alphanumeric()
    });
    let password = t.get(start..at_sign)?;
    (led && !password.is_empty() && !looked_up(password, true)).then_some((start, at_sign))
}

/// How far back a `-p` flag's command is looked for, within its line.
const MAX_FLAG_COMMAND: usize = 128;

/// The commands that take a password run into `-p`.
const MYSQL_CLIENTS: &[&[u8]] = &[
    b"mysql",
    b"mysqldump",
    b"mysqladmin",
    b"mysqlimport",
    b"mysqlcheck",
    b"mysqlshow",
    b"mariadb",
    b"mariadb-dump",
];

/// The password of `mysql -pS3cret` or `sshpass -p S3cret`, at the flag's
/// `-`, when the command stands before it in the same command line.
pub(super) fn password_flag(t: &[u8], dash: usize) -> Option<(usize, usize)> {
    if at(t, dash + 1) != b'p' || !matches!(before(t, dash), b' ' | b'\t') {
        return None;
    }
    let (start, commands): (usize, &[&[u8]]) = match at(t, dash + 2) {
        b' ' => (dash + 3, &[b"sshpass"]),
        b if b.is_ascii_graphic() => (dash + 2, MYSQL_CLIENTS),
        _ => return None,
    };
    // The command line so far: back to its line's start or a `;`, `|` or
    // `&` that starts another command, at most MAX_FLAG_COMMAND bytes.
    let mut from = dash;
    while dash - from < MAX_FLAG_COMMAND
        && !matches!(before(t, from), b'\n' | b'\r' | b';' | b'|' | b'&' | 0)
    {
        from -= 1;
    }
    let line = t.get(from..dash)?;
    let run = |word: &[u8]| {
        line.windows(word.len() + 1).enumerate().any(|(i, w)| {
            w.starts_with(word)
                && w.last() == Some(&b' ')
                && !before(t, from + i).is_ascii_alphanumeric()
        })
    };
    if !commands.iter().any(|command| run(command)) {
        return None;
    }
    let quote = at(t, start);
    let (start, quoted) = if matches!(quote, b'"' | b'\'') {
        (start + 1, true)
    } else {
        (start, false)
    };
    let end = shell_word_end(t, start);
    if quoted && at(t, end) != quote {
        return None;
    }
    let password = t.get(start..end)?;
    (password.len() >= 3 && !looked_up(password, true)).then_some((start, end))
}

/// Where a password on a command line that starts at `start` ends: at a
/// space, a control character or a quote, at most [`MAX_QUOTED`] bytes on.
fn shell_word_end(t: &[u8], start: usize) -> usize {
    let mut end = start;
    while end - start < MAX_QUOTED
        && at(t, end).is_ascii_graphic()
        && !matches!(at(t, end), b'"' | b'\'')
    {
        end += 1;
    }
    end
}
