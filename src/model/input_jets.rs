//! The embedded input jets of a fixed point set, computed once and read back.
//!
//! With an input embedding `φ` ([`super::embedding`]) the first linear layer reads, per
//! point `x_i` and jet slot `c`, the features' jets `∂_c φ(x_i)`: for periodic features
//! `ωⁿ cos(ωx + nπ/2)`, for Fourier features the chain rule through `cos`/`sin` of `B v`.
//! They depend on the points alone, never on θ, yet a solve evaluates the same points
//! for many θ: every iteration, every trial of a line search, every `J·v` and `Jᵀ·w` of
//! an inner solve. [`InputJets`] holds them for one point set and one jet plan (the
//! slots the residual's channels need), so that the kernel copies them into each chunk
//! instead of computing `sin`/`cos` again.
//!
//! # Same bits
//! The stored numbers are computed by the kernel's own seeding, chunk by chunk with the
//! kernel's partition of the set into chunks, so a read-back is exactly what the
//! kernel would compute. Periodic and pass-through features are functions of one
//! point's coordinates, so their jets are the same in any partition and any run of the
//! points may read them. The Fourier stage forms `Z = V Bᵀ` with one matrix product
//! per chunk, whose rounding may depend on the chunk's shape; with Fourier features
//! only an evaluation of the whole set (the partition the jets were computed with)
//! reads them, and a run of the points (a block of Jacobian rows) computes its own.
//!
//! # Memory
//! `D · C · N` numbers for `N` points, `C` slots and `D` embedded inputs: 8 bytes each,
//! e.g. 1.92 MB for 20 000 points with `D = 3` (t, cos πx, sin πx) and `C = 4` slots
//! (value, `∂_t`, `∂_x`, `∂_xx`).

use faer::MatRef;

use super::Mlp;
use super::embedding;
use super::jets::Workspace;
use super::kernel::chunk_size;
use super::plan::JetPlan;
use crate::residual::Channel;

/// The input jets of the first linear layer at every point of one set, for one jet plan.
///
/// Layout: slot `c` of feature `f` at point `i` is `values[(f·C + c)·N + i]`, so that a
/// chunk's run of `nb` points of one slot is one contiguous copy.
#[derive(Clone, Debug)]
pub struct InputJets {
    plan: JetPlan,
    n_points: usize,
    width: usize,
    /// Whether a point's jets do not depend on the chunk they are computed in (no
    /// Fourier stage): then a run of the points may read them too.
    pointwise: bool,
    values: Vec<f64>,
    /// With reflection symmetries (see [`super::symmetric`]): the jets of the reflected
    /// copies `R_S x` of the points, `S = 1 .. 2^m` in order.
    reflected: Vec<InputJets>,
}

impl InputJets {
    /// The jets of `net`'s embedding at `points` for the slots `channels` need, or `None`
    /// for the identity embedding (whose input jets are the coordinates and unit vectors,
    /// nothing worth storing).
    ///
    /// # Panics
    /// If `points` is not `N × d` or a channel does not fit the network (contract
    /// violations, as in the kernel).
    pub(crate) fn compute(
        net: &Mlp,
        points: MatRef<'_, f64>,
        channels: &[Channel],
    ) -> Option<Self> {
        let emb = net.embedding();
        if emb.is_identity() {
            return None;
        }
        assert_eq!(points.ncols(), net.n_inputs(), "points must be N × d");
        let mut jets = Self::compute_plain(net, points, channels);
        let reflections = emb.reflections();
        jets.reflected = (1..1usize << reflections.len())
            .map(|copy| {
                let moved = super::symmetric::reflect(reflections, copy, points);
                Self::compute_plain(net, moved.as_ref(), channels)
            })
            .collect();
        Some(jets)
    }

    /// The jets of the embedding itself at `points` (no reflected copies).
    fn compute_plain(net: &Mlp, points: MatRef<'_, f64>, channels: &[Channel]) -> Self {
        let emb = net.embedding();
        let plan = JetPlan::new(channels, net.n_inputs(), net.n_outputs());
        let (n, n_slots, width) = (points.nrows(), plan.n_slots(), emb.width());
        let mut values = vec![0.0; width * n_slots * n];
        if n > 0 {
            let nb_max = chunk_size(n);
            let mut ws = Workspace::pooled(net.layers(), n_slots, channels.len(), nb_max, false);
            for i0 in (0..n).step_by(nb_max) {
                let nb = nb_max.min(n - i0);
                ws.nb = nb;
                ws.rows = n_slots * nb;
                embedding::seed_inputs(emb, &mut ws, &plan, points, i0);
                let rows = ws.rows;
                for (f, col) in ws.s[0][..rows * width].chunks_exact(rows).enumerate() {
                    for (c, run) in col.chunks_exact(nb).enumerate() {
                        let at = (f * n_slots + c) * n + i0;
                        values[at..at + nb].copy_from_slice(run);
                    }
                }
            }
        }
        InputJets {
            plan,
            n_points: n,
            width,
            pointwise: emb.fourier().is_none(),
            values,
            reflected: Vec::new(),
        }
    }

