//! Symbolic forward differentiation on the tape builder.
//!
//! Given a slot `s` of a [`Builder`] (an expression in the coordinates `x` and network
//! channels `c`), [`Differentiator::d`] emits the instructions of `∂s/∂x_i` into the same
//! builder by the chain rule on each SSA instruction:
//!
//! | instruction | `∂/∂x_i` |
//! |---|---|
//! | constant | 0 |
//! | `x_j` | `δ_ij` |
//! | channel `D u_o` | the channel `∂_i D u_o` (one more derivative; a Laplacian becomes a sum) |
//! | `−a`, `a ± b` | `−a'`, `a' ± b'` |
//! | `a b` | `a' b + a b'` |
//! | `a / b` | `(a' − (a/b) b') / b` |
//! | `a^n`, `a^p` | `n a^(n−1) a'`, `p a^(p−1) a'` |
//! | `a^b` | `a^b (b' ln a + b a'/a)` |
//! | `f(a)` | `f'(a) a'`, `f'` itself an expression (`sin → cos`, `tanh → 1 − tanh²`, `abs → sign`, …) |
//!
//! This is forward-mode differentiation done symbolically (Griewank & Walther,
//! *Evaluating Derivatives*, 2nd ed., SIAM 2008, ch. 3 and §13 on higher derivatives):
//! derivatives of any order come from repeating it, and the builder's constant folding and
//! hash-consing keep the result small (`∂(t N)/∂x = t N_x`, and `∂²` reuses every slot of
//! `∂`). Derivatives are memoised per (slot, variable), so a repeated sub-expression is
//! differentiated once. Products with a zero derivative are dropped: the derivative tapes
//! read only the channels that actually occur, which is what lets `pinn check` see that a
//! transform satisfies a condition identically.
//!
//! A channel differentiated once more is named by [`derivative`], so the orders of
//! derivative the transform can reach are the orders the language supports.

use std::collections::HashMap;

use crate::expr::func::Func;
use crate::expr::symbols::derivative;
use crate::expr::tape::{BinOp, Builder, Op};
use crate::residual::Channel;

/// A channel whose derivative in a variable is not a supported channel.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct DiffError {
    /// The channel that would have to be differentiated.
    pub channel: Channel,
    /// The variable it would be differentiated in.
    pub var: usize,
    /// Why it cannot be (from [`derivative`]).
    pub message: String,
}

/// The variables a channel differentiates in, one entry per differentiation; `None` for
/// the summed Laplacian channel.
pub(crate) fn channel_vars(ch: Channel) -> Option<Vec<usize>> {
    match ch {
        Channel::Value { .. } => Some(vec![]),
        Channel::First { var, .. } => Some(vec![var]),
        Channel::Second { a, b, .. } => Some(vec![a, b]),
        Channel::Higher { vars, .. } => Some(vars.iter().collect()),
        Channel::Laplacian { .. } => None,
    }
}

/// Emits derivative instructions into a builder, memoising `∂s/∂x_i`.
pub(crate) struct Differentiator<'b> {
    pub b: &'b mut Builder,
    memo: HashMap<(u32, usize), u32>,
}

impl<'b> Differentiator<'b> {
    pub fn new(b: &'b mut Builder) -> Self {
        Differentiator {
            b,
            memo: HashMap::new(),
        }
    }

    fn is_const(&self, a: u32, v: f64) -> bool {
        matches!(self.b.op(a), Op::Const(c) if c == v)
    }
    fn zero(&mut self) -> u32 {
        self.b.constant(0.0)
    }
    fn add(&mut self, a: u32, c: u32) -> u32 {
        self.b.binary(BinOp::Add, a, c)
    }
    fn sub(&mut self, a: u32, c: u32) -> u32 {
        if self.is_const(a, 0.0) {
            return self.b.neg(c);
        }
        self.b.binary(BinOp::Sub, a, c)
    }
    /// `a · c`, with a symbolic zero absorbing the product (a derivative that vanishes
    /// identically stays a constant 0).
    fn mul(&mut self, a: u32, c: u32) -> u32 {
        if self.is_const(a, 0.0) || self.is_const(c, 0.0) {
            return self.zero();
        }
        self.b.binary(BinOp::Mul, a, c)
    }
    fn div(&mut self, a: u32, c: u32) -> u32 {
        if self.is_const(a, 0.0) {
            return self.zero();
        }
        self.b.binary(BinOp::Div, a, c)
    }
    fn pow_const(&mut self, a: u32, p: f64) -> u32 {
        let p = self.b.constant(p);
        self.b.binary(BinOp::Pow, a, p)
    }

