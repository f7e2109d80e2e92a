//! Request ids of any JSON type, echoed as geth echoes them.
//!
//! jsonrpsee's ids are strings, unsigned 64-bit numbers or null; a request with `-1`, `1.5`,
//! `1e3` or `true` as its id got an error with id null. geth answers any id that is not an object
//! or an array. Such rare ids are swapped for placeholder strings before jsonrpsee reads the body
//! and put back in its answer as the client spelled them (each id is cut out of the text by its
//! byte span, so `1e3` does not come back as `1000.0`). A byte scan finds them, so ordinary
//! requests are not parsed twice.

use serde::Deserialize;
use serde_json::value::RawValue;

/// Placeholders: a string no client sends, with the id's position.
const MARK: &str = "\u{1}rollupd-id:";

/// Whether `body` may hold an id jsonrpsee cannot take (a fast over-approximation: a key `"id"`
/// whose value does not start like a string, null or a plain unsigned integer).
pub(super) fn may_have_odd_id(body: &[u8]) -> bool {
    let mut rest = body;
    while let Some(at) = find(rest, b"\"id\"") {
        rest = &rest[at + 4..];
        let value = skip_ws(rest);
        let Some(value) = value.strip_prefix(b":") else { continue };
        let value = skip_ws(value);
        match value.first() {
            Some(b'"') | Some(b'n') => {}
            Some(b'0'..=b'9') => {
                let digits = value.iter().take_while(|b| b.is_ascii_digit()).count();
                let next = value.get(digits);
                if digits > 19 || matches!(next, Some(b'.' | b'e' | b'E')) {
                    return true;
                }
            }
            _ => return true,
        }
    }
    false
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn skip_ws(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|b| b.is_ascii_whitespace()).count();
    &s[n..]
}

/// Whether jsonrpsee takes an id spelled `raw` as it is: a string, null or a `u64`.
fn standard(raw: &str) -> bool {
    raw.starts_with('"') || raw == "null" || raw.parse::<u64>().is_ok()
}

/// A call's (or an answer's) id, borrowed from the text it was read from, so its place in that
/// text is known.
#[derive(Deserialize)]
struct IdOf<'a> {
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
}

/// The ids of the call objects in `text` (alone or in a batch), each borrowed from `text`.
/// `None` if `text` is not JSON of that shape; entries that are not objects have no id.
fn ids(text: &str) -> Option<Vec<Option<&RawValue>>> {
    fn id_of(t: &str) -> Option<&RawValue> {
        serde_json::from_str::<IdOf<'_>>(t).ok().and_then(|i| i.id)
    }
    if text.trim_start().starts_with('[') {
        let calls: Vec<&RawValue> = serde_json::from_str(text).ok()?;
        Some(calls.into_iter().map(|c| id_of(c.get())).collect())
    } else {
        let call: IdOf<'_> = serde_json::from_str(text).ok()?;
        Some(vec![call.id])
    }
}

/// Where `part` (a slice of `whole`) starts in `whole`.
fn offset(whole: &str, part: &str) -> usize {
    part.as_ptr() as usize - whole.as_ptr() as usize
}

/// `text` with each `(start, end, replacement)` span (in order, not overlapping) replaced.
fn splice(text: &str, spans: &[(usize, usize, String)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + spans.len() * 16);
    let mut at = 0;
    for (start, end, with) in spans {
        out.extend_from_slice(&text.as_bytes()[at..*start]);
        out.extend_from_slice(with.as_bytes());
        at = *end;
    }
    out.extend_from_slice(&text.as_bytes()[at..]);
    out
}

/// The ids swapped out of a request, by placeholder index: each id's JSON text as the client
/// wrote it.
#[derive(Debug, Default)]
pub(super) struct Swapped(Vec<String>);

