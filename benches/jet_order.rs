//! The cost of higher derivative orders in the jets (divan): one residual + exact
//! Jacobian evaluation of a 2 → 20 → 20 → 20 → 20 → 1 tanh network (P = 1 341) at
//! 10 000 random points of `(t, x) ∈ [0, 1]²`, for three channel sets of a 1-D-in-`x`
//! evolution equation:
//!
//! - `u_xx`:   `u, u_t, u_x, u_xx` (Burgers-like; 4 jet slots),
//! - `u_xxx`:  `u, u_t, u_x, u_xxx` (KdV-like; 5 slots: `u_xx` comes with `u_xxx`),
//! - `u_xxxx`: `u, u_t, u_x, u_xxxx` (6 slots: `u_xx`, `u_xxx` come with it).
//!
//! The residual is `u_t + u u_x + ν D u` with `D` the highest derivative, so the seeds
//! are the same work in every case. Results: benches/RESULTS.md, "Jet order".

use divan::{Bencher, black_box};
use faer::Mat;
use pinn::model::{Activation, Init, Mlp};
use pinn::residual::Channel;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn main() {
    divan::main();
}

const ORDERS: [&str; 3] = ["u_xx", "u_xxx", "u_xxxx"];

fn channels(name: &str) -> [Channel; 4] {
    let (t, x) = (0, 1);
    let top = match name {
        "u_xx" => Channel::second(0, x, x),
        "u_xxx" => Channel::higher(0, &[x, x, x]),
        "u_xxxx" => Channel::higher(0, &[x, x, x, x]),
        _ => unreachable!("unknown case {name}"),
    };
    [
        Channel::Value { output: 0 },
        Channel::First { output: 0, var: t },
        Channel::First { output: 0, var: x },
        top,
    ]
}

#[divan::bench(args = ORDERS, sample_count = 20, max_time = 20)]
fn residuals_and_jacobian(bencher: Bencher, name: &str) {
    let net = Mlp::new(&[2, 20, 20, 20, 20, 1], Activation::Tanh);
    let theta = net.init(Init::XavierNormal, 0);
    let mut rng = StdRng::seed_from_u64(1);
    let n = 10_000;
    let pts = Mat::from_fn(n, 2, |_, _| rng.random::<f64>());
    let chans = channels(name);
    let nu = 1e-3;
    let seed = move |_: usize, _: &[f64], c: &[f64], a: &mut [f64]| {
        a[0] = c[2];
        a[1] = 1.0;
        a[2] = c[0];
        a[3] = nu;
        c[1] + c[0] * c[2] + nu * c[3]
    };
    let mut r = vec![0.0; n];
    let mut jac = Mat::<f64>::zeros(n, net.n_params());
    bencher.bench_local(|| {
        net.residuals_and_jacobian(
            &theta,
            black_box(pts.as_ref()),
            &chans,
            &seed,
            black_box(&mut r),
            black_box(jac.as_mut()),
            false,
        );
    });
}
