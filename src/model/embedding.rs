//! Input embeddings: a fixed, parameter-free map `φ: R^d → R^D` in front of the first
//! linear layer, so that the network is `u_θ(x) = MLP_θ(φ(x))`.
//!
//! # Periodic features (exact periodic boundary conditions)
//! A variable `x_j` with period `L` and `K` harmonics enters the first layer as
//!
//! ```text
//!     cos(ω_1 x_j), sin(ω_1 x_j), …, cos(ω_K x_j), sin(ω_K x_j),   ω_k = 2πk / L
//! ```
//!
//! (in the variable's place; every other variable passes through unchanged). Then `u` and
//! all its derivatives, in every variable, are exactly `L`-periodic in `x_j`, and no
//! periodic residual block is needed. This is the construction of Dong & Ni, "A method
//! for representing periodic functions and enforcing exactly periodic boundary conditions
//! with deep neural networks", J. Comput. Phys. 435 (2021), used with `K = 1` by
//! Wang, Sankaran, Wang & Perdikaris, "An expert's guide to training physics-informed
//! neural networks" (2023, the jaxpi code).
//!
//! # Random Fourier features
//! Optionally the vector `v ∈ R^{D₁}` of the features above (the variables themselves
//! without periodic features) is mapped once more to
//!
//! ```text
//!     [cos(B v), sin(B v)] ∈ R^{2n},   B ∈ R^{n × D₁},  B_kl ~ N(0, σ²)
//! ```
//!
//! drawn once from a seed and then fixed (Tancik et al., "Fourier features let networks
//! learn high frequency functions in low dimensional domains", NeurIPS 2020). `σ` sets
//! the frequencies the network resolves easily.
//!
//! # Reflection symmetry
//! A solution known to be even or odd under a reflection `R: x_j ↦ 2c − x_j` of one
//! variable (Burgers' `u(t, −x) = −u(t, x)`, for example) can have that symmetry built in
//! exactly: the network becomes the average over the reflections,
//!
//! ```text
//!     u(x) = ½ (N(x) + p N(R x)),    p = +1 (even) or −1 (odd),
//! ```
//!
//! so that `u(Rx) = p u(x)` for every θ. With `m` reflections in different variables
//! the average runs over the `2^m` compositions `R_S = Π_{j∈S} R_j` with the sign
//! `p_S = Π_{j∈S} p_j` and the weight `2^{-m}`. The loss then never sees the part of the
//! error with the wrong parity, which no residual penalises more than the rest, and the
//! network need not learn the symmetry from the points. The evaluation is in
//! [`super::symmetric`]; `φ` itself is unchanged by it.
//!
//! # Jets
//! Only the *input jets* of the first linear layer change: its value slot holds `φ(x)`,
//! the slot of `∂/∂x_j` holds `∂φ/∂x_j`, a pair slot `∂²φ/∂x_a∂x_b`, a Laplacian slot
//! `Σ_{i∈V} ∂²φ/∂x_i²`. A periodic or pass-through feature `g(x_j)` depends on one variable,
//! so its only non-zero derivatives are the pure ones, `g^{(n)}(x_j)`; for the harmonics
//! these are the derivative cycle `dⁿ/dxⁿ cos(ωx) = ωⁿ cos(ωx + nπ/2)` (and the same for
//! `sin`), evaluated exactly from `cos(ωx)` and `sin(ωx)` by [`harmonic_derivative`]. The
//! Fourier stage is a linear map followed by `cos`/`sin`, whose jets follow the same
//! chain rule as an activation (see [`super::jets`]). Every later layer and the reverse
//! sweep for the Jacobian are unchanged: φ has no parameters.

use faer::linalg::matmul::matmul;
use faer::{Accum, MatRef, Par};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, Normal};

use super::ModelError;
use super::jets::{self, Workspace, view, view_mut};
use super::plan::{JetPlan, SecondSlot};

