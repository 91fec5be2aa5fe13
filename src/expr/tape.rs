//! The compiled form of an expression: a flat SSA instruction list ("tape") over f64,
//! and its reverse sweep for the exact partials `∂F/∂c_k`.
//!
//! Each instruction writes one slot and reads earlier slots only. Building folds
//! operations on constants, removes `+0`, `*1`, `/1`, `^1`, shares identical
//! sub-expressions (hash-consing, so `u` in `u*u_x + u^3` is read once), and drops dead
//! slots. Evaluation is one forward pass over the slots; the partials come from one
//! reverse pass (reverse-mode automatic differentiation; Griewank & Walther,
//! *Evaluating Derivatives*, 2nd ed., SIAM 2008, ch. 3), which costs a small constant
//! times the forward pass whatever the number of channels `K`, and is exact: each
//! instruction contributes its analytic local derivative.
//!
//! Slots that do not depend on any channel are *passive*: the reverse pass skips them,
//! so, for instance, the `log x` in `∂(x^c)/∂x` is never formed for `x < 0` when the
//! exponent is a passive `c`, and `u^3` uses `powi` so negative `u` is fine.

use std::cell::RefCell;
use std::collections::HashMap;

use super::func::Func;
use crate::residual::Channel;

/// A binary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
}

/// One instruction. Operands are earlier slot indices.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Op {
    Const(f64),
    /// The coordinate `x[i]`.
    Var(u32),
    /// The channel value `c[k]`.
    Chan(u32),
    Neg(u32),
    Add(u32, u32),
    Sub(u32, u32),
    Mul(u32, u32),
    Div(u32, u32),
    /// `a^n` for a constant integer `n` (`powi`: exact sign for negative `a`).
    PowI(u32, i32),
    /// `a^p` for a constant non-integer `p`.
    PowF(u32, f64),
    /// `a^b` with a non-constant exponent.
    Pow(u32, u32),
    Call(Func, u32),
}

impl Op {
    fn operands(&self) -> [Option<u32>; 2] {
        match *self {
            Op::Const(_) | Op::Var(_) | Op::Chan(_) => [None, None],
            Op::Neg(a) | Op::PowI(a, _) | Op::PowF(a, _) | Op::Call(_, a) => [Some(a), None],
            Op::Add(a, b) | Op::Sub(a, b) | Op::Mul(a, b) | Op::Div(a, b) | Op::Pow(a, b) => {
                [Some(a), Some(b)]
            }
        }
    }

    fn remap(self, m: &[u32]) -> Op {
        let r = |a: u32| m[a as usize];
        match self {
            Op::Const(_) | Op::Var(_) | Op::Chan(_) => self,
            Op::Neg(a) => Op::Neg(r(a)),
            Op::PowI(a, n) => Op::PowI(r(a), n),
            Op::PowF(a, p) => Op::PowF(r(a), p),
            Op::Call(f, a) => Op::Call(f, r(a)),
            Op::Add(a, b) => Op::Add(r(a), r(b)),
            Op::Sub(a, b) => Op::Sub(r(a), r(b)),
            Op::Mul(a, b) => Op::Mul(r(a), r(b)),
            Op::Div(a, b) => Op::Div(r(a), r(b)),
            Op::Pow(a, b) => Op::Pow(r(a), r(b)),
        }
    }
}

/// The largest integer exponent compiled to `powi`.
const MAX_POWI: f64 = 1024.0;

#[inline]
fn binary(op: BinOp, a: f64, b: f64) -> f64 {
    match op {
        BinOp::Add => a + b,
        BinOp::Sub => a - b,
        BinOp::Mul => a * b,
        BinOp::Div => a / b,
        BinOp::Pow => power(a, b),
    }
}

/// `a^b` as the tape computes it: `powi` for small integer `b`, else `powf`.
fn power(a: f64, b: f64) -> f64 {
    if b.fract() == 0.0 && b.abs() <= MAX_POWI {
        a.powi(b as i32)
    } else {
        a.powf(b)
    }
}

