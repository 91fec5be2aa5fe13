//! The problem's `name`: it becomes the default result path (`<name>.h5`), so it must be
//! a plain file name, and it must be the problem file's own name, so that the result of
//! `problems/heat1d.toml` is `heat1d.h5` and never lands anywhere else.
//!
//! `name` may be left out: it is then the file's stem. Problem text stored in a result
//! file has no file of its own, so when it is read back only the form of the name is
//! checked.

use std::path::Path;

use toml::Spanned;

use super::error::InputError;

/// Whether the name is compared with the file's stem.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameRule {
    /// A problem file: `name`, when given, must be the file's stem.
    MatchFile,
    /// Problem text stored in a result file: only the form is checked.
    Embedded,
}

/// Why `name` is not a plain file name, if it is not.
fn malformed(name: &str) -> Option<&'static str> {
    if name.trim().is_empty() {
        Some("must not be empty")
    } else if name == "." || name == ".." {
        Some("must not be `.` or `..`")
    } else if name.contains(['/', '\\']) {
        Some("must not contain a path separator (`/` or `\\`)")
    } else if name.chars().any(char::is_control) {
        Some("must not contain control characters")
    } else if name.len() > 200 {
        Some("must be at most 200 bytes long")
    } else {
        None
    }
}

/// The problem name of the file at `path` with text `text`: `name` checked, or the
/// file's stem when `name` is absent.
///
/// # Errors
/// A name that is no plain file name, or that differs from the file's stem.
pub fn problem_name(
    path: &Path,
    text: &str,
    name: Option<&Spanned<String>>,
    rule: NameRule,
) -> Result<String, InputError> {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
    let Some(name) = name else {
        return match stem.as_deref().map(|s| (s, malformed(s))) {
            Some((s, None)) => Ok(s.to_string()),
            Some((s, Some(why))) => Err(InputError::whole_file(
                path,
                format!("the file name `{s}` cannot be the problem name: it {why}; set `name`"),
            )),
            None => Err(InputError::whole_file(
                path,
                "the problem has no `name` and its path has no file name",
            )),
        };
    };
    let n = name.get_ref();
    if let Some(why) = malformed(n) {
        let shown: String = n.chars().take(60).collect();
        return Err(InputError::at_span(
            path,
            text,
            name.span(),
            format!("`name` {why}, found `{shown}` (it names the result file `<name>.h5`)"),
        ));
    }
    if rule == NameRule::MatchFile
        && let Some(stem) = stem
        && *n != stem
    {
        return Err(InputError::at_span(
            path,
            text,
            name.span(),
            format!(
                "`name` is `{n}` but the file is `{stem}.toml`: the name must be the file's \
                 name without `.toml` (or leave `name` out)"
            ),
        ));
    }
    Ok(n.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(text: &str, file: &str, rule: NameRule) -> Result<String, InputError> {
        #[derive(serde::Deserialize)]
        struct N {
            name: Option<Spanned<String>>,
        }
        let n: N = toml::from_str(text).unwrap();
        problem_name(Path::new(file), text, n.name.as_ref(), rule)
    }

    #[test]
    fn an_absent_name_is_the_file_stem() {
        assert_eq!(
            named("", "problems/heat1d.toml", NameRule::MatchFile).unwrap(),
            "heat1d"
        );
        assert_eq!(
            named("name = \"heat1d\"", "a/heat1d.toml", NameRule::MatchFile).unwrap(),
            "heat1d"
        );
    }

    #[test]
    fn a_name_other_than_the_file_is_refused_at_the_name() {
        let e = named("name = \"heat\"", "heat1d.toml", NameRule::MatchFile).unwrap_err();
        assert_eq!(e.at.unwrap().column, 8, "{e}");
        assert!(e.message.contains("`heat1d.toml`"), "{e}");
        // Stored problem text has no file to match.
        assert_eq!(
            named("name = \"heat\"", "r.h5/config/problem", NameRule::Embedded).unwrap(),
            "heat"
        );
    }

    #[test]
    fn paths_and_dots_are_refused_even_in_stored_text() {
        for (bad, why) in [
            ("../../x", "path separator"),
            ("a\\\\b", "path separator"),
            ("..", "`.` or `..`"),
            (".", "`.` or `..`"),
            ("  ", "empty"),
            ("a\\tb", "control"),
        ] {
            let e = named(&format!("name = \"{bad}\""), "x.toml", NameRule::Embedded).unwrap_err();
            assert!(e.message.contains(why), "{bad}: {e}");
            assert!(e.at.is_some());
        }
    }
}
