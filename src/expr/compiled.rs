//! The evaluators handed to the engine: [`CompiledResidual`] (a [`PointResidual`]) and
//! [`CompiledFunction`] (a [`PointFunction`]).

use faer::MatRef;

use super::tape::Tape;
use crate::residual::{Channel, PointFunction, PointResidual};

/// A residual `F(x, c)` compiled from source; see [`parse_residual`](super::parse_residual).
///
/// `channels()` is sorted (by [`Channel`]'s order), so it does not depend on how the
/// formula was written. Evaluation does no string work and no allocation (tapes up to 64
/// instructions use a stack buffer, longer ones a per-thread buffer). Domain errors
/// (`log(-1)`, `sqrt(-1)`, `0/0`) give NaN, which callers detect with `is_nan`.
#[derive(Clone, Debug)]
pub struct CompiledResidual {
    pub(crate) tape: Tape,
    pub(crate) n_vars: usize,
    pub(crate) source: String,
}

impl CompiledResidual {
    /// The source the residual was compiled from.
    pub fn source(&self) -> &str {
        &self.source
    }
    /// Number of tape instructions after folding and sharing (a cost measure).
    pub fn instructions(&self) -> usize {
        self.tape.len()
    }
}

impl PointResidual for CompiledResidual {
    fn channels(&self) -> &[Channel] {
        &self.tape.channels
    }

    /// # Panics
    /// If `x.len()` differs from the number of declared variables, or `c`/`dfdc` from
    /// `channels().len()` (contract violations).
    fn eval(&self, x: &[f64], c: &[f64], dfdc: &mut [f64]) -> f64 {
        assert_eq!(
            x.len(),
            self.n_vars,
            "x has one entry per declared variable"
        );
        assert_eq!(
            c.len(),
            self.tape.channels.len(),
            "c has one entry per channel"
        );
        assert_eq!(dfdc.len(), c.len(), "dfdc has one entry per channel");
        self.tape.eval(x, c, dfdc)
    }

    fn value(&self, x: &[f64], c: &[f64]) -> f64 {
        assert_eq!(
            x.len(),
            self.n_vars,
            "x has one entry per declared variable"
        );
        assert_eq!(
            c.len(),
            self.tape.channels.len(),
            "c has one entry per channel"
        );
        self.tape.value(x, c)
    }

    /// The tape's hoisted point-only slots (see `Tape::point_part`): for
    /// `-lap(u) - 2*pi^2*sin(pi*x)*sin(pi*y)` the source term, one number per point.
    fn point_part_len(&self) -> usize {
        self.tape.point_part_len()
    }

    fn point_part(&self, x: &[f64], out: &mut [f64]) {
        assert_eq!(
            x.len(),
            self.n_vars,
            "x has one entry per declared variable"
        );
        self.tape.point_part(x, out)
    }

    fn value_with(&self, x: &[f64], pre: &[f64], c: &[f64]) -> f64 {
        assert_eq!(
            c.len(),
            self.tape.channels.len(),
            "c has one entry per channel"
        );
        assert_eq!(pre.len(), self.tape.point_part_len(), "one value per part");
        self.tape.value_with(x, pre, c)
    }

    /// The tape over the whole block ([`Tape::values_block`]): the bits of
    /// [`PointResidual::value_with`] point by point.
    fn values_block(&self, points: MatRef<'_, f64>, pre: &[f64], c: &[&[f64]], out: &mut [f64]) {
        assert_eq!(
            points.ncols(),
            self.n_vars,
            "points have one column per declared variable"
        );
        self.tape.values_block(points, pre, c, out);
    }

    fn eval_with(&self, x: &[f64], pre: &[f64], c: &[f64], dfdc: &mut [f64]) -> f64 {
        assert_eq!(
            c.len(),
            self.tape.channels.len(),
            "c has one entry per channel"
        );
        assert_eq!(dfdc.len(), c.len(), "dfdc has one entry per channel");
        assert_eq!(pre.len(), self.tape.point_part_len(), "one value per part");
        self.tape.eval_with(x, pre, c, dfdc)
    }
}

/// A function `g(x)` of the coordinates (a source term, boundary data or exact
/// solution) compiled from source; see [`parse_function`](super::parse_function).
#[derive(Clone, Debug)]
pub struct CompiledFunction {
    pub(crate) tape: Tape,
    pub(crate) n_vars: usize,
    pub(crate) source: String,
}

impl CompiledFunction {
    /// The source the function was compiled from.
    pub fn source(&self) -> &str {
        &self.source
    }
    /// Number of tape instructions after folding and sharing.
    pub fn instructions(&self) -> usize {
        self.tape.len()
    }
}

impl PointFunction for CompiledFunction {
    /// # Panics
    /// If `x.len()` differs from the number of declared variables.
    fn eval(&self, x: &[f64]) -> f64 {
        assert_eq!(
            x.len(),
            self.n_vars,
            "x has one entry per declared variable"
        );
        self.tape.value(x, &[])
    }
}
