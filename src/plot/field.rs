//! Drawing one scalar field: a heat map with a colour bar for a 2-D field, a line plot
//! for a 1-D one.

use std::path::Path;

use plotters::prelude::*;

use super::PlotError;
use super::sample::Layout;

/// Size in pixels of a field plot.
pub const FIELD_SIZE: (u32, u32) = (860, 700);
/// Width of the colour bar panel on the right of a heat map.
const BAR_WIDTH: u32 = 150;

/// The smallest and largest finite value, widened when they coincide so that a
/// colour or axis range never has zero width; `None` when no value is finite.
pub fn finite_range(values: &[f64]) -> Option<(f64, f64)> {
    let (lo, hi) = values
        .iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    if lo > hi {
        return None;
    }
    if lo < hi {
        return Some((lo, hi));
    }
    let pad = if lo == 0.0 { 1.0 } else { 0.5 * lo.abs() };
    Some((lo - pad, hi + pad))
}

/// Draws `values` (one per row of `points`) laid out as `layout` into the PNG `path`.
pub fn draw_field(
    path: &Path,
    title: &str,
    layout: &Layout,
    points: faer::MatRef<'_, f64>,
    values: &[f64],
) -> Result<(), PlotError> {
    assert_eq!(points.nrows(), values.len(), "one value per point");
    let range = finite_range(values).ok_or_else(|| PlotError::NoFiniteValue(title.into()))?;
    let root = BitMapBackend::new(path, FIELD_SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    match layout {
        Layout::Line { axis, name } => {
            let axis = *axis;
            let (lo, hi) = finite_range(
                &(0..points.nrows())
                    .map(|i| points[(i, axis)])
                    .collect::<Vec<_>>(),
            )
            .unwrap_or((0.0, 1.0));
            let pad = 0.05 * (range.1 - range.0);
            let mut chart = ChartBuilder::on(&root)
                .caption(title, ("sans-serif", 22))
                .margin(15)
                .x_label_area_size(45)
                .y_label_area_size(95)
                .build_cartesian_2d(lo..hi, (range.0 - pad)..(range.1 + pad))?;
            chart
                .configure_mesh()
                .label_style(("sans-serif", 15))
                .axis_desc_style(("sans-serif", 17))
                .x_desc(name.as_str())
                .y_label_formatter(&|v| format!("{v:.3e}"))
                .draw()?;
            // A non-finite value breaks the line rather than being drawn.
            let mut run = Vec::new();
            for (i, &v) in values.iter().enumerate() {
                if v.is_finite() {
                    run.push((points[(i, axis)], v));
                } else if !run.is_empty() {
                    chart.draw_series(std::iter::once(PathElement::new(
                        std::mem::take(&mut run),
                        BLUE.stroke_width(2),
                    )))?;
                }
            }
            chart.draw_series(std::iter::once(PathElement::new(run, BLUE.stroke_width(2))))?;
        }
        Layout::Map {
            axes,
            names,
            lo,
            hi,
            half,
            ..
        } => {
            let (left, right) = root.split_horizontally(FIELD_SIZE.0 - BAR_WIDTH);
            let mut chart = ChartBuilder::on(&left)
                .caption(title, ("sans-serif", 22))
                .margin(15)
                .x_label_area_size(45)
                .y_label_area_size(60)
                .build_cartesian_2d(lo[0]..hi[0], lo[1]..hi[1])?;
            chart
                .configure_mesh()
                .label_style(("sans-serif", 15))
                .axis_desc_style(("sans-serif", 17))
                .disable_mesh()
                .x_desc(names[0].as_str())
                .y_desc(names[1].as_str())
                .draw()?;
            // Non-finite values (a diverged network) stay white.
            chart.draw_series(
                (0..points.nrows())
                    .filter(|&i| values[i].is_finite())
                    .map(|i| {
                        let (x, y) = (points[(i, axes[0])], points[(i, axes[1])]);
                        let c = ViridisRGB::get_color_normalized(values[i], range.0, range.1);
                        Rectangle::new(
                            [(x - half[0], y - half[1]), (x + half[0], y + half[1])],
                            c.filled(),
                        )
                    }),
            )?;
            draw_colour_bar(&right, range)?;
        }
    }
    root.present()?;
    Ok(())
}

/// A vertical viridis bar from `range.0` (bottom) to `range.1` (top) with value labels.
fn draw_colour_bar(
    area: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
    range: (f64, f64),
) -> Result<(), PlotError> {
    const STEPS: usize = 256;
    let mut bar = ChartBuilder::on(area)
        .margin_top(52)
        .margin_bottom(60)
        .margin_right(10)
        .y_label_area_size(95)
        .build_cartesian_2d(0.0..1.0, range.0..range.1)?;
    bar.configure_mesh()
        .label_style(("sans-serif", 15))
        .axis_desc_style(("sans-serif", 17))
        .disable_mesh()
        .disable_x_axis()
        .y_labels(8)
        .y_label_formatter(&|v| format!("{v:.3e}"))
        .draw()?;
    let dy = (range.1 - range.0) / STEPS as f64;
    bar.draw_series((0..STEPS).map(|s| {
        let y0 = range.0 + dy * s as f64;
        let c = ViridisRGB::get_color_normalized(y0 + 0.5 * dy, range.0, range.1);
        Rectangle::new([(0.0, y0), (1.0, y0 + dy)], c.filled())
    }))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finite_range_ignores_non_finite_values_and_never_has_zero_width() {
        assert_eq!(
            finite_range(&[3.0, f64::NAN, -1.0, f64::INFINITY, 2.0]),
            Some((-1.0, 3.0))
        );
        assert_eq!(finite_range(&[2.0, 2.0]), Some((1.0, 3.0)));
        assert_eq!(finite_range(&[0.0]), Some((-1.0, 1.0)));
        assert_eq!(finite_range(&[f64::NAN]), None);
        assert_eq!(finite_range(&[]), None);
    }
}
