//! A trust radius Δ on the scaled LM step, `‖D̃δ‖ ≤ Δ`, after MINPACK's `lmder`
//! (J. J. Moré, "The Levenberg–Marquardt algorithm: implementation and theory",
//! Numerical Analysis, Lecture Notes in Mathematics 630, Springer 1978; J. J. Moré,
//! B. S. Garbow, K. E. Hillstrom, "User guide for MINPACK-1", Argonne National
//! Laboratory report ANL-80-74, 1980).
//!
//! [`TrustRadius`] is the state machine that moves Δ after each trial from the
//! reduction ratio ρ and the scaled step length `‖D̃δ‖` ([`TrustRadius::update`],
//! [`TrustRadius::invalid`]); it has no linear algebra and no loop, so it is tested as
//! exact scripted sequences. The damping λ whose step fits a radius is found by
//! [`super::radius_search`].
//!
//! # How a damped loop uses it
//!
//! Once: `TrustRadius::new(DEFAULT_FACTOR, ‖D̃θ₀‖)`. At each trial: `Δ =
//! radius.radius()`; λ from [`super::radius_search::lambda_for_radius_with`] with the
//! damping rule's λ as the floor (the radius only ever raises λ); evaluate the trial and
//! form ρ; then `radius.update(&Trial { .. })`, or `radius.invalid(..)` if the trial
//! could not be evaluated; the returned [`RadiusChange::lambda_hint_factor`] times λ is
//! the next search's guess.
//!
//! # Differences from MINPACK
//!
//! - MINPACK (its default `mode = 1`) keeps the scaling `D` as the running maximum of
//!   the Jacobian's column norms, so `D` never decreases and Δ keeps one meaning in θ
//!   space; a scaling recomputed at every iterate changes what a given Δ bounds. This
//!   module only sees `‖D̃δ‖` and does not depend on which `D̃` the caller uses.
//! - MINPACK has no invalid (non-finite) trials; [`TrustRadius::invalid`] is this
//!   module's rule for them.

/// MINPACK's default `factor` for the initial radius, `Δ₀ = factor·‖D θ₀‖`.
pub const DEFAULT_FACTOR: f64 = 100.0;

/// MINPACK's constants `p1`, `p25`, `p5`, `p75` (kept as the divisions MINPACK
/// performs, so that the radius matches it bit for bit).
const P1: f64 = 0.1;
const P25: f64 = 0.25;
const P5: f64 = 0.5;
const P75: f64 = 0.75;

/// What [`TrustRadius::update`] needs to know about one evaluated trial.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Trial {
    /// Reduction ratio ρ = actual / predicted reduction.
    pub rho: f64,
    /// `‖D̃δ‖`, the scaled length of the step that was tried.
    pub scaled_step_norm: f64,
    /// `L(θ)`, the loss at the current iterate.
    pub loss: f64,
    /// Actual reduction `L(θ) − L(θ + δ)` (negative when the loss went up).
    pub actual_reduction: f64,
    /// Directional derivative `∇L(θ)ᵀδ = rᵀ(Jδ)` of `L = ½‖r‖²` along the step; for
    /// the exact damped step it equals `−(‖Jδ‖² + λ‖D̃δ‖²)` (MINPACK's `dirder`
    /// times `‖r‖²`). Only used when ρ ≤ ¼ and the loss went up.
    pub directional_derivative: f64,
    /// The radius did not bind: the step is the one at the damping floor
    /// ([`RadiusLambda::at_floor`](super::radius_search::RadiusLambda::at_floor); MINPACK's `par = 0`, the Gauss–Newton step).
    pub at_floor: bool,
    /// The loop accepted the trial. Only ends MINPACK's first-iteration rule (see
    /// [`TrustRadius::update`]).
    pub accepted: bool,
}

/// How [`TrustRadius::update`] or [`TrustRadius::invalid`] changed Δ.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RadiusChange {
    /// `Δ ← γ·min(Δ, ‖D̃δ‖/0.1)` (or `γ·min(Δ, ‖D̃δ‖)` for an invalid trial).
    Shrunk {
        /// The factor γ: ½, the quadratic-interpolation factor in `[0.1, ½]`, or ¼
        /// for an invalid trial.
        gamma: f64,
    },
    /// `Δ ← ‖D̃δ‖/½`: a very good trial, or a good one whose step was not bound by
    /// the radius. This can lower Δ when the step was well inside it (as MINPACK).
    Reset,
    /// Δ unchanged.
    Unchanged,
}

