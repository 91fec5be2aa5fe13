//! The model functions `f(x; b)` of the NIST StRD nonlinear-regression data sets and
//! their analytic gradients `∂f/∂b`, coded per data set (NIST publishes each model as a
//! formula in the file header; the formulas are repeated on each variant below).

use super::parse::NistError;

/// The model function of a data set. Several data sets share a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NistModel {
    /// BoxBOD, Misra1a: `b1 (1 − exp(−b2 x))`.
    ExpRise,
    /// Chwirut1, Chwirut2: `exp(−b1 x) / (b2 + b3 x)`.
    Chwirut,
    /// DanWood: `b1 x^b2`.
    DanWood,
    /// Gauss1–3: `b1 exp(−b2 x) + b3 exp(−(x−b4)²/b5²) + b6 exp(−(x−b7)²/b8²)`.
    Gauss,
    /// Hahn1, Thurber: `(b1 + b2 x + b3 x² + b4 x³) / (1 + b5 x + b6 x² + b7 x³)`.
    RationalCubic,
    /// Kirby2: `(b1 + b2 x + b3 x²) / (1 + b4 x + b5 x²)`.
    RationalQuadratic,
    /// Lanczos1, Lanczos3: `b1 exp(−b2 x) + b3 exp(−b4 x) + b5 exp(−b6 x)`.
    Lanczos,
    /// MGH09 (Kowalik–Osborne): `b1 (x² + x b2) / (x² + x b3 + b4)`.
    Mgh09,
    /// MGH17 (Osborne 1): `b1 + b2 exp(−x b4) + b3 exp(−x b5)`.
    Mgh17,
    /// Misra1b: `b1 (1 − (1 + b2 x/2)^(−2))`.
    Misra1b,
    /// Rat42: `b1 / (1 + exp(b2 − b3 x))`.
    Rat42,
}

impl NistModel {
    /// The model of the data set called `name`.
    pub fn for_data_set(name: &str) -> Result<Self, NistError> {
        Ok(match name {
            "BoxBOD" | "Misra1a" => NistModel::ExpRise,
            "Chwirut1" | "Chwirut2" => NistModel::Chwirut,
            "DanWood" => NistModel::DanWood,
            "Gauss1" | "Gauss2" | "Gauss3" => NistModel::Gauss,
            "Hahn1" | "Thurber" => NistModel::RationalCubic,
            "Kirby2" => NistModel::RationalQuadratic,
            "Lanczos1" | "Lanczos2" | "Lanczos3" => NistModel::Lanczos,
            "MGH09" => NistModel::Mgh09,
            "MGH17" => NistModel::Mgh17,
            "Misra1b" => NistModel::Misra1b,
            "Rat42" => NistModel::Rat42,
            other => return Err(NistError::UnknownDataSet(other.to_string())),
        })
    }

    /// Number of parameters `b`.
    pub fn n_params(self) -> usize {
        match self {
            NistModel::ExpRise | NistModel::DanWood | NistModel::Misra1b => 2,
            NistModel::Chwirut | NistModel::Rat42 => 3,
            NistModel::Mgh09 => 4,
            NistModel::RationalQuadratic | NistModel::Mgh17 => 5,
            NistModel::Lanczos => 6,
            NistModel::RationalCubic => 7,
            NistModel::Gauss => 8,
        }
    }

