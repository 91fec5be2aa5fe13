//! The cost of one residual-based adaptive sampling (RAD) draw for `problems/burgers.toml`
//! (2 → 20 × 4 → 1 tanh, 1 341 parameters, residual `u_t + u u_x − ν u_xx`): a pool of
//! 10⁵ Latin-hypercube candidates, their residual magnitudes at θ₀ (values only, in
//! chunks), and 10⁴ of them drawn without replacement (`k = 1`, `c = 1`).
//!
//! - `rad_draw`: the whole re-draw as the solve loop runs it (`try_resample`): pool,
//!   residuals, selection, and installing the new points;
//! - `select_only`: the weighted selection of 10⁴ indices from 10⁵ magnitudes alone.
//!
//! Results: benches/RESULTS.md, "RAD".

use std::path::Path;

use divan::{Bencher, black_box};
use pinn::problem::{build_problem, parse_spec};
use pinn::residual::Rad;

fn main() {
    divan::main();
}

/// burgers.toml with its interior block drawn by RAD from a pool of 10⁵, every iteration.
fn burgers_rad() -> pinn::problem::Problem {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("problems/burgers.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text
        .replace(
            "points = { count = 10000, sampler = \"lhs\" }",
            "points = { count = 10000, sampler = \"lhs\" }\nadaptive = { method = \"rad\", pool = 100000, k = 1, c = 1 }",
        )
        .replace("[collocation]\nseed = 1", "[collocation]\nseed = 1\nresample_every = 1");
    assert!(text.contains("resample_every = 1") && text.contains("pool = 100000"));
    let spec = parse_spec(&path, &text).unwrap();
    build_problem(&path, &text, spec).unwrap()
}

#[divan::bench(max_time = 20)]
fn rad_draw(bencher: Bencher) {
    let problem = burgers_rad();
    let mut model = problem.residual_model();
    let theta = problem.initial_params();
    let mut iteration = 0;
    bencher.bench_local(|| {
        iteration += 1;
        black_box(model.try_resample(iteration, &theta).unwrap());
    });
}

#[divan::bench(max_time = 10)]
fn select_only(bencher: Bencher) {
    let norms: Vec<f64> = (0..100_000)
        .map(|i| ((i as f64) * 0.618_033_988_749_895).fract().powi(3))
        .collect();
    let rad = Rad::default();
    let mut seed = 0;
    bencher.bench_local(|| {
        seed += 1;
        black_box(rad.select(black_box(&norms), 10_000, seed).unwrap());
    });
}
