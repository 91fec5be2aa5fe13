//! The in-memory form of one run's result file: plain data only (strings, `Vec<f64>`,
//! faer matrices), so this module depends on no solver or engine type.
//!
//! The error metrics are *computed* here from the evaluation data, never passed in, so
//! that what the file reports is, by construction, what its own datasets imply
//! (`pinn validate` re-does this computation from the stored parameters).

use faer::Mat;

/// Everything one run writes to its HDF5 result file (see `docs/result-format.md`).
///
/// Equality is exact (bitwise for f64 apart from NaN, which compares unequal as usual;
/// the round-trip tests compare bit patterns).
#[derive(Debug, Clone, PartialEq)]
pub struct RunResult {
    /// Root attribute `problem`: the problem's name.
    pub problem_name: String,
    /// Root attribute `pinn_version`: the version of the program that wrote the file.
    pub pinn_version: String,
    /// Root attribute `created`: ISO 8601 UTC time stamp (see [`iso8601_utc`]).
    pub created: String,
    /// `/config/problem`: the full problem file text as used.
    pub config_problem: String,
    /// Root attribute `problem_file` (optional): the absolute path the problem was read
    /// from, so that `pinn validate` and the plots can find the points and reference
    /// files the text names relative to it.
    pub problem_file: Option<String>,
    /// `/config/solver`: the solver settings as used.
    pub config_solver: String,
    /// `/model` attribute `layers`: widths of the linear maps from input to output, e.g.
    /// `[2, 20, 20, 1]`; the first is the embedded width `D` (`d` without an embedding).
    pub layers: Vec<usize>,
    /// `/model/embedding`: the fixed input map in front of the first layer, `None` for
    /// the identity.
    pub embedding: Option<EmbeddingRecord>,
    /// `/model` attribute `activation`, e.g. `"tanh"`.
    pub activation: String,
    /// `/model/params`: the flat parameter vector θ, length P.
    pub params: Vec<f64>,
    /// `/model` attribute `transform`: per output, the ansatz `u = T(x, N)` that turns the
    /// network output `N` into the solution, in the problem-file expression language;
    /// `"N"` for an output that is the network output itself.
    pub transform: Vec<String>,
    /// `/model` attributes `transform_constants` and `transform_constant_values`: the
    /// named constants the transforms may use (written only when there are any).
    pub transform_constants: Vec<(String, f64)>,
    /// `/collocation/<name>`: the `N_b × d` points of every residual block, in order.
    pub collocation: Vec<(String, Mat<f64>)>,
    /// `/collocation_weights/<name>`: the residual-based attention weights `λᵢ` (one per
    /// point of `/collocation/<name>`) of every block that has them; empty without.
    pub collocation_weights: Vec<(String, Vec<f64>)>,
    /// `/evaluation`.
    pub evaluation: Evaluation,
    /// `/metrics` attributes.
    pub metrics: Metrics,
    /// `/history/<column>`.
    pub history: History,
    /// `/provenance` (optional): how the run was started.
    pub provenance: Option<super::Provenance>,
    /// `/state` (optional): the solver state a resume continues from; with the points
    /// of `/collocation`, everything a continuation needs besides the problem.
    pub state: Option<super::StateRecord>,
    /// `/time_slabs`: the slabs of a time-marching run (`None` for an ordinary run).
    pub time_slabs: Option<super::slabs::SlabsRecord>,
    /// `/stages`: the stages of a multi-stage run (`None` for a one-stage run).
    pub stages: Option<super::stages::StagesRecord>,
}

/// The input embedding `φ` of a network, as stored: periodic features
/// `cos(2πk x_j/L), sin(2πk x_j/L)`, `k = 1..K`, in place of each listed variable `x_j`
/// (the others pass through), then optionally `[cos(B v), sin(B v)]` of that vector `v`;
/// and the reflections the network is averaged over.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddingRecord {
    /// `(variable index j, period L, harmonics K)` per periodic variable, increasing `j`.
    pub periodic: Vec<(usize, f64, usize)>,
    /// The Fourier stage, if any.
    pub fourier: Option<FourierRecord>,
    /// `(variable index j, center c, parity p)` per reflection `x_j ↦ 2c − x_j` the
    /// network is averaged over, `u(x) = ½(N(φ(x)) + p N(φ(Rx)))` (`p = −1`: odd, `+1`:
    /// even; over all `2^s` compositions for `s` of them), increasing `j`.
    pub reflections: Vec<(usize, f64, i64)>,
}

