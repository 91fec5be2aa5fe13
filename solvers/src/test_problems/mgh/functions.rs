//! Residuals and analytic Jacobians of the Moré–Garbow–Hillstrom functions.
//!
//! Formulas from J. J. Moré, B. S. Garbow, K. E. Hillstrom, "Testing unconstrained
//! optimization software", ACM TOMS 7 (1981) 17–41, §3, where problem `k` is written
//! `f_i(x)`, `i = 1..m`, over `x ∈ R^n`. Here indices are 0-based (`x[0]` is MGH's
//! `x_1`); each residual is MGH's `f_i`, or its negative where noted (the sum of squares
//! is the same).

// Loops run over MGH's index i (or j) because the formulas are written that way;
// iterator chains would hide the correspondence with the paper.
#![allow(clippy::needless_range_loop)]

use faer::MatMut;

/// Bard (8): the data `y_i`, `i = 1..15`.
pub(super) const BARD_Y: [f64; 15] = [
    0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39, 0.37, 0.58, 0.73, 0.96, 1.34, 2.10, 4.39,
];
/// Gaussian (9): the data `y_i`, symmetric about `i = 8`.
pub(super) const GAUSSIAN_Y: [f64; 15] = [
    0.0009, 0.0044, 0.0175, 0.0540, 0.1295, 0.2420, 0.3521, 0.3989, 0.3521, 0.2420, 0.1295, 0.0540,
    0.0175, 0.0044, 0.0009,
];
/// Meyer (10): the data `y_i`.
pub(super) const MEYER_Y: [f64; 16] = [
    34780.0, 28610.0, 23650.0, 19630.0, 16370.0, 13720.0, 11540.0, 9744.0, 8261.0, 7030.0, 6005.0,
    5147.0, 4427.0, 3820.0, 3307.0, 2872.0,
];
/// Kowalik–Osborne (15): `y_i`.
pub(super) const KOWALIK_Y: [f64; 11] = [
    0.1957, 0.1947, 0.1735, 0.1600, 0.0844, 0.0627, 0.0456, 0.0342, 0.0323, 0.0235, 0.0246,
];
/// Kowalik–Osborne (15): `u_i`.
pub(super) const KOWALIK_U: [f64; 11] = [
    4.0, 2.0, 1.0, 0.5, 0.25, 0.167, 0.125, 0.1, 0.0833, 0.0714, 0.0625,
];
/// Osborne 1 (17): `y_i`.
pub(super) const OSBORNE1_Y: [f64; 33] = [
    0.844, 0.908, 0.932, 0.936, 0.925, 0.908, 0.881, 0.850, 0.818, 0.784, 0.751, 0.718, 0.685,
    0.658, 0.628, 0.603, 0.580, 0.558, 0.538, 0.522, 0.506, 0.490, 0.478, 0.467, 0.457, 0.448,
    0.438, 0.431, 0.424, 0.420, 0.414, 0.411, 0.406,
];
/// Osborne 2 (19): `y_i`.
pub(super) const OSBORNE2_Y: [f64; 65] = [
    1.366, 1.191, 1.112, 1.013, 0.991, 0.885, 0.831, 0.847, 0.786, 0.725, 0.746, 0.679, 0.608,
    0.655, 0.616, 0.606, 0.602, 0.626, 0.651, 0.724, 0.649, 0.649, 0.694, 0.644, 0.624, 0.661,
    0.612, 0.558, 0.533, 0.495, 0.500, 0.423, 0.395, 0.375, 0.372, 0.391, 0.396, 0.405, 0.428,
    0.429, 0.523, 0.562, 0.607, 0.653, 0.672, 0.708, 0.633, 0.668, 0.645, 0.632, 0.591, 0.559,
    0.597, 0.625, 0.739, 0.710, 0.729, 0.720, 0.636, 0.581, 0.428, 0.292, 0.162, 0.098, 0.054,
];

/// Where Jacobian entries go: a caller's matrix, or nowhere (residuals only).
pub(super) struct Sink<'a> {
    jac: Option<MatMut<'a, f64>>,
}

