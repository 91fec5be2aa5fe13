//! Seeded parameter initialisations.
//!
//! - Xavier/Glorot (Glorot & Bengio, AISTATS 2010): weights of a layer with fan-in `n_in`
//!   and fan-out `n_out` have variance `2 / (n_in + n_out)`, either normal
//!   `N(0, 2/(n_in+n_out))` or uniform `U(−a, a)` with `a = sqrt(6/(n_in+n_out))`;
//!   biases are zero.
//! - `Normal { std }`: every parameter, weights and biases, is `N(0, std²)`. The ENGD paper
//!   (Müller & Zeinhofer, ICML 2023) initialises with `0.1 · N(0, 1)`, i.e. `std = 0.1`.
//!
//! The generator is rand's `StdRng` seeded with `seed_from_u64`, so a seed gives the same
//! θ on every run with this build (rand 0.9 does not promise the stream across major
//! versions).

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, Normal, Uniform};
use serde::Deserialize;

/// How to draw the initial parameters. Deserialises (snake case) from `"xavier_normal"`,
/// `"xavier_uniform"`, or a map `{ normal = { std = 0.1 } }` (TOML).
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Init {
    /// Weights `N(0, 2/(n_in + n_out))`, biases 0.
    XavierNormal,
    /// Weights `U(−a, a)`, `a = sqrt(6/(n_in + n_out))`, biases 0.
    XavierUniform,
    /// All parameters `N(0, std²)`.
    Normal {
        /// The standard deviation (must be finite and ≥ 0).
        std: f64,
    },
}

impl Init {
    /// Checks the settings: `Normal { std }` needs a finite `std ≥ 0`.
    pub fn validate(&self) -> Result<(), super::ModelError> {
        match *self {
            Init::Normal { std } if !(std.is_finite() && std >= 0.0) => {
                Err(super::ModelError::BadStd(std))
            }
            _ => Ok(()),
        }
    }
}

/// Fills `theta` for the layer sizes `layers` with the layout of
/// [`Mlp`](super::Mlp) (per layer: `W` row-major `n_out × n_in`, then `b`).
pub(crate) fn fill(layers: &[usize], init: Init, seed: u64, theta: &mut [f64]) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut off = 0;
    for pair in layers.windows(2) {
        let (n_in, n_out) = (pair[0], pair[1]);
        let nw = n_in * n_out;
        let (w, rest) = theta[off..].split_at_mut(nw);
        let b = &mut rest[..n_out];
        let fan = (n_in + n_out) as f64;
        match init {
            Init::XavierNormal => {
                let dist = Normal::new(0.0, (2.0 / fan).sqrt()).expect("positive std");
                w.iter_mut().for_each(|v| *v = dist.sample(&mut rng));
                b.fill(0.0);
            }
            Init::XavierUniform => {
                let a = (6.0 / fan).sqrt();
                let dist = Uniform::new_inclusive(-a, a).expect("finite bounds");
                w.iter_mut().for_each(|v| *v = dist.sample(&mut rng));
                b.fill(0.0);
            }
            Init::Normal { std } => {
                assert!(
                    std.is_finite() && std >= 0.0,
                    "Init::Normal needs a finite std ≥ 0, got {std}"
                );
                let dist = Normal::new(0.0, std).expect("finite std");
                w.iter_mut().for_each(|v| *v = dist.sample(&mut rng));
                b.iter_mut().for_each(|v| *v = dist.sample(&mut rng));
            }
        }
        off += nw + n_out;
    }
    debug_assert_eq!(off, theta.len());
}

#[cfg(test)]
mod tests {
    use super::super::{Activation, Mlp};
    use super::*;
    use serde::de::IntoDeserializer;
    use serde::de::value::{Error as DeError, StrDeserializer};

    fn mean_var(v: &[f64]) -> (f64, f64) {
        let n = v.len() as f64;
        let m = v.iter().sum::<f64>() / n;
        (
            m,
            v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0),
        )
    }

    #[test]
    fn seeded_and_reproducible() {
        let net = Mlp::new(&[3, 20, 20, 2], Activation::Tanh);
        for init in [
            Init::XavierNormal,
            Init::XavierUniform,
            Init::Normal { std: 0.1 },
        ] {
            let a = net.init(init, 7);
            assert_eq!(a.len(), net.n_params());
            assert_eq!(a, net.init(init, 7));
            assert_ne!(a, net.init(init, 8));
        }
    }

    /// Per-layer sample variance of the weights against the Xavier variance, biases zero;
    /// the tolerance is 5 standard errors of the sample variance.
    #[test]
    fn variance_statistics_and_layout() {
        let layers = [30, 300, 200, 3];
        let net = Mlp::new(&layers, Activation::Tanh);
        for init in [Init::XavierNormal, Init::XavierUniform] {
            let theta = net.init(init, 123);
            for l in 0..layers.len() - 1 {
                let (n_in, n_out) = (layers[l], layers[l + 1]);
                let (w, b) = net.layer_params(&theta, l);
                assert_eq!(w.len(), n_in * n_out);
                assert!(b.iter().all(|&v| v == 0.0), "{init:?}: biases are zero");
                let var = 2.0 / (n_in + n_out) as f64;
                let (m, v) = mean_var(w);
                let n = w.len() as f64;
                // Var of the sample variance: (μ4 − σ⁴)/n; μ4 = 3σ⁴ (normal), 1.8σ⁴ (uniform).
                let k = if init == Init::XavierNormal { 2.0 } else { 0.8 };
                let se = var * (k / n).sqrt();
                assert!(
                    (v - var).abs() < 5.0 * se,
                    "{init:?} layer {l}: {v} vs {var}"
                );
                assert!(
                    m.abs() < 5.0 * (var / n).sqrt(),
                    "{init:?} layer {l}: mean {m}"
                );
                if init == Init::XavierUniform {
                    let a = (3.0 * var).sqrt();
                    assert!(w.iter().all(|x| x.abs() <= a));
                }
            }
        }
        let theta = net.init(Init::Normal { std: 0.1 }, 5);
        let (m, v) = mean_var(&theta);
        let n = theta.len() as f64;
        assert!(
            (v - 0.01).abs() < 5.0 * 0.01 * (2.0 / n).sqrt(),
            "variance {v}"
        );
        assert!(m.abs() < 5.0 * 0.1 / n.sqrt());
        // The biases are drawn too under Normal.
        let (_, b) = net.layer_params(&theta, 0);
        assert!(b.iter().all(|&x| x != 0.0));
    }

    #[test]
    fn deserialises_documented_names() {
        let parse = |s: &str| {
            let de: StrDeserializer<'_, DeError> = s.into_deserializer();
            Init::deserialize(de)
        };
        assert_eq!(parse("xavier_normal").unwrap(), Init::XavierNormal);
        assert_eq!(parse("xavier_uniform").unwrap(), Init::XavierUniform);
        assert!(parse("kaiming").is_err());
    }
}
