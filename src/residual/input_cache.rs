//! The embedded input jets of a block's points, stored per term.
//!
//! With an input embedding the first layer reads the features' jets (`cos ωx`, `sin ωx`
//! and their derivatives in the slots the residual needs) at every point, and they do
//! not depend on θ ([`crate::model::input_jets`]). A solve evaluates the same points for
//! many θ, so the model computes them once per point set and every evaluation at those
//! points reads them back: the numbers the kernel computes itself, so nothing changes
//! but the time. The model recomputes them whenever a block's points change.
//!
//! Terms of one block that read the same point set through the same jet slots share one
//! store. A store holds `8 · D · C · N` bytes (`D` embedded inputs, `C` slots, `N`
//! points); the candidate pools of adaptive sampling, evaluated once per draw, are
//! never stored.

use crate::model::{InputJets, Mlp};

use super::block::{PointSet, ResidualBlock};

/// One block's stored input jets: the distinct stores, and for each equation and term
/// the store it reads (`None` without an embedding).
pub(super) struct BlockInputs {
    stores: Vec<(PointSet, InputJets)>,
    index: Vec<Vec<Option<usize>>>,
}

impl BlockInputs {
    /// No stores: every evaluation computes its input jets.
    pub(super) fn none(block: &ResidualBlock) -> Self {
        BlockInputs {
            stores: Vec::new(),
            index: block
                .row_groups()
                .iter()
                .map(|g| vec![None; g.terms.len()])
                .collect(),
        }
    }

    /// The jets of every term of `block` at its current points through `mlp`'s
    /// embedding (none for the identity).
    pub(super) fn compute(mlp: &Mlp, block: &ResidualBlock) -> Self {
        let mut stores: Vec<(PointSet, InputJets)> = Vec::new();
        let mut index = Vec::with_capacity(block.row_groups().len());
        for g in block.row_groups() {
            let mut row = Vec::with_capacity(g.terms.len());
            for t in &g.terms {
                let channels = t.residual.channels();
                let shared = stores
                    .iter()
                    .position(|(set, j)| *set == t.set && j.serves(mlp, channels));
                let at = match shared {
                    Some(i) => Some(i),
                    None => mlp.input_jets(block.points_of(t.set), channels).map(|j| {
                        stores.push((t.set, j));
                        stores.len() - 1
                    }),
                };
                row.push(at);
            }
            index.push(row);
        }
        BlockInputs { stores, index }
    }

    /// The jets term `t` of equation `e` reads, if stored.
    pub(super) fn of(&self, e: usize, t: usize) -> Option<&InputJets> {
        self.index[e][t].map(|i| &self.stores[i].1)
    }

    /// The bytes of all stores.
    pub(super) fn bytes(&self) -> usize {
        self.stores.iter().map(|(_, j)| j.bytes()).sum()
    }
}

#[cfg(test)]
#[path = "input_cache_tests.rs"]
mod tests;
