use std::sync::Arc;

use super::*;
use crate::expr::{ErrorKind, parse_residual};
use crate::residual::VarSet;

fn ctx() -> Context {
    Context::new(&["x", "t"], &["u", "v"])
        .unwrap()
        .with_constant("nu", 0.3)
        .unwrap()
}

fn u_channels() -> Vec<Channel> {
    vec![
        Channel::Value { output: 0 },
        Channel::First { output: 0, var: 0 },
        Channel::First { output: 0, var: 1 },
        Channel::second(0, 0, 0),
        Channel::second(0, 0, 1),
        Channel::second(0, 1, 1),
        Channel::Laplacian {
            output: 0,
            vars: VarSet(0b11),
        },
    ]
}

/// A smooth stand-in for the network, `N(x, t)`, with its channels.
fn n_of(x: f64, t: f64) -> f64 {
    (2.0 * x + 0.3 * t).sin() * (0.5 * t).exp() + 0.2 * x
}

fn n_channel(ch: Channel, x: f64, t: f64) -> f64 {
    let (s, c, e) = (
        (2.0 * x + 0.3 * t).sin(),
        (2.0 * x + 0.3 * t).cos(),
        (0.5 * t).exp(),
    );
    match ch {
        Channel::Value { .. } => n_of(x, t),
        Channel::First { var: 0, .. } => 2.0 * c * e + 0.2,
        Channel::First { .. } => (0.3 * c + 0.5 * s) * e,
        Channel::Second { a: 0, b: 0, .. } => -4.0 * s * e,
        Channel::Second { a: 0, b: 1, .. } => (-0.6 * s + c) * e,
        Channel::Second { .. } => (-0.09 * s + 0.3 * c + 0.25 * s) * e,
        _ => unreachable!("the tests read only values, first and second derivatives"),
    }
}

/// The transformed channels of [`u_channels`] at `(x, t)`, the network channels set
/// from `N(x, t)`.
fn channels_of(src: &str, x: f64, t: f64) -> Vec<f64> {
    let tr = OutputTransform::new(&ctx(), &[Some(src), None]).unwrap();
    let (tape, roots) = tr.derivative_tape(&u_channels()).unwrap();
    let c: Vec<f64> = tape
        .channels
        .iter()
        .map(|&ch| n_channel(ch, x, t))
        .collect();
    let mut out = Vec::new();
    tape.compose(&roots, &[x, t], &c, &mut vec![0.0; c.len()], |y, _| {
        out = y.to_vec();
        0.0
    });
    out
}

/// `u(x, t) = T(x, t, N(x, t))` evaluated directly.
fn u_of(tr: &OutputTransform, x: f64, t: f64) -> f64 {
    let mut u = [0.0, 0.0];
    tr.values(&[x, t], &[n_of(x, t), 0.0], &mut u);
    u[0]
}

const TRANSFORMS: [&str; 5] = [
    "sin(pi*x) + t*N",
    "N + exp(-t)*(x*erf(x/sqrt(0.3 + t)) + sqrt((0.3 + t)/pi)*exp(-x^2/(0.3 + t)))",
    "exp(-(x - pi)^2/(2*(pi/4)^2)) + t*tanh(x*N) - nu*x^2*(1 - x)*N^3/(2 + t)",
    "sqrt(1 + N^2)*cos(t*x) + log(2 + x)*abs(N - 3) + (1 + t)^x*N",
    "N",
];

#[test]
fn derivative_tapes_match_finite_differences_of_the_transform() {
    let (h, h2) = (1e-5, 1e-4);
    for src in TRANSFORMS {
        let tr = OutputTransform::new(&ctx(), &[Some(src), None]).unwrap();
        for &(x, t) in &[(0.3, 0.2), (0.8, 0.9), (-0.4, 0.5)] {
            let got = channels_of(src, x, t);
            let u = |dx: f64, dt: f64| u_of(&tr, x + dx, t + dt);
            let ux = (u(h, 0.0) - u(-h, 0.0)) / (2.0 * h);
            let ut = (u(0.0, h) - u(0.0, -h)) / (2.0 * h);
            let uxx = (u(h2, 0.0) - 2.0 * u(0.0, 0.0) + u(-h2, 0.0)) / (h2 * h2);
            let utt = (u(0.0, h2) - 2.0 * u(0.0, 0.0) + u(0.0, -h2)) / (h2 * h2);
            let uxt = (u(h2, h2) - u(h2, -h2) - u(-h2, h2) + u(-h2, -h2)) / (4.0 * h2 * h2);
            let want = [u(0.0, 0.0), ux, ut, uxx, uxt, utt, uxx + utt];
            for (k, (g, w)) in got.iter().zip(want).enumerate() {
                let tol = if k < 3 { 1e-8 } else { 2e-5 };
                assert!(
                    (g - w).abs() <= tol * (1.0 + w.abs()),
                    "{src} at ({x}, {t}), channel {:?}: {g} vs {w}",
                    u_channels()[k]
                );
            }
        }
    }
}