    /// `f(x; b)`.
    pub fn value(self, x: f64, b: &[f64]) -> f64 {
        debug_assert_eq!(b.len(), self.n_params());
        match self {
            // 1 − e^{−b2 x} = −expm1(−b2 x), exact for small b2 x.
            NistModel::ExpRise => -b[0] * (-b[1] * x).exp_m1(),
            NistModel::Chwirut => (-b[0] * x).exp() / (b[1] + b[2] * x),
            NistModel::DanWood => b[0] * x.powf(b[1]),
            NistModel::Gauss => {
                let g1 = gauss_bump(x, b[3], b[4]);
                let g2 = gauss_bump(x, b[6], b[7]);
                b[0] * (-b[1] * x).exp() + b[2] * g1 + b[5] * g2
            }
            NistModel::RationalCubic => {
                let num = b[0] + x * (b[1] + x * (b[2] + x * b[3]));
                let den = 1.0 + x * (b[4] + x * (b[5] + x * b[6]));
                num / den
            }
            NistModel::RationalQuadratic => {
                let num = b[0] + x * (b[1] + x * b[2]);
                let den = 1.0 + x * (b[3] + x * b[4]);
                num / den
            }
            NistModel::Lanczos => {
                b[0] * (-b[1] * x).exp() + b[2] * (-b[3] * x).exp() + b[4] * (-b[5] * x).exp()
            }
            NistModel::Mgh09 => b[0] * x * (x + b[1]) / (x * (x + b[2]) + b[3]),
            NistModel::Mgh17 => b[0] + b[1] * (-x * b[3]).exp() + b[2] * (-x * b[4]).exp(),
            NistModel::Misra1b => {
                let u = 1.0 + 0.5 * b[1] * x;
                b[0] * (1.0 - 1.0 / (u * u))
            }
            NistModel::Rat42 => b[0] / (1.0 + (b[1] - b[2] * x).exp()),
        }
    }

    /// Writes `∂f/∂b_k (x; b)` into `grad[k]`.
    pub fn gradient(self, x: f64, b: &[f64], grad: &mut [f64]) {
        debug_assert_eq!(b.len(), self.n_params());
        debug_assert_eq!(grad.len(), self.n_params());
        match self {
            NistModel::ExpRise => {
                let e = (-b[1] * x).exp();
                grad[0] = -(-b[1] * x).exp_m1();
                grad[1] = b[0] * x * e;
            }
            NistModel::Chwirut => {
                // f = e/d, e = exp(−b1 x), d = b2 + b3 x.
                let d = b[1] + b[2] * x;
                let f = (-b[0] * x).exp() / d;
                grad[0] = -x * f;
                grad[1] = -f / d;
                grad[2] = -x * f / d;
            }
            NistModel::DanWood => {
                let p = x.powf(b[1]);
                grad[0] = p;
                grad[1] = b[0] * p * x.ln();
            }
            NistModel::Gauss => {
                // ∂/∂c of exp(−(x−c)²/w²) = g·2(x−c)/w²; ∂/∂w = g·2(x−c)²/w³.
                let e = (-b[1] * x).exp();
                grad[0] = e;
                grad[1] = -b[0] * x * e;
                for (k, c, w) in [(2usize, b[3], b[4]), (5, b[6], b[7])] {
                    let g = gauss_bump(x, c, w);
                    let dx = x - c;
                    grad[k] = g;
                    grad[k + 1] = b[k] * g * 2.0 * dx / (w * w);
                    grad[k + 2] = b[k] * g * 2.0 * dx * dx / (w * w * w);
                }
            }
            NistModel::RationalCubic => {
                // f = N/D: ∂f/∂b_{1..4} = x^k/D, ∂f/∂b_{5..7} = −f x^k / D.
                let den = 1.0 + x * (b[4] + x * (b[5] + x * b[6]));
                let num = b[0] + x * (b[1] + x * (b[2] + x * b[3]));
                let f = num / den;
                let mut p = 1.0;
                for g in grad.iter_mut().take(4) {
                    *g = p / den;
                    p *= x;
                }
                let mut p = x;
                for g in grad.iter_mut().skip(4) {
                    *g = -f * p / den;
                    p *= x;
                }
            }
            NistModel::RationalQuadratic => {
                let den = 1.0 + x * (b[3] + x * b[4]);
                let num = b[0] + x * (b[1] + x * b[2]);
                let f = num / den;
                grad[0] = 1.0 / den;
                grad[1] = x / den;
                grad[2] = x * x / den;
                grad[3] = -f * x / den;
                grad[4] = -f * x * x / den;
            }
            NistModel::Lanczos => {
                for k in 0..3 {
                    let e = (-b[2 * k + 1] * x).exp();
                    grad[2 * k] = e;
                    grad[2 * k + 1] = -b[2 * k] * x * e;
                }
            }
            NistModel::Mgh09 => {
                // f = b1 u / D, u = x² + x b2, D = x² + x b3 + b4.
                let u = x * (x + b[1]);
                let den = x * (x + b[2]) + b[3];
                let f = b[0] * u / den;
                grad[0] = u / den;
                grad[1] = b[0] * x / den;
                grad[2] = -f * x / den;
                grad[3] = -f / den;
            }
            NistModel::Mgh17 => {
                let e4 = (-x * b[3]).exp();
                let e5 = (-x * b[4]).exp();
                grad[0] = 1.0;
                grad[1] = e4;
                grad[2] = e5;
                grad[3] = -x * b[1] * e4;
                grad[4] = -x * b[2] * e5;
            }
            NistModel::Misra1b => {
                // f = b1 (1 − u^{−2}), u = 1 + b2 x/2: ∂f/∂b2 = b1 · 2u^{−3} · x/2.
                let u = 1.0 + 0.5 * b[1] * x;
                grad[0] = 1.0 - 1.0 / (u * u);
                grad[1] = b[0] * x / (u * u * u);
            }
            NistModel::Rat42 => {
                // f = b1/(1+E), E = exp(b2 − b3 x): ∂E/∂b2 = E, ∂E/∂b3 = −x E.
                let e = (b[1] - b[2] * x).exp();
                let q = 1.0 / (1.0 + e);
                grad[0] = q;
                grad[1] = -b[0] * e * q * q;
                grad[2] = b[0] * x * e * q * q;
            }
        }
    }
}

