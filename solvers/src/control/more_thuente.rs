//! A strong Wolfe line search: the Moré–Thuente algorithm with its safeguarded
//! cubic/quadratic interpolation step.
//!
//! # Math
//! Given a smooth `φ(α) = f(θ + α d)` with `φ'(0) < 0`, find `α > 0` satisfying the
//! strong Wolfe conditions (Nocedal & Wright, *Numerical Optimization*, 2nd ed., eq. 3.7)
//!
//! ```text
//! φ(α) ≤ φ(0) + c₁ α φ'(0)          (sufficient decrease, "Armijo")
//! |φ'(α)| ≤ c₂ |φ'(0)|              (curvature)
//! ```
//!
//! with `0 < c₁ < c₂ < 1`. Moré & Thuente (1994) keep an interval of uncertainty with
//! end points `αₗ` (the best point so far) and `αᵤ`, and choose each new trial by the
//! safeguarded interpolation of `safeguarded_step` (their §4, Cases 1–4). While no
//! point with `ψ(α) ≤ 0` and `φ'(α) ≥ 0` has been seen they work on the auxiliary
//! function `ψ(α) = φ(α) − φ(0) − c₁ α φ'(0)` (stage 1); after that on `φ` itself
//! (stage 2). Their Theorem 3.2 guarantees that the iterates converge to a point that
//! satisfies both conditions when `c₁ < c₂`.
//!
//! # Departures from MINPACK-2 `dcsrch`
//! - A non-finite `φ(α)` or `φ'(α)` is not an error: the trial is discarded, the step
//!   is halved towards the best point, and trials above the failed `α` are not tried
//!   again. Only if this cannot produce a finite value do we return
//!   [`LineSearchError::NonFinite`].
//! - The MINPACK-2 "warnings" (rounding errors, interval too small, `α` at a bound,
//!   evaluation budget) are typed errors here. Each carries the best point seen, so a
//!   caller can still take it when it decreased `φ`.
//!
//! # References
//! - J. J. Moré and D. J. Thuente, "Line search algorithms with guaranteed sufficient
//!   decrease", ACM TOMS 20(3), 286–307, 1994.
//! - J. Nocedal and S. J. Wright, *Numerical Optimization*, 2nd ed., Springer 2006,
//!   §3.1 and §3.5 (c₁ = 10⁻⁴, c₂ = 0.9 for quasi-Newton methods, p. 34 and p. 62).
//! - D. C. Liu and J. Nocedal, "On the limited memory BFGS method for large scale
//!   optimization", Math. Programming 45, 1989 (their `lbfgs.f` uses
//!   `STPMIN = 1e-20`, `STPMAX = 1e20`, `MAXFEV = 20`, our defaults).

use thiserror::Error;

/// Lower extrapolation factor while no minimiser is bracketed: the next trial is at
/// least `α + 1.1 (α − αₗ)` (Moré & Thuente 1994, §4, `δ_min = 1.1`).
const EXTRAPOLATE_LOWER: f64 = 1.1;
/// Upper extrapolation factor: at most `α + 4 (α − αₗ)` (Moré & Thuente 1994, §4,
/// `δ_max = 4`).
const EXTRAPOLATE_UPPER: f64 = 4.0;
/// If a bracketing step does not shrink the interval by this factor over two trials,
/// bisect (Moré & Thuente 1994, §4: "if the length of I does not decrease by a factor
/// of δ < 1 after two trials, a bisection step is used"; MINPACK-2 uses 0.66).
const BISECTION_TRIGGER: f64 = 0.66;

/// Parameters of the strong Wolfe search.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StrongWolfeParams {
    /// Sufficient-decrease constant `c₁` (Moré–Thuente's `μ`). Default `1e-4`
    /// (Nocedal & Wright 2006, p. 33).
    pub c1: f64,
    /// Curvature constant `c₂` (Moré–Thuente's `η`). Default `0.9`, the usual value
    /// for quasi-Newton directions (Nocedal & Wright 2006, p. 34).
    pub c2: f64,
    /// Relative width of the interval of uncertainty below which the search gives up
    /// with [`LineSearchError::IntervalTooSmall`]. Default `1e-10`.
    pub xtol: f64,
    /// Smallest step allowed. Default `1e-20` (Liu & Nocedal's `lbfgs.f`).
    pub alpha_min: f64,
    /// Largest step allowed. Default `1e20` (Liu & Nocedal's `lbfgs.f`).
    pub alpha_max: f64,
    /// Maximum number of `φ` evaluations per search. Default `20` (`lbfgs.f`).
    pub max_evaluations: usize,
}

impl Default for StrongWolfeParams {
    fn default() -> Self {
        Self {
            c1: 1e-4,
            c2: 0.9,
            xtol: 1e-10,
            alpha_min: 1e-20,
            alpha_max: 1e20,
            max_evaluations: 20,
        }
    }
}