impl RadiusChange {
    /// The factor MINPACK applies to its λ at the same time (`par/temp` on a shrink,
    /// `½·par` on a reset): a warm start ([`SearchHints::guess`](super::radius_search::SearchHints::guess)) for the next search.
    pub fn lambda_hint_factor(self) -> f64 {
        match self {
            Self::Shrunk { gamma } => 1.0 / gamma,
            Self::Reset => P5,
            Self::Unchanged => 1.0,
        }
    }
}

/// The trust radius Δ on `‖D̃δ‖`, updated as MINPACK's `lmder` does.
#[derive(Clone, Debug, PartialEq)]
pub struct TrustRadius {
    delta: f64,
    /// MINPACK's `iter = 1`: until a trial is accepted, Δ is first cut to the step
    /// length.
    first: bool,
}

impl TrustRadius {
    /// `Δ₀ = factor·‖D θ₀‖`, or `factor` when that is 0 or not finite (MINPACK
    /// `lmder`: `delta = factor*xnorm; if (delta == 0) delta = factor`). MINPACK's
    /// default `factor` is [`DEFAULT_FACTOR`] = 100.
    ///
    /// # Panics
    /// If `factor` is not finite and positive (a contract of the caller).
    pub fn new(factor: f64, scaled_norm_theta0: f64) -> Self {
        assert!(
            factor.is_finite() && factor > 0.0,
            "trust radius factor must be finite and positive, got {factor}"
        );
        let delta = factor * scaled_norm_theta0;
        let delta = if delta.is_finite() && delta > 0.0 {
            delta
        } else {
            factor
        };
        Self { delta, first: true }
    }

    /// The current radius Δ (finite and positive).
    pub fn radius(&self) -> f64 {
        self.delta
    }

    /// MINPACK `lmder`'s radius update after one evaluated trial, with `p = ‖D̃δ‖`:
    ///
    /// - until the first accepted trial, Δ is first cut to `min(Δ, p)` (MINPACK
    ///   adjusts the initial bound on its first iteration);
    /// - ρ ≤ ¼: `Δ ← γ·min(Δ, p/0.1)` with γ = ½ when the loss did not go up; when it
    ///   went up (actual reduction `a < 0`), γ is the minimiser of the quadratic
    ///   through `L(θ)`, the slope `s = ∇L(θ)ᵀδ` and `L(θ + δ)` along the step,
    ///   `γ = ½·s/(s + a)` (MINPACK's `temp = ½·dirder/(dirder + ½·actred)` with
    ///   `dirder = s/(2L)`, `actred = a/L`), set to 0.1 if it is below 0.1, if the loss
    ///   grew a hundredfold (`L(θ + δ) ≥ 100·L(θ)`, MINPACK's `fnorm1 ≥ 10·fnorm`), or
    ///   if `s` is not a finite negative number;
    /// - ρ ≥ ¾, or ρ > ¼ with the step at the damping floor: `Δ ← p/½`;
    /// - otherwise Δ is unchanged.
    ///
    /// A trial with a non-finite ρ or `p` is treated as [`Self::invalid`]. Δ is kept
    /// in `[f64::MIN_POSITIVE, f64::MAX]`.
    pub fn update(&mut self, trial: &Trial) -> RadiusChange {
        let pnorm = trial.scaled_step_norm;
        if !trial.rho.is_finite() || !pnorm.is_finite() || pnorm < 0.0 {
            return self.invalid(pnorm);
        }
        if self.first {
            self.delta = self.delta.min(pnorm);
        }
        if trial.accepted {
            self.first = false;
        }
        let change = if trial.rho <= P25 {
            let gamma = shrink_factor(trial);
            self.delta = gamma * self.delta.min(pnorm / P1);
            RadiusChange::Shrunk { gamma }
        } else if trial.rho >= P75 || trial.at_floor {
            self.delta = pnorm / P5;
            RadiusChange::Reset
        } else {
            RadiusChange::Unchanged
        };
        self.keep_positive();
        change
    }

