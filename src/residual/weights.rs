//! Residual-based attention (RBA): a multiplier `λᵢ` per residual point, grown where
//! the residual stays large.
//!
//! Anagnostopoulos, Toscano, Stergiopulos & Karniadakis, "Residual-based attention in
//! physics-informed neural networks", CMAME 421 (2024) 116805 (arXiv 2307.00379). Every
//! point `i` of a block carries a weight that starts at zero and, before the loss of an
//! iteration is formed, is updated from the residuals at the current iterate:
//!
//! ```text
//! λᵢ⁰ = 0,    λᵢᵏ⁺¹ = γ λᵢᵏ + η |rᵢ| / max_j |r_j|      (the max over the block's points)
//! ```
//!
//! so after `k` updates `λᵢ = η Σ_{m<k} γ^{k−1−m} |rᵢ⁽ᵐ⁾| / max|r⁽ᵐ⁾|`, a discounted sum of
//! the normalised residual alone, with no constant part diluting the contrast between
//! points. The block's loss is `mean_i (λᵢ rᵢ)²`: the weight multiplies the residual
//! itself, as in the authors' PyTorch code (their JAX Helmholtz notebook weights the
//! squared residual instead, `mean_i λᵢ rᵢ²`, which would make the rows `sqrt(λᵢ) rᵢ`), so the row of `r` at point `i` is `sqrt(w/N) λᵢ F(xᵢ)` and its Jacobian row
//! `sqrt(w/N) λᵢ ∂F/∂θ` (`λ` is held fixed: it does not depend on θ). Since
//! `0 ≤ |rᵢ|/max|r| ≤ 1`, with `γ < 1` every weight stays below `η/(1 − γ)` (10 at
//! `γ = 0.999`, `η = 0.01`), and points whose residual stays largest get the largest
//! weights. The authors' released code (the PyTorch Allen–Cahn and JAX Helmholtz
//! notebooks accompanying the paper) starts from the same zero weights and updates them
//! at every iteration, the first included; its "initialisation mode 2", `η = 1` for the
//! first update only, is not offered here. The vRBA variant of Toscano, Chen, Oommen &
//! Karniadakis ("A variational framework for residual-based adaptivity in neural PDE
//! solvers and operator learning", arXiv 2509.14198, 2025) keeps this recursion with the
//! linear map of the residual used here.
//!
//! For a block with `E` equations `|rᵢ|` is the Euclidean norm `(Σ_e F_e(xᵢ)²)^{1/2}` (as
//! in RAD, [`super::adaptive`]), so each point has one weight shared by its equations.
//! Points drawn afresh restart from `λ = 0` and get their first update at once, like the
//! first iteration of a run.
//!
//! The weights are part of the residual function, so changing them is a change of the
//! least-squares problem between iterations, reported through the solve loop's
//! resampling contract. `η` must be positive: with `η = 0` the weights would stay at
//! zero and the block would drop out of the loss.

/// Invalid RBA settings.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WeightsError {
    /// The decay `γ` is outside `[0, 1]`.
    #[error("RBA decay gamma must be in [0, 1], found {0}")]
    BadDecay(f64),
    /// The rate `η` is not positive or not finite.
    #[error("RBA rate eta must be finite and > 0, found {0}")]
    BadRate(f64),
    /// An update interval of zero.
    #[error("RBA interval `every` must be at least 1")]
    ZeroInterval,
}

/// RBA's update `λᵢ ← γ λᵢ + η |rᵢ| / max_j |r_j|` from `λᵢ = 0`: once at the initial
/// parameters, then before iterations `every, 2·every, …`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rba {
    gamma: f64,
    eta: f64,
    every: usize,
}

impl Default for Rba {
    /// The paper's settings, `γ = 0.999`, `η = 0.01`, every iteration.
    fn default() -> Self {
        Rba {
            gamma: 0.999,
            eta: 0.01,
            every: 1,
        }
    }
}

impl Rba {
    /// Every weight's value before its first update (the paper's `λᵢ⁰ = 0`).
    pub const INITIAL: f64 = 0.0;

    /// Checks `0 ≤ γ ≤ 1`, `η > 0` (finite) and `every ≥ 1`.
    ///
    /// # Errors
    /// [`WeightsError::BadDecay`], [`WeightsError::BadRate`], [`WeightsError::ZeroInterval`].
    pub fn new(gamma: f64, eta: f64, every: usize) -> Result<Self, WeightsError> {
        if !(0.0..=1.0).contains(&gamma) {
            return Err(WeightsError::BadDecay(gamma));
        }
        if !(eta.is_finite() && eta > 0.0) {
            return Err(WeightsError::BadRate(eta));
        }
        if every == 0 {
            return Err(WeightsError::ZeroInterval);
        }
        Ok(Rba { gamma, eta, every })
    }

    /// The decay `γ`.
    pub fn gamma(&self) -> f64 {
        self.gamma
    }
    /// The rate `η`.
    pub fn eta(&self) -> f64 {
        self.eta
    }
    /// The update interval in iterations.
    pub fn every(&self) -> usize {
        self.every
    }

    /// Whether the weights are updated before iteration `iteration` (at
    /// `every, 2·every, …`; the first update, at the initial parameters, is
    /// [`Rba::restart`]).
    pub fn is_due(&self, iteration: usize) -> bool {
        iteration > 0 && iteration.is_multiple_of(self.every)
    }

