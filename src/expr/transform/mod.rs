//! Output transforms ("hard constraints"): the solution is an ansatz over the network's
//! raw output, `u_o = T_o(x, N_o)`, chosen so that initial or boundary data hold exactly,
//! e.g. `u = sin(πx) + t N` (the initial condition at `t = 0`) or
//! `u = g + x(1 − x) N` (Dirichlet data at `x = 0, 1`); Lagaris, Likas & Fotiadis,
//! "Artificial neural networks for solving ordinary and partial differential equations",
//! IEEE Trans. Neural Netw. 9 (1998); Lu et al., "Physics-informed neural networks with
//! hard constraints for inverse design", SIAM J. Sci. Comput. 43 (2021).
//!
//! A residual reads the channels of `u` (`u`, `u_x`, `u_xx`, `lap(u)`, …). Through the
//! transform each is a function of the coordinates and the network's channels: with
//! `N` entering `T` through its value only,
//!
//! ```text
//! u_x = ∂_x T + ∂_N T · N_x,   u_xx = ∂_xx T + 2 ∂_xN T · N_x + ∂_NN T · N_x² + ∂_N T · N_xx, …
//! ```
//!
//! These are built once, symbolically, by differentiating the transform's instructions
//! ([`diff`]); a [`TransformedResidual`] then evaluates `c_u = T(x, c_N)` at each point,
//! calls the wrapped residual `F(x, c_u)`, and returns `∂F/∂c_N = Σ_k ∂F/∂c_u,k ·
//! ∂c_u,k/∂c_N` with one reverse sweep. The parameter Jacobian
//! `Σ ∂F/∂c_N ∂c_N/∂θ` stays exact.

mod diff;
mod residual;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use faer::{Mat, MatRef};

use super::context::Context;
use super::error::ExprError;
use super::parser::{Mode, compile};
use super::tape::{BinOp, Builder, Op, Tape};
use crate::residual::{Channel, PointResidual};
pub use residual::TransformedResidual;

/// The name of the network's raw output inside a transform.
pub const NETWORK_OUTPUT: &str = "N";

/// One output's ansatz.
#[derive(Clone, Debug)]
struct Ansatz {
    source: String,
    /// Reads at most the channel `Value { output: 0 }`, which stands for `N`.
    tape: Tape,
}

/// Why a transform was refused.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum TransformError {
    /// `N` is already a variable, output or constant.
    #[error(
        "`{NETWORK_OUTPUT}` names the network output in a transform, but the problem \
         declares `{name}` as a {role}; rename it"
    )]
    Clash {
        /// The clashing name.
        name: String,
        /// What the problem declares it as.
        role: &'static str,
    },
    /// The transform of an output does not parse.
    #[error("{error}")]
    Expr {
        /// The output index.
        output: usize,
        /// The parse error (its column is inside the transform's source).
        error: ExprError,
    },
    /// The transform of an output does not read `N`: the network would not affect it.
    #[error(
        "the transform does not read `{NETWORK_OUTPUT}`: the output would not depend on the \
         network"
    )]
    NoNetwork {
        /// The output index.
        output: usize,
    },
}

/// A residual channel that the transform cannot provide (it would need a network
/// derivative of an unsupported order).
#[derive(Clone, Debug, PartialEq)]
pub struct WrapError {
    /// The output whose transform is at fault.
    pub output: usize,
    /// The explanation, with channel names, e.g. "the transform makes u_xx need N_xxx …".
    pub message: String,
}

impl fmt::Display for WrapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The ansatz of every output (the identity for outputs without one).
#[derive(Clone, Debug)]
pub struct OutputTransform {
    ansatz: Vec<Option<Ansatz>>,
    variables: Vec<String>,
    outputs: Vec<String>,
}

impl OutputTransform {
    /// No transform: every output is the network output.
    pub fn identity(ctx: &Context) -> Self {
        OutputTransform {
            ansatz: vec![None; ctx.outputs().len()],
            variables: ctx.variables().to_vec(),
            outputs: ctx.outputs().to_vec(),
        }
    }

