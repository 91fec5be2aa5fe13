//! The convergence plots of a study: the error of every completed run against its
//! parameter count, its collocation point count and its wall time, on log–log axes,
//! one series (colour and legend entry) per solver preset, so that how the error falls
//! with the network, the points and the cost reads off one picture per axis.

use std::path::{Path, PathBuf};

use plotters::prelude::*;

use super::PlotError;

/// Size in pixels of each study plot.
pub const STUDY_SIZE: (u32, u32) = (900, 650);

/// One completed run as the plots see it.
#[derive(Debug, Clone)]
pub struct StudyPoint {
    /// The solver preset (the series).
    pub solver: String,
    /// The number of network parameters.
    pub n_params: usize,
    /// The number of collocation points.
    pub n_points: usize,
    /// The wall time of the solve, in seconds.
    pub wall_time_s: f64,
    /// The measured error (rel L2), or the final loss when the problem has no exact
    /// solution.
    pub value: f64,
}

/// Draws `study_error_vs_params.png`, `study_error_vs_points.png` and
/// `study_error_vs_time.png` into `dir` and returns their paths. `what` names the
/// plotted value (`rel L2 error` or `final loss`).
///
/// # Errors
/// [`PlotError::EmptyHistory`] when no run has a positive finite value to show, or the
/// font or a file fails.
pub fn draw_study(
    dir: &Path,
    what: &str,
    points: &[StudyPoint],
) -> Result<Vec<PathBuf>, PlotError> {
    super::register_font()?;
    let shown: Vec<&StudyPoint> = points
        .iter()
        .filter(|p| p.value.is_finite() && p.value > 0.0)
        .collect();
    if shown.is_empty() {
        return Err(PlotError::EmptyHistory);
    }
    let axes: [Axis; 3] = [
        ("params", "network parameters", |p| p.n_params as f64),
        ("points", "collocation points", |p| p.n_points as f64),
        ("time", "wall-clock time (s)", |p| p.wall_time_s.max(1e-3)),
    ];
    let mut out = Vec::new();
    for (tag, x_desc, x) in axes {
        let path = dir.join(format!("study_error_vs_{tag}.png"));
        super::write_png_atomic(&path, |tmp| draw_into(tmp, what, x_desc, x, &shown))?;
        out.push(path);
    }
    Ok(out)
}

/// A plot's file tag, axis title and abscissa.
type Axis = (&'static str, &'static str, fn(&StudyPoint) -> f64);

/// A log range around `lo..hi` with a factor 1.5 of head room, widened about its
/// geometric centre to at least a decade so that the axis shows a labelled power of 10.
fn padded(lo: f64, hi: f64) -> (f64, f64) {
    let (lo, hi) = (lo / 1.5, hi * 1.5);
    let widen = (10.0 / (hi / lo)).max(1.0).sqrt();
    (lo / widen, hi * widen)
}

/// A tick label: whole numbers from 1 on, three significant digits below.
fn label(v: f64) -> String {
    if v >= 1.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.3}")
    }
}

fn draw_into(
    path: &Path,
    what: &str,
    x_desc: &str,
    x: fn(&StudyPoint) -> f64,
    points: &[&StudyPoint],
) -> Result<(), PlotError> {
    let root = BitMapBackend::new(path, STUDY_SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let fold = |f: &dyn Fn(&StudyPoint) -> f64| {
        points.iter().fold((f64::INFINITY, 0.0_f64), |(a, b), p| {
            (a.min(f(p)), b.max(f(p)))
        })
    };
    let (x0, x1) = fold(&|p| x(p));
    let (y0, y1) = fold(&|p| p.value);
    let (x0, x1) = padded(x0, x1);
    let (y0, y1) = padded(y0, y1);
    let mut chart = ChartBuilder::on(&root)
        .caption(format!("{what} against {x_desc}"), ("sans-serif", 22))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(80)
        .build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale())?;
    chart
        .configure_mesh()
        .label_style(("sans-serif", 15))
        .axis_desc_style(("sans-serif", 17))
        .x_desc(x_desc)
        .y_desc(what)
        .x_labels(12)
        .x_label_formatter(&|v| label(*v))
        .y_label_formatter(&|v| format!("{v:.0e}"))
        .draw()?;
    let mut solvers: Vec<&str> = points.iter().map(|p| p.solver.as_str()).collect();
    solvers.dedup();
    solvers.sort_unstable();
    solvers.dedup();
    for (k, solver) in solvers.iter().enumerate() {
        let colour = Palette99::pick(k).to_rgba();
        let mut series: Vec<(f64, f64)> = points
            .iter()
            .filter(|p| p.solver == *solver)
            .map(|p| (x(p), p.value))
            .collect();
        series.sort_by(|a, b| a.0.total_cmp(&b.0));
        chart
            .draw_series(series.iter().map(|&p| Circle::new(p, 5, colour.filled())))?
            .label(*solver)
            .legend(move |(x, y)| Circle::new((x + 10, y), 5, colour.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .label_font(("sans-serif", 16))
        .draw()?;
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(solver: &str, n: usize, value: f64) -> StudyPoint {
        StudyPoint {
            solver: solver.into(),
            n_params: n,
            n_points: 10 * n,
            wall_time_s: n as f64 / 100.0,
            value,
        }
    }

    #[test]
    fn ranges_span_at_least_a_decade_and_hold_the_data() {
        for (lo, hi) in [(3.0, 3.0), (22.0, 49.0), (1e-13, 1e-1)] {
            let (a, b) = padded(lo, hi);
            assert!(a < lo && b > hi && b / a >= 10.0 * (1.0 - 1e-12), "{a} {b}");
        }
        assert_eq!(label(129.0), "129");
        assert_eq!(label(0.0123), "0.012");
    }

    #[test]
    fn three_plots_are_written_and_empty_studies_refused() {
        let dir = std::env::temp_dir().join(format!("pinn-study-plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pts = [
            point("lm", 10, 1e-3),
            point("lm", 40, 1e-5),
            point("adam", 10, 1e-2),
        ];
        let paths = draw_study(&dir, "rel L2 error", &pts).expect("draws");
        assert_eq!(paths.len(), 3);
        for p in &paths {
            let bytes = std::fs::read(p).unwrap();
            assert!(bytes.starts_with(b"\x89PNG"), "{}", p.display());
        }
        let e = draw_study(&dir, "rel L2 error", &[point("lm", 10, f64::NAN)]);
        assert!(matches!(e, Err(PlotError::EmptyHistory)));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
