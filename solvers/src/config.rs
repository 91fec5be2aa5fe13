//! Solver configuration: one plain struct with nested per-method sections, deserialised
//! with `deny_unknown_fields` and validated as a whole (after Ceres's
//! `Solver::Options::IsValid`, which reports field, value and violated constraint).

use serde::{Deserialize, Serialize};

mod gncg;
pub use gncg::{CgPreconditioner, GnCgConfig, JacobianAccess};

/// Which method the one solve loop runs (a method = a descent + a step control).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Levenberg–Marquardt: damped Gauss–Newton direction + reduction-ratio damping.
    Lm,
    /// Energy natural gradient: Gramian pseudo-inverse direction + log-grid line search.
    Engd,
    /// Gauss–Newton–CG (Hessian-free): truncated CG direction + reduction-ratio damping.
    GnCg,
    /// L-BFGS: two-loop direction + strong Wolfe line search.
    Lbfgs,
    /// Adam: first-order moment-normalised step, always taken.
    Adam,
    /// BFGS with a dense inverse Hessian + strong Wolfe line search.
    Bfgs,
    /// Self-scaled BFGS (Al-Baali) with a dense inverse Hessian + strong Wolfe.
    SsBfgs,
    /// Self-scaled Broyden (Al-Baali) with a dense inverse Hessian + strong Wolfe.
    SsBroyden,
    /// Gauss–Newton from the SVD of `J` + a trust radius chosen from a window of probes
    /// at a target reduction ratio.
    GnProbe,
}

/// The linear solver behind the augmented-system contract
/// `min_δ ‖Jδ + r‖² + λ‖D̃δ‖²` (see [`crate::linalg`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinearSolverKind {
    /// [`LinearSolverKind::SampleSpace`] when `N < P` and the scaling is the identity,
    /// else [`LinearSolverKind::NormalCholesky`].
    Auto,
    /// QR of `[J; √λ D̃]` (via the R of J): does not square `κ(J)`.
    DenseQr,
    /// Cholesky of `JᵀJ + λD̃²`, lower triangle only.
    NormalCholesky,
    /// `(J Jᵀ + λI) y = r`, `δ = −Jᵀy`: cheap when `N < P`.
    SampleSpace,
    /// QR of `J D̃⁻¹`, then the SVD of its `R`: a step for any λ in `O(P²)` and the λ
    /// of any trust radius in `O(P)` (for probing many radii per iteration).
    DenseSvd,
    /// The spectral solve on a doubly sketched core `S J Q`: a step in a random subspace.
    SketchedSvd,
}

/// The damping matrix `D̃` in `λ‖D̃δ‖²`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scaling {
    /// `D̃ = I` (Levenberg).
    Identity,
    /// `D̃² = clamp(diag(JᵀJ), 1e-6, 1e32)` at the current iterate (Marquardt; the
    /// clamp is Ceres's).
    Marquardt,
    /// `D̃²` = the running maximum over the iterates so far of
    /// `clamp(diag(JᵀJ), 1e-6, 1e32)` (MINPACK `lmder`'s `mode = 1`): the damping of a
    /// parameter never weakens when its column of `J` shrinks, and a trust radius on
    /// `‖D̃δ‖` keeps one meaning from iterate to iterate.
    MarquardtMax,
}

/// How λ follows the reduction ratio ρ (see [`crate::control::damping_rule`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DampingRuleKind {
    /// Nielsen (1999): `λ ← λ·max(1/3, 1 − (2ρ−1)³)` on acceptance, `λ ← λν, ν ← 2ν`
    /// on rejection.
    Nielsen,
    /// The classic ¼/¾ rule (Grosse, ch. 4): `ρ < ¼ ⇒ λ ← 3/2·λ`, `ρ > ¾ ⇒ λ ← 2/3·λ`.
    Classic,
}

