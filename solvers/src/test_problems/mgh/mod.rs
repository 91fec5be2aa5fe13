//! Moré–Garbow–Hillstrom test functions as least-squares problems.
//!
//! J. J. Moré, B. S. Garbow, K. E. Hillstrom, "Testing unconstrained optimization
//! software", ACM TOMS 7 (1981) 17–41. Each problem is `f(x) = Σ_{i=1}^m f_i(x)²` there;
//! our loss is `½‖r‖²`, so every minimum value below is **half** MGH's. Starting points
//! are MGH's standard `x0` (factor 1).
//!
//! Known minima are MGH's values; where MGH give only 6 digits, more digits come from
//! independent published solutions (GSL's multifit test suite, the optimagic
//! benchmark set, gonum's optimize/functions), each agreeing with MGH's 6 digits. The
//! relative precision of each reference is recorded in [`MghProblem::reference_precision`],
//! so a test never demands more than the reference can show.

mod functions;

use crate::LeastSquares;
use faer::MatMut;
use functions::Sink;

/// The MGH functions coded here (MGH's number in brackets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MghFunction {
    /// (1) n = 2, m = 2.
    Rosenbrock,
    /// (2) n = 2, m = 2.
    FreudensteinRoth,
    /// (3) n = 2, m = 2.
    PowellBadlyScaled,
    /// (4) n = 2, m = 3.
    BrownBadlyScaled,
    /// (5) n = 2, m = 3.
    Beale,
    /// (6) n = 2, m = 10.
    JennrichSampson,
    /// (7) n = 3, m = 3.
    HelicalValley,
    /// (8) n = 3, m = 15.
    Bard,
    /// (9) n = 3, m = 15.
    Gaussian,
    /// (10) n = 3, m = 16.
    Meyer,
    /// (11) n = 3, m = 99 (MGH allow n ≤ m ≤ 100; 99 uses all but the degenerate t = 1).
    Gulf,
    /// (12) n = 3, m = 10.
    Box3d,
    /// (13) n = 4, m = 4.
    PowellSingular,
    /// (14) n = 4, m = 6.
    Wood,
    /// (15) n = 4, m = 11.
    KowalikOsborne,
    /// (16) n = 4, m = 20.
    BrownDennis,
    /// (17) n = 5, m = 33.
    Osborne1,
    /// (18) n = 6, m = 13.
    BiggsExp6,
    /// (19) n = 11, m = 65.
    Osborne2,
    /// (20) n = 6 or 9, m = 31.
    Watson,
    /// (21) n even, m = n.
    ExtendedRosenbrock,
    /// (22) n multiple of 4, m = n.
    ExtendedPowell,
    /// (23) m = n + 1.
    PenaltyI,
    /// (24) m = 2n.
    PenaltyII,
    /// (25) m = n + 2.
    VariablyDimensioned,
    /// (27) m = n.
    BrownAlmostLinear,
    /// (28) m = n.
    DiscreteBoundaryValue,
    /// (29) m = n.
    DiscreteIntegralEquation,
    /// (30) m = n.
    BroydenTridiagonal,
    /// (31) m = n.
    BroydenBanded,
    /// (32) m ≥ n.
    LinearFullRank,
    /// (33) m ≥ n.
    LinearRank1,
    /// (34) m ≥ n.
    LinearRank1ZeroColumnsRows,
}

/// One MGH function at a fixed size `(n, m)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MghProblem {
    /// Which function.
    pub function: MghFunction,
    n: usize,
    m: usize,
}

