//! PNG plots of a run's result, written next to the result file: per output the
//! network solution, the exact solution and the error `u − u*` (heat maps of 2-D
//! fields, a slice through the centre of the box in the first two variables for
//! `d > 2`, line plots for `d = 1`), and the convergence history; and the error
//! against cost plots of a `pinn study`.
//!
//! Rendering uses plotters' pure-Rust bitmap backend; text is drawn by ab_glyph from
//! an embedded DejaVu Sans (assets/DejaVuSans.ttf, Bitstream Vera licence in
//! assets/DejaVuSans.LICENSE), so no fontconfig/freetype system library is needed.

pub mod field;
pub mod history;
pub mod sample;
pub mod study;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::style::FontStyle;

use crate::output::RunResult;
use sample::{Layout, Samples};

pub use field::FIELD_SIZE;
pub use history::HISTORY_SIZE;

/// Why the plots could not be drawn.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlotError {
    /// The embedded font could not be parsed (a corrupt build).
    #[error("the embedded font cannot be loaded")]
    Font,
    /// plotters failed to draw or to write the PNG.
    #[error("drawing failed: {0}")]
    Draw(String),
    /// A field has no finite value (a diverged network), so it has no colour range.
    #[error("{0}: no finite value to plot")]
    NoFiniteValue(String),
    /// A slice that cannot be taken (see [`sample::sample_slice`]).
    #[error("{0}")]
    Slice(String),
    /// The history has no positive finite loss or error to show on a log axis.
    #[error("the history has no positive finite loss or error to plot")]
    EmptyHistory,
}

