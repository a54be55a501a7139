//! Splitting a server-sent event stream into events, chunk by chunk.
//!
//! Upstream chunks cut events anywhere, even inside a `\r\n`. [`SseSplitter`]
//! takes chunks as they come and returns each event once its blank line has
//! arrived, with its fields parsed and its bytes exactly as received, so the glue
//! can forward events unchanged (or drop one) while reading them. Every input byte
//! ends up in exactly one event's `raw` (or in [`SseSplitter::finish`]'s), in
//! order. Each byte is looked at once: the work is linear in the stream's length
//! however it is chunked.
//!
//! Lines end with `\n`, `\r\n` or `\r`, as the SSE specification allows. Lines
//! starting with `:` are comments; `id` and `retry` fields are kept in `raw` only.

/// One event of the stream.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseEvent {
    /// The `event:` field; empty when there is none (a plain "message").
    pub event: String,
    /// The `data:` lines, joined with `\n`.
    pub data: String,
    /// Whether the event had any `data:` line. Blocks with only comments or
    /// blank lines come out as events without data, so their bytes are forwarded.
    pub has_data: bool,
    /// The event's bytes as received, its blank line included.
    pub raw: Vec<u8>,
}

#[derive(Debug, Default)]
pub struct SseSplitter {
    /// Bytes of the event in progress.
    raw: Vec<u8>,
    /// The line in progress, without its terminator.
    line: Vec<u8>,
    event: Vec<u8>,
    data: Vec<u8>,
    has_data: bool,
    /// The last byte was a `\r`: a `\n` next belongs to the same line end.
    after_cr: bool,
    /// An event ended with a `\r`; it is handed out once the next byte shows
    /// whether a `\n` belongs to it.
    dispatch_pending: bool,
}

impl SseSplitter {
    pub fn new() -> SseSplitter {
        SseSplitter::default()
    }

    /// Feed the next chunk; returns the events it completed, in order.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<SseEvent> {
        let mut events = Vec::new();
        let mut rest = chunk;
        while !rest.is_empty() {
            if self.after_cr {
                self.after_cr = false;
                if let Some((b'\n', tail)) = rest.split_first() {
                    self.raw.push(b'\n');
                    rest = tail;
                }
                if self.dispatch_pending {
                    self.dispatch_pending = false;
                    events.push(self.take_event());
                }
                continue;
            }
            let Some(end) = rest.iter().position(|&b| b == b'\n' || b == b'\r') else {
                self.line.extend_from_slice(rest);
                self.raw.extend_from_slice(rest);
                break;
            };
            let (text, tail) = rest.split_at(end);
            let Some((&terminator, tail)) = tail.split_first() else {
                break;
            };
            self.line.extend_from_slice(text);
            self.raw.extend_from_slice(text);
            self.raw.push(terminator);
            rest = tail;
            let event_done = self.end_line();
            if terminator == b'\r' {
                self.after_cr = true;
                self.dispatch_pending = event_done;
            } else if event_done {
                events.push(self.take_event());
            }
        }
        events
    }

    /// The end of the stream: whatever is left, as a last event. It lacks its
    /// blank line (the specification would discard it); its bytes still need
    /// forwarding, and its fields are parsed in case it carries the usage.
    pub fn finish(&mut self) -> Option<SseEvent> {
        self.after_cr = false;
        self.dispatch_pending = false;
        if !self.line.is_empty() {
            self.end_line();
        }
        if self.raw.is_empty() {
            return None;
        }
        Some(self.take_event())
    }

    /// Bytes held for the event in progress (for the glue to bound).
    pub fn pending_bytes(&self) -> usize {
        self.raw.len()
    }

    /// Process the completed line; true when it was blank, ending the event.
    fn end_line(&mut self) -> bool {
        let line = std::mem::take(&mut self.line);
        if line.is_empty() {
            return true;
        }
        if line.first() == Some(&b':') {
            self.line = recycle(line);
            return false;
        }
        let (name, value) = match line.iter().position(|&b| b == b':') {
            Some(colon) => {
                let (name, value) = line.split_at(colon);
                let value = value.get(1..).unwrap_or_default();
                (name, value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line.as_slice(), &[][..]),
        };
        match name {
            b"data" => {
                self.data.extend_from_slice(value);
                self.data.push(b'\n');
                self.has_data = true;
            }
            b"event" => {
                self.event.clear();
                self.event.extend_from_slice(value);
            }
            _ => {}
        }
        self.line = recycle(line);
        false
    }

    fn take_event(&mut self) -> SseEvent {
        let mut data = std::mem::take(&mut self.data);
        if data.last() == Some(&b'\n') {
            data.pop();
        }
        SseEvent {
            event: text(std::mem::take(&mut self.event)),
            data: text(data),
            has_data: std::mem::take(&mut self.has_data),
            raw: std::mem::take(&mut self.raw),
        }
    }
}