impl MghProblem {
    /// A function at size `(n, m)`: the fixed size for fixed-size functions, or one
    /// satisfying MGH's constraints for variable ones (a contract: asserted).
    pub fn new(function: MghFunction, n: usize, m: usize) -> Self {
        use MghFunction::*;
        let ok = match function {
            Rosenbrock | FreudensteinRoth | PowellBadlyScaled => (n, m) == (2, 2),
            BrownBadlyScaled | Beale => (n, m) == (2, 3),
            JennrichSampson => n == 2 && m >= 2,
            HelicalValley => (n, m) == (3, 3),
            Bard | Gaussian => (n, m) == (3, 15),
            Meyer => (n, m) == (3, 16),
            Gulf => n == 3 && (3..=100).contains(&m),
            Box3d => n == 3 && m >= 3,
            PowellSingular => (n, m) == (4, 4),
            Wood => (n, m) == (4, 6),
            KowalikOsborne => (n, m) == (4, 11),
            BrownDennis => n == 4 && m >= 4,
            Osborne1 => (n, m) == (5, 33),
            BiggsExp6 => n == 6 && m >= 6,
            Osborne2 => (n, m) == (11, 65),
            Watson => (2..=31).contains(&n) && m == 31,
            ExtendedRosenbrock => n >= 2 && n.is_multiple_of(2) && m == n,
            ExtendedPowell => n >= 4 && n.is_multiple_of(4) && m == n,
            PenaltyI => n >= 1 && m == n + 1,
            PenaltyII => n >= 2 && m == 2 * n,
            VariablyDimensioned => n >= 1 && m == n + 2,
            BrownAlmostLinear
            | DiscreteBoundaryValue
            | DiscreteIntegralEquation
            | BroydenTridiagonal
            | BroydenBanded => n >= 2 && m == n,
            LinearFullRank | LinearRank1 => n >= 1 && m >= n,
            LinearRank1ZeroColumnsRows => n >= 3 && m >= n,
        };
        assert!(ok, "MGH {function:?}: invalid size n = {n}, m = {m}");
        MghProblem { function, n, m }
    }

    /// `n`.
    pub fn n(&self) -> usize {
        self.n
    }

    /// `m`.
    pub fn m(&self) -> usize {
        self.m
    }

    /// A readable name with the size, e.g. `"watson(n=9)"`.
    pub fn name(&self) -> String {
        use MghFunction::*;
        let base = format!("{:?}", self.function);
        match self.function {
            Watson
            | ExtendedRosenbrock
            | ExtendedPowell
            | PenaltyI
            | PenaltyII
            | VariablyDimensioned
            | BrownAlmostLinear
            | DiscreteBoundaryValue
            | DiscreteIntegralEquation
            | BroydenTridiagonal
            | BroydenBanded => {
                format!("{base}(n={})", self.n)
            }
            LinearFullRank
            | LinearRank1
            | LinearRank1ZeroColumnsRows
            | Gulf
            | Box3d
            | JennrichSampson
            | BrownDennis
            | BiggsExp6 => {
                format!("{base}(n={},m={})", self.n, self.m)
            }
            _ => base,
        }
    }

    /// MGH's standard starting point.
    pub fn standard_start(&self) -> Vec<f64> {
        use MghFunction::*;
        let n = self.n;
        let h = 1.0 / (n + 1) as f64;
        match self.function {
            Rosenbrock => vec![-1.2, 1.0],
            FreudensteinRoth => vec![0.5, -2.0],
            PowellBadlyScaled => vec![0.0, 1.0],
            BrownBadlyScaled | Beale => vec![1.0, 1.0],
            JennrichSampson => vec![0.3, 0.4],
            HelicalValley => vec![-1.0, 0.0, 0.0],
            Bard => vec![1.0, 1.0, 1.0],
            Gaussian => vec![0.4, 1.0, 0.0],
            Meyer => vec![0.02, 4000.0, 250.0],
            Gulf => vec![5.0, 2.5, 0.15],
            Box3d => vec![0.0, 10.0, 20.0],
            PowellSingular => vec![3.0, -1.0, 0.0, 1.0],
            Wood => vec![-3.0, -1.0, -3.0, -1.0],
            KowalikOsborne => vec![0.25, 0.39, 0.415, 0.39],
            BrownDennis => vec![25.0, 5.0, -5.0, -1.0],
            Osborne1 => vec![0.5, 1.5, -1.0, 0.01, 0.02],
            BiggsExp6 => vec![1.0, 2.0, 1.0, 1.0, 1.0, 1.0],
            Osborne2 => vec![1.3, 0.65, 0.65, 0.7, 0.6, 3.0, 5.0, 7.0, 2.0, 4.5, 5.5],
            Watson => vec![0.0; n],
            ExtendedRosenbrock => (0..n)
                .map(|k| if k % 2 == 0 { -1.2 } else { 1.0 })
                .collect(),
            ExtendedPowell => (0..n).map(|k| [3.0, -1.0, 0.0, 1.0][k % 4]).collect(),
            PenaltyI => (1..=n).map(|k| k as f64).collect(),
            PenaltyII => vec![0.5; n],
            VariablyDimensioned => (1..=n).map(|k| 1.0 - k as f64 / n as f64).collect(),
            BrownAlmostLinear => vec![0.5; n],
            DiscreteBoundaryValue | DiscreteIntegralEquation => (1..=n)
                .map(|k| {
                    let t = k as f64 * h;
                    t * (t - 1.0)
                })
                .collect(),
            BroydenTridiagonal | BroydenBanded => vec![-1.0; n],
            LinearFullRank | LinearRank1 | LinearRank1ZeroColumnsRows => vec![1.0; n],
        }
    }

