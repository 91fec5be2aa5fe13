//! Where the plotted fields are evaluated: a regular grid through the problem's box
//! (the network and the exact solution rebuilt from the result file), or, when the
//! problem cannot be rebuilt, the stored scattered evaluation points.
//!
//! Why a regular grid: the stored evaluation points are random, so a heat map drawn
//! from them is a cloud of overlapping squares with gaps, and for `d > 2` no stored
//! point lies on a 2-D slice at all. The network is cheap to evaluate (a forward pass
//! over `n²` points), and the exact solution is a compiled expression in the problem
//! text, so both can be sampled on a pixel-aligned grid that shows the field exactly as
//! it is, including the fine structure of the error.

use faer::Mat;

use crate::output::RunResult;
use crate::problem::{ExactSolution, LoadOptions, Problem, build_problem_with, parse_spec};

/// Cells per axis of the regular grid of a 2-D field (the heat map is about 600 px
/// wide, so a cell is 3 px).
pub const GRID_2D: usize = 200;
/// Points of the regular grid of a 1-D field.
pub const GRID_1D: usize = 801;

/// How the sample points are laid out, which decides how they are drawn.
#[derive(Debug, Clone, PartialEq)]
pub enum Layout {
    /// Points along one variable (the only one, or the free one of a 2-D slice),
    /// sorted ascending; drawn as a line.
    Line {
        /// Column of the variable in the points.
        axis: usize,
        /// Name of the variable.
        name: String,
    },
    /// A 2-D field in the variables `axes`: an `nx × ny` cell-centred grid over
    /// `lo..hi` (row `i + nx·j` is cell `(i, j)`), or scattered points drawn as squares
    /// of half-width `half`.
    Map {
        /// Indices of the plotted variables (x axis, y axis).
        axes: [usize; 2],
        /// Their names.
        names: [String; 2],
        /// Lower corner of the plotted rectangle.
        lo: [f64; 2],
        /// Upper corner of the plotted rectangle.
        hi: [f64; 2],
        /// Half-widths of the square drawn around each point.
        half: [f64; 2],
        /// For `d > 2`: the fixed values of the other variables, as `name = value`.
        slice: Vec<(String, f64)>,
        /// `true` when the points are the stored scattered evaluation points.
        scattered: bool,
    },
}

/// The fields to plot: sample points, the network output, the exact solution.
#[derive(Debug, Clone)]
pub struct Samples {
    /// How `points` are laid out.
    pub layout: Layout,
    /// `n × d` sample points.
    pub points: Mat<f64>,
    /// `n × m` network output.
    pub u: Mat<f64>,
    /// `n × m` exact solution, when the problem has one.
    pub u_exact: Option<Mat<f64>>,
    /// Output names, one per column of `u`.
    pub outputs: Vec<String>,
}

/// Samples the result's fields on a regular grid when its problem can be rebuilt from
/// `/config/problem` (with a network of the stored shape), and on the stored
/// evaluation points otherwise.
pub fn sample(result: &RunResult) -> Samples {
    match rebuild(result) {
        // A tabulated reference is known only at the stored evaluation points.
        Some(problem)
            if problem.exact.as_ref().is_none_or(ExactSolution::is_formula)
                && slabs_complete(result, &problem) =>
        {
            on_grid(result, &problem).unwrap_or_else(|| scattered(result))
        }
        _ => scattered(result),
    }
}

/// The problem of `result`, when its text still builds and describes the stored
/// network. Points files referenced by the text may have moved: then `None`.
fn rebuild(result: &RunResult) -> Option<Problem> {
    let label = result.problem_file.as_ref().map_or_else(
        || std::path::PathBuf::from("config/problem"),
        std::path::PathBuf::from,
    );
    let spec = parse_spec(&label, &result.config_problem).ok()?;
    let problem = build_problem_with(
        &label,
        &result.config_problem,
        spec,
        &LoadOptions::embedded(),
    )
    .ok()?;
    let problem = match &result.stages {
        None => problem,
        Some(st) => crate::stages::stored_problem(&problem, st)
            .ok()?
            .unwrap_or(problem),
    };
    crate::run::check_stored_network(
        &problem.mlp,
        &result.layers,
        result.embedding.as_ref(),
        result.params.len(),
    )
    .is_ok()
    .then_some(problem)
}