    /// A trial that could not be evaluated (non-finite residuals, a failed solve, a
    /// non-positive predicted reduction), whose step had scaled length
    /// `scaled_step_norm` (pass NaN if unknown): `Δ ← ¼·min(Δ, ‖D̃δ‖)`, or `¼·Δ` when
    /// the length is not a finite positive number. Not in MINPACK; the cut is to a
    /// quarter of the failed step, so that the next step is certainly shorter than
    /// the one that failed, and twice MINPACK's plain ½ because an invalid trial says
    /// more than a poor ratio.
    pub fn invalid(&mut self, scaled_step_norm: f64) -> RadiusChange {
        let gamma = 0.25;
        let bound = if scaled_step_norm.is_finite() && scaled_step_norm > 0.0 {
            self.delta.min(scaled_step_norm)
        } else {
            self.delta
        };
        self.delta = gamma * bound;
        self.keep_positive();
        RadiusChange::Shrunk { gamma }
    }

    /// Writes Δ and the first-iteration flag into `state`.
    pub fn save_into(&self, state: crate::state::PartState) -> crate::state::PartState {
        state
            .with_scalar("radius", self.delta)
            .with_flag("radius_before_first_acceptance", self.first)
    }

    /// Reads what [`TrustRadius::save_into`] wrote.
    ///
    /// # Errors
    /// A missing entry.
    pub fn load_from(state: &crate::state::PartState) -> Result<Self, crate::state::StateError> {
        Ok(Self {
            delta: state.scalar("radius")?,
            first: state.flag("radius_before_first_acceptance")?,
        })
    }

    fn keep_positive(&mut self) {
        self.delta = self.delta.clamp(f64::MIN_POSITIVE, f64::MAX);
    }
}