    /// Known local minima of `½‖r‖²` (half MGH's `f`). The first is the one MGH report
    /// for the standard start; further entries are other minima a solver may
    /// legitimately reach from it (Freudenstein–Roth: the global minimum 0 besides
    /// the local 24.49…; Biggs EXP6: the global 0 besides MGH's 2.83e-3).
    #[allow(clippy::excessive_precision)] // reference digits kept as published
    pub fn known_minima(&self) -> Vec<f64> {
        use MghFunction::*;
        let (n, m) = (self.n as f64, self.m as f64);
        let mgh_f: Vec<f64> = match self.function {
            FreudensteinRoth => vec![48.984_253_679_240_013, 0.0],
            JennrichSampson if self.m == 10 => vec![124.362_182_355_614_8],
            Bard => vec![8.214_877_306_578_97e-3],
            Gaussian => vec![1.127_932_769_618_719_85e-8],
            Meyer => vec![87.945_855_170_395_831],
            KowalikOsborne => vec![3.075_056_038_492_370e-4],
            BrownDennis if self.m == 20 => vec![85_822.201_626_356_3],
            Osborne1 => vec![5.464_894_697_482_687e-5],
            BiggsExp6 if self.m == 13 => vec![5.655_649_925_500_2e-3, 0.0],
            Osborne2 => vec![4.013_773_629_354_77e-2],
            Watson if self.n == 6 => vec![2.287_670_053_552_372e-3],
            Watson if self.n == 9 => vec![1.399_760_138_096_796e-6],
            PenaltyI if self.n == 4 => vec![2.249_977_500_899_94e-5],
            PenaltyI if self.n == 10 => vec![7.087_651_467_090_379_93e-5],
            PenaltyII if self.n == 4 => vec![9.376_293_007_355_442_19e-6],
            LinearFullRank => vec![m - n],
            LinearRank1 => vec![m * (m - 1.0) / (2.0 * (2.0 * m + 1.0))],
            LinearRank1ZeroColumnsRows => vec![(m * m + 3.0 * m - 6.0) / (2.0 * (2.0 * m - 3.0))],
            Rosenbrock
            | PowellBadlyScaled
            | BrownBadlyScaled
            | Beale
            | HelicalValley
            | Gulf
            | Box3d
            | PowellSingular
            | Wood
            | ExtendedRosenbrock
            | ExtendedPowell
            | VariablyDimensioned
            | BrownAlmostLinear
            | DiscreteBoundaryValue
            | DiscreteIntegralEquation
            | BroydenTridiagonal
            | BroydenBanded => vec![0.0],
            JennrichSampson | BrownDennis | BiggsExp6 | Watson | PenaltyI | PenaltyII => {
                panic!("no known minimum coded for {}", self.name())
            }
        };
        mgh_f.into_iter().map(|f| 0.5 * f).collect()
    }

