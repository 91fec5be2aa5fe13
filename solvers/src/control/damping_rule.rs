//! Damping rules: how λ in `min ‖Jδ + r‖² + λ‖D̃δ‖²` follows the reduction ratio ρ.
//!
//! Pure state machines with no linear algebra (after Ceres's
//! `TrustRegionStrategy::StepAccepted/StepRejected/StepIsInvalid`), so that they can be
//! tested as exact scripted sequences. λ is clamped to `[min, max]`; a rejection or
//! invalid step at `max` is how the loop detects that it has stalled.

use crate::state::{PartState, StateError};

/// A λ update rule driven by accept/reject events.
pub trait DampingRule {
    /// The λ for the next trial.
    fn lambda(&self) -> f64;
    /// The trial was accepted with reduction ratio `rho` (> acceptance threshold).
    fn accepted(&mut self, rho: f64);
    /// The trial was valid but rejected.
    fn rejected(&mut self);
    /// The trial was invalid; treated as a rejection with no decrease (as Ceres's
    /// `LevenbergMarquardtStrategy::StepIsInvalid`).
    fn invalid(&mut self) {
        self.rejected();
    }
    /// Whether λ sits at its upper clamp.
    fn at_max(&self) -> bool;
    /// Writes the rule's state (λ and any growth factor) into `s`.
    fn save_into(&self, s: PartState) -> PartState;
    /// Reads what [`DampingRule::save_into`] wrote.
    ///
    /// # Errors
    /// A missing entry.
    fn load_from(&mut self, s: &PartState) -> Result<(), StateError>;
}

/// Nielsen's rule (H. B. Nielsen, "Damping parameter in Marquardt's method", IMM
/// DTU 1999; also Madsen, Nielsen & Tingleff 2004, eq. 3.16), the rule Ceres uses in
/// radius form: on acceptance `λ ← λ·max(1/3, 1 − (2ρ − 1)³)`, `ν ← 2`; on rejection
/// `λ ← λ·ν`, `ν ← 2ν`.
#[derive(Clone, Debug, PartialEq)]
pub struct Nielsen {
    lambda: f64,
    nu: f64,
    min: f64,
    max: f64,
}

impl Nielsen {
    /// Starts at `lambda` with `ν = 2`.
    pub fn new(lambda: f64, min: f64, max: f64) -> Self {
        Self {
            lambda: lambda.clamp(min, max),
            nu: 2.0,
            min,
            max,
        }
    }
    /// The current growth factor ν.
    pub fn nu(&self) -> f64 {
        self.nu
    }
}

impl DampingRule for Nielsen {
    fn lambda(&self) -> f64 {
        self.lambda
    }
    fn accepted(&mut self, rho: f64) {
        let t = 2.0 * rho - 1.0;
        let factor = (1.0 - t * t * t).max(1.0 / 3.0);
        self.lambda = (self.lambda * factor).clamp(self.min, self.max);
        self.nu = 2.0;
    }
    fn rejected(&mut self) {
        self.lambda = (self.lambda * self.nu).clamp(self.min, self.max);
        // ν doubles without bound in Nielsen's rule; cap it far beyond any useful λ
        // ratio so that it can never overflow to ∞.
        self.nu = (2.0 * self.nu).min(1e300);
    }
    fn at_max(&self) -> bool {
        self.lambda >= self.max
    }
    fn save_into(&self, s: PartState) -> PartState {
        s.with_scalar("lambda", self.lambda)
            .with_scalar("nu", self.nu)
    }
    fn load_from(&mut self, s: &PartState) -> Result<(), StateError> {
        self.lambda = s.scalar("lambda")?;
        self.nu = s.scalar("nu")?;
        Ok(())
    }
}

/// The classic ¼/¾ rule (R. Grosse, "Second-order optimization", ch. 4; Moré 1978):
/// `ρ < ¼ ⇒ λ ← 3/2·λ`, `ρ > ¾ ⇒ λ ← 2/3·λ`, else unchanged. A rejection has `ρ < ¼`.
#[derive(Clone, Debug, PartialEq)]
pub struct Classic {
    lambda: f64,
    min: f64,
    max: f64,
}

