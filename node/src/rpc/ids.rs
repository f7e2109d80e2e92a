//! Request ids of any JSON type, echoed as geth echoes them.
//!
//! jsonrpsee's ids are strings, unsigned 64-bit numbers or null; a request with `-1`, `1.5`,
//! `1e3` or `true` as its id got an error with id null. geth answers any id that is not an object
//! or an array. Such rare ids are swapped for placeholder strings before jsonrpsee reads the body
//! and put back in its answer. A byte scan finds them, so ordinary requests are not parsed twice.

use serde_json::Value;

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

/// Whether jsonrpsee takes `id` as it is.
fn standard(id: &Value) -> bool {
    match id {
        Value::Null | Value::String(_) => true,
        Value::Number(n) => n.is_u64(),
        _ => false,
    }
}

/// The ids swapped out of a request, by placeholder index.
#[derive(Debug, Default)]
pub(super) struct Swapped(Vec<Value>);

impl Swapped {
    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// `body` with each non-standard id (of a call object, alone or in a batch) replaced by a
/// placeholder. Objects and arrays as ids are left for jsonrpsee to refuse, as geth refuses
/// them. A body that is not JSON is returned as it is.
pub(super) fn swap_out(body: &[u8]) -> (Option<Vec<u8>>, Swapped) {
    let Ok(mut v) = serde_json::from_slice::<Value>(body) else {
        return (None, Swapped::default());
    };
    let mut swapped = Swapped::default();
    let mut swap = |call: &mut Value| {
        if let Some(id) = call.as_object_mut().and_then(|o| o.get_mut("id")) {
            if !standard(id) && !id.is_object() && !id.is_array() {
                let mark = Value::String(format!("{MARK}{}", swapped.0.len()));
                swapped.0.push(std::mem::replace(id, mark));
            }
        }
    };
    match &mut v {
        Value::Array(calls) => calls.iter_mut().for_each(&mut swap),
        call => swap(call),
    }
    if swapped.is_empty() {
        return (None, swapped);
    }
    (serde_json::to_vec(&v).ok(), swapped)
}

/// jsonrpsee's answer with the original ids back in place of the placeholders.
pub(super) fn swap_back(answer: &[u8], swapped: &Swapped) -> Option<Vec<u8>> {
    let mut v = serde_json::from_slice::<Value>(answer).ok()?;
    let back = |resp: &mut Value| {
        if let Some(id) = resp.as_object_mut().and_then(|o| o.get_mut("id")) {
            let index = id.as_str().and_then(|s| s.strip_prefix(MARK)?.parse::<usize>().ok());
            if let Some(original) = index.and_then(|i| swapped.0.get(i)) {
                *id = original.clone();
            }
        }
    };
    match &mut v {
        Value::Array(resps) => resps.iter_mut().for_each(back),
        resp => back(resp),
    }
    serde_json::to_vec(&v).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
