//! The multilayer perceptron `u_θ: R^d → R^m` and its flat parameter vector.
//!
//! # Parameter layout
//!
//! The inputs `x ∈ R^d` first pass through a fixed [`Embedding`] `φ: R^d → R^D` (the
//! identity, `D = d`, unless periodic or Fourier features are asked for). Layer sizes
//! `[D, h_1, …, h_{L-1}, m]` ([`Mlp::layers`]) give `L` linear maps. θ is the concatenation,
//! for `k = 0, …, L−1` in order, of
//!
//! 1. `W_k`, an `n_out × n_in` matrix (`n_in = layers[k]`, `n_out = layers[k+1]`) stored
//!    **row-major**: entry `(r, s)` at `offset_k + r·n_in + s`;
//! 2. `b_k`, `n_out` entries, at `offset_k + n_out·n_in`.
//!
//! so `P = Σ_k (n_in + 1)·n_out`. The hidden layers apply the activation, the output
//! layer is linear: `u = W_{L-1} σ(… σ(W_0 φ(x) + b_0) …) + b_{L-1}`.

use faer::{Mat, MatMut, MatRef};

use super::input_jets::{InputJets, Inputs};
use super::jets::LayerParams;
use super::{Activation, Embedding, Init, ModelError};
use super::{gradient, kernel, symmetric};
use crate::residual::Channel;

/// A pointwise seed: `seed(i, x_i, c_i, a_i)` returns the residual `r_i` at point `i`
/// from its coordinates and channel values, and writes `a_i = ∂F/∂c` (same length as
/// `c_i`).
pub type Seed<'a> = dyn Fn(usize, &[f64], &[f64], &mut [f64]) -> f64 + Sync + 'a;

/// A seed for a chunk of points, for sweeps that end with the residuals:
/// `seed(i0, x, c, r)` writes the residuals `r[p]` of the points `i0 + p` from their
/// coordinates (`x`, one row per point) and channel values (`c[k][p]`), as a [`Seed`]
/// would point by point. Only the kernel of a plain network takes it
/// ([`Mlp::residuals_block`]).
pub(crate) type BlockSeed<'a> = dyn Fn(usize, MatRef<'_, f64>, &[&[f64]], &mut [f64]) + Sync + 'a;

/// A fully connected network with a smooth activation in the hidden layers and a linear
/// output layer. It owns no parameters: every method takes θ (see the module docs for
/// the layout).
#[derive(Clone, Debug, PartialEq)]
pub struct Mlp {
    /// `[D, h_1, …, m]`: the widths of the linear maps.
    layers: Vec<usize>,
    activation: Activation,
    /// `φ: R^d → R^D` in front of the first linear map.
    embedding: Embedding,
    /// Start of layer `k`'s parameters in θ (`offsets[L]` = P).
    offsets: Vec<usize>,
}

impl Mlp {
    /// A network with layer sizes `[d, h_1, …, m]`.
    ///
    /// # Panics
    /// If there are fewer than two sizes or a size is zero; [`Mlp::try_new`] returns an
    /// error instead.
    pub fn new(layers: &[usize], activation: Activation) -> Self {
        match Self::try_new(layers, activation) {
            Ok(net) => net,
            Err(e) => panic!("{e}"),
        }
    }

    /// A network with layer sizes `[d, h_1, …, m]`, or an error for fewer than two sizes,
    /// a zero size, or more than 32 inputs (the limit of [`crate::residual::VarSet`]).
    pub fn try_new(layers: &[usize], activation: Activation) -> Result<Self, ModelError> {
        if layers.len() < 2 {
            return Err(ModelError::TooFewLayers(layers.len()));
        }
        if let Some(k) = layers.iter().position(|&n| n == 0) {
            return Err(ModelError::EmptyLayer(k));
        }
        if layers[0] > 32 {
            return Err(ModelError::TooManyInputs(layers[0]));
        }
        Self::with_embedding(layers, activation, Embedding::identity(layers[0]))
    }

    /// A network `MLP(φ(x))` with sizes `[d, h_1, …, m]` (`d` = the number of variables):
    /// its first linear map takes the embedded width `D = embedding.width()`, so
    /// [`Mlp::layers`] is `[D, h_1, …, m]` and P counts `W_0` as `h_1 × D`.
    pub fn with_embedding(
        layers: &[usize],
        activation: Activation,
        embedding: Embedding,
    ) -> Result<Self, ModelError> {
        if layers.len() < 2 {
            return Err(ModelError::TooFewLayers(layers.len()));
        }
        if let Some(k) = layers.iter().position(|&n| n == 0) {
            return Err(ModelError::EmptyLayer(k));
        }
        if layers[0] > 32 {
            return Err(ModelError::TooManyInputs(layers[0]));
        }
        if embedding.n_inputs() != layers[0] {
            return Err(ModelError::EmbeddingInputs {
                embedding: embedding.n_inputs(),
                layers: layers[0],
            });
        }
        let mut layers = layers.to_vec();
        layers[0] = embedding.width();
        let mut offsets = vec![0];
        for pair in layers.windows(2) {
            let last = *offsets.last().expect("non-empty");
            offsets.push(last + (pair[0] + 1) * pair[1]);
        }
        Ok(Mlp {
            layers,
            activation,
            embedding,
            offsets,
        })
    }

