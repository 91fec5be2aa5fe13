//! End-to-end tests of the expression language (`pinn::expr`): evaluation against
//! hand-written Rust closures, partials against hand-derived formulas and central
//! differences, error columns, and a no-panic sweep over broken input.

use std::f64::consts::PI;

use pinn::expr::{CompiledResidual, Context, ErrorKind, parse_function, parse_residual};
use pinn::residual::{Channel, PointFunction, PointResidual, VarSet};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const POINTS: usize = 400;

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + a.abs().max(b.abs()))
}

fn idx(r: &CompiledResidual, ch: Channel) -> usize {
    r.channels()
        .iter()
        .position(|&c| c == ch)
        .unwrap_or_else(|| panic!("{ch:?} not read"))
}

fn random(rng: &mut StdRng, n: usize, lo: f64, hi: f64) -> Vec<f64> {
    (0..n).map(|_| rng.random_range(lo..hi)).collect()
}

/// Checks `F` and every `∂F/∂c_k` of `r` against `f` and `grad` (both given channel
/// values in `r.channels()` order) on random points and channel values.
fn check_residual(
    r: &CompiledResidual,
    d: usize,
    f: impl Fn(&[f64], &[f64]) -> f64,
    grad: impl Fn(&[f64], &[f64]) -> Vec<f64>,
) {
    let mut rng = StdRng::seed_from_u64(2024);
    let k = r.channels().len();
    let mut dfdc = vec![0.0; k];
    for _ in 0..POINTS {
        let x = random(&mut rng, d, -1.0, 1.0);
        let c = random(&mut rng, k, -2.0, 2.0);
        let got = r.eval(&x, &c, &mut dfdc);
        let want = f(&x, &c);
        assert!(
            close(got, want, 1e-14),
            "{}: F = {got} vs {want} at x={x:?} c={c:?}",
            r.source()
        );
        assert_eq!(r.value(&x, &c), got);
        let g = grad(&x, &c);
        for j in 0..k {
            assert!(
                close(dfdc[j], g[j], 1e-14),
                "{}: dF/dc{j} = {} vs {}",
                r.source(),
                dfdc[j],
                g[j]
            );
        }
    }
}

/// Every `∂F/∂c_k` against a central difference `(F(c+h e_k) - F(c-h e_k)) / 2h`.
fn check_central_differences(r: &CompiledResidual, d: usize, c_lo: f64, c_hi: f64) {
    let mut rng = StdRng::seed_from_u64(99);
    let k = r.channels().len();
    let mut dfdc = vec![0.0; k];
    for _ in 0..100 {
        let x = random(&mut rng, d, -1.0, 1.0);
        let c = random(&mut rng, k, c_lo, c_hi);
        r.eval(&x, &c, &mut dfdc);
        for j in 0..k {
            let h = 1e-6 * (1.0 + c[j].abs());
            let (mut cp, mut cm) = (c.clone(), c.clone());
            cp[j] += h;
            cm[j] -= h;
            let fd = (r.value(&x, &cp) - r.value(&x, &cm)) / (2.0 * h);
            assert!(
                close(dfdc[j], fd, 1e-7),
                "{}: dF/dc{j} = {} vs FD {fd} at c={c:?}",
                r.source(),
                dfdc[j]
            );
        }
    }
}

fn xy_u() -> Context {
    Context::new(&["x", "y"], &["u"]).unwrap()
}

fn xt_u() -> Context {
    Context::new(&["x", "t"], &["u"]).unwrap()
}

#[test]
fn poisson_source_matches_rust() {
    let g = parse_function("2*pi^2*sin(pi*x)*sin(pi*y)", &xy_u()).unwrap();
    let mut rng = StdRng::seed_from_u64(1);
    for _ in 0..POINTS {
        let x = random(&mut rng, 2, -1.0, 1.0);
        let want = 2.0 * PI * PI * (PI * x[0]).sin() * (PI * x[1]).sin();
        assert!(close(g.eval(&x), want, 1e-14));
    }
    // Full residual -lap(u) - f with the source inlined.
    let r = parse_residual("-lap(u) - 2*pi^2*sin(pi*x)*sin(pi*y)", &xy_u()).unwrap();
    assert_eq!(
        r.channels(),
        &[Channel::Laplacian {
            output: 0,
            vars: VarSet(0b11)
        }]
    );
    check_residual(
        &r,
        2,
        |x, c| -c[0] - 2.0 * PI * PI * (PI * x[0]).sin() * (PI * x[1]).sin(),
        |_, _| vec![-1.0],
    );
}

