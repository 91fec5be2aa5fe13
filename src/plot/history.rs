//! The convergence history: loss and relative L2 error on a log scale, against
//! iteration (left panel) and against wall-clock time (right panel), since methods
//! whose iterations differ in cost a hundredfold are compared by time.

use std::path::Path;

use plotters::prelude::*;

use super::PlotError;
use crate::output::History;

/// Size in pixels of the history plot.
pub const HISTORY_SIZE: (u32, u32) = (1500, 600);

/// The `(iteration, value)` pairs of `column` that a log axis can show (finite and
/// positive); rel L2 is NaN on the iterations where it was not measured.
pub fn log_series(history: &History, column: &str) -> Vec<(f64, f64)> {
    log_series_against(history, "iteration", column)
}

/// [`log_series`] against the column `x` (e.g. `wall_time_s`) instead of the iteration.
pub fn log_series_against(history: &History, x: &str, column: &str) -> Vec<(f64, f64)> {
    let (Some(it), Some(v)) = (history.column(x), history.column(column)) else {
        return Vec::new();
    };
    it.iter()
        .zip(v)
        .filter(|&(i, y)| i.is_finite() && y.is_finite() && *y > 0.0)
        .map(|(&i, &y)| (i, y))
        .collect()
}

/// Draws loss and (when measured) rel L2 against iteration and against wall time into
/// the PNG `path`.
///
/// # Errors
/// [`PlotError::EmptyHistory`] when neither series has a point a log axis can show.
pub fn draw_history(path: &Path, title: &str, history: &History) -> Result<(), PlotError> {
    super::write_png_atomic(path, |tmp| draw_into(tmp, title, history))
}

fn draw_into(path: &Path, title: &str, history: &History) -> Result<(), PlotError> {
    let root = BitMapBackend::new(path, HISTORY_SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let (left, right) = root.split_horizontally(HISTORY_SIZE.0 / 2);
    panel(&left, title, history, "iteration", "iteration")?;
    panel(
        &right,
        &format!("{title} against time"),
        history,
        "wall_time_s",
        "wall-clock time (s)",
    )?;
    root.present()?;
    Ok(())
}

/// One panel: loss and rel L2 against the history column `x`.
fn panel(
    area: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
    title: &str,
    history: &History,
    x: &str,
    x_desc: &str,
) -> Result<(), PlotError> {
    let loss = log_series_against(history, x, "loss");
    let rel = log_series_against(history, x, History::REL_L2);
    let all = loss.iter().chain(&rel);
    let (x0, x1, y0, y1) = all.fold(
        (
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ),
        |(a, b, c, d), &(x, y)| (a.min(x), b.max(x), c.min(y), d.max(y)),
    );
    if x0 > x1 {
        return Err(PlotError::EmptyHistory);
    }
    let (x0, x1) = if x0 < x1 {
        (x0, x1)
    } else {
        (x0 - 1.0, x1 + 1.0)
    };
    // A factor of 2 of head room on the log axis (and a non-zero range for one value).
    let (y0, y1) = (y0 / 2.0, y1 * 2.0);
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 22))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(80)
        .build_cartesian_2d(x0..x1, (y0..y1).log_scale())?;
    chart
        .configure_mesh()
        .label_style(("sans-serif", 15))
        .axis_desc_style(("sans-serif", 17))
        .x_desc(x_desc)
        .x_label_formatter(&|v| super::field::tick(*v, x0, x1))
        .y_label_formatter(&|v| format!("{v:.0e}"))
        .draw()?;
    if !loss.is_empty() {
        chart
            .draw_series(std::iter::once(PathElement::new(
                loss,
                BLUE.stroke_width(2),
            )))?
            .label("loss")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE.stroke_width(2)));
    }
    if !rel.is_empty() {
        let red = RED.stroke_width(2);
        chart
            .draw_series(std::iter::once(PathElement::new(rel.clone(), red)))?
            .label("rel L2 error")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], red));
        chart.draw_series(rel.into_iter().map(|p| Circle::new(p, 3, RED.filled())))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_series_keeps_only_positive_finite_values() {
        let h = History::from_columns(
            History::STANDARD
                .iter()
                .map(|n| {
                    let v = match *n {
                        "iteration" => vec![0.0, 1.0, 2.0, 3.0],
                        "loss" => vec![1.0, 0.0, f64::NAN, 1e-3],
                        _ => vec![f64::NAN; 4],
                    };
                    (n.to_string(), v)
                })
                .chain(std::iter::once((
                    History::REL_L2.to_string(),
                    vec![f64::NAN, 0.5, f64::NAN, 0.25],
                )))
                .collect(),
        )
        .unwrap();
        assert_eq!(log_series(&h, "loss"), vec![(0.0, 1.0), (3.0, 1e-3)]);
        assert_eq!(log_series(&h, "rel_l2"), vec![(1.0, 0.5), (3.0, 0.25)]);
        assert!(log_series(&h, "no_such_column").is_empty());
    }
}
