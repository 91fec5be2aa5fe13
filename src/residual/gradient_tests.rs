//! The model's `Jᵀw` and its fused residuals and gradient against the `Jᵀw` they replaced,
//! bit for bit: that one evaluated every term's channels in a sweep of their own, formed
//! the cotangents `w_i s ε λ_i ∂F/∂c` into a matrix and pulled them back through a second,
//! taped forward pass ([`reference_vjp_channels`]).

use std::path::Path;

use super::*;
use crate::model::gradient_tests::reference_vjp_channels;
use crate::residual::frozen::tests::{stage_one, stage_two, weighted_stage_two};

/// `Jᵀw` of `model` exactly as it was computed before the gradient kernel.
fn reference_vjp(model: &ResidualModel, theta: &[f64], w: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; model.n_params()];
    let mut scratch = PointScratch::default();
    model.for_each_term(|view, rows| {
        let TermView { points, eval, .. } = view;
        let channels = eval.residual().channels();
        let inputs = eval.inputs(points);
        let values = eval.stage_sum(model.mlp.eval_channels(theta, inputs, channels));
        let chain = eval.epsilon().map_or(eval, |eps| eval.rescaled(eps));
        let mut cot = Mat::<f64>::zeros(points.nrows(), channels.len());
        for (i, wi) in w[rows].iter().enumerate() {
            let a = scratch.partials(eval, points, values.as_ref(), i);
            for (k, ak) in a.iter().enumerate() {
                cot[(i, k)] = wi * chain.point_scale(i) * ak;
            }
        }
        reference_vjp_channels(&model.mlp, theta, inputs, channels, cot.as_ref(), &mut out);
    });
    out
}

/// The model behind the trait's provided `residuals_and_gradient` (`r`, then `Jᵀr`).
struct Unfused<'a>(&'a ResidualModel);

impl LeastSquares for Unfused<'_> {
    fn n_params(&self) -> usize {
        self.0.n_params()
    }
    fn n_residuals(&self) -> usize {
        self.0.n_residuals()
    }
    fn residuals(&self, theta: &[f64], r: &mut [f64]) {
        self.0.residuals(theta, r);
    }
    fn residuals_and_jacobian(&self, theta: &[f64], r: &mut [f64], jac: MatMut<'_, f64>) {
        self.0.residuals_and_jacobian(theta, r, jac);
    }
    fn vjp(&self, theta: &[f64], w: &[f64], out: &mut [f64]) {
        self.0.vjp(theta, w, out);
    }
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// `Jᵀw` for `w = r` and for another `w`, and the fused `r` and `∇½‖r‖²`, are the bits of
/// the old path (and of the trait's default).
fn assert_old_bits(model: &ResidualModel, theta: &[f64], what: &str) {
    let (n, p) = (model.n_residuals(), model.n_params());
    let mut r = vec![0.0; n];
    model.residuals(theta, &mut r);
    assert!(r.iter().all(|v| v.is_finite()) && r.iter().any(|v| *v != 0.0));
    let want = reference_vjp(model, theta, &r);
    let mut g = vec![f64::NAN; p];
    model.vjp(theta, &r, &mut g);
    assert_eq!(bits(&g), bits(&want), "{what}: Jᵀr");
    let w: Vec<f64> = (0..n).map(|i| ((i * 3 % 7) as f64 - 3.0) / 5.0).collect();
    model.vjp(theta, &w, &mut g);
    assert_eq!(
        bits(&g),
        bits(&reference_vjp(model, theta, &w)),
        "{what}: Jᵀw"
    );
    let (mut rf, mut gf) = (vec![f64::NAN; n], vec![f64::NAN; p]);
    model.residuals_and_gradient(theta, &mut rf, &mut gf);
    assert_eq!(bits(&rf), bits(&r), "{what}: fused r");
    assert_eq!(bits(&gf), bits(&want), "{what}: fused gradient");
    let (mut rd, mut gd) = (vec![f64::NAN; n], vec![f64::NAN; p]);
    Unfused(model).residuals_and_gradient(theta, &mut rd, &mut gd);
    assert_eq!(bits(&rd), bits(&r), "{what}: default r");
    assert_eq!(bits(&gd), bits(&want), "{what}: default gradient");
}

