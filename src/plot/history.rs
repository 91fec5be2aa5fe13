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
    // The axis labels need the embedded font, whoever calls first (idempotent).
    super::register_font()?;
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
    // The values are drawn as log10 on a linear axis, so the labels cover the whole
    // range (plotters' own log axis stops labelling after about 15 decades), with a
    // factor of 2 of head room (and a non-zero range for one value).
    let (y0, y1) = ((y0 / 2.0).log10(), (y1 * 2.0).log10());
    let log = |s: Vec<(f64, f64)>| -> Vec<(f64, f64)> {
        s.into_iter().map(|(x, y)| (x, y.log10())).collect()
    };
    let (loss, rel) = (log(loss), log(rel));
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 22))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(80)
        .build_cartesian_2d(x0..x1, y0..y1)?;
    chart
        .configure_mesh()
        .label_style(("sans-serif", 15))
        .axis_desc_style(("sans-serif", 17))
        .x_desc(x_desc)
        .x_label_formatter(&|v| super::field::tick(*v, x0, x1))
        .y_labels(12)
        .y_label_formatter(&|v| power_label(*v))
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

/// The label of the tick at `e` on a log10 axis: `1e-20` at whole decades, `1` at 10⁰,
/// and 10ᵉ to two significant digits between decades (narrow ranges).
pub fn power_label(e: f64) -> String {
    let k = e.round();
    if (e - k).abs() < 1e-9 {
        if k == 0.0 {
            "1".to_string()
        } else {
            format!("1e{k:.0}")
        }
    } else {
        format!("{:.1e}", 10f64.powf(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_axis_labels_are_powers_of_ten_down_to_any_decade() {
        assert_eq!(power_label(0.0), "1");
        assert_eq!(power_label(-20.0), "1e-20");
        assert_eq!(power_label(-20.000_000_000_1), "1e-20");
        assert_eq!(power_label(3.0), "1e3");
        assert_eq!(power_label(-0.5), "3.2e-1");
    }

    #[test]
    fn a_history_spanning_twenty_decades_is_drawn() {
        let n = 50;
        let h = History::from_columns(
            History::STANDARD
                .iter()
                .map(|c| {
                    let v: Vec<f64> = match *c {
                        "iteration" => (0..n).map(|i| i as f64).collect(),
                        "wall_time_s" => (0..n).map(|i| 0.1 * i as f64).collect(),
                        "loss" => (0..n).map(|i| 10f64.powf(1.0 - 0.45 * i as f64)).collect(),
                        _ => vec![f64::NAN; n],
                    };
                    (c.to_string(), v)
                })
                .collect(),
        )
        .unwrap();
        let dir = std::env::temp_dir().join(format!("pinn-history-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("h.png");
        draw_history(&path, "t", &h).unwrap();
        assert!(std::fs::metadata(&path).unwrap().len() > 1000);
        let _ = std::fs::remove_dir_all(dir);
    }

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