    /// Starts `lambda` afresh (at a run's initial parameters, or for points drawn
    /// afresh): `λ = 0`, then one update from the residual magnitudes `norms`.
    pub fn restart(&self, lambda: &mut [f64], norms: &[f64]) {
        lambda.fill(Self::INITIAL);
        self.update(lambda, norms);
    }

    /// One update of `lambda` from the points' residual magnitudes `norms` (same
    /// length); returns whether any weight changed (bitwise).
    ///
    /// A non-finite magnitude counts as zero, and when the largest magnitude is zero
    /// (or not finite) every ratio is zero: the weights then only decay.
    pub fn update(&self, lambda: &mut [f64], norms: &[f64]) -> bool {
        assert_eq!(lambda.len(), norms.len(), "one magnitude per weight");
        let finite = |r: f64| if r.is_finite() { r.abs() } else { 0.0 };
        let max = norms.iter().fold(0.0f64, |m, &r| m.max(finite(r)));
        let mut changed = false;
        for (l, &r) in lambda.iter_mut().zip(norms) {
            let ratio = if max > 0.0 { finite(r) / max } else { 0.0 };
            let new = self.gamma * *l + self.eta * ratio;
            changed |= new.to_bits() != l.to_bits();
            *l = new;
        }
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `|r| = [0, −1, 2, 4]` (max 4), `λ = [1, 1, 2, 0.5]`, `γ = 0.5`, `η = 0.25`:
    /// `λ' = [0.5, 0.5 + 0.25·¼, 1 + 0.25·½, 0.25 + 0.25] = [0.5, 0.5625, 1.125, 0.5]`,
    /// all exact in binary.
    #[test]
    fn the_update_follows_the_formula_by_hand() {
        let rba = Rba::new(0.5, 0.25, 1).unwrap();
        let mut lambda = vec![1.0, 1.0, 2.0, 0.5];
        assert!(rba.update(&mut lambda, &[0.0, -1.0, 2.0, 4.0]));
        assert_eq!(lambda, vec![0.5, 0.5625, 1.125, 0.5]);
        // The paper's settings from λ⁰ = 0: the first update is 0.01·|r|/max.
        let mut lambda = vec![Rba::INITIAL; 2];
        Rba::default().update(&mut lambda, &[3.0, 1.5]);
        assert_eq!(lambda, vec![0.01, 0.01 * 0.5]);
    }

    /// Repeated updates with a fixed residual rise from 0 to `η/(1 − γ) · |rᵢ|/max|r|`,
    /// after `k` updates `η (1 − γᵏ)/(1 − γ) · |rᵢ|/max|r|`.
    #[test]
    fn weights_converge_to_the_bounded_fixed_point() {
        let rba = Rba::new(0.9, 0.5, 1).unwrap();
        let norms = [1.0, 0.5, 0.0];
        let mut lambda = vec![Rba::INITIAL; 3];
        for _ in 0..3 {
            rba.update(&mut lambda, &norms);
        }
        let after3 = 0.5 * (1.0 - 0.9f64.powi(3)) / (1.0 - 0.9);
        for (l, ratio) in lambda.iter().zip([1.0, 0.5, 0.0]) {
            assert!((l - after3 * ratio).abs() < 1e-14, "{lambda:?}");
        }
        for _ in 0..600 {
            rba.update(&mut lambda, &norms);
        }
        let want = [5.0, 2.5, 0.0];
        for (l, w) in lambda.iter().zip(want) {
            assert!((l - w).abs() < 1e-12, "{lambda:?}");
        }
    }

    /// Fresh points forget their old weights: `λ = η |r|/max|r|`, as at a first update.
    #[test]
    fn a_restart_is_a_first_update_from_zero() {
        let rba = Rba::new(0.5, 0.25, 4).unwrap();
        let mut lambda = vec![7.0, 3.0, 1.0];
        rba.restart(&mut lambda, &[2.0, -1.0, f64::NAN]);
        assert_eq!(lambda, vec![0.25, 0.125, 0.0]);
    }

    #[test]
    fn degenerate_residuals_only_decay() {
        let rba = Rba::new(0.5, 1.0, 1).unwrap();
        let mut lambda = vec![2.0, 4.0];
        assert!(rba.update(&mut lambda, &[0.0, f64::NAN]));
        assert_eq!(lambda, vec![1.0, 2.0]);
    }

    #[test]
    fn bad_settings_are_errors_and_intervals_are_counted() {
        assert_eq!(Rba::new(1.5, 0.1, 1), Err(WeightsError::BadDecay(1.5)));
        assert!(matches!(
            Rba::new(f64::NAN, 0.1, 1),
            Err(WeightsError::BadDecay(_))
        ));
        assert_eq!(Rba::new(0.9, -0.1, 1), Err(WeightsError::BadRate(-0.1)));
        assert_eq!(Rba::new(0.9, 0.0, 1), Err(WeightsError::BadRate(0.0)));
        assert!(matches!(
            Rba::new(0.9, f64::INFINITY, 1),
            Err(WeightsError::BadRate(_))
        ));
        assert_eq!(Rba::new(0.9, 0.1, 0), Err(WeightsError::ZeroInterval));
        let rba = Rba::new(0.9, 0.1, 3).unwrap();
        let due: Vec<usize> = (0..10).filter(|&i| rba.is_due(i)).collect();
        assert_eq!(due, vec![3, 6, 9]);
    }
}