/// Keep a line buffer's allocation for the next line.
fn recycle(mut line: Vec<u8>) -> Vec<u8> {
    line.clear();
    line
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )]
    use super::*;

    /// Split `input` into chunks at `cuts` and collect every event, finish included.
    fn split(input: &[u8], cuts: &[usize]) -> Vec<SseEvent> {
        let mut splitter = SseSplitter::new();
        let mut events = Vec::new();
        let mut start = 0;
        for &cut in cuts.iter().chain([input.len()].iter()) {
            events.extend(splitter.push(&input[start..cut]));
            start = cut;
        }
        events.extend(splitter.finish());
        events
    }

    fn summary(events: &[SseEvent]) -> Vec<(String, Option<String>)> {
        events
            .iter()
            .map(|e| (e.event.clone(), e.has_data.then(|| e.data.clone())))
            .collect()
    }

    /// Every way of cutting the input in two, and byte by byte, gives the same
    /// events as the whole, and the raw bytes add up to the input.
    fn check_all_splits(input: &[u8]) -> Vec<SseEvent> {
        let whole = split(input, &[]);
        for cut in 0..=input.len() {
            let events = split(input, &[cut]);
            assert_eq!(events, whole, "cut at {cut}");
        }
        let every: Vec<usize> = (1..input.len()).collect();
        assert_eq!(split(input, &every), whole, "byte by byte");
        let raw: Vec<u8> = whole.iter().flat_map(|e| e.raw.clone()).collect();
        assert_eq!(raw, input);
        whole
    }

    #[test]
    fn line_endings() {
        let want = vec![
            ("".to_string(), Some("a".to_string())),
            ("ping".to_string(), Some("b\nc".to_string())),
        ];
        for input in [
            "data: a\n\nevent: ping\ndata: b\ndata: c\n\n",
            "data: a\r\n\r\nevent: ping\r\ndata: b\r\ndata: c\r\n\r\n",
            "data: a\r\revent: ping\rdata: b\rdata: c\r\r",
            "data: a\n\r\nevent: ping\r\ndata: b\ndata: c\r\r\n",
        ] {
            let events = check_all_splits(input.as_bytes());
            assert_eq!(summary(&events), want, "{input:?}");
        }
    }

    #[test]
    fn raw_bytes_belong_to_their_event() {
        let events = split(b"data: a\r\n\r\ndata: b\r\n\r\n", &[]);
        assert_eq!(events[0].raw, b"data: a\r\n\r\n");
        assert_eq!(events[1].raw, b"data: b\r\n\r\n");
    }

    #[test]
    fn comments_ids_and_odd_fields() {
        let input = ": keep-alive\n\nid: 7\nretry: 100\ndata:x\ndata\nevent:e\nunknown: z\n\n";
        let events = check_all_splits(input.as_bytes());
        assert_eq!(
            summary(&events),
            vec![
                ("".to_string(), None),
                ("e".to_string(), Some("x\n".to_string())),
            ]
        );
        assert_eq!(events[0].raw, b": keep-alive\n\n");
    }

    #[test]
    fn a_stream_cut_short_is_handed_out_by_finish() {
        let events = check_all_splits(b"data: done\n\ndata: [DONE]");
        assert_eq!(events.len(), 2);
        assert_eq!(
            (events[1].data.as_str(), events[1].has_data),
            ("[DONE]", true)
        );
        assert!(SseSplitter::new().finish().is_none());
    }

    #[test]
    fn a_trailing_cr_waits_for_the_next_byte() {
        let mut splitter = SseSplitter::new();
        assert!(splitter.push(b"data: a\r\r").is_empty());
        let events = splitter.push(b"\ndata: b\n\n");
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].raw, b"data: a\r\r\n");
        assert_eq!(splitter.pending_bytes(), 0);
    }

    #[test]
    fn invalid_utf8_is_replaced_not_fatal() {
        let events = split(b"data: \xff\n\n", &[]);
        assert_eq!(events[0].data, "\u{fffd}");
    }

    #[test]
    fn splitting_is_linear() {
        // A megabyte event fed a byte at a time must not be rescanned per byte.
        let mut input = b"data: ".to_vec();
        input.extend(std::iter::repeat_n(b'x', 1 << 20));
        input.extend_from_slice(b"\n\n");
        let mut splitter = SseSplitter::new();
        let mut events = Vec::new();
        for byte in input.chunks(1) {
            events.extend(splitter.push(byte));
        }
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].data.len(), 1 << 20);
    }
}