/// Parameters of a reduction-ratio damping control, shared by LM and GN-CG.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DampingConfig {
    /// Which rule updates λ.
    pub rule: DampingRuleKind,
    /// λ at iteration 0. Ceres starts at trust radius 1e4, i.e. `λ = 1e-4`.
    pub initial_lambda: f64,
    /// Lower clamp on λ (Ceres: 1/max_trust_region_radius = 1e-16).
    pub min_lambda: f64,
    /// Upper clamp on λ; a rejection at this value stops the solve as stalled
    /// (Ceres: 1/min_trust_region_radius = 1e32).
    pub max_lambda: f64,
    /// Accept a trial when `actual > acceptance · predicted` (Ceres
    /// `min_relative_decrease` = 1e-3; we use 1e-4).
    pub acceptance: f64,
}

impl Default for DampingConfig {
    fn default() -> Self {
        Self {
            rule: DampingRuleKind::Nielsen,
            initial_lambda: 1e-4,
            min_lambda: 1e-16,
            max_lambda: 1e32,
            acceptance: 1e-4,
        }
    }
}

/// Levenberg–Marquardt options.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LmConfig {
    /// The linear solver for the damped Gauss–Newton step.
    pub linear_solver: LinearSolverKind,
    /// `D̃`.
    pub scaling: Scaling,
    /// λ control.
    pub damping: DampingConfig,
    /// Gauss–Newton polish below the loss's noise floor: a trial whose predicted
    /// reduction is at most `polish_threshold · L` (too small for `L − L⁺` to be
    /// resolved in floating point) is accepted when it decreases `‖∇L‖₂` instead,
    /// which is linear, not quadratic, in the parameter error and so still resolves it.
    /// Costs one `Jᵀ·w` per such trial. 0 disables it.
    pub polish_threshold: f64,
    /// Trust-region bound on the scaled step, `‖D̃δ‖ ≤ Δ` with
    /// `Δ₀ = trust_region_factor·‖D̃θ₀‖` (MINPACK `lmder`'s `factor`, default 100),
    /// updated from ρ after every trial: a step longer than Δ is replaced by the damped
    /// step that fits. 0 disables the bound. See
    /// [`crate::control::reduction_ratio`].
    pub trust_region_factor: f64,
    /// Forgetting factor `β ∈ [0, 1)` of normal equations accumulated over re-drawn
    /// residual sets: with `β > 0` the step solves `(A + λD̃²) δ = −g`, where `A` and `g`
    /// are the `β`-weighted averages of every draw's `JᵀJ` and of its linearised
    /// gradient moved to the current iterate (recursive least squares; see
    /// [`crate::descent::accumulated_gauss_newton`]), by Cholesky. A draw's weight halves
    /// after `ln 2 / ln(1/β)` draws. 0 (the default) is plain Levenberg–Marquardt.
    pub forgetting: f64,
}

impl Default for LmConfig {
    fn default() -> Self {
        Self {
            linear_solver: LinearSolverKind::Auto,
            scaling: Scaling::Marquardt,
            damping: DampingConfig::default(),
            polish_threshold: 0.0,
            trust_region_factor: 0.0,
            forgetting: 0.0,
        }
    }
}

/// How ENGD applies the pseudo-inverse of the Gramian `G = JᵀJ`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum EngdSolve {
    /// Eigendecomposition with rank cutoff: eigenvalues below
    /// `relative_cutoff · λ_max` are dropped. `relative_cutoff = 0` means the default
    /// `dim · ε` (dim = the size of the decomposed matrix).
    Eigen {
        /// Relative eigenvalue cutoff; 0 = `dim · ε`.
        relative_cutoff: f64,
    },
    /// A Tikhonov shift: `d = (G + εI)⁻¹ ∇L`, Woodbury form when `N < P`.
    Tikhonov {
        /// `ε > 0`.
        epsilon: f64,
    },
}