#[test]
fn burgers_matches_rust() {
    let nu = 0.01 / PI;
    let ctx = xt_u().with_constant("nu", nu).unwrap();
    let r = parse_residual("u_t + u*u_x - nu*u_xx", &ctx).unwrap();
    let (u, ux, ut, uxx) = (
        idx(&r, Channel::Value { output: 0 }),
        idx(&r, Channel::First { output: 0, var: 0 }),
        idx(&r, Channel::First { output: 0, var: 1 }),
        idx(
            &r,
            Channel::Second {
                output: 0,
                a: 0,
                b: 0,
            },
        ),
    );
    assert_eq!(r.channels().len(), 4);
    check_residual(
        &r,
        2,
        |_, c| c[ut] + c[u] * c[ux] - nu * c[uxx],
        |_, c| {
            let mut g = vec![0.0; 4];
            g[u] = c[ux];
            g[ux] = c[u];
            g[ut] = 1.0;
            g[uxx] = -nu;
            g
        },
    );
    check_central_differences(&r, 2, -2.0, 2.0);
}

#[test]
fn allen_cahn_matches_rust() {
    let ctx = xt_u().with_constant("eps", 0.01).unwrap();
    let r = parse_residual("u_t - eps^2*u_xx + 5*u^3 - 5*u", &ctx).unwrap();
    let (u, ut, uxx) = (
        idx(&r, Channel::Value { output: 0 }),
        idx(&r, Channel::First { output: 0, var: 1 }),
        idx(
            &r,
            Channel::Second {
                output: 0,
                a: 0,
                b: 0,
            },
        ),
    );
    check_residual(
        &r,
        2,
        |_, c| c[ut] - 1e-4 * c[uxx] + 5.0 * c[u].powi(3) - 5.0 * c[u],
        |_, c| {
            let mut g = vec![0.0; 3];
            g[u] = 15.0 * c[u] * c[u] - 5.0;
            g[ut] = 1.0;
            g[uxx] = -1e-4;
            g
        },
    );
    check_central_differences(&r, 2, -2.0, 2.0);
}

#[test]
fn reaction_matches_rust() {
    let ctx = xt_u().with_constant("rho", 5.0).unwrap();
    let r = parse_residual("u_t - rho*u*(1-u)", &ctx).unwrap();
    let (u, ut) = (
        idx(&r, Channel::Value { output: 0 }),
        idx(&r, Channel::First { output: 0, var: 1 }),
    );
    check_residual(
        &r,
        2,
        |_, c| c[ut] - 5.0 * c[u] * (1.0 - c[u]),
        |_, c| {
            let mut g = vec![0.0; 2];
            g[u] = -5.0 * (1.0 - 2.0 * c[u]);
            g[ut] = 1.0;
            g
        },
    );
}

