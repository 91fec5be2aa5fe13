use super::*;

#[test]
fn folding_sharing_and_dead_code() {
    let mut b = Builder::default();
    let two = b.constant(2.0);
    let pi = b.constant(std::f64::consts::PI);
    let sq = b.binary(BinOp::Pow, pi, two); // folded
    let k = b.binary(BinOp::Mul, two, sq); // folded: 2π²
    let x = b.var(0);
    let u = b.channel(Channel::Value { output: 0 });
    let u2 = b.channel(Channel::Value { output: 0 });
    assert_eq!(u, u2);
    let ux = b.binary(BinOp::Mul, u, x);
    let xu = b.binary(BinOp::Mul, x, u);
    assert_eq!(ux, xu);
    let zero = b.constant(0.0);
    let same = b.binary(BinOp::Add, ux, zero);
    assert_eq!(same, ux);
    let root = b.binary(BinOp::Add, k, ux);
    let tape = b.finish(root);
    // Const(2π²), x, u, u*x, sum: the folded-away constants are gone.
    assert_eq!(tape.len(), 5);
    assert_eq!(tape.channels, vec![Channel::Value { output: 0 }]);
    let mut d = [0.0];
    let f = tape.eval(&[3.0], &[0.5], &mut d);
    let pi2 = std::f64::consts::PI.powi(2);
    assert!((f - (2.0 * pi2 + 1.5)).abs() < 1e-14);
    assert_eq!(d[0], 3.0);
}

#[test]
fn channels_are_sorted_and_partials_follow_them() {
    let mut b = Builder::default();
    let second = b.channel(Channel::second(0, 1, 0));
    let value = b.channel(Channel::Value { output: 0 });
    let cube = b.constant(3.0);
    let v3 = b.binary(BinOp::Pow, value, cube);
    let root = b.binary(BinOp::Sub, second, v3);
    let tape = b.finish(root);
    assert_eq!(
        tape.channels,
        vec![Channel::Value { output: 0 }, Channel::second(0, 0, 1)]
    );
    let mut d = [0.0; 2];
    // F = c1 - c0^3 at c0 = -2 (negative base with integer power must be exact).
    let f = tape.eval(&[], &[-2.0, 5.0], &mut d);
    assert_eq!(f, 13.0);
    assert_eq!(d, [-12.0, 1.0]);
}

/// `F = -c + 2π² sin(πx) sin(πy) + x·c`: the source term is one hoisted slot, `x` is
/// read directly; the value and partials from the hoisted values are bitwise those of
/// the full pass, and a tape without point-only work hoists nothing.
#[test]
fn hoisted_point_part_gives_the_same_bits() {
    let mut b = Builder::default();
    let u = b.channel(Channel::second(0, 0, 0));
    let (x, y) = (b.var(0), b.var(1));
    let pi = b.constant(std::f64::consts::PI);
    let k = b.constant(2.0 * std::f64::consts::PI.powi(2));
    let px = b.binary(BinOp::Mul, pi, x);
    let sx = b.call(Func::Sin, px);
    let py = b.binary(BinOp::Mul, pi, y);
    let sy = b.call(Func::Sin, py);
    let sxy = b.binary(BinOp::Mul, sx, sy);
    let src = b.binary(BinOp::Mul, k, sxy);
    let nu = b.neg(u);
    let xu = b.binary(BinOp::Mul, x, u);
    let lhs = b.binary(BinOp::Add, nu, src);
    let root = b.binary(BinOp::Add, lhs, xu);
    let tape = b.finish(root);
    assert_eq!(tape.point_part_len(), 1);
    for (xv, cv) in [([0.3, 0.7], 1.25), ([0.91, 0.05], -3.5), ([0.0, 0.5], 0.0)] {
        let mut pre = [f64::NAN];
        tape.point_part(&xv, &mut pre);
        let src = 2.0
            * std::f64::consts::PI.powi(2)
            * ((std::f64::consts::PI * xv[0]).sin() * (std::f64::consts::PI * xv[1]).sin());
        assert_eq!(pre[0].to_bits(), src.to_bits());
        let (mut d, mut dw) = ([0.0], [0.0]);
        let f = tape.eval(&xv, &[cv], &mut d);
        let fw = tape.eval_with(&xv, &pre, &[cv], &mut dw);
        assert_eq!(f.to_bits(), fw.to_bits());
        assert_eq!(d[0].to_bits(), dw[0].to_bits());
        assert_eq!(d[0], xv[0] - 1.0);
        assert_eq!(tape.value_with(&xv, &pre, &[cv]).to_bits(), f.to_bits());
    }
    // A passive root (no channel at all) is hoisted itself.
    let mut b = Builder::default();
    let x = b.var(0);
    let root = b.call(Func::Sin, x);
    let tape = b.finish(root);
    assert_eq!(tape.point_part_len(), 1);
    let mut pre = [0.0];
    tape.point_part(&[0.4], &mut pre);
    assert_eq!(tape.value_with(&[0.4], &pre, &[]), 0.4f64.sin());
    // Constants and coordinates are never hoisted.
    let mut b = Builder::default();
    let u = b.channel(Channel::Value { output: 0 });
    let x = b.var(0);
    let root = b.binary(BinOp::Sub, u, x);
    assert_eq!(b.finish(root).point_part_len(), 0);
}

