//! Which jet quantities a list of channels needs.
//!
//! The forward jets carry, per point, a fixed set of *slots*: slot 0 is the value, then
//! one slot per needed first-derivative direction `∂/∂x_j`, then one slot per needed
//! second-order quantity: a single mixed/pure derivative `∂²/∂x_a∂x_b` or a summed
//! Laplacian `Σ_{i∈V} ∂²/∂x_i²` (the "forward Laplacian"). A pair `(a, b)` needs the first
//! derivatives in `a` and `b`, a Laplacian those of its variables. Each slot holds all
//! network outputs, so a channel is an `(output, slot)` pair.

use crate::residual::{Channel, VarSet};

/// A second-order slot, with its first-derivative inputs given as *first-slot indices*
/// (positions in [`JetPlan::first_vars`]), not variable indices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SecondSlot {
    /// `∂²/∂x_a∂x_b` (possibly `a == b`).
    Pair { a: usize, b: usize },
    /// `Σ_{f ∈ firsts} ∂²/∂x_{var(f)}²`.
    Lap { firsts: Vec<usize> },
}

/// The slots needed by a list of channels and where each channel lives.
#[derive(Clone, Debug)]
pub(crate) struct JetPlan {
    /// The variable index of each first-derivative slot, increasing.
    pub first_vars: Vec<usize>,
    /// The second-order slots.
    pub seconds: Vec<SecondSlot>,
    /// For each requested channel: `(output, slot)`.
    pub channel_slots: Vec<(usize, usize)>,
}

impl JetPlan {
    /// The plan for `channels` of a network with `d` inputs and `m` outputs.
    ///
    /// # Panics
    /// If a channel names an output `≥ m` or a variable `≥ d` (a contract violation).
    pub fn new(channels: &[Channel], d: usize, m: usize) -> Self {
        let mut need = VarSet(0);
        for ch in channels {
            assert!(
                ch.output() < m,
                "channel {ch:?} names output {} of a network with {m} outputs",
                ch.output()
            );
            let vars = match *ch {
                Channel::Value { .. } => VarSet(0),
                Channel::First { var, .. } => VarSet(1 << var.min(31)),
                Channel::Second { a, b, .. } => VarSet(1 << a.min(31) | 1 << b.min(31)),
                Channel::Laplacian { vars, .. } => vars,
            };
            let max_var = match *ch {
                Channel::Value { .. } => None,
                Channel::First { var, .. } => Some(var),
                Channel::Second { a, b, .. } => Some(a.max(b)),
                Channel::Laplacian { vars, .. } => vars.iter().last(),
            };
            if let Some(v) = max_var {
                assert!(v < d, "channel {ch:?} differentiates in x_{v}, but d = {d}");
            }
            need.0 |= vars.0;
        }
        let first_vars: Vec<usize> = need.iter().collect();
        let fslot = |v: usize| first_vars.binary_search(&v).expect("needed variable");
        let mut seconds: Vec<SecondSlot> = Vec::new();
        let mut channel_slots = Vec::with_capacity(channels.len());
        for ch in channels {
            let slot = match *ch {
                Channel::Value { .. } => 0,
                Channel::First { var, .. } => 1 + fslot(var),
                Channel::Second { a, b, .. } => {
                    let s = SecondSlot::Pair {
                        a: fslot(a.min(b)),
                        b: fslot(a.max(b)),
                    };
                    1 + first_vars.len() + push_unique(&mut seconds, s)
                }
                Channel::Laplacian { vars, .. } => {
                    let s = SecondSlot::Lap {
                        firsts: vars.iter().map(fslot).collect(),
                    };
                    1 + first_vars.len() + push_unique(&mut seconds, s)
                }
            };
            channel_slots.push((ch.output(), slot));
        }
        JetPlan {
            first_vars,
            seconds,
            channel_slots,
        }
    }

    /// The number of slots `C = 1 + #first + #second`.
    pub fn n_slots(&self) -> usize {
        1 + self.first_vars.len() + self.seconds.len()
    }

    /// The slot index of first-derivative slot `f`.
    pub fn first_slot(&self, f: usize) -> usize {
        1 + f
    }

    /// The slot index of second-order slot `s`.
    pub fn second_slot(&self, s: usize) -> usize {
        1 + self.first_vars.len() + s
    }
}

fn push_unique(v: &mut Vec<SecondSlot>, s: SecondSlot) -> usize {
    if let Some(i) = v.iter().position(|x| *x == s) {
        i
    } else {
        v.push(s);
        v.len() - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_for_poisson_and_mixed_channels() {
        let chans = [
            Channel::Value { output: 0 },
            Channel::Laplacian {
                output: 0,
                vars: VarSet::all(3),
            },
        ];
        let p = JetPlan::new(&chans, 3, 1);
        assert_eq!(p.first_vars, vec![0, 1, 2]);
        assert_eq!(
            p.seconds,
            vec![SecondSlot::Lap {
                firsts: vec![0, 1, 2]
            }]
        );
        assert_eq!(p.channel_slots, vec![(0, 0), (0, 4)]);
        assert_eq!(p.n_slots(), 5);

        let chans = [
            Channel::second(1, 3, 1),
            Channel::First { output: 0, var: 3 },
            Channel::Second {
                output: 0,
                a: 1,
                b: 3,
            },
            Channel::Value { output: 1 },
        ];
        let p = JetPlan::new(&chans, 4, 2);
        assert_eq!(p.first_vars, vec![1, 3]);
        assert_eq!(p.seconds, vec![SecondSlot::Pair { a: 0, b: 1 }]);
        assert_eq!(p.channel_slots, vec![(1, 3), (0, 2), (0, 3), (1, 0)]);
        // Values only: one slot.
        assert_eq!(
            JetPlan::new(&[Channel::Value { output: 0 }], 2, 1).n_slots(),
            1
        );
    }

    #[test]
    #[should_panic(expected = "differentiates in x_2")]
    fn rejects_variable_out_of_range() {
        JetPlan::new(&[Channel::First { output: 0, var: 2 }], 2, 1);
    }
}
