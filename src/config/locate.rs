//! Where in config.json a parse error is: serde-json-core reports what went
//! wrong but not where. On the error path only, husk finds the offset by
//! parsing prefixes (a prefix that stops before the bad token ends in an
//! end-of-input error instead) and then names the field at that offset
//! (`linux.netDevices.eth0.name`) with its line and column.

use super::Spec;
use core::fmt::Write;

/// "at FIELD (line L, column C)" for the error `e` that parsing `buf` gave.
pub fn describe(buf: &[u8], e: &serde_json_core::de::Error) -> String {
    let Some(off) = error_offset(buf, e) else {
        return String::new();
    };
    let (line, col) = line_col(buf, off);
    let path = path_at(buf, off);
    let mut s = String::new();
    if path.is_empty() {
        let _ = write!(s, " (line {line}, column {col})");
    } else {
        let _ = write!(s, " at {path} (line {line}, column {col})");
    }
    s
}

fn is_eof(e: &serde_json_core::de::Error) -> bool {
    use serde_json_core::de::Error as E;
    matches!(
        e,
        E::EofWhileParsingList
            | E::EofWhileParsingObject
            | E::EofWhileParsingString
            | E::EofWhileParsingNumber
            | E::EofWhileParsingValue
    )
}

/// Smallest prefix length whose parse fails the same way as the whole file.
fn error_offset(buf: &[u8], e: &serde_json_core::de::Error) -> Option<usize> {
    if is_eof(e) {
        return Some(buf.len());
    }
    let same = |k: usize| match serde_json_core::from_slice::<Spec<'_>>(&buf[..k]) {
        Err(x) => core::mem::discriminant(&x) == core::mem::discriminant(e),
        Ok(_) => false,
    };
    let (mut lo, mut hi) = (0, buf.len());
    if !same(hi) {
        return None;
    }
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if same(mid) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    Some(hi)
}

fn line_col(buf: &[u8], off: usize) -> (usize, usize) {
    let before = &buf[..off.min(buf.len())];
    let line = before.iter().filter(|&&c| c == b'\n').count() + 1;
    let col = before.iter().rev().take_while(|&&c| c != b'\n').count() + 1;
    (line, col)
}

enum Frame {
    Object(String),
    Array(usize),
}

/// The field path (keys and indexes) of the value being read at `off`.
fn path_at(buf: &[u8], off: usize) -> String {
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    let end = off.min(buf.len());
    let mut expect_key = false;
    while i < end {
        match buf[i] {
            b'{' => {
                stack.push(Frame::Object(String::new()));
                expect_key = true;
            }
            b'[' => stack.push(Frame::Array(0)),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Array(n)) => *n += 1,
                Some(Frame::Object(_)) => expect_key = true,
                None => {}
            },
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < buf.len() && buf[i] != b'"' {
                    if buf[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                if expect_key {
                    if let Some(Frame::Object(k)) = stack.last_mut() {
                        *k = String::from_utf8_lossy(&buf[start..i.min(buf.len())]).into_owned();
                    }
                    expect_key = false;
                }
            }
            _ => {}
        }
        i += 1;
    }
    let mut s = String::new();
    for f in &stack {
        match f {
            Frame::Object(k) if !k.is_empty() => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Frame::Array(n) => {
                let _ = write!(s, "[{n}]");
            }
            _ => {}
        }
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_the_field() {
        let text = br#"{"ociVersion": "1.0.0", "root": {"path": "rootfs"},
  "linux": {"netDevices": {"eth0": {"name": 23}}}}"#;
        let e = crate::config::load::parse(text).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("linux.netDevices.eth0.name"), "{msg}");
        assert!(msg.contains("line 2"), "{msg}");
    }

    #[test]
    fn names_array_items() {
        let text = br#"{"ociVersion": "1.0.0", "process": {"args": ["a", 5], "cwd": "/"}}"#;
        let msg = crate::config::load::parse(text).unwrap_err().to_string();
        assert!(msg.contains("process.args[1]"), "{msg}");
    }

    #[test]
    fn names_a_missing_field() {
        let text = br#"{"ociVersion": "1.0.0", "linux": {"uidMappings": [{"containerID": 0, "size": 1}]}}"#;
        let msg = crate::config::load::parse(text).unwrap_err().to_string();
        assert!(msg.contains("missing field `hostID`"), "{msg}");
        assert!(msg.contains("linux.uidMappings"), "{msg}");
    }
}