#[test]
fn kovasznay_three_outputs_match_rust() {
    let re = 40.0;
    let ctx = Context::new(&["x", "y"], &["u", "v", "p"])
        .unwrap()
        .with_constant("Re", re)
        .unwrap();
    let mx = parse_residual("u*u_x + v*u_y + p_x - (u_xx + u_yy)/Re", &ctx).unwrap();
    let my = parse_residual("u*v_x + v*v_y + p_y - (v_xx + v_yy)/Re", &ctx).unwrap();
    let cont = parse_residual("u_x + v_y", &ctx).unwrap();
    let v0 = |o| Channel::Value { output: o };
    let d1 = |o, var| Channel::First { output: o, var };
    let d2 = |o, a| Channel::Second { output: o, a, b: a };
    let (u, v, ux, uy, px, uxx, uyy) = (
        idx(&mx, v0(0)),
        idx(&mx, v0(1)),
        idx(&mx, d1(0, 0)),
        idx(&mx, d1(0, 1)),
        idx(&mx, d1(2, 0)),
        idx(&mx, d2(0, 0)),
        idx(&mx, d2(0, 1)),
    );
    assert_eq!(mx.channels().len(), 7);
    check_residual(
        &mx,
        2,
        |_, c| c[u] * c[ux] + c[v] * c[uy] + c[px] - (c[uxx] + c[uyy]) / re,
        |_, c| {
            let mut g = vec![0.0; 7];
            g[u] = c[ux];
            g[v] = c[uy];
            g[ux] = c[u];
            g[uy] = c[v];
            g[px] = 1.0;
            g[uxx] = -1.0 / re;
            g[uyy] = -1.0 / re;
            g
        },
    );
    let (u, v, vx, vy, py, vxx, vyy) = (
        idx(&my, v0(0)),
        idx(&my, v0(1)),
        idx(&my, d1(1, 0)),
        idx(&my, d1(1, 1)),
        idx(&my, d1(2, 1)),
        idx(&my, d2(1, 0)),
        idx(&my, d2(1, 1)),
    );
    check_residual(
        &my,
        2,
        |_, c| c[u] * c[vx] + c[v] * c[vy] + c[py] - (c[vxx] + c[vyy]) / re,
        |_, c| {
            let mut g = vec![0.0; 7];
            g[u] = c[vx];
            g[v] = c[vy];
            g[vx] = c[u];
            g[vy] = c[v];
            g[py] = 1.0;
            g[vxx] = -1.0 / re;
            g[vyy] = -1.0 / re;
            g
        },
    );
    assert_eq!(cont.channels(), &[d1(0, 0), d1(1, 1)]);
    check_residual(&cont, 2, |_, c| c[0] + c[1], |_, _| vec![1.0, 1.0]);
}

#[test]
fn heat_laplacian_over_space_only() {
    let ctx = xt_u().with_laplacian_vars(&["x"]).unwrap();
    let r = parse_residual("u_t - 0.25*lap(u)", &ctx).unwrap();
    let ut = idx(&r, Channel::First { output: 0, var: 1 });
    let lap = idx(
        &r,
        Channel::Laplacian {
            output: 0,
            vars: VarSet(0b01),
        },
    );
    check_residual(
        &r,
        2,
        |_, c| c[ut] - 0.25 * c[lap],
        |_, _| {
            let mut g = vec![0.0; 2];
            g[ut] = 1.0;
            g[lap] = -0.25;
            g
        },
    );
}

#[test]
fn wave_matches_rust() {
    let r = parse_residual("u_tt - 4*u_xx", &xt_u()).unwrap();
    let utt = idx(
        &r,
        Channel::Second {
            output: 0,
            a: 1,
            b: 1,
        },
    );
    let uxx = idx(
        &r,
        Channel::Second {
            output: 0,
            a: 0,
            b: 0,
        },
    );
    check_residual(
        &r,
        2,
        |_, c| c[utt] - 4.0 * c[uxx],
        |_, _| {
            let mut g = vec![0.0; 2];
            g[utt] = 1.0;
            g[uxx] = -4.0;
            g
        },
    );
}

#[test]
fn elementary_functions_match_rust() {
    let src = "exp(-x)*abs(y) + sqrt(1 + x^2) - log(2 + y) + tanh(x)*cosh(y) - sinh(x)/2 \
               + tan(x/4)*cos(y) + sin(x*y)";
    let g = parse_function(src, &xy_u()).unwrap();
    let mut rng = StdRng::seed_from_u64(3);
    for _ in 0..POINTS {
        let p = random(&mut rng, 2, -1.0, 1.0);
        let (x, y) = (p[0], p[1]);
        let want = (-x).exp() * y.abs() + (1.0 + x * x).sqrt() - (2.0 + y).ln()
            + x.tanh() * y.cosh()
            - x.sinh() / 2.0
            + (x / 4.0).tan() * y.cos()
            + (x * y).sin();
        assert!(close(g.eval(&p), want, 1e-14), "{} vs {want}", g.eval(&p));
    }
}