/// `u = sin(πx) + t N`: `u_x = π cos(πx) + t N_x`, `u_t = N + t N_t`,
/// `u_xx = −π² sin(πx) + t N_xx`, `u_xt = N_x + t N_xt`, `u_tt = 2 N_t + t N_tt`.
#[test]
fn derivative_tapes_match_hand_derived_formulas() {
    use std::f64::consts::PI;
    let (x, t) = (0.3, 0.7);
    let n = |ch| n_channel(ch, x, t);
    let (nv, nx, nt) = (
        n(Channel::Value { output: 0 }),
        n(Channel::First { output: 0, var: 0 }),
        n(Channel::First { output: 0, var: 1 }),
    );
    let (nxx, nxt, ntt) = (
        n(Channel::second(0, 0, 0)),
        n(Channel::second(0, 0, 1)),
        n(Channel::second(0, 1, 1)),
    );
    let s = (PI * x).sin();
    let want = [
        s + t * nv,
        PI * (PI * x).cos() + t * nx,
        nv + t * nt,
        -PI * PI * s + t * nxx,
        nx + t * nxt,
        2.0 * nt + t * ntt,
        -PI * PI * s + t * nxx + 2.0 * nt + t * ntt,
    ];
    let got = channels_of(TRANSFORMS[0], x, t);
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() <= 1e-13 * (1.0 + w.abs()), "{g} vs {w}");
    }
    // The tape reads exactly the network channels the formulas use.
    let tr = OutputTransform::new(&ctx(), &[Some(TRANSFORMS[0]), None]).unwrap();
    let (tape, _) = tr.derivative_tape(&u_channels()).unwrap();
    assert_eq!(tape.channels.len(), 6, "{:?}", tape.channels);
}

/// `∂F/∂c_N` of a wrapped nonlinear residual against central differences in `c_N`.
#[test]
fn partials_in_the_network_channels_match_finite_differences() {
    let c = ctx();
    let burgers: Arc<dyn PointResidual> =
        Arc::new(parse_residual("u_t + u*u_x - nu*u_xx + v_x*u", &c).unwrap());
    let tr = OutputTransform::new(&c, &[Some(TRANSFORMS[1]), None]).unwrap();
    let w = tr.wrap(burgers).unwrap();
    assert!(w.channels().contains(&Channel::First { output: 1, var: 0 }));
    let x = [0.6, 0.4];
    let c0: Vec<f64> = (0..w.channels().len())
        .map(|k| 0.3 + 0.17 * k as f64)
        .collect();
    let mut d = vec![0.0; c0.len()];
    let f = w.eval(&x, &c0, &mut d);
    assert_eq!(f, w.value(&x, &c0));
    let h = 1e-6;
    for k in 0..c0.len() {
        let (mut p, mut m) = (c0.clone(), c0.clone());
        p[k] += h;
        m[k] -= h;
        let fd = (w.value(&x, &p) - w.value(&x, &m)) / (2.0 * h);
        assert!(
            (d[k] - fd).abs() <= 1e-7 * (1.0 + fd.abs()),
            "{k}: {} vs {fd}",
            d[k]
        );
    }
}

#[test]
fn outputs_without_a_transform_pass_through() {
    let c = ctx();
    let tr = OutputTransform::new(&c, &[None, Some("x*N")]).unwrap();
    let r: Arc<dyn PointResidual> = Arc::new(parse_residual("u_x + u", &c).unwrap());
    let w = tr.wrap(r.clone()).unwrap();
    assert!(
        Arc::ptr_eq(&r, &w),
        "a residual of untransformed outputs is not wrapped"
    );
    assert_eq!(tr.sources(), vec!["N".to_string(), "x*N".to_string()]);
    let n = faer::Mat::from_fn(2, 2, |i, k| 1.0 + (i + k) as f64);
    let p = faer::Mat::from_fn(2, 2, |i, j| 0.5 * (i + j + 1) as f64);
    let u = tr.apply(p.as_ref(), n.clone());
    assert_eq!(u[(1, 0)], n[(1, 0)]);
    assert_eq!(u[(1, 1)], p[(1, 0)] * n[(1, 1)]);
    assert!(OutputTransform::identity(&c).is_identity());
}