impl<'a> Sink<'a> {
    /// A sink into `jac`, zeroed first (most MGH Jacobians are sparse).
    pub(super) fn new(jac: Option<MatMut<'a, f64>>) -> Self {
        let mut jac = jac;
        if let Some(j) = jac.as_mut() {
            j.fill(0.0);
        }
        Sink { jac }
    }
    #[inline]
    fn set(&mut self, i: usize, k: usize, v: f64) {
        if let Some(j) = self.jac.as_mut() {
            j[(i, k)] = v;
        }
    }
    #[inline]
    fn add(&mut self, i: usize, k: usize, v: f64) {
        if let Some(j) = self.jac.as_mut() {
            j[(i, k)] += v;
        }
    }
}

/// Rosenbrock (1): `f1 = 10(x2 − x1²)`, `f2 = 1 − x1`.
pub(super) fn rosenbrock(x: &[f64], r: &mut [f64], j: &mut Sink) {
    r[0] = 10.0 * (x[1] - x[0] * x[0]);
    r[1] = 1.0 - x[0];
    j.set(0, 0, -20.0 * x[0]);
    j.set(0, 1, 10.0);
    j.set(1, 0, -1.0);
}

/// Freudenstein–Roth (2): `f1 = −13 + x1 + ((5 − x2)x2 − 2)x2`,
/// `f2 = −29 + x1 + ((x2 + 1)x2 − 14)x2`.
pub(super) fn freudenstein_roth(x: &[f64], r: &mut [f64], j: &mut Sink) {
    let y = x[1];
    r[0] = -13.0 + x[0] + ((5.0 - y) * y - 2.0) * y;
    r[1] = -29.0 + x[0] + ((y + 1.0) * y - 14.0) * y;
    j.set(0, 0, 1.0);
    j.set(0, 1, 10.0 * y - 3.0 * y * y - 2.0);
    j.set(1, 0, 1.0);
    j.set(1, 1, 3.0 * y * y + 2.0 * y - 14.0);
}

/// Powell badly scaled (3): `f1 = 10⁴ x1 x2 − 1`, `f2 = e^{−x1} + e^{−x2} − 1.0001`.
pub(super) fn powell_badly_scaled(x: &[f64], r: &mut [f64], j: &mut Sink) {
    let (e0, e1) = ((-x[0]).exp(), (-x[1]).exp());
    r[0] = 1e4 * x[0] * x[1] - 1.0;
    r[1] = e0 + e1 - 1.0001;
    j.set(0, 0, 1e4 * x[1]);
    j.set(0, 1, 1e4 * x[0]);
    j.set(1, 0, -e0);
    j.set(1, 1, -e1);
}

/// Brown badly scaled (4): `f1 = x1 − 10⁶`, `f2 = x2 − 2·10⁻⁶`, `f3 = x1 x2 − 2`.
pub(super) fn brown_badly_scaled(x: &[f64], r: &mut [f64], j: &mut Sink) {
    r[0] = x[0] - 1e6;
    r[1] = x[1] - 2e-6;
    r[2] = x[0] * x[1] - 2.0;
    j.set(0, 0, 1.0);
    j.set(1, 1, 1.0);
    j.set(2, 0, x[1]);
    j.set(2, 1, x[0]);
}

/// Beale (5): `f_i = y_i − x1(1 − x2^i)`, `y = (1.5, 2.25, 2.625)`.
pub(super) fn beale(x: &[f64], r: &mut [f64], j: &mut Sink) {
    const Y: [f64; 3] = [1.5, 2.25, 2.625];
    for i in 0..3 {
        let p = (i + 1) as i32;
        let xp = x[1].powi(p);
        r[i] = Y[i] - x[0] * (1.0 - xp);
        j.set(i, 0, -(1.0 - xp));
        j.set(i, 1, x[0] * p as f64 * x[1].powi(p - 1));
    }
}

/// Jennrich–Sampson (6): `f_i = 2 + 2i − (e^{i x1} + e^{i x2})`.
pub(super) fn jennrich_sampson(x: &[f64], r: &mut [f64], j: &mut Sink) {
    for (i, ri) in r.iter_mut().enumerate() {
        let t = (i + 1) as f64;
        let (e0, e1) = ((t * x[0]).exp(), (t * x[1]).exp());
        *ri = 2.0 + 2.0 * t - (e0 + e1);
        j.set(i, 0, -t * e0);
        j.set(i, 1, -t * e1);
    }
}

