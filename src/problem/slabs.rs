//! `[time_slabs]`: time marching. The time interval `[t_min, t_max]` is cut at
//! `t_0 = t_min < t_1 < … < t_K = t_max`; slab `k` covers `[t_k, t_{k+1}]` and gets a
//! network of its own, trained after slab `k − 1`, whose `initial` blocks sit at
//! `t = t_k` with slab `k − 1`'s solution there as their data (its `∂u/∂t` for an
//! `initial_velocity` block). Long-time problems that a single network fails to
//! propagate (Allen–Cahn, KdV, wave, convection) become a chain of short ones: the
//! "time marching" or "bc-PINN" strategy of Wight & Zhao, "Solving Allen–Cahn and
//! Cahn–Hilliard equations using the adaptive physics informed neural networks" (2020),
//! and Mattey & Ghosh, "A novel sequential method to train physics informed neural
//! networks for Allen Cahn and Cahn Hilliard equations", CMAME 390 (2022).
//!
//! This module reads and checks the schedule and assigns points to slabs; building the
//! problem of one slab is [`super::slab_problem`].

use std::ops::Range;
use std::path::Path;

use faer::MatRef;
use pinn_solvers::SolverConfig;
use toml::Spanned;

use super::build::Problem;
use super::error::InputError;
use super::spec::TimeSlabsSpec;
use crate::residual::BlockKind;

/// The slab schedule of a problem.
#[derive(Clone, Debug, PartialEq)]
pub struct TimeSlabs {
    /// The index of the time coordinate.
    pub time_var: usize,
    /// `t_0 < t_1 < … < t_K`, `t_0` and `t_K` the bounds of the time variable.
    pub boundaries: Vec<f64>,
    /// `w_0, …, w_{K−1} > 0`: slab `k` gets the share `w_k / Σ_{j ≥ k} w_j` of the time
    /// left when it starts (all 1: an equal share, when every slab uses its own).
    pub time_shares: Vec<f64>,
    /// Whether the solver's first method (the warm start of a `switch`, e.g. Adam before
    /// SSBroyden) runs in every slab (`true`, the default) or in slab 0 only; later slabs
    /// then start with the second method from the previous slab's parameters.
    pub warm_start_every_slab: bool,
    /// Whether the initial data are built into every slab's solution,
    /// `u_k = g + B_k + (t − t_k) N_k` with `B_k` the earlier slabs' end values
    /// ([`crate::residual::handover`]), instead of fitted by its `initial` blocks.
    pub built_in_handover: bool,
    /// Whether a slab's solver starts from the curvature memory the previous slab's
    /// solver ended with (`curvature = "carried"`: a dense quasi-Newton method's
    /// inverse Hessian `H`) instead of afresh (`H = I`).
    pub carry_curvature: bool,
    /// With correction stages in every slab (`[[stages]]`, built-in hand-over only):
    /// `v_1, v_2, … > 0`, stage `s` of a slab gets the share `v_s / Σ_{r ≥ s} v_r` of the
    /// slab's time left when it starts; beyond the list the last share repeats (empty:
    /// equal shares).
    pub stage_shares: Vec<f64>,
}

impl TimeSlabs {
    /// `count` equal slabs of `[lo, hi]` (the last boundary is `hi` exactly).
    #[must_use]
    pub fn equal(time_var: usize, lo: f64, hi: f64, count: usize) -> Self {
        let boundaries = (0..=count)
            .map(|k| {
                if k == count {
                    hi
                } else {
                    lo + (hi - lo) * k as f64 / count as f64
                }
            })
            .collect();
        TimeSlabs {
            time_var,
            boundaries,
            time_shares: vec![1.0; count],
            warm_start_every_slab: true,
            built_in_handover: false,
            carry_curvature: false,
            stage_shares: Vec::new(),
        }
    }

    /// The part of the time left at its start that slab `k` may use,
    /// `w_k / Σ_{j ≥ k} w_j` (1 for the last slab). Computed as `left · w_k / Σ` by the
    /// caller, this is `left / (K − k)` to the bit when every share is 1.
    #[must_use]
    pub fn time_share(&self, k: usize) -> (f64, f64) {
        let rest: f64 = self.time_shares[k..].iter().sum();
        (self.time_shares[k], rest)
    }

