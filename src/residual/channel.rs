//! Derivative channels: the quantities `D_k u_θ(x)` a residual reads.
//!
//! A residual `F(x, c_1(θ), …, c_K(θ))` depends on the network only through its
//! channels, so the engine computes exactly the channels the residual blocks ask for, and
//! the Jacobian row is `Σ_k (∂F/∂c_k) ∂c_k/∂θ`.

/// A set of input variables, as a bit mask over variable indices (bit `i` = variable `i`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VarSet(pub u32);

impl VarSet {
    /// All of the first `d` variables.
    pub fn all(d: usize) -> Self {
        assert!(d <= 32, "at most 32 input variables");
        VarSet(if d == 32 { u32::MAX } else { (1u32 << d) - 1 })
    }
    /// Whether variable `i` is in the set.
    pub fn contains(self, i: usize) -> bool {
        i < 32 && self.0 & (1 << i) != 0
    }
    /// The variable indices in increasing order.
    pub fn iter(self) -> impl Iterator<Item = usize> {
        (0..32).filter(move |&i| self.contains(i))
    }
}

/// One derivative channel of one network output at a point.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    /// `u_o(x)`.
    Value { output: usize },
    /// `∂u_o/∂x_var`.
    First { output: usize, var: usize },
    /// `∂²u_o/∂x_a∂x_b`, normalised so that `a ≤ b`.
    Second { output: usize, a: usize, b: usize },
    /// `Σ_{i ∈ vars} ∂²u_o/∂x_i²`: the summed ("forward Laplacian") channel.
    Laplacian { output: usize, vars: VarSet },
}

impl Channel {
    /// `∂²u_o/∂x_a∂x_b` with the indices put in order.
    pub fn second(output: usize, a: usize, b: usize) -> Self {
        Channel::Second {
            output,
            a: a.min(b),
            b: a.max(b),
        }
    }
    /// The network output this channel differentiates.
    pub fn output(&self) -> usize {
        match *self {
            Channel::Value { output }
            | Channel::First { output, .. }
            | Channel::Second { output, .. }
            | Channel::Laplacian { output, .. } => output,
        }
    }
    /// The derivative order (0, 1 or 2).
    pub fn order(&self) -> usize {
        match self {
            Channel::Value { .. } => 0,
            Channel::First { .. } => 1,
            Channel::Second { .. } | Channel::Laplacian { .. } => 2,
        }
    }
}