/// Random Fourier features as stored: the matrix itself, and how it was drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct FourierRecord {
    /// `B`, `count × D₁` (`D₁` = the width after the periodic features).
    pub matrix: Mat<f64>,
    /// The standard deviation σ the entries were drawn with.
    pub scale: f64,
    /// The seed they were drawn from.
    pub seed: u64,
}

/// The network evaluated on a grid of points, with the exact solution when one exists.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Names of the input variables, in the column order of `points` (e.g. `["x", "t"]`).
    pub variables: Vec<String>,
    /// Names of the outputs, in the column order of `u` (e.g. `["u"]`).
    pub outputs: Vec<String>,
    /// `M × d` evaluation points, one row per point.
    pub points: Mat<f64>,
    /// `M × m` network output at `points`.
    pub u: Mat<f64>,
    /// `M × m` exact solution at `points`, when the problem has one.
    pub u_exact: Option<Mat<f64>>,
}

impl Evaluation {
    /// Builds an evaluation, checking shapes.
    ///
    /// # Panics
    /// On a contract violation: `variables.len() != points.ncols()`,
    /// `outputs.len() != u.ncols()`, `u.nrows() != points.nrows()`, or `u_exact` of a
    /// different shape than `u`.
    pub fn new(
        variables: Vec<String>,
        outputs: Vec<String>,
        points: Mat<f64>,
        u: Mat<f64>,
        u_exact: Option<Mat<f64>>,
    ) -> Self {
        assert_eq!(
            variables.len(),
            points.ncols(),
            "one variable name per point column"
        );
        assert_eq!(outputs.len(), u.ncols(), "one output name per column of u");
        assert_eq!(
            u.nrows(),
            points.nrows(),
            "one row of u per evaluation point"
        );
        if let Some(e) = &u_exact {
            assert_eq!(
                (e.nrows(), e.ncols()),
                (u.nrows(), u.ncols()),
                "u_exact has the shape of u"
            );
        }
        Self {
            variables,
            outputs,
            points,
            u,
            u_exact,
        }
    }

    /// `u − u_exact` (`M × m`), when an exact solution exists. This is what
    /// `/evaluation/error` stores: it is always computed, never given.
    pub fn error(&self) -> Option<Mat<f64>> {
        self.u_exact.as_ref().map(|e| pointwise_error(&self.u, e))
    }
}

/// `u − u_exact`, element by element.
///
/// # Panics
/// If the shapes differ (contract violation).
pub fn pointwise_error(u: &Mat<f64>, u_exact: &Mat<f64>) -> Mat<f64> {
    assert_eq!((u.nrows(), u.ncols()), (u_exact.nrows(), u_exact.ncols()));
    Mat::from_fn(u.nrows(), u.ncols(), |i, j| u[(i, j)] - u_exact[(i, j)])
}

/// Relative L2 error over all evaluation points and outputs:
/// `‖u − u*‖₂ / ‖u*‖₂`, the norms being Frobenius norms of the `M × m` matrices.
///
/// Both norms use faer's `norm_l2`, which scales while it accumulates (the LAPACK
/// `dnrm2` approach, Blue, "A portable Fortran program to find the Euclidean norm of a
/// vector", ACM TOMS 4(1), 1978), so neither overflows nor underflows for errors near
/// 1e-160 or values near 1e160. The difference is formed element by element before the
/// norm, so there is no cancellation of the kind `‖u‖² − 2⟨u,u*⟩ + ‖u*‖²` would suffer.
///
/// If `u*` is identically zero the ratio is `+inf` (or NaN when `u` is zero as well);
/// the metric is then meaningless and the file records it as is.
///
/// # Panics
/// If the shapes differ (contract violation).
pub fn rel_l2(u: &Mat<f64>, u_exact: &Mat<f64>) -> f64 {
    pointwise_error(u, u_exact).norm_l2() / u_exact.norm_l2()
}