impl Classic {
    /// Starts at `lambda`.
    pub fn new(lambda: f64, min: f64, max: f64) -> Self {
        Self {
            lambda: lambda.clamp(min, max),
            min,
            max,
        }
    }
}

impl DampingRule for Classic {
    fn lambda(&self) -> f64 {
        self.lambda
    }
    fn accepted(&mut self, rho: f64) {
        if rho < 0.25 {
            self.lambda = (self.lambda * 3.0 / 2.0).clamp(self.min, self.max);
        } else if rho > 0.75 {
            self.lambda = (self.lambda * 2.0 / 3.0).clamp(self.min, self.max);
        }
    }
    fn rejected(&mut self) {
        self.lambda = (self.lambda * 3.0 / 2.0).clamp(self.min, self.max);
    }
    fn at_max(&self) -> bool {
        self.lambda >= self.max
    }
    fn save_into(&self, s: PartState) -> PartState {
        s.with_scalar("lambda", self.lambda)
    }
    fn load_from(&mut self, s: &PartState) -> Result<(), StateError> {
        self.lambda = s.scalar("lambda")?;
        Ok(())
    }
}

/// The configured rule, as a closed set so the loop needs no boxing.
#[derive(Clone, Debug, PartialEq)]
pub enum AnyDampingRule {
    /// See [`Nielsen`].
    Nielsen(Nielsen),
    /// See [`Classic`].
    Classic(Classic),
}

impl AnyDampingRule {
    /// Builds the rule a [`crate::config::DampingConfig`] names.
    pub fn from_config(c: &crate::config::DampingConfig) -> Self {
        match c.rule {
            crate::config::DampingRuleKind::Nielsen => {
                Self::Nielsen(Nielsen::new(c.initial_lambda, c.min_lambda, c.max_lambda))
            }
            crate::config::DampingRuleKind::Classic => {
                Self::Classic(Classic::new(c.initial_lambda, c.min_lambda, c.max_lambda))
            }
        }
    }
    fn inner(&mut self) -> &mut dyn DampingRule {
        match self {
            Self::Nielsen(n) => n,
            Self::Classic(c) => c,
        }
    }
}