/// ENGD options (Müller & Zeinhofer, ICML 2023).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EngdConfig {
    /// Pseudo-inverse variant.
    pub solve: EngdSolve,
    /// Work in sample space (`N × N` matrices) when `N < P`.
    pub sample_space_when_wide: bool,
    /// Line-search grid `η ∈ {base⁻ᵏ, k = 0…grid_steps}`.
    pub grid_steps: usize,
    /// Grid base (> 1).
    pub grid_base: f64,
    /// When no grid point lowers the loss, move to the grid's argmin anyway (`true`,
    /// Müller & Zeinhofer's `grid_line_search_update`, which never stops on its own) or
    /// stop the solve as stalled (`false`). The published rule matters early: a seed
    /// study (validation/engd-study.md) found 8 of 40 initialisations on poisson2d-engd
    /// whose first or second step raises the loss for every η; stopping there leaves
    /// rel L2 ≈ 1, moving on reaches the published 1e-7 range by 1000 iterations.
    /// A non-finite trial is never taken.
    pub take_argmin_without_decrease: bool,
}

impl Default for EngdConfig {
    fn default() -> Self {
        Self {
            solve: EngdSolve::Eigen {
                relative_cutoff: 0.0,
            },
            sample_space_when_wide: true,
            grid_steps: 30,
            grid_base: 2.0,
            take_argmin_without_decrease: true,
        }
    }
}

/// L-BFGS options.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LbfgsConfig {
    /// Number of stored `(s, y)` pairs.
    pub memory: usize,
    /// Sufficient-decrease constant `c₁` (Nocedal & Wright: 1e-4).
    pub c1: f64,
    /// Curvature constant `c₂` (Nocedal & Wright: 0.9 for quasi-Newton).
    pub c2: f64,
    /// Function evaluations allowed per line search.
    pub max_line_search_evaluations: usize,
}

impl Default for LbfgsConfig {
    fn default() -> Self {
        Self {
            memory: 10,
            c1: 1e-4,
            c2: 0.9,
            max_line_search_evaluations: 30,
        }
    }
}

/// Options of the dense quasi-Newton methods (BFGS, SSBFGS, SSBroyden): their strong
/// Wolfe line search.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QuasiNewtonConfig {
    /// Sufficient-decrease constant `c₁`.
    pub c1: f64,
    /// Curvature constant `c₂`.
    pub c2: f64,
    /// Function evaluations allowed per line search.
    pub max_line_search_evaluations: usize,
    /// Curvature constants to retry a search with, in turn, when it finds no
    /// decrease (Urbán, Stefanou & Pons 2025: 0.8, then 0.5); each in `(c1, 1)`.
    pub fallback_c2: Vec<f64>,
}

impl Default for QuasiNewtonConfig {
    fn default() -> Self {
        Self {
            c1: 1e-4,
            c2: 0.9,
            max_line_search_evaluations: 30,
            fallback_c2: vec![0.8, 0.5],
        }
    }
}

/// Adam options (Kingma & Ba 2015 defaults, except the learning rate).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdamConfig {
    /// Step size `α`.
    pub learning_rate: f64,
    /// First-moment decay `β₁`.
    pub beta1: f64,
    /// Second-moment decay `β₂`.
    pub beta2: f64,
    /// `ε` in the denominator.
    pub epsilon: f64,
}

impl Default for AdamConfig {
    fn default() -> Self {
        Self {
            learning_rate: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-8,
        }
    }
}

/// Run `method` for the first `after_iterations` iterations, then `then`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SwitchConfig {
    /// Iterations of the first method.
    pub after_iterations: usize,
    /// The second method (its options come from the same `SolverConfig`).
    pub then: Method,
}

/// When to stop. Every tolerance can be set to 0 to disable it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TerminationConfig {
    /// Iterations, counting rejected and invalid trials (as Ceres does).
    pub max_iterations: usize,
    /// Wall-clock limit in seconds (`None`: none).
    pub time_limit_seconds: Option<f64>,
    /// Stop when `L ≤ loss_tolerance` (absolute).
    pub loss_tolerance: f64,
    /// Stop after an accepted step with `|L − L⁺| ≤ tol · L` (Ceres `function_tolerance`).
    pub relative_loss_change_tolerance: f64,
    /// Stop when `‖∇L‖∞ ≤ tol · ‖∇L(θ₀)‖∞` (relative to the start, so scale-free).
    pub gradient_tolerance: f64,
    /// Stop when a valid step has `‖δ‖ ≤ tol · (‖θ‖ + tol)` (Ceres `parameter_tolerance`).
    pub step_tolerance: f64,
    /// Stop after this many invalid trials in a row (Ceres: 5).
    pub max_consecutive_invalid_steps: usize,
}