/// [`rel_l2`] and [`max_abs_error`] of each column (output) on its own.
///
/// # Panics
/// If the shapes differ (contract violation).
pub fn per_output_errors(u: &Mat<f64>, u_exact: &Mat<f64>) -> (Vec<f64>, Vec<f64>) {
    assert_eq!((u.nrows(), u.ncols()), (u_exact.nrows(), u_exact.ncols()));
    (0..u.ncols())
        .map(|k| {
            let col = |m: &Mat<f64>| Mat::from_fn(m.nrows(), 1, |i, _| m[(i, k)]);
            let (a, b) = (col(u), col(u_exact));
            (rel_l2(&a, &b), max_abs_error(&a, &b))
        })
        .unzip()
}

/// `max_ij |u_ij − u*_ij|`; 0 for an empty grid. A NaN anywhere gives NaN (a
/// diverged network must not report a finite error).
///
/// # Panics
/// If the shapes differ (contract violation).
pub fn max_abs_error(u: &Mat<f64>, u_exact: &Mat<f64>) -> f64 {
    let e = pointwise_error(u, u_exact);
    let mut m = 0.0_f64;
    for j in 0..e.ncols() {
        for i in 0..e.nrows() {
            let a = e[(i, j)].abs();
            if a.is_nan() {
                return f64::NAN;
            }
            m = m.max(a);
        }
    }
    m
}

/// The `/metrics` attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct Metrics {
    /// `‖u − u*‖₂/‖u*‖₂` over the evaluation points (see [`rel_l2`]); `None` without an
    /// exact solution.
    pub rel_l2: Option<f64>,
    /// `max |u − u*|` over the evaluation points; `None` without an exact solution.
    pub max_abs_error: Option<f64>,
    /// Per output (column of `u`), its own `‖u_k − u*_k‖₂/‖u*_k‖₂`: a system's outputs
    /// differ in scale, and one norm over all of them hides the worst. `None` without
    /// an exact solution, and in files written before these were stored.
    pub rel_l2_per_output: Option<Vec<f64>>,
    /// Per output, `max_i |u_ik − u*_ik|`; `None` as `rel_l2_per_output`.
    pub max_abs_error_per_output: Option<Vec<f64>>,
    /// The loss at the returned parameters.
    pub final_loss: f64,
    /// Solver iterations performed.
    pub iterations: u64,
    /// Why the solver stopped (its termination reason, as text).
    pub termination: String,
    /// Wall-clock time of the run so far, in seconds.
    pub wall_time_s: f64,
}

impl Metrics {
    /// Metrics whose error fields are computed from `evaluation` (so they agree with
    /// `/evaluation` by construction).
    pub fn from_evaluation(
        evaluation: &Evaluation,
        final_loss: f64,
        iterations: u64,
        termination: impl Into<String>,
        wall_time_s: f64,
    ) -> Self {
        let (rel, max) = match &evaluation.u_exact {
            Some(e) => (
                Some(rel_l2(&evaluation.u, e)),
                Some(max_abs_error(&evaluation.u, e)),
            ),
            None => (None, None),
        };
        let per = evaluation
            .u_exact
            .as_ref()
            .map(|e| per_output_errors(&evaluation.u, e));
        Self {
            rel_l2: rel,
            max_abs_error: max,
            rel_l2_per_output: per.as_ref().map(|p| p.0.clone()),
            max_abs_error_per_output: per.map(|p| p.1),
            final_loss,
            iterations,
            termination: termination.into(),
            wall_time_s,
        }
    }
}

/// One solver iteration, as recorded in `/history`. Quantities a solver does not have
/// (e.g. `damping` for a line-search method, `rho` for a method without a trust
/// region) are NaN.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistoryRow {
    pub iteration: u64,
    pub loss: f64,
    /// `None` when the problem has no exact solution; must be `Some` exactly when the
    /// history was created with a `rel_l2` column.
    pub rel_l2: Option<f64>,
    pub grad_norm: f64,
    pub step_norm: f64,
    pub damping: f64,
    pub step_size: f64,
    /// Ratio of actual to predicted reduction.
    pub rho: f64,
    pub accepted: bool,
    pub wall_time_s: f64,
}