/// The grid points of a box `lo..hi` (per axis) for plotting: `d = 1` gives `GRID_1D`
/// points from `lo` to `hi` inclusive; `d ≥ 2` gives the centres of a
/// `GRID_2D × GRID_2D` grid of cells in the first two variables, every other variable
/// fixed at the centre of its interval.
pub fn grid_layout(names: &[String], lo: &[f64], hi: &[f64]) -> (Layout, Mat<f64>) {
    let d = names.len();
    assert!(
        d >= 1 && lo.len() == d && hi.len() == d,
        "one bound per variable"
    );
    if d == 1 {
        let n = GRID_1D;
        let pts = Mat::from_fn(n, 1, |i, _| {
            lo[0] + (hi[0] - lo[0]) * i as f64 / (n - 1) as f64
        });
        return (
            Layout::Line {
                axis: 0,
                name: names[0].clone(),
            },
            pts,
        );
    }
    let n = GRID_2D;
    let centre: Vec<f64> = lo.iter().zip(hi).map(|(a, b)| 0.5 * (a + b)).collect();
    let h = [(hi[0] - lo[0]) / n as f64, (hi[1] - lo[1]) / n as f64];
    let pts = Mat::from_fn(n * n, d, |r, j| match j {
        0 => lo[0] + h[0] * ((r % n) as f64 + 0.5),
        1 => lo[1] + h[1] * ((r / n) as f64 + 0.5),
        _ => centre[j],
    });
    let layout = Layout::Map {
        axes: [0, 1],
        names: [names[0].clone(), names[1].clone()],
        lo: [lo[0], lo[1]],
        hi: [hi[0], hi[1]],
        half: [0.5 * h[0], 0.5 * h[1]],
        slice: (2..d).map(|j| (names[j].clone(), centre[j])).collect(),
        scattered: false,
    };
    (layout, pts)
}

/// Samples the result's fields on the slice `variable = value` of its box: a line
/// along the other variable of a 2-D problem, a heat map in the first two free
/// variables of a larger one (the rest at the centre of their intervals). Needs the
/// problem rebuilt from `/config/problem`; a tabulated reference is known only at the
/// stored points, so on a slice only the network is drawn.
///
/// # Errors
/// A message: a 1-D problem, an unknown variable, a value outside its interval, or a
/// problem that cannot be rebuilt.
pub fn sample_slice(result: &RunResult, variable: &str, value: f64) -> Result<Samples, String> {
    let names = &result.evaluation.variables;
    if names.len() < 2 {
        return Err("a slice needs a domain of two or more variables".into());
    }
    let fixed = names.iter().position(|n| n == variable).ok_or_else(|| {
        format!(
            "`{variable}` is not a variable of this problem ({})",
            names.join(", ")
        )
    })?;
    let problem = rebuild(result).ok_or(
        "the stored problem cannot be rebuilt (has a points or reference file it names moved?)",
    )?;
    let dom = &problem.domain;
    let (lo, hi) = (dom.lo()[fixed], dom.hi()[fixed]);
    if !(value >= lo && value <= hi) {
        return Err(format!(
            "{variable} = {value} lies outside the domain's interval [{lo}, {hi}]"
        ));
    }
    let (layout, points) = slice_layout(dom.names(), dom.lo(), dom.hi(), fixed, value);
    let u = match &result.time_slabs {
        None => problem.solution(&result.params, points.as_ref()),
        Some(s) => {
            let sums = crate::march::slab_sums(&problem, &s.slabs)?;
            crate::march::solution_by_slab(&problem, &sums, points.as_ref())
        }
    };
    let u_exact = problem
        .exact
        .as_ref()
        .filter(|e| e.is_formula())
        .and_then(|e| e.at(points.as_ref()));
    Ok(Samples {
        layout,
        points,
        u,
        u_exact,
        outputs: result.evaluation.outputs.clone(),
    })
}