impl Default for TerminationConfig {
    fn default() -> Self {
        Self {
            max_iterations: 500,
            time_limit_seconds: None,
            loss_tolerance: 0.0,
            relative_loss_change_tolerance: 1e-12,
            gradient_tolerance: 1e-12,
            step_tolerance: 1e-12,
            max_consecutive_invalid_steps: 5,
        }
    }
}

/// Everything the one solve loop needs to know.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SolverConfig {
    /// The method run from iteration 0.
    pub method: Method,
    /// Optional switch to a second method.
    pub switch: Option<SwitchConfig>,
    /// Stopping rules.
    pub termination: TerminationConfig,
    /// Levenberg–Marquardt options.
    pub lm: LmConfig,
    /// ENGD options.
    pub engd: EngdConfig,
    /// GN-CG options.
    pub gncg: GnCgConfig,
    /// L-BFGS options.
    pub lbfgs: LbfgsConfig,
    /// BFGS, SSBFGS and SSBroyden options.
    pub quasi_newton: QuasiNewtonConfig,
    /// Adam options.
    pub adam: AdamConfig,
    /// Probe-selected trust-region options.
    pub probe: crate::control::probe_radius::ProbeParams,
    /// Threads for the dense kernels: 0 = all of rayon's, 1 = sequential. Only the speed
    /// depends on it: every parallel sum is split at points fixed by the problem's sizes.
    pub threads: usize,
}

impl Default for SolverConfig {
    fn default() -> Self {
        Self::lm()
    }
}

/// A configuration value that violates a constraint.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("invalid solver option `{field}` = {value}: must be {constraint}")]
pub struct ConfigError {
    /// Dotted path of the option, e.g. `lm.damping.initial_lambda`.
    pub field: &'static str,
    /// The offending value, printed.
    pub value: String,
    /// The violated constraint, in words.
    pub constraint: &'static str,
}

pub(crate) fn check(
    ok: bool,
    field: &'static str,
    value: impl std::fmt::Display,
    constraint: &'static str,
) -> Result<(), ConfigError> {
    if ok {
        Ok(())
    } else {
        Err(ConfigError {
            field,
            value: value.to_string(),
            constraint,
        })
    }
}

pub(crate) fn finite_nonneg(x: f64) -> bool {
    x.is_finite() && x >= 0.0
}

impl DampingConfig {
    fn validate(&self, prefix: [&'static str; 4]) -> Result<(), ConfigError> {
        check(
            self.min_lambda.is_finite() && self.min_lambda > 0.0,
            prefix[0],
            self.min_lambda,
            "finite and > 0",
        )?;
        check(
            self.max_lambda.is_finite() && self.max_lambda >= self.min_lambda,
            prefix[1],
            self.max_lambda,
            "finite and ≥ min_lambda",
        )?;
        check(
            self.initial_lambda >= self.min_lambda && self.initial_lambda <= self.max_lambda,
            prefix[2],
            self.initial_lambda,
            "in [min_lambda, max_lambda]",
        )?;
        check(
            self.acceptance >= 0.0 && self.acceptance < 1.0,
            prefix[3],
            self.acceptance,
            "in [0, 1)",
        )
    }
}

impl SolverConfig {
    fn base(method: Method) -> Self {
        Self {
            method,
            switch: None,
            termination: TerminationConfig::default(),
            lm: LmConfig::default(),
            engd: EngdConfig::default(),
            gncg: GnCgConfig::default(),
            lbfgs: LbfgsConfig::default(),
            quasi_newton: QuasiNewtonConfig::default(),
            adam: AdamConfig::default(),
            probe: crate::control::probe_radius::ProbeParams::default(),
            threads: 0,
        }
    }