impl StrongWolfeParams {
    /// Checks `0 < c₁ ≤ c₂ < 1` (Nocedal & Wright ask `c₁ < c₂`, which guarantees a
    /// strong Wolfe point exists; Moré & Thuente's own tests use `c₁ = c₂`), `xtol ≥ 0`, `0 ≤ alpha_min < alpha_max < ∞` and
    /// `max_evaluations ≥ 1`.
    ///
    /// # Errors
    /// [`LineSearchError::InvalidParameter`] naming the first violated constraint.
    pub fn validate(&self) -> Result<(), LineSearchError> {
        let bad = |name: &'static str, value: f64, constraint: &'static str| {
            Err(LineSearchError::InvalidParameter {
                name,
                value,
                constraint,
            })
        };
        if !(self.c1 > 0.0 && self.c1 < 1.0) {
            return bad("c1", self.c1, "0 < c1 < 1");
        }
        if !(self.c2 >= self.c1 && self.c2 < 1.0) {
            return bad("c2", self.c2, "c1 <= c2 < 1");
        }
        if !(self.xtol >= 0.0 && self.xtol.is_finite()) {
            return bad("xtol", self.xtol, "0 <= xtol < inf");
        }
        if !(self.alpha_min >= 0.0 && self.alpha_min.is_finite()) {
            return bad("alpha_min", self.alpha_min, "alpha_min >= 0");
        }
        if !(self.alpha_max > self.alpha_min && self.alpha_max.is_finite()) {
            return bad("alpha_max", self.alpha_max, "alpha_min < alpha_max < inf");
        }
        if self.max_evaluations == 0 {
            return bad(
                "max_evaluations",
                self.max_evaluations as f64,
                "max_evaluations >= 1",
            );
        }
        Ok(())
    }
}

/// One evaluated trial `(α, φ(α), φ'(α))`, as passed to the observer of
/// [`MoreThuente::search_observed`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Trial {
    /// The step `α`.
    pub alpha: f64,
    /// `φ(α)` (may be non-finite).
    pub phi: f64,
    /// `φ'(α)` (may be non-finite).
    pub dphi: f64,
}

/// A point returned by the search.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LineSearchResult {
    /// The accepted step `α`.
    pub alpha: f64,
    /// `φ(α)`.
    pub phi: f64,
    /// `φ'(α)`.
    pub dphi: f64,
    /// Number of `φ` evaluations this search made.
    pub evaluations: usize,
}

/// Why a search did not return a strong Wolfe point.
///
/// Variants with a `best` field carry the point with the least value of the function
/// the search was working on (ψ in stage 1, φ in stage 2). `best.alpha == 0` means no
/// trial improved on `φ(0)`. `best` is not necessarily the last point evaluated, so a
/// caller that needs the gradient there must re-evaluate it unless
/// `best.alpha == last evaluated α` (true for the `RoundingErrors`,
/// `IntervalTooSmall`, `AlphaAtMax` and `AlphaAtMin` variants, whose `best` is the last
/// trial, as in MINPACK-2).
#[derive(Clone, Copy, Debug, PartialEq, Error)]
pub enum LineSearchError {
    /// `φ'(0) ≥ 0` (or `φ(0)`, `φ'(0)` not finite): the direction is not a descent
    /// direction. Reset the quasi-Newton memory and use the steepest descent direction.
    #[error(
        "the search direction is not a descent direction (φ'(0) = {dphi0:e}, φ(0) = {phi0:e}); \
         reset the quasi-Newton memory or check the gradient"
    )]
    NotDescent {
        /// `φ(0)` as given.
        phi0: f64,
        /// `φ'(0)` as given.
        dphi0: f64,
    },
    /// A parameter violates its constraint.
    #[error("line-search parameter `{name}` = {value:e} violates {constraint}")]
    InvalidParameter {
        /// Parameter name.
        name: &'static str,
        /// Its value.
        value: f64,
        /// The constraint it violates.
        constraint: &'static str,
    },
    /// Every trial step gave a non-finite `φ` or `φ'`, down to the smallest step the
    /// search may take. The objective overflows or is undefined along the direction.
    #[error(
        "φ was not finite at α = {alpha:e} and no smaller step gave a finite value \
         ({evaluations} evaluations); the objective overflows along this direction"
    )]
    NonFinite {
        /// The last step tried.
        alpha: f64,
        /// Evaluations made.
        evaluations: usize,
        /// The best finite point seen (α = 0 if none).
        best: LineSearchResult,
    },
    /// Rounding errors prevent progress: the trial fell outside the interval of
    /// uncertainty (MINPACK-2 `dcsrch` warning "ROUNDING ERRORS PREVENT PROGRESS").
    /// Usually means the tolerances are tighter than the precision of `φ`.
    #[error("rounding errors prevent progress in the line search (best α = {:e})", best.alpha)]
    RoundingErrors {
        /// Best point seen.
        best: LineSearchResult,
    },
    /// The interval of uncertainty is narrower than `xtol` relative to its upper end
    /// (MINPACK-2 warning "XTOL TEST SATISFIED").
    #[error("the line-search interval shrank below xtol (best α = {:e})", best.alpha)]
    IntervalTooSmall {
        /// Best point seen.
        best: LineSearchResult,
    },
    /// `α = alpha_max` satisfies sufficient decrease but φ is still decreasing steeply:
    /// the objective may be unbounded below along the direction.
    #[error("the step reached alpha_max = {:e} with φ still decreasing; unbounded below?", best.alpha)]
    AlphaAtMax {
        /// The point at `alpha_max`.
        best: LineSearchResult,
    },
    /// `α = alpha_min` and it does not satisfy the conditions.
    #[error("the step reached alpha_min = {:e} without satisfying the Wolfe conditions", best.alpha)]
    AlphaAtMin {
        /// The point at `alpha_min`.
        best: LineSearchResult,
    },
    /// The evaluation budget ran out.
    #[error("the line search used its {} evaluations (best α = {:e})", best.evaluations, best.alpha)]
    MaxEvaluations {
        /// Best point seen (its `evaluations` field is the total used).
        best: LineSearchResult,
    },
}