/// Hash-consing key of an instruction (f64 by bit pattern).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    Const(u64),
    Var(u32),
    Chan(Channel),
    Neg(u32),
    Bin(BinOp, u32, u32),
    PowI(u32, i32),
    PowF(u32, u64),
    Call(Func, u32),
}

/// Builds a tape instruction by instruction, as the parser reduces the source.
#[derive(Clone, Default)]
pub(crate) struct Builder {
    ops: Vec<Op>,
    /// Channels in order of first use; `Op::Chan(k)` indexes this during building.
    chans: Vec<Channel>,
    seen: HashMap<Key, u32>,
}

impl Builder {
    fn push(&mut self, key: Key, op: Op) -> u32 {
        if let Some(&slot) = self.seen.get(&key) {
            return slot;
        }
        let slot = self.ops.len() as u32;
        self.ops.push(op);
        self.seen.insert(key, slot);
        slot
    }

    fn as_const(&self, a: u32) -> Option<f64> {
        match self.ops[a as usize] {
            Op::Const(v) => Some(v),
            _ => None,
        }
    }

    pub fn constant(&mut self, v: f64) -> u32 {
        self.push(Key::Const(v.to_bits()), Op::Const(v))
    }

    pub fn var(&mut self, i: usize) -> u32 {
        self.push(Key::Var(i as u32), Op::Var(i as u32))
    }

    pub fn channel(&mut self, ch: Channel) -> u32 {
        let k = match self.chans.iter().position(|&c| c == ch) {
            Some(k) => k,
            None => {
                self.chans.push(ch);
                self.chans.len() - 1
            }
        };
        self.push(Key::Chan(ch), Op::Chan(k as u32))
    }

    pub fn neg(&mut self, a: u32) -> u32 {
        if let Some(v) = self.as_const(a) {
            return self.constant(-v);
        }
        if let Op::Neg(inner) = self.ops[a as usize] {
            return inner;
        }
        self.push(Key::Neg(a), Op::Neg(a))
    }

    pub fn call(&mut self, f: Func, a: u32) -> u32 {
        if let Some(v) = self.as_const(a) {
            return self.constant(f.apply(v));
        }
        self.push(Key::Call(f, a), Op::Call(f, a))
    }

    pub fn binary(&mut self, op: BinOp, a: u32, b: u32) -> u32 {
        let (ca, cb) = (self.as_const(a), self.as_const(b));
        if let (Some(x), Some(y)) = (ca, cb) {
            return self.constant(binary(op, x, y));
        }
        // Identities that hold in IEEE arithmetic for every operand value (up to the sign
        // of a zero result).
        match (op, ca, cb) {
            (BinOp::Add, Some(0.0), _) => return b,
            (BinOp::Add | BinOp::Sub, _, Some(0.0)) => return a,
            (BinOp::Mul, Some(1.0), _) => return b,
            (BinOp::Mul | BinOp::Div | BinOp::Pow, _, Some(1.0)) => return a,
            // IEEE pow(a, 0) = 1 for every a, NaN included.
            (BinOp::Pow, _, Some(0.0)) => return self.constant(1.0),
            _ => {}
        }
        match op {
            BinOp::Pow => match cb {
                Some(p) if p.fract() == 0.0 && p.abs() <= MAX_POWI => {
                    let n = p as i32;
                    self.push(Key::PowI(a, n), Op::PowI(a, n))
                }
                Some(p) => self.push(Key::PowF(a, p.to_bits()), Op::PowF(a, p)),
                None => self.push(Key::Bin(op, a, b), Op::Pow(a, b)),
            },
            // a + b and a * b are exactly commutative in IEEE arithmetic: share both orders.
            BinOp::Add | BinOp::Mul => {
                let (lo, hi) = (a.min(b), a.max(b));
                let ins = if op == BinOp::Add {
                    Op::Add(lo, hi)
                } else {
                    Op::Mul(lo, hi)
                };
                self.push(Key::Bin(op, lo, hi), ins)
            }
            BinOp::Sub => self.push(Key::Bin(op, a, b), Op::Sub(a, b)),
            BinOp::Div => self.push(Key::Bin(op, a, b), Op::Div(a, b)),
        }
    }