    /// Compiles `sources[o]`, the ansatz of output `o` (`None`: the network output
    /// itself). An ansatz is an expression in the coordinates, the constants and `N`,
    /// the network's raw output for that output; derivatives of `N` are not allowed.
    ///
    /// # Errors
    /// See [`TransformError`].
    pub fn new(ctx: &Context, sources: &[Option<&str>]) -> Result<Self, TransformError> {
        assert_eq!(sources.len(), ctx.outputs().len(), "one source per output");
        let mut t = Self::identity(ctx);
        if sources.iter().all(Option::is_none) {
            return Ok(t);
        }
        let n = NETWORK_OUTPUT;
        let role = if ctx.variable(n).is_some() {
            Some("variable")
        } else if ctx.output(n).is_some() {
            Some("output")
        } else if ctx.constant(n).is_some() {
            Some("constant")
        } else {
            None
        };
        if let Some(role) = role {
            return Err(TransformError::Clash {
                name: n.to_string(),
                role,
            });
        }
        let vars: Vec<&str> = ctx.variables().iter().map(String::as_str).collect();
        let mut tctx = Context::new(&vars, &[n]).expect("variables were valid, N is free");
        for (name, v) in ctx.constants() {
            tctx = tctx
                .with_constant(name, *v)
                .map_err(|_| TransformError::Clash {
                    name: name.clone(),
                    role: "constant (it reads as a derivative of N)",
                })?;
        }
        for (o, src) in sources.iter().enumerate() {
            let Some(src) = src else { continue };
            let tape = compile(src, &tctx, Mode::Transform)
                .map_err(|error| TransformError::Expr { output: o, error })?;
            if tape.channels.is_empty() {
                return Err(TransformError::NoNetwork { output: o });
            }
            t.ansatz[o] = Some(Ansatz {
                source: src.to_string(),
                tape,
            });
        }
        Ok(t)
    }

    /// The first output whose ansatz reads coordinate `i` other than through a known
    /// term added to the network, if any. Time slabs refuse such an ansatz in the time
    /// variable: `u = sin(πx) + t N` builds in the data at the first time only. An
    /// additive ansatz `u = N + g(x, t)` (or `g + N`, `N − g`) constrains nothing: it
    /// only moves a known part of the solution out of the network, so every slab can
    /// carry it.
    pub fn constrains_variable(&self, i: usize) -> Option<usize> {
        self.ansatz.iter().position(|a| {
            a.as_ref().is_some_and(|a| {
                let ops = a.tape.ops();
                let reads = ops
                    .iter()
                    .any(|op| matches!(op, Op::Var(v) if *v as usize == i));
                reads && !is_additive(ops)
            })
        })
    }

    /// Whether no output has an ansatz.
    pub fn is_identity(&self) -> bool {
        self.ansatz.iter().all(Option::is_none)
    }

    /// The ansatz source of output `o`, if it has one.
    pub fn source(&self, o: usize) -> Option<&str> {
        self.ansatz[o].as_ref().map(|a| a.source.as_str())
    }

    /// The ansatz of every output as text, `N` for an output without one (the form the
    /// result file stores).
    pub fn sources(&self) -> Vec<String> {
        (0..self.ansatz.len())
            .map(|o| self.source(o).unwrap_or(NETWORK_OUTPUT).to_string())
            .collect()
    }

    /// `u_o = T_o(x, N_o)` at one point, from the network outputs `n`.
    pub fn values(&self, x: &[f64], n: &[f64], u: &mut [f64]) {
        for ((uo, &no), a) in u.iter_mut().zip(n).zip(&self.ansatz) {
            *uo = match a {
                None => no,
                Some(a) => a.tape.value(x, &[no]),
            };
        }
    }

    /// The solution at `points` (`M × d`) from the network outputs `n` there (`M × m`).
    pub fn apply(&self, points: MatRef<'_, f64>, n: Mat<f64>) -> Mat<f64> {
        if self.is_identity() {
            return n;
        }
        let (mut x, mut row, mut u) = (Vec::new(), Vec::new(), vec![0.0; n.ncols()]);
        let mut out = Mat::zeros(n.nrows(), n.ncols());
        for i in 0..n.nrows() {
            x.clear();
            x.extend((0..points.ncols()).map(|j| points[(i, j)]));
            row.clear();
            row.extend((0..n.ncols()).map(|k| n[(i, k)]));
            self.values(&x, &row, &mut u);
            for (k, v) in u.iter().enumerate() {
                out[(i, k)] = *v;
            }
        }
        out
    }

    /// `inner` read through the transform: a residual in the network's channels. Returns
    /// `inner` itself when it reads no transformed output.
    ///
    /// # Errors
    /// A channel of `inner` whose transform needs a network derivative of an unsupported
    /// order.
    pub fn wrap(&self, inner: Arc<dyn PointResidual>) -> Result<Arc<dyn PointResidual>, WrapError> {
        if inner
            .channels()
            .iter()
            .all(|c| self.ansatz[c.output()].is_none())
        {
            return Ok(inner);
        }
        let (tape, roots) = self.derivative_tape(inner.channels())?;
        Ok(Arc::new(TransformedResidual::new(inner, tape, roots)))
    }