    /// `N`, the number of points.
    pub fn n_points(&self) -> usize {
        self.n_points
    }

    /// The bytes of the stored jets (`8 · D · C · N`, times `2^m` with `m` reflection
    /// symmetries).
    pub fn bytes(&self) -> usize {
        let own = self.values.len() * std::mem::size_of::<f64>();
        own + self.reflected.iter().map(InputJets::bytes).sum::<usize>()
    }

    /// Whether these jets serve `channels` of `net`: the same slots (the jets of a slot
    /// do not depend on which outputs read it) and the same embedded width.
    pub(crate) fn serves(&self, net: &Mlp, channels: &[Channel]) -> bool {
        let plan = JetPlan::new(channels, net.n_inputs(), net.n_outputs());
        self.width == net.embedding().width()
            && self.plan.same_slots(&plan)
            && self.reflected.len() + 1 == 1 << net.embedding().reflections().len()
    }

    /// Copies the jets of points `at .. at + nb` into the chunk's input jets `s0`
    /// (`C·nb` rows, column-major, width `D`), as [`embedding::seed_inputs`] writes them.
    fn copy_into(&self, s0: &mut [f64], at: usize, nb: usize) {
        let (n, n_slots) = (self.n_points, self.plan.n_slots());
        let rows = n_slots * nb;
        for (f, col) in s0[..rows * self.width].chunks_exact_mut(rows).enumerate() {
            for (c, run) in col.chunks_exact_mut(nb).enumerate() {
                let from = (f * n_slots + c) * n + at;
                run.copy_from_slice(&self.values[from..from + nb]);
            }
        }
    }
}

/// The points a kernel evaluates, with their stored input jets when there are any: the
/// jets of the whole set and the index in it of the first point evaluated (a run of the
/// points, such as a block of Jacobian rows, starts later). Plain points convert with
/// `From`, so every evaluation accepts a `MatRef` as well.
#[derive(Clone, Copy, Debug)]
pub struct Inputs<'a> {
    points: MatRef<'a, f64>,
    jets: Option<(&'a InputJets, usize)>,
}

impl<'a> From<MatRef<'a, f64>> for Inputs<'a> {
    fn from(points: MatRef<'a, f64>) -> Self {
        Inputs { points, jets: None }
    }
}

impl<'a> Inputs<'a> {
    /// `points`, the run of the set `jets` was computed at that starts at point `first`
    /// (`jets = None`: no stored jets).
    ///
    /// # Panics
    /// If the run does not fit in the set (a contract violation).
    pub fn new(points: MatRef<'a, f64>, jets: Option<&'a InputJets>, first: usize) -> Self {
        if let Some(j) = jets {
            assert!(
                first + points.nrows() <= j.n_points,
                "points {first}..{} of a set of {}",
                first + points.nrows(),
                j.n_points
            );
        }
        Inputs {
            points,
            jets: jets.map(|j| (j, first)),
        }
    }

    /// The reflected copy `copy ≥ 1` of these inputs: the reflected coordinates `points`
    /// (of the same run of the set) with the stored jets of that copy, when there are
    /// any (see [`super::symmetric`]).
    pub(crate) fn reflected<'b>(&self, copy: usize, points: MatRef<'b, f64>) -> Inputs<'b>
    where
        'a: 'b,
    {
        Inputs {
            points,
            jets: self
                .jets
                .and_then(|(j, first)| j.reflected.get(copy - 1).map(|r| (r, first))),
        }
    }

    /// The coordinates.
    pub fn points(&self) -> MatRef<'a, f64> {
        self.points
    }

    /// The jets a kernel with the plan `plan` may read, and the offset of the first point:
    /// `None` without stored jets, or for a run of Fourier-embedded points (see the
    /// module docs).
    ///
    /// # Panics
    /// If the stored jets are of another plan or network (a contract violation).
    pub(crate) fn usable(&self, net: &Mlp, plan: &JetPlan) -> Option<(&'a InputJets, usize)> {
        let (jets, first) = self.jets?;
        assert!(
            jets.width == net.embedding().width() && jets.plan.same_slots(plan),
            "stored input jets of another jet plan or network"
        );
        let whole = first == 0 && self.points.nrows() == jets.n_points;
        (jets.pointwise || whole).then_some((jets, first))
    }
}

/// Seeds the input jets of the chunk of points `i0 .. i0 + nb` (set in `ws`): read back
/// from `stored` (jets and offset, see [`Inputs::usable`]) or computed by the embedding.
pub(crate) fn seed_chunk(
    net: &Mlp,
    ws: &mut Workspace,
    plan: &JetPlan,
    points: MatRef<'_, f64>,
    stored: Option<(&InputJets, usize)>,
    i0: usize,
) {
    match stored {
        Some((jets, first)) => jets.copy_into(&mut ws.s[0], first + i0, ws.nb),
        None => embedding::seed_inputs(net.embedding(), ws, plan, points, i0),
    }
}

#[cfg(test)]
#[path = "input_jets_tests.rs"]
mod tests;
