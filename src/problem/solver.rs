//! `[solver]`: the preset and its overrides, validated when the problem file is read (by
//! `pinn check` and `pinn solve` alike), each error at the key or value at fault.
//!
//! The settings are the preset's [`SolverConfig`] with the table's other keys merged in
//! (see [`crate::presets`]). When the merged settings are refused, each override is
//! tried alone on the preset to find the one at fault: a misspelt key is reported at the
//! key, a wrong type or a value out of range at the value. A rule between several keys
//! that none breaks alone is reported at the `[solver]` table.

use std::ops::Range;
use std::path::Path;

use pinn_solvers::SolverConfig;
use toml::Spanned;
use toml::de::DeTable;

use super::error::InputError;
use crate::presets::{preset, preset_names};

/// The default preset when `[solver]` names none.
pub const DEFAULT_PRESET: &str = "lm";

/// The validated solver settings of a problem file.
#[derive(Clone, Debug)]
pub struct SolverSettings {
    /// The preset name (the command line's, when it overrides the file's).
    pub preset: String,
    /// The preset with the file's overrides.
    pub config: SolverConfig,
}

/// One override: where it is written in the file, and where it goes in the settings.
struct Leaf {
    /// The keys as written under `[solver]`, e.g. `["max_iters"]`.
    written: Vec<String>,
    /// The keys in the settings, e.g. `["termination", "max_iterations"]`.
    target: Vec<String>,
    value: toml::Value,
}

/// Validates `[solver]` (`table`, absent for none) of the file at `path` with text
/// `text`; `preset_override` (the command line's `--solver`) replaces the file's preset.
///
/// # Errors
/// An unknown preset, unknown key, wrong type or refused value, at its place.
pub fn solver_settings(
    path: &Path,
    text: &str,
    table: Option<&Spanned<toml::Table>>,
    preset_override: Option<&str>,
) -> Result<SolverSettings, InputError> {
    settings_at(path, text, table, preset_override, None)
}

/// Validates `[stages.solver]` of the `index`-th `[[stages]]` entry (0-based) exactly
/// like `[solver]`, each error at its place; without a `preset` key the table overrides
/// `default_preset` (the first stage's). `threads` is refused: all stages run on the
/// one thread pool, sized from `[solver]`.
///
/// # Errors
/// As [`solver_settings`].
pub fn stage_solver_settings(
    path: &Path,
    text: &str,
    table: &Spanned<toml::Table>,
    index: usize,
    default_preset: &str,
) -> Result<SolverSettings, InputError> {
    if table.get_ref().contains_key("threads") {
        // One thread pool runs every stage; it is sized once, from `[solver]`.
        let at = SolverSpans::new(text, Some(index))
            .key(&["threads"])
            .unwrap_or_else(|| table.span());
        return Err(InputError::at_span(
            path,
            text,
            at,
            format!(
                "`threads` cannot be set in `[stages.solver]` of stage {}: every stage \
                 runs on the same threads; set `threads` in `[solver]` or use --threads",
                index + 2
            ),
        ));
    }
    let fallback = (!table.get_ref().contains_key("preset")).then_some(default_preset);
    settings_at(path, text, Some(table), fallback, Some(index))
}

fn settings_at(
    path: &Path,
    text: &str,
    table: Option<&Spanned<toml::Table>>,
    preset_override: Option<&str>,
    stage: Option<usize>,
) -> Result<SolverSettings, InputError> {
    let empty = toml::Table::new();
    let (t, table_span) = match table {
        Some(t) => (t.get_ref(), t.span()),
        None => (&empty, 0..0),
    };
    let label = match stage {
        None => "`[solver]`".to_string(),
        Some(k) => format!("`[stages.solver]` of stage {}", k + 2),
    };
    let spans = SolverSpans::new(text, stage);
    let err = |span: Option<Range<usize>>, message: String| match span {
        Some(s) => InputError::at_span(path, text, s, message),
        None if table.is_some() => InputError::at_span(path, text, table_span.clone(), message),
        None => InputError::whole_file(path, message),
    };
    let file_preset = match t.get("preset") {
        None if table.is_some() && preset_override.is_none() => {
            return Err(err(
                None,
                format!(
                    "`[solver]` needs `preset`, a solver preset name ({})",
                    preset_names()
                ),
            ));
        }
        None => None,
        Some(toml::Value::String(s)) => Some(s.as_str()),
        Some(other) => {
            return Err(err(
                spans.value(&["preset"]),
                format!(
                    "`preset` must be a string (a solver preset name), found {}",
                    other.type_str()
                ),
            ));
        }
    };
    let name = preset_override.or(file_preset).unwrap_or(DEFAULT_PRESET);
    let Some(base) = preset(name) else {
        let message = format!(
            "unknown solver preset `{name}`: expected one of {}",
            preset_names()
        );
        return Err(match preset_override {
            Some(_) => InputError::whole_file(path, format!("--solver: {message}")),
            None => err(spans.value(&["preset"]), message),
        });
    };
    let base = toml::Table::try_from(&base).map_err(|e| {
        InputError::whole_file(path, format!("internal: cannot serialise `{name}`: {e}"))
    })?;
    let mut leaves = Vec::new();
    for (k, v) in t {
        if k == "preset" {
            continue;
        }
        let target = match k.as_str() {
            "max_iters" => vec!["termination".to_string(), "max_iterations".to_string()],
            "time_limit" => vec!["termination".to_string(), "time_limit_seconds".to_string()],
            _ => vec![k.clone()],
        };
        collect_leaves(&base, vec![k.clone()], target, v, &mut leaves);
    }
    let message = match settings(apply(&base, &leaves)) {
        Ok(config) => {
            return Ok(SolverSettings {
                preset: name.to_string(),
                config,
            });
        }
        Err(m) => m,
    };
    for leaf in &leaves {
        if let Err(m) = settings(apply(&base, std::slice::from_ref(leaf))) {
            let keys: Vec<&str> = leaf.written.iter().map(String::as_str).collect();
            let span = if m.contains("unknown field") {
                spans.key(&keys)
            } else {
                spans.value(&keys)
            };
            let shown = leaf.written.join(".");
            let message = if leaf.written == leaf.target {
                format!("in {label}, `{shown}`: {m}")
            } else {
                format!("in {label}, `{shown}` (= `{}`): {m}", leaf.target.join("."))
            };
            return Err(err(span, message));
        }
    }
    Err(err(None, format!("in {label}: {message}")))
}