impl Swapped {
    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// `body` with each non-standard id (of a call object, alone or in a batch) replaced by a
/// placeholder, every other byte as it was. Objects and arrays as ids are left for jsonrpsee to
/// refuse, as geth refuses them. A body that is not JSON is returned as it is.
pub(super) fn swap_out(body: &[u8]) -> (Option<Vec<u8>>, Swapped) {
    let Ok(text) = std::str::from_utf8(body) else { return (None, Swapped::default()) };
    let Some(ids) = ids(text) else { return (None, Swapped::default()) };
    let mut swapped = Swapped::default();
    let mut spans = Vec::new();
    for id in ids.into_iter().flatten() {
        let raw = id.get();
        if standard(raw) || raw.starts_with(['{', '[']) {
            continue;
        }
        let start = offset(text, raw);
        let mark = serde_json::to_string(&format!("{MARK}{}", swapped.0.len()))
            .unwrap_or_else(|_| "null".into());
        spans.push((start, start + raw.len(), mark));
        swapped.0.push(raw.to_string());
    }
    if swapped.is_empty() {
        return (None, swapped);
    }
    (Some(splice(text, &spans)), swapped)
}

/// jsonrpsee's answer with the original ids, byte for byte, back in place of the placeholders.
pub(super) fn swap_back(answer: &[u8], swapped: &Swapped) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(answer).ok()?;
    let mut spans = Vec::new();
    for id in ids(text)?.into_iter().flatten() {
        let Ok(s) = serde_json::from_str::<String>(id.get()) else { continue };
        let index = s.strip_prefix(MARK).and_then(|i| i.parse::<usize>().ok());
        if let Some(original) = index.and_then(|i| swapped.0.get(i)) {
            let start = offset(text, id.get());
            spans.push((start, start + id.get().len(), original.clone()));
        }
    }
    Some(splice(text, &spans))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn the_scan_finds_every_id_jsonrpsee_cannot_take_and_passes_ordinary_ones() {
        for odd in [
            r#"{"id":-1}"#,
            r#"{"id": 1.5}"#,
            r#"{"id":1e3}"#,
            r#"{"id" : true}"#,
            r#"[{"id":1},{"id":false}]"#,
            r#"{"id":123456789012345678901}"#,
        ] {
            assert!(may_have_odd_id(odd.as_bytes()), "{odd}");
        }
        for plain in [r#"{"id":1}"#, r#"{"id":"a"}"#, r#"{"id":null}"#, r#"{"method":"x"}"#] {
            assert!(!may_have_odd_id(plain.as_bytes()), "{plain}");
        }
    }

    #[test]
    fn odd_ids_go_out_and_come_back() {
        let body = br#"[{"jsonrpc":"2.0","id":-1,"method":"a"},{"jsonrpc":"2.0","id":7,"method":"b"},{"jsonrpc":"2.0","id":1.5,"method":"c"}]"#;
        let (new, swapped) = swap_out(body);
        let new: Value = serde_json::from_slice(&new.unwrap()).unwrap();
        assert!(new[0]["id"].as_str().unwrap().starts_with(MARK));
        assert_eq!(new[1]["id"], 7);
        let answer = serde_json::to_vec(&serde_json::json!([
            {"jsonrpc":"2.0","id":new[0]["id"],"result":1},
            {"jsonrpc":"2.0","id":7,"result":2},
            {"jsonrpc":"2.0","id":new[2]["id"],"result":3},
        ]))
        .unwrap();
        let back: Value = serde_json::from_slice(&swap_back(&answer, &swapped).unwrap()).unwrap();
        assert_eq!(back[0]["id"], -1);
        assert_eq!(back[1]["id"], 7);
        assert_eq!(back[2]["id"], 1.5);
    }

    #[test]
    fn ids_come_back_byte_for_byte_and_nothing_else_changes() {
        for id in ["1e3", "1.50", "-0", "1E+3", "-1", "true", "123456789012345678901234567890"] {
            let body = format!(r#"{{"jsonrpc":"2.0", "id" : {id},"method":"a","params":[1.50]}}"#);
            let (new, swapped) = swap_out(body.as_bytes());
            let new = String::from_utf8(new.unwrap()).unwrap();
            assert!(new.starts_with(r#"{"jsonrpc":"2.0", "id" : "\u0001rollupd-id:0","#), "{new}");
            assert!(new.ends_with(r#","method":"a","params":[1.50]}"#), "params untouched: {new}");
            let answer = r#"{"jsonrpc":"2.0","id":"\u0001rollupd-id:0","result":"0x1"}"#;
            let back = String::from_utf8(swap_back(answer.as_bytes(), &swapped).unwrap()).unwrap();
            assert_eq!(back, format!(r#"{{"jsonrpc":"2.0","id":{id},"result":"0x1"}}"#));
        }
        // A body that is not JSON, or has only ordinary ids, is left alone.
        assert!(swap_out(b"{\"id\":-1,").0.is_none());
        assert!(swap_out(br#"{"id":"x"}"#).0.is_none());
    }
}