/// Writes a PNG atomically: `draw` renders into a temporary file beside `path` (same
/// directory, `.png` extension so the encoder knows the format), which is then renamed
/// over `path`; a reader never sees a half-written plot, and a failed drawing leaves the
/// old plot (if any) in place and no temporary file behind.
pub(crate) fn write_png_atomic(
    path: &Path,
    draw: impl FnOnce(&Path) -> Result<(), PlotError>,
) -> Result<(), PlotError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.partial-{}.png", std::process::id()));
    let result = draw(&tmp).and_then(|()| {
        std::fs::rename(&tmp, path).map_err(|e| PlotError::Draw(format!("{}: {e}", path.display())))
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

impl<E: std::error::Error + Send + Sync> From<plotters::drawing::DrawingAreaErrorKind<E>>
    for PlotError
{
    fn from(e: plotters::drawing::DrawingAreaErrorKind<E>) -> Self {
        PlotError::Draw(e.to_string())
    }
}

static FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

/// Registers the embedded font as plotters' "sans-serif" family, once per process.
fn register_font() -> Result<(), PlotError> {
    static DONE: OnceLock<bool> = OnceLock::new();
    let ok = *DONE.get_or_init(|| {
        plotters::style::register_font("sans-serif", FontStyle::Normal, FONT).is_ok()
    });
    ok.then_some(()).ok_or(PlotError::Font)
}

/// `dir/<stem>_<suffix>.png`, where `stem` is the result file's name without extension.
fn sibling(result_path: &Path, suffix: &str) -> PathBuf {
    let stem = result_path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "result".into());
    result_path.with_file_name(format!("{stem}_{suffix}.png"))
}

/// Where the plotted field lives, for the titles: a slice, the stored points (projected
/// onto the first two variables when `d > 2`), or nothing.
fn where_note(layout: &Layout, d: usize) -> String {
    match layout {
        Layout::Map {
            scattered: true, ..
        } if d > 2 => " (stored points, projected)".into(),
        Layout::Map {
            scattered: true, ..
        } => " (stored points)".into(),
        Layout::Map { slice, .. } if !slice.is_empty() => {
            let s: Vec<String> = slice.iter().map(|(n, v)| format!("{n} = {v:.3}")).collect();
            format!(" (slice {})", s.join(", "))
        }
        _ => String::new(),
    }
}

/// Writes the plots of `result` next to `result_path` and returns their paths:
/// `<stem>_<output>_solution.png`, and with an exact solution `<stem>_<output>_exact.png`
/// and `<stem>_<output>_error.png`, for every output; then `<stem>_history.png` when the
/// history has a loss to show.
///
/// Fields are sampled on a regular grid when the problem in `/config/problem` can be
/// rebuilt (see [`sample`] for why), on the stored evaluation points otherwise.
///
/// # Errors
/// The embedded font does not load, a field has no finite value, or a file cannot
/// be written.
pub fn plot_result(result_path: &Path, result: &RunResult) -> Result<Vec<PathBuf>, PlotError> {
    plot_samples(result_path, result, sample::sample(result), "")
}

/// [`plot_result`] with the fields on the slice `variable = value` of the domain (see
/// [`sample::sample_slice`]); the file names gain `_<variable>=<value>` after the
/// output name so that slices do not replace the full plots.
///
/// # Errors
/// As [`plot_result`], and [`PlotError::Slice`] for a slice that cannot be taken.
pub fn plot_result_slice(
    result_path: &Path,
    result: &RunResult,
    variable: &str,
    value: f64,
) -> Result<Vec<PathBuf>, PlotError> {
    let samples = sample::sample_slice(result, variable, value).map_err(PlotError::Slice)?;
    plot_samples(
        result_path,
        result,
        samples,
        &format!("_{variable}={value}"),
    )
}

/// Draws `samples`; `tag` goes into every field plot's file name after the output name,
/// `note` into its title (both empty for the full plots).
fn plot_samples(
    result_path: &Path,
    result: &RunResult,
    samples: Samples,
    tag: &str,
) -> Result<Vec<PathBuf>, PlotError> {
    register_font()?;
    let Samples {
        layout,
        points,
        u,
        u_exact,
        outputs,
    } = samples;
    let mut note = where_note(&layout, result.evaluation.points.ncols());
    if let Layout::Line { axis, .. } = &layout
        && points.ncols() > 1
        && points.nrows() > 0
    {
        let fixed: Vec<String> = (0..points.ncols())
            .filter(|j| j != axis)
            .map(|j| format!("{} = {}", result.evaluation.variables[j], points[(0, j)]))
            .collect();
        note = format!(" (slice {})", fixed.join(", "));
    }
    let mut written = Vec::new();
    for (k, name) in outputs.iter().enumerate() {
        let col = |m: &faer::Mat<f64>| (0..m.nrows()).map(|i| m[(i, k)]).collect::<Vec<f64>>();
        let uk = col(&u);
        let path = sibling(result_path, &format!("{name}{tag}_solution"));
        // A line plot overlays the exact solution on the network's.
        match (&layout, &u_exact) {
            (Layout::Line { .. }, Some(ex)) => field::draw_field_against(
                &path,
                &format!("{name}: network and exact{note}"),
                &layout,
                points.as_ref(),
                &uk,
                &col(ex),
            )?,
            _ => field::draw_field(
                &path,
                &format!("{name}: network{note}"),
                &layout,
                points.as_ref(),
                &uk,
            )?,
        }
        written.push(path);
        if let Some(ex) = &u_exact {
            let ek = col(ex);
            let path = sibling(result_path, &format!("{name}{tag}_exact"));
            field::draw_field(
                &path,
                &format!("{name}: exact{note}"),
                &layout,
                points.as_ref(),
                &ek,
            )?;
            written.push(path);
            let err: Vec<f64> = uk.iter().zip(&ek).map(|(a, b)| a - b).collect();
            let path = sibling(result_path, &format!("{name}{tag}_error"));
            field::draw_field_with(
                &path,
                &format!("{name}: error {name} − exact{note}"),
                &layout,
                points.as_ref(),
                &err,
                field::Colours::Diverging,
            )?;
            written.push(path);
        }
    }
    let path = sibling(result_path, "history");
    match history::draw_history(
        &path,
        &format!("{}: convergence", result.problem_name),
        &result.history,
    ) {
        Ok(()) => written.push(path),
        // A run stopped before its first iteration has nothing to plot; not an error.
        Err(PlotError::EmptyHistory) => {}
        Err(e) => return Err(e),
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plot_files_sit_next_to_the_result_with_its_stem() {
        assert_eq!(
            sibling(Path::new("/a/b/run.h5"), "u_error"),
            PathBuf::from("/a/b/run_u_error.png")
        );
        assert_eq!(
            sibling(Path::new("run.v2.h5"), "history"),
            PathBuf::from("run.v2_history.png")
        );
    }

    #[test]
    fn embedded_font_registers() {
        assert_eq!(register_font(), Ok(()));
        assert_eq!(register_font(), Ok(()));
    }

    /// A drawing that fails leaves the previous plot and no temporary file; one that
    /// succeeds replaces the plot, again leaving no temporary file.
    #[test]
    fn plots_are_replaced_atomically() {
        let dir = std::env::temp_dir().join(format!("pinn-plot-atomic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("run_u_solution.png");
        std::fs::write(&path, b"old").unwrap();
        let failed = write_png_atomic(&path, |tmp| {
            std::fs::write(tmp, b"half").unwrap();
            Err(PlotError::EmptyHistory)
        });
        assert_eq!(failed, Err(PlotError::EmptyHistory));
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        let files = || std::fs::read_dir(&dir).unwrap().count();
        assert_eq!(files(), 1, "a temporary file was left behind");
        write_png_atomic(&path, |tmp| {
            assert_eq!(tmp.extension().unwrap(), "png");
            assert_eq!(tmp.parent(), path.parent());
            std::fs::write(tmp, b"new").map_err(|e| PlotError::Draw(e.to_string()))
        })
        .unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(files(), 1);
        std::fs::remove_dir_all(&dir).ok();
    }
}