/// Per-iteration history: named f64 columns of equal length K.
///
/// The standard columns are [`History::STANDARD`] (always present, in that order),
/// then `rel_l2` when the problem has an exact solution, then any extra columns in
/// the order they were declared. Integer and boolean quantities (`iteration`,
/// `accepted`) are stored as f64 (exact below 2^53) so every column has one type.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    names: Vec<String>,
    columns: Vec<Vec<f64>>,
    has_rel_l2: bool,
    n_extra: usize,
}

/// A history that cannot be assembled from the given columns.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HistoryError {
    #[error("history column `{0}` is missing")]
    MissingColumn(String),
    #[error("history column `{0}` appears twice")]
    DuplicateColumn(String),
    #[error("history column `{name}` has {len} entries, `iteration` has {expected}")]
    LengthMismatch {
        name: String,
        len: usize,
        expected: usize,
    },
}

impl History {
    /// Columns every history has, in file order.
    pub const STANDARD: [&'static str; 9] = [
        "iteration",
        "loss",
        "grad_norm",
        "step_norm",
        "damping",
        "step_size",
        "rho",
        "accepted",
        "wall_time_s",
    ];
    /// The optional column present exactly when an exact solution exists.
    pub const REL_L2: &'static str = "rel_l2";

    /// An empty history with the standard columns, `rel_l2` if `with_rel_l2`, and the
    /// given extra columns (e.g. `"cg_iterations"`).
    ///
    /// # Panics
    /// If an extra name repeats or collides with a standard one (contract violation).
    pub fn new(with_rel_l2: bool, extras: &[&str]) -> Self {
        let mut names: Vec<String> = Self::STANDARD.iter().map(|s| s.to_string()).collect();
        if with_rel_l2 {
            names.push(Self::REL_L2.to_string());
        }
        for e in extras {
            assert!(
                !names.iter().any(|n| n == e) && *e != Self::REL_L2,
                "duplicate or reserved history column `{e}`"
            );
            names.push(e.to_string());
        }
        let columns = vec![Vec::new(); names.len()];
        Self {
            names,
            columns,
            has_rel_l2: with_rel_l2,
            n_extra: extras.len(),
        }
    }

    /// Assembles a history from named columns in any order (how the reader rebuilds
    /// it). Standard columns are required; a column named `rel_l2` sets
    /// [`has_rel_l2`](Self::has_rel_l2); all others are extras, kept in the given order.
    pub fn from_columns(cols: Vec<(String, Vec<f64>)>) -> Result<Self, HistoryError> {
        let mut seen = std::collections::HashSet::new();
        for (n, _) in &cols {
            if !seen.insert(n.as_str()) {
                return Err(HistoryError::DuplicateColumn(n.clone()));
            }
        }
        let mut map: Vec<Option<(String, Vec<f64>)>> = cols.into_iter().map(Some).collect();
        let mut take = |name: &str| -> Option<Vec<f64>> {
            map.iter_mut()
                .find(|c| c.as_ref().is_some_and(|(n, _)| n == name))
                .and_then(|c| c.take())
                .map(|(_, v)| v)
        };
        let mut names = Vec::new();
        let mut columns = Vec::new();
        for s in Self::STANDARD {
            let v = take(s).ok_or_else(|| HistoryError::MissingColumn(s.to_string()))?;
            names.push(s.to_string());
            columns.push(v);
        }
        let has_rel_l2 = if let Some(v) = take(Self::REL_L2) {
            names.push(Self::REL_L2.to_string());
            columns.push(v);
            true
        } else {
            false
        };
        let mut n_extra = 0;
        for (n, v) in map.into_iter().flatten() {
            names.push(n);
            columns.push(v);
            n_extra += 1;
        }
        let expected = columns[0].len();
        for (n, c) in names.iter().zip(&columns) {
            if c.len() != expected {
                return Err(HistoryError::LengthMismatch {
                    name: n.clone(),
                    len: c.len(),
                    expected,
                });
            }
        }
        Ok(Self {
            names,
            columns,
            has_rel_l2,
            n_extra,
        })
    }