/// Periodic features of one variable: period `L > 0` and `K ≥ 1` harmonics.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Periodic {
    /// The period `L`.
    pub period: f64,
    /// The number of harmonics `K`: `2K` features `cos(2πk x/L), sin(2πk x/L)`.
    pub harmonics: usize,
}

/// Random Fourier features `[cos(B v), sin(B v)]` with `B` of shape `count × D₁`.
#[derive(Clone, Debug, PartialEq)]
pub struct FourierFeatures {
    /// `n`, the number of rows of `B` (the features are `2n`).
    pub count: usize,
    /// The standard deviation `σ` of the entries of `B`.
    pub scale: f64,
    /// The seed `B` was drawn from.
    pub seed: u64,
    /// `B`, row-major `count × D₁`.
    pub matrix: Vec<f64>,
}

impl FourierFeatures {
    /// `B ~ N(0, scale²)`, `count × d1`, drawn with rand's `StdRng` from `seed` (the same
    /// generator as the parameter initialisation, row by row).
    pub fn draw(count: usize, d1: usize, scale: f64, seed: u64) -> Result<Self, ModelError> {
        if count == 0 {
            return Err(ModelError::NoFourierFeatures);
        }
        if !(scale.is_finite() && scale > 0.0) {
            return Err(ModelError::BadFourierScale(scale));
        }
        let mut rng = StdRng::seed_from_u64(seed);
        let dist = Normal::new(0.0, scale).expect("finite positive std");
        let matrix = (0..count * d1).map(|_| dist.sample(&mut rng)).collect();
        Ok(Self {
            count,
            scale,
            seed,
            matrix,
        })
    }
}

/// A reflection `x_var ↦ 2·center − x_var` under which the solution is even or odd (see
/// the module docs): the network is averaged over it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reflection {
    /// The variable reflected.
    pub var: usize,
    /// The fixed point `c` of the reflection.
    pub center: f64,
    /// `u(Rx) = −u(x)` (odd) or `u(Rx) = u(x)` (even).
    pub odd: bool,
}

impl Reflection {
    /// The most reflections a network averages over (`2^3 = 8` evaluations per point).
    pub const MAX: usize = 3;
}

/// One first-stage feature: a function of a single variable.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Feature {
    /// `x_var`.
    Identity { var: usize },
    /// `cos(ω x_var)` (`cos = true`) or `sin(ω x_var)`.
    Harmonic { var: usize, omega: f64, cos: bool },
}

impl Feature {
    fn var(self) -> usize {
        match self {
            Feature::Identity { var } | Feature::Harmonic { var, .. } => var,
        }
    }
}

/// `dⁿ/dxⁿ` of `cos(ωx)` (`cos = true`) or `sin(ωx)`, given `c = cos(ωx)` and
/// `s = sin(ωx)`: `ωⁿ cos(ωx + nπ/2)` resp. `ωⁿ sin(ωx + nπ/2)`, the phase taken from
/// the cycle `(cos, −sin, −cos, sin)` of `cos` so that no rounding of `nπ/2` enters
/// (`sin(y) = cos(y − π/2)` starts that cycle three quarters in).
pub fn harmonic_derivative(n: u32, omega: f64, c: f64, s: f64, cos: bool) -> f64 {
    let phase = if cos { n % 4 } else { (n + 3) % 4 };
    let v = match phase {
        0 => c,
        1 => -s,
        2 => -c,
        _ => s,
    };
    omega.powi(n as i32) * v
}

/// The embedding `φ: R^d → R^D` of a network's inputs (see the module docs). The
/// identity (`D = d`, no features) is the default of every network.
#[derive(Clone, Debug, PartialEq)]
pub struct Embedding {
    /// Per variable: periodic features, or `None` (passed through).
    periodic: Vec<Option<Periodic>>,
    fourier: Option<FourierFeatures>,
    /// The first-stage features, in order (derived from `periodic`).
    features: Vec<Feature>,
    /// The reflections the network is averaged over, in increasing variable order.
    reflections: Vec<Reflection>,
}