    /// Relative precision of the first known minimum (0 for exact values): the
    /// published digits, so that tests can ask for agreement to that level only.
    pub fn reference_precision(&self) -> f64 {
        use MghFunction::*;
        match self.function {
            // Meyer: digits agree among GSL/optimagic/NIST to ~1e-12 relative.
            Meyer | JennrichSampson | BrownDennis | BiggsExp6 => 1e-12,
            Bard | Gaussian | KowalikOsborne | Osborne1 | Osborne2 | FreudensteinRoth => 1e-13,
            Watson | PenaltyI | PenaltyII => 1e-12,
            _ => 0.0,
        }
    }

    /// Whether the minimum MGH report for the standard start has zero residual.
    pub fn is_zero_residual(&self) -> bool {
        self.known_minima()[0] == 0.0
    }

    /// A minimiser, where the literature gives one to full precision (unique up to
    /// the symmetry noted), for checking the function definitions.
    #[allow(clippy::excessive_precision)] // reference digits kept as published
    pub fn known_minimiser(&self) -> Option<Vec<f64>> {
        use MghFunction::*;
        let n = self.n;
        Some(match self.function {
            Rosenbrock => vec![1.0, 1.0],
            BrownBadlyScaled => vec![1e6, 2e-6],
            Beale => vec![3.0, 0.5],
            HelicalValley => vec![1.0, 0.0, 0.0],
            Gulf => vec![50.0, 25.0, 1.5],
            Box3d => vec![1.0, 10.0, 1.0],
            PowellSingular => vec![0.0; 4],
            Wood => vec![1.0; 4],
            BiggsExp6 => vec![1.0, 10.0, 1.0, 5.0, 4.0, 3.0],
            ExtendedRosenbrock | VariablyDimensioned | BrownAlmostLinear => vec![1.0; n],
            ExtendedPowell => vec![0.0; n],
            LinearFullRank => vec![-1.0; n],
            // GSL multifit test suite.
            Gaussian => vec![0.398_956_137_838_762_825, 1.000_019_084_487_866_47, 0.0],
            KowalikOsborne => vec![
                1.928_069_345_723_978e-1,
                1.912_823_290_344_599e-1,
                1.230_565_070_690_708e-1,
                1.360_623_308_065_148e-1,
            ],
            Watson if n == 6 => vec![
                -1.572_508_640_629_858e-2,
                1.012_434_869_366_059,
                -2.329_916_259_263_380e-1,
                1.260_430_087_686_035,
                -1.513_728_922_580_576,
                9.929_964_323_646_112e-1,
            ],
            // NIST StRD MGH10 certified values (the same problem).
            Meyer => vec![5.609_636_471e-3, 6.181_346_346_3e3, 3.452_236_346_2e2],
            // Optimagic's benchmark set.
            JennrichSampson if self.m == 10 => vec![0.257_825_213_568_616_2; 2],
            _ => return None,
        })
    }

    fn eval(&self, x: &[f64], r: &mut [f64], jac: Option<MatMut<'_, f64>>) {
        use MghFunction::*;
        use functions as f;
        assert_eq!(x.len(), self.n, "{}: x has the wrong length", self.name());
        assert_eq!(r.len(), self.m, "{}: r has the wrong length", self.name());
        let mut j = Sink::new(jac);
        let j = &mut j;
        match self.function {
            Rosenbrock => f::rosenbrock(x, r, j),
            FreudensteinRoth => f::freudenstein_roth(x, r, j),
            PowellBadlyScaled => f::powell_badly_scaled(x, r, j),
            BrownBadlyScaled => f::brown_badly_scaled(x, r, j),
            Beale => f::beale(x, r, j),
            JennrichSampson => f::jennrich_sampson(x, r, j),
            HelicalValley => f::helical_valley(x, r, j),
            Bard => f::bard(x, r, j),
            Gaussian => f::gaussian(x, r, j),
            Meyer => f::meyer(x, r, j),
            Gulf => f::gulf(x, r, j),
            Box3d => f::box_3d(x, r, j),
            PowellSingular => f::powell_singular(x, r, j),
            Wood => f::wood(x, r, j),
            KowalikOsborne => f::kowalik_osborne(x, r, j),
            BrownDennis => f::brown_dennis(x, r, j),
            Osborne1 => f::osborne1(x, r, j),
            BiggsExp6 => f::biggs_exp6(x, r, j),
            Osborne2 => f::osborne2(x, r, j),
            Watson => f::watson(x, r, j),
            ExtendedRosenbrock => f::extended_rosenbrock(x, r, j),
            ExtendedPowell => f::extended_powell(x, r, j),
            PenaltyI => f::penalty1(x, r, j),
            PenaltyII => f::penalty2(x, r, j),
            VariablyDimensioned => f::variably_dimensioned(x, r, j),
            BrownAlmostLinear => f::brown_almost_linear(x, r, j),
            DiscreteBoundaryValue => f::discrete_boundary_value(x, r, j),
            DiscreteIntegralEquation => f::discrete_integral_equation(x, r, j),
            BroydenTridiagonal => f::broyden_tridiagonal(x, r, j),
            BroydenBanded => f::broyden_banded(x, r, j),
            LinearFullRank => f::linear_full_rank(x, r, j),
            LinearRank1 => f::linear_rank1(x, r, j),
            LinearRank1ZeroColumnsRows => f::linear_rank1_zero(x, r, j),
        }
    }
}