/// Helical valley (7): `f1 = 10(x3 − 10θ)`, `f2 = 10(√(x1²+x2²) − 1)`, `f3 = x3`, with
/// `2πθ = arctan(x2/x1)` for `x1 > 0` and `arctan(x2/x1) + π` for `x1 < 0`, i.e.
/// `θ ∈ (−¼, ¾)`.
pub(super) fn helical_valley(x: &[f64], r: &mut [f64], j: &mut Sink) {
    let two_pi = 2.0 * std::f64::consts::PI;
    let mut theta = x[1].atan2(x[0]) / two_pi;
    if theta < -0.25 {
        theta += 1.0;
    }
    let rho2 = x[0] * x[0] + x[1] * x[1];
    let rho = rho2.sqrt();
    r[0] = 10.0 * (x[2] - 10.0 * theta);
    r[1] = 10.0 * (rho - 1.0);
    r[2] = x[2];
    j.set(0, 0, 100.0 * x[1] / (two_pi * rho2));
    j.set(0, 1, -100.0 * x[0] / (two_pi * rho2));
    j.set(0, 2, 10.0);
    j.set(1, 0, 10.0 * x[0] / rho);
    j.set(1, 1, 10.0 * x[1] / rho);
    j.set(2, 2, 1.0);
}

/// Bard (8): `f_i = y_i − (x1 + u_i / (v_i x2 + w_i x3))`, `u = i`, `v = 16 − i`,
/// `w = min(u, v)`.
pub(super) fn bard(x: &[f64], r: &mut [f64], j: &mut Sink) {
    for i in 0..15 {
        let u = (i + 1) as f64;
        let v = 16.0 - u;
        let w = u.min(v);
        let d = v * x[1] + w * x[2];
        r[i] = BARD_Y[i] - (x[0] + u / d);
        j.set(i, 0, -1.0);
        j.set(i, 1, u * v / (d * d));
        j.set(i, 2, u * w / (d * d));
    }
}

/// Gaussian (9): `f_i = x1 exp(−x2 (t_i − x3)²/2) − y_i`, `t_i = (8 − i)/2`.
pub(super) fn gaussian(x: &[f64], r: &mut [f64], j: &mut Sink) {
    for i in 0..15 {
        let t = (7.0 - i as f64) / 2.0;
        let d = t - x[2];
        let e = (-0.5 * x[1] * d * d).exp();
        r[i] = x[0] * e - GAUSSIAN_Y[i];
        j.set(i, 0, e);
        j.set(i, 1, -0.5 * x[0] * e * d * d);
        j.set(i, 2, x[0] * e * x[1] * d);
    }
}

/// Meyer (10): `f_i = x1 exp(x2 / (t_i + x3)) − y_i`, `t_i = 45 + 5i`.
pub(super) fn meyer(x: &[f64], r: &mut [f64], j: &mut Sink) {
    for i in 0..16 {
        let t = 45.0 + 5.0 * (i + 1) as f64;
        let q = 1.0 / (t + x[2]);
        let e = (x[1] * q).exp();
        r[i] = x[0] * e - MEYER_Y[i];
        j.set(i, 0, e);
        j.set(i, 1, x[0] * e * q);
        j.set(i, 2, -x[0] * e * x[1] * q * q);
    }
}

/// Gulf research and development (11): `f_i = exp(−|y_i − x2|^{x3} / x1) − t_i`,
/// `t_i = i/100`, `y_i = 25 + (−50 ln t_i)^{2/3}`.
pub(super) fn gulf(x: &[f64], r: &mut [f64], j: &mut Sink) {
    for (i, ri) in r.iter_mut().enumerate() {
        let t = (i + 1) as f64 / 100.0;
        let y = 25.0 + (-50.0 * t.ln()).powf(2.0 / 3.0);
        let d = y - x[1];
        let a = d.abs();
        let p = a.powf(x[2]);
        let e = (-p / x[0]).exp();
        *ri = e - t;
        j.set(i, 0, e * p / (x[0] * x[0]));
        // ∂|d|^{x3}/∂x2 = −x3 |d|^{x3−1} sign(d).
        let dp_dx1 = if a > 0.0 {
            -x[2] * p / a * d.signum()
        } else {
            0.0
        };
        j.set(i, 1, -e * dp_dx1 / x[0]);
        let dp_dx2 = if a > 0.0 { p * a.ln() } else { 0.0 };
        j.set(i, 2, -e * dp_dx2 / x[0]);
    }
}