/// Splits an override into leaves: a table goes key by key where the preset has a
/// table too; anything else replaces the preset's value whole.
fn collect_leaves(
    base: &toml::Table,
    written: Vec<String>,
    target: Vec<String>,
    value: &toml::Value,
    out: &mut Vec<Leaf>,
) {
    let base_is_table = lookup(base, &target).is_some_and(toml::Value::is_table);
    match value {
        toml::Value::Table(t) if base_is_table => {
            for (k, v) in t {
                let mut w = written.clone();
                w.push(k.clone());
                let mut g = target.clone();
                g.push(k.clone());
                collect_leaves(base, w, g, v, out);
            }
        }
        v => out.push(Leaf {
            written,
            target,
            value: v.clone(),
        }),
    }
}

fn lookup<'t>(t: &'t toml::Table, keys: &[String]) -> Option<&'t toml::Value> {
    let (first, rest) = keys.split_first()?;
    let v = t.get(first)?;
    if rest.is_empty() {
        Some(v)
    } else {
        lookup(v.as_table()?, rest)
    }
}

/// `base` with `leaves` written in.
fn apply(base: &toml::Table, leaves: &[Leaf]) -> toml::Table {
    let mut t = base.clone();
    for leaf in leaves {
        let mut at = &mut t;
        let (last, path) = leaf.target.split_last().expect("a key");
        for k in path {
            let entry = at
                .entry(k.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if !entry.is_table() {
                *entry = toml::Value::Table(toml::Table::new());
            }
            at = entry.as_table_mut().expect("made a table");
        }
        at.insert(last.clone(), leaf.value.clone());
    }
    t
}

/// The settings of a merged table, validated.
fn settings(t: toml::Table) -> Result<SolverConfig, String> {
    let config: SolverConfig = toml::Value::Table(t)
        .try_into()
        .map_err(|e: toml::de::Error| e.message().trim().to_string())?;
    config.validate().map_err(|e| e.to_string())?;
    Ok(config)
}

/// The places of the keys and values under `[solver]`, from a second, span-keeping
/// parse of the text.
struct SolverSpans<'i> {
    doc: Option<Spanned<DeTable<'i>>>,
    /// `Some(k)`: the `solver` table of the `k`-th `[[stages]]` entry.
    stage: Option<usize>,
}

impl<'i> SolverSpans<'i> {
    fn new(text: &'i str, stage: Option<usize>) -> Self {
        SolverSpans {
            doc: DeTable::parse(text).ok(),
            stage,
        }
    }

    /// The key and value spans of `solver.<keys>` (in the stage's table, for a stage).
    fn find(&self, keys: &[&str]) -> Option<(Range<usize>, Range<usize>)> {
        let mut table: &DeTable<'i> = self.doc.as_ref()?.get_ref();
        if let Some(k) = self.stage {
            let (_, stages) = table.iter().find(|(key, _)| &**key.get_ref() == "stages")?;
            table = stages.get_ref().as_array()?.get(k)?.get_ref().as_table()?;
        }
        let path: Vec<&str> = std::iter::once("solver")
            .chain(keys.iter().copied())
            .collect();
        let mut last = None;
        for (i, k) in path.iter().enumerate() {
            let (key, value) = table.iter().find(|(key, _)| &**key.get_ref() == *k)?;
            if i + 1 < path.len() {
                table = value.get_ref().as_table()?;
            }
            last = Some((key.span(), value.span()));
        }
        last
    }

    fn key(&self, keys: &[&str]) -> Option<Range<usize>> {
        self.find(keys).map(|(k, _)| k)
    }

