//! First-order forward-mode dual numbers `a + b ε` (ε² = 0) implementing
//! [`num_traits::Float`].
//!
//! Why our own type: a residual written in Rust is generic over `S: Float`, and the
//! engine needs `∂F/∂c_k` for the Jacobian rows `Σ_k (∂F/∂c_k) ∂c_k/∂θ`. Evaluating `F` with
//! `c_k = c_k + 1·ε` and every other channel constant gives `F + (∂F/∂c_k) ε`
//! (forward-mode automatic differentiation; Griewank & Walther, *Evaluating
//! Derivatives*, 2nd ed., ch. 3). The dual types of the `num-dual` crate do not implement
//! `num_traits::Float`, so they cannot be passed to such a residual.
//!
//! Every elementary function `f` maps `a + bε` to `f(a) + f'(a) b ε`; two-argument
//! functions `f(x, y)` map to `f + (∂_x f · x.eps + ∂_y f · y.eps) ε`. Comparisons look at
//! the value part only. Piecewise-constant functions (`floor`, `ceil`, `round`, `trunc`,
//! `signum`) have derivative 0; `abs` has derivative `signum(a)` (so `+1` at `+0.0`).

use std::num::FpCategory;
use std::ops::{Add, Div, Mul, Neg, Rem, Sub};

use num_traits::{Float, Num, NumCast, One, ToPrimitive, Zero};

/// A dual number `re + eps·ε` with `ε² = 0`: a value and one tangent.
#[derive(Clone, Copy, Debug, Default)]
pub struct Dual {
    /// The value `a`.
    pub re: f64,
    /// The tangent `b` (the derivative along the seeded direction).
    pub eps: f64,
}

impl Dual {
    /// `re + eps·ε`.
    #[inline]
    pub const fn new(re: f64, eps: f64) -> Self {
        Dual { re, eps }
    }
    /// A constant: `re + 0·ε`.
    #[inline]
    pub const fn constant(re: f64) -> Self {
        Dual { re, eps: 0.0 }
    }
    /// A seeded variable: `re + 1·ε`.
    #[inline]
    pub const fn variable(re: f64) -> Self {
        Dual { re, eps: 1.0 }
    }
    /// The chain rule for a one-argument function with value `f` and derivative `df`.
    #[inline]
    fn chain(self, f: f64, df: f64) -> Self {
        Dual {
            re: f,
            eps: df * self.eps,
        }
    }
}

impl PartialEq for Dual {
    /// Compares the value part only, consistent with [`PartialOrd`].
    fn eq(&self, other: &Self) -> bool {
        self.re == other.re
    }
}

impl PartialOrd for Dual {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        self.re.partial_cmp(&other.re)
    }
}

impl Add for Dual {
    type Output = Dual;
    #[inline]
    fn add(self, o: Dual) -> Dual {
        Dual::new(self.re + o.re, self.eps + o.eps)
    }
}

impl Sub for Dual {
    type Output = Dual;
    #[inline]
    fn sub(self, o: Dual) -> Dual {
        Dual::new(self.re - o.re, self.eps - o.eps)
    }
}

impl Mul for Dual {
    type Output = Dual;
    /// `(a + bε)(c + dε) = ac + (ad + bc)ε`.
    #[inline]
    fn mul(self, o: Dual) -> Dual {
        Dual::new(self.re * o.re, self.re * o.eps + self.eps * o.re)
    }
}

impl Div for Dual {
    type Output = Dual;
    /// `(a + bε)/(c + dε) = a/c + (b − (a/c) d)/c ε`.
    #[inline]
    fn div(self, o: Dual) -> Dual {
        let q = self.re / o.re;
        Dual::new(q, (self.eps - q * o.eps) / o.re)
    }
}

impl Rem for Dual {
    type Output = Dual;
    /// `x mod y = x − trunc(x/y)·y`, so the derivative is `dx − trunc(x/y) dy`.
    #[inline]
    fn rem(self, o: Dual) -> Dual {
        let k = (self.re / o.re).trunc();
        Dual::new(self.re % o.re, self.eps - k * o.eps)
    }
}

impl Neg for Dual {
    type Output = Dual;
    #[inline]
    fn neg(self) -> Dual {
        Dual::new(-self.re, -self.eps)
    }
}