    /// Finishes with `root` as the result: drops dead slots, orders the channels
    /// (sorted, so the order does not depend on how the source was written) and marks the
    /// active slots.
    pub fn finish(self, root: u32) -> Tape {
        self.finish_roots(&[root]).0
    }

    /// Finishes with several results (a vector-valued tape): keeps every slot some root
    /// reads, and returns the tape with the roots' new slot indices. With one root this
    /// is [`Self::finish`], and the root is the last slot.
    pub fn finish_roots(self, roots: &[u32]) -> (Tape, Vec<u32>) {
        let n = roots.iter().map(|&r| r as usize + 1).max().unwrap_or(0);
        let mut live = vec![false; n];
        for &root in roots {
            live[root as usize] = true;
        }
        for i in (0..n).rev() {
            if live[i] {
                for a in self.ops[i].operands().into_iter().flatten() {
                    live[a as usize] = true;
                }
            }
        }
        let mut channels: Vec<Channel> = (0..n)
            .filter(|&i| live[i])
            .filter_map(|i| match self.ops[i] {
                Op::Chan(k) => Some(self.chans[k as usize]),
                _ => None,
            })
            .collect();
        channels.sort();
        let mut map = vec![u32::MAX; n];
        let mut ops = Vec::new();
        let mut active = Vec::new();
        let mut chan_slot = vec![0u32; channels.len()];
        for i in 0..n {
            if !live[i] {
                continue;
            }
            map[i] = ops.len() as u32;
            let op = match self.ops[i].remap(&map) {
                Op::Chan(k) => {
                    let sorted = channels
                        .binary_search(&self.chans[k as usize])
                        .expect("live channel");
                    chan_slot[sorted] = ops.len() as u32;
                    Op::Chan(sorted as u32)
                }
                op => op,
            };
            let is_active = match op {
                Op::Chan(_) => true,
                _ => op
                    .operands()
                    .into_iter()
                    .flatten()
                    .any(|a| active[a as usize]),
            };
            active.push(is_active);
            ops.push(op);
        }
        let roots: Vec<u32> = roots.iter().map(|&r| map[r as usize]).collect();
        let hoisted = hoisted_slots(&ops, &active, &roots);
        let mut hoist_index = vec![u32::MAX; ops.len()];
        for (k, &slot) in hoisted.iter().enumerate() {
            hoist_index[slot as usize] = k as u32;
        }
        (
            Tape {
                ops,
                active,
                channels,
                chan_slot,
                hoisted,
                hoist_index,
            },
            roots,
        )
    }

    /// The instruction in slot `a` (for rewriting passes such as differentiation).
    pub fn op(&self, a: u32) -> Op {
        self.ops[a as usize]
    }

    /// The channel `Op::Chan(k)` of this builder reads.
    pub fn chan(&self, k: u32) -> Channel {
        self.chans[k as usize]
    }
}

/// A compiled expression. Immutable after building, so it is `Sync` and evaluation takes
/// `&self`.
#[derive(Clone, Debug)]
pub(crate) struct Tape {
    ops: Vec<Op>,
    /// `active[i]`: slot `i` depends on some channel.
    active: Vec<bool>,
    /// The channels, sorted; `c[k]` is `channels[k]`.
    pub channels: Vec<Channel>,
    /// The slot holding `c[k]`.
    chan_slot: Vec<u32>,
    /// The point-only slots a caller may precompute ([`hoisted_slots`]), increasing.
    hoisted: Vec<u32>,
    /// `hoist_index[i]`: the position of slot `i` in `hoisted`, or `u32::MAX`.
    hoist_index: Vec<u32>,
}

