//! Which jet quantities a list of channels needs.
//!
//! The forward jets carry, per point, a fixed set of *slots*: slot 0 is the value, then
//! one slot per needed first-derivative direction `∂/∂x_j`, then one slot per needed
//! second-order quantity: a single mixed/pure derivative `∂²/∂x_a∂x_b` or a summed
//! Laplacian `Σ_{i∈V} ∂²/∂x_i²` (the "forward Laplacian"). A pair `(a, b)` needs the first
//! derivatives in `a` and `b`, a Laplacian those of its variables. Each slot holds all
//! network outputs, so a channel is an `(output, slot)` pair.
//!
//! Derivatives of order 3 and 4 come last, as *multi-index slots* `∂^{|α|}/∂x_α` with `α`
//! a sorted multiset of variables. The plan is closed under sub-multisets: `u_xxy` brings
//! the slots `x`, `y`, `xx`, `xy` with it, because its activation rule reads them (see
//! [`HigherSlot`]). A plan without such channels is exactly the plan of order ≤ 2, and the
//! jets take the order-≤2 code path alone for it.

use crate::residual::{Channel, MultiIndex, VarSet};

/// A second-order slot, with its first-derivative inputs given as *first-slot indices*
/// (positions in [`JetPlan::first_vars`]), not variable indices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SecondSlot {
    /// `∂²/∂x_a∂x_b` (possibly `a == b`).
    Pair { a: usize, b: usize },
    /// `Σ_{f ∈ firsts} ∂²/∂x_{var(f)}²`.
    Lap { firsts: Vec<usize> },
}

/// A slot of order 3 or 4, `h_α = ∂^{|α|}h/∂x_α`, with the activation rule of the
/// multivariate Faà di Bruno formula (Hardy, "Combinatorics of partial derivatives",
/// Electron. J. Combin. 13, 2006, Prop. 1): for `h = σ(z)`,
///
/// ```text
///   h_α = Σ_{π partition of the positions of α} σ^{(|π|)}(z) Π_{B ∈ π} z_{α_B}
/// ```
///
/// e.g. `h_abc = σ' z_abc + σ'' (z_a z_bc + z_b z_ac + z_c z_ab) + σ''' z_a z_b z_c`. The
/// one-block partition gives `σ' z_α`; the others are [`FdbTerm`]s, with partitions that
/// give the same product merged (for `α = xxxx`: `4 z_x z_xxx + 3 z_xx²` under `σ''`).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct HigherSlot {
    /// `α`.
    pub vars: MultiIndex,
    /// The partitions with at least two blocks.
    pub terms: Vec<FdbTerm>,
}

/// One merged term `coef · σ^{(k)}(z) · Π_{i<k} z[slots[i]]` of a [`HigherSlot`] rule,
/// with `k = slots.len()` (2 to 4) the number of blocks of its partitions.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct FdbTerm {
    /// How many partitions give this product.
    pub coef: f64,
    /// The jet slot of each block's derivative `z_{α_B}`, increasing.
    pub slots: Vec<usize>,
}

