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

/// A placeholder is this prefix followed by the id's own JSON text (a number or a boolean, so
/// only characters that need no escaping in a JSON string): self-describing, so putting ids back
/// needs no state, over HTTP or for the life of a WebSocket.
const MARK: &str = "\u{1}rollupd-id:";

/// What a placeholder looks like inside JSON text (the `\u{1}` is escaped there).
const MARK_TEXT: &[u8] = b"rollupd-id:";

/// Whether `body` may hold an id jsonrpsee cannot take (a fast over-approximation: a key `"id"`
/// whose value does not start like a string, null or a plain unsigned integer).
fn may_have_odd_id(body: &[u8]) -> bool {
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
    memchr::memmem::find(hay, needle)
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

/// Whether `answer` may hold a placeholder (a fast over-approximation).
fn may_have_mark(answer: &[u8]) -> bool {
    find(answer, MARK_TEXT).is_some()
}

/// Whether `raw` is an id this module swaps and may put back: a JSON number or boolean, spelled
/// only with characters a JSON string holds as they are.
fn swappable(raw: &str) -> bool {
    !raw.is_empty()
        && raw.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        && matches!(
            serde_json::from_str::<serde_json::Value>(raw),
            Ok(serde_json::Value::Number(_) | serde_json::Value::Bool(_))
        )
}

/// `body` with each non-standard id (of a call object, alone or in a batch) replaced by its
/// placeholder, every other byte as it was, and how many were replaced; `None` if there was
/// none. Objects and arrays as ids are left for jsonrpsee to refuse, as geth refuses them; a body
/// that is not JSON is left alone.
fn swap_out(body: &[u8]) -> Option<(Vec<u8>, usize)> {
    let text = std::str::from_utf8(body).ok()?;
    let mut spans = Vec::new();
    for id in ids(text)?.into_iter().flatten() {
        let raw = id.get();
        if standard(raw) || !swappable(raw) {
            continue;
        }
        let start = offset(text, raw);
        let mark = serde_json::to_string(&format!("{MARK}{raw}")).ok()?;
        spans.push((start, start + raw.len(), mark));
    }
    if spans.is_empty() {
        return None;
    }
    Some((splice(text, &spans), spans.len()))
}

/// jsonrpsee's answer with each placeholder id replaced by the id it stands for, byte for byte
/// as the client wrote it, and how many were put back; `None` if there was none. A string id
/// that merely looks like a placeholder but does not hold a number or boolean stays a string.
fn swap_back(answer: &[u8]) -> Option<(Vec<u8>, usize)> {
    let text = std::str::from_utf8(answer).ok()?;
    let mut spans = Vec::new();
    for id in ids(text)?.into_iter().flatten() {
        let Ok(s) = serde_json::from_str::<String>(id.get()) else { continue };
        if let Some(original) = s.strip_prefix(MARK).filter(|raw| swappable(raw)) {
            let start = offset(text, id.get());
            spans.push((start, start + id.get().len(), original.to_string()));
        }
    }
    if spans.is_empty() {
        return None;
    }
    Some((splice(text, &spans), spans.len()))
}

/// The members of a call object that geth, reading JSON as Go does, takes by their last value
/// when a client repeats them.
const CALL_KEYS: [&[u8]; 4] = [b"\"jsonrpc\"", b"\"id\"", b"\"method\"", b"\"params\""];

/// Whether `body` may hold a call object with a repeated member (a fast over-approximation by
/// counting: a single object with any of [`CALL_KEYS`] twice; a batch with more ids or params
/// than methods, or not one `jsonrpc` per method).
fn may_repeat_keys(body: &[u8]) -> bool {
    let [jsonrpc, id, method, params] =
        CALL_KEYS.map(|k| memchr::memmem::find_iter(body, k).count());
    if skip_ws(body).starts_with(b"{") {
        jsonrpc > 1 || id > 1 || method > 1 || params > 1
    } else {
        jsonrpc != method || id > method || params > method
    }
}

/// A call object rebuilt with each member once, at its last value (every value's text as the
/// client wrote it); `None` if `text` is not a JSON object.
fn last_value_wins(text: &str) -> Option<String> {
    let members: std::collections::BTreeMap<String, &RawValue> = serde_json::from_str(text).ok()?;
    let mut out = String::with_capacity(text.len());
    out.push('{');
    for (i, (key, value)) in members.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&serde_json::to_string(key).ok()?);
        out.push(':');
        out.push_str(value.get());
    }
    out.push('}');
    Some(out)
}

/// `body` (one call or a batch) with every call object's repeated members reduced to their last
/// value, as geth reads them; `None` if it is not JSON.
fn dedupe(body: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(body).ok()?;
    if !text.trim_start().starts_with('[') {
        return last_value_wins(text).map(String::into_bytes);
    }
    let calls: Vec<&RawValue> = serde_json::from_str(text).ok()?;
    let calls: Vec<String> = calls
        .into_iter()
        .map(|c| last_value_wins(c.get()).unwrap_or_else(|| c.get().to_string()))
        .collect();
    Some(format!("[{}]", calls.join(",")).into_bytes())
}