impl LineSearchError {
    /// The best point carried by the error, if any.
    pub fn best(&self) -> Option<LineSearchResult> {
        match *self {
            Self::NotDescent { .. } | Self::InvalidParameter { .. } => None,
            Self::NonFinite { best, .. }
            | Self::RoundingErrors { best }
            | Self::IntervalTooSmall { best }
            | Self::AlphaAtMax { best }
            | Self::AlphaAtMin { best }
            | Self::MaxEvaluations { best } => Some(best),
        }
    }
}

/// The Moré–Thuente strong Wolfe line search.
///
/// Two ways to drive it:
/// - [`MoreThuente::search`] / [`MoreThuente::search_observed`] call a closure `φ`;
/// - reverse communication, for a solve loop that evaluates trials itself (each trial
///   one row of its iteration record, as in MINPACK-2 `dcsrch`): [`MoreThuente::start`]
///   returns the first `α`; after evaluating `φ(α)`, `φ'(α)` the caller passes them to
///   [`MoreThuente::advance`], which answers [`Next::Evaluate`] with the next `α` or
///   [`Next::Done`] with the strong Wolfe point.
///
/// The state lives in the struct, so one value is reused for every iteration of a
/// solve; nothing allocates.
#[derive(Clone, Debug, PartialEq)]
pub struct MoreThuente {
    params: StrongWolfeParams,
    state: Option<SearchState>,
}

/// The answer of [`MoreThuente::advance`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Next {
    /// Evaluate `φ` and `φ'` at this `α` and call `advance` again.
    Evaluate(f64),
    /// The strong Wolfe conditions hold at the last evaluated point.
    Done(LineSearchResult),
}

/// An end point of the interval of uncertainty: step, function value, derivative.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Endpoint {
    a: f64,
    f: f64,
    d: f64,
}

/// Everything the search carries between trials.
#[derive(Clone, Copy, Debug, PartialEq)]
struct SearchState {
    phi0: f64,
    /// `c₁ φ'(0)`: ψ(α) = φ(α) − φ(0) − α·gtest.
    gtest: f64,
    /// `c₂ |φ'(0)|`.
    curvature_bound: f64,
    dphi0: f64,
    /// Best point (αₗ) and other end point (αᵤ).
    x: Endpoint,
    y: Endpoint,
    bracketed: bool,
    stage1: bool,
    width: f64,
    width_prev: f64,
    /// The trial being evaluated.
    stp: f64,
    stmin: f64,
    stmax: f64,
    /// Smallest α at which φ was non-finite: later trials stay below it.
    nonfinite_at: f64,
    evaluations: usize,
}

impl MoreThuente {
    /// A search with validated parameters.
    ///
    /// # Errors
    /// [`LineSearchError::InvalidParameter`] (see [`StrongWolfeParams::validate`]).
    pub fn new(params: StrongWolfeParams) -> Result<Self, LineSearchError> {
        params.validate()?;
        Ok(Self {
            params,
            state: None,
        })
    }

    /// The parameters.
    pub fn params(&self) -> &StrongWolfeParams {
        &self.params
    }

    /// Finds `α` satisfying the strong Wolfe conditions for `φ`, starting from
    /// `alpha0` (clamped into `[alpha_min, alpha_max]`).
    ///
    /// `phi(α)` returns `(φ(α), φ'(α))`; `phi0 = φ(0)`, `dphi0 = φ'(0) < 0`. On success
    /// the returned α is the **last** point at which `phi` was called, so a caller that
    /// stores the gradient inside `phi` has it for the accepted point.
    ///
    /// # Errors
    /// See [`LineSearchError`]; `NotDescent` if `dphi0 ≥ 0` or a value at 0 is not
    /// finite, `InvalidParameter` if `alpha0` is not positive and finite.
    pub fn search(
        &mut self,
        phi: &mut impl FnMut(f64) -> (f64, f64),
        phi0: f64,
        dphi0: f64,
        alpha0: f64,
    ) -> Result<LineSearchResult, LineSearchError> {
        self.search_observed(phi, phi0, dphi0, alpha0, &mut |_| {})
    }

    /// [`MoreThuente::search`] that also calls `observer` with every evaluated trial
    /// `(α, φ(α), φ'(α))`, in order, including non-finite ones, so the caller can record
    /// them.
    ///
    /// # Errors
    /// As [`MoreThuente::search`].
    pub fn search_observed(
        &mut self,
        phi: &mut impl FnMut(f64) -> (f64, f64),
        phi0: f64,
        dphi0: f64,
        alpha0: f64,
        observer: &mut impl FnMut(&Trial),
    ) -> Result<LineSearchResult, LineSearchError> {
        let mut alpha = self.start(phi0, dphi0, alpha0)?;
        loop {
            let (f, g) = phi(alpha);
            observer(&Trial {
                alpha,
                phi: f,
                dphi: g,
            });
            match self.advance(f, g)? {
                Next::Evaluate(a) => alpha = a,
                Next::Done(r) => return Ok(r),
            }
        }
    }