    /// Levenberg–Marquardt, Marquardt scaling, Nielsen damping, automatic linear solver
    /// (with Marquardt scaling: Cholesky of `JᵀJ + λD̃²`), at most 500 iterations.
    ///
    /// The stopping tests of [`TerminationConfig::default`] are on: relative loss change
    /// (`|ΔL| ≤ 1e-12 · L` after an accepted step), gradient
    /// (`‖∇L‖∞ ≤ 1e-12 · ‖∇L(θ₀)‖∞`) and step (`‖δ‖ ≤ 1e-12 · (‖θ‖ + 1e-12)`); no
    /// absolute loss target. The two relative tests end runs while the parameters still
    /// move in the 6th to 9th significant digit: the loss is quadratic in the parameter
    /// error, so `|ΔL|/L` becomes tiny long before the error does, and `‖∇L(θ₀)‖` is large
    /// from a poor start. Measured on the 34 NIST StRD runs (17 data sets, two starts
    /// each): 26 end on the loss-change test and 6 on the gradient test; the 32 that
    /// reach LRE 4 stop at LRE 5.5–10.8 (median 8.2, 21 of them below 9; MGH17 from
    /// start 1 uses up the 500 iterations, BoxBOD from start 1 stops on a plateau).
    /// For certified digits use [`SolverConfig::lm_qr`] (step test 1e-15 only, QR, the
    /// Gauss–Newton polish): average LRE 10.38 over the same 34 runs, 33 solved
    /// (`solvers/NIST.md`).
    pub fn lm() -> Self {
        Self::base(Method::Lm)
    }

    /// Levenberg–Marquardt with the QR solver, tuned for the last digits (NIST StRD):
    /// only the step test (`‖δ‖ ≤ 1e-15·(‖θ‖ + 1e-15)`) and the λ cap end the solve.
    ///
    /// The relative-loss-change and gradient tests are off: the loss is quadratic in
    /// the parameter error, so `|ΔL|/L ≤ 1e-15` already holds at a relative parameter
    /// error of ~3e-8, and a gradient test relative to `‖∇L(θ₀)‖` fires early from
    /// poor starts. The Gauss–Newton polish (`lm.polish_threshold = 1e-10`) accepts
    /// trials below the loss's noise floor when they decrease `‖∇L‖`. Measured on the 34
    /// NIST StRD runs (`tests/it/nist.rs`): average LRE 9.30 with both tests at 1e-15,
    /// 9.60 without them, 10.38 with the polish (identical at 1e-8); 33/34 solved
    /// (BoxBOD start 1 converges to a genuine stationary plateau, as MINPACK does).
    ///
    /// The trust-region bound (`lm.trust_region_factor = 100`, MINPACK's) keeps every
    /// run of the Moré–Garbow–Hillstrom robustness protocol (every MGH function from
    /// x₀, 10x₀, 100x₀; every NIST set from both starts) finite and no worse than its
    /// start: without it, Meyer from 100x₀ accepts two steps of length 6.6e6 and 4.4e7
    /// at ρ ≈ 0.1 and ends `NonFiniteIterate`. With it the NIST average is 10.37 (33/34);
    /// it loses Gulf from x₀ and Meyer from 10x₀, which the unbounded run solves
    /// (`solvers/NIST.md`).
    pub fn lm_qr() -> Self {
        let mut c = Self::base(Method::Lm);
        c.lm.linear_solver = LinearSolverKind::DenseQr;
        c.termination.max_iterations = 10_000;
        c.termination.relative_loss_change_tolerance = 0.0;
        c.termination.gradient_tolerance = 0.0;
        c.termination.step_tolerance = 1e-15;
        c.termination.max_consecutive_invalid_steps = 10;
        c.lm.polish_threshold = 1e-10;
        c.lm.trust_region_factor = 100.0;
        c
    }