impl LeastSquares for MghProblem {
    fn n_params(&self) -> usize {
        self.n
    }
    fn n_residuals(&self) -> usize {
        self.m
    }
    fn residuals(&self, theta: &[f64], r: &mut [f64]) {
        self.eval(theta, r, None);
    }
    fn residuals_and_jacobian(&self, theta: &[f64], r: &mut [f64], jac: MatMut<'_, f64>) {
        assert_eq!((jac.nrows(), jac.ncols()), (self.m, self.n));
        self.eval(theta, r, Some(jac));
    }
}

/// The standard set: 35 instances of 33 MGH functions, each with a known minimum.
pub fn standard_set() -> Vec<MghProblem> {
    use MghFunction::*;
    [
        (Rosenbrock, 2, 2),
        (FreudensteinRoth, 2, 2),
        (PowellBadlyScaled, 2, 2),
        (BrownBadlyScaled, 2, 3),
        (Beale, 2, 3),
        (JennrichSampson, 2, 10),
        (HelicalValley, 3, 3),
        (Bard, 3, 15),
        (Gaussian, 3, 15),
        (Meyer, 3, 16),
        (Gulf, 3, 99),
        (Box3d, 3, 10),
        (PowellSingular, 4, 4),
        (Wood, 4, 6),
        (KowalikOsborne, 4, 11),
        (BrownDennis, 4, 20),
        (Osborne1, 5, 33),
        (BiggsExp6, 6, 13),
        (Osborne2, 11, 65),
        (Watson, 6, 31),
        (Watson, 9, 31),
        (ExtendedRosenbrock, 10, 10),
        (ExtendedPowell, 12, 12),
        (PenaltyI, 4, 5),
        (PenaltyI, 10, 11),
        (PenaltyII, 4, 8),
        (VariablyDimensioned, 10, 12),
        (BrownAlmostLinear, 10, 10),
        (DiscreteBoundaryValue, 10, 10),
        (DiscreteIntegralEquation, 10, 10),
        (BroydenTridiagonal, 10, 10),
        (BroydenBanded, 10, 10),
        (LinearFullRank, 5, 10),
        (LinearRank1, 5, 10),
        (LinearRank1ZeroColumnsRows, 5, 10),
    ]
    .into_iter()
    .map(|(f, n, m)| MghProblem::new(f, n, m))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::half_squared_norm;

    fn loss(p: &MghProblem, x: &[f64]) -> f64 {
        let mut r = vec![0.0; p.m()];
        p.residuals(x, &mut r);
        half_squared_norm(&r)
    }

    fn check_jacobian(p: &MghProblem, x: &[f64]) {
        let (n, m) = (p.n(), p.m());
        let mut r = vec![0.0; m];
        let mut jac = faer::Mat::<f64>::from_fn(m, n, |_, _| f64::NAN);
        p.residuals_and_jacobian(x, &mut r, jac.as_mut());
        let mut r0 = vec![0.0; m];
        p.residuals(x, &mut r0);
        assert_eq!(r, r0, "{}: residuals differ between entry points", p.name());
        for k in 0..n {
            let h = 1e-6 * x[k].abs().max(1e-3);
            let (mut xp, mut xm) = (x.to_vec(), x.to_vec());
            xp[k] += h;
            xm[k] -= h;
            let (mut rp, mut rm) = (vec![0.0; m], vec![0.0; m]);
            p.residuals(&xp, &mut rp);
            p.residuals(&xm, &mut rm);
            let scale = (0..m).map(|i| jac[(i, k)].abs()).fold(1e-8, f64::max);
            for i in 0..m {
                let fd = (rp[i] - rm[i]) / (2.0 * h);
                let tol = 1e-6 * scale + 10.0 * f64::EPSILON * r0[i].abs() / h;
                assert!(
                    (jac[(i, k)] - fd).abs() <= tol,
                    "{} J[{i},{k}] = {} vs fd {fd} at {x:?}",
                    p.name(),
                    jac[(i, k)]
                );
            }
        }
    }

    #[test]
    fn standard_set_has_at_least_25_functions() {
        let set = standard_set();
        let mut kinds: Vec<String> = set.iter().map(|p| format!("{:?}", p.function)).collect();
        kinds.dedup();
        assert!(kinds.len() >= 25, "{} functions", kinds.len());
    }

    /// Analytic Jacobians against central differences at the standard start and at a
    /// generic point near it (so that no entry is trivially zero by symmetry).
    #[test]
    fn jacobians_match_central_differences() {
        for p in standard_set() {
            let x0 = p.standard_start();
            check_jacobian(&p, &x0);
            let shifted: Vec<f64> = x0
                .iter()
                .enumerate()
                .map(|(k, v)| v + 0.01 * (1.0 + v.abs()) * (1.0 + 0.1 * k as f64))
                .collect();
            check_jacobian(&p, &shifted);
        }
    }

    /// The loss at a published minimiser equals the published minimum: validates each
    /// function definition and its data.
    #[test]
    fn known_minimisers_give_known_minima() {
        let mut checked = 0;
        for p in standard_set() {
            let Some(x) = p.known_minimiser() else {
                continue;
            };
            let f = loss(&p, &x);
            let f_star = p.known_minima()[0];
            let f_star = if p.function == MghFunction::BiggsExp6 {
                0.0 // the published minimiser is the global one
            } else {
                f_star
            };
            // The published minimisers carry 10–16 digits; the loss is flat there, so
            // its error is second order in theirs.
            assert!(
                (f - f_star).abs() <= 1e-9 * f_star + 1e-20,
                "{}: loss {f:e} at the minimiser vs {f_star:e}",
                p.name()
            );
            checked += 1;
        }
        assert!(checked >= 15, "only {checked} minimisers checked");
    }

    /// MGH report `f(x0)` for some standard starts; those values check the start and
    /// the function together (Watson: f(0) = 30 since every f_i = −1 except f_30 = 0).
    #[test]
    fn losses_at_standard_starts() {
        use MghFunction::*;
        // (function, n, m, MGH f(x0) = Σ r²), from optimagic's "start_criterion".
        let cases = [
            (Rosenbrock, 2, 2, 24.2),
            (HelicalValley, 3, 3, 2500.0),
            (PowellSingular, 4, 4, 215.0),
            (FreudensteinRoth, 2, 2, 400.5),
            (LinearFullRank, 9, 45, 72.0),
            (Watson, 6, 31, 30.0),
        ];
        for (f, n, m, sum_sq) in cases {
            let p = MghProblem::new(f, n, m);
            let l = loss(&p, &p.standard_start());
            assert!(
                (l - 0.5 * sum_sq).abs() <= 1e-12 * sum_sq,
                "{}: {l}",
                p.name()
            );
        }
    }

    #[test]
    #[should_panic(expected = "invalid size")]
    fn invalid_size_is_rejected() {
        let _ = MghProblem::new(MghFunction::ExtendedPowell, 6, 6);
    }
}