    /// Starts a search (reverse communication) and returns the first trial step,
    /// `alpha0` clamped into `[alpha_min, alpha_max]`. A search in progress is
    /// abandoned.
    ///
    /// # Errors
    /// `NotDescent` if `dphi0 ≥ 0` or a value at 0 is not finite, `InvalidParameter`
    /// if `alpha0` is not positive and finite.
    pub fn start(&mut self, phi0: f64, dphi0: f64, alpha0: f64) -> Result<f64, LineSearchError> {
        let p = self.params;
        self.state = None;
        if !(phi0.is_finite() && dphi0.is_finite() && dphi0 < 0.0) {
            return Err(LineSearchError::NotDescent { phi0, dphi0 });
        }
        if !(alpha0 > 0.0 && alpha0.is_finite()) {
            return Err(LineSearchError::InvalidParameter {
                name: "alpha0",
                value: alpha0,
                constraint: "0 < alpha0 < inf",
            });
        }
        let origin = Endpoint {
            a: 0.0,
            f: phi0,
            d: dphi0,
        };
        let stp = alpha0.clamp(p.alpha_min, p.alpha_max);
        let width = p.alpha_max - p.alpha_min;
        self.state = Some(SearchState {
            phi0,
            gtest: p.c1 * dphi0,
            curvature_bound: p.c2 * (-dphi0),
            dphi0,
            x: origin,
            y: origin,
            bracketed: false,
            stage1: true,
            width,
            width_prev: 2.0 * width,
            stp,
            stmin: 0.0,
            stmax: stp + EXTRAPOLATE_UPPER * stp,
            nonfinite_at: f64::INFINITY,
            evaluations: 0,
        });
        Ok(stp)
    }

    /// Feeds `φ(α)`, `φ'(α)` at the step last returned by [`MoreThuente::start`] or
    /// [`MoreThuente::advance`] and returns what to do next. After `Done` or an error
    /// the search is over; call `start` again for the next one.
    ///
    /// # Errors
    /// See [`LineSearchError`].
    ///
    /// # Panics
    /// If no search is in progress.
    #[track_caller]
    pub fn advance(&mut self, f: f64, g: f64) -> Result<Next, LineSearchError> {
        let mut st = self
            .state
            .take()
            .expect("MoreThuente::advance called without a search in progress");
        let out = Self::advance_state(&self.params, &mut st, f, g);
        if let Ok(Next::Evaluate(_)) = out {
            self.state = Some(st);
        }
        out
    }

    fn advance_state(
        p: &StrongWolfeParams,
        st: &mut SearchState,
        f: f64,
        g: f64,
    ) -> Result<Next, LineSearchError> {
        st.evaluations += 1;
        let evaluations = st.evaluations;
        let result = |e: Endpoint| LineSearchResult {
            alpha: e.a,
            phi: e.f,
            dphi: e.d,
            evaluations,
        };
        let stp = st.stp;

        if !(f.is_finite() && g.is_finite()) {
            // Shrink towards the best point and never come back above this α.
            st.nonfinite_at = st.nonfinite_at.min(stp);
            let next = st.x.a + 0.5 * (stp - st.x.a);
            let too_small = (next - st.x.a).abs() <= p.xtol * next.abs().max(f64::MIN_POSITIVE)
                || next < p.alpha_min
                || next == stp;
            if too_small || evaluations >= p.max_evaluations {
                return Err(LineSearchError::NonFinite {
                    alpha: stp,
                    evaluations,
                    best: result(st.x),
                });
            }
            if !st.bracketed {
                st.stmax = st.stmax.min(st.nonfinite_at);
            }
            st.stp = next;
            return Ok(Next::Evaluate(next));
        }

        let here = Endpoint { a: stp, f, d: g };
        let ftest = st.phi0 + stp * st.gtest;
        // Switch from ψ to φ once ψ(α) ≤ 0 and φ'(α) ≥ min(c₁, c₂) φ'(0)
        // (MINPACK-2 form of Moré–Thuente's "ψ(α) ≤ 0 and φ'(α) > 0").
        if st.stage1 && f <= ftest && g >= p.c1.min(p.c2) * st.dphi0 {
            st.stage1 = false;
        }

        // Converged: both strong Wolfe conditions hold.
        if f <= ftest && g.abs() <= st.curvature_bound {
            return Ok(Next::Done(result(here)));
        }
        if st.bracketed && (stp <= st.stmin || stp >= st.stmax) {
            return Err(LineSearchError::RoundingErrors { best: result(here) });
        }
        if st.bracketed && st.stmax - st.stmin <= p.xtol * st.stmax {
            return Err(LineSearchError::IntervalTooSmall { best: result(here) });
        }
        if stp == p.alpha_max && f <= ftest && g <= st.gtest {
            return Err(LineSearchError::AlphaAtMax { best: result(here) });
        }
        if stp == p.alpha_min && (f > ftest || g >= st.gtest) {
            return Err(LineSearchError::AlphaAtMin { best: result(here) });
        }
        if evaluations >= p.max_evaluations {
            let best = if here.f <= st.x.f { here } else { st.x };
            return Err(LineSearchError::MaxEvaluations { best: result(best) });
        }

        // Choose the next trial. In stage 1, if φ(α) ≤ φ(αₗ) but ψ(α) > 0, the step
        // is computed from ψ (Moré–Thuente §3: ψ-values and derivatives).
        let mut next;
        if st.stage1 && f <= st.x.f && f > ftest {
            let gtest = st.gtest;
            let shift = |e: Endpoint| Endpoint {
                a: e.a,
                f: e.f - e.a * gtest,
                d: e.d - gtest,
            };
            let unshift = |e: Endpoint| Endpoint {
                a: e.a,
                f: e.f + e.a * gtest,
                d: e.d + gtest,
            };
            let (mut xm, mut ym) = (shift(st.x), shift(st.y));
            next = safeguarded_step(
                &mut xm,
                &mut ym,
                shift(here),
                &mut st.bracketed,
                st.stmin,
                st.stmax,
            );
            st.x = unshift(xm);
            st.y = unshift(ym);
        } else {
            next = safeguarded_step(
                &mut st.x,
                &mut st.y,
                here,
                &mut st.bracketed,
                st.stmin,
                st.stmax,
            );
        }

        // Force sufficient shrinkage of the bracket: bisect if two trials did not
        // reduce its length by the factor 0.66.
        if st.bracketed {
            if (st.y.a - st.x.a).abs() >= BISECTION_TRIGGER * st.width_prev {
                next = st.x.a + 0.5 * (st.y.a - st.x.a);
            }
            st.width_prev = st.width;
            st.width = (st.y.a - st.x.a).abs();
        }

        // Bounds for the next trial.
        if st.bracketed {
            st.stmin = st.x.a.min(st.y.a);
            st.stmax = st.x.a.max(st.y.a);
        } else {
            st.stmin = next + EXTRAPOLATE_LOWER * (next - st.x.a);
            st.stmax = next + EXTRAPOLATE_UPPER * (next - st.x.a);
        }

        next = next.clamp(p.alpha_min, p.alpha_max);
        if next >= st.nonfinite_at {
            next = st.x.a + 0.5 * (st.nonfinite_at - st.x.a);
        }

        // If no further progress is possible, evaluate the best point once more so
        // the caller gets its values from the last call (MINPACK-2 behaviour).
        if st.bracketed
            && (next <= st.stmin || next >= st.stmax || st.stmax - st.stmin <= p.xtol * st.stmax)
        {
            next = st.x.a;
        }
        st.stp = next;
        Ok(Next::Evaluate(next))
    }
}