    /// The tape from the network channels to `channels` (channels of the transformed
    /// outputs), with the slot of each requested channel.
    pub(crate) fn derivative_tape(
        &self,
        channels: &[Channel],
    ) -> Result<(Tape, Vec<u32>), WrapError> {
        let mut b = Builder::default();
        let mut base: HashMap<usize, u32> = HashMap::new();
        let mut roots = Vec::with_capacity(channels.len());
        let mut d = diff::Differentiator::new(&mut b);
        for &ch in channels {
            let o = ch.output();
            let Some(a) = &self.ansatz[o] else {
                roots.push(d.b.channel(ch));
                continue;
            };
            let t = *base.entry(o).or_insert_with(|| emit(d.b, &a.tape, o));
            let fail = |e: diff::DiffError| WrapError {
                output: o,
                message: format!(
                    "the transform `{} = {}` makes {} need {} differentiated in {}: {}",
                    self.outputs[o],
                    a.source,
                    self.channel_name(ch, false),
                    self.channel_name(e.channel, true),
                    self.variables[e.var],
                    e.message
                ),
            };
            let root = match diff::channel_vars(ch) {
                Some(vars) => {
                    let mut s = t;
                    for v in vars {
                        s = d.d(s, v).map_err(fail)?;
                    }
                    s
                }
                None => {
                    let Channel::Laplacian { vars, .. } = ch else {
                        unreachable!("only the Laplacian has no variable list")
                    };
                    let mut sum = d.b.constant(0.0);
                    for j in vars.iter() {
                        let dj = d.d(t, j).map_err(fail)?;
                        let djj = d.d(dj, j).map_err(fail)?;
                        sum = d.b.binary(BinOp::Add, sum, djj);
                    }
                    sum
                }
            };
            roots.push(root);
        }
        Ok(b.finish_roots(&roots))
    }

    /// `u_xy`, `lap(u)`, `d(u, theta)`; with `network`, the network output's name `N`.
    fn channel_name(&self, ch: Channel, network: bool) -> String {
        let o = if network {
            NETWORK_OUTPUT
        } else {
            self.outputs[ch.output()].as_str()
        };
        match diff::channel_vars(ch) {
            None => format!("lap({o})"),
            Some(vars) if vars.is_empty() => o.to_string(),
            Some(vars) => {
                let names: Vec<&str> = vars.iter().map(|&v| self.variables[v].as_str()).collect();
                if names.iter().all(|n| n.chars().count() == 1) {
                    format!("{o}_{}", names.concat())
                } else {
                    format!("d({o}, {})", names.join(", "))
                }
            }
        }
    }
}

/// Whether the ansatz (root: the last instruction) is `N + g`, `g + N` or `N − g` with `g`
/// not reading `N`.
fn is_additive(ops: &[Op]) -> bool {
    let is_network = |a: u32| matches!(ops[a as usize], Op::Chan(_));
    match ops.last() {
        Some(&Op::Add(a, c)) => {
            (is_network(a) && !reads_network(ops, c)) || (is_network(c) && !reads_network(ops, a))
        }
        Some(&Op::Sub(a, c)) => is_network(a) && !reads_network(ops, c),
        _ => false,
    }
}

/// Whether the instruction at `slot` depends on the network output.
fn reads_network(ops: &[Op], slot: u32) -> bool {
    match ops[slot as usize] {
        Op::Chan(_) => true,
        Op::Const(_) | Op::Var(_) => false,
        Op::Neg(a) | Op::PowI(a, _) | Op::PowF(a, _) | Op::Call(_, a) => reads_network(ops, a),
        Op::Add(a, c) | Op::Sub(a, c) | Op::Mul(a, c) | Op::Div(a, c) | Op::Pow(a, c) => {
            reads_network(ops, a) || reads_network(ops, c)
        }
    }
}

/// Re-emits an ansatz tape into `b`, its `N` becoming the network output `o`; returns
/// the slot of the ansatz.
fn emit(b: &mut Builder, tape: &Tape, o: usize) -> u32 {
    let mut slot: Vec<u32> = Vec::with_capacity(tape.len());
    for op in tape.ops() {
        let s = |a: u32| slot[a as usize];
        let new = match *op {
            Op::Const(v) => b.constant(v),
            Op::Var(j) => b.var(j as usize),
            Op::Chan(_) => b.channel(Channel::Value { output: o }),
            Op::Neg(a) => b.neg(s(a)),
            Op::Add(a, c) => b.binary(BinOp::Add, s(a), s(c)),
            Op::Sub(a, c) => b.binary(BinOp::Sub, s(a), s(c)),
            Op::Mul(a, c) => b.binary(BinOp::Mul, s(a), s(c)),
            Op::Div(a, c) => b.binary(BinOp::Div, s(a), s(c)),
            Op::PowI(a, n) => {
                let n = b.constant(f64::from(n));
                b.binary(BinOp::Pow, s(a), n)
            }
            Op::PowF(a, p) => {
                let p = b.constant(p);
                b.binary(BinOp::Pow, s(a), p)
            }
            Op::Pow(a, c) => b.binary(BinOp::Pow, s(a), s(c)),
            Op::Call(f, a) => b.call(f, s(a)),
        };
        slot.push(new);
    }
    *slot.last().expect("a compiled expression has a root")
}

#[cfg(test)]
mod tests;