/// Box three-dimensional (12): `f_i = e^{−t x1} − e^{−t x2} − x3 (e^{−t} − e^{−10t})`,
/// `t_i = i/10`.
pub(super) fn box_3d(x: &[f64], r: &mut [f64], j: &mut Sink) {
    for (i, ri) in r.iter_mut().enumerate() {
        let t = 0.1 * (i + 1) as f64;
        let (e0, e1) = ((-t * x[0]).exp(), (-t * x[1]).exp());
        let c = (-t).exp() - (-10.0 * t).exp();
        *ri = e0 - e1 - x[2] * c;
        j.set(i, 0, -t * e0);
        j.set(i, 1, t * e1);
        j.set(i, 2, -c);
    }
}

/// Powell singular (13): `f1 = x1 + 10x2`, `f2 = √5 (x3 − x4)`, `f3 = (x2 − 2x3)²`,
/// `f4 = √10 (x1 − x4)²`.
pub(super) fn powell_singular(x: &[f64], r: &mut [f64], j: &mut Sink) {
    powell_block(x, r, j, 0);
}

fn powell_block(x: &[f64], r: &mut [f64], j: &mut Sink, o: usize) {
    let (s5, s10) = (5f64.sqrt(), 10f64.sqrt());
    let a = x[o + 1] - 2.0 * x[o + 2];
    let b = x[o] - x[o + 3];
    r[o] = x[o] + 10.0 * x[o + 1];
    r[o + 1] = s5 * (x[o + 2] - x[o + 3]);
    r[o + 2] = a * a;
    r[o + 3] = s10 * b * b;
    j.set(o, o, 1.0);
    j.set(o, o + 1, 10.0);
    j.set(o + 1, o + 2, s5);
    j.set(o + 1, o + 3, -s5);
    j.set(o + 2, o + 1, 2.0 * a);
    j.set(o + 2, o + 2, -4.0 * a);
    j.set(o + 3, o, 2.0 * s10 * b);
    j.set(o + 3, o + 3, -2.0 * s10 * b);
}

/// Wood (14): `f1 = 10(x2 − x1²)`, `f2 = 1 − x1`, `f3 = √90 (x4 − x3²)`, `f4 = 1 − x3`,
/// `f5 = √10 (x2 + x4 − 2)`, `f6 = 10^{−½} (x2 − x4)`.
pub(super) fn wood(x: &[f64], r: &mut [f64], j: &mut Sink) {
    let (s90, s10) = (90f64.sqrt(), 10f64.sqrt());
    r[0] = 10.0 * (x[1] - x[0] * x[0]);
    r[1] = 1.0 - x[0];
    r[2] = s90 * (x[3] - x[2] * x[2]);
    r[3] = 1.0 - x[2];
    r[4] = s10 * (x[1] + x[3] - 2.0);
    r[5] = (x[1] - x[3]) / s10;
    j.set(0, 0, -20.0 * x[0]);
    j.set(0, 1, 10.0);
    j.set(1, 0, -1.0);
    j.set(2, 2, -2.0 * s90 * x[2]);
    j.set(2, 3, s90);
    j.set(3, 2, -1.0);
    j.set(4, 1, s10);
    j.set(4, 3, s10);
    j.set(5, 1, 1.0 / s10);
    j.set(5, 3, -1.0 / s10);
}