    /// The channel `∂ch/∂x_var`, as a slot (a sum of slots for a Laplacian).
    fn channel(&mut self, ch: Channel, var: usize) -> Result<u32, DiffError> {
        let fail = |message| DiffError {
            channel: ch,
            var,
            message,
        };
        match channel_vars(ch) {
            Some(mut vars) => {
                vars.push(var);
                let next = derivative(ch.output(), &vars).map_err(fail)?;
                Ok(self.b.channel(next))
            }
            None => {
                let Channel::Laplacian { output, vars } = ch else {
                    unreachable!("only the Laplacian has no variable list")
                };
                let mut sum = self.zero();
                for j in vars.iter() {
                    let next = derivative(output, &[j, j, var]).map_err(fail)?;
                    let c = self.b.channel(next);
                    sum = self.add(sum, c);
                }
                Ok(sum)
            }
        }
    }

    /// `∂s/∂x_i` as a slot of the builder.
    pub fn d(&mut self, s: u32, i: usize) -> Result<u32, DiffError> {
        if let Some(&r) = self.memo.get(&(s, i)) {
            return Ok(r);
        }
        let r = match self.b.op(s) {
            Op::Const(_) => self.zero(),
            Op::Var(j) => self.b.constant(if j as usize == i { 1.0 } else { 0.0 }),
            Op::Chan(k) => {
                let ch = self.b.chan(k);
                self.channel(ch, i)?
            }
            Op::Neg(a) => {
                let da = self.d(a, i)?;
                self.b.neg(da)
            }
            Op::Add(a, c) => {
                let (da, dc) = (self.d(a, i)?, self.d(c, i)?);
                self.add(da, dc)
            }
            Op::Sub(a, c) => {
                let (da, dc) = (self.d(a, i)?, self.d(c, i)?);
                self.sub(da, dc)
            }
            Op::Mul(a, c) => {
                let (da, dc) = (self.d(a, i)?, self.d(c, i)?);
                let (l, r) = (self.mul(da, c), self.mul(a, dc));
                self.add(l, r)
            }
            Op::Div(a, c) => {
                let (da, dc) = (self.d(a, i)?, self.d(c, i)?);
                let q = self.mul(s, dc);
                let num = self.sub(da, q);
                self.div(num, c)
            }
            Op::PowI(a, n) => {
                let da = self.d(a, i)?;
                let p = self.pow_const(a, f64::from(n) - 1.0);
                let n = self.b.constant(f64::from(n));
                let k = self.mul(n, p);
                self.mul(k, da)
            }
            Op::PowF(a, p) => {
                let da = self.d(a, i)?;
                let q = self.pow_const(a, p - 1.0);
                let p = self.b.constant(p);
                let k = self.mul(p, q);
                self.mul(k, da)
            }
            Op::Pow(a, c) => {
                let (da, dc) = (self.d(a, i)?, self.d(c, i)?);
                // a^c (c' ln a + c a'/a); each half only when its derivative is non-zero,
                // so that a passive exponent never forms ln a.
                let mut inner = self.zero();
                if !self.is_const(dc, 0.0) {
                    let ln = self.b.call(Func::Log, a);
                    inner = self.mul(dc, ln);
                }
                if !self.is_const(da, 0.0) {
                    let t = self.mul(c, da);
                    let t = self.div(t, a);
                    inner = self.add(inner, t);
                }
                self.mul(s, inner)
            }
            Op::Call(f, a) => {
                let da = self.d(a, i)?;
                if self.is_const(da, 0.0) {
                    self.zero()
                } else {
                    let fp = self.func_derivative(f, a, s);
                    self.mul(fp, da)
                }
            }
        };
        self.memo.insert((s, i), r);
        Ok(r)
    }

