//! WebSocket frames rewritten in flight, so request ids of any JSON type work over a WebSocket as
//! they do over HTTP ([`super::ids`]).
//!
//! jsonrpsee's WebSocket loop hands each message straight to its parser, which reads a request
//! whose id is `-1`, `1.5` or `true` as a notification and runs nothing. No hook sees the message
//! text, so the socket wrapper in [`super::serve`] passes the upgraded connection's bytes through
//! a [`Frames`] reader in each direction (RFC 6455 section 5.2):
//!
//! - from the client, a whole text frame (`FIN` set, opcode 1, no extension bits, masked) that
//!   may hold such an id is unmasked, its ids swapped for placeholders, and masked again with the
//!   same key under a new length;
//! - to the client, while placeholders are outstanding, a whole text frame that holds one gets the
//!   client's ids back.
//!
//! Every other frame (binary, control, fragmented, compressed, or over the size limit) passes
//! byte for byte, streamed, without being held. Only frame headers are read for those, so the cost
//! on ordinary traffic is a copy. A peer whose bytes are not valid framing (a server answer never
//! is; a client's may be) switches its direction to plain pass-through, leaving the error to
//! jsonrpsee's own frame reader.

/// Capacity an emptied buffer keeps; past it the buffer is freed, so one large message does not
/// leave its size allocated for a socket's life.
const KEEP: usize = 64 * 1024;

/// Empties `buf`, freeing its memory if it grew past [`KEEP`].
pub(super) fn empty(buf: &mut Vec<u8>) {
    buf.clear();
    if buf.capacity() > KEEP {
        *buf = Vec::new();
    }
}

/// A frame's header, as read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Head {
    /// Bytes of header (2 to 14).
    len: usize,
    /// The first byte: `FIN`, three extension bits, opcode.
    first: u8,
    /// The masking key, if the frame is masked.
    mask: Option<[u8; 4]>,
    /// Payload bytes.
    payload: u64,
}

impl Head {
    /// A whole message in one text frame, without extensions.
    fn whole_text(&self) -> bool {
        self.first == 0x81
    }
}

/// Reads a frame header from the start of `bytes`: `None` if more bytes are needed, `Some(Err)`
/// if they cannot be a header (a 64-bit length with its top bit set).
fn read_head(bytes: &[u8]) -> Option<Result<Head, ()>> {
    let [first, second, ..] = *bytes else { return None };
    let masked = second & 0x80 != 0;
    let (payload, at) = match second & 0x7f {
        126 => (u64::from(u16::from_be_bytes(bytes.get(2..4)?.try_into().ok()?)), 4),
        127 => {
            let n = u64::from_be_bytes(bytes.get(2..10)?.try_into().ok()?);
            if n >> 63 != 0 {
                return Some(Err(()));
            }
            (n, 10)
        }
        n => (u64::from(n), 2),
    };
    let (mask, len) = if masked {
        let key: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
        (Some(key), at + 4)
    } else {
        (None, at)
    };
    Some(Ok(Head { len, first, mask, payload }))
}

/// XORs `data` with `key`, as masking and unmasking both do.
fn apply_mask(data: &mut [u8], key: [u8; 4]) {
    for (i, b) in data.iter_mut().enumerate() {
        *b ^= key[i % 4];
    }
}