/// The passive slots whose values the channel-dependent part of the tape reads: every
/// passive operand of an active slot, and each passive root, except constants and
/// coordinates (reading those costs nothing). With their values given, the forward pass
/// needs no other passive slot and the reverse pass reads no other value, so a source
/// term such as `2π² sin(πx) sin(πy)` is one stored number per point instead of two
/// sines per point and per θ.
fn hoisted_slots(ops: &[Op], active: &[bool], roots: &[u32]) -> Vec<u32> {
    let mut needed = vec![false; ops.len()];
    for (i, op) in ops.iter().enumerate() {
        if active[i] {
            for a in op.operands().into_iter().flatten() {
                needed[a as usize] = true;
            }
        }
    }
    for &r in roots {
        needed[r as usize] = true;
    }
    (0..ops.len())
        .filter(|&i| needed[i] && !active[i] && !matches!(ops[i], Op::Const(_) | Op::Var(_)))
        .map(|i| i as u32)
        .collect()
}

/// Slots evaluated on a stack buffer; longer tapes use a per-thread buffer.
const STACK_SLOTS: usize = 64;
const SMALL_SLOTS: usize = 16;

thread_local! {
    static SCRATCH: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
    /// The slot-major buffer of [`Tape::values_block`] (`len() × block` values).
    static BLOCK_SCRATCH: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
}