/// The grid of [`grid_layout`] on the slice `names[fixed] = value` (`d ≥ 2`): the
/// remaining variables laid out as the grid of a box one dimension smaller.
pub fn slice_layout(
    names: &[String],
    lo: &[f64],
    hi: &[f64],
    fixed: usize,
    value: f64,
) -> (Layout, Mat<f64>) {
    let d = names.len();
    assert!(
        d >= 2 && fixed < d,
        "a slice of a box of two or more variables"
    );
    let free: Vec<usize> = (0..d).filter(|&j| j != fixed).collect();
    let pick = |v: &[f64]| free.iter().map(|&j| v[j]).collect::<Vec<f64>>();
    let free_names: Vec<String> = free.iter().map(|&j| names[j].clone()).collect();
    let (layout, sub) = grid_layout(&free_names, &pick(lo), &pick(hi));
    let points = Mat::from_fn(sub.nrows(), d, |i, j| {
        match free.iter().position(|&f| f == j) {
            Some(k) => sub[(i, k)],
            None => value,
        }
    });
    let layout = match layout {
        Layout::Line { name, .. } => Layout::Line {
            axis: free[0],
            name,
        },
        Layout::Map {
            names: map_names,
            lo,
            hi,
            half,
            slice,
            scattered,
            ..
        } => {
            let mut fixed_at = vec![(names[fixed].clone(), value)];
            fixed_at.extend(slice);
            Layout::Map {
                axes: [free[0], free[1]],
                names: map_names,
                lo,
                hi,
                half,
                slice: fixed_at,
                scattered,
            }
        }
    };
    (layout, points)
}

/// Whether a time-slab result holds a network for every slab of its problem (a
/// checkpoint or a stopped march covers only part of the time interval: its stored
/// evaluation points are plotted instead). True for a result without slabs.
fn slabs_complete(result: &RunResult, problem: &Problem) -> bool {
    match (&result.time_slabs, &problem.time_slabs) {
        (None, None) => true,
        (Some(r), Some(p)) => r.boundaries == p.boundaries && r.slabs.len() == p.count(),
        _ => false,
    }
}

/// The solution on a grid over the whole domain; with time slabs each grid point is
/// evaluated by the network of its slab (`None`: a stored slab's correction network
/// does not fit the problem).
fn on_grid(result: &RunResult, problem: &Problem) -> Option<Samples> {
    let dom = &problem.domain;
    let (layout, points) = grid_layout(dom.names(), dom.lo(), dom.hi());
    let u = match &result.time_slabs {
        None => problem.solution(&result.params, points.as_ref()),
        Some(s) => {
            let sums = crate::march::slab_sums(problem, &s.slabs).ok()?;
            crate::march::solution_by_slab(problem, &sums, points.as_ref())
        }
    };
    let u_exact = problem.exact.as_ref().and_then(|e| e.at(points.as_ref()));
    Some(Samples {
        layout,
        points,
        u,
        u_exact,
        outputs: result.evaluation.outputs.clone(),
    })
}