/// Time slabs accept an ansatz in `t` only when it adds a known function to `N`.
#[test]
fn only_additive_transforms_leave_the_time_variable_free() {
    let c = ctx();
    let t = 1;
    let constrains = |src: &str| {
        OutputTransform::new(&c, &[None, Some(src)])
            .unwrap()
            .constrains_variable(t)
    };
    for free in [
        "N + exp(-t)*erf(x/sqrt(t + 1))",
        "t^2*sin(x) + N",
        "N - nu*t",
        "sin(pi*x) + x*N",
        "N",
    ] {
        assert_eq!(constrains(free), None, "{free}");
    }
    for bound in [
        "sin(pi*x) + t*N",
        "N + t*N",
        "(N + t)*2",
        "t - N",
        "N*exp(-t)",
        "(1 + t)*(N + 1)",
    ] {
        assert_eq!(constrains(bound), Some(1), "{bound}");
    }
    assert_eq!(OutputTransform::identity(&c).constrains_variable(t), None);
}

#[test]
fn bad_transforms_are_refused() {
    let c = ctx();
    let e = OutputTransform::new(&c, &[Some("t*N_x"), None]).unwrap_err();
    assert!(
        matches!(&e, TransformError::Expr { output: 0, error } if error.kind == ErrorKind::DerivativeInTransform && error.column == 3),
        "{e:?}"
    );
    let e = OutputTransform::new(&c, &[None, Some("sin(x)")]).unwrap_err();
    assert_eq!(e, TransformError::NoNetwork { output: 1 });
    let e = OutputTransform::new(&c, &[Some("u + N"), None]).unwrap_err();
    assert!(
        matches!(&e, TransformError::Expr { error, .. } if error.kind == ErrorKind::UndefinedSymbol)
    );
    let clash = Context::new(&["x", "N"], &["u"]).unwrap();
    let e = OutputTransform::new(&clash, &[Some("x*N")]).unwrap_err();
    assert!(e.to_string().contains("declares `N` as a variable"), "{e}");
    let clash = Context::new(&["x"], &["u"])
        .unwrap()
        .with_constant("N_0", 1.0)
        .unwrap();
    assert!(OutputTransform::new(&clash, &[Some("x*N")]).is_err());
    // Without any transform nothing is checked, so `N` stays a usable name.
    assert!(
        OutputTransform::new(&Context::new(&["N"], &["u"]).unwrap(), &[None])
            .unwrap()
            .is_identity()
    );
}

/// A transformed residual stores its own point-only parts (the built-in data `sin(πx)`
/// and its derivatives, `x(1 − x)`) ahead of the inner residual's (the source term
/// `sin(x) exp(t)`): from stored parts it gives the bits of the path that computes them
/// at every call, value and partials.
#[test]
fn a_transformed_residual_stores_its_own_and_the_inner_residuals_point_parts() {
    let inner: Arc<dyn PointResidual> =
        Arc::new(parse_residual("u_t - nu*u_xx + u*u_x - sin(x)*exp(t)", &ctx()).unwrap());
    assert!(inner.point_part_len() > 0, "a source term to store");
    let tr = OutputTransform::new(&ctx(), &[Some("sin(pi*x) + t*x*(1 - x)*N"), None]).unwrap();
    let wrapped = tr.wrap(inner.clone()).unwrap();
    let own_len = wrapped.point_part_len() - inner.point_part_len();
    assert!(
        own_len > 0,
        "the transform's point-only slots are stored too"
    );
    let pts = faer::Mat::from_fn(7, 2, |i, j| 0.11 * i as f64 + 0.05 * j as f64 + 0.01);
    let len = wrapped.point_part_len();
    let mut parts = vec![0.0; 7 * len];
    wrapped.point_parts_block(pts.as_ref(), &mut parts);
    let k = wrapped.channels().len();
    for i in 0..7 {
        let x = [pts[(i, 0)], pts[(i, 1)]];
        let pre = &parts[i * len..(i + 1) * len];
        let mut single = vec![0.0; len];
        wrapped.point_part(&x, &mut single);
        assert_eq!(pre, &single[..]);
        let mut of_inner = vec![0.0; inner.point_part_len()];
        inner.point_part(&x, &mut of_inner);
        assert_eq!(&pre[own_len..], &of_inner[..]);
        let c: Vec<f64> = (0..k)
            .map(|m| 0.2 - 0.07 * m as f64 + 0.03 * i as f64)
            .collect();
        let (mut a, mut b) = (vec![0.0; k], vec![0.0; k]);
        let plain = wrapped.eval(&x, &c, &mut a);
        assert_eq!(
            wrapped.eval_with(&x, pre, &c, &mut b).to_bits(),
            plain.to_bits()
        );
        assert_eq!(a, b);
        assert_eq!(
            wrapped.value_with(&x, pre, &c).to_bits(),
            wrapped.value(&x, &c).to_bits()
        );
    }
}
