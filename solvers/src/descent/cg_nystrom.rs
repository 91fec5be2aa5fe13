//! The Nyström preconditioner of GN-CG over a solve: when to rebuild it, the sketch
//! `Y = JᵀJ Ω` from the assembled `J` or from `s` matrix-free `J·v`, `Jᵀ·w` pairs, and
//! its saved state.
//!
//! CG in [`super::truncated_cg`] sees `JᵀJ + λI` (its damping is unscaled, `D̃ = I`), so
//! the preconditioner approximates exactly that operator: `A = JᵀJ`, shift `μ = λ`
//! (NysNewton-CG, Rathore et al., ICML 2024, preconditions `H + μI` the same way). It is
//! rebuilt at the first accepted iterate and then at every `refresh_every`-th, and the
//! `k`-th build draws its test matrix from stream `k` of the configured seed, so the
//! build count (saved) is all a resumed solve needs to redraw; `U` and `Λ̂` are saved
//! too because between rebuilds they belong to an earlier Jacobian.

use super::{Linearization, Meter};
use crate::linalg::LinearSolveError;
use crate::linalg::nystrom::{NystromPreconditioner, test_matrix};
use crate::problem::LeastSquares;
use crate::state::{PartState, StateError};
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatMut, MatRef, Par};

/// The preconditioner and its refresh schedule.
pub struct NystromSchedule {
    pre: NystromPreconditioner,
    seed: u64,
    refresh_every: u64,
    /// Builds so far (the stream of the next test matrix).
    builds: u64,
    /// Accepted iterates prepared since the last build.
    since_build: u64,
    par: Par,
    /// Scratch for one matrix-free product `J ω`.
    jv: Vec<f64>,
}

impl NystromSchedule {
    /// A schedule for an `n × p` problem with sketch rank `min(rank, p)`.
    pub fn new(n: usize, p: usize, rank: usize, refresh_every: usize, seed: u64, par: Par) -> Self {
        Self {
            pre: NystromPreconditioner::new(p, rank.min(p)),
            seed,
            refresh_every: refresh_every.max(1) as u64,
            builds: 0,
            since_build: 0,
            par,
            jv: vec![0.0; n],
        }
    }

    /// The preconditioner to apply.
    pub fn preconditioner(&mut self) -> &mut NystromPreconditioner {
        &mut self.pre
    }

    /// Builds so far.
    pub fn builds(&self) -> u64 {
        self.builds
    }

    /// At an accepted iterate: rebuilds when none exists yet or `refresh_every`
    /// iterates have passed since the last build.
    ///
    /// # Errors
    /// As [`NystromPreconditioner::build`].
    pub fn at_iterate(
        &mut self,
        problem: &dyn LeastSquares,
        lin: &Linearization<'_>,
        meter: Meter<'_>,
    ) -> Result<(), LinearSolveError> {
        if self.builds > 0 && self.since_build + 1 < self.refresh_every {
            // Not due: keep the preconditioner of an earlier iterate.
            self.since_build += 1;
            return Ok(());
        }
        let (p, s) = (lin.theta.len(), self.pre.rank());
        let omega = test_matrix(p, s, self.seed, self.builds);
        let mut y = Mat::<f64>::zeros(p, s);
        match lin.jacobian {
            Some(jac) => sketch_assembled(y.as_mut(), jac, omega.as_ref(), self.par),
            None => {
                let (mut col, mut out) = (vec![0.0; p], vec![0.0; p]);
                for j in 0..s {
                    for (c, i) in col.iter_mut().zip(0..) {
                        *c = omega[(i, j)];
                    }
                    problem.jvp(lin.theta, &col, &mut self.jv);
                    problem.vjp(lin.theta, &self.jv, &mut out);
                    for (i, o) in out.iter().enumerate() {
                        y[(i, j)] = *o;
                    }
                }
                meter.counts.jvps += s;
                meter.counts.vjps += s;
            }
        }
        self.builds += 1;
        self.since_build = 0;
        self.pre.build(omega.as_ref(), y.as_ref())
    }

    /// The residual set changed, so `JᵀJ` did: rebuild at the next iterate.
    pub fn invalidate(&mut self) {
        self.since_build = self.refresh_every;
    }

    /// Adds the schedule and the preconditioner to a saved state.
    pub fn save(&self, state: PartState) -> PartState {
        state
            .with_count("nystrom_builds", self.builds)
            .with_count("nystrom_since_build", self.since_build)
            .with_vector("nystrom_basis", self.pre.basis())
            .with_vector("nystrom_eigenvalues", self.pre.eigenvalues())
    }

    /// Restores what [`NystromSchedule::save`] wrote.
    ///
    /// # Errors
    /// A missing key or a vector of the wrong length (another rank or problem size).
    pub fn load(&mut self, state: &PartState) -> Result<(), StateError> {
        self.builds = state.count("nystrom_builds")?;
        self.since_build = state.count("nystrom_since_build")?;
        let (u, lambda) = self.pre.parts_mut();
        state.vector_into("nystrom_basis", u)?;
        state.vector_into("nystrom_eigenvalues", lambda)?;
        Ok(())
    }
}

/// `Y = Jᵀ(JΩ)` on `par`: faer's blocked products split their output, not their inner
/// sums, between threads, so `Y` has the same bits on any number of threads.
fn sketch_assembled(y: MatMut<'_, f64>, jac: MatRef<'_, f64>, omega: MatRef<'_, f64>, par: Par) {
    let mut j_omega = Mat::<f64>::zeros(jac.nrows(), omega.ncols());
    matmul(j_omega.as_mut(), Accum::Replace, jac, omega, 1.0, par);
    matmul(
        y,
        Accum::Replace,
        jac.transpose(),
        j_omega.as_ref(),
        1.0,
        par,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_assembled_sketch_does_not_depend_on_the_thread_count() {
        let (n, p, s) = (2100, 300, 40);
        let jac = Mat::from_fn(n, p, |i, j| {
            ((i * 31 + j * 17) % 97) as f64 / 97.0 - 0.5 + 1e-3 * (i as f64).sin()
        });
        let omega = test_matrix(p, s, 3, 1);
        let mut seq = Mat::<f64>::zeros(p, s);
        sketch_assembled(seq.as_mut(), jac.as_ref(), omega.as_ref(), Par::Seq);
        for threads in [2, 3, 4] {
            let mut par = Mat::<f64>::zeros(p, s);
            sketch_assembled(
                par.as_mut(),
                jac.as_ref(),
                omega.as_ref(),
                Par::rayon(threads),
            );
            assert!(
                (0..s).all(|j| (0..p).all(|i| seq[(i, j)].to_bits() == par[(i, j)].to_bits())),
                "{threads} threads"
            );
        }
        // And it is JᵀJΩ.
        let want = jac.transpose() * (&jac * &omega);
        assert!((&want - &seq).norm_l2() < 1e-10 * want.norm_l2());
    }
}