#[test]
fn precedence_cases() {
    let ctx = Context::new(&["a", "b", "c"], &["u"]).unwrap();
    type Case = (&'static str, fn(f64, f64, f64) -> f64);
    let cases: [Case; 12] = [
        ("-a^2", |a, _, _| -(a * a)),
        ("2^3^2 + 0*a", |_, _, _| 512.0),
        ("a^b^c", |a, b, c| a.powf(b.powf(c))),
        ("a/b/c", |a, b, c| (a / b) / c),
        ("a-b-c", |a, b, c| (a - b) - c),
        ("--a", |a, _, _| a),
        ("-+-a", |a, _, _| a),
        ("---a*b", |a, b, _| -a * b),
        ("a*-b", |a, b, _| a * -b),
        ("-a^-b", |a, b, _| -(a.powf(-b))),
        ("a + b*c^2/a", |a, b, c| a + b * c * c / a),
        ("(a + b)*(c - a)/-(b)", |a, b, c| (a + b) * (c - a) / -b),
    ];
    let mut rng = StdRng::seed_from_u64(5);
    for (src, f) in cases {
        let g = parse_function(src, &ctx).unwrap();
        for _ in 0..50 {
            let p = random(&mut rng, 3, 0.5, 1.5);
            let want = f(p[0], p[1], p[2]);
            assert!(
                close(g.eval(&p), want, 1e-14),
                "{src}: {} vs {want}",
                g.eval(&p)
            );
        }
    }
}

/// A formula with every kind of partial: products, quotients, powers with a channel
/// exponent, nested functions, a mixed second derivative written both ways.
#[test]
fn nonlinear_partials_match_hand_derivation_and_central_differences() {
    let r = parse_residual(
        "sin(u)*u_x^2 + exp(u_y)/(1 + u^2) + (1 + u^2)^u_x + u_xy*u_yx",
        &xy_u(),
    )
    .unwrap();
    let (u, ux, uy, uxy) = (
        idx(&r, Channel::Value { output: 0 }),
        idx(&r, Channel::First { output: 0, var: 0 }),
        idx(&r, Channel::First { output: 0, var: 1 }),
        idx(
            &r,
            Channel::Second {
                output: 0,
                a: 0,
                b: 1,
            },
        ),
    );
    assert_eq!(r.channels().len(), 4);
    check_residual(
        &r,
        2,
        |_, c| {
            let s = 1.0 + c[u] * c[u];
            c[u].sin() * c[ux] * c[ux] + c[uy].exp() / s + s.powf(c[ux]) + c[uxy] * c[uxy]
        },
        |_, c| {
            let s = 1.0 + c[u] * c[u];
            let mut g = vec![0.0; 4];
            g[u] = c[u].cos() * c[ux] * c[ux] - c[uy].exp() * 2.0 * c[u] / (s * s)
                + c[ux] * s.powf(c[ux] - 1.0) * 2.0 * c[u];
            g[ux] = 2.0 * c[u].sin() * c[ux] + s.powf(c[ux]) * s.ln();
            g[uy] = c[uy].exp() / s;
            g[uxy] = 2.0 * c[uxy];
            g
        },
    );
    check_central_differences(&r, 2, -1.5, 1.5);
    let r = parse_residual(
        "sqrt(u) + log(u_x) + abs(u_y)^1.5 + tanh(u*u_x)/cosh(u_y)",
        &xy_u(),
    )
    .unwrap();
    check_central_differences(&r, 2, 0.2, 2.0);
}

#[test]
fn nan_is_detectable() {
    let g = parse_function("log(x) + sqrt(y)", &xy_u()).unwrap();
    assert!(g.eval(&[-1.0, 1.0]).is_nan());
    assert!(g.eval(&[1.0, -1.0]).is_nan());
    assert!(g.eval(&[1.0, 1.0]).is_finite());
    let r = parse_residual("u/x", &xy_u()).unwrap();
    assert!(r.value(&[0.0, 0.0], &[0.0]).is_nan());
}

#[test]
fn error_positions_and_messages() {
    let ctx = Context::new(&["x", "y"], &["u", "v"])
        .unwrap()
        .with_constant("nu", 0.1)
        .unwrap();
    // (source, column, len, kind, part of the message)
    let cases: [(&str, usize, usize, ErrorKind, &str); 16] = [
        (
            "sinn(x)",
            1,
            4,
            ErrorKind::UnknownFunction,
            "unknown function `sinn` at column 1; known: sin, cos, tan, exp, log, sqrt, tanh, sinh, cosh, abs",
        ),
        (
            "u + w",
            5,
            1,
            ErrorKind::UndefinedSymbol,
            "undefined symbol `w`",
        ),
        (
            "u_x + u_q",
            9,
            1,
            ErrorKind::NotAVariable,
            "`u_q`: `q` is not a variable (variables: x, y)",
        ),
        (
            "x*(u + 1",
            3,
            1,
            ErrorKind::UnbalancedParen,
            "unbalanced parenthesis: `(` at column 3 is never closed",
        ),
        (
            "u + 1)",
            6,
            1,
            ErrorKind::UnbalancedParen,
            "`)` at column 6 has no matching `(`",
        ),
        (
            "u_xxxyy - 1",
            3,
            5,
            ErrorKind::OrderTooHigh,
            "`u_xxxyy`: derivative of order 5 (order > 4 not supported)",
        ),
        (
            "2*u_xx + ",
            10,
            1,
            ErrorKind::ExpectedOperand,
            "expected a number, a name or `(`, found end of expression",
        ),
        ("u * * v", 5, 1, ErrorKind::ExpectedOperand, "found `*`"),
        (
            "2 u",
            3,
            1,
            ErrorKind::ExpectedOperator,
            "implicit multiplication is not supported",
        ),
        (
            "u # v",
            3,
            1,
            ErrorKind::UnexpectedChar,
            "unexpected character `#`",
        ),
        (
            "1.2.3 + u",
            1,
            5,
            ErrorKind::BadNumber,
            "malformed number `1.2.3`",
        ),
        (
            "lap(x)",
            5,
            1,
            ErrorKind::BadArguments,
            "`x` is not one (outputs: u, v)",
        ),
        (
            "exp(x, y)",
            6,
            1,
            ErrorKind::BadArguments,
            "`exp` takes one argument",
        ),
        (
            "w_x + u",
            1,
            3,
            ErrorKind::UndefinedSymbol,
            "`w` is not an output (outputs: u, v)",
        ),
        (
            "nu(u)",
            1,
            2,
            ErrorKind::NotAFunction,
            "`nu` is a constant, not a function",
        ),
        ("  ", 1, 1, ErrorKind::Empty, "empty expression"),
    ];
    for (src, column, len, kind, msg) in cases {
        let e = parse_residual(src, &ctx).unwrap_err();
        assert_eq!((e.column, e.len, e.kind), (column, len, kind), "{src}: {e}");
        assert!(
            e.message.contains(msg),
            "{src}: message {:?} lacks {msg:?}",
            e.message
        );
        // Display: message with column, then the source and a caret line under the span.
        let shown = e.to_string();
        let caret = format!("\n{}{}", " ".repeat(column - 1), "^".repeat(len));
        assert!(shown.starts_with(&format!("column {column}: ")), "{shown}");
        assert!(shown.ends_with(&caret), "{shown:?}");
    }
    // A function of x alone rejects outputs, at the output's column.
    let e = parse_function("sin(x) + v_y", &ctx).unwrap_err();
    assert_eq!(
        (e.column, e.len, e.kind),
        (10, 3, ErrorKind::OutputInFunction)
    );
    // Columns count characters, not bytes.
    let e = parse_residual("π*u + ww", &ctx).unwrap_err();
    assert_eq!(e.column, 7);
    // d(u, ...) for multi-letter variables, and its errors.
    let polar = Context::new(&["r", "theta"], &["u"]).unwrap();
    let r = parse_residual("d(u, r, r) + d(u, r)/r + d(u, theta, theta)/r^2", &polar).unwrap();
    assert_eq!(r.channels().len(), 3);
    let e = parse_residual("u_theta", &polar).unwrap_err();
    assert_eq!((e.column, e.kind), (3, ErrorKind::NotAVariable));
    assert!(e.message.contains("d(u, theta)"), "{}", e.message);
    let r = parse_residual(
        "d(u, r, theta, r) + d(u, theta, theta, theta, theta)",
        &polar,
    );
    assert_eq!(r.unwrap().channels().len(), 2);
    let e = parse_residual("u + d(u, r, theta, r, r, theta)", &polar).unwrap_err();
    assert_eq!((e.column, e.len, e.kind), (10, 21, ErrorKind::OrderTooHigh));
    assert!(
        e.message
            .contains("derivative of order 5 (order > 4 not supported)"),
        "{}",
        e.message
    );
}

/// Random garbage and every truncation of valid expressions: each gives `Ok` (which then
/// evaluates) or an `Err` whose column lies within the source (or one past its end).
#[test]
fn broken_input_never_panics() {
    let ctx = Context::new(&["x", "y", "t"], &["u", "v"])
        .unwrap()
        .with_constant("nu", 0.1)
        .unwrap();
    let valid = [
        "u_t + u*u_x - nu*u_xx",
        "-lap(u) - 2*pi^2*sin(pi*x)*sin(pi*y)",
        "d(u, x, y) + (v^2 - 1)^3/exp(-t)",
        "abs(u)^1.5e0 * sqrt(1 + v_yy) - log(2 + cos(x))",
        "((u)) - -(--v) ^ 2 ^ -0.5",
    ];
    let mut sources: Vec<String> = Vec::new();
    for v in valid {
        let chars: Vec<char> = v.chars().collect();
        for n in 0..=chars.len() {
            sources.push(chars[..n].iter().collect());
            sources.push(chars[n..].iter().collect());
        }
    }
    let pieces = [
        "u", "v", "x", "u_", "u_x", "u_q", "u_xxx", "lap", "d", "sin", "(", ")", ",", "+", "-",
        "*", "/", "^", "1", ".", "e", "2.5e-3", "pi", "π", "#", " ", "nu", "sinn", "_", "é",
    ];
    let mut rng = StdRng::seed_from_u64(11);
    for _ in 0..20_000 {
        let n = rng.random_range(1..12);
        sources.push(
            (0..n)
                .map(|_| pieces[rng.random_range(0..pieces.len())])
                .collect(),
        );
    }
    let (mut ok, mut err) = (0, 0);
    for src in &sources {
        match parse_residual(src, &ctx) {
            Ok(r) => {
                ok += 1;
                let k = r.channels().len();
                let mut d = vec![0.0; k];
                r.eval(&[0.3, 0.4, 0.5], &vec![0.7; k], &mut d);
            }
            Err(e) => {
                err += 1;
                assert!(
                    e.column >= 1 && e.column <= src.chars().count() + 1,
                    "{src:?}: {e}"
                );
                let _ = e.to_string();
            }
        }
    }
    assert!(
        ok > 100 && err > 100,
        "the sweep should exercise both outcomes: {ok} ok, {err} err"
    );
}

#[test]
fn evaluators_are_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<CompiledResidual>();
    assert_send_sync::<pinn::expr::CompiledFunction>();
    // A long formula (thread-local scratch) evaluated from several threads at once.
    let src: String = (1..=40).map(|i| format!("+ {i}*u^{} * x", i % 5)).collect();
    let r = parse_residual(&src, &xy_u()).unwrap();
    assert!(r.instructions() > 64);
    let serial: Vec<f64> = (0..64)
        .map(|i| r.value(&[0.5, 0.0], &[i as f64 / 64.0]))
        .collect();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                let mut d = [0.0];
                for (i, want) in serial.iter().enumerate() {
                    assert_eq!(r.eval(&[0.5, 0.0], &[i as f64 / 64.0], &mut d), *want);
                }
            });
        }
    });
}