impl Embedding {
    /// `φ(x) = x` on `R^d`.
    pub fn identity(d: usize) -> Self {
        Self::new(d, &[], None).expect("the identity is valid")
    }

    /// Periodic features in the variables `periodic` names (`(variable index, settings)`,
    /// each variable at most once), the others passed through, then optionally Fourier
    /// features of that vector: `fourier = (count, scale, seed)`.
    pub fn new(
        d: usize,
        periodic: &[(usize, Periodic)],
        fourier: Option<(usize, f64, u64)>,
    ) -> Result<Self, ModelError> {
        let mut per = vec![None; d];
        for &(var, p) in periodic {
            if var >= d {
                return Err(ModelError::UnknownEmbeddedVariable { var, d });
            }
            if per[var].is_some() {
                return Err(ModelError::DuplicateEmbeddedVariable(var));
            }
            if !(p.period.is_finite() && p.period > 0.0) {
                return Err(ModelError::BadPeriod(p.period));
            }
            if p.harmonics == 0 {
                return Err(ModelError::NoHarmonics(var));
            }
            per[var] = Some(p);
        }
        let mut features = Vec::new();
        for (var, p) in per.iter().enumerate() {
            match p {
                None => features.push(Feature::Identity { var }),
                Some(p) => {
                    for k in 1..=p.harmonics {
                        let omega = 2.0 * std::f64::consts::PI * k as f64 / p.period;
                        for cos in [true, false] {
                            features.push(Feature::Harmonic { var, omega, cos });
                        }
                    }
                }
            }
        }
        let fourier = match fourier {
            None => None,
            Some((count, scale, seed)) => {
                Some(FourierFeatures::draw(count, features.len(), scale, seed)?)
            }
        };
        Ok(Self {
            periodic: per,
            fourier,
            features,
            reflections: Vec::new(),
        })
    }

    /// The same embedding with the network averaged over `reflections` (see the module
    /// docs): each in a different variable, with a finite center, at most
    /// [`Reflection::MAX`] of them.
    pub fn with_reflections(mut self, reflections: &[Reflection]) -> Result<Self, ModelError> {
        if reflections.len() > Reflection::MAX {
            return Err(ModelError::TooManyReflections(reflections.len()));
        }
        let d = self.n_inputs();
        let mut list = reflections.to_vec();
        list.sort_by_key(|r| r.var);
        for (i, r) in list.iter().enumerate() {
            if r.var >= d {
                return Err(ModelError::UnknownEmbeddedVariable { var: r.var, d });
            }
            if i > 0 && list[i - 1].var == r.var {
                return Err(ModelError::DuplicateReflection(r.var));
            }
            if !r.center.is_finite() {
                return Err(ModelError::BadReflectionCenter(r.center));
            }
        }
        self.reflections = list;
        Ok(self)
    }

    /// `d`, the number of variables.
    pub fn n_inputs(&self) -> usize {
        self.periodic.len()
    }
    /// `D₁`, the width after the periodic features (the input of the Fourier stage).
    pub fn periodic_width(&self) -> usize {
        self.features.len()
    }
    /// `D`, the width of the first linear layer's input.
    pub fn width(&self) -> usize {
        match &self.fourier {
            Some(f) => 2 * f.count,
            None => self.features.len(),
        }
    }
    /// `φ = id` (whether or not the network is averaged over reflections).
    pub fn is_identity(&self) -> bool {
        self.fourier.is_none() && self.periodic.iter().all(Option::is_none)
    }
    /// The periodic settings of variable `var`, if it is embedded.
    pub fn periodic(&self, var: usize) -> Option<Periodic> {
        self.periodic.get(var).copied().flatten()
    }
    /// The embedded variables and their settings, in variable order.
    pub fn periodic_variables(&self) -> Vec<(usize, Periodic)> {
        self.periodic
            .iter()
            .enumerate()
            .filter_map(|(v, p)| p.map(|p| (v, p)))
            .collect()
    }
    /// The Fourier stage, if any.
    pub fn fourier(&self) -> Option<&FourierFeatures> {
        self.fourier.as_ref()
    }
    /// The reflections the network is averaged over (empty: none), in variable order.
    pub fn reflections(&self) -> &[Reflection] {
        &self.reflections
    }