    /// `f'(a)` as a slot, given `a` and `s = f(a)`.
    fn func_derivative(&mut self, f: Func, a: u32, s: u32) -> u32 {
        let one = self.b.constant(1.0);
        match f {
            Func::Sin => self.b.call(Func::Cos, a),
            Func::Cos => {
                let sin = self.b.call(Func::Sin, a);
                self.b.neg(sin)
            }
            Func::Tan => {
                let s2 = self.mul(s, s);
                self.add(one, s2)
            }
            Func::Exp => s,
            Func::Log => self.div(one, a),
            Func::Sqrt => {
                let half = self.b.constant(0.5);
                self.div(half, s)
            }
            Func::Tanh => {
                let s2 = self.mul(s, s);
                self.sub(one, s2)
            }
            Func::Sinh => self.b.call(Func::Cosh, a),
            Func::Cosh => self.b.call(Func::Sinh, a),
            Func::Abs => self.b.call(Func::Sign, a),
            Func::Erf => {
                // 2/√π · e^{−a²}
                let a2 = self.mul(a, a);
                let m = self.b.neg(a2);
                let e = self.b.call(Func::Exp, m);
                let c = self.b.constant(std::f64::consts::FRAC_2_SQRT_PI);
                self.mul(c, e)
            }
            Func::Sign => self.zero(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::residual::VarSet;

    /// Every instruction kind against a central difference of the same expression, at
    /// a point inside every domain: `d` of `F = f(x, y)` built from all rules.
    #[test]
    fn every_rule_matches_central_differences() {
        let mut b = Builder::default();
        let x = b.var(0);
        let y = b.var(1);
        let two = b.constant(2.0);
        let half = b.constant(0.5);
        let x2 = b.binary(BinOp::Pow, x, two); // PowI
        let xh = b.binary(BinOp::Pow, x, half); // PowF
        let xy = b.binary(BinOp::Pow, x, y); // Pow
        let q = b.binary(BinOp::Div, x2, y);
        let nq = b.neg(q);
        let mut acc = b.binary(BinOp::Sub, nq, xh);
        acc = b.binary(BinOp::Add, acc, xy);
        for f in Func::ALL {
            let a = b.binary(BinOp::Mul, x, y);
            let fa = b.call(f, a);
            let t = b.binary(BinOp::Mul, fa, y);
            acc = b.binary(BinOp::Add, acc, t);
        }
        let mut d = Differentiator::new(&mut b);
        let dx = d.d(acc, 0).unwrap();
        let dy = d.d(acc, 1).unwrap();
        let dxy = d.d(dx, 1).unwrap();
        let (tape, roots) = b.finish_roots(&[acc, dx, dy, dxy]);
        let at = |p: [f64; 2]| -> Vec<f64> {
            let mut out = Vec::new();
            tape.compose(&roots, &p, &[], &mut [], |v, _| {
                out = v.to_vec();
                0.0
            });
            out
        };
        let p = [0.7, 0.4];
        let v = at(p);
        let h = 1e-5;
        let fx = (at([p[0] + h, p[1]])[0] - at([p[0] - h, p[1]])[0]) / (2.0 * h);
        let fy = (at([p[0], p[1] + h])[0] - at([p[0], p[1] - h])[0]) / (2.0 * h);
        let fxy = (at([p[0], p[1] + h])[1] - at([p[0], p[1] - h])[1]) / (2.0 * h);
        for (got, fd) in [(v[1], fx), (v[2], fy), (v[3], fxy)] {
            assert!((got - fd).abs() < 1e-7 * (1.0 + fd.abs()), "{got} vs {fd}");
        }
    }

    #[test]
    fn channels_gain_a_derivative_and_zeros_vanish() {
        let mut b = Builder::default();
        let n = b.channel(Channel::Value { output: 1 });
        let t = b.var(1);
        let tn = b.binary(BinOp::Mul, t, n);
        let mut d = Differentiator::new(&mut b);
        let dx = d.d(tn, 0).unwrap(); // t N_x: no 0·N term left
        let dxx = d.d(dx, 0).unwrap();
        let dt = d.d(tn, 1).unwrap(); // N + t N_t
        let (tape, _) = b.clone().finish_roots(&[dx]);
        assert_eq!(tape.len(), 3, "t, N_x, t·N_x");
        assert_eq!(tape.channels, vec![Channel::First { output: 1, var: 0 }]);
        let (tape, _) = b.finish_roots(&[dxx, dt]);
        assert_eq!(
            tape.channels,
            vec![
                Channel::Value { output: 1 },
                Channel::First { output: 1, var: 1 },
                Channel::second(1, 0, 0),
            ]
        );
    }

    #[test]
    fn derivatives_reach_order_four_and_order_five_is_reported_with_the_channel() {
        let mut b = Builder::default();
        let n = b.channel(Channel::second(0, 0, 1));
        let s = Differentiator::new(&mut b).d(n, 1).unwrap();
        let (tape, _) = b.finish_roots(&[s]);
        assert_eq!(tape.channels, vec![Channel::higher(0, &[0, 1, 1])]);

        let mut b = Builder::default();
        let lap = b.channel(Channel::Laplacian {
            output: 0,
            vars: VarSet(0b11),
        });
        let s = Differentiator::new(&mut b).d(lap, 0).unwrap();
        let (tape, _) = b.finish_roots(&[s]);
        let mut chans = tape.channels.clone();
        chans.sort();
        let mut want = vec![
            Channel::higher(0, &[0, 0, 0]),
            Channel::higher(0, &[0, 1, 1]),
        ];
        want.sort();
        assert_eq!(chans, want, "∂/∂x₀ (u_00 + u_11) = u_000 + u_011");

        let mut b = Builder::default();
        let n4 = b.channel(Channel::higher(0, &[0, 0, 1, 1]));
        let e = Differentiator::new(&mut b).d(n4, 1).unwrap_err();
        assert_eq!((e.channel, e.var), (Channel::higher(0, &[0, 0, 1, 1]), 1));
        assert!(e.message.contains("order 5"), "{}", e.message);
    }
}