    /// The solver configuration of slab `k`: `config` itself, except that with
    /// `warm_start = "first_slab"` a slab `k ≥ 1` runs the second method of the
    /// configured `switch` from its first iteration (the previous slab's parameters are a
    /// better start than the warm start's first method makes of them).
    #[must_use]
    pub fn slab_config(&self, k: usize, config: &SolverConfig) -> SolverConfig {
        let mut c = config.clone();
        if k > 0
            && !self.warm_start_every_slab
            && let Some(sw) = c.switch.take()
        {
            c.method = sw.then;
        }
        c
    }

    /// The part of a slab's time left at its start that stage `s` (1-based) of `count`
    /// may use, as `(v_s, Σ_{r = s}^{count} v_r)` (see [`TimeSlabs::stage_shares`]).
    #[must_use]
    pub fn stage_share(&self, s: usize, count: usize) -> (f64, f64) {
        let v = |r: usize| {
            self.stage_shares
                .get(r - 1)
                .or(self.stage_shares.last())
                .copied()
                .unwrap_or(1.0)
        };
        (v(s), (s..=count).map(v).sum())
    }

    /// `K`, the number of slabs.
    #[must_use]
    pub fn count(&self) -> usize {
        self.boundaries.len() - 1
    }

    /// `[t_k, t_{k+1}]`, the time interval of slab `k`.
    #[must_use]
    pub fn interval(&self, k: usize) -> (f64, f64) {
        (self.boundaries[k], self.boundaries[k + 1])
    }

    /// The slab a time belongs to: `k` with `t_k ≤ t < t_{k+1}`, so that a time on an
    /// inner boundary belongs to the later slab; the last slab is closed (and times
    /// outside the interval go to the first or last slab).
    #[must_use]
    pub fn slab_of(&self, t: f64) -> usize {
        let k = self.count();
        self.boundaries[1..k].iter().filter(|&&b| b <= t).count()
    }

    /// [`Self::slab_of`] of every row of `points` (its time coordinate).
    #[must_use]
    pub fn assign(&self, points: MatRef<'_, f64>) -> Vec<usize> {
        (0..points.nrows())
            .map(|i| self.slab_of(points[(i, self.time_var)]))
            .collect()
    }

    /// The rows of `points` that lie in slab `k` (by [`Self::slab_of`]), in order.
    #[must_use]
    pub fn rows_in(&self, points: MatRef<'_, f64>, k: usize) -> Vec<usize> {
        self.assign(points)
            .into_iter()
            .enumerate()
            .filter(|&(_, s)| s == k)
            .map(|(i, _)| i)
            .collect()
    }

