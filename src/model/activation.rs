//! Smooth activation functions with their first three derivatives.
//!
//! The Taylor jets in `x` need `σ`, `σ'` and `σ''` (ARCHITECTURE.md, "Derivatives in x":
//! `h'' = σ'(z) z'' + σ''(z) z' z'`); a tangent in `θ` through the second-order jets
//! (the forward-mode `J·v`) differentiates `σ''` once more, hence `σ'''`. All four are
//! closed forms, evaluated in a numerically stable way.

use serde::Deserialize;

/// A smooth scalar activation applied elementwise in the hidden layers (the output layer
/// is linear). Deserialises from the lowercase names `"tanh"`, `"sin"`, `"softplus"`,
/// `"sigmoid"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// `tanh z`.
    Tanh,
    /// `sin z`.
    Sin,
    /// `softplus z = ln(1 + e^z)`.
    Softplus,
    /// `sigmoid z = 1 / (1 + e^{-z})`.
    Sigmoid,
}

/// The logistic function `1/(1+e^{-z})`, computed without overflow for either sign of `z`.
fn logistic(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

impl Activation {
    /// `[σ(z), σ'(z), σ''(z), σ'''(z)]`.
    ///
    /// - tanh: with `t = tanh z`: `1 − t²`, `−2t(1 − t²)`, `−2(1 − t²)(1 − 3t²)`.
    /// - sin: `cos z`, `−sin z`, `−cos z`.
    /// - softplus: `σ' = s = sigmoid z`, `σ'' = s(1 − s)`, `σ''' = s(1 − s)(1 − 2s)`;
    ///   the value is `max(z, 0) + ln(1 + e^{−|z|})`, which never overflows.
    /// - sigmoid: `s(1 − s)`, `s(1 − s)(1 − 2s)`, `s(1 − s)(1 − 6s + 6s²)`.
    ///
    /// `1 − s` is computed as `sigmoid(−z)` so that it keeps its relative accuracy when
    /// `s → 1`.
    #[inline]
    pub fn derivs(self, z: f64) -> [f64; 4] {
        match self {
            Activation::Tanh => {
                let t = z.tanh();
                let d1 = 1.0 - t * t;
                [t, d1, -2.0 * t * d1, -2.0 * d1 * (1.0 - 3.0 * t * t)]
            }
            Activation::Sin => {
                let (s, c) = z.sin_cos();
                [s, c, -s, -c]
            }
            Activation::Softplus => {
                let s = logistic(z);
                let sm = logistic(-z);
                let d2 = s * sm;
                [z.max(0.0) + (-z.abs()).exp().ln_1p(), s, d2, d2 * (sm - s)]
            }
            Activation::Sigmoid => {
                let s = logistic(z);
                let sm = logistic(-z);
                let d1 = s * sm;
                // 1 − 6s + 6s² = 1 − 6 s (1 − s)
                [s, d1, d1 * (sm - s), d1 * (1.0 - 6.0 * d1)]
            }
        }
    }

    /// `σ(z)` alone.
    #[inline]
    pub fn value(self, z: f64) -> f64 {
        match self {
            Activation::Tanh => z.tanh(),
            Activation::Sin => z.sin(),
            Activation::Softplus => z.max(0.0) + (-z.abs()).exp().ln_1p(),
            Activation::Sigmoid => logistic(z),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::IntoDeserializer;
    use serde::de::value::{Error as DeError, StrDeserializer};

    const ALL: [Activation; 4] = [
        Activation::Tanh,
        Activation::Sin,
        Activation::Softplus,
        Activation::Sigmoid,
    ];

    /// Each derivative against a fourth-order central difference of the one before.
    #[test]
    fn derivatives_match_central_differences() {
        let h = 1e-3;
        for act in ALL {
            for &z in &[-3.7, -1.2, -0.3, 0.0, 0.4, 1.1, 2.9] {
                let d = act.derivs(z);
                assert_eq!(d[0], act.value(z), "{act:?} value at {z}");
                for order in 0..3 {
                    let f = |t: f64| act.derivs(t)[order];
                    let fd = (-f(z + 2.0 * h) + 8.0 * f(z + h) - 8.0 * f(z - h) + f(z - 2.0 * h))
                        / (12.0 * h);
                    let err = (fd - d[order + 1]).abs();
                    assert!(
                        err <= 1e-9 * (1.0 + d[order + 1].abs()),
                        "{act:?} derivative {} at {z}: fd {fd} vs {}",
                        order + 1,
                        d[order + 1]
                    );
                }
            }
        }
    }

    /// Closed forms at points where they are known exactly.
    #[test]
    fn closed_forms() {
        assert_eq!(Activation::Tanh.derivs(0.0), [0.0, 1.0, 0.0, -2.0]);
        assert_eq!(Activation::Sin.derivs(0.0), [0.0, 1.0, -0.0, -1.0]);
        let sp = Activation::Softplus.derivs(0.0);
        assert!((sp[0] - 2f64.ln()).abs() < 1e-16);
        assert_eq!(&sp[1..], &[0.5, 0.25, 0.0]);
        assert_eq!(Activation::Sigmoid.derivs(0.0), [0.5, 0.25, 0.0, -0.125]);
        // softplus(z) − z = ln(1 + e^{−z}) for large z: no overflow, no cancellation.
        let big = Activation::Softplus.derivs(800.0);
        assert_eq!(big[0], 800.0);
        assert_eq!(big[1], 1.0);
        let small = Activation::Softplus.derivs(-40.0);
        assert!((small[0] - (-40f64).exp()).abs() < 1e-30);
        assert!(
            Activation::Sigmoid
                .derivs(-800.0)
                .iter()
                .all(|v| v.is_finite())
        );
    }

    #[test]
    fn deserialises_lowercase_names() {
        let parse = |s: &str| {
            let de: StrDeserializer<'_, DeError> = s.into_deserializer();
            Activation::deserialize(de)
        };
        assert_eq!(parse("tanh").unwrap(), Activation::Tanh);
        assert_eq!(parse("sin").unwrap(), Activation::Sin);
        assert_eq!(parse("softplus").unwrap(), Activation::Softplus);
        assert_eq!(parse("sigmoid").unwrap(), Activation::Sigmoid);
        assert!(parse("relu").is_err());
        assert!(parse("Tanh").is_err());
    }
}
