//! The elementary functions of the language, their values and their derivatives.

/// Names that are not functions of one value but still cannot be declared: the constant
/// `pi`, the Laplacian `lap(u)` and the derivative `d(u, x, y)`.
pub(crate) const RESERVED: [&str; 3] = ["pi", "lap", "d"];

/// A function of one real argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Func {
    Sin,
    Cos,
    Tan,
    Exp,
    Log,
    Sqrt,
    Tanh,
    Sinh,
    Cosh,
    Abs,
    /// The error function `erf(a) = 2/√π ∫₀^a e^{−s²} ds`: with it a transform can add
    /// the heat-kernel-smoothed kink `y·erf(y/√(4Dt)) + √(4Dt/π)·e^{−y²/(4Dt)}` (the
    /// diffusion of `|y|`), so a network need not represent initial data with a slope
    /// jump (Carslaw & Jaeger, "Conduction of Heat in Solids", 1959, §2.4).
    Erf,
    /// `sign(a)` ∈ {−1, 0, 1}: not a function of the language (not in [`Func::ALL`]); it is
    /// the derivative of `abs` that symbolic differentiation emits.
    Sign,
}

impl Func {
    /// Every function, in the order the error messages list them.
    pub const ALL: [Func; 11] = [
        Func::Sin,
        Func::Cos,
        Func::Tan,
        Func::Exp,
        Func::Log,
        Func::Sqrt,
        Func::Tanh,
        Func::Sinh,
        Func::Cosh,
        Func::Abs,
        Func::Erf,
    ];

    /// The name in source text.
    pub fn name(self) -> &'static str {
        match self {
            Func::Sin => "sin",
            Func::Cos => "cos",
            Func::Tan => "tan",
            Func::Exp => "exp",
            Func::Log => "log",
            Func::Sqrt => "sqrt",
            Func::Tanh => "tanh",
            Func::Sinh => "sinh",
            Func::Cosh => "cosh",
            Func::Abs => "abs",
            Func::Erf => "erf",
            Func::Sign => "sign",
        }
    }

    /// The function called `name`, if any.
    pub fn from_name(name: &str) -> Option<Func> {
        Func::ALL.into_iter().find(|f| f.name() == name)
    }

    /// `f(a)`. `log` is the natural logarithm. Outside the domain (log of a negative
    /// number, sqrt of a negative number) the result is NaN, which callers detect.
    #[inline]
    pub fn apply(self, a: f64) -> f64 {
        match self {
            Func::Sin => a.sin(),
            Func::Cos => a.cos(),
            Func::Tan => a.tan(),
            Func::Exp => a.exp(),
            Func::Log => a.ln(),
            Func::Sqrt => a.sqrt(),
            Func::Tanh => a.tanh(),
            Func::Sinh => a.sinh(),
            Func::Cosh => a.cosh(),
            Func::Abs => a.abs(),
            // FreeBSD msun's rational approximations, ported: within 1 ulp.
            Func::Erf => libm::erf(a),
            Func::Sign => {
                if a > 0.0 {
                    1.0
                } else if a < 0.0 {
                    -1.0
                } else {
                    a
                }
            }
        }
    }

    /// `f'(a)`, given `a` and `y = f(a)` (so `exp`, `tan`, `tanh`, `sqrt` reuse `y`).
    /// For `abs` the derivative at 0 is taken as 0 (the minimal-norm subgradient);
    /// `sign` is piecewise constant, its derivative 0.
    #[inline]
    pub fn derivative(self, a: f64, y: f64) -> f64 {
        match self {
            Func::Sign => 0.0,
            Func::Sin => a.cos(),
            Func::Cos => -a.sin(),
            Func::Tan => 1.0 + y * y,
            Func::Exp => y,
            Func::Log => 1.0 / a,
            Func::Sqrt => 0.5 / y,
            Func::Tanh => 1.0 - y * y,
            Func::Sinh => a.cosh(),
            Func::Cosh => a.sinh(),
            Func::Erf => std::f64::consts::FRAC_2_SQRT_PI * (-a * a).exp(),
            Func::Abs => {
                if a > 0.0 {
                    1.0
                } else if a < 0.0 {
                    -1.0
                } else {
                    0.0
                }
            }
        }
    }

    /// `sin, cos, …` for messages.
    pub(crate) fn list() -> String {
        Func::ALL
            .iter()
            .map(|f| f.name())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each derivative against a central difference at points inside every domain.
    #[test]
    fn derivatives_match_central_differences() {
        let h = 1e-6;
        for f in Func::ALL {
            for &a in &[0.3, 0.9, 1.7, -0.6] {
                if matches!(f, Func::Log | Func::Sqrt) && a < 0.0 {
                    continue;
                }
                let fd = (f.apply(a + h) - f.apply(a - h)) / (2.0 * h);
                let d = f.derivative(a, f.apply(a));
                assert!(
                    (fd - d).abs() < 1e-8 * (1.0 + d.abs()),
                    "{f:?} at {a}: {d} vs {fd}"
                );
            }
        }
    }

    #[test]
    fn names_round_trip_and_domains_give_nan() {
        for f in Func::ALL {
            assert_eq!(Func::from_name(f.name()), Some(f));
        }
        assert_eq!(Func::from_name("sinn"), None);
        assert!(Func::Log.apply(-1.0).is_nan());
        assert!(Func::Sqrt.apply(-1.0).is_nan());
        assert_eq!(Func::Abs.derivative(0.0, 0.0), 0.0);
    }

    /// `erf` against correctly rounded values, its symmetry and its limits.
    #[test]
    fn erf_matches_correctly_rounded_values() {
        for (a, v) in [
            (0.5, 0.520_499_877_813_046_5),
            (1.0, 0.842_700_792_949_714_9),
            (2.0, 0.995_322_265_018_952_7),
        ] {
            assert!((Func::Erf.apply(a) - v).abs() < 2e-16, "erf({a})");
            assert_eq!(Func::Erf.apply(-a), -Func::Erf.apply(a));
        }
        assert_eq!(Func::Erf.apply(0.0), 0.0);
        assert_eq!(Func::Erf.apply(f64::INFINITY), 1.0);
        assert_eq!(Func::Erf.apply(7.0), 1.0);
    }
}