    /// `d`, the number of variables (the embedding's input).
    pub fn n_inputs(&self) -> usize {
        self.embedding.n_inputs()
    }
    /// The input embedding `φ` (the identity unless the network was built
    /// [`with_embedding`](Mlp::with_embedding)).
    pub fn embedding(&self) -> &Embedding {
        &self.embedding
    }
    /// `m`.
    pub fn n_outputs(&self) -> usize {
        *self.layers.last().expect("≥ 2 layers")
    }
    /// `P`.
    pub fn n_params(&self) -> usize {
        *self.offsets.last().expect("non-empty")
    }
    /// `[D, h_1, …, m]`: the widths of the linear maps (`D = d` without an embedding).
    pub fn layers(&self) -> &[usize] {
        &self.layers
    }
    /// The hidden-layer activation.
    pub fn activation(&self) -> Activation {
        self.activation
    }
    /// The offset of linear layer `k`'s `W` in θ (its `b` follows `W`).
    pub fn layer_offset(&self, k: usize) -> usize {
        self.offsets[k]
    }

    /// `(W_k row-major, b_k)` as slices of θ.
    pub fn layer_params<'t>(&self, theta: &'t [f64], k: usize) -> (&'t [f64], &'t [f64]) {
        let lp = self.layer(theta, k);
        (lp.w, lp.b)
    }

    pub(crate) fn layer<'t>(&self, theta: &'t [f64], k: usize) -> LayerParams<'t> {
        let (n_in, n_out) = (self.layers[k], self.layers[k + 1]);
        let off = self.offsets[k];
        let (w, b) = theta[off..off + (n_in + 1) * n_out].split_at(n_in * n_out);
        LayerParams { n_in, n_out, w, b }
    }

    /// A seeded initial θ (see [`Init`]); the same `(init, seed)` gives the same θ.
    pub fn init(&self, init: Init, seed: u64) -> Vec<f64> {
        let mut theta = vec![0.0; self.n_params()];
        super::init::fill(&self.layers, init, seed, &mut theta);
        theta
    }

    /// Plain forward pass: the `N × m` outputs at the `N × d` points (through the
    /// embedding).
    pub fn eval(&self, theta: &[f64], points: MatRef<'_, f64>) -> Mat<f64> {
        let channels: Vec<Channel> = (0..self.n_outputs())
            .map(|output| Channel::Value { output })
            .collect();
        self.eval_channels(theta, points, &channels)
    }

    /// Channel values: an `N × K` matrix whose column `k` is `channels[k]` at every point.
    ///
    /// This and every evaluation below take the `N × d` points as a plain `MatRef`, or as
    /// [`Inputs`] carrying the input jets stored for them ([`Mlp::input_jets`]), which
    /// are then read instead of computed: the same numbers either way.
    pub fn eval_channels<'p>(
        &self,
        theta: &[f64],
        points: impl Into<Inputs<'p>>,
        channels: &[Channel],
    ) -> Mat<f64> {
        if self.symmetric() {
            return symmetric::eval_channels(self, theta, points.into(), channels);
        }
        kernel::eval_channels(self, theta, points.into(), channels)
    }

    /// Forward-mode tangent: `(c, ċ)` with `c` the `N × K` channel values at θ and
    /// `ċ = d/dε c(θ + εv)|_{ε=0}`, i.e. `J_c · v`, pushed through the jets.
    pub fn jvp_channels<'p>(
        &self,
        theta: &[f64],
        v: &[f64],
        points: impl Into<Inputs<'p>>,
        channels: &[Channel],
    ) -> (Mat<f64>, Mat<f64>) {
        if self.symmetric() {
            return symmetric::jvp_channels(self, theta, v, points.into(), channels);
        }
        kernel::jvp_channels(self, theta, v, points.into(), channels)
    }

    /// The engine kernel. For every point `i`: its channel values `c_i`, then
    /// `r_i = seed(i, x_i, c_i, a_i)` with `a_i = ∂F/∂c`, then `r[i] = r_i` and
    /// `jac.row(i) = Σ_k a_ik ∂c_ik/∂θ` (added instead if `accumulate`). Parallel over
    /// chunks of points (rayon); each chunk writes its own rows.
    ///
    /// # Panics
    /// On shape mismatches (`r.len()` and `jac.nrows()` must be `N`, `jac.ncols()` `P`).
    #[allow(clippy::too_many_arguments)]
    pub fn residuals_and_jacobian<'p>(
        &self,
        theta: &[f64],
        points: impl Into<Inputs<'p>>,
        channels: &[Channel],
        seed: &Seed<'_>,
        r: &mut [f64],
        jac: MatMut<'_, f64>,
        accumulate: bool,
    ) {
        let f = if self.symmetric() {
            symmetric::residuals_and_jacobian
        } else {
            kernel::residuals_and_jacobian
        };
        f(
            self,
            theta,
            points.into(),
            channels,
            seed,
            r,
            jac,
            accumulate,
        )
    }

    /// The same seeds, residuals only (no Jacobian), for cheap loss evaluations.
    pub fn residuals<'p>(
        &self,
        theta: &[f64],
        points: impl Into<Inputs<'p>>,
        channels: &[Channel],
        seed: &Seed<'_>,
        r: &mut [f64],
        accumulate: bool,
    ) {
        let inputs = points.into();
        if self.symmetric() {
            symmetric::residuals(self, theta, inputs, channels, seed, r, accumulate);
        } else {
            let seeds = kernel::ValueSeeds::Point(seed);
            kernel::residuals(self, theta, inputs, channels, seeds, r, accumulate);
        }
    }

    /// [`Mlp::residuals`] with a seed per chunk of points, for a network that is not
    /// averaged over a symmetry ([`Mlp::symmetric`] false: the averaged kernel seeds
    /// point by point). Bitwise the residuals of a point seed that returns, at each
    /// point, the number the block seed writes for it.
    ///
    /// # Panics
    /// If the network is symmetric.
    pub(crate) fn residuals_block<'p>(
        &self,
        theta: &[f64],
        points: impl Into<Inputs<'p>>,
        channels: &[Channel],
        seed: &BlockSeed<'_>,
        r: &mut [f64],
        accumulate: bool,
    ) {
        assert!(!self.symmetric(), "a symmetric network takes point seeds");
        let seeds = kernel::ValueSeeds::Block(seed);
        kernel::residuals(self, theta, points.into(), channels, seeds, r, accumulate);
    }

    /// [`Mlp::residuals`] at every `θ_j` of `thetas` into `outs[j]` in one sweep over
    /// the points (each chunk's inputs seeded once for all θ_j); bitwise the vectors
    /// [`Mlp::residuals`] writes.
    pub fn residuals_many<'p>(
        &self,
        thetas: &[&[f64]],
        points: impl Into<Inputs<'p>>,
        channels: &[Channel],
        seed: &Seed<'_>,
        outs: &mut [&mut [f64]],
        accumulate: bool,
    ) {
        let inputs = points.into();
        if self.symmetric() {
            symmetric::residuals_many(self, thetas, inputs, channels, seed, outs, accumulate);
        } else {
            let seeds = kernel::ValueSeeds::Point(seed);
            kernel::residuals_many(self, thetas, inputs, channels, seeds, outs, accumulate);
        }
    }

    /// [`Mlp::residuals_many`] with a seed per chunk of points (see
    /// [`Mlp::residuals_block`]).
    ///
    /// # Panics
    /// If the network is symmetric.
    pub(crate) fn residuals_many_block<'p>(
        &self,
        thetas: &[&[f64]],
        points: impl Into<Inputs<'p>>,
        channels: &[Channel],
        seed: &BlockSeed<'_>,
        outs: &mut [&mut [f64]],
        accumulate: bool,
    ) {
        assert!(!self.symmetric(), "a symmetric network takes point seeds");
        let seeds = kernel::ValueSeeds::Block(seed);
        kernel::residuals_many(
            self,
            thetas,
            points.into(),
            channels,
            seeds,
            outs,
            accumulate,
        );
    }

    /// `out += Σ_i Σ_k cot[i,k] ∂c_ik/∂θ` (`Jᵀw` for channel cotangents `cot`, `N × K`).
    ///
    /// # Panics
    /// If `cotangents` is not `N × K`.
    pub fn vjp_channels<'p>(
        &self,
        theta: &[f64],
        points: impl Into<Inputs<'p>>,
        channels: &[Channel],
        cotangents: MatRef<'_, f64>,
        out: &mut [f64],
    ) {
        let inputs = points.into();
        assert_eq!(
            (cotangents.nrows(), cotangents.ncols()),
            (inputs.points().nrows(), channels.len()),
            "cotangents must be N × K"
        );
        if self.symmetric() {
            return symmetric::vjp_channels(self, theta, inputs, channels, cotangents, out);
        }
        let read = |i: usize, _: &[f64], _: &[f64], cot: &mut [f64]| {
            for (k, ck) in cot.iter_mut().enumerate() {
                *ck = cotangents[(i, k)];
            }
            0.0
        };
        gradient::gradient(self, theta, inputs, channels, &read, None, out)
    }

    /// `out += Σ_i Σ_k cot_ik ∂c_ik/∂θ` with point `i`'s cotangents written by
    /// `point(i, x_i, c_i, cot_i)` from its coordinates and its channel values, in one
    /// taped forward and one reverse pass per chunk of points ([`super::gradient`]).
    /// With `r`, the number `point` returns is stored as `r[i]`: the residuals and the
    /// gradient of `½‖r‖²` from the same pass.
    ///
    /// # Panics
    /// On shape mismatches (`out` must have `P` entries, `r` one per point).
    pub fn gradient<'p>(
        &self,
        theta: &[f64],
        points: impl Into<Inputs<'p>>,
        channels: &[Channel],
        point: &Seed<'_>,
        r: Option<&mut [f64]>,
        out: &mut [f64],
    ) {
        let f = if self.symmetric() {
            symmetric::gradient
        } else {
            gradient::gradient
        };
        f(self, theta, points.into(), channels, point, r, out)
    }

    /// The input jets of the embedding at `points` for the slots `channels` need,
    /// computed once to be read back by every later evaluation at the same points
    /// ([`Inputs::new`]), or `None` for the identity embedding (see [`InputJets`]). They
    /// hold `8 · D · C · N` bytes for `C` jet slots.
    ///
    /// # Panics
    /// If `points` is not `N × d` or a channel does not fit the network.
    pub fn input_jets(&self, points: MatRef<'_, f64>, channels: &[Channel]) -> Option<InputJets> {
        InputJets::compute(self, points, channels)
    }

    /// Whether the network is averaged over reflections ([`super::symmetric`]).
    pub(crate) fn symmetric(&self) -> bool {
        !self.embedding.reflections().is_empty()
    }

    pub(crate) fn check_shapes(&self, theta: &[f64], points: MatRef<'_, f64>) {
        assert_eq!(theta.len(), self.n_params(), "θ has the wrong length");
        assert_eq!(points.ncols(), self.n_inputs(), "points must be N × d");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_and_sizes() {
        let net = Mlp::new(&[5, 64, 64, 48, 48, 1], Activation::Tanh);
        assert_eq!(net.n_params(), 6 * 64 + 65 * 64 + 65 * 48 + 49 * 48 + 49);
        assert_eq!(net.n_params(), 10065);
        assert_eq!(Mlp::new(&[2, 64, 1], Activation::Sin).n_params(), 257);
        // θ = 0..P: W_1 is row-major right after layer 0's W and b.
        let net = Mlp::new(&[2, 3, 2], Activation::Tanh);
        let theta: Vec<f64> = (0..net.n_params()).map(|i| i as f64).collect();
        let (w0, b0) = net.layer_params(&theta, 0);
        assert_eq!(w0, &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(b0, &[6.0, 7.0, 8.0]);
        let (w1, b1) = net.layer_params(&theta, 1);
        assert_eq!(w1, &[9.0, 10.0, 11.0, 12.0, 13.0, 14.0]);
        assert_eq!(b1, &[15.0, 16.0]);
        assert_eq!(net.layer_offset(1), 9);
    }

    /// A hand-computed 1 → 2 → 1 network: u = w1·tanh(W0 x + b0) + b1, with W row-major.
    #[test]
    fn eval_matches_hand_computation() {
        let net = Mlp::new(&[2, 2, 1], Activation::Tanh);
        // W0 = [[1, 2], [3, 4]], b0 = [0.1, 0.2], W1 = [[0.5, -1]], b1 = [0.3]
        let theta = [1.0, 2.0, 3.0, 4.0, 0.1, 0.2, 0.5, -1.0, 0.3];
        let pts = Mat::from_fn(3, 2, |i, j| 0.1 * (i as f64) - 0.2 * (j as f64));
        let u = net.eval(&theta, pts.as_ref());
        for i in 0..3 {
            let (x, y) = (pts[(i, 0)], pts[(i, 1)]);
            let h0 = (x + 2.0 * y + 0.1).tanh();
            let h1 = (3.0 * x + 4.0 * y + 0.2).tanh();
            let want = 0.5 * h0 - h1 + 0.3;
            assert!((u[(i, 0)] - want).abs() < 1e-15);
        }
    }

    #[test]
    fn bad_layer_sizes_are_errors() {
        assert!(matches!(
            Mlp::try_new(&[3], Activation::Tanh),
            Err(ModelError::TooFewLayers(1))
        ));
        assert!(matches!(
            Mlp::try_new(&[3, 0, 1], Activation::Tanh),
            Err(ModelError::EmptyLayer(1))
        ));
        assert!(matches!(
            Mlp::try_new(&[33, 4, 1], Activation::Tanh),
            Err(ModelError::TooManyInputs(33))
        ));
    }
}
