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

/// A derivative of order 3 or 4 as a sorted multiset of variable indices: `[0, 0, 1]` is
/// `∂³/∂x_0²∂x_1`. Mixed partial derivatives of a smooth function commute, so only the
/// multiset matters, and sorting makes equal derivatives equal values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MultiIndex {
    /// The number of variables (the derivative order).
    len: u8,
    /// The variable indices, increasing, in `vars[..len]`; the rest stays 0.
    vars: [u8; MultiIndex::MAX_ORDER],
}

impl MultiIndex {
    /// The highest derivative order the network jets carry.
    pub const MAX_ORDER: usize = 4;

    /// The multi-index of `vars` (any order of the entries), or `None` when there are
    /// more than [`MultiIndex::MAX_ORDER`] of them or a variable index is 32 or above.
    pub fn new(vars: &[usize]) -> Option<Self> {
        if vars.len() > Self::MAX_ORDER || vars.iter().any(|&v| v >= 32) {
            return None;
        }
        let mut out = [0u8; Self::MAX_ORDER];
        for (o, &v) in out.iter_mut().zip(vars) {
            *o = v as u8;
        }
        out[..vars.len()].sort_unstable();
        Some(MultiIndex {
            len: vars.len() as u8,
            vars: out,
        })
    }
    /// The derivative order `|α|`.
    pub fn order(self) -> usize {
        usize::from(self.len)
    }
    /// The variable indices, increasing (with repetitions).
    pub fn iter(self) -> impl Iterator<Item = usize> {
        (0..self.order()).map(move |i| usize::from(self.vars[i]))
    }
    /// The set of variables differentiated in.
    pub fn var_set(self) -> VarSet {
        VarSet(self.iter().fold(0, |m, v| m | 1 << v))
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
    /// `∂^{|α|}u_o/∂x_{α_1}⋯∂x_{α_k}` of order `k = |α|` 3 or 4 (`u_xxx`, `u_xxt`,
    /// `u_xxyy`). Orders 0–2 have their own variants; a `Higher` channel of a lower order
    /// is still computed correctly, but the expression language never makes one.
    Higher { output: usize, vars: MultiIndex },
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
    /// The derivative of order 3 or 4 in `vars`.
    ///
    /// # Panics
    /// If `vars` has more than [`MultiIndex::MAX_ORDER`] entries or one is ≥ 32 (a
    /// contract violation; the expression language reports these as errors first).
    pub fn higher(output: usize, vars: &[usize]) -> Self {
        let vars = MultiIndex::new(vars)
            .unwrap_or_else(|| panic!("a derivative needs ≤ 4 variables below 32, got {vars:?}"));
        Channel::Higher { output, vars }
    }
    /// The network output this channel differentiates.
    pub fn output(&self) -> usize {
        match *self {
            Channel::Value { output }
            | Channel::First { output, .. }
            | Channel::Second { output, .. }
            | Channel::Laplacian { output, .. }
            | Channel::Higher { output, .. } => output,
        }
    }
    /// The derivative order (0 to 4).
    pub fn order(&self) -> usize {
        match self {
            Channel::Value { .. } => 0,
            Channel::First { .. } => 1,
            Channel::Second { .. } | Channel::Laplacian { .. } => 2,
            Channel::Higher { vars, .. } => vars.order(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_indices_are_sorted_multisets() {
        let a = MultiIndex::new(&[1, 0, 1]).unwrap();
        assert_eq!(a, MultiIndex::new(&[0, 1, 1]).unwrap());
        assert_eq!(a.iter().collect::<Vec<_>>(), vec![0, 1, 1]);
        assert_eq!((a.order(), a.var_set()), (3, VarSet(0b11)));
        assert_ne!(a, MultiIndex::new(&[0, 0, 1]).unwrap());
        assert!(MultiIndex::new(&[0; 5]).is_none());
        assert!(MultiIndex::new(&[32]).is_none());
        let ch = Channel::higher(2, &[3, 0, 3, 0]);
        assert_eq!((ch.output(), ch.order()), (2, 4));
        assert_eq!(ch, Channel::higher(2, &[0, 0, 3, 3]));
        // Higher channels sort after every order-≤2 channel of the same kind list.
        assert!(
            Channel::Laplacian {
                output: 0,
                vars: VarSet(1)
            } < ch
        );
    }
}