    /// The sampler seed of slab `k` for a seed `seed` of the problem file: slab 0 keeps
    /// it (so a one-slab run draws the unslabbed problem's points), later slabs add `k`
    /// times the 64-bit golden ratio, far from the `seed + draw` sequence of resampling.
    #[must_use]
    pub fn seed(seed: u64, k: usize) -> u64 {
        seed.wrapping_add((k as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }
}

/// The values of a list of shares, each a positive number (else an error at it naming
/// the `what` share).
fn positive_shares(
    list: &[Spanned<f64>],
    what: &str,
    err: &impl Fn(Range<usize>, String) -> InputError,
) -> Result<Vec<f64>, InputError> {
    if let Some(bad) = list
        .iter()
        .find(|w| !(w.get_ref().is_finite() && *w.get_ref() > 0.0))
    {
        return Err(err(
            bad.span(),
            format!(
                "a {what} share must be a positive number, found {}",
                bad.get_ref()
            ),
        ));
    }
    Ok(list.iter().map(|w| *w.get_ref()).collect())
}

/// Reads and checks `[time_slabs]` against the built problem: exactly one of `count`
/// (≥ 1) and `boundaries` (strictly increasing, from `t_min` to `t_max`), a time
/// variable, at least one `initial` block, no output transform that constrains the time
/// variable (one adding a known function of it to the network is fine) and
/// no block points read from a file (every slab draws its own).
pub(super) fn schedule(
    path: &Path,
    text: &str,
    spec: Option<&Spanned<TimeSlabsSpec>>,
    problem: &Problem,
    stage_entries: usize,
) -> Result<Option<TimeSlabs>, InputError> {
    let Some(spec) = spec else {
        return Ok(None);
    };
    let err = |span: Range<usize>, m: String| InputError::at_span(path, text, span, m);
    let s = spec.get_ref();
    // The spans of the domain, transform entries and block points are in the spec,
    // which the build consumed: read the text again (it parsed a moment ago).
    let again = super::load::parse_spec(path, text)?;
    let time_var = again
        .domain
        .get_ref()
        .time
        .as_ref()
        .and_then(|t| problem.domain.axis(t.get_ref()))
        .ok_or_else(|| {
            err(
                spec.span(),
                "`[time_slabs]` needs a time variable: add `time = \"t\"` to `[domain]`".into(),
            )
        })?;
    let (lo, hi) = (problem.domain.lo()[time_var], problem.domain.hi()[time_var]);
    let t = &problem.domain.names()[time_var];
    let slabs = match (&s.count, &s.boundaries) {
        (Some(_), Some(b)) => {
            return Err(err(
                b.span(),
                "give either `count` or `boundaries` in `[time_slabs]`, not both".into(),
            ));
        }
        (None, None) => {
            return Err(err(
                spec.span(),
                "`[time_slabs]` needs `count` (equal slabs) or `boundaries` (the slab ends)".into(),
            ));
        }
        (Some(c), None) => {
            if *c.get_ref() < 1 {
                return Err(err(
                    c.span(),
                    format!("`count` must be ≥ 1, found {}", c.get_ref()),
                ));
            }
            TimeSlabs::equal(time_var, lo, hi, *c.get_ref() as usize)
        }
        (None, Some(b)) => {
            let list = b.get_ref();
            if list.len() < 2 {
                return Err(err(
                    b.span(),
                    format!(
                        "`boundaries` needs at least two times ({t}_min and {t}_max), found {}",
                        list.len()
                    ),
                ));
            }
            for w in list.windows(2) {
                let (a, z) = (*w[0].get_ref(), *w[1].get_ref());
                if z.partial_cmp(&a) != Some(std::cmp::Ordering::Greater) || !z.is_finite() {
                    return Err(err(
                        w[1].span(),
                        format!("`boundaries` must be strictly increasing: {z} follows {a}"),
                    ));
                }
            }
            let (first, last) = (&list[0], &list[list.len() - 1]);
            if *first.get_ref() != lo {
                return Err(err(
                    first.span(),
                    format!(
                        "the first boundary must be the lower bound of `{t}`, {lo}: the slabs must span the time interval"
                    ),
                ));
            }
            if *last.get_ref() != hi {
                return Err(err(
                    last.span(),
                    format!(
                        "the last boundary must be the upper bound of `{t}`, {hi}: the slabs must span the time interval"
                    ),
                ));
            }
            TimeSlabs {
                time_var,
                boundaries: list.iter().map(|v| *v.get_ref()).collect(),
                time_shares: vec![1.0; list.len() - 1],
                warm_start_every_slab: true,
                built_in_handover: false,
                carry_curvature: false,
                stage_shares: Vec::new(),
            }
        }
    };
    let mut slabs = slabs;
    if let Some(ts) = &s.time_shares {
        let list = ts.get_ref();
        if list.len() != slabs.count() {
            return Err(err(
                ts.span(),
                format!(
                    "`time_shares` needs one share per slab ({}), found {}",
                    slabs.count(),
                    list.len()
                ),
            ));
        }
        slabs.time_shares = positive_shares(list, "time", &err)?;
    }
    if let Some(ss) = &s.stage_shares {
        let list = ss.get_ref();
        if stage_entries == 0 {
            return Err(err(
                ss.span(),
                "`stage_shares` splits each slab's time among its correction stages, and \
                 the file has no `[[stages]]`"
                    .into(),
            ));
        }
        if list.len() != stage_entries + 1 {
            return Err(err(
                ss.span(),
                format!(
                    "`stage_shares` needs one share per stage ({}: stage 1 and the {} \
                     `[[stages]]` entries), found {}",
                    stage_entries + 1,
                    stage_entries,
                    list.len()
                ),
            ));
        }
        slabs.stage_shares = positive_shares(list, "stage", &err)?;
    }
    if let Some(w) = &s.warm_start {
        slabs.warm_start_every_slab = !two_valued(
            w,
            "warm_start",
            ("every_slab", "the solver's first method runs in every slab"),
            ("first_slab", "in the first slab only"),
            &err,
        )?;
    }
    if let Some(h) = &s.handover {
        slabs.built_in_handover = two_valued(
            h,
            "handover",
            (
                "loss",
                "each slab fits the previous slab's end values through its `initial` blocks",
            ),
            ("built_in", "they are built into the slab's solution"),
            &err,
        )?;
    }
    if let Some(c) = &s.curvature {
        slabs.carry_curvature = two_valued(
            c,
            "curvature",
            (
                "fresh",
                "each slab's solver starts without curvature memory",
            ),
            (
                "carried",
                "it takes over the memory the previous slab's solver ended with",
            ),
            &err,
        )?;
    }
    if slabs.built_in_handover {
        built_in_handover_fits(&again, problem, h_span(s, spec), &err)?;
    }
    if !problem
        .blocks
        .iter()
        .any(|b| matches!(b.kind(), BlockKind::InitialValue { .. }))
    {
        return Err(err(
            spec.span(),
            "`[time_slabs]` needs an `initial` block: each slab takes its initial values \
             from the previous slab's solution through it"
                .into(),
        ));
    }
    if let Some(o) = problem.transform.constrains_variable(time_var) {
        let output = &problem.context.outputs()[o];
        let span = again
            .transform
            .iter()
            .find(|(k, _)| k.get_ref() == output)
            .map_or(spec.span(), |(_, v)| v.span());
        return Err(err(
            span,
            format!(
                "the transform of `{output}` reads the time variable `{t}`, which cannot be \
                 combined with `[time_slabs]`: such an ansatz builds in the initial data at \
                 {t} = {lo} only, while each later slab starts from the previous slab's \
                 solution at its own first time (an ansatz that adds a known function to \
                 the network, `N + g({t}, …)`, is allowed)"
            ),
        ));
    }
    if let Some(f) = again
        .blocks
        .iter()
        .find_map(|b| b.get_ref().points.get_ref().file.as_ref())
    {
        return Err(err(
            f.span(),
            "block points read from a file cannot be used with `[time_slabs]`: every slab \
             draws its own points inside its time interval"
                .into(),
        ));
    }
    Ok(Some(slabs))
}

/// A two-valued text option `key`: `false` for `off`'s value, `true` for `on`'s, else
/// an error at its place naming both values with what they mean.
fn two_valued(
    value: &Spanned<String>,
    key: &str,
    off: (&str, &str),
    on: (&str, &str),
    err: &impl Fn(Range<usize>, String) -> InputError,
) -> Result<bool, InputError> {
    match value.get_ref().as_str() {
        v if v == off.0 => Ok(false),
        v if v == on.0 => Ok(true),
        other => Err(err(
            value.span(),
            format!(
                "`{key}` must be \"{}\" ({}) or \"{}\" ({}), found \"{other}\"",
                off.0, off.1, on.0, on.1
            ),
        )),
    }
}

/// The span of `handover` (the table's when absent).
fn h_span(s: &TimeSlabsSpec, spec: &Spanned<TimeSlabsSpec>) -> Range<usize> {
    s.handover.as_ref().map_or(spec.span(), Spanned::span)
}

/// `handover = "built_in"` needs every output's initial data as an expression (one
/// `initial` block per output, with a `value`), no `initial_velocity` block (a second
/// order in time would need `∂u/∂t` built in too), and no output transform (the slab's
/// solution is the ansatz `g + B_k + (t − t_k) N` itself).
fn built_in_handover_fits(
    spec: &super::spec::ProblemSpec,
    problem: &Problem,
    span: Range<usize>,
    err: &impl Fn(Range<usize>, String) -> InputError,
) -> Result<(), InputError> {
    if let Some((k, _)) = spec.transform.iter().next() {
        return Err(err(
            k.span(),
            "an output transform cannot be combined with `handover = \"built_in\"`: each \
             slab's solution is the ansatz u = g + B_k + (t − t_k) N, with g the initial data \
             and B_k the earlier slabs' end values"
                .into(),
        ));
    }
    if let Some(b) = spec
        .blocks
        .iter()
        .find(|b| b.get_ref().kind.get_ref() == "initial_velocity")
    {
        return Err(err(
            b.get_ref().kind.span(),
            "an `initial_velocity` block cannot be combined with `handover = \"built_in\"`, \
             which builds in the values only; use `handover = \"loss\"`"
                .into(),
        ));
    }
    for (o, output) in problem.context.outputs().iter().enumerate() {
        let n = problem
            .blocks
            .iter()
            .filter(|b| matches!(b.kind(), BlockKind::InitialValue { output, .. } if *output == o))
            .count();
        if n != 1 {
            return Err(err(
                span.clone(),
                format!(
                    "`handover = \"built_in\"` needs exactly one `initial` block for every \
                     output (its `value` is built into the first slab); `{output}` has {n}"
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_slabs_end_exactly_at_the_bounds() {
        let s = TimeSlabs::equal(0, 0.0, 1.0, 3);
        assert_eq!(s.count(), 3);
        assert_eq!(s.boundaries[0], 0.0);
        assert_eq!(s.boundaries[3], 1.0);
        assert_eq!(s.interval(1), (1.0 / 3.0, 2.0 / 3.0));
        let one = TimeSlabs::equal(1, -2.0, 5.0, 1);
        assert_eq!(one.boundaries, vec![-2.0, 5.0]);
    }

    #[test]
    fn a_boundary_point_belongs_to_the_later_slab_and_the_last_slab_is_closed() {
        let s = TimeSlabs {
            time_var: 1,
            boundaries: vec![0.0, 0.1, 0.3, 1.0],
            time_shares: vec![1.0; 3],
            warm_start_every_slab: true,
            built_in_handover: false,
            carry_curvature: false,
            stage_shares: Vec::new(),
        };
        assert_eq!(s.slab_of(0.0), 0);
        assert_eq!(s.slab_of(0.05), 0);
        assert_eq!(s.slab_of(0.1), 1);
        assert_eq!(s.slab_of(0.2999), 1);
        assert_eq!(s.slab_of(0.3), 2);
        assert_eq!(s.slab_of(1.0), 2);
        assert_eq!(s.slab_of(-1.0), 0);
        assert_eq!(s.slab_of(2.0), 2);
        let pts = faer::Mat::from_fn(
            4,
            2,
            |i, j| if j == 1 { [0.3, 0.0, 1.0, 0.1][i] } else { 9.0 },
        );
        assert_eq!(s.assign(pts.as_ref()), vec![2, 0, 2, 1]);
        assert_eq!(s.rows_in(pts.as_ref(), 2), vec![0, 2]);
        assert!(s.rows_in(pts.as_ref(), 3).is_empty());
    }

    /// Equal shares split the time left evenly, to the bit; unequal ones in proportion.
    #[test]
    fn time_shares_split_the_time_left() {
        let mut s = TimeSlabs::equal(0, 0.0, 1.0, 4);
        for k in 0..4 {
            let (w, rest) = s.time_share(k);
            let left = 587.123_456_789;
            assert_eq!(left * w / rest, left / (4 - k) as f64);
        }
        s.time_shares = vec![3.0, 1.0, 1.0, 1.0];
        assert_eq!(s.time_share(0), (3.0, 6.0));
        assert_eq!(s.time_share(1), (1.0, 3.0));
        assert_eq!(s.time_share(3), (1.0, 1.0));
    }

    /// With `warm_start = "first_slab"` the slabs after the first run the switch's
    /// second method from their first iteration; slab 0, and every slab by default,
    /// keep the configuration as it is.
    #[test]
    fn later_slabs_skip_the_warm_start_only_when_asked() {
        let mut config = SolverConfig::lm();
        config.method = pinn_solvers::Method::Adam;
        config.switch = Some(pinn_solvers::config::SwitchConfig {
            after_iterations: 1000,
            then: pinn_solvers::Method::SsBroyden,
        });
        let mut s = TimeSlabs::equal(0, 0.0, 1.0, 3);
        for k in 0..3 {
            assert_eq!(s.slab_config(k, &config), config);
        }
        s.warm_start_every_slab = false;
        assert_eq!(s.slab_config(0, &config), config);
        for k in 1..3 {
            let c = s.slab_config(k, &config);
            assert_eq!(c.method, pinn_solvers::Method::SsBroyden);
            assert_eq!(c.switch, None);
            let mut rest = c.clone();
            rest.method = config.method;
            rest.switch = config.switch.clone();
            assert_eq!(rest, config, "nothing else changes");
        }
        let plain = SolverConfig::lm();
        assert_eq!(
            s.slab_config(2, &plain),
            plain,
            "no switch: nothing to skip"
        );
    }

    #[test]
    fn slab_zero_keeps_the_seed_and_later_slabs_move_far_away() {
        assert_eq!(TimeSlabs::seed(7, 0), 7);
        let s1 = TimeSlabs::seed(7, 1);
        let s2 = TimeSlabs::seed(7, 2);
        assert!(s1.abs_diff(7) > 1 << 40 && s2.abs_diff(s1) > 1 << 40);
        assert_eq!(
            TimeSlabs::seed(u64::MAX, 1),
            u64::MAX.wrapping_add(0x9E37_79B9_7F4A_7C15)
        );
    }
}
