//! JSON string escapes. Config strings are kept raw (see mod.rs); these
//! decode them where they leave husk, and encode text going out as JSON.

use crate::error::Result;

/// Append the decoded form of the raw JSON string content `raw` to `out`.
/// A NUL (`\u0000`) is refused: such a string cannot reach the kernel.
pub fn unescape_into(raw: &str, field: &str, out: &mut Vec<u8>) -> Result<()> {
    let b = raw.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c != b'\\' {
            out.push(c);
            i += 1;
            continue;
        }
        let e = *b
            .get(i + 1)
            .ok_or_else(|| err!("bad escape in", "{field}"))?;
        i += 2;
        let ch = match e {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = hex4(b, i).ok_or_else(|| err!("bad \\u escape in", "{field}"))?;
                i += 4;
                let code = if (0xD800..0xDC00).contains(&hi) {
                    // A surrogate pair: \uD83D\uDE00.
                    let lo = match (b.get(i), b.get(i + 1)) {
                        (Some(b'\\'), Some(b'u')) => hex4(b, i + 2),
                        _ => None,
                    }
                    .filter(|lo| (0xDC00..0xE000).contains(lo))
                    .ok_or_else(|| err!("bad surrogate pair in", "{field}"))?;
                    i += 6;
                    0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                } else {
                    hi
                };
                char::from_u32(code).ok_or_else(|| err!("bad \\u escape in", "{field}"))?
            }
            _ => bail!("bad escape in", "{field}"),
        };
        if ch == '\0' {
            bail!("NUL character in", "{field}");
        }
        let mut tmp = [0u8; 4];
        out.extend_from_slice(ch.encode_utf8(&mut tmp).as_bytes());
    }
    Ok(())
}

fn hex4(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 4)?;
    let s = core::str::from_utf8(s).ok()?;
    u32::from_str_radix(s, 16).ok()
}

/// The decoded string as an owned C string (for paths and the like).
pub fn cstring(raw: &str, field: &str) -> Result<std::ffi::CString> {
    let mut v = Vec::with_capacity(raw.len() + 1);
    unescape_into(raw, field, &mut v)?;
    // unescape_into refuses NUL; a raw NUL byte cannot occur in JSON text
    // unescaped either, but check rather than trust.
    std::ffi::CString::new(v).map_err(|_| err!("NUL character in", "{field}"))
}

/// Decoded string, as text (for messages and names).
pub fn string(raw: &str, field: &str) -> Result<String> {
    if !raw.contains('\\') {
        return Ok(raw.into());
    }
    let mut v = Vec::with_capacity(raw.len());
    unescape_into(raw, field, &mut v)?;
    String::from_utf8(v).map_err(|_| err!("invalid UTF-8 in", "{field}"))
}

/// Write `s` as the content of a JSON string (quotes not included).
pub fn escape_into(s: &str, out: &mut String) {
    use core::fmt::Write;
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescapes() {
        let mut v = Vec::new();
        unescape_into(r#"a\"b\\c\n\u00e9\ud83d\ude00"#, "f", &mut v).unwrap();
        assert_eq!(String::from_utf8(v).unwrap(), "a\"b\\c\né😀");
        assert!(cstring(r"x\u0000y", "f").is_err());
        assert!(cstring(r"x\q", "f").is_err());
        assert!(cstring(r"x\u12", "f").is_err());
    }

    #[test]
    fn escapes() {
        let mut s = String::new();
        escape_into("a\"b\\\n\u{1}", &mut s);
        assert_eq!(s, r#"a\"b\\\n\u0001"#);
    }
}