#[test]
fn a_block_gives_the_bits_of_each_point() {
    // Every kind of instruction, a hoisted source term, a constant and coordinates.
    let mut b = Builder::default();
    let u = b.channel(Channel::Value { output: 0 });
    let ux = b.channel(Channel::First { output: 0, var: 0 });
    let (x, y) = (b.var(0), b.var(1));
    let pi = b.constant(std::f64::consts::PI);
    let px = b.binary(BinOp::Mul, pi, x);
    let src = b.call(Func::Sin, px);
    let three = b.constant(3.0);
    let half = b.constant(0.5);
    let u3 = b.binary(BinOp::Pow, u, three);
    let ur = b.binary(BinOp::Pow, ux, half);
    let e = b.call(Func::Exp, y);
    let eu = b.binary(BinOp::Pow, e, u);
    let q = b.binary(BinOp::Div, ux, e);
    let nu = b.neg(u3);
    let t1 = b.binary(BinOp::Sub, nu, src);
    let t2 = b.binary(BinOp::Add, t1, q);
    let t3 = b.binary(BinOp::Mul, t2, ur);
    let t4 = b.binary(BinOp::Add, t3, eu);
    let yc = b.binary(BinOp::Mul, y, u);
    let root = b.binary(BinOp::Sub, t4, yc);
    let tape = b.finish(root);
    // sin(πx) and e^y are hoisted.
    assert_eq!(tape.point_part_len(), 2);
    let nb = 37;
    let pts = faer::Mat::<f64>::from_fn(nb, 2, |p, j| 0.37 * p as f64 / nb as f64 - 0.1 * j as f64);
    let cu: Vec<f64> = (0..nb).map(|p| (p as f64 * 0.61).sin()).collect();
    let cux: Vec<f64> = (0..nb)
        .map(|p| 0.2 + (p as f64 * 0.13).cos().abs())
        .collect();
    let mut pre = vec![0.0; 2 * nb];
    for p in 0..nb {
        tape.point_part(&[pts[(p, 0)], pts[(p, 1)]], &mut pre[2 * p..2 * p + 2]);
    }
    let (mut with, mut without) = (vec![f64::NAN; nb], vec![f64::NAN; nb]);
    tape.values_block(pts.as_ref(), &pre, &[&cu, &cux], &mut with);
    tape.values_block(pts.as_ref(), &[], &[&cu, &cux], &mut without);
    for p in 0..nb {
        let (xv, cv) = ([pts[(p, 0)], pts[(p, 1)]], [cu[p], cux[p]]);
        let want = tape.value(&xv, &cv);
        assert!(want.is_finite());
        assert_eq!(with[p].to_bits(), want.to_bits(), "point {p}, with parts");
        assert_eq!(without[p].to_bits(), want.to_bits(), "point {p}, without");
        let w = tape.value_with(&xv, &pre[2 * p..2 * p + 2], &cv);
        assert_eq!(with[p].to_bits(), w.to_bits(), "point {p}, value_with");
    }
}

#[test]
fn long_tapes_use_thread_scratch() {
    let mut b = Builder::default();
    let u = b.channel(Channel::Value { output: 0 });
    let mut acc = b.var(0);
    for i in 0..200 {
        let k = b.constant(1.0 + i as f64);
        let t = b.binary(BinOp::Mul, u, k);
        acc = b.binary(BinOp::Add, acc, t);
    }
    let tape = b.finish(acc);
    assert!(tape.len() > STACK_SLOTS);
    let mut d = [0.0];
    let f = tape.eval(&[1.0], &[2.0], &mut d);
    let s: f64 = (1..=200).map(f64::from).sum();
    assert_eq!(f, 1.0 + 2.0 * s);
    assert_eq!(d[0], s);
    assert_eq!(tape.value(&[1.0], &[2.0]), f);
}