/// `exp(−(x − c)² / w²)`.
fn gauss_bump(x: f64, c: f64, w: f64) -> f64 {
    let z = (x - c) / w;
    (-z * z).exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [NistModel; 11] = [
        NistModel::ExpRise,
        NistModel::Chwirut,
        NistModel::DanWood,
        NistModel::Gauss,
        NistModel::RationalCubic,
        NistModel::RationalQuadratic,
        NistModel::Lanczos,
        NistModel::Mgh09,
        NistModel::Mgh17,
        NistModel::Misra1b,
        NistModel::Rat42,
    ];

    /// Analytic gradient against a 4th-order central difference at generic points.
    #[test]
    fn gradients_match_central_differences() {
        for model in ALL {
            let p = model.n_params();
            for (s, x) in [0.7, 1.9, 3.3].into_iter().enumerate() {
                let b: Vec<f64> = (0..p)
                    .map(|k| 0.4 + 0.13 * k as f64 + 0.05 * s as f64)
                    .collect();
                let mut g = vec![0.0; p];
                model.gradient(x, &b, &mut g);
                for k in 0..p {
                    let h = 1e-3 * b[k].abs().max(1e-2);
                    let at = |d: f64| {
                        let mut bb = b.clone();
                        bb[k] += d;
                        model.value(x, &bb)
                    };
                    let fd = (8.0 * (at(h) - at(-h)) - (at(2.0 * h) - at(-2.0 * h))) / (12.0 * h);
                    let scale = g[k].abs().max(1e-3);
                    assert!(
                        (g[k] - fd).abs() <= 1e-8 * scale,
                        "{model:?} x={x} k={k}: analytic {} vs fd {fd}",
                        g[k]
                    );
                }
            }
        }
    }

    #[test]
    fn unknown_name_is_an_error() {
        assert!(matches!(
            NistModel::for_data_set("ENSO"),
            Err(NistError::UnknownDataSet(_))
        ));
    }
}
