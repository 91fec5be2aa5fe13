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

/// How values map to colours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Colours {
    /// Viridis from the smallest to the largest value: solutions.
    Sequential,
    /// Blue below 0, white at 0, red above, over `[−a, a]` with `a = max |v|`: a signed
    /// error, whose sign and zero crossings a sequential map hides.
    Diverging,
}

/// The diverging map at `t ∈ [−1, 1]`: blue (59, 76, 192) to near-white (247, 247, 247)
/// to red (180, 4, 38), the end points of Moreland's cool-warm map.
pub fn diverging(t: f64) -> RGBColor {
    let t = if t.is_finite() {
        t.clamp(-1.0, 1.0)
    } else {
        0.0
    };
    let (a, b, f) = if t < 0.0 {
        ([247.0, 247.0, 247.0], [59.0, 76.0, 192.0], -t)
    } else {
        ([247.0, 247.0, 247.0], [180.0, 4.0, 38.0], t)
    };
    let c = |k: usize| (a[k] + (b[k] - a[k]) * f).round() as u8;
    RGBColor(c(0), c(1), c(2))
}

/// A tick label: `0` for zero (and for rounding noise next to it, below a billionth of
/// the axis range), fixed-point with just enough decimals for the tick spacing when the
/// axis is between 1e-3 and 1e4 in size, otherwise three significant digits with an
/// exponent, so that a 1e-12 scale is labelled as such.
pub fn tick(v: f64, lo: f64, hi: f64) -> String {
    let width = (hi - lo).abs();
    if v == 0.0 || v.abs() <= 1e-9 * width {
        return "0".into();
    }
    let size = lo.abs().max(hi.abs());
    if (1e-3..1e4).contains(&size) && width > 0.0 {
        // Ten ticks or so: a decimal more than the spacing's leading digit.
        let decimals = (-(width / 10.0).log10().floor()).clamp(0.0, 8.0) as usize;
        return format!("{v:.decimals$}");
    }
    format!("{v:.2e}")
}

/// Draws `values` (one per row of `points`) laid out as `layout` into the PNG `path`,
/// with the viridis colour map.
pub fn draw_field(
    path: &Path,
    title: &str,
    layout: &Layout,
    points: faer::MatRef<'_, f64>,
    values: &[f64],
) -> Result<(), PlotError> {
    draw_field_with(path, title, layout, points, values, Colours::Sequential)
}

/// [`draw_field`] with the colour map `colours`.
pub fn draw_field_with(
    path: &Path,
    title: &str,
    layout: &Layout,
    points: faer::MatRef<'_, f64>,
    values: &[f64],
    colours: Colours,
) -> Result<(), PlotError> {
    super::write_png_atomic(path, |tmp| {
        draw_into(tmp, title, layout, points, values, None, colours)
    })
}

/// [`draw_field`] with `reference` (e.g. the exact solution, one value per point)
/// overlaid: in a line plot as a second, red curve with a legend, so that the network
/// and the exact solution can be compared directly; a map shows `values` alone.
pub fn draw_field_against(
    path: &Path,
    title: &str,
    layout: &Layout,
    points: faer::MatRef<'_, f64>,
    values: &[f64],
    reference: &[f64],
) -> Result<(), PlotError> {
    assert_eq!(
        values.len(),
        reference.len(),
        "one reference value per point"
    );
    super::write_png_atomic(path, |tmp| {
        draw_into(
            tmp,
            title,
            layout,
            points,
            values,
            Some(reference),
            Colours::Sequential,
        )
    })
}

/// `(x, v)` runs of a line, broken where `v` is not finite (a gap, not a drawn value).
fn finite_runs(xs: &[f64], vs: &[f64]) -> Vec<Vec<(f64, f64)>> {
    let mut runs = vec![Vec::new()];
    for (&x, &v) in xs.iter().zip(vs) {
        if v.is_finite() {
            runs.last_mut().expect("never empty").push((x, v));
        } else if !runs.last().expect("never empty").is_empty() {
            runs.push(Vec::new());
        }
    }
    runs.retain(|r| !r.is_empty());
    runs
}

