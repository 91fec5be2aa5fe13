//! The batched activation kernel (divan): `σ, σ', σ'', σ'''` of tanh and sin over one
//! chunk of pre-activations, the loop every forward jet pass runs once per neuron. 128
//! points (the kernel's largest chunk) and 98 (the chunk of a 784-point block, whose tail
//! is not a whole vector block), arguments uniform in `[−3, 3]`, as trained networks'
//! pre-activations mostly are. Results: benches/RESULTS.md, "Activation kernel".

use divan::{Bencher, black_box};
use pinn::model::Activation;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn main() {
    divan::main();
}

fn args(n: usize) -> Vec<f64> {
    let mut rng = StdRng::seed_from_u64(7);
    (0..n).map(|_| rng.random_range(-3.0..3.0)).collect()
}

#[divan::bench(args = [98, 128])]
fn tanh(bencher: Bencher, n: usize) {
    let z = args(n);
    let mut out = vec![0.0; 4 * n];
    bencher.bench_local(|| Activation::Tanh.derivs_into(black_box(&z), black_box(&mut out)));
}

#[divan::bench(args = [98, 128])]
fn sin(bencher: Bencher, n: usize) {
    let z = args(n);
    let mut out = vec![0.0; 4 * n];
    bencher.bench_local(|| Activation::Sin.derivs_into(black_box(&z), black_box(&mut out)));
}