/// Kowalik–Osborne (15): `f_i = y_i − x1 (u_i² + u_i x2) / (u_i² + u_i x3 + x4)`.
pub(super) fn kowalik_osborne(x: &[f64], r: &mut [f64], j: &mut Sink) {
    for i in 0..11 {
        let u = KOWALIK_U[i];
        let num = u * (u + x[1]);
        let den = u * (u + x[2]) + x[3];
        r[i] = KOWALIK_Y[i] - x[0] * num / den;
        j.set(i, 0, -num / den);
        j.set(i, 1, -x[0] * u / den);
        j.set(i, 2, x[0] * num * u / (den * den));
        j.set(i, 3, x[0] * num / (den * den));
    }
}

/// Brown and Dennis (16): `f_i = (x1 + t x2 − e^t)² + (x3 + x4 sin t − cos t)²`,
/// `t = i/5`.
pub(super) fn brown_dennis(x: &[f64], r: &mut [f64], j: &mut Sink) {
    for (i, ri) in r.iter_mut().enumerate() {
        let t = (i + 1) as f64 / 5.0;
        let (s, c) = t.sin_cos();
        let a = x[0] + t * x[1] - t.exp();
        let b = x[2] + x[3] * s - c;
        *ri = a * a + b * b;
        j.set(i, 0, 2.0 * a);
        j.set(i, 1, 2.0 * a * t);
        j.set(i, 2, 2.0 * b);
        j.set(i, 3, 2.0 * b * s);
    }
}

/// Osborne 1 (17): `f_i = y_i − (x1 + x2 e^{−t x4} + x3 e^{−t x5})`, `t = 10(i − 1)`;
/// coded with the opposite sign.
pub(super) fn osborne1(x: &[f64], r: &mut [f64], j: &mut Sink) {
    for i in 0..33 {
        let t = 10.0 * i as f64;
        let (e3, e4) = ((-t * x[3]).exp(), (-t * x[4]).exp());
        r[i] = x[0] + x[1] * e3 + x[2] * e4 - OSBORNE1_Y[i];
        j.set(i, 0, 1.0);
        j.set(i, 1, e3);
        j.set(i, 2, e4);
        j.set(i, 3, -t * x[1] * e3);
        j.set(i, 4, -t * x[2] * e4);
    }
}

/// Biggs EXP6 (18): `f_i = x3 e^{−t x1} − x4 e^{−t x2} + x6 e^{−t x5} − y_i`, `t = i/10`,
/// `y_i = e^{−t} − 5e^{−10t} + 3e^{−4t}`.
pub(super) fn biggs_exp6(x: &[f64], r: &mut [f64], j: &mut Sink) {
    for (i, ri) in r.iter_mut().enumerate() {
        let t = 0.1 * (i + 1) as f64;
        let y = (-t).exp() - 5.0 * (-10.0 * t).exp() + 3.0 * (-4.0 * t).exp();
        let (e0, e1, e4) = ((-t * x[0]).exp(), (-t * x[1]).exp(), (-t * x[4]).exp());
        *ri = x[2] * e0 - x[3] * e1 + x[5] * e4 - y;
        j.set(i, 0, -t * x[2] * e0);
        j.set(i, 1, t * x[3] * e1);
        j.set(i, 2, e0);
        j.set(i, 3, -e1);
        j.set(i, 4, -t * x[5] * e4);
        j.set(i, 5, e4);
    }
}

/// Osborne 2 (19): `f_i = y_i − (x1 e^{−t x5} + x2 e^{−(t−x9)² x6} + x3 e^{−(t−x10)² x7}
/// + x4 e^{−(t−x11)² x8})`, `t = (i − 1)/10`; coded with the opposite sign.
pub(super) fn osborne2(x: &[f64], r: &mut [f64], j: &mut Sink) {
    for i in 0..65 {
        let t = i as f64 / 10.0;
        let e1 = (-t * x[4]).exp();
        let mut model = x[0] * e1;
        j.set(i, 0, e1);
        j.set(i, 4, -t * x[0] * e1);
        for k in 0..3 {
            let d = t - x[8 + k];
            let e = (-d * d * x[5 + k]).exp();
            model += x[1 + k] * e;
            j.set(i, 1 + k, e);
            j.set(i, 5 + k, -d * d * x[1 + k] * e);
            j.set(i, 8 + k, 2.0 * d * x[5 + k] * x[1 + k] * e);
        }
        r[i] = model - OSBORNE2_Y[i];
    }
}