    /// Appends one iteration.
    ///
    /// # Panics
    /// If `row.rel_l2.is_some() != self.has_rel_l2()` or `extras.len()` differs from
    /// the number of extra columns (contract violations).
    pub fn push(&mut self, row: &HistoryRow, extras: &[f64]) {
        assert_eq!(
            row.rel_l2.is_some(),
            self.has_rel_l2,
            "rel_l2 given iff the column exists"
        );
        assert_eq!(
            extras.len(),
            self.n_extra,
            "one value per extra history column"
        );
        let standard = [
            row.iteration as f64,
            row.loss,
            row.grad_norm,
            row.step_norm,
            row.damping,
            row.step_size,
            row.rho,
            if row.accepted { 1.0 } else { 0.0 },
            row.wall_time_s,
        ];
        let values = standard
            .into_iter()
            .chain(row.rel_l2)
            .chain(extras.iter().copied());
        for (c, v) in self.columns.iter_mut().zip(values) {
            c.push(v);
        }
    }

    /// Number of recorded iterations K.
    pub fn len(&self) -> usize {
        self.columns[0].len()
    }

    /// True when no iteration has been recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the `rel_l2` column exists.
    pub fn has_rel_l2(&self) -> bool {
        self.has_rel_l2
    }

    /// All columns in file order: standard, `rel_l2`, extras.
    pub fn columns(&self) -> impl Iterator<Item = (&str, &[f64])> {
        self.names
            .iter()
            .map(String::as_str)
            .zip(self.columns.iter().map(Vec::as_slice))
    }

    /// One column by name.
    pub fn column(&self, name: &str) -> Option<&[f64]> {
        self.columns().find(|(n, _)| *n == name).map(|(_, c)| c)
    }
}