    /// `φ(x)` at one point (`x.len() = d`, `out.len() = D`).
    ///
    /// # Panics
    /// On wrong lengths (contract violation).
    pub fn apply(&self, x: &[f64], out: &mut [f64]) {
        assert_eq!(x.len(), self.n_inputs(), "x has d entries");
        assert_eq!(out.len(), self.width(), "φ(x) has D entries");
        let v: Vec<f64> = self
            .features
            .iter()
            .map(|f| match *f {
                Feature::Identity { var } => x[var],
                Feature::Harmonic { var, omega, cos } => {
                    let (s, c) = (omega * x[var]).sin_cos();
                    if cos { c } else { s }
                }
            })
            .collect();
        match &self.fourier {
            None => out.copy_from_slice(&v),
            Some(f) => {
                for k in 0..f.count {
                    let row = &f.matrix[k * v.len()..(k + 1) * v.len()];
                    let z: f64 = row.iter().zip(&v).map(|(b, x)| b * x).sum();
                    out[k] = z.cos();
                    out[f.count + k] = z.sin();
                }
            }
        }
    }
}

/// The derivative order a slot takes of a function of `x_var` alone, or `None` when
/// that slot of such a function is zero (a mixed derivative, or a derivative in another
/// variable): the value slot is order 0, the slot of `∂/∂x_var` order 1, the pair
/// `(var, var)` and a Laplacian over a set containing `var` order 2, a slot of order 3 or
/// 4 its order when it differentiates in `var` only.
fn slot_orders(plan: &JetPlan, var: usize) -> Vec<Option<u32>> {
    let mut orders = Vec::with_capacity(plan.n_slots());
    orders.push(Some(0));
    for &v in &plan.first_vars {
        orders.push((v == var).then_some(1));
    }
    let is_var = |f: usize| plan.first_vars[f] == var;
    for s in &plan.seconds {
        orders.push(match s {
            SecondSlot::Pair { a, b } => (is_var(*a) && is_var(*b)).then_some(2),
            SecondSlot::Lap { firsts } => firsts.iter().any(|&f| is_var(f)).then_some(2),
        });
    }
    for h in &plan.highers {
        let pure = h.vars.iter().all(|v| v == var);
        orders.push(pure.then_some(h.vars.order() as u32));
    }
    orders
}

/// Fills the input jets `s[0]` (width `D`) of points `i0 .. i0 + nb` through `emb`. The
/// identity takes the plain path of [`jets::seed_inputs`].
pub(crate) fn seed_inputs(
    emb: &Embedding,
    ws: &mut Workspace,
    plan: &JetPlan,
    points: MatRef<'_, f64>,
    i0: usize,
) {
    if emb.is_identity() {
        return jets::seed_inputs(ws, plan, points, i0);
    }
    let (nb, rows) = (ws.nb, ws.rows);
    let d1 = emb.periodic_width();
    let mut stage1 = std::mem::take(&mut ws.emb);
    if emb.fourier.is_none() {
        periodic_jets(emb, plan, points, i0, nb, rows, &mut ws.s[0][..rows * d1]);
    } else {
        stage1.resize(rows * d1, 0.0);
        periodic_jets(emb, plan, points, i0, nb, rows, &mut stage1[..rows * d1]);
    }
    if let Some(f) = &emb.fourier {
        let mut z = std::mem::take(&mut ws.emb_z);
        z.resize(rows * f.count, 0.0);
        // Z = V Bᵀ over all slots (B row-major count × D₁ read column-major is Bᵀ).
        matmul(
            view_mut(&mut z, rows, f.count),
            Accum::Replace,
            view(&stage1, rows, d1),
            MatRef::from_column_major_slice(&f.matrix, d1, f.count),
            1.0,
            Par::Seq,
        );
        fourier_jets(plan, &z, f.count, nb, &mut ws.s[0][..rows * 2 * f.count]);
        ws.emb_z = z;
    }
    ws.emb = stage1;
}

