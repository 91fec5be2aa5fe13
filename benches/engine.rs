//! Engine benchmarks (divan): residuals alone, residuals + exact Jacobian, and the
//! Gauss–Newton matrix `JᵀJ` (lower triangle, faer `triangular::matmul`) at the same
//! sizes, for
//!
//! - poisson2d: 2 → 64 → 1 tanh, 900 interior + 120 boundary points (P = 257);
//! - poisson5d: 5 → 64 → 64 → 48 → 48 → 1 tanh, 3000 interior + 500 boundary (P = 10065).
//!
//! Interior rows read the channels `u` and `Δu` (Poisson: `r = −Δu − f`), boundary rows
//! `u` (`r = u − g`); points are uniform in the unit box and on its faces. The brief's
//! requirement: assembling `J` must take less time than forming `JᵀJ`. divan was chosen
//! for its small build. Results: benches/RESULTS.md, "Engine".

use divan::{Bencher, black_box};
use faer::linalg::matmul::triangular::{BlockStructure, matmul as tri_matmul};
use faer::{Accum, Mat, Par};
use pinn::model::{Activation, Init, Mlp};
use pinn::residual::{Channel, VarSet};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn main() {
    divan::main();
}

struct Case {
    net: Mlp,
    theta: Vec<f64>,
    interior: Mat<f64>,
    boundary: Mat<f64>,
}

impl Case {
    fn new(name: &str) -> Self {
        let (layers, n_int, n_bnd): (&[usize], usize, usize) = match name {
            "poisson2d" => (&[2, 64, 1], 900, 120),
            "poisson5d" => (&[5, 64, 64, 48, 48, 1], 3000, 500),
            _ => unreachable!("unknown case {name}"),
        };
        let d = layers[0];
        let net = Mlp::new(layers, Activation::Tanh);
        let theta = net.init(Init::XavierNormal, 0);
        let mut rng = StdRng::seed_from_u64(1);
        let interior = Mat::from_fn(n_int, d, |_, _| rng.random::<f64>());
        let mut boundary = Mat::from_fn(n_bnd, d, |_, _| rng.random::<f64>());
        for i in 0..n_bnd {
            boundary[(i, i % d)] = ((i / d) % 2) as f64;
        }
        Case {
            net,
            theta,
            interior,
            boundary,
        }
    }

    fn n_rows(&self) -> usize {
        self.interior.nrows() + self.boundary.nrows()
    }

    /// `r` (and `J` if given) for both blocks, `J` stacked interior over boundary.
    fn assemble(&self, r: &mut [f64], jac: Option<&mut Mat<f64>>) {
        let d = self.net.n_inputs();
        let n_int = self.interior.nrows();
        let w_int = (1.0 / n_int as f64).sqrt();
        let w_bnd = (1.0 / self.boundary.nrows() as f64).sqrt();
        let f = |x: &[f64]| {
            x.iter()
                .map(|v| (std::f64::consts::PI * v).sin())
                .product::<f64>()
        };
        let int_ch = [
            Channel::Value { output: 0 },
            Channel::Laplacian {
                output: 0,
                vars: VarSet::all(d),
            },
        ];
        let int_seed = move |_: usize, x: &[f64], c: &[f64], a: &mut [f64]| {
            a[1] = -w_int;
            w_int * (-c[1] - f(x))
        };
        let bnd_ch = [Channel::Value { output: 0 }];
        let bnd_seed = move |_: usize, _: &[f64], c: &[f64], a: &mut [f64]| {
            a[0] = w_bnd;
            w_bnd * c[0]
        };
        let (r_int, r_bnd) = r.split_at_mut(n_int);
        let (net, th) = (&self.net, &self.theta[..]);
        match jac {
            Some(jac) => {
                let (j_int, j_bnd) = jac.as_mut().split_at_row_mut(n_int);
                net.residuals_and_jacobian(
                    th,
                    self.interior.as_ref(),
                    &int_ch,
                    &int_seed,
                    r_int,
                    j_int,
                    false,
                );
                net.residuals_and_jacobian(
                    th,
                    self.boundary.as_ref(),
                    &bnd_ch,
                    &bnd_seed,
                    r_bnd,
                    j_bnd,
                    false,
                );
            }
            None => {
                net.residuals(th, self.interior.as_ref(), &int_ch, &int_seed, r_int, false);
                net.residuals(th, self.boundary.as_ref(), &bnd_ch, &bnd_seed, r_bnd, false);
            }
        }
    }
}

const CASES: [&str; 2] = ["poisson2d", "poisson5d"];

#[divan::bench(args = CASES, max_time = 10)]
fn residuals(bencher: Bencher, name: &str) {
    let case = Case::new(name);
    let mut r = vec![0.0; case.n_rows()];
    bencher.bench_local(|| case.assemble(black_box(&mut r), None));
}

#[divan::bench(args = CASES, max_time = 10)]
fn residuals_and_jacobian(bencher: Bencher, name: &str) {
    let case = Case::new(name);
    let mut r = vec![0.0; case.n_rows()];
    let mut jac = Mat::<f64>::zeros(case.n_rows(), case.net.n_params());
    bencher.bench_local(|| case.assemble(black_box(&mut r), Some(black_box(&mut jac))));
}

#[divan::bench(args = CASES, max_time = 10)]
fn gram_lower(bencher: Bencher, name: &str) {
    let case = Case::new(name);
    let mut r = vec![0.0; case.n_rows()];
    let mut jac = Mat::<f64>::zeros(case.n_rows(), case.net.n_params());
    case.assemble(&mut r, Some(&mut jac));
    let p = case.net.n_params();
    let mut g = Mat::<f64>::zeros(p, p);
    bencher.bench_local(|| {
        tri_matmul(
            g.as_mut(),
            BlockStructure::TriangularLower,
            Accum::Replace,
            jac.transpose(),
            BlockStructure::Rectangular,
            jac.as_ref(),
            BlockStructure::Rectangular,
            1.0,
            Par::rayon(0),
        );
        black_box(&g);
    });
}