impl Tape {
    /// Number of instructions.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// Runs `f` on a zeroed scratch slice of `2 * len()` values without allocating, except
    /// the first time a thread meets a long tape.
    fn with_scratch<R>(&self, f: impl FnOnce(&mut [f64]) -> R) -> R {
        let need = 2 * self.ops.len();
        // Two stack sizes, so short formulas do not pay for zeroing the larger buffer.
        if need <= 2 * SMALL_SLOTS {
            let mut buf = [0.0; 2 * SMALL_SLOTS];
            return f(&mut buf[..need]);
        }
        if need <= 2 * STACK_SLOTS {
            let mut buf = [0.0; 2 * STACK_SLOTS];
            return f(&mut buf[..need]);
        }
        SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut buf) => {
                if buf.len() < need {
                    buf.resize(need, 0.0);
                }
                let s = &mut buf[..need];
                s.fill(0.0);
                f(s)
            }
            // Only reachable if `f` re-enters evaluation on this thread.
            Err(_) => f(&mut vec![0.0; need]),
        })
    }

    /// Forward pass: fills `vals` and returns the last slot.
    #[inline]
    fn forward(&self, x: &[f64], c: &[f64], vals: &mut [f64]) -> f64 {
        for (i, op) in self.ops.iter().enumerate() {
            vals[i] = value_of(op, x, c, vals);
        }
        vals[self.ops.len() - 1]
    }

    /// `F(x, c)`.
    pub fn value(&self, x: &[f64], c: &[f64]) -> f64 {
        self.with_scratch(|s| self.forward(x, c, s))
    }

    /// How many point-only values [`Self::point_part`] writes (0 if the channel part
    /// reads no computed point-only slot).
    pub fn point_part_len(&self) -> usize {
        self.hoisted.len()
    }

    /// The values of the hoisted point-only slots at `x` (`point_part_len()` of them),
    /// computed by the same instructions as [`Self::value`].
    pub fn point_part(&self, x: &[f64], out: &mut [f64]) {
        assert_eq!(out.len(), self.hoisted.len(), "one value per hoisted slot");
        if self.hoisted.is_empty() {
            return;
        }
        // The channels are not read by passive slots; NaN marks them as absent.
        let c = vec![f64::NAN; self.channels.len()];
        self.with_scratch(|s| {
            self.forward(x, &c, s);
            for (o, &slot) in out.iter_mut().zip(&self.hoisted) {
                *o = s[slot as usize];
            }
        });
    }

    /// The forward pass with the hoisted slots read from `pre` ([`Self::point_part`] at
    /// the same `x`): active slots, constants and coordinates are computed as in
    /// [`Self::forward`], the hoisted slots copied, the other passive slots skipped (no
    /// slot computed here reads them). Every slot that is computed or copied holds the
    /// bits [`Self::forward`] gives it.
    #[inline]
    fn forward_with(&self, x: &[f64], pre: &[f64], c: &[f64], vals: &mut [f64]) -> f64 {
        for (i, op) in self.ops.iter().enumerate() {
            if !self.active[i] {
                let k = self.hoist_index[i];
                if k != u32::MAX {
                    vals[i] = pre[k as usize];
                    continue;
                }
                if !matches!(op, Op::Const(_) | Op::Var(_)) {
                    continue;
                }
            }
            vals[i] = value_of(op, x, c, vals);
        }
        vals[self.ops.len() - 1]
    }

    /// [`Self::value`] from the point-only values `pre` of [`Self::point_part`] at `x`:
    /// bitwise the same number.
    pub fn value_with(&self, x: &[f64], pre: &[f64], c: &[f64]) -> f64 {
        self.with_scratch(|s| self.forward_with(x, pre, c, s))
    }

    /// `out[p] = F(x_p, c_p)` for a block of points, one instruction at a time over the
    /// whole block: `points` has one row per point, `c[k]` holds channel `k` at every
    /// point, and `pre` the hoisted values ([`Self::point_part`]) of point `p` at
    /// `[p·len, (p+1)·len)` with `len = point_part_len()`, or is empty (then every slot
    /// is computed, as [`Self::value`] does). Each point goes through the operations of
    /// [`Self::value_with`] (or [`Self::value`]) in the same order, so `out[p]` is bitwise
    /// what those return; interpreting each instruction once per block instead of once
    /// per point is what makes it cheaper, and the elementwise loops vectorise.
    pub fn values_block(
        &self,
        points: faer::MatRef<'_, f64>,
        pre: &[f64],
        c: &[&[f64]],
        out: &mut [f64],
    ) {
        let (nb, len) = (out.len(), self.hoisted.len());
        assert_eq!(points.nrows(), nb, "one row of points per output");
        assert_eq!(c.len(), self.channels.len(), "one column per channel");
        assert!(
            c.iter().all(|ck| ck.len() == nb),
            "channel columns of the block's length"
        );
        let with_pre = !pre.is_empty() || len == 0;
        if with_pre {
            assert_eq!(pre.len(), nb * len, "the hoisted values of every point");
        }
        BLOCK_SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut buf) => self.block_pass(&mut buf, points, with_pre.then_some(pre), c, out),
            // Only reachable if evaluation re-enters on this thread.
            Err(_) => self.block_pass(&mut Vec::new(), points, with_pre.then_some(pre), c, out),
        });
    }

    /// The pass of [`Self::values_block`] in the buffer `buf` (grown to `len() × block`);
    /// `pre: None` computes every slot.
    fn block_pass(
        &self,
        buf: &mut Vec<f64>,
        points: faer::MatRef<'_, f64>,
        pre: Option<&[f64]>,
        c: &[&[f64]],
        out: &mut [f64],
    ) {
        let (n, nb, len) = (self.ops.len(), out.len(), self.hoisted.len());
        if buf.len() < n * nb {
            buf.resize(n * nb, 0.0);
        }
        let vals = &mut buf[..n * nb];
        for (i, op) in self.ops.iter().enumerate() {
            let (done, rest) = vals.split_at_mut(i * nb);
            let dst = &mut rest[..nb];
            if let Some(pre) = pre
                && !self.active[i]
            {
                let k = self.hoist_index[i];
                if k != u32::MAX {
                    let k = k as usize;
                    for (p, d) in dst.iter_mut().enumerate() {
                        *d = pre[p * len + k];
                    }
                    continue;
                }
                if !matches!(op, Op::Const(_) | Op::Var(_)) {
                    continue;
                }
            }
            let col = |a: u32| &done[a as usize * nb..(a as usize + 1) * nb];
            match *op {
                Op::Const(k) => dst.fill(k),
                Op::Var(j) => {
                    for (p, d) in dst.iter_mut().enumerate() {
                        *d = points[(p, j as usize)];
                    }
                }
                Op::Chan(k) => dst.copy_from_slice(c[k as usize]),
                Op::Neg(a) => map1(dst, col(a), |v| -v),
                Op::Add(a, b) => zip2(dst, col(a), col(b), |x, y| x + y),
                Op::Sub(a, b) => zip2(dst, col(a), col(b), |x, y| x - y),
                Op::Mul(a, b) => zip2(dst, col(a), col(b), |x, y| x * y),
                Op::Div(a, b) => zip2(dst, col(a), col(b), |x, y| x / y),
                Op::PowI(a, e) => map1(dst, col(a), |v| v.powi(e)),
                Op::PowF(a, e) => map1(dst, col(a), |v| v.powf(e)),
                Op::Pow(a, b) => zip2(dst, col(a), col(b), |x, y| x.powf(y)),
                Op::Call(f, a) => map1(dst, col(a), |v| f.apply(v)),
            }
        }
        out.copy_from_slice(&vals[(n - 1) * nb..]);
    }

    /// [`Self::eval`] from the point-only values `pre` of [`Self::point_part`] at `x`:
    /// bitwise the same value and partials.
    pub fn eval_with(&self, x: &[f64], pre: &[f64], c: &[f64], dfdc: &mut [f64]) -> f64 {
        let n = self.ops.len();
        self.with_scratch(|s| {
            let (vals, adj) = s.split_at_mut(n);
            let f = self.forward_with(x, pre, c, vals);
            adj[n - 1] = 1.0;
            self.reverse(vals, adj, dfdc);
            f
        })
    }

    /// `F(x, c)` and `∂F/∂c_k` into `dfdc`.
    pub fn eval(&self, x: &[f64], c: &[f64], dfdc: &mut [f64]) -> f64 {
        let n = self.ops.len();
        self.with_scratch(|s| {
            let (vals, adj) = s.split_at_mut(n);
            let f = self.forward(x, c, vals);
            adj[n - 1] = 1.0;
            self.reverse(vals, adj, dfdc);
            f
        })
    }

    /// The instructions, in slot order (for re-emitting a tape into a [`Builder`]).
    pub fn ops(&self) -> &[Op] {
        &self.ops
    }

    /// A vector-valued tape (see [`Builder::finish_roots`]) composed with a scalar
    /// function: with `y_j = slot roots[j]` evaluated at `(x, c)`, calls
    /// `outer(y, dfdy)`, which returns `F(y)` and writes `∂F/∂y`, and writes the chain
    /// rule `∂F/∂c_k = Σ_j ∂F/∂y_j ∂y_j/∂c_k` into `dfdc` with one reverse sweep seeded
    /// by `∂F/∂y` (a vector–Jacobian product: exact, and as cheap as one gradient).
    pub fn compose(
        &self,
        roots: &[u32],
        x: &[f64],
        c: &[f64],
        dfdc: &mut [f64],
        outer: impl FnOnce(&[f64], &mut [f64]) -> f64,
    ) -> f64 {
        self.compose_from(roots, dfdc, outer, |vals| {
            self.forward(x, c, vals);
        })
    }

    /// [`Self::compose`] with the hoisted point-only slots read from `pre`
    /// ([`Self::point_part`] at the same `x`): bitwise the same value and partials, since
    /// the roots and every value the reverse sweep reads are computed or copied slots.
    pub fn compose_with(
        &self,
        roots: &[u32],
        x: &[f64],
        pre: &[f64],
        c: &[f64],
        dfdc: &mut [f64],
        outer: impl FnOnce(&[f64], &mut [f64]) -> f64,
    ) -> f64 {
        self.compose_from(roots, dfdc, outer, |vals| {
            self.forward_with(x, pre, c, vals);
        })
    }

    /// The body of [`Self::compose`], with the forward pass that fills the slots given.
    fn compose_from(
        &self,
        roots: &[u32],
        dfdc: &mut [f64],
        outer: impl FnOnce(&[f64], &mut [f64]) -> f64,
        forward: impl FnOnce(&mut [f64]),
    ) -> f64 {
        let n = self.ops.len();
        let m = roots.len();
        self.with_scratch(|s| {
            let (vals, adj) = s.split_at_mut(n);
            if n > 0 {
                forward(vals);
            }
            let mut small = [0.0; 2 * SMALL_SLOTS];
            let mut large = Vec::new();
            let buf: &mut [f64] = if m <= SMALL_SLOTS {
                &mut small[..2 * m]
            } else {
                large.resize(2 * m, 0.0);
                &mut large
            };
            let (y, dfdy) = buf.split_at_mut(m);
            for (yj, &r) in y.iter_mut().zip(roots) {
                *yj = vals[r as usize];
            }
            let f = outer(y, dfdy);
            for (&g, &r) in dfdy.iter().zip(roots) {
                adj[r as usize] += g;
            }
            self.reverse(vals, adj, dfdc);
            f
        })
    }

    /// The reverse sweep: `adj` holds the seeds on entry; the channel adjoints go to
    /// `dfdc`.
    fn reverse(&self, vals: &[f64], adj: &mut [f64], dfdc: &mut [f64]) {
        for i in (0..self.ops.len()).rev() {
            let g = adj[i];
            if !self.active[i] || g == 0.0 {
                continue;
            }
            let v = |a: u32| vals[a as usize];
            match self.ops[i] {
                Op::Const(_) | Op::Var(_) | Op::Chan(_) => {}
                Op::Neg(a) => adj[a as usize] -= g,
                Op::Add(a, b) => {
                    adj[a as usize] += g;
                    adj[b as usize] += g;
                }
                Op::Sub(a, b) => {
                    adj[a as usize] += g;
                    adj[b as usize] -= g;
                }
                Op::Mul(a, b) => {
                    adj[a as usize] += g * v(b);
                    adj[b as usize] += g * v(a);
                }
                Op::Div(a, b) => {
                    adj[a as usize] += g / v(b);
                    adj[b as usize] -= g * vals[i] / v(b);
                }
                Op::PowI(a, k) => {
                    adj[a as usize] += g * f64::from(k) * v(a).powi(k - 1);
                }
                Op::PowF(a, p) => adj[a as usize] += g * p * v(a).powf(p - 1.0),
                Op::Pow(a, b) => {
                    if self.active[a as usize] {
                        adj[a as usize] += g * v(b) * v(a).powf(v(b) - 1.0);
                    }
                    if self.active[b as usize] {
                        adj[b as usize] += g * vals[i] * v(a).ln();
                    }
                }
                Op::Call(func, a) => adj[a as usize] += g * func.derivative(v(a), vals[i]),
            }
        }
        for (d, &slot) in dfdc.iter_mut().zip(&self.chan_slot) {
            *d = adj[slot as usize];
        }
    }
}