/// The stored evaluation points. For `d = 1` they are sorted along the axis; for
/// `d ≥ 2` every point is projected onto the first two variables (no stored point
/// lies on a slice), which the plot title says.
fn scattered(result: &RunResult) -> Samples {
    let ev = &result.evaluation;
    let (m, d) = (ev.points.nrows(), ev.points.ncols());
    if d == 1 {
        let mut order: Vec<usize> = (0..m).collect();
        order.sort_by(|&a, &b| ev.points[(a, 0)].total_cmp(&ev.points[(b, 0)]));
        let pick = |a: &Mat<f64>| Mat::from_fn(m, a.ncols(), |i, k| a[(order[i], k)]);
        return Samples {
            layout: Layout::Line {
                axis: 0,
                name: ev.variables[0].clone(),
            },
            points: pick(&ev.points),
            u: pick(&ev.u),
            u_exact: ev.u_exact.as_ref().map(pick),
            outputs: ev.outputs.clone(),
        };
    }
    let range = |j: usize| {
        let (mut a, mut b) = (f64::INFINITY, f64::NEG_INFINITY);
        for i in 0..m {
            let v = ev.points[(i, j)];
            if v.is_finite() {
                a = a.min(v);
                b = b.max(v);
            }
        }
        if a > b {
            (0.0, 1.0)
        } else if a == b {
            (a - 0.5, b + 0.5)
        } else {
            (a, b)
        }
    };
    let (rx, ry) = (range(0), range(1));
    // A tensor grid in 2-D (a reference tabulated on a grid): squares of half the grid
    // spacing tile the rectangle. Otherwise squares about as large as the mean spacing
    // of m points spread over the rectangle.
    let distinct = |j: usize| {
        let mut v: Vec<u64> = (0..m).map(|i| ev.points[(i, j)].to_bits()).collect();
        v.sort_unstable();
        v.dedup();
        v.len()
    };
    let (nx, ny) = (distinct(0), distinct(1));
    let half = if d == 2 && nx > 1 && ny > 1 && nx * ny == m {
        [
            0.5 * (rx.1 - rx.0) / (nx - 1) as f64,
            0.5 * (ry.1 - ry.0) / (ny - 1) as f64,
        ]
    } else {
        let per_axis = (m.max(1) as f64).sqrt();
        [
            0.5 * (rx.1 - rx.0) / per_axis,
            0.5 * (ry.1 - ry.0) / per_axis,
        ]
    };
    Samples {
        layout: Layout::Map {
            axes: [0, 1],
            names: [ev.variables[0].clone(), ev.variables[1].clone()],
            lo: [rx.0, ry.0],
            hi: [rx.1, ry.1],
            half,
            slice: Vec::new(),
            scattered: true,
        },
        points: ev.points.clone(),
        u: ev.u.clone(),
        u_exact: ev.u_exact.clone(),
        outputs: ev.outputs.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn slices_fix_one_variable_and_lay_out_the_others() {
        let n = names(&["x", "t"]);
        let (layout, p) = slice_layout(&n, &[-1.0, 0.0], &[1.0, 2.0], 0, 0.25);
        assert_eq!(
            layout,
            Layout::Line {
                axis: 1,
                name: "t".into()
            }
        );
        assert_eq!((p.nrows(), p.ncols()), (GRID_1D, 2));
        assert!((0..p.nrows()).all(|i| p[(i, 0)] == 0.25));
        assert_eq!((p[(0, 1)], p[(GRID_1D - 1, 1)]), (0.0, 2.0));
        let n = names(&["x", "y", "z"]);
        let (layout, p) = slice_layout(&n, &[0.0; 3], &[1.0, 2.0, 4.0], 1, 0.5);
        assert!((0..p.nrows()).all(|i| p[(i, 1)] == 0.5 && p[(i, 2)] < 4.0));
        match layout {
            Layout::Map {
                axes, names, slice, ..
            } => {
                assert_eq!(axes, [0, 2]);
                assert_eq!(names, ["x".to_string(), "z".to_string()]);
                assert_eq!(slice, vec![("y".to_string(), 0.5)]);
            }
            other => panic!("expected a map, got {other:?}"),
        }
    }

    #[test]
    fn line_grid_spans_the_interval_inclusive() {
        let (layout, p) = grid_layout(&names(&["x"]), &[-1.0], &[3.0]);
        assert_eq!(
            layout,
            Layout::Line {
                axis: 0,
                name: "x".into()
            }
        );
        assert_eq!(p.nrows(), GRID_1D);
        assert_eq!(p[(0, 0)], -1.0);
        assert_eq!(p[(GRID_1D - 1, 0)], 3.0);
        assert!((p[(GRID_1D / 2, 0)] - 1.0).abs() < 1e-15);
    }

    #[test]
    fn map_grid_is_cell_centred_and_slices_through_the_centre() {
        let (layout, p) = grid_layout(
            &names(&["x", "y", "z", "t"]),
            &[0.0, -2.0, 1.0, 0.0],
            &[1.0, 2.0, 3.0, 10.0],
        );
        let n = GRID_2D;
        assert_eq!((p.nrows(), p.ncols()), (n * n, 4));
        // Cell (i, j) is row i + n j; its centre is lo + h (i + 1/2).
        let (i, j) = (7, 123);
        let r = i + n * j;
        assert!((p[(r, 0)] - (i as f64 + 0.5) / n as f64).abs() < 1e-15);
        assert!((p[(r, 1)] - (-2.0 + 4.0 * (j as f64 + 0.5) / n as f64)).abs() < 1e-15);
        for r in 0..p.nrows() {
            assert_eq!(p[(r, 2)], 2.0);
            assert_eq!(p[(r, 3)], 5.0);
            assert!(p[(r, 0)] > 0.0 && p[(r, 0)] < 1.0);
            assert!(p[(r, 1)] > -2.0 && p[(r, 1)] < 2.0);
        }
        match layout {
            Layout::Map {
                slice,
                half,
                scattered,
                ..
            } => {
                assert_eq!(slice, vec![("z".to_string(), 2.0), ("t".to_string(), 5.0)]);
                assert!((half[0] - 0.5 / n as f64).abs() < 1e-15);
                assert!((half[1] - 2.0 / n as f64).abs() < 1e-15);
                assert!(!scattered);
            }
            other => panic!("expected a map, got {other:?}"),
        }
    }
}