/// Watson (20), `m = 31`: for `i ≤ 29`, `t_i = i/29`,
/// `f_i = Σ_{j=2}^n (j−1) x_j t^{j−2} − (Σ_{j=1}^n x_j t^{j−1})² − 1`;
/// `f_30 = x1`, `f_31 = x2 − x1² − 1`.
pub(super) fn watson(x: &[f64], r: &mut [f64], j: &mut Sink) {
    let n = x.len();
    for i in 0..29 {
        let t = (i + 1) as f64 / 29.0;
        let (mut s1, mut s2, mut p) = (0.0, 0.0, 1.0);
        for (k, &xk) in x.iter().enumerate() {
            s2 += xk * p;
            if k + 1 < n {
                s1 += (k + 1) as f64 * x[k + 1] * p;
            }
            p *= t;
        }
        r[i] = s1 - s2 * s2 - 1.0;
        let mut p = 1.0; // t^{k}
        for k in 0..n {
            let d1 = if k > 0 { k as f64 * p / t } else { 0.0 };
            j.set(i, k, d1 - 2.0 * s2 * p);
            p *= t;
        }
    }
    r[29] = x[0];
    r[30] = x[1] - x[0] * x[0] - 1.0;
    j.set(29, 0, 1.0);
    j.set(30, 0, -2.0 * x[0]);
    j.set(30, 1, 1.0);
}

/// Extended Rosenbrock (21): Rosenbrock on each pair `(x_{2i−1}, x_{2i})`.
pub(super) fn extended_rosenbrock(x: &[f64], r: &mut [f64], j: &mut Sink) {
    for o in (0..x.len()).step_by(2) {
        r[o] = 10.0 * (x[o + 1] - x[o] * x[o]);
        r[o + 1] = 1.0 - x[o];
        j.set(o, o, -20.0 * x[o]);
        j.set(o, o + 1, 10.0);
        j.set(o + 1, o, -1.0);
    }
}

/// Extended Powell singular (22): Powell singular on each block of four.
pub(super) fn extended_powell(x: &[f64], r: &mut [f64], j: &mut Sink) {
    for o in (0..x.len()).step_by(4) {
        powell_block(x, r, j, o);
    }
}

/// Penalty I (23), `m = n + 1`: `f_i = √a (x_i − 1)`, `a = 10⁻⁵`;
/// `f_{n+1} = Σ x_j² − ¼`.
pub(super) fn penalty1(x: &[f64], r: &mut [f64], j: &mut Sink) {
    let n = x.len();
    let sa = 1e-5f64.sqrt();
    let mut s = 0.0;
    for (k, &xk) in x.iter().enumerate() {
        r[k] = sa * (xk - 1.0);
        j.set(k, k, sa);
        j.set(n, k, 2.0 * xk);
        s += xk * xk;
    }
    r[n] = s - 0.25;
}

/// Penalty II (24), `m = 2n`: `f_1 = x1 − 0.2`;
/// `f_i = √a (e^{x_i/10} + e^{x_{i−1}/10} − y_i)`, `y_i = e^{i/10} + e^{(i−1)/10}`,
/// `2 ≤ i ≤ n`; `f_i = √a (e^{x_{i−n+1}/10} − e^{−1/10})`, `n < i < 2n`;
/// `f_{2n} = Σ_j (n − j + 1) x_j² − 1`; `a = 10⁻⁵`.
pub(super) fn penalty2(x: &[f64], r: &mut [f64], j: &mut Sink) {
    let n = x.len();
    let sa = 1e-5f64.sqrt();
    let e: Vec<f64> = x.iter().map(|v| (v / 10.0).exp()).collect();
    r[0] = x[0] - 0.2;
    j.set(0, 0, 1.0);
    for i in 1..n {
        // MGH index i+1.
        let y = ((i + 1) as f64 / 10.0).exp() + (i as f64 / 10.0).exp();
        r[i] = sa * (e[i] + e[i - 1] - y);
        j.set(i, i, sa * e[i] / 10.0);
        j.set(i, i - 1, sa * e[i - 1] / 10.0);
    }
    for i in n..(2 * n - 1) {
        // MGH index i+1 in n+1..2n−1 uses x_{i+1−n+1} = x[i − n + 1] (0-based).
        let k = i - n + 1;
        r[i] = sa * (e[k] - (-0.1f64).exp());
        j.set(i, k, sa * e[k] / 10.0);
    }
    let mut s = 0.0;
    for (k, &xk) in x.iter().enumerate() {
        let w = (n - k) as f64;
        s += w * xk * xk;
        j.set(2 * n - 1, k, 2.0 * w * xk);
    }
    r[2 * n - 1] = s - 1.0;
}

