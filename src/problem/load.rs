//! Reading a problem file: bytes → UTF-8 text → TOML → [`ProblemSpec`], with every
//! failure turned into an [`InputError`] that names the place.

use std::path::Path;

use super::error::InputError;
use super::spec::ProblemSpec;

/// The largest problem file read, in bytes: far beyond any hand-written problem, small
/// enough that parsing it takes no noticeable time or memory.
pub const MAX_FILE_BYTES: u64 = 1 << 20;

/// Reads and deserialises the problem file at `path`.
///
/// # Errors
/// An unreadable file, bytes that are not UTF-8 (the place of the first bad byte), an
/// empty file, TOML syntax, unknown keys and wrong types (the toml crate's message with
/// our file:line:column).
pub fn load_spec(path: &Path) -> Result<(String, ProblemSpec), InputError> {
    let cannot = |e: std::io::Error| {
        InputError::whole_file(path, format!("cannot read the problem file: {e}"))
    };
    let size = std::fs::metadata(path).map_err(cannot)?.len();
    if size > MAX_FILE_BYTES {
        return Err(InputError::whole_file(
            path,
            format!(
                "the problem file has {size} bytes, more than the {MAX_FILE_BYTES} a problem \
                 file may have (points and reference data belong in `file = ...` tables)"
            ),
        ));
    }
    let bytes = std::fs::read(path).map_err(cannot)?;
    let text = decode(path, bytes)?;
    let spec = parse_spec(path, &text)?;
    Ok((text, spec))
}

/// Deserialises problem-file `text` (already read from `path`, which is only used in
/// messages).
pub fn parse_spec(path: &Path, text: &str) -> Result<ProblemSpec, InputError> {
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(InputError::whole_file(
            path,
            format!(
                "the problem text has {} bytes, more than the {MAX_FILE_BYTES} a problem file may have",
                text.len()
            ),
        ));
    }
    if text.trim().is_empty() {
        return Err(InputError::whole_file(
            path,
            "the problem file is empty: expected at least `name`, `[domain]`, `[model]` and `[[blocks]]`",
        ));
    }
    toml::from_str::<ProblemSpec>(text).map_err(|e| {
        let message = e.message().trim().to_string();
        match e.span() {
            Some(span) => InputError::at_span(path, text, span, message),
            None => InputError::whole_file(path, message),
        }
    })
}

/// UTF-8 text of `bytes`, or an error at the first byte that is not UTF-8.
fn decode(path: &Path, bytes: Vec<u8>) -> Result<String, InputError> {
    String::from_utf8(bytes).map_err(|e| {
        let good = e.utf8_error().valid_up_to();
        let bytes = e.into_bytes();
        let prefix = String::from_utf8_lossy(&bytes[..good]).into_owned();
        // Point at the character after the valid prefix, on the line it starts.
        let mut text = prefix;
        text.push('\u{FFFD}');
        InputError::at_span(
            path,
            &text,
            good..good + 1,
            format!(
                "the file is not valid UTF-8: byte 0x{:02x} at offset {good}",
                bytes[good]
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
name = "p"
[domain]
variables = ["x"]
bounds = [[0.0, 1.0]]
[model]
layers = [1, 8, 1]
[[blocks]]
name = "interior"
kind = "pde"
equation = "u_xx + 1"
points = { count = 10 }
"#;

    #[test]
    fn a_minimal_file_parses() {
        let spec = parse_spec(Path::new("p.toml"), MINIMAL).expect("parses");
        assert_eq!(spec.name.as_ref().unwrap().get_ref(), "p");
        assert_eq!(spec.blocks.len(), 1);
        assert_eq!(
            spec.blocks[0]
                .get_ref()
                .equation
                .as_ref()
                .unwrap()
                .get_ref(),
            "u_xx + 1"
        );
    }

    #[test]
    fn an_unknown_key_is_reported_at_its_line_and_column() {
        let text = MINIMAL.replace("layers = [1, 8, 1]", "layers = [1, 8, 1]\nwidht = 3");
        let e = parse_spec(Path::new("p.toml"), &text).unwrap_err();
        let at = e.at.expect("has a place");
        assert_eq!((at.line, at.column), (8, 1), "{e}");
        assert!(e.message.contains("unknown field `widht`"), "{e}");
    }

    #[test]
    fn a_wrong_type_is_reported_at_the_value() {
        let text = MINIMAL.replace("count = 10", "count = \"lots\"");
        let e = parse_spec(Path::new("p.toml"), &text).unwrap_err();
        let at = e.at.expect("has a place");
        assert_eq!(at.line, 12, "{e}");
        assert!(e.message.contains("invalid type"), "{e}");
    }

    #[test]
    fn an_empty_file_says_what_was_expected() {
        let e = parse_spec(Path::new("p.toml"), " \n\n").unwrap_err();
        assert!(e.message.contains("empty"), "{e}");
    }

    #[test]
    fn non_utf8_bytes_are_located() {
        let mut bytes = b"name = \"p\"\nab".to_vec();
        bytes.push(0xff);
        let e = decode(Path::new("p.toml"), bytes).unwrap_err();
        let at = e.at.expect("has a place");
        assert_eq!((at.line, at.column), (2, 3), "{e}");
        assert!(e.message.contains("0xff"), "{e}");
    }
}
