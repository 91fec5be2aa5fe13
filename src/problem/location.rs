//! Byte offsets in a source text turned into the places people read: line and column.

/// A 1-based line and column (columns count characters, not bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineCol {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

/// The line and column of byte `offset` in `text` (clamped to the end of the text, and to
/// the previous character boundary).
pub fn line_col(text: &str, offset: usize) -> LineCol {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..offset].chars().count() + 1;
    LineCol { line, column }
}

/// The full text of 1-based line `line` (without its newline), or `""` past the end.
pub fn line_text(text: &str, line: usize) -> &str {
    text.lines().nth(line.saturating_sub(1)).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_character_is_line_one_column_one() {
        assert_eq!(line_col("abc", 0), LineCol { line: 1, column: 1 });
    }

    #[test]
    fn columns_count_characters_after_the_last_newline() {
        let t = "a = 1\nbé = 2\n";
        // 'b' at byte 6, 'é' is two bytes (7, 8), ' ' at 9, '=' at byte 10.
        assert_eq!(line_col(t, 6), LineCol { line: 2, column: 1 });
        assert_eq!(line_col(t, 10), LineCol { line: 2, column: 4 });
        assert_eq!(line_text(t, 2), "bé = 2");
    }

    #[test]
    fn offsets_inside_a_character_or_past_the_end_are_clamped() {
        let t = "é";
        assert_eq!(line_col(t, 1), LineCol { line: 1, column: 1 });
        assert_eq!(line_col(t, 99), LineCol { line: 1, column: 2 });
        assert_eq!(line_text(t, 7), "");
    }
}