fn shipped(name: &str) -> (ResidualModel, Vec<f64>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("problems")
        .join(name);
    let problem = crate::problem::load_problem(&path).expect("a shipped problem loads");
    (problem.residual_model(), problem.initial_params())
}

/// Shipped problems: a plain network with a boundary block (poisson2d), a periodic
/// embedding at 20 512 rows (burgers-ssbroyden: groups of several chunks), an output
/// transform with a periodic pair whose second term adds into the first's rows
/// (reaction: that equation takes the unfused path), several outputs and blocks
/// (kovasznay), and third-order channels (kdv).
#[test]
fn shipped_problems_give_the_old_bits() {
    for name in [
        "poisson2d.toml",
        "burgers-ssbroyden.toml",
        "reaction.toml",
        "kovasznay.toml",
        "kdv.toml",
    ] {
        let (model, theta) = shipped(name);
        assert_old_bits(&model, &theta, name);
    }
}

/// The stored input jets of an embedding are read, not recomputed: the same bits.
#[test]
fn stored_and_recomputed_input_jets_give_the_same_gradient() {
    let (model, theta) = shipped("burgers-ssbroyden.toml");
    let (n, p) = (model.n_residuals(), model.n_params());
    let (mut r, mut g) = (vec![0.0; n], vec![0.0; p]);
    model.residuals_and_gradient(&theta, &mut r, &mut g);
    let (mut bare, _) = shipped("burgers-ssbroyden.toml");
    bare.bypass_input_jets();
    assert_eq!(bare.input_jet_bytes(), 0);
    let (mut rb, mut gb) = (vec![0.0; n], vec![0.0; p]);
    bare.residuals_and_gradient(&theta, &mut rb, &mut gb);
    assert_eq!((bits(&rb), bits(&gb)), (bits(&r), bits(&g)));
}

/// Residual-based attention weights, a second stage over a frozen first one (the
/// stage sum and `ε` in every cotangent), and both with a periodic pair.
#[test]
fn weights_and_stages_give_the_old_bits() {
    let (mut m1, t1) = stage_one();
    assert_old_bits(&m1, &t1, "stage one");
    for b in 0..m1.blocks().len() {
        let n = m1.blocks()[b].n_points();
        m1.set_point_weights(b, Rba::default()).unwrap();
        let lambda = (0..n)
            .map(|i| 0.25 + 0.5 * ((i * 5 + b) % 3) as f64)
            .collect();
        m1.set_weight_values(b, lambda).unwrap();
    }
    assert_old_bits(&m1, &t1, "weighted stage one");
    let (plain, _) = stage_one();
    let m2 = stage_two(&plain, &t1, 0.3);
    let theta2 = m2.mlp().init(crate::model::Init::XavierNormal, 5);
    assert_old_bits(&m2, &theta2, "stage two");
    let (weighted, theta) = weighted_stage_two();
    assert_old_bits(&weighted, &theta, "weighted stage two with a periodic pair");
}

/// Non-finite residuals: the fused path still writes them, and the default leaves the
/// gradient NaN without computing it.
#[test]
fn non_finite_residuals_are_written_and_the_default_skips_the_gradient() {
    let (model, mut theta) = stage_one();
    let (n, p) = (model.n_residuals(), model.n_params());
    // The output bias: every value channel, hence every residual, is NaN.
    theta[p - 1] = f64::NAN;
    let (mut r, mut g) = (vec![0.0; n], vec![0.0; p]);
    model.residuals_and_gradient(&theta, &mut r, &mut g);
    let mut want = vec![0.0; n];
    model.residuals(&theta, &mut want);
    assert_eq!(bits(&r), bits(&want));
    assert!(r.iter().any(|v| !v.is_finite()));
    Unfused(&model).residuals_and_gradient(&theta, &mut r, &mut g);
    assert!(g.iter().all(|v| v.is_nan()));
}