/// A frame with `first` byte, `payload` (clear text) and, if `mask` is set, masked with it.
fn encode(first: u8, mask: Option<[u8; 4]>, payload: &[u8], out: &mut Vec<u8>) {
    out.push(first);
    let bit = if mask.is_some() { 0x80 } else { 0 };
    match payload.len() {
        n @ 0..=125 => out.push(bit | n as u8),
        n @ 126..=0xffff => {
            out.push(bit | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(bit | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    if let Some(key) = mask {
        out.extend_from_slice(&key);
    }
    let body = out.len();
    out.extend_from_slice(payload);
    if let Some(key) = mask {
        apply_mask(&mut out[body..], key);
    }
}

/// One direction of a WebSocket: bytes in, the same frames out, whole text frames rewritten.
#[derive(Debug)]
pub(super) struct Frames {
    /// Whether this direction's frames are masked (client to server) or not.
    masked: bool,
    /// The largest text frame held whole to be rewritten; larger ones are streamed.
    max_whole: usize,
    /// Bytes of a frame not yet complete (its header, or a text frame held whole).
    pending: Vec<u8>,
    /// Payload bytes of a streamed frame still to pass on as they come.
    streaming: u64,
    /// Not valid framing: everything passes as it is from here on.
    broken: bool,
}

impl Frames {
    /// A reader of one direction: `masked` for frames from a client.
    pub(super) fn new(masked: bool, max_whole: usize) -> Self {
        Self { masked, max_whole, pending: Vec::new(), streaming: 0, broken: false }
    }

    /// Takes `data` and appends to `out` every byte that can go on: whole frames (rewritten by
    /// `rewrite`, given a text frame's clear payload, where it returns a new one) and the streamed
    /// part of frames passed as they are. With `hold` false, text frames are streamed too (nothing
    /// to rewrite in this direction for now).
    pub(super) fn feed(
        &mut self,
        data: &[u8],
        out: &mut Vec<u8>,
        hold: bool,
        mut rewrite: impl FnMut(&[u8]) -> Option<Vec<u8>>,
    ) {
        let mut data = data;
        if self.broken {
            out.extend_from_slice(data);
            return;
        }
        if self.streaming > 0 {
            let n = usize::try_from(self.streaming).unwrap_or(usize::MAX).min(data.len());
            out.extend_from_slice(&data[..n]);
            self.streaming -= n as u64;
            data = &data[n..];
        }
        if data.is_empty() {
            return;
        }
        self.pending.extend_from_slice(data);
        let mut at = 0;
        while at < self.pending.len() {
            let rest = &self.pending[at..];
            let head = match read_head(rest) {
                None => break,
                Some(Ok(head)) => head,
                Some(Err(())) => {
                    self.broken = true;
                    out.extend_from_slice(rest);
                    at = self.pending.len();
                    break;
                }
            };
            let held = hold
                && head.whole_text()
                && head.mask.is_some() == self.masked
                && head.payload <= self.max_whole as u64;
            if !held {
                let avail = (rest.len() - head.len) as u64;
                let take = head.payload.min(avail);
                let end = head.len + take as usize;
                out.extend_from_slice(&rest[..end]);
                at += end;
                self.streaming = head.payload - take;
                if self.streaming > 0 {
                    break;
                }
                continue;
            }
            let total = head.len + head.payload as usize;
            if rest.len() < total {
                break;
            }
            let frame = &rest[..total];
            // A server's frame is read in place; only a masked one is copied to unmask it.
            let payload = match head.mask {
                Some(key) => {
                    let mut clear = frame[head.len..].to_vec();
                    apply_mask(&mut clear, key);
                    std::borrow::Cow::Owned(clear)
                }
                None => std::borrow::Cow::Borrowed(&frame[head.len..]),
            };
            match rewrite(&payload) {
                Some(new) => encode(head.first, head.mask, &new, out),
                None => out.extend_from_slice(frame),
            }
            at += total;
        }
        if at == self.pending.len() {
            empty(&mut self.pending);
        } else {
            self.pending.drain(..at);
        }
    }

    /// Bytes held when the stream ends (an incomplete frame), to pass on as they are.
    pub(super) fn take_pending(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(first: u8, mask: Option<[u8; 4]>, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        encode(first, mask, payload, &mut out);
        out
    }

    /// The frames in `bytes`, as (first byte, clear payload).
    fn frames(mut bytes: &[u8]) -> Vec<(u8, Vec<u8>)> {
        let mut all = Vec::new();
        while !bytes.is_empty() {
            let head = read_head(bytes).unwrap().unwrap();
            let total = head.len + head.payload as usize;
            let mut payload = bytes[head.len..total].to_vec();
            if let Some(key) = head.mask {
                apply_mask(&mut payload, key);
            }
            all.push((head.first, payload));
            bytes = &bytes[total..];
        }
        all
    }

    fn upper(p: &[u8]) -> Option<Vec<u8>> {
        p.iter().any(u8::is_ascii_lowercase).then(|| p.to_ascii_uppercase())
    }

    #[test]
    fn headers_of_every_length_form_read_back() {
        for len in [0usize, 1, 125, 126, 127, 65_535, 65_536, 70_000] {
            for mask in [None, Some([1, 2, 3, 4])] {
                let payload: Vec<u8> = (0..len).map(|i| i as u8).collect();
                let f = frame(0x82, mask, &payload);
                let head = read_head(&f).unwrap().unwrap();
                assert_eq!(head.payload, len as u64);
                assert_eq!(head.mask, mask);
                assert_eq!(head.len + len, f.len());
                assert_eq!(frames(&f), vec![(0x82, payload)]);
                // Any strict prefix of the header asks for more.
                for cut in 0..head.len {
                    assert_eq!(read_head(&f[..cut]), None, "len {len} cut {cut}");
                }
            }
        }
        let mut bad = vec![0x81, 127];
        bad.extend_from_slice(&u64::MAX.to_be_bytes());
        assert_eq!(read_head(&bad), Some(Err(())));
    }

    #[test]
    fn whole_text_frames_are_rewritten_and_everything_else_passes_byte_for_byte() {
        let key = Some([9, 8, 7, 6]);
        let mut input = Vec::new();
        input.extend(frame(0x81, key, b"abc")); // rewritten
        input.extend(frame(0x82, key, b"abc")); // binary
        input.extend(frame(0x89, key, b"ping")); // ping
        input.extend(frame(0x01, key, b"frag")); // first fragment
        input.extend(frame(0x80, key, b"ment")); // last fragment
        input.extend(frame(0xc1, key, b"zip")); // compressed (RSV1)
        input.extend(frame(0x81, None, b"unmasked")); // a client frame must be masked
        input.extend(frame(0x81, key, &[b'q'; 300])); // over the size limit
        input.extend(frame(0x81, key, b"ABC")); // nothing to rewrite
        let mut want = input.clone();
        let first = frame(0x81, key, b"abc").len();
        want.splice(..first, frame(0x81, key, b"ABC"));
        // Fed whole, and fed one byte at a time: the same bytes come out.
        for step in [input.len(), 1, 7] {
            let mut f = Frames::new(true, 256);
            let mut out = Vec::new();
            for chunk in input.chunks(step) {
                f.feed(chunk, &mut out, true, upper);
            }
            assert_eq!(out, want, "step {step}");
            assert!(f.take_pending().is_empty());
        }
    }

    #[test]
    fn a_longer_rewrite_changes_the_length_form_and_keeps_the_mask() {
        let key = Some([0xde, 0xad, 0xbe, 0xef]);
        let mut f = Frames::new(true, 1 << 20);
        let mut out = Vec::new();
        f.feed(&frame(0x81, key, &[b'a'; 100]), &mut out, true, |p| Some([p, p].concat()));
        let head = read_head(&out).unwrap().unwrap();
        assert_eq!((head.payload, head.mask, head.len), (200, key, 8));
        assert_eq!(frames(&out), vec![(0x81, vec![b'a'; 200])]);
    }

    #[test]
    fn without_hold_and_for_server_frames_text_streams_as_it_comes() {
        // Not holding: a text frame's bytes go on before it is complete.
        let f_bytes = frame(0x81, None, b"hello world");
        let mut f = Frames::new(false, 1024);
        let mut out = Vec::new();
        f.feed(&f_bytes[..5], &mut out, false, upper);
        assert_eq!(out, f_bytes[..5]);
        f.feed(&f_bytes[5..], &mut out, false, upper);
        assert_eq!(out, f_bytes);
        // Holding, server side (unmasked): rewritten once whole.
        let mut f = Frames::new(false, 1024);
        let mut out = Vec::new();
        f.feed(&f_bytes[..5], &mut out, true, upper);
        assert!(out.is_empty());
        f.feed(&f_bytes[5..], &mut out, true, upper);
        assert_eq!(frames(&out), vec![(0x81, b"HELLO WORLD".to_vec())]);
    }

    #[test]
    fn invalid_framing_passes_everything_from_there_on() {
        let mut bad = vec![0x81, 127];
        bad.extend_from_slice(&u64::MAX.to_be_bytes());
        bad.extend_from_slice(b"rest");
        let mut f = Frames::new(true, 1024);
        let mut out = Vec::new();
        f.feed(&bad, &mut out, true, upper);
        f.feed(&frame(0x81, Some([1, 1, 1, 1]), b"abc"), &mut out, true, upper);
        let mut want = bad.clone();
        want.extend(frame(0x81, Some([1, 1, 1, 1]), b"abc"));
        assert_eq!(out, want);
    }

    #[test]
    fn an_incomplete_frame_at_the_end_is_handed_back() {
        let f_bytes = frame(0x81, Some([1, 2, 3, 4]), b"abcdef");
        let mut f = Frames::new(true, 1024);
        let mut out = Vec::new();
        f.feed(&f_bytes[..4], &mut out, true, upper);
        assert!(out.is_empty());
        assert_eq!(f.take_pending(), f_bytes[..4]);
    }
}