    /// ENGD with the eigenvalue cutoff and the 31-point log grid.
    pub fn engd() -> Self {
        Self::base(Method::Engd)
    }

    /// Gauss–Newton–CG with Jacobi preconditioning and Nielsen damping.
    pub fn gncg() -> Self {
        Self::base(Method::GnCg)
    }

    /// L-BFGS with memory 10 and a strong Wolfe line search.
    pub fn lbfgs() -> Self {
        let mut c = Self::base(Method::Lbfgs);
        c.termination.max_iterations = 10_000;
        c
    }

    /// SSBroyden (dense inverse Hessian, Al-Baali's self-scaling) with a strong Wolfe
    /// line search.
    pub fn ss_broyden() -> Self {
        let mut c = Self::base(Method::SsBroyden);
        c.termination.max_iterations = 10_000;
        c
    }

    /// SSBFGS (dense inverse Hessian, Al-Baali's self-scaling) with a strong Wolfe
    /// line search.
    pub fn ss_bfgs() -> Self {
        let mut c = Self::base(Method::SsBfgs);
        c.termination.max_iterations = 10_000;
        c
    }

    /// Trust-region Gauss–Newton with a probe-selected radius: a thin QR of `J` and an
    /// SVD of its `R` per accepted iterate, 24 probe radii in `[Δ/3, 3Δ]`, the step at
    /// the largest radius whose reduction ratio reaches 0.075 (Webb, Jerad & Cartis 2026).
    pub fn gn_probe() -> Self {
        let mut c = Self::base(Method::GnProbe);
        c.termination.max_iterations = 10_000;
        c
    }

    /// [`SolverConfig::gn_probe`] on the sketched model, published sizes (2000 × 2000).
    pub fn gn_probe_sketch() -> Self {
        let mut c = Self::gn_probe();
        c.probe.sketch = Some(crate::linalg::SketchParams::default());
        c
    }

    /// BFGS with a dense inverse Hessian and a strong Wolfe line search.
    pub fn bfgs() -> Self {
        let mut c = Self::base(Method::Bfgs);
        c.termination.max_iterations = 10_000;
        c
    }

    /// Adam with learning rate 1e-3.
    pub fn adam() -> Self {
        let mut c = Self::base(Method::Adam);
        c.termination.max_iterations = 10_000;
        c.termination.relative_loss_change_tolerance = 0.0;
        c.termination.step_tolerance = 0.0;
        c
    }