/// MINPACK's `temp` for a poor trial (ρ ≤ ¼); see [`TrustRadius::update`].
fn shrink_factor(t: &Trial) -> f64 {
    let a = t.actual_reduction;
    if a >= 0.0 {
        return P5;
    }
    // L(θ + δ) = L − a ≥ 100·L.
    if a.is_nan() || -a >= 99.0 * t.loss {
        return P1;
    }
    let s = t.directional_derivative;
    if !(s.is_finite() && s < 0.0) {
        return P1;
    }
    let gamma = P5 * s / (s + a);
    if gamma.is_nan() || gamma < P1 {
        P1
    } else {
        gamma.min(P5)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trial(rho: f64, pnorm: f64) -> Trial {
        Trial {
            rho,
            scaled_step_norm: pnorm,
            loss: 8.0,
            actual_reduction: rho, // predicted reduction 1
            directional_derivative: -2.0,
            at_floor: false,
            accepted: rho >= 1e-4,
        }
    }

    #[test]
    fn initial_radius() {
        assert_eq!(TrustRadius::new(100.0, 3.0).radius(), 300.0);
        assert_eq!(TrustRadius::new(100.0, 0.0).radius(), 100.0);
        assert_eq!(TrustRadius::new(0.5, f64::NAN).radius(), 0.5);
    }

    #[test]
    fn radius_update_matches_minpack_on_a_scripted_sequence() {
        // Hand-computed from lmder's rules; dyadic values keep every number exact
        // except the divisions by 0.1 noted.
        let mut t = TrustRadius::new(100.0, 1.0); // Δ = 100
        // First iteration, a poor step: Δ ← min(Δ, p) = 8, then ρ ≤ ¼ with a decrease:
        // Δ ← ½·min(8, 8/0.1) = 4. Not accepted: the first-iteration cut stays.
        assert_eq!(
            t.update(&trial(1e-5, 8.0)),
            RadiusChange::Shrunk { gamma: 0.5 }
        );
        assert_eq!(t.radius(), 4.0);
        // Still the first iteration: Δ ← min(4, 2) = 2; ρ between ¼ and ¾: unchanged.
        assert_eq!(t.update(&trial(0.5, 2.0)), RadiusChange::Unchanged);
        assert_eq!(t.radius(), 2.0);
        // Accepted above, so no more cut: ρ ≥ ¾ ⇒ Δ ← p/½ = 3.
        assert_eq!(t.update(&trial(0.8, 1.5)), RadiusChange::Reset);
        assert_eq!(t.radius(), 3.0);
        // ρ = ¾ exactly expands (MINPACK tests ratio < 0.75 to keep Δ).
        assert_eq!(t.update(&trial(0.75, 3.0)), RadiusChange::Reset);
        assert_eq!(t.radius(), 6.0);
        // ρ = ¼ exactly shrinks (MINPACK tests ratio > 0.25 to avoid it).
        assert_eq!(
            t.update(&trial(0.25, 4.0)),
            RadiusChange::Shrunk { gamma: 0.5 }
        );
        assert_eq!(t.radius(), 3.0);
        // A step much shorter than Δ: Δ ← ½·min(3, 0.1/0.1) = ½·(0.1/0.1).
        t.update(&trial(0.1, 0.1));
        assert_eq!(t.radius(), 0.5 * (0.1 / P1));
        assert_eq!(t.radius(), 0.5);
        // The step at the floor with 0.25 < ρ < 0.75: Δ ← p/½ = 0.25 (can shrink).
        let mut at_floor = trial(0.5, 0.125);
        at_floor.at_floor = true;
        assert_eq!(t.update(&at_floor), RadiusChange::Reset);
        assert_eq!(t.radius(), 0.25);
        // Same ρ not at the floor: unchanged.
        assert_eq!(t.update(&trial(0.5, 0.25)), RadiusChange::Unchanged);
        assert_eq!(t.radius(), 0.25);

        // The loss went up: γ = ½·s/(s + a). s = −2, a = −2: γ = ¼.
        let mut up = trial(-2.0, 0.25);
        up.actual_reduction = -2.0;
        assert_eq!(t.update(&up), RadiusChange::Shrunk { gamma: 0.25 });
        assert_eq!(t.radius(), 0.0625);
        // s = −2, a = −38: γ = ½·2/40 = 1/40 < 0.1 ⇒ 0.1; Δ ← 0.1·min(Δ, p/0.1).
        up.actual_reduction = -38.0;
        up.scaled_step_norm = 0.0625;
        assert_eq!(t.update(&up), RadiusChange::Shrunk { gamma: 0.1 });
        assert_eq!(t.radius(), 0.1 * 0.0625);
        // L⁺ ≥ 100·L (a ≤ −99·L = −792) ⇒ γ = 0.1 whatever s says.
        let mut t = TrustRadius::new(1.0, 1.0);
        let mut blowup = trial(-1e3, 1.0);
        blowup.actual_reduction = -792.0;
        blowup.directional_derivative = -1e6; // formula alone would give ≈ 0.4996
        assert_eq!(t.update(&blowup), RadiusChange::Shrunk { gamma: 0.1 });
        // Just below a hundredfold: the formula, ½·1e6/(1e6 + 791).
        let mut t = TrustRadius::new(1.0, 1.0);
        blowup.actual_reduction = -791.0;
        let RadiusChange::Shrunk { gamma } = t.update(&blowup) else {
            panic!()
        };
        assert_eq!(gamma, 0.5 * -1e6 / (-1e6 - 791.0));
        // A non-descent slope with an increase: the conservative 0.1.
        let mut t = TrustRadius::new(1.0, 1.0);
        blowup.directional_derivative = 0.0;
        assert_eq!(t.update(&blowup), RadiusChange::Shrunk { gamma: 0.1 });
    }

    #[test]
    fn invalid_trials_shrink_to_a_quarter_of_the_failed_step() {
        let mut t = TrustRadius::new(1.0, 8.0); // Δ = 8
        assert_eq!(t.invalid(4.0), RadiusChange::Shrunk { gamma: 0.25 });
        assert_eq!(t.radius(), 1.0);
        t.invalid(f64::NAN);
        assert_eq!(t.radius(), 0.25);
        t.invalid(1.0); // min(Δ, p) = Δ
        assert_eq!(t.radius(), 0.0625);
        // A non-finite ρ through `update` is an invalid trial.
        assert_eq!(
            t.update(&trial(f64::NAN, 0.0625)),
            RadiusChange::Shrunk { gamma: 0.25 }
        );
        assert_eq!(t.radius(), 0.015625);
        // Δ never reaches 0.
        for _ in 0..2000 {
            t.invalid(f64::NAN);
        }
        assert_eq!(t.radius(), f64::MIN_POSITIVE);
    }

    #[test]
    fn lambda_hint_factors_follow_minpack() {
        assert_eq!(
            RadiusChange::Shrunk { gamma: 0.25 }.lambda_hint_factor(),
            4.0
        );
        assert_eq!(RadiusChange::Reset.lambda_hint_factor(), 0.5);
        assert_eq!(RadiusChange::Unchanged.lambda_hint_factor(), 1.0);
    }
}