/// `dst[p] = f(a[p])`, inlined so that the loop vectorises where `f` allows.
#[inline(always)]
fn map1(dst: &mut [f64], a: &[f64], f: impl Fn(f64) -> f64) {
    for (d, &x) in dst.iter_mut().zip(a) {
        *d = f(x);
    }
}

/// `dst[p] = f(a[p], b[p])`, inlined so that the arithmetic loops vectorise.
#[inline(always)]
fn zip2(dst: &mut [f64], a: &[f64], b: &[f64], f: impl Fn(f64, f64) -> f64) {
    for ((d, &x), &y) in dst.iter_mut().zip(a).zip(b) {
        *d = f(x, y);
    }
}

/// The value of one op from the slots before it (`vals`), the point `x` and the
/// channels `c`: the forward rule shared by [`Tape::forward`] and [`Tape::forward_with`],
/// so both give every slot the same bits.
#[inline]
fn value_of(op: &Op, x: &[f64], c: &[f64], vals: &[f64]) -> f64 {
    let v = |a: u32| vals[a as usize];
    match *op {
        Op::Const(k) => k,
        Op::Var(j) => x[j as usize],
        Op::Chan(k) => c[k as usize],
        Op::Neg(a) => -v(a),
        Op::Add(a, b) => v(a) + v(b),
        Op::Sub(a, b) => v(a) - v(b),
        Op::Mul(a, b) => v(a) * v(b),
        Op::Div(a, b) => v(a) / v(b),
        Op::PowI(a, n) => v(a).powi(n),
        Op::PowF(a, p) => v(a).powf(p),
        Op::Pow(a, b) => v(a).powf(v(b)),
        Op::Call(f, a) => f.apply(v(a)),
    }
}

#[cfg(test)]
#[path = "tape_tests.rs"]
mod tests;
