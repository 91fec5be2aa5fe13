//! The PINN problem at the argmin boundary.
//!
//! [`ResidualModel`] implements argmin 0.11's `CostFunction` (`L = ½‖r‖²`),
//! `Gradient` (`∇L = Jᵀr`), `Operator` (the residual vector `r`) and `Jacobian` (`J`
//! as `N` rows), all with `Vec<f64>` parameters, through
//! [`pinn_solvers::impl_argmin_problem!`]; our own solvers run on it through
//! [`pinn_solvers::argmin::ArgminSolver`]. argmin is the boundary, not the core: the
//! CLI runs our loop directly, so that nothing argmin does not model (resampling,
//! checkpoints, the stop flag) has to pass through it.
//!
//! argmin's own L-BFGS is a cross-check of ours ([`argmin_lbfgs_more_thuente`],
//! [`argmin_lbfgs_hager_zhang`]): the same two-loop recursion (Nocedal & Wright 2006,
//! Alg. 7.4, 7.5) with a strong Wolfe line search (Moré & Thuente 1994) or the
//! approximate Wolfe search of Hager & Zhang (2006).

use argmin::core::Error;
use argmin::solver::linesearch::{HagerZhangLineSearch, MoreThuenteLineSearch};
use argmin::solver::quasinewton::LBFGS;
use pinn_solvers::config::LbfgsConfig;

use crate::residual::ResidualModel;

pinn_solvers::impl_argmin_problem!(ResidualModel);

/// argmin's L-BFGS with the Moré–Thuente line search.
pub type ArgminLbfgsMt =
    LBFGS<MoreThuenteLineSearch<Vec<f64>, Vec<f64>, f64>, Vec<f64>, Vec<f64>, f64>;

/// argmin's L-BFGS with the Hager–Zhang line search.
pub type ArgminLbfgsHz =
    LBFGS<HagerZhangLineSearch<Vec<f64>, Vec<f64>, f64>, Vec<f64>, Vec<f64>, f64>;

/// argmin's L-BFGS with the Moré–Thuente search, set up like ours: memory `m`, strong
/// Wolfe constants `c₁`, `c₂` from `config`; its gradient and cost tolerances are
/// turned off (0) so that only the iteration budget stops it, as in a fixed-budget
/// comparison.
///
/// # Errors
/// Constants argmin rejects (`0 < c₁ < c₂ < 1`).
pub fn argmin_lbfgs_more_thuente(config: &LbfgsConfig) -> Result<ArgminLbfgsMt, Error> {
    let ls = MoreThuenteLineSearch::new().with_c(config.c1, config.c2)?;
    LBFGS::new(ls, config.memory)
        .with_tolerance_grad(0.0)?
        .with_tolerance_cost(0.0)
}

/// argmin's L-BFGS with the Hager–Zhang search (its default constants), memory from
/// `config`, tolerances off as in [`argmin_lbfgs_more_thuente`].
///
/// # Errors
/// Never for a validated `config`; argmin's setters are fallible.
pub fn argmin_lbfgs_hager_zhang(config: &LbfgsConfig) -> Result<ArgminLbfgsHz, Error> {
    LBFGS::new(HagerZhangLineSearch::new(), config.memory)
        .with_tolerance_grad(0.0)?
        .with_tolerance_cost(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::load_problem;
    use argmin::core::{CostFunction, Gradient, Jacobian, Operator};
    use pinn_solvers::LeastSquares;
    use std::path::Path;

    fn poisson() -> (ResidualModel, Vec<f64>) {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("problems/poisson2d.toml");
        let problem = load_problem(&path).expect("poisson2d loads");
        (problem.residual_model(), problem.initial_params())
    }

    #[test]
    fn argmin_traits_on_the_pinn_agree_with_the_least_squares_problem() {
        let (m, theta) = poisson();
        let mut r = vec![0.0; m.n_residuals()];
        let mut jac = faer::Mat::<f64>::zeros(m.n_residuals(), m.n_params());
        m.residuals_and_jacobian(&theta, &mut r, jac.as_mut());
        assert_eq!(Operator::apply(&m, &theta).unwrap(), r);
        let rows = Jacobian::jacobian(&m, &theta).unwrap();
        assert_eq!(rows.len(), m.n_residuals());
        assert!(
            rows.iter()
                .enumerate()
                .all(|(i, row)| row.iter().enumerate().all(|(j, v)| *v == jac[(i, j)]))
        );
        let c = CostFunction::cost(&m, &theta).unwrap();
        assert_eq!(c, pinn_solvers::half_squared_norm(&r));
        // ∇L = Jᵀr against the assembled J (vjp is a different code path).
        let g = Gradient::gradient(&m, &theta).unwrap();
        let jtr = jac.transpose() * faer::ColRef::from_slice(&r);
        let scale = jtr.norm_l2();
        for (k, gk) in g.iter().enumerate() {
            assert!(
                (gk - jtr[k]).abs() <= 1e-11 * scale,
                "k={k}: {gk} vs {}",
                jtr[k]
            );
        }
        assert!(CostFunction::cost(&m, &theta[1..].to_vec()).is_err());
    }

    #[test]
    fn argmin_lbfgs_builders_reject_bad_wolfe_constants() {
        let mut c = LbfgsConfig::default();
        assert!(argmin_lbfgs_more_thuente(&c).is_ok());
        assert!(argmin_lbfgs_hager_zhang(&c).is_ok());
        c.c1 = 0.95;
        assert!(argmin_lbfgs_more_thuente(&c).is_err());
    }
}