    /// Checks every option and the cross-field rules; the first violation is reported.
    ///
    /// # Errors
    /// [`ConfigError`] naming the field, its value and the constraint.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let t = &self.termination;
        check(
            t.max_iterations > 0,
            "termination.max_iterations",
            t.max_iterations,
            "> 0",
        )?;
        if let Some(s) = t.time_limit_seconds {
            check(
                s.is_finite() && s > 0.0,
                "termination.time_limit_seconds",
                s,
                "finite and > 0",
            )?;
        }
        check(
            finite_nonneg(t.loss_tolerance),
            "termination.loss_tolerance",
            t.loss_tolerance,
            "finite and ≥ 0",
        )?;
        check(
            finite_nonneg(t.relative_loss_change_tolerance),
            "termination.relative_loss_change_tolerance",
            t.relative_loss_change_tolerance,
            "finite and ≥ 0",
        )?;
        check(
            finite_nonneg(t.gradient_tolerance),
            "termination.gradient_tolerance",
            t.gradient_tolerance,
            "finite and ≥ 0",
        )?;
        check(
            finite_nonneg(t.step_tolerance),
            "termination.step_tolerance",
            t.step_tolerance,
            "finite and ≥ 0",
        )?;
        check(
            t.max_consecutive_invalid_steps > 0,
            "termination.max_consecutive_invalid_steps",
            t.max_consecutive_invalid_steps,
            "> 0",
        )?;
        self.lm.damping.validate([
            "lm.damping.min_lambda",
            "lm.damping.max_lambda",
            "lm.damping.initial_lambda",
            "lm.damping.acceptance",
        ])?;
        check(
            self.lm.polish_threshold.is_finite() && (0.0..1e-6).contains(&self.lm.polish_threshold),
            "lm.polish_threshold",
            self.lm.polish_threshold,
            "in [0, 1e-6) (it must stay below the resolvable loss changes)",
        )?;
        check(
            self.lm.trust_region_factor.is_finite() && self.lm.trust_region_factor >= 0.0,
            "lm.trust_region_factor",
            self.lm.trust_region_factor,
            "finite and ≥ 0 (0 disables the bound)",
        )?;
        check(
            !(self.lm.linear_solver == LinearSolverKind::SampleSpace
                && self.lm.scaling != Scaling::Identity),
            "lm.scaling",
            format!("{:?}", self.lm.scaling).to_lowercase(),
            "identity when lm.linear_solver = sample_space (the sample-space form needs D̃ = I)",
        )?;
        check(
            self.lm.forgetting.is_finite() && (0.0..1.0).contains(&self.lm.forgetting),
            "lm.forgetting",
            self.lm.forgetting,
            "in [0, 1)",
        )?;
        check(
            self.lm.forgetting == 0.0
                || matches!(
                    self.lm.linear_solver,
                    LinearSolverKind::Auto | LinearSolverKind::NormalCholesky
                ),
            "lm.linear_solver",
            format!("{:?}", self.lm.linear_solver).to_lowercase(),
            "auto or normal_cholesky when lm.forgetting > 0 (the accumulated normal equations are factored by Cholesky)",
        )?;
        match self.engd.solve {
            EngdSolve::Eigen { relative_cutoff } => check(
                relative_cutoff.is_finite() && (0.0..1.0).contains(&relative_cutoff),
                "engd.solve.relative_cutoff",
                relative_cutoff,
                "in [0, 1)",
            )?,
            EngdSolve::Tikhonov { epsilon } => check(
                epsilon.is_finite() && epsilon > 0.0,
                "engd.solve.epsilon",
                epsilon,
                "finite and > 0",
            )?,
        }
        check(
            self.engd.grid_base.is_finite() && self.engd.grid_base > 1.0,
            "engd.grid_base",
            self.engd.grid_base,
            "finite and > 1",
        )?;
        check(
            self.engd.grid_steps <= 200,
            "engd.grid_steps",
            self.engd.grid_steps,
            "≤ 200",
        )?;
        self.gncg.validate()?;
        let l = &self.lbfgs;
        check(l.memory > 0, "lbfgs.memory", l.memory, "> 0")?;
        check(l.c1 > 0.0 && l.c1 < 0.5, "lbfgs.c1", l.c1, "in (0, 1/2)")?;
        check(l.c2 > l.c1 && l.c2 < 1.0, "lbfgs.c2", l.c2, "in (c1, 1)")?;
        check(
            l.max_line_search_evaluations > 0,
            "lbfgs.max_line_search_evaluations",
            l.max_line_search_evaluations,
            "> 0",
        )?;
        let q = &self.quasi_newton;
        check(
            q.c1 > 0.0 && q.c1 < 0.5,
            "quasi_newton.c1",
            q.c1,
            "in (0, 1/2)",
        )?;
        check(
            q.c2 > q.c1 && q.c2 < 1.0,
            "quasi_newton.c2",
            q.c2,
            "in (c1, 1)",
        )?;
        check(
            q.max_line_search_evaluations > 0,
            "quasi_newton.max_line_search_evaluations",
            q.max_line_search_evaluations,
            "> 0",
        )?;
        for &c2 in &q.fallback_c2 {
            check(
                c2 > q.c1 && c2 < 1.0,
                "quasi_newton.fallback_c2",
                c2,
                "in (c1, 1)",
            )?;
        }
        self.probe.validate()?;
        let a = &self.adam;
        check(
            a.learning_rate.is_finite() && a.learning_rate > 0.0,
            "adam.learning_rate",
            a.learning_rate,
            "finite and > 0",
        )?;
        check(
            (0.0..1.0).contains(&a.beta1),
            "adam.beta1",
            a.beta1,
            "in [0, 1)",
        )?;
        check(
            (0.0..1.0).contains(&a.beta2),
            "adam.beta2",
            a.beta2,
            "in [0, 1)",
        )?;
        check(
            a.epsilon.is_finite() && a.epsilon > 0.0,
            "adam.epsilon",
            a.epsilon,
            "finite and > 0",
        )?;
        if let Some(s) = &self.switch {
            check(
                s.after_iterations > 0,
                "switch.after_iterations",
                s.after_iterations,
                "> 0",
            )?;
            check(
                s.then != self.method,
                "switch.then",
                format!("{:?}", s.then),
                "a method different from `method`",
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_valid() {
        for c in [
            SolverConfig::lm(),
            SolverConfig::lm_qr(),
            SolverConfig::engd(),
            SolverConfig::gncg(),
            SolverConfig::lbfgs(),
            SolverConfig::adam(),
            SolverConfig::bfgs(),
            SolverConfig::ss_bfgs(),
            SolverConfig::ss_broyden(),
        ] {
            assert_eq!(c.validate(), Ok(()), "{:?}", c.method);
        }
    }

    #[test]
    fn each_constraint_reports_field_value_and_rule() {
        type Edit = fn(&mut SolverConfig);
        let cases: [(Edit, &str, &str); 14] = [
            (
                |c| c.termination.max_iterations = 0,
                "termination.max_iterations",
                "0",
            ),
            (
                |c| c.termination.gradient_tolerance = -1.0,
                "termination.gradient_tolerance",
                "-1",
            ),
            (
                |c| c.termination.time_limit_seconds = Some(f64::NAN),
                "termination.time_limit_seconds",
                "NaN",
            ),
            (
                |c| c.lm.damping.initial_lambda = 0.0,
                "lm.damping.initial_lambda",
                "0",
            ),
            (
                |c| c.lm.damping.acceptance = 1.0,
                "lm.damping.acceptance",
                "1",
            ),
            (
                |c| {
                    c.lm.linear_solver = LinearSolverKind::SampleSpace;
                    c.lm.scaling = Scaling::Marquardt
                },
                "lm.scaling",
                "marquardt",
            ),
            (|c| c.lm.forgetting = 1.0, "lm.forgetting", "1"),
            (
                |c| {
                    c.lm.forgetting = 0.5;
                    c.lm.linear_solver = LinearSolverKind::DenseQr
                },
                "lm.linear_solver",
                "denseqr",
            ),
            (|c| c.engd.grid_base = 1.0, "engd.grid_base", "1"),
            (
                |c| c.engd.solve = EngdSolve::Tikhonov { epsilon: 0.0 },
                "engd.solve.epsilon",
                "0",
            ),
            (|c| c.lbfgs.c2 = 1e-5, "lbfgs.c2", "0.00001"),
            (|c| c.gncg.rank = 0, "gncg.rank", "0"),
            (|c| c.gncg.refresh_every = 0, "gncg.refresh_every", "0"),
            (
                |c| {
                    c.switch = Some(SwitchConfig {
                        after_iterations: 3,
                        then: Method::Lm,
                    })
                },
                "switch.then",
                "Lm",
            ),
        ];
        for (edit, field, value) in cases {
            let mut c = SolverConfig::lm();
            edit(&mut c);
            let e = c.validate().unwrap_err();
            assert_eq!(e.field, field);
            assert_eq!(e.value, value);
            assert!(e.to_string().contains(field) && e.to_string().contains("must be"));
        }
        let mut ok = SolverConfig::lm();
        ok.lm.linear_solver = LinearSolverKind::SampleSpace;
        ok.lm.scaling = Scaling::Identity;
        assert_eq!(ok.validate(), Ok(()));
    }
}
