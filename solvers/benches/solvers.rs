//! One iteration of each method at the benchmark sizes (N × P = 1020 × 257,
//! 3500 × 10065, 8000 × 3000), through the real loop (`Solver::step` on a linear
//! least-squares problem with a fixed dense J), next to faer's plain product `JᵀJ` on
//! the same matrix for a GFLOP/s reference.
//!
//! Nominal flop counts used for GFLOP/s in benches/RESULTS.md (dominant terms):
//! - LM + QR: `2NP² − ⅔P³` (QR of J) + `2(k+P)P² − ⅔P³` (QR of `[R; √λD̃]`, k = min(N, P));
//! - LM + Cholesky: `NP²` (`JᵀJ`, one triangle) + `P³/3` (`LLᵀ`);
//! - LM + sample space: `N²P` (`JJᵀ`, one triangle) + `N³/3`;
//! - ENGD (spectral, parameter space when N ≥ P, sample space otherwise):
//!   `N·min(N,P)·max(N,P)` for the Gramian + `9·min(N,P)³` for the eigendecomposition
//!   with vectors (Golub & Van Loan's estimate);
//! - reference: `2NP²` for the full `JᵀJ` product.
//!
//! Run: `cargo bench -p pinn-solvers --bench solvers` (uses all rayon threads).

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatMut, Par};
use pinn_solvers::config::{LinearSolverKind, Scaling};
use pinn_solvers::{LeastSquares, Solver, SolverConfig};

fn main() {
    divan::main();
}

const SIZES: [(usize, usize); 3] = [(1020, 257), (3500, 10065), (8000, 3000)];
const TALL: [(usize, usize); 2] = [(1020, 257), (8000, 3000)];

/// `r = Jθ − b` with a fixed, seeded, well-conditioned dense `J`.
struct Linear {
    j: Mat<f64>,
    b: Vec<f64>,
}

impl Linear {
    fn new(n: usize, p: usize) -> Self {
        let mut state = 0x9E37_79B9_7F4A_7C15u64 ^ (n as u64 * 31 + p as u64);
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        };
        let j = Mat::from_fn(n, p, |_, _| next());
        let b = (0..n).map(|_| next()).collect();
        Self { j, b }
    }
}

impl LeastSquares for Linear {
    fn n_params(&self) -> usize {
        self.j.ncols()
    }
    fn n_residuals(&self) -> usize {
        self.j.nrows()
    }
    fn residuals(&self, theta: &[f64], r: &mut [f64]) {
        let n = r.len();
        matmul(
            MatMut::from_column_major_slice_mut(r, n, 1),
            Accum::Replace,
            self.j.as_ref(),
            faer::MatRef::from_column_major_slice(theta, theta.len(), 1),
            1.0,
            Par::rayon(0),
        );
        for (ri, bi) in r.iter_mut().zip(&self.b) {
            *ri -= bi;
        }
    }
    fn residuals_and_jacobian(&self, theta: &[f64], r: &mut [f64], mut jac: MatMut<'_, f64>) {
        self.residuals(theta, r);
        jac.copy_from(&self.j);
    }
}

fn one_iteration(bencher: divan::Bencher, (n, p): (usize, usize), config: SolverConfig) {
    let mut problem = Linear::new(n, p);
    let theta0 = vec![0.0; p];
    bencher
        .with_inputs(|| Solver::init(&mut Shape { n, p }, &theta0, &config).unwrap())
        .bench_local_values(|mut s| {
            let rec = s.step(&mut problem);
            assert!(rec.is_some());
            s
        });
}

/// A stand-in with the right shape for `Solver::init` (which only evaluates `r(θ₀)`),
/// so that the untimed setup does not clone the big J. The timed `step` re-evaluates
/// `r` and `J` on the real problem at θ₀ before using them.
struct Shape {
    n: usize,
    p: usize,
}

impl LeastSquares for Shape {
    fn n_params(&self) -> usize {
        self.p
    }
    fn n_residuals(&self) -> usize {
        self.n
    }
    fn residuals(&self, _: &[f64], r: &mut [f64]) {
        r.fill(1.0);
    }
    fn residuals_and_jacobian(&self, _: &[f64], r: &mut [f64], _: MatMut<'_, f64>) {
        r.fill(1.0);
    }
}

fn lm(kind: LinearSolverKind, scaling: Scaling) -> SolverConfig {
    let mut c = SolverConfig::lm();
    c.lm.linear_solver = kind;
    c.lm.scaling = scaling;
    c
}

#[divan::bench(args = TALL, sample_count = 3, sample_size = 1)]
fn lm_qr(bencher: divan::Bencher, size: (usize, usize)) {
    one_iteration(
        bencher,
        size,
        lm(LinearSolverKind::DenseQr, Scaling::Marquardt),
    );
}

#[divan::bench(args = SIZES, sample_count = 3, sample_size = 1)]
fn lm_cholesky(bencher: divan::Bencher, size: (usize, usize)) {
    one_iteration(
        bencher,
        size,
        lm(LinearSolverKind::NormalCholesky, Scaling::Marquardt),
    );
}

#[divan::bench(args = [(1020, 257), (3500, 10065)], sample_count = 3, sample_size = 1)]
fn lm_sample_space(bencher: divan::Bencher, size: (usize, usize)) {
    one_iteration(
        bencher,
        size,
        lm(LinearSolverKind::SampleSpace, Scaling::Identity),
    );
}

#[divan::bench(args = SIZES, sample_count = 3, sample_size = 1)]
fn engd(bencher: divan::Bencher, size: (usize, usize)) {
    one_iteration(bencher, size, SolverConfig::engd());
}

/// faer's plain (full, not triangular) `JᵀJ`, the GFLOP/s reference.
#[divan::bench(args = SIZES, sample_count = 3, sample_size = 1)]
fn reference_matmul_jtj(bencher: divan::Bencher, (n, p): (usize, usize)) {
    let problem = Linear::new(n, p);
    let mut g = Mat::<f64>::zeros(p, p);
    bencher.bench_local(|| {
        matmul(
            g.as_mut(),
            Accum::Replace,
            problem.j.transpose(),
            problem.j.as_ref(),
            1.0,
            Par::rayon(0),
        );
    });
}