/// The slots needed by a list of channels and where each channel lives.
#[derive(Clone, Debug)]
pub(crate) struct JetPlan {
    /// The variable index of each first-derivative slot, increasing.
    pub first_vars: Vec<usize>,
    /// The second-order slots.
    pub seconds: Vec<SecondSlot>,
    /// The slots of order 3 and 4 (after the second-order ones).
    pub highers: Vec<HigherSlot>,
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
                Channel::Higher { vars, .. } => vars.var_set(),
            };
            let max_var = match *ch {
                Channel::Value { .. } => None,
                Channel::First { var, .. } => Some(var),
                Channel::Second { a, b, .. } => Some(a.max(b)),
                Channel::Laplacian { vars, .. } => vars.iter().last(),
                Channel::Higher { vars, .. } => vars.iter().last(),
            };
            if let Some(v) = max_var {
                assert!(v < d, "channel {ch:?} differentiates in x_{v}, but d = {d}");
            }
            need.0 |= vars.0;
        }
        let first_vars: Vec<usize> = need.iter().collect();
        let fslot = |v: usize| first_vars.binary_search(&v).expect("needed variable");
        let pair = |a: usize, b: usize| SecondSlot::Pair {
            a: fslot(a.min(b)),
            b: fslot(a.max(b)),
        };
        let mut seconds: Vec<SecondSlot> = Vec::new();
        let mut channel_slots = Vec::with_capacity(channels.len());
        // Channels of order 3 and 4: (position in channel_slots, α), slotted at the end.
        let mut deferred: Vec<(usize, MultiIndex)> = Vec::new();
        for ch in channels {
            let slot = match *ch {
                Channel::Value { .. } => 0,
                Channel::First { var, .. } => 1 + fslot(var),
                Channel::Second { a, b, .. } => {
                    1 + first_vars.len() + push_unique(&mut seconds, pair(a, b))
                }
                Channel::Higher { vars, .. } => {
                    let v: Vec<usize> = vars.iter().collect();
                    match v[..] {
                        [] => 0,
                        [var] => 1 + fslot(var),
                        [a, b] => 1 + first_vars.len() + push_unique(&mut seconds, pair(a, b)),
                        _ => {
                            deferred.push((channel_slots.len(), vars));
                            usize::MAX
                        }
                    }
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
        // The closure: every sub-multiset of order 2 to 4 of a requested α (α included).
        let mut alphas: Vec<MultiIndex> = Vec::new();
        for &(_, alpha) in &deferred {
            for beta in sub_multisets(alpha) {
                match beta.order() {
                    2 => {
                        let v: Vec<usize> = beta.iter().collect();
                        push_unique(&mut seconds, pair(v[0], v[1]));
                    }
                    3 | 4 => {
                        push_unique(&mut alphas, beta);
                    }
                    _ => {}
                }
            }
        }
        let base = 1 + first_vars.len() + seconds.len();
        for (k, alpha) in deferred {
            let h = alphas
                .iter()
                .position(|&a| a == alpha)
                .expect("closed plan");
            channel_slots[k].1 = base + h;
        }
        // The slot of `∂^{|β|}/∂x_β` for any β of the closed plan.
        let slot_of = |beta: &[usize]| -> usize {
            match *beta {
                [var] => 1 + fslot(var),
                [a, b] => {
                    let s = pair(a, b);
                    1 + first_vars.len() + seconds.iter().position(|x| *x == s).expect("closed")
                }
                _ => {
                    let m = MultiIndex::new(beta).expect("order ≤ 4");
                    base + alphas.iter().position(|&a| a == m).expect("closed plan")
                }
            }
        };
        let highers = alphas
            .iter()
            .map(|&alpha| HigherSlot {
                vars: alpha,
                terms: faa_di_bruno_terms(alpha, &slot_of),
            })
            .collect();
        JetPlan {
            first_vars,
            seconds,
            highers,
            channel_slots,
        }
    }

    /// The number of slots `C = 1 + #first + #second + #higher`.
    pub fn n_slots(&self) -> usize {
        1 + self.first_vars.len() + self.seconds.len() + self.highers.len()
    }

    /// The slot index of higher-order slot `h`.
    pub fn higher_slot(&self, h: usize) -> usize {
        1 + self.first_vars.len() + self.seconds.len() + h
    }

    /// How many derivatives of `σ` the jet rules need: `σ … σ'''` up to order 2, also
    /// `σ''''` and `σ^(5)` with slots of order 3 or 4 (the adjoint and tangent of the
    /// order-`k` rule read `σ^(k+1)`).
    pub fn n_sig(&self) -> usize {
        if self.highers.is_empty() { 4 } else { 6 }
    }

    /// How many derivatives of `σ` (counting `σ` itself) the forward jet rule reads:
    /// `σ … σ^(k)` for jets of order `k` (0 for values alone, 1 with first derivatives,
    /// 2 with second-order slots, and 3 or 4 with higher slots). The reverse sweep and the
    /// θ-tangent read one more ([`Self::n_sig`]).
    pub fn forward_derivs(&self) -> usize {
        let order = if let Some(max) = self.highers.iter().map(|h| h.vars.order()).max() {
            max
        } else if !self.seconds.is_empty() {
            2
        } else if !self.first_vars.is_empty() {
            1
        } else {
            0
        };
        order + 1
    }

    /// The slot index of first-derivative slot `f`.
    pub fn first_slot(&self, f: usize) -> usize {
        1 + f
    }

    /// The slot index of second-order slot `s`.
    pub fn second_slot(&self, s: usize) -> usize {
        1 + self.first_vars.len() + s
    }

    /// Whether `other` has the same slots in the same order (the channels that read them
    /// may differ): then a function of the inputs alone has the same jets in both.
    pub fn same_slots(&self, other: &JetPlan) -> bool {
        self.first_vars == other.first_vars
            && self.seconds == other.seconds
            && self.highers.len() == other.highers.len()
            && self
                .highers
                .iter()
                .zip(&other.highers)
                .all(|(a, b)| a.vars == b.vars)
    }
}

/// Every distinct sub-multiset of `alpha` (of order ≥ 1, `alpha` itself included), in the
/// order of the position subsets that first produce them.
fn sub_multisets(alpha: MultiIndex) -> Vec<MultiIndex> {
    let v: Vec<usize> = alpha.iter().collect();
    let mut out = Vec::new();
    for mask in 1u32..(1 << v.len()) {
        let sub: Vec<usize> = (0..v.len())
            .filter(|i| mask & 1 << i != 0)
            .map(|i| v[i])
            .collect();
        push_unique(&mut out, MultiIndex::new(&sub).expect("a sub-multiset"));
    }
    out
}

/// The set partitions of `{0, …, n−1}` with at least two blocks, as block lists
/// (restricted growth strings: position `i` joins one of the blocks so far or opens one).
fn set_partitions(n: usize) -> Vec<Vec<Vec<usize>>> {
    let mut out = Vec::new();
    let mut blocks: Vec<Vec<usize>> = Vec::new();
    fn rec(i: usize, n: usize, blocks: &mut Vec<Vec<usize>>, out: &mut Vec<Vec<Vec<usize>>>) {
        if i == n {
            if blocks.len() >= 2 {
                out.push(blocks.clone());
            }
            return;
        }
        for b in 0..blocks.len() {
            blocks[b].push(i);
            rec(i + 1, n, blocks, out);
            blocks[b].pop();
        }
        blocks.push(vec![i]);
        rec(i + 1, n, blocks, out);
        blocks.pop();
    }
    rec(0, n, &mut blocks, &mut out);
    out
}

/// The merged Faà di Bruno terms of `h_α` with at least two blocks (see [`HigherSlot`]),
/// with `slot_of(β)` the slot of `z_β`.
fn faa_di_bruno_terms(alpha: MultiIndex, slot_of: &dyn Fn(&[usize]) -> usize) -> Vec<FdbTerm> {
    let v: Vec<usize> = alpha.iter().collect();
    let mut terms: Vec<FdbTerm> = Vec::new();
    for partition in set_partitions(v.len()) {
        let mut slots: Vec<usize> = partition
            .iter()
            .map(|block| {
                let beta: Vec<usize> = block.iter().map(|&i| v[i]).collect();
                slot_of(&beta)
            })
            .collect();
        slots.sort_unstable();
        match terms.iter_mut().find(|t| t.slots == slots) {
            Some(t) => t.coef += 1.0,
            None => terms.push(FdbTerm { coef: 1.0, slots }),
        }
    }
    terms
}

fn push_unique<T: PartialEq>(v: &mut Vec<T>, s: T) -> usize {
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

    /// `u_xxyy` and `u_xxx` in (x, y): the closure, the slots and the merged terms.
    #[test]
    fn higher_slots_are_closed_with_merged_terms() {
        let chans = [
            Channel::higher(0, &[1, 0, 1, 0]),
            Channel::Value { output: 0 },
            Channel::higher(0, &[0, 0, 0]),
            Channel::second(0, 1, 1),
        ];
        let p = JetPlan::new(&chans, 2, 1);
        assert_eq!(p.first_vars, vec![0, 1]);
        // yy requested first (slot 3), then the closure of xxyy: xx, xy.
        assert_eq!(
            p.seconds,
            vec![
                SecondSlot::Pair { a: 1, b: 1 },
                SecondSlot::Pair { a: 0, b: 0 },
                SecondSlot::Pair { a: 0, b: 1 },
            ]
        );
        let alphas: Vec<Vec<usize>> = p.highers.iter().map(|h| h.vars.iter().collect()).collect();
        // xxyy brings xxy and xyy; xxx is its own.
        assert_eq!(
            alphas,
            vec![
                vec![0, 0, 1],
                vec![0, 1, 1],
                vec![0, 0, 1, 1],
                vec![0, 0, 0]
            ]
        );
        assert_eq!(p.n_slots(), 1 + 2 + 3 + 4);
        assert_eq!(p.n_sig(), 6);
        assert_eq!(p.channel_slots, vec![(0, 8), (0, 0), (0, 9), (0, 3)]);
        // h_xxx = σ' z_xxx + σ'' · 3 z_x z_xx + σ''' z_x³.
        let (x, xx) = (1, 4);
        let t = &p.highers[3].terms;
        assert_eq!(t.len(), 2);
        assert_eq!((t[0].coef, &t[0].slots[..]), (3.0, &[x, xx][..]));
        assert_eq!((t[1].coef, &t[1].slots[..]), (1.0, &[x, x, x][..]));
        // xxyy: the 14 partitions with ≥ 2 blocks; the coefficients by k sum to the
        // Stirling numbers S(4,2) = 7, S(4,3) = 6, S(4,4) = 1.
        let t = &p.highers[2].terms;
        for (k, want) in [(2, 7.0), (3, 6.0), (4, 1.0)] {
            let sum: f64 = t
                .iter()
                .filter(|t| t.slots.len() == k)
                .map(|t| t.coef)
                .sum();
            assert_eq!(sum, want, "k = {k}");
        }
        // An order-≤2 plan has no higher slots and uses σ … σ''' only.
        let p2 = JetPlan::new(&chans[1..2], 2, 1);
        assert!(p2.highers.is_empty());
        assert_eq!(p2.n_sig(), 4);
        // A `Higher` channel of order 2 lands in the pair slot.
        let p3 = JetPlan::new(
            &[Channel::higher(0, &[1, 0]), Channel::second(0, 0, 1)],
            2,
            1,
        );
        assert_eq!(p3.channel_slots, vec![(0, 3), (0, 3)]);
        assert!(p3.highers.is_empty());
    }

    #[test]
    fn set_partitions_are_bell_numbers() {
        // Bell numbers 1, 2, 5, 15 minus the one-block partition.
        for (n, want) in [(1, 0), (2, 1), (3, 4), (4, 14)] {
            assert_eq!(set_partitions(n).len(), want);
        }
    }

    #[test]
    #[should_panic(expected = "differentiates in x_2")]
    fn rejects_variable_out_of_range() {
        JetPlan::new(&[Channel::First { output: 0, var: 2 }], 2, 1);
    }
}