/// Variably dimensioned (25), `m = n + 2`: `f_i = x_i − 1`,
/// `f_{n+1} = Σ j (x_j − 1)`, `f_{n+2} = (Σ j (x_j − 1))²`.
pub(super) fn variably_dimensioned(x: &[f64], r: &mut [f64], j: &mut Sink) {
    let n = x.len();
    let mut s = 0.0;
    for (k, &xk) in x.iter().enumerate() {
        r[k] = xk - 1.0;
        j.set(k, k, 1.0);
        s += (k + 1) as f64 * (xk - 1.0);
    }
    r[n] = s;
    r[n + 1] = s * s;
    for k in 0..n {
        let w = (k + 1) as f64;
        j.set(n, k, w);
        j.set(n + 1, k, 2.0 * s * w);
    }
}

/// Brown almost-linear (27), `m = n`: `f_i = x_i + Σ x_j − (n + 1)` for `i < n`,
/// `f_n = Π x_j − 1`.
pub(super) fn brown_almost_linear(x: &[f64], r: &mut [f64], j: &mut Sink) {
    let n = x.len();
    let s: f64 = x.iter().sum();
    for i in 0..n - 1 {
        r[i] = x[i] + s - (n + 1) as f64;
        for k in 0..n {
            j.set(i, k, 1.0);
        }
        j.add(i, i, 1.0);
    }
    r[n - 1] = x.iter().product::<f64>() - 1.0;
    for k in 0..n {
        let others: f64 = x
            .iter()
            .enumerate()
            .filter(|&(l, _)| l != k)
            .map(|(_, v)| v)
            .product();
        j.set(n - 1, k, others);
    }
}

/// Discrete boundary value (28), `m = n`, `h = 1/(n+1)`, `t_i = ih`, `x_0 = x_{n+1} = 0`:
/// `f_i = 2x_i − x_{i−1} − x_{i+1} + h² (x_i + t_i + 1)³ / 2`.
pub(super) fn discrete_boundary_value(x: &[f64], r: &mut [f64], j: &mut Sink) {
    let n = x.len();
    let h = 1.0 / (n + 1) as f64;
    for i in 0..n {
        let t = (i + 1) as f64 * h;
        let left = if i > 0 { x[i - 1] } else { 0.0 };
        let right = if i + 1 < n { x[i + 1] } else { 0.0 };
        let u = x[i] + t + 1.0;
        r[i] = 2.0 * x[i] - left - right + 0.5 * h * h * u * u * u;
        j.set(i, i, 2.0 + 1.5 * h * h * u * u);
        if i > 0 {
            j.set(i, i - 1, -1.0);
        }
        if i + 1 < n {
            j.set(i, i + 1, -1.0);
        }
    }
}

/// Discrete integral equation (29), `m = n`, `h = 1/(n+1)`, `t_i = ih`:
/// `f_i = x_i + h [(1 − t_i) Σ_{j≤i} t_j (x_j + t_j + 1)³ + t_i Σ_{j>i} (1 − t_j)(x_j + t_j + 1)³] / 2`.
pub(super) fn discrete_integral_equation(x: &[f64], r: &mut [f64], j: &mut Sink) {
    let n = x.len();
    let h = 1.0 / (n + 1) as f64;
    let t = |k: usize| (k + 1) as f64 * h;
    for i in 0..n {
        let ti = t(i);
        let (mut lo, mut hi) = (0.0, 0.0);
        for k in 0..n {
            let tk = t(k);
            let u = x[k] + tk + 1.0;
            if k <= i {
                lo += tk * u * u * u;
                j.set(i, k, 0.5 * h * (1.0 - ti) * tk * 3.0 * u * u);
            } else {
                hi += (1.0 - tk) * u * u * u;
                j.set(i, k, 0.5 * h * ti * (1.0 - tk) * 3.0 * u * u);
            }
        }
        r[i] = x[i] + 0.5 * h * ((1.0 - ti) * lo + ti * hi);
        j.add(i, i, 1.0);
    }
}

