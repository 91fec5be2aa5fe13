//! GN-CG's options: how `J·v` is obtained, the CG stopping rules and the
//! preconditioner (Jacobi or randomised Nyström), with their validation.

use super::{ConfigError, DampingConfig, check, finite_nonneg};
use serde::{Deserialize, Serialize};

/// How GN-CG obtains `J·v` and `Jᵀ·w`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JacobianAccess {
    /// Assemble `J` once per accepted iterate and multiply with it (fast when the
    /// problem's `jvp`/`vjp` are the default ones, which assemble `J` on every call).
    Assembled,
    /// Call the problem's `jvp`/`vjp` (never forms `J`).
    MatrixFree,
}

/// The preconditioner of GN-CG's conjugate gradients.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CgPreconditioner {
    /// `diag(JᵀJ) + λ` (when [`GnCgConfig::jacobi`] is set; none otherwise).
    Jacobi,
    /// A randomised rank-`s` Nyström approximation of `JᵀJ` (Frangella, Tropp & Udell,
    /// SIAM J. Matrix Anal. Appl. 2023; NysNewton-CG of Rathore et al., ICML 2024),
    /// refreshed every [`GnCgConfig::refresh_every`] accepted iterates.
    Nystrom,
}

/// Gauss–Newton–CG options (Martens 2010).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GnCgConfig {
    /// Where `J·v` comes from.
    pub jacobian: JacobianAccess,
    /// Which preconditioner CG uses.
    pub preconditioner: CgPreconditioner,
    /// With `preconditioner = jacobi`: Jacobi preconditioning from the column norms of
    /// `J` (false: plain CG).
    pub jacobi: bool,
    /// With `preconditioner = nystrom`: the sketch rank `s` (capped at P), i.e. `s`
    /// products with `JᵀJ` per refresh.
    pub rank: usize,
    /// With `preconditioner = nystrom`: rebuild the preconditioner at every k-th
    /// accepted iterate (1: at each).
    pub refresh_every: usize,
    /// With `preconditioner = nystrom`: the seed of the Gaussian test matrices (the
    /// refresh index selects the stream, so a resumed solve redraws nothing).
    pub seed: u64,
    /// CG iteration cap per trial.
    pub max_cg_iterations: usize,
    /// Stop CG when `‖b − Ax‖ ≤ tol · ‖b‖`.
    pub relative_residual_tolerance: f64,
    /// Nash–Sofer quadratic-progress stop `i·(Qᵢ − Qᵢ₋₁)/Qᵢ < tol` (Ceres default 0.1;
    /// 0 disables it).
    pub quadratic_progress_tolerance: f64,
    /// Start CG from the previous direction (Martens 2010, §4.5).
    pub warm_start: bool,
    /// λ control.
    pub damping: DampingConfig,
}

impl Default for GnCgConfig {
    fn default() -> Self {
        Self {
            jacobian: JacobianAccess::Assembled,
            preconditioner: CgPreconditioner::Jacobi,
            jacobi: true,
            rank: 100,
            refresh_every: 1,
            seed: 0,
            max_cg_iterations: 250,
            relative_residual_tolerance: 1e-10,
            quadratic_progress_tolerance: 0.0,
            warm_start: true,
            damping: DampingConfig {
                initial_lambda: 1e-3,
                ..DampingConfig::default()
            },
        }
    }
}

impl GnCgConfig {
    /// Checks every option, naming the one (`gncg.…`) that is out of range.
    ///
    /// # Errors
    /// The first option out of range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let g = self;
        check(
            g.max_cg_iterations > 0,
            "gncg.max_cg_iterations",
            g.max_cg_iterations,
            "> 0",
        )?;
        check(
            g.relative_residual_tolerance.is_finite()
                && g.relative_residual_tolerance > 0.0
                && g.relative_residual_tolerance < 1.0,
            "gncg.relative_residual_tolerance",
            g.relative_residual_tolerance,
            "in (0, 1)",
        )?;
        check(
            finite_nonneg(g.quadratic_progress_tolerance),
            "gncg.quadratic_progress_tolerance",
            g.quadratic_progress_tolerance,
            "finite and ≥ 0",
        )?;
        check(
            (1..=10_000).contains(&g.rank),
            "gncg.rank",
            g.rank,
            "in [1, 10000] (it is capped at the number of parameters)",
        )?;
        check(
            (1..=1_000_000).contains(&g.refresh_every),
            "gncg.refresh_every",
            g.refresh_every,
            "in [1, 1000000]",
        )?;
        check(
            g.seed <= i64::MAX as u64,
            "gncg.seed",
            g.seed,
            "≤ 2⁶³ − 1 (a TOML integer)",
        )?;
        g.damping.validate([
            "gncg.damping.min_lambda",
            "gncg.damping.max_lambda",
            "gncg.damping.initial_lambda",
            "gncg.damping.acceptance",
        ])?;
        Ok(())
    }
}