/// Formats a time as ISO 8601 UTC with second resolution, `YYYY-MM-DDThh:mm:ssZ`, for
/// the root `created` attribute (no date crate needed for this one conversion).
///
/// # Math
/// Days since 1970-01-01 to a proleptic Gregorian date by Hinnant's `civil_from_days`
/// (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms", 2013): shift the epoch
/// to 0000-03-01 so leap days fall at the end of a 400-year era of 146097 days.
/// Times before 1970 are clamped to the epoch.
pub fn iso8601_utc(t: std::time::SystemTime) -> String {
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097; // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11], March = 0
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn iso8601_known_dates() {
        let at = |s: u64| iso8601_utc(UNIX_EPOCH + Duration::from_secs(s));
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        // `date -u -d @951782400` = Tue Feb 29 00:00:00 UTC 2000 (leap day, 400-year rule).
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
        // `date -u -d @1709251199` = Thu Feb 29 23:59:59 UTC 2024.
        assert_eq!(at(1_709_251_199), "2024-02-29T23:59:59Z");
        // 2100 is not a leap year: 2100-02-28 23:59:59 + 1 s = 2100-03-01.
        assert_eq!(at(4_107_542_400), "2100-03-01T00:00:00Z");
        assert_eq!(at(4_107_542_399), "2100-02-28T23:59:59Z");
        // Year-end rollover: 2026-12-31T23:59:59Z = 1798761599.
        assert_eq!(at(1_798_761_599), "2026-12-31T23:59:59Z");
    }

    #[test]
    fn metrics_match_hand_computation() {
        // u − u* = [[3], [4]] and u* = [[0], [5]] (3-4-5 triangle): ‖e‖ = 5, ‖u*‖ = 5.
        let u = Mat::from_fn(2, 1, |i, _| [3.0, 9.0][i]);
        let ue = Mat::from_fn(2, 1, |i, _| [0.0, 5.0][i]);
        assert_eq!(rel_l2(&u, &ue), 1.0);
        assert_eq!(max_abs_error(&u, &ue), 4.0);
        let e = pointwise_error(&u, &ue);
        assert_eq!((e[(0, 0)], e[(1, 0)]), (3.0, 4.0));
    }

    #[test]
    fn rel_l2_does_not_underflow_or_overflow() {
        // Naive sum of squares of 1e-170 underflows to 0 (1e-340 < f64::MIN_POSITIVE)
        // and of 1e170 overflows; a scaled norm gets the exact ratio 1e-170/1 etc.
        let tiny = Mat::from_fn(4, 1, |_, _| 1e-170);
        let zero = Mat::<f64>::zeros(4, 1);
        let twice = Mat::from_fn(4, 1, |_, _| 2e-170);
        let r = rel_l2(&twice, &tiny); // ‖tiny‖ / ‖tiny‖ = 1
        assert!((r - 1.0).abs() < 1e-15, "{r}");
        assert_eq!(rel_l2(&zero, &tiny), 1.0);
        let huge = Mat::from_fn(4, 1, |_, _| 1e170);
        let r = rel_l2(&Mat::from_fn(4, 1, |_, _| 1.5e170), &huge);
        assert!((r - 0.5).abs() < 1e-15, "{r}");
    }

    #[test]
    fn max_abs_error_propagates_nan() {
        let u = Mat::from_fn(3, 1, |i, _| if i == 1 { f64::NAN } else { 0.0 });
        let ue = Mat::<f64>::zeros(3, 1);
        assert!(max_abs_error(&u, &ue).is_nan());
        assert!(rel_l2(&u, &ue).is_nan());
    }

    fn row(k: u64) -> HistoryRow {
        HistoryRow {
            iteration: k,
            loss: 1.0 / (k as f64 + 1.0),
            rel_l2: Some(0.5),
            grad_norm: 2.0,
            step_norm: 3.0,
            damping: f64::NAN,
            step_size: 1.0,
            rho: 0.9,
            accepted: k.is_multiple_of(2),
            wall_time_s: 0.1 * k as f64,
        }
    }

    #[test]
    fn history_push_and_lookup() {
        let mut h = History::new(true, &["cg_iterations"]);
        assert!(h.is_empty());
        h.push(&row(0), &[7.0]);
        h.push(&row(1), &[8.0]);
        assert_eq!(h.len(), 2);
        assert_eq!(h.column("iteration").unwrap(), &[0.0, 1.0]);
        assert_eq!(h.column("accepted").unwrap(), &[1.0, 0.0]);
        assert_eq!(h.column("rel_l2").unwrap(), &[0.5, 0.5]);
        assert_eq!(h.column("cg_iterations").unwrap(), &[7.0, 8.0]);
        let names: Vec<&str> = h.columns().map(|(n, _)| n).collect();
        assert_eq!(names[..9], History::STANDARD);
        assert_eq!(names[9..], ["rel_l2", "cg_iterations"]);
    }

    #[test]
    fn history_from_columns_reorders_and_validates() {
        let mut h = History::new(true, &["x"]);
        h.push(&row(0), &[1.0]);
        let mut cols: Vec<(String, Vec<f64>)> = h
            .columns()
            .map(|(n, c)| (n.to_string(), c.to_vec()))
            .collect();
        cols.reverse();
        let back = History::from_columns(cols.clone()).unwrap();
        // NaN damping makes PartialEq false; compare bit patterns.
        let bits = |h: &History| -> Vec<(String, Vec<u64>)> {
            h.columns()
                .map(|(n, c)| (n.to_string(), c.iter().map(|v| v.to_bits()).collect()))
                .collect()
        };
        assert_eq!(bits(&back), bits(&h));
        assert!(back.has_rel_l2());

        let missing: Vec<_> = cols.iter().filter(|(n, _)| n != "rho").cloned().collect();
        assert_eq!(
            History::from_columns(missing),
            Err(HistoryError::MissingColumn("rho".into()))
        );
        let mut dup = cols.clone();
        dup.push(("x".into(), vec![2.0]));
        assert_eq!(
            History::from_columns(dup),
            Err(HistoryError::DuplicateColumn("x".into()))
        );
        let mut short = cols;
        short[0].1.push(3.0);
        assert!(matches!(
            History::from_columns(short),
            Err(HistoryError::LengthMismatch { .. })
        ));
    }

    #[test]
    #[should_panic(expected = "rel_l2 given iff")]
    fn history_push_rejects_inconsistent_rel_l2() {
        let mut h = History::new(false, &[]);
        h.push(&row(0), &[]);
    }
}