    fn value(&self, keys: &[&str]) -> Option<Range<usize>> {
        self.find(keys).map(|(_, v)| v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(solver: &str, cli: Option<&str>) -> Result<SolverSettings, InputError> {
        let text = format!("name = \"p\"\n{solver}");
        let spec: crate::problem::spec::ProblemSpec = match toml::from_str(&format!(
            "{text}\n[domain]\nvariables=[\"x\"]\nbounds=[[0.0,1.0]]\n[model]\nlayers=[1,1]\n"
        )) {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        };
        let full = format!(
            "{text}\n[domain]\nvariables=[\"x\"]\nbounds=[[0.0,1.0]]\n[model]\nlayers=[1,1]\n"
        );
        solver_settings(Path::new("p.toml"), &full, spec.solver.as_ref(), cli)
    }

    fn at(e: &InputError) -> (usize, usize) {
        let a = e.at.expect("located");
        (a.line, a.column)
    }

    #[test]
    fn no_table_is_the_default_preset_and_the_command_line_wins() {
        assert_eq!(check("", None).unwrap().preset, "lm");
        let s = check("[solver]\npreset = \"engd\"\nmax_iters = 7", Some("lbfgs")).unwrap();
        assert_eq!(s.preset, "lbfgs");
        assert_eq!(s.config.termination.max_iterations, 7);
    }

    #[test]
    fn an_unknown_preset_is_at_its_value() {
        let e = check("[solver]\npreset = \"newton\"", None).unwrap_err();
        assert_eq!(at(&e), (3, 10), "{e}");
        assert!(e.message.contains("unknown solver preset `newton`"), "{e}");
        let e = check("", Some("newton")).unwrap_err();
        assert!(e.message.starts_with("--solver: unknown"), "{e}");
    }

    #[test]
    fn an_unknown_key_is_at_the_key_even_in_a_subtable() {
        let e = check("[solver]\npreset = \"lm\"\nthreds = 2", None).unwrap_err();
        assert_eq!(at(&e), (4, 1), "{e}");
        assert!(e.message.contains("`threds`"), "{e}");
        let e = check(
            "[solver]\npreset = \"lm\"\n[solver.termination]\nmax_iteration = 3",
            None,
        )
        .unwrap_err();
        assert_eq!(at(&e), (5, 1), "{e}");
        assert!(e.message.contains("termination.max_iteration"), "{e}");
    }

    #[test]
    fn bad_budgets_are_at_their_values() {
        for (v, what) in [
            ("-5", "invalid value"),
            ("2.5", "invalid type"),
            ("0", "max_iterations"),
        ] {
            let e =
                check(&format!("[solver]\npreset = \"lm\"\nmax_iters = {v}"), None).unwrap_err();
            assert_eq!(at(&e), (4, 13), "{e}");
            assert!(e.message.contains(what), "{e}");
            assert!(e.message.contains("`max_iters`"), "{e}");
        }
        for v in ["nan", "-1.0", "inf"] {
            let e = check(
                &format!("[solver]\npreset = \"lm\"\ntime_limit = {v}"),
                None,
            )
            .unwrap_err();
            assert_eq!(at(&e), (4, 14), "{e}");
            assert!(e.message.contains("time_limit_seconds"), "{e}");
        }
    }

    #[test]
    fn a_sketch_table_configures_gn_probe_and_bad_sizes_are_located() {
        let s = check("[solver]\npreset = \"gn-probe-sketch\"", None).unwrap();
        assert_eq!(
            s.config.probe.sketch,
            Some(pinn_solvers::linalg::SketchParams::default())
        );
        let s = check(
            "[solver]\npreset = \"gn-probe\"\n[solver.probe.sketch]\nrows = 800\ncols = 300",
            None,
        )
        .unwrap();
        let sketch = s.config.probe.sketch.expect("sketch set");
        assert_eq!((sketch.rows, sketch.cols, sketch.hashes), (800, 300, 4));
        assert_eq!(
            check("[solver]\npreset = \"gn-probe\"", None)
                .unwrap()
                .config
                .probe
                .sketch,
            None
        );
        let e = check(
            "[solver]\npreset = \"gn-probe\"\n[solver.probe.sketch]\nhashes = 0",
            None,
        )
        .unwrap_err();
        assert_eq!(at(&e), (4, 1), "{e}");
        assert!(e.message.contains("probe.sketch.hashes"), "{e}");
        let e = check(
            "[solver]\npreset = \"gn-probe\"\n[solver.probe.sketch]\nrow = 10",
            None,
        )
        .unwrap_err();
        // An unknown key of this optional table is reported at the table's name.
        assert_eq!(at(&e), (4, 15), "{e}");
        assert!(e.message.contains("unknown field `row`"), "{e}");
    }

    #[test]
    fn a_table_without_preset_or_with_a_number_is_refused() {
        let e = check("[solver]\nmax_iters = 5", None).unwrap_err();
        assert!(e.message.contains("needs `preset`"), "{e}");
        let e = check("[solver]\npreset = 3", None).unwrap_err();
        assert_eq!(at(&e), (3, 10), "{e}");
        // The command line's preset stands in for a missing one.
        assert!(check("[solver]\nmax_iters = 5", Some("adam")).is_ok());
    }
}