/// Broyden tridiagonal (30), `m = n`, `x_0 = x_{n+1} = 0`:
/// `f_i = (3 − 2x_i) x_i − x_{i−1} − 2x_{i+1} + 1`.
pub(super) fn broyden_tridiagonal(x: &[f64], r: &mut [f64], j: &mut Sink) {
    let n = x.len();
    for i in 0..n {
        let left = if i > 0 { x[i - 1] } else { 0.0 };
        let right = if i + 1 < n { x[i + 1] } else { 0.0 };
        r[i] = (3.0 - 2.0 * x[i]) * x[i] - left - 2.0 * right + 1.0;
        j.set(i, i, 3.0 - 4.0 * x[i]);
        if i > 0 {
            j.set(i, i - 1, -1.0);
        }
        if i + 1 < n {
            j.set(i, i + 1, -2.0);
        }
    }
}

/// Broyden banded (31), `m = n`: `f_i = x_i (2 + 5x_i²) + 1 − Σ_{j ∈ J_i} x_j (1 + x_j)`,
/// `J_i = {j ≠ i : max(1, i − 5) ≤ j ≤ min(n, i + 1)}`.
pub(super) fn broyden_banded(x: &[f64], r: &mut [f64], j: &mut Sink) {
    let n = x.len();
    for i in 0..n {
        let mut v = x[i] * (2.0 + 5.0 * x[i] * x[i]) + 1.0;
        j.set(i, i, 2.0 + 15.0 * x[i] * x[i]);
        for k in i.saturating_sub(5)..(i + 2).min(n) {
            if k != i {
                v -= x[k] * (1.0 + x[k]);
                j.set(i, k, -(1.0 + 2.0 * x[k]));
            }
        }
        r[i] = v;
    }
}

/// Linear function, full rank (32), `m ≥ n`: `f_i = x_i − (2/m) Σ x_j − 1` for `i ≤ n`,
/// `f_i = −(2/m) Σ x_j − 1` for `i > n`.
pub(super) fn linear_full_rank(x: &[f64], r: &mut [f64], j: &mut Sink) {
    let m = r.len();
    let c = 2.0 / m as f64;
    let s: f64 = x.iter().sum();
    for (i, ri) in r.iter_mut().enumerate() {
        *ri = -c * s - 1.0;
        if i < x.len() {
            *ri += x[i];
        }
        for k in 0..x.len() {
            j.set(i, k, if k == i { 1.0 - c } else { -c });
        }
    }
}

/// Linear function, rank 1 (33): `f_i = i (Σ_j j x_j) − 1`.
pub(super) fn linear_rank1(x: &[f64], r: &mut [f64], j: &mut Sink) {
    let s: f64 = x.iter().enumerate().map(|(k, v)| (k + 1) as f64 * v).sum();
    for (i, ri) in r.iter_mut().enumerate() {
        let w = (i + 1) as f64;
        *ri = w * s - 1.0;
        for k in 0..x.len() {
            j.set(i, k, w * (k + 1) as f64);
        }
    }
}

/// Linear function, rank 1 with zero columns and rows (34): `f_1 = f_m = −1`,
/// `f_i = (i − 1) (Σ_{j=2}^{n−1} j x_j) − 1` for `2 ≤ i ≤ m − 1`.
pub(super) fn linear_rank1_zero(x: &[f64], r: &mut [f64], j: &mut Sink) {
    let (n, m) = (x.len(), r.len());
    let s: f64 = (1..n - 1).map(|k| (k + 1) as f64 * x[k]).sum();
    r[0] = -1.0;
    r[m - 1] = -1.0;
    for i in 1..m - 1 {
        let w = i as f64;
        r[i] = w * s - 1.0;
        for k in 1..n - 1 {
            j.set(i, k, w * (k + 1) as f64);
        }
    }
}