fn draw_into(
    path: &Path,
    title: &str,
    layout: &Layout,
    points: faer::MatRef<'_, f64>,
    values: &[f64],
    reference: Option<&[f64]>,
    colours: Colours,
) -> Result<(), PlotError> {
    assert_eq!(points.nrows(), values.len(), "one value per point");
    let line_reference = reference.filter(|_| matches!(layout, Layout::Line { .. }));
    let all: Vec<f64> = values
        .iter()
        .chain(line_reference.unwrap_or(&[]))
        .copied()
        .collect();
    let range = finite_range(&all).ok_or_else(|| PlotError::NoFiniteValue(title.into()))?;
    let range = match colours {
        Colours::Sequential => range,
        Colours::Diverging => {
            let a = range.0.abs().max(range.1.abs());
            (-a, a)
        }
    };
    let colour = |v: f64| -> RGBColor {
        match colours {
            Colours::Sequential => ViridisRGB::get_color_normalized(v, range.0, range.1),
            Colours::Diverging => diverging(v / range.1),
        }
    };
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
                .x_label_formatter(&|v| tick(*v, lo, hi))
                .y_label_formatter(&|v| tick(*v, range.0, range.1))
                .draw()?;
            // A non-finite value breaks the line rather than being drawn.
            let xs: Vec<f64> = (0..points.nrows()).map(|i| points[(i, axis)]).collect();
            let network = finite_runs(&xs, values);
            let labelled = line_reference.is_some();
            for (k, run) in network.into_iter().enumerate() {
                let series = chart
                    .draw_series(std::iter::once(PathElement::new(run, BLUE.stroke_width(2))))?;
                if labelled && k == 0 {
                    series.label("network").legend(|(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], BLUE.stroke_width(2))
                    });
                }
            }
            if let Some(reference) = line_reference {
                for (k, run) in finite_runs(&xs, reference).into_iter().enumerate() {
                    let series = chart
                        .draw_series(std::iter::once(PathElement::new(run, RED.stroke_width(1))))?;
                    if k == 0 {
                        series.label("exact").legend(|(x, y)| {
                            PathElement::new(vec![(x, y), (x + 20, y)], RED.stroke_width(1))
                        });
                    }
                }
                chart
                    .configure_series_labels()
                    .label_font(("sans-serif", 15))
                    .background_style(WHITE.mix(0.8))
                    .border_style(BLACK)
                    .draw()?;
            }
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
                .x_label_formatter(&|v| tick(*v, lo[0], hi[0]))
                .y_label_formatter(&|v| tick(*v, lo[1], hi[1]))
                .draw()?;
            // Non-finite values (a diverged network) stay white.
            chart.draw_series(
                (0..points.nrows())
                    .filter(|&i| values[i].is_finite())
                    .map(|i| {
                        let (x, y) = (points[(i, axes[0])], points[(i, axes[1])]);
                        let c = colour(values[i]);
                        Rectangle::new(
                            [(x - half[0], y - half[1]), (x + half[0], y + half[1])],
                            c.filled(),
                        )
                    }),
            )?;
            draw_colour_bar(&right, range, &colour)?;
        }
    }
    root.present()?;
    Ok(())
}

/// A vertical colour bar from `range.0` (bottom) to `range.1` (top) with value labels.
fn draw_colour_bar(
    area: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
    range: (f64, f64),
    colour: &dyn Fn(f64) -> RGBColor,
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
        .y_label_formatter(&|v| tick(*v, range.0, range.1))
        .draw()?;
    let dy = (range.1 - range.0) / STEPS as f64;
    bar.draw_series((0..STEPS).map(|s| {
        let y0 = range.0 + dy * s as f64;
        let c = colour(y0 + 0.5 * dy);
        Rectangle::new([(0.0, y0), (1.0, y0 + dy)], c.filled())
    }))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_print_zero_as_zero_and_small_scales_with_exponents() {
        assert_eq!(tick(0.0, -1.0, 1.0), "0");
        assert_eq!(tick(1e-17, -1.0, 1.0), "0");
        assert_eq!(tick(0.5, 0.0, 1.0), "0.5");
        assert_eq!(tick(0.25, 0.0, 0.5), "0.25");
        assert_eq!(tick(2.0, 0.0, 10.0), "2");
        assert_eq!(tick(250.0, 0.0, 1000.0), "250");
        assert_eq!(tick(3e-12, -5e-12, 5e-12), "3.00e-12");
        assert_eq!(tick(-1.5e-9, -2e-9, 0.0), "-1.50e-9");
        assert_eq!(tick(2e5, 0.0, 1e6), "2.00e5");
    }

    #[test]
    fn the_diverging_map_is_white_at_zero_and_saturates_at_the_ends() {
        assert_eq!(diverging(0.0), RGBColor(247, 247, 247));
        assert_eq!(diverging(-1.0), RGBColor(59, 76, 192));
        assert_eq!(diverging(1.0), RGBColor(180, 4, 38));
        assert_eq!(diverging(7.0), diverging(1.0));
        assert_eq!(diverging(f64::NAN), diverging(0.0));
    }

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

    #[test]
    fn lines_break_at_non_finite_values() {
        let xs = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0];
        let vs = [1.0, f64::NAN, 2.0, 3.0, f64::INFINITY, f64::NAN];
        assert_eq!(
            finite_runs(&xs, &vs),
            vec![vec![(0.0, 1.0)], vec![(2.0, 2.0), (3.0, 3.0)]]
        );
        assert!(finite_runs(&xs, &[f64::NAN; 6]).is_empty());
    }

    /// A 1-D plot with the exact solution overlaid is a PNG; the overlay's values set
    /// the range too (a reference outside the network's range is not clipped away).
    #[test]
    fn a_line_plot_overlays_the_reference() {
        super::super::register_font().unwrap();
        let dir = std::env::temp_dir().join(format!("pinn-overlay-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("u_solution.png");
        let n = 50;
        let points = faer::Mat::from_fn(n, 1, |i, _| i as f64 / (n - 1) as f64);
        let network: Vec<f64> = (0..n).map(|i| (i as f64 * 0.1).sin()).collect();
        let exact: Vec<f64> = network.iter().map(|v| v + 5.0).collect();
        let layout = Layout::Line {
            axis: 0,
            name: "x".into(),
        };
        draw_field_against(&path, "u", &layout, points.as_ref(), &network, &exact).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        std::fs::remove_dir_all(&dir).ok();
    }
}