/// An HTTP body or WebSocket message rewritten: from the client (`inbound`) with repeated
/// members reduced to their last value and odd ids swapped out, or to it with them put back;
/// and how many ids were swapped. `None` if there was nothing to do (fast scans first, so
/// ordinary messages are not parsed).
pub(super) fn rewrite_message(payload: &[u8], inbound: bool) -> Option<(Vec<u8>, usize)> {
    if !inbound {
        return may_have_mark(payload).then(|| swap_back(payload))?;
    }
    let deduped = may_repeat_keys(payload).then(|| dedupe(payload)).flatten();
    let body = deduped.as_deref().unwrap_or(payload);
    match may_have_odd_id(body).then(|| swap_out(body)).flatten() {
        Some(swapped) => Some(swapped),
        None => deduped.map(|d| (d, 0)),
    }
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
        let (new, n) = swap_out(body).unwrap();
        assert_eq!(n, 2);
        let new: Value = serde_json::from_slice(&new).unwrap();
        assert!(new[0]["id"].as_str().unwrap().starts_with(MARK));
        assert_eq!(new[1]["id"], 7);
        let answer = serde_json::to_vec(&serde_json::json!([
            {"jsonrpc":"2.0","id":new[0]["id"],"result":1},
            {"jsonrpc":"2.0","id":7,"result":2},
            {"jsonrpc":"2.0","id":new[2]["id"],"result":3},
        ]))
        .unwrap();
        assert!(may_have_mark(&answer));
        let (back, n) = swap_back(&answer).unwrap();
        assert_eq!(n, 2);
        let back: Value = serde_json::from_slice(&back).unwrap();
        assert_eq!(back[0]["id"], -1);
        assert_eq!(back[1]["id"], 7);
        assert_eq!(back[2]["id"], 1.5);
    }

    #[test]
    fn ids_come_back_byte_for_byte_and_nothing_else_changes() {
        for id in ["1e3", "1.50", "-0", "1E+3", "-1", "true", "123456789012345678901234567890"] {
            let body = format!(r#"{{"jsonrpc":"2.0", "id" : {id},"method":"a","params":[1.50]}}"#);
            let (new, _) = swap_out(body.as_bytes()).unwrap();
            let new = String::from_utf8(new).unwrap();
            let mark = format!(r#""\u0001rollupd-id:{id}""#);
            assert!(new.starts_with(&format!(r#"{{"jsonrpc":"2.0", "id" : {mark},"#)), "{new}");
            assert!(new.ends_with(r#","method":"a","params":[1.50]}"#), "params untouched: {new}");
            let answer = format!(r#"{{"jsonrpc":"2.0","id":{mark},"result":"0x1"}}"#);
            let (back, _) = swap_back(answer.as_bytes()).unwrap();
            let back = String::from_utf8(back).unwrap();
            assert_eq!(back, format!(r#"{{"jsonrpc":"2.0","id":{id},"result":"0x1"}}"#));
        }
        // A body that is not JSON, or has only ordinary ids, is left alone.
        assert!(swap_out(b"{\"id\":-1,").is_none());
        assert!(swap_out(br#"{"id":"x"}"#).is_none());
        assert!(swap_back(br#"{"id":"x","result":1}"#).is_none());
    }

    #[test]
    fn repeated_members_take_their_last_value_as_geth_reads_them() {
        let body = br#"{"id":-1,"jsonrpc":"2.0","id":7,"method":"a","method":"b","params":[1.50]}"#;
        assert!(may_repeat_keys(body));
        let (new, n) = rewrite_message(body, true).unwrap();
        assert_eq!(n, 0, "7 is an ordinary id");
        let new: Value = serde_json::from_slice(&new).unwrap();
        assert_eq!(new, serde_json::json!({"jsonrpc":"2.0","id":7,"method":"b","params":[1.50]}));
        // In a batch, only the calls with repeats change; an odd last id is still swapped.
        let batch = br#"[{"jsonrpc":"2.0","id":1,"method":"a"},{"jsonrpc":"2.0","id":2,"id":-3,"method":"b"}]"#;
        assert!(may_repeat_keys(batch));
        let (new, n) = rewrite_message(batch, true).unwrap();
        assert_eq!(n, 1);
        let new: Value = serde_json::from_slice(&new).unwrap();
        assert_eq!(new[0], serde_json::json!({"jsonrpc":"2.0","id":1,"method":"a"}));
        assert!(new[1]["id"].as_str().unwrap().starts_with(MARK), "{new}");
        // Ordinary calls are not flagged, nor is a key spelled inside a string.
        for plain in [
            &br#"{"jsonrpc":"2.0","id":1,"method":"a","params":["\"method\""]}"#[..],
            br#"[{"jsonrpc":"2.0","id":1,"method":"a"},{"jsonrpc":"2.0","method":"b","params":[]}]"#,
        ] {
            assert!(!may_repeat_keys(plain), "{}", String::from_utf8_lossy(plain));
        }
    }

    #[test]
    fn a_string_id_dressed_as_a_placeholder_cannot_inject_text_into_the_answer() {
        for forged in [
            r#""\u0001rollupd-id:1,\"result\":2""#,
            r#""\u0001rollupd-id:""#,
            r#""\u0001rollupd-id:{}""#,
            r#""\u0001rollupd-id:1 ""#,
            r#""\u0001rollupd-id:nul""#,
        ] {
            let answer = format!(r#"{{"jsonrpc":"2.0","id":{forged},"result":"0x1"}}"#);
            assert!(swap_back(answer.as_bytes()).is_none(), "{forged}");
        }
    }
}