impl DampingRule for AnyDampingRule {
    fn lambda(&self) -> f64 {
        match self {
            Self::Nielsen(n) => n.lambda(),
            Self::Classic(c) => c.lambda(),
        }
    }
    fn accepted(&mut self, rho: f64) {
        self.inner().accepted(rho)
    }
    fn rejected(&mut self) {
        self.inner().rejected()
    }
    fn invalid(&mut self) {
        self.inner().invalid()
    }
    fn at_max(&self) -> bool {
        match self {
            Self::Nielsen(n) => n.at_max(),
            Self::Classic(c) => c.at_max(),
        }
    }
    fn save_into(&self, s: PartState) -> PartState {
        match self {
            Self::Nielsen(n) => n.save_into(s),
            Self::Classic(c) => c.save_into(s),
        }
    }
    fn load_from(&mut self, s: &PartState) -> Result<(), StateError> {
        self.inner().load_from(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nielsen_scripted_sequence_exact() {
        // ρ = 1: factor max(1/3, 1 − 1) = 1/3 (the floor).
        let mut d = Nielsen::new(1.0, 1e-3, 128.0);
        assert_eq!((d.lambda(), d.nu()), (1.0, 2.0));
        d.accepted(1.0);
        assert_eq!((d.lambda(), d.nu()), (1.0 / 3.0, 2.0));
        // Dyadic factors from here on, so every value is exact.
        let mut d = Nielsen::new(1.0, 1e-3, 128.0);
        d.accepted(0.5); // 2ρ − 1 = 0: factor 1
        assert_eq!(d.lambda(), 1.0);
        d.accepted(0.75); // 2ρ − 1 = 1/2: factor 7/8
        assert_eq!(d.lambda(), 0.875);
        d.accepted(0.25); // 2ρ − 1 = −1/2: factor 9/8
        assert_eq!(d.lambda(), 0.984375);
        d.rejected();
        assert_eq!((d.lambda(), d.nu()), (1.96875, 4.0));
        d.rejected();
        assert_eq!((d.lambda(), d.nu()), (7.875, 8.0));
        d.invalid();
        assert_eq!((d.lambda(), d.nu()), (63.0, 16.0));
        // Accepting resets ν.
        d.accepted(0.75);
        assert_eq!((d.lambda(), d.nu()), (55.125, 2.0));
        d.rejected();
        assert_eq!((d.lambda(), d.nu()), (110.25, 4.0));
        assert!(!d.at_max());
        // Upper clamp.
        d.rejected();
        assert_eq!((d.lambda(), d.nu()), (128.0, 8.0));
        assert!(d.at_max());
        d.rejected();
        assert_eq!(d.lambda(), 128.0);
        // Lower clamp.
        let mut d = Nielsen::new(3e-3, 1e-3, 64.0);
        d.accepted(1.0);
        assert_eq!(d.lambda(), 1e-3);
        d.accepted(1.0);
        assert_eq!(d.lambda(), 1e-3);
    }

    #[test]
    fn nielsen_nu_never_overflows() {
        let mut d = Nielsen::new(1.0, 1e-3, 1e32);
        for _ in 0..5000 {
            d.rejected();
        }
        assert!(d.nu().is_finite() && d.lambda() == 1e32 && d.at_max());
    }

    #[test]
    fn classic_scripted_sequence_exact() {
        let mut d = Classic::new(9.0, 3.0, 12.0);
        d.accepted(0.9);
        assert_eq!(d.lambda(), 6.0);
        d.accepted(0.5);
        assert_eq!(d.lambda(), 6.0);
        d.accepted(0.1);
        assert_eq!(d.lambda(), 9.0);
        d.accepted(0.75); // boundary: unchanged
        assert_eq!(d.lambda(), 9.0);
        d.accepted(0.25); // boundary: unchanged
        assert_eq!(d.lambda(), 9.0);
        d.accepted(0.8);
        assert_eq!(d.lambda(), 6.0);
        d.accepted(0.8); // 4
        d.accepted(0.8); // 8/3 → clamped to 3
        assert_eq!(d.lambda(), 3.0);
        d.rejected();
        assert_eq!(d.lambda(), 4.5);
        d.invalid();
        assert_eq!(d.lambda(), 6.75);
        d.rejected();
        assert_eq!(d.lambda(), 10.125);
        assert!(!d.at_max());
        d.rejected(); // 15.1875 → clamped to 12
        assert_eq!(d.lambda(), 12.0);
        assert!(d.at_max());
    }

    #[test]
    fn any_rule_dispatches() {
        let c = crate::config::DampingConfig {
            rule: crate::config::DampingRuleKind::Classic,
            initial_lambda: 2.0,
            min_lambda: 1.0,
            max_lambda: 3.0,
            acceptance: 1e-4,
        };
        let mut d = AnyDampingRule::from_config(&c);
        d.rejected();
        assert_eq!(d.lambda(), 3.0);
        assert!(d.at_max());
    }

    #[test]
    fn saved_rule_continues_identically() {
        let mut a = Nielsen::new(1.0, 1e-3, 128.0);
        a.rejected();
        a.rejected();
        let mut b = Nielsen::new(1.0, 1e-3, 128.0);
        b.load_from(&a.save_into(PartState::new("r"))).unwrap();
        assert_eq!((b.lambda(), b.nu()), (a.lambda(), a.nu()));
        a.rejected();
        b.rejected();
        assert_eq!((b.lambda(), b.nu()), (64.0, 16.0));
        assert_eq!((b.lambda(), b.nu()), (a.lambda(), a.nu()));
        assert!(b.load_from(&PartState::new("r")).is_err());
    }
}