/// The jets of the first-stage features (`rows × D₁`, column-major).
fn periodic_jets(
    emb: &Embedding,
    plan: &JetPlan,
    points: MatRef<'_, f64>,
    i0: usize,
    nb: usize,
    rows: usize,
    out: &mut [f64],
) {
    out.fill(0.0);
    let mut orders: Vec<Option<Vec<Option<u32>>>> = vec![None; emb.n_inputs()];
    for (fi, feat) in emb.features.iter().enumerate() {
        let var = feat.var();
        let ord = orders[var].get_or_insert_with(|| slot_orders(plan, var));
        let col = &mut out[fi * rows..(fi + 1) * rows];
        for p in 0..nb {
            let x = points[(i0 + p, var)];
            match *feat {
                Feature::Identity { .. } => {
                    for (c, o) in ord.iter().enumerate() {
                        col[c * nb + p] = match o {
                            Some(0) => x,
                            Some(1) => 1.0,
                            _ => 0.0,
                        };
                    }
                }
                Feature::Harmonic { omega, cos, .. } => {
                    let (s, co) = (omega * x).sin_cos();
                    for (c, o) in ord.iter().enumerate() {
                        if let Some(n) = *o {
                            col[c * nb + p] = harmonic_derivative(n, omega, co, s, cos);
                        }
                    }
                }
            }
        }
    }
}

/// The jets of `[cos z, sin z]` (`rows × 2n`) from those of `z = B v` (`rows × n`): for
/// `h = cos` or `sin`, `h' z'_j`, `h' z''_ab + h'' z'_a z'_b`, `h' z''_V + h'' Σ_{i∈V} z'_i²`
/// and, for the slots of order 3 and 4, the multivariate Faà di Bruno rule of the plan
/// (the chain rule of the activations in [`super::jets`] and [`super::higher`]).
fn fourier_jets(plan: &JetPlan, z: &[f64], n: usize, nb: usize, out: &mut [f64]) {
    let rows = plan.n_slots() * nb;
    let nf = plan.first_vars.len();
    for k in 0..n {
        let zc = &z[k * rows..(k + 1) * rows];
        for (half, cos) in [(0, true), (1, false)] {
            let col = &mut out[(half * n + k) * rows..(half * n + k + 1) * rows];
            for p in 0..nb {
                let (s, c) = zc[p].sin_cos();
                let h = |m: u32| harmonic_derivative(m, 1.0, c, s, cos);
                let (h1, h2) = (h(1), h(2));
                col[p] = h(0);
                for f in 0..nf {
                    let cf = plan.first_slot(f);
                    col[cf * nb + p] = h1 * zc[cf * nb + p];
                }
                for (si, slot) in plan.seconds.iter().enumerate() {
                    let cs = plan.second_slot(si);
                    let zf = |f: usize| zc[plan.first_slot(f) * nb + p];
                    let quad = match slot {
                        SecondSlot::Pair { a, b } => zf(*a) * zf(*b),
                        SecondSlot::Lap { firsts } => firsts.iter().map(|&f| zf(f) * zf(f)).sum(),
                    };
                    col[cs * nb + p] = h1 * zc[cs * nb + p] + h2 * quad;
                }
                // Orders 3 and 4: the merged Faà di Bruno terms of the plan,
                // `h' z_α + Σ_T coef h^{(k)}(z) Π_i z_{s_i}`.
                for (hi, slot) in plan.highers.iter().enumerate() {
                    let ch = plan.higher_slot(hi);
                    let mut v = h1 * zc[ch * nb + p];
                    for t in &slot.terms {
                        let prod: f64 = t.slots.iter().map(|&c| zc[c * nb + p]).product();
                        v += t.coef * h(t.slots.len() as u32) * prod;
                    }
                    col[ch * nb + p] = v;
                }
            }
        }
    }
}