/// One safeguarded step of Moré & Thuente (1994, §4), updating the interval of
/// uncertainty `[x, y]` with the new trial `t` and returning the next trial step.
///
/// `x` is the end point with the least function value, `y` the other end, `t` the
/// trial just evaluated. `stpmin`/`stpmax` bound the returned step.
///
/// # Math
/// Let `α_c` be the minimiser of the cubic interpolating `(f, f')` at `x` and `t`,
/// `α_q` the minimiser of the quadratic interpolating `f(x), f'(x), f(t)`, and `α_s`
/// the minimiser of the quadratic interpolating `f'(x), f'(t)` (secant step).
/// - Case 1, `f_t > f_x`: a minimiser is bracketed. Take `α_c` if it is closer to `x`
///   than `α_q`, otherwise the mean `(α_c + α_q)/2`.
/// - Case 2, `f_t ≤ f_x` and the derivatives have opposite signs: bracketed. Take
///   whichever of `α_c`, `α_s` is farther from `t`.
/// - Case 3, `f_t ≤ f_x`, same sign, `|f'_t| < |f'_x|`: the cubic may have no
///   minimiser in the direction of the step; use `α_c` only if it lies beyond `t`
///   (else the bound), pick the one of `α_c`, `α_s` closer to `t` if bracketed (kept
///   within 0.66 of the way to `y`), farther from `t` otherwise.
/// - Case 4, `f_t ≤ f_x`, same sign, `|f'_t| ≥ |f'_x|`: if bracketed, the cubic
///   minimiser between `t` and `y`; otherwise extrapolate to the bound.
///
/// Then the interval is updated: if `f_t > f_x`, `y ← t`; otherwise, if the
/// derivatives have opposite signs `y ← x`, and `x ← t`.
///
/// The cubic minimiser is computed in the scaled form of Moré–Thuente (dividing by
/// `s = max(|θ|, |f'_x|, |f'_t|)`) to avoid overflow.
fn safeguarded_step(
    x: &mut Endpoint,
    y: &mut Endpoint,
    t: Endpoint,
    bracketed: &mut bool,
    stpmin: f64,
    stpmax: f64,
) -> f64 {
    let sgnd = t.d * x.d.signum();
    let next;

    if t.f > x.f {
        // Case 1.
        let theta = 3.0 * (x.f - t.f) / (t.a - x.a) + x.d + t.d;
        let s = theta.abs().max(x.d.abs()).max(t.d.abs());
        let mut gamma = s * ((theta / s).powi(2) - (x.d / s) * (t.d / s)).sqrt();
        if t.a < x.a {
            gamma = -gamma;
        }
        let p = (gamma - x.d) + theta;
        let q = ((gamma - x.d) + gamma) + t.d;
        let alpha_c = x.a + (p / q) * (t.a - x.a);
        let alpha_q = x.a + ((x.d / ((x.f - t.f) / (t.a - x.a) + x.d)) / 2.0) * (t.a - x.a);
        next = if (alpha_c - x.a).abs() < (alpha_q - x.a).abs() {
            alpha_c
        } else {
            alpha_c + (alpha_q - alpha_c) / 2.0
        };
        *bracketed = true;
    } else if sgnd < 0.0 {
        // Case 2.
        let theta = 3.0 * (x.f - t.f) / (t.a - x.a) + x.d + t.d;
        let s = theta.abs().max(x.d.abs()).max(t.d.abs());
        let mut gamma = s * ((theta / s).powi(2) - (x.d / s) * (t.d / s)).sqrt();
        if t.a > x.a {
            gamma = -gamma;
        }
        let p = (gamma - t.d) + theta;
        let q = ((gamma - t.d) + gamma) + x.d;
        let alpha_c = t.a + (p / q) * (x.a - t.a);
        let alpha_s = t.a + (t.d / (t.d - x.d)) * (x.a - t.a);
        next = if (alpha_c - t.a).abs() > (alpha_s - t.a).abs() {
            alpha_c
        } else {
            alpha_s
        };
        *bracketed = true;
    } else if t.d.abs() < x.d.abs() {
        // Case 3.
        let theta = 3.0 * (x.f - t.f) / (t.a - x.a) + x.d + t.d;
        let s = theta.abs().max(x.d.abs()).max(t.d.abs());
        // The cubic tends to infinity in the direction of the step only if γ is real.
        let mut gamma = s
            * ((theta / s).powi(2) - (x.d / s) * (t.d / s))
                .max(0.0)
                .sqrt();
        if t.a > x.a {
            gamma = -gamma;
        }
        let p = (gamma - t.d) + theta;
        let q = (gamma + (x.d - t.d)) + gamma;
        let r = p / q;
        let alpha_c = if r < 0.0 && gamma != 0.0 {
            t.a + r * (x.a - t.a)
        } else if t.a > x.a {
            stpmax
        } else {
            stpmin
        };
        let alpha_s = t.a + (t.d / (t.d - x.d)) * (x.a - t.a);
        if *bracketed {
            let mut a = if (alpha_c - t.a).abs() < (alpha_s - t.a).abs() {
                alpha_c
            } else {
                alpha_s
            };
            // Stay within 0.66 of the way from t to y.
            let limit = t.a + BISECTION_TRIGGER * (y.a - t.a);
            a = if t.a > x.a {
                a.min(limit)
            } else {
                a.max(limit)
            };
            next = a;
        } else {
            let a = if (alpha_c - t.a).abs() > (alpha_s - t.a).abs() {
                alpha_c
            } else {
                alpha_s
            };
            next = a.min(stpmax).max(stpmin);
        }
    } else {
        // Case 4.
        next = if *bracketed {
            let theta = 3.0 * (t.f - y.f) / (y.a - t.a) + y.d + t.d;
            let s = theta.abs().max(y.d.abs()).max(t.d.abs());
            let mut gamma = s * ((theta / s).powi(2) - (y.d / s) * (t.d / s)).sqrt();
            if t.a > y.a {
                gamma = -gamma;
            }
            let p = (gamma - t.d) + theta;
            let q = ((gamma - t.d) + gamma) + y.d;
            t.a + (p / q) * (y.a - t.a)
        } else if t.a > x.a {
            stpmax
        } else {
            stpmin
        };
    }

    // Update the interval of uncertainty.
    if t.f > x.f {
        *y = t;
    } else {
        if sgnd < 0.0 {
            *y = *x;
        }
        *x = t;
    }
    next
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    /// Moré & Thuente (1994) eq. (5.1): φ(α) = −α/(α² + β).
    fn phi1(beta: f64) -> impl FnMut(f64) -> (f64, f64) {
        move |a| {
            let q = a * a + beta;
            (-a / q, (a * a - beta) / (q * q))
        }
    }

    /// Eq. (5.2): φ(α) = (α + β)⁵ − 2(α + β)⁴.
    fn phi2(beta: f64) -> impl FnMut(f64) -> (f64, f64) {
        move |a| {
            let u = a + beta;
            (
                u.powi(5) - 2.0 * u.powi(4),
                5.0 * u.powi(4) - 8.0 * u.powi(3),
            )
        }
    }

    /// Eq. (5.3): φ(α) = φ₀(α) + 2(1−β)/(lπ) sin(lπα/2), with φ₀ piecewise
    /// linear/quadratic.
    fn phi3(beta: f64, l: f64) -> impl FnMut(f64) -> (f64, f64) {
        move |a| {
            let (f0, g0) = if a <= 1.0 - beta {
                (1.0 - a, -1.0)
            } else if a >= 1.0 + beta {
                (a - 1.0, 1.0)
            } else {
                (
                    (a - 1.0).powi(2) / (2.0 * beta) + beta / 2.0,
                    (a - 1.0) / beta,
                )
            };
            let w = l * PI / 2.0;
            (
                f0 + 2.0 * (1.0 - beta) / (l * PI) * (w * a).sin(),
                g0 + (1.0 - beta) * (w * a).cos(),
            )
        }
    }

    /// Eq. (5.4), Yanai, Ozawa and Kaneko:
    /// φ(α) = γ(β₁)((1−α)² + β₂²)^½ + γ(β₂)(α² + β₁²)^½, γ(β) = (1+β²)^½ − β.
    fn phi456(b1: f64, b2: f64) -> impl FnMut(f64) -> (f64, f64) {
        let gamma = |b: f64| (1.0 + b * b).sqrt() - b;
        let (g1, g2) = (gamma(b1), gamma(b2));
        move |a| {
            let r1 = ((1.0 - a).powi(2) + b2 * b2).sqrt();
            let r2 = (a * a + b1 * b1).sqrt();
            (g1 * r1 + g2 * r2, -g1 * (1.0 - a) / r1 + g2 * a / r2)
        }
    }

    /// Runs one paper case; checks the strong Wolfe conditions and returns
    /// (α, evaluations).
    fn run(mut phi: impl FnMut(f64) -> (f64, f64), c1: f64, c2: f64, alpha0: f64) -> (f64, usize) {
        let mut ls = MoreThuente::new(StrongWolfeParams {
            c1,
            c2,
            xtol: 1e-15,
            alpha_min: 0.0,
            alpha_max: 1e20,
            max_evaluations: 100,
        })
        .unwrap();
        let (f0, g0) = phi(0.0);
        let mut trials = Vec::new();
        let r = ls
            .search_observed(&mut phi, f0, g0, alpha0, &mut |t: &Trial| trials.push(*t))
            .unwrap_or_else(|e| panic!("alpha0 = {alpha0}: {e}"));
        assert!(
            r.phi <= f0 + c1 * r.alpha * g0,
            "sufficient decrease at {r:?}"
        );
        assert!(r.dphi.abs() <= c2 * g0.abs(), "curvature at {r:?}");
        // The observer saw every evaluation, and the last one is the returned point.
        assert_eq!(trials.len(), r.evaluations);
        let last = trials.last().unwrap();
        assert_eq!((last.alpha, last.phi, last.dphi), (r.alpha, r.phi, r.dphi));
        (r.alpha, r.evaluations)
    }

    /// One table of Moré & Thuente (1994): for α₀ = 10⁻³, 10⁻¹, 10, 10³ the paper lists
    /// the number of evaluations `m` and the final α to two significant digits. We
    /// assert the strong Wolfe conditions exactly, α within 5% (the rounding error of
    /// two significant digits) and `m` **equal** to the paper's.
    fn check_table(
        name: &str,
        make: &dyn Fn() -> Box<dyn FnMut(f64) -> (f64, f64)>,
        c1: f64,
        c2: f64,
        paper: [(usize, f64); 4],
    ) {
        for (alpha0, (m, alpha)) in [1e-3, 1e-1, 1e1, 1e3].into_iter().zip(paper) {
            let (a, evals) = run(make(), c1, c2, alpha0);
            eprintln!("{name} α0={alpha0:e}: α={a:.4} m={evals} (paper α={alpha} m={m})");
            assert!(
                (a - alpha).abs() <= 0.05 * alpha,
                "{name} α0={alpha0}: α = {a}, paper {alpha}"
            );
            assert_eq!(
                evals, m,
                "{name} α0={alpha0}: {evals} evaluations, paper {m}"
            );
        }
    }

    #[test]
    fn more_thuente_table1() {
        check_table(
            "T1",
            &|| Box::new(phi1(2.0)),
            1e-3,
            0.1,
            [(6, 1.4), (3, 1.4), (1, 10.0), (4, 37.0)],
        );
    }

    #[test]
    fn more_thuente_table2() {
        check_table(
            "T2",
            &|| Box::new(phi2(0.004)),
            0.1,
            0.1,
            [(12, 1.6), (8, 1.6), (8, 1.6), (11, 1.6)],
        );
    }

    #[test]
    fn more_thuente_table3() {
        check_table(
            "T3",
            &|| Box::new(phi3(0.01, 39.0)),
            0.1,
            0.1,
            [(12, 1.0), (12, 1.0), (10, 1.0), (13, 1.0)],
        );
    }

    #[test]
    fn more_thuente_table4() {
        check_table(
            "T4",
            &|| Box::new(phi456(0.001, 0.001)),
            1e-3,
            1e-3,
            [(4, 0.085), (1, 0.10), (3, 0.35), (4, 0.83)],
        );
    }

    #[test]
    fn more_thuente_table5() {
        check_table(
            "T5",
            &|| Box::new(phi456(0.01, 0.001)),
            1e-3,
            1e-3,
            [(6, 0.075), (3, 0.078), (7, 0.073), (8, 0.076)],
        );
    }

    #[test]
    fn more_thuente_table6() {
        check_table(
            "T6",
            &|| Box::new(phi456(0.001, 0.01)),
            1e-3,
            1e-3,
            [(13, 0.93), (11, 0.93), (8, 0.92), (11, 0.92)],
        );
    }

    fn default_search() -> MoreThuente {
        MoreThuente::new(StrongWolfeParams::default()).unwrap()
    }

    #[test]
    fn ascent_direction_is_rejected() {
        let mut phi = |a: f64| (a, 1.0);
        let err = default_search()
            .search(&mut phi, 0.0, 1.0, 1.0)
            .unwrap_err();
        assert_eq!(
            err,
            LineSearchError::NotDescent {
                phi0: 0.0,
                dphi0: 1.0
            }
        );
        let err = default_search()
            .search(&mut phi, f64::NAN, -1.0, 1.0)
            .unwrap_err();
        assert!(matches!(err, LineSearchError::NotDescent { .. }));
    }

    #[test]
    fn nan_values_shrink_the_step() {
        // φ = −α + α²/2, undefined (NaN) for α > 0.3. From α₀ = 1 the search must halve
        // to 0.5 (NaN) and 0.25, where φ' = −0.75 satisfies |φ'| ≤ 0.9·1.
        let mut phi = |a: f64| {
            if a > 0.3 {
                (f64::NAN, f64::NAN)
            } else {
                (-a + 0.5 * a * a, -1.0 + a)
            }
        };
        let mut seen = Vec::new();
        let r = default_search()
            .search_observed(&mut phi, 0.0, -1.0, 1.0, &mut |t: &Trial| {
                seen.push(t.alpha)
            })
            .unwrap();
        assert_eq!(seen, vec![1.0, 0.5, 0.25]);
        assert_eq!((r.alpha, r.evaluations), (0.25, 3));
    }

    #[test]
    fn nan_everywhere_is_a_typed_error() {
        let mut phi = |_: f64| (f64::NAN, f64::NAN);
        let err = default_search()
            .search(&mut phi, 1.0, -1.0, 1.0)
            .unwrap_err();
        match err {
            LineSearchError::NonFinite {
                evaluations, best, ..
            } => {
                assert_eq!(evaluations, 20);
                assert_eq!(best.alpha, 0.0);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn unbounded_below_hits_alpha_max() {
        let mut ls = MoreThuente::new(StrongWolfeParams {
            alpha_max: 100.0,
            ..StrongWolfeParams::default()
        })
        .unwrap();
        let mut phi = |a: f64| (-a, -1.0);
        let err = ls.search(&mut phi, 0.0, -1.0, 1.0).unwrap_err();
        // Case 4 unbracketed extrapolates to α + δ_max (α − αₗ), δ_max = 4:
        // 1 → 5 → 21 → 85 → 100 (clamped to alpha_max).
        assert_eq!(
            err,
            LineSearchError::AlphaAtMax {
                best: LineSearchResult {
                    alpha: 100.0,
                    phi: -100.0,
                    dphi: -1.0,
                    evaluations: 5
                }
            }
        );
    }

    #[test]
    fn evaluation_budget_is_a_typed_error_with_best_point() {
        let mut ls = MoreThuente::new(StrongWolfeParams {
            max_evaluations: 2,
            ..StrongWolfeParams::default()
        })
        .unwrap();
        // φ = (α − 100)²/2 from α₀ = 1e-3: the first two trials only extrapolate.
        let mut phi = |a: f64| (0.5 * (a - 100.0).powi(2), a - 100.0);
        let err = ls.search(&mut phi, 5000.0, -100.0, 1e-3).unwrap_err();
        let best = err.best().unwrap();
        assert!(matches!(err, LineSearchError::MaxEvaluations { .. }));
        assert_eq!(best.evaluations, 2);
        assert!(best.alpha > 1e-3 && best.phi < 5000.0);
    }

    #[test]
    fn parameters_are_validated() {
        let cases = [
            (
                StrongWolfeParams {
                    c1: 0.0,
                    ..Default::default()
                },
                "c1",
            ),
            (
                StrongWolfeParams {
                    c2: 1e-5,
                    ..Default::default()
                },
                "c2",
            ),
            (
                StrongWolfeParams {
                    c2: 1.0,
                    ..Default::default()
                },
                "c2",
            ),
            (
                StrongWolfeParams {
                    xtol: -1.0,
                    ..Default::default()
                },
                "xtol",
            ),
            (
                StrongWolfeParams {
                    alpha_min: -1.0,
                    ..Default::default()
                },
                "alpha_min",
            ),
            (
                StrongWolfeParams {
                    alpha_max: 0.0,
                    alpha_min: 0.0,
                    ..Default::default()
                },
                "alpha_max",
            ),
            (
                StrongWolfeParams {
                    max_evaluations: 0,
                    ..Default::default()
                },
                "max_evaluations",
            ),
        ];
        for (p, field) in cases {
            match MoreThuente::new(p) {
                Err(LineSearchError::InvalidParameter { name, .. }) => assert_eq!(name, field),
                other => panic!("{field}: {other:?}"),
            }
        }
        assert!(StrongWolfeParams::default().validate().is_ok());
        let mut phi = |a: f64| (a, 1.0);
        assert!(matches!(
            default_search().search(&mut phi, 0.0, -1.0, 0.0),
            Err(LineSearchError::InvalidParameter { name: "alpha0", .. })
        ));
    }

    #[test]
    fn quadratic_exact_step_is_accepted_first() {
        // φ = (α − 1)²/2: α₀ = 1 is the minimiser and satisfies both conditions.
        let mut phi = |a: f64| (0.5 * (a - 1.0).powi(2), a - 1.0);
        let r = default_search().search(&mut phi, 0.5, -1.0, 1.0).unwrap();
        assert_eq!((r.alpha, r.evaluations), (1.0, 1));
    }

    #[test]
    fn reverse_communication_matches_closure_driver() {
        // Table 2, α₀ = 10⁻³ (12 evaluations): the same trials either way, and the
        // state is reusable for a second search.
        let mut phi = phi2(0.004);
        let (f0, g0) = phi(0.0);
        let params = StrongWolfeParams {
            c1: 0.1,
            c2: 0.1,
            xtol: 1e-15,
            alpha_min: 0.0,
            alpha_max: 1e20,
            max_evaluations: 100,
        };
        let mut ls = MoreThuente::new(params).unwrap();
        let mut via_closure = Vec::new();
        let r1 = ls
            .search_observed(&mut phi, f0, g0, 1e-3, &mut |t: &Trial| {
                via_closure.push(t.alpha)
            })
            .unwrap();
        let mut via_rc = Vec::new();
        let mut alpha = ls.start(f0, g0, 1e-3).unwrap();
        let r2 = loop {
            via_rc.push(alpha);
            let (f, g) = phi(alpha);
            match ls.advance(f, g).unwrap() {
                Next::Evaluate(a) => alpha = a,
                Next::Done(r) => break r,
            }
        };
        assert_eq!(via_closure.len(), 12);
        assert_eq!(via_closure, via_rc);
        assert_eq!(r1, r2);
    }
}