impl Zero for Dual {
    fn zero() -> Self {
        Dual::constant(0.0)
    }
    fn is_zero(&self) -> bool {
        self.re == 0.0
    }
}

impl One for Dual {
    fn one() -> Self {
        Dual::constant(1.0)
    }
}

impl Num for Dual {
    type FromStrRadixErr = <f64 as Num>::FromStrRadixErr;
    fn from_str_radix(s: &str, radix: u32) -> Result<Self, Self::FromStrRadixErr> {
        f64::from_str_radix(s, radix).map(Dual::constant)
    }
}

impl ToPrimitive for Dual {
    fn to_i64(&self) -> Option<i64> {
        self.re.to_i64()
    }
    fn to_u64(&self) -> Option<u64> {
        self.re.to_u64()
    }
    fn to_f64(&self) -> Option<f64> {
        Some(self.re)
    }
}

impl NumCast for Dual {
    /// A constant with the converted value.
    fn from<T: ToPrimitive>(n: T) -> Option<Self> {
        n.to_f64().map(Dual::constant)
    }
}

impl Float for Dual {
    fn nan() -> Self {
        Dual::constant(f64::NAN)
    }
    fn infinity() -> Self {
        Dual::constant(f64::INFINITY)
    }
    fn neg_infinity() -> Self {
        Dual::constant(f64::NEG_INFINITY)
    }
    fn neg_zero() -> Self {
        Dual::constant(-0.0)
    }
    fn min_value() -> Self {
        Dual::constant(f64::MIN)
    }
    fn min_positive_value() -> Self {
        Dual::constant(f64::MIN_POSITIVE)
    }
    fn epsilon() -> Self {
        Dual::constant(f64::EPSILON)
    }
    fn max_value() -> Self {
        Dual::constant(f64::MAX)
    }
    fn is_nan(self) -> bool {
        self.re.is_nan()
    }
    fn is_infinite(self) -> bool {
        self.re.is_infinite()
    }
    fn is_finite(self) -> bool {
        self.re.is_finite()
    }
    fn is_normal(self) -> bool {
        self.re.is_normal()
    }
    fn classify(self) -> FpCategory {
        self.re.classify()
    }
    fn floor(self) -> Self {
        Dual::constant(self.re.floor())
    }
    fn ceil(self) -> Self {
        Dual::constant(self.re.ceil())
    }
    fn round(self) -> Self {
        Dual::constant(self.re.round())
    }
    fn trunc(self) -> Self {
        Dual::constant(self.re.trunc())
    }
    fn fract(self) -> Self {
        Dual::new(self.re.fract(), self.eps)
    }
    fn abs(self) -> Self {
        self.chain(self.re.abs(), self.re.signum())
    }
    fn signum(self) -> Self {
        Dual::constant(self.re.signum())
    }
    fn is_sign_positive(self) -> bool {
        self.re.is_sign_positive()
    }
    fn is_sign_negative(self) -> bool {
        self.re.is_sign_negative()
    }
    /// `self·a + b`, with a fused value part.
    fn mul_add(self, a: Self, b: Self) -> Self {
        Dual::new(
            self.re.mul_add(a.re, b.re),
            self.eps * a.re + self.re * a.eps + b.eps,
        )
    }
    fn recip(self) -> Self {
        let r = self.re.recip();
        self.chain(r, -r * r)
    }
    /// `d(xⁿ) = n xⁿ⁻¹ dx`.
    fn powi(self, n: i32) -> Self {
        if n == 0 {
            return Dual::constant(1.0);
        }
        self.chain(
            self.re.powi(n),
            <f64 as From<i32>>::from(n) * self.re.powi(n - 1),
        )
    }
    /// `d(xʸ) = y xʸ⁻¹ dx + xʸ ln(x) dy`; the `dy` term is dropped when `dy = 0`, so that
    /// a constant exponent on a negative base does not produce `0·NaN`.
    fn powf(self, n: Self) -> Self {
        let v = self.re.powf(n.re);
        let dx = if self.eps == 0.0 {
            0.0
        } else {
            n.re * self.re.powf(n.re - 1.0) * self.eps
        };
        let dy = if n.eps == 0.0 {
            0.0
        } else {
            v * self.re.ln() * n.eps
        };
        Dual::new(v, dx + dy)
    }
    fn sqrt(self) -> Self {
        let s = self.re.sqrt();
        self.chain(s, 0.5 / s)
    }
    fn exp(self) -> Self {
        let e = self.re.exp();
        self.chain(e, e)
    }
    fn exp2(self) -> Self {
        let e = self.re.exp2();
        self.chain(e, e * std::f64::consts::LN_2)
    }
    fn ln(self) -> Self {
        self.chain(self.re.ln(), self.re.recip())
    }
    /// `log_b x = ln x / ln b`, differentiated in both arguments.
    fn log(self, base: Self) -> Self {
        self.ln() / base.ln()
    }
    fn log2(self) -> Self {
        self.chain(self.re.log2(), (self.re * std::f64::consts::LN_2).recip())
    }
    fn log10(self) -> Self {
        self.chain(self.re.log10(), (self.re * std::f64::consts::LN_10).recip())
    }
    fn to_degrees(self) -> Self {
        let k = 180.0 / std::f64::consts::PI;
        Dual::new(self.re.to_degrees(), self.eps * k)
    }
    fn to_radians(self) -> Self {
        let k = std::f64::consts::PI / 180.0;
        Dual::new(self.re.to_radians(), self.eps * k)
    }
    fn max(self, other: Self) -> Self {
        if self.re >= other.re || other.re.is_nan() {
            self
        } else {
            other
        }
    }
    fn min(self, other: Self) -> Self {
        if self.re <= other.re || other.re.is_nan() {
            self
        } else {
            other
        }
    }
    /// `max(x − y, 0)`.
    fn abs_sub(self, other: Self) -> Self {
        if self.re > other.re {
            self - other
        } else {
            Dual::constant(0.0)
        }
    }
    /// `d∛x = dx / (3 ∛x²)`.
    fn cbrt(self) -> Self {
        let c = self.re.cbrt();
        self.chain(c, (3.0 * c * c).recip())
    }
    /// `d√(x² + y²) = (x dx + y dy)/h`.
    fn hypot(self, other: Self) -> Self {
        let h = self.re.hypot(other.re);
        Dual::new(h, (self.re * self.eps + other.re * other.eps) / h)
    }
    fn sin(self) -> Self {
        let (s, c) = self.re.sin_cos();
        self.chain(s, c)
    }
    fn cos(self) -> Self {
        let (s, c) = self.re.sin_cos();
        self.chain(c, -s)
    }
    /// `d tan x = (1 + tan² x) dx`.
    fn tan(self) -> Self {
        let t = self.re.tan();
        self.chain(t, 1.0 + t * t)
    }
    fn asin(self) -> Self {
        self.chain(self.re.asin(), (1.0 - self.re * self.re).sqrt().recip())
    }
    fn acos(self) -> Self {
        self.chain(self.re.acos(), -(1.0 - self.re * self.re).sqrt().recip())
    }
    fn atan(self) -> Self {
        self.chain(self.re.atan(), (1.0 + self.re * self.re).recip())
    }
    /// `atan2(y, x)` with `self = y`: `d = (x dy − y dx)/(x² + y²)`.
    fn atan2(self, other: Self) -> Self {
        let (y, x) = (self.re, other.re);
        let r2 = x * x + y * y;
        Dual::new(y.atan2(x), (x * self.eps - y * other.eps) / r2)
    }
    fn sin_cos(self) -> (Self, Self) {
        let (s, c) = self.re.sin_cos();
        (self.chain(s, c), self.chain(c, -s))
    }
    fn exp_m1(self) -> Self {
        self.chain(self.re.exp_m1(), self.re.exp())
    }
    fn ln_1p(self) -> Self {
        self.chain(self.re.ln_1p(), (1.0 + self.re).recip())
    }
    fn sinh(self) -> Self {
        self.chain(self.re.sinh(), self.re.cosh())
    }
    fn cosh(self) -> Self {
        self.chain(self.re.cosh(), self.re.sinh())
    }
    /// `d tanh x = (1 − tanh² x) dx`.
    fn tanh(self) -> Self {
        let t = self.re.tanh();
        self.chain(t, 1.0 - t * t)
    }
    fn asinh(self) -> Self {
        self.chain(self.re.asinh(), (self.re * self.re + 1.0).sqrt().recip())
    }
    fn acosh(self) -> Self {
        self.chain(self.re.acosh(), (self.re * self.re - 1.0).sqrt().recip())
    }
    fn atanh(self) -> Self {
        self.chain(self.re.atanh(), (1.0 - self.re * self.re).recip())
    }
    fn integer_decode(self) -> (u64, i16, i8) {
        self.re.integer_decode()
    }
    /// `|x|` with the sign of `y`: the derivative is `±dx`; `y` only chooses the sign.
    fn copysign(self, sign: Self) -> Self {
        if self.re.is_sign_negative() == sign.re.is_sign_negative() {
            self
        } else {
            -self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::{LN_2, LN_10, PI};

    /// `f'(x)` from `f` applied to the seeded variable `x + 1·ε`.
    fn d(f: impl Fn(Dual) -> Dual, x: f64) -> (f64, f64) {
        let y = f(Dual::variable(x));
        (y.re, y.eps)
    }

    /// Checks value and derivative of a one-argument function against closed forms at
    /// several points.
    fn check(
        name: &str,
        f: impl Fn(Dual) -> Dual,
        value: impl Fn(f64) -> f64,
        deriv: impl Fn(f64) -> f64,
        xs: &[f64],
    ) {
        for &x in xs {
            let (v, dv) = d(&f, x);
            let (ve, de) = (value(x), deriv(x));
            assert!(
                (v - ve).abs() <= 1e-15 * ve.abs().max(1.0),
                "{name} value at {x}: {v} vs {ve}"
            );
            assert!(
                (dv - de).abs() <= 1e-14 * de.abs().max(1.0),
                "{name}' at {x}: {dv} vs {de}"
            );
        }
    }

    const XS: [f64; 4] = [-1.7, -0.3, 0.45, 2.2];
    const UNIT: [f64; 4] = [-0.8, -0.25, 0.1, 0.7];
    const POS: [f64; 4] = [0.05, 0.6, 1.3, 7.5];

    #[test]
    fn trigonometric() {
        check("sin", |x| x.sin(), f64::sin, f64::cos, &XS);
        check("cos", |x| x.cos(), f64::cos, |x| -x.sin(), &XS);
        check(
            "tan",
            |x| x.tan(),
            f64::tan,
            |x| 1.0 / (x.cos() * x.cos()),
            &XS,
        );
        check("sin_cos.0", |x| x.sin_cos().0, f64::sin, f64::cos, &XS);
        check("sin_cos.1", |x| x.sin_cos().1, f64::cos, |x| -x.sin(), &XS);
        check(
            "asin",
            |x| x.asin(),
            f64::asin,
            |x| 1.0 / (1.0 - x * x).sqrt(),
            &UNIT,
        );
        check(
            "acos",
            |x| x.acos(),
            f64::acos,
            |x| -1.0 / (1.0 - x * x).sqrt(),
            &UNIT,
        );
        check(
            "atan",
            |x| x.atan(),
            f64::atan,
            |x| 1.0 / (1.0 + x * x),
            &XS,
        );
    }

    #[test]
    fn hyperbolic() {
        check("sinh", |x| x.sinh(), f64::sinh, f64::cosh, &XS);
        check("cosh", |x| x.cosh(), f64::cosh, f64::sinh, &XS);
        check(
            "tanh",
            |x| x.tanh(),
            f64::tanh,
            |x| 1.0 / (x.cosh() * x.cosh()),
            &XS,
        );
        check(
            "asinh",
            |x| x.asinh(),
            f64::asinh,
            |x| 1.0 / (x * x + 1.0).sqrt(),
            &XS,
        );
        check(
            "acosh",
            |x| x.acosh(),
            f64::acosh,
            |x| 1.0 / (x * x - 1.0).sqrt(),
            &[1.2, 2.0, 9.0],
        );
        check(
            "atanh",
            |x| x.atanh(),
            f64::atanh,
            |x| 1.0 / (1.0 - x * x),
            &UNIT,
        );
    }

    #[test]
    fn exponentials_and_logarithms() {
        check("exp", |x| x.exp(), f64::exp, f64::exp, &XS);
        check("exp2", |x| x.exp2(), f64::exp2, |x| x.exp2() * LN_2, &XS);
        check("exp_m1", |x| x.exp_m1(), f64::exp_m1, f64::exp, &XS);
        check("ln", |x| x.ln(), f64::ln, |x| 1.0 / x, &POS);
        check(
            "ln_1p",
            |x| x.ln_1p(),
            f64::ln_1p,
            |x| 1.0 / (1.0 + x),
            &UNIT,
        );
        check("log2", |x| x.log2(), f64::log2, |x| 1.0 / (x * LN_2), &POS);
        check(
            "log10",
            |x| x.log10(),
            f64::log10,
            |x| 1.0 / (x * LN_10),
            &POS,
        );
        check(
            "log base 3",
            |x| x.log(Dual::constant(3.0)),
            |x| x.ln() / 3f64.ln(),
            |x| 1.0 / (x * 3f64.ln()),
            &POS,
        );
        // d/db log_b(x) = −ln x / (b ln² b)
        let x = 5.0;
        check(
            "log in the base",
            |b| Dual::constant(x).log(b),
            |b| x.ln() / b.ln(),
            |b| -x.ln() / (b * b.ln() * b.ln()),
            &[1.5, 2.0, 10.0],
        );
    }

    #[test]
    fn powers_and_roots() {
        check("sqrt", |x| x.sqrt(), f64::sqrt, |x| 0.5 / x.sqrt(), &POS);
        check(
            "cbrt",
            |x| x.cbrt(),
            f64::cbrt,
            |x| 1.0 / (3.0 * x.cbrt().powi(2)),
            &XS,
        );
        check("powi 3", |x| x.powi(3), |x| x * x * x, |x| 3.0 * x * x, &XS);
        check(
            "powi -2",
            |x| x.powi(-2),
            |x| 1.0 / (x * x),
            |x| -2.0 / (x * x * x),
            &XS,
        );
        check("powi 0", |x| x.powi(0), |_| 1.0, |_| 0.0, &XS);
        check(
            "powf const exponent",
            |x| x.powf(Dual::constant(2.5)),
            |x| x.powf(2.5),
            |x| 2.5 * x.powf(1.5),
            &POS,
        );
        // a constant integer exponent on a negative base stays finite
        check(
            "powf 2 on negatives",
            |x| x.powf(Dual::constant(2.0)),
            |x| x * x,
            |x| 2.0 * x,
            &XS,
        );
        // d/dy a^y = a^y ln a
        let a = 1.7;
        check(
            "powf in the exponent",
            |y| Dual::constant(a).powf(y),
            |y| a.powf(y),
            |y| a.powf(y) * a.ln(),
            &XS,
        );
        check("recip", |x| x.recip(), f64::recip, |x| -1.0 / (x * x), &XS);
        // x^x: d = x^x (ln x + 1)
        check(
            "x^x",
            |x| x.powf(x),
            |x| x.powf(x),
            |x| x.powf(x) * (x.ln() + 1.0),
            &POS,
        );
    }

    #[test]
    fn piecewise_functions() {
        check("abs", |x| x.abs(), f64::abs, f64::signum, &XS);
        check("floor", |x| x.floor(), f64::floor, |_| 0.0, &XS);
        check("ceil", |x| x.ceil(), f64::ceil, |_| 0.0, &XS);
        check("round", |x| x.round(), f64::round, |_| 0.0, &XS);
        check("trunc", |x| x.trunc(), f64::trunc, |_| 0.0, &XS);
        check("signum", |x| x.signum(), f64::signum, |_| 0.0, &XS);
        check("fract", |x| x.fract(), f64::fract, |_| 1.0, &XS);
        check(
            "max",
            |x| x.max(Dual::constant(0.0)),
            |x| x.max(0.0),
            |x| if x > 0.0 { 1.0 } else { 0.0 },
            &XS,
        );
        check(
            "min",
            |x| x.min(Dual::constant(0.0)),
            |x| x.min(0.0),
            |x| if x < 0.0 { 1.0 } else { 0.0 },
            &XS,
        );
        check(
            "abs_sub",
            |x| x.abs_sub(Dual::constant(0.0)),
            |x| x.max(0.0),
            |x| if x > 0.0 { 1.0 } else { 0.0 },
            &XS,
        );
        check(
            "copysign -",
            |x| x.copysign(Dual::constant(-1.0)),
            |x| -x.abs(),
            |x| -x.signum(),
            &XS,
        );
        check(
            "rem",
            |x| x % Dual::constant(0.4),
            |x| x % 0.4,
            |_| 1.0,
            &XS,
        );
        // d/dy (x mod y) = −trunc(x/y)
        check(
            "rem in the divisor",
            |y| Dual::constant(2.3) % y,
            |y| 2.3 % y,
            |y| -(2.3 / y).trunc(),
            &[0.4, 0.7, 1.1],
        );
    }

    #[test]
    fn two_argument_functions() {
        // atan2(y, x): ∂/∂y = x/(x²+y²), ∂/∂x = −y/(x²+y²)
        for &(y, x) in &[(0.3, 1.2), (-0.7, -0.4), (2.0, -1.5)] {
            let r2 = x * x + y * y;
            let (v, dy) = d(|t| t.atan2(Dual::constant(x)), y);
            assert_eq!(v, f64::atan2(y, x));
            assert!((dy - x / r2).abs() < 1e-15);
            let (_, dx) = d(|t| Dual::constant(y).atan2(t), x);
            assert!((dx + y / r2).abs() < 1e-15);
            // hypot: ∂/∂x = x/h
            let (h, dh) = d(|t| t.hypot(Dual::constant(y)), x);
            assert_eq!(h, x.hypot(y));
            assert!((dh - x / h).abs() < 1e-15);
        }
        // mul_add(a, b) = x a + b, differentiated in each argument
        let (v, dx) = d(
            |t| t.mul_add(Dual::constant(3.0), Dual::constant(-1.0)),
            0.5,
        );
        assert_eq!((v, dx), (0.5, 3.0));
        let (_, da) = d(
            |t| Dual::constant(0.5).mul_add(t, Dual::constant(-1.0)),
            3.0,
        );
        assert_eq!(da, 0.5);
        let (_, db) = d(
            |t| Dual::constant(0.5).mul_add(Dual::constant(3.0), t),
            -1.0,
        );
        assert_eq!(db, 1.0);
    }

    #[test]
    fn arithmetic_and_degrees() {
        let a = Dual::new(1.5, 2.0);
        let b = Dual::new(-0.5, 3.0);
        let p = a * b;
        assert_eq!((p.re, p.eps), (-0.75, 1.5 * 3.0 + 2.0 * -0.5));
        let q = a / b;
        assert_eq!(q.re, -3.0);
        assert!((q.eps - (2.0 * -0.5 - 1.5 * 3.0) / 0.25).abs() < 1e-14);
        let s = a - b;
        assert_eq!((s.re, s.eps), (2.0, -1.0));
        assert_eq!((-a).eps, -2.0);
        check(
            "to_degrees",
            |x| x.to_degrees(),
            f64::to_degrees,
            |_| 180.0 / PI,
            &XS,
        );
        check(
            "to_radians",
            |x| x.to_radians(),
            f64::to_radians,
            |_| PI / 180.0,
            &XS,
        );
        // a composite: d/dx [x sin(x²)] = sin(x²) + 2x² cos(x²)
        check(
            "x sin x²",
            |x| x * (x * x).sin(),
            |x| x * (x * x).sin(),
            |x| (x * x).sin() + 2.0 * x * x * (x * x).cos(),
            &XS,
        );
    }

    #[test]
    fn conversions_and_constants() {
        let c: Dual = NumCast::from(3_i32).unwrap();
        assert_eq!((c.re, c.eps), (3.0, 0.0));
        let s = Dual::from_str_radix("2.5", 10).unwrap();
        assert_eq!((s.re, s.eps), (2.5, 0.0));
        assert_eq!(Dual::variable(2.9).to_i64(), Some(2));
        assert!(Dual::nan().is_nan());
        assert!(Dual::infinity().is_infinite());
        assert_eq!(Dual::epsilon().re, f64::EPSILON);
        assert!(Dual::new(1.0, 5.0) == Dual::new(1.0, -5.0));
        assert!(Dual::new(1.0, 5.0) < Dual::new(2.0, -5.0));
    }
}
