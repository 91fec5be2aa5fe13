//! The jet rules of the slots of order 3 and 4 (see [`HigherSlot`]): forward, adjoint and
//! tangent, for one neuron of a chunk.
//!
//! With `h = σ(z)` and the merged Faà di Bruno terms `T = coef · σ^{(k)}(z) Π_i z_{s_i}`:
//!
//! ```text
//!   h_α = σ' z_α + Σ_T T
//!   z̄   += (σ'' z_α + Σ_T coef σ^{(k+1)} Π_i z_{s_i}) ĥ_α
//!   z̄_{s_i} += coef σ^{(k)} Π_{j≠i} z_{s_j} ĥ_α           (z̄_α += σ' ĥ_α as for every slot)
//!   ḣ_α = σ'' ż z_α + σ' ż_α + Σ_T coef (σ^{(k+1)} ż Π_i z_{s_i} + σ^{(k)} Σ_i ż_{s_i} Π_{j≠i} z_{s_j})
//! ```
//!
//! the derivatives of the forward rule in `z` (value and slots). A term of `k` factors
//! needs `σ^{(k+1)}` in the adjoint and tangent, hence `σ^{(5)}` for order 4. Every loop
//! runs over the `nb` points of the chunk with the factor count a compile-time constant,
//! so it vectorises like the order-≤2 rules. The layout is that of [`super::jets`]: slot
//! `c` of the neuron is the run `[c·nb, (c+1)·nb)`; `d` holds `σ … σ^{(5)}` at the value
//! rows, derivative `i` at `[i·nb, (i+1)·nb)`.

use super::plan::{FdbTerm, HigherSlot, JetPlan};

/// The `nb`-run of slot `c` in a neuron's column.
#[inline(always)]
fn run(buf: &[f64], c: usize, nb: usize) -> &[f64] {
    &buf[c * nb..(c + 1) * nb]
}

/// Calls `f::<K>(slots)` with the term's slots as a fixed-size array.
macro_rules! by_arity {
    ($term:expr, $f:ident, $($arg:expr),*) => {
        match $term.slots[..] {
            [a, b] => $f::<2>([a, b], $term.coef, $($arg),*),
            [a, b, c] => $f::<3>([a, b, c], $term.coef, $($arg),*),
            [a, b, c, e] => $f::<4>([a, b, c, e], $term.coef, $($arg),*),
            _ => unreachable!("a Faà di Bruno term of order ≤ 4 has 2 to 4 blocks"),
        }
    };
}

/// Forward: `sc[α] = σ' z_α + Σ_T T` for every higher slot of one neuron.
pub(crate) fn activate(plan: &JetPlan, zc: &[f64], sc: &mut [f64], d: &[f64], nb: usize) {
    let d1 = run(d, 1, nb);
    for (h, slot) in plan.highers.iter().enumerate() {
        let c = plan.higher_slot(h);
        let out = &mut sc[c * nb..(c + 1) * nb];
        for ((o, &s), &zs) in out.iter_mut().zip(d1).zip(run(zc, c, nb)) {
            *o = s * zs;
        }
        for t in &slot.terms {
            by_arity!(t, term_forward, out, run(d, t.slots.len(), nb), zc, nb);
        }
    }
}

#[inline(always)]
fn term_forward<const K: usize>(
    slots: [usize; K],
    coef: f64,
    out: &mut [f64],
    dk: &[f64],
    zc: &[f64],
    nb: usize,
) {
    let f: [&[f64]; K] = std::array::from_fn(|i| run(zc, slots[i], nb));
    for p in 0..nb {
        let mut prod = coef * dk[p];
        for fi in &f {
            prod *= fi[p];
        }
        out[p] += prod;
    }
}

/// Adjoint: adds the higher slots' share to `g = z̄` of one neuron (whose every slot
/// already holds `σ' ŝ`), from `sh = ŝ`.
pub(crate) fn adjoint(plan: &JetPlan, zc: &[f64], sh: &[f64], g: &mut [f64], d: &[f64], nb: usize) {
    let d2 = run(d, 2, nb);
    for (h, slot) in plan.highers.iter().enumerate() {
        let c = plan.higher_slot(h);
        let (za, sha) = (run(zc, c, nb), run(sh, c, nb));
        for p in 0..nb {
            g[p] += d2[p] * za[p] * sha[p];
        }
        adjoint_terms(slot, zc, sha, g, d, nb);
    }
}

fn adjoint_terms(slot: &HigherSlot, zc: &[f64], sha: &[f64], g: &mut [f64], d: &[f64], nb: usize) {
    for t in &slot.terms {
        let k = t.slots.len();
        by_arity!(
            t,
            term_adjoint,
            g,
            run(d, k, nb),
            run(d, k + 1, nb),
            zc,
            sha,
            nb
        );
    }
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn term_adjoint<const K: usize>(
    slots: [usize; K],
    coef: f64,
    g: &mut [f64],
    dk: &[f64],
    dk1: &[f64],
    zc: &[f64],
    sha: &[f64],
    nb: usize,
) {
    for p in 0..nb {
        let w = coef * sha[p];
        let f: [f64; K] = std::array::from_fn(|i| zc[slots[i] * nb + p]);
        let prod: f64 = f.iter().product();
        g[p] += dk1[p] * prod * w;
        for i in 0..K {
            let others: f64 = (0..K).filter(|&j| j != i).map(|j| f[j]).product();
            g[slots[i] * nb + p] += dk[p] * others * w;
        }
    }
}

/// Tangent: `ts[α] = ḣ_α` for every higher slot of one neuron, from `tz = ż`.
pub(crate) fn tangent(
    plan: &JetPlan,
    zc: &[f64],
    tz: &[f64],
    ts: &mut [f64],
    d: &[f64],
    nb: usize,
) {
    let (d1, d2, tz0) = (run(d, 1, nb), run(d, 2, nb), run(tz, 0, nb));
    for (h, slot) in plan.highers.iter().enumerate() {
        let c = plan.higher_slot(h);
        let (za, ta) = (run(zc, c, nb), run(tz, c, nb));
        let out = &mut ts[c * nb..(c + 1) * nb];
        for p in 0..nb {
            out[p] = d2[p] * tz0[p] * za[p] + d1[p] * ta[p];
        }
        for t in &slot.terms {
            tangent_term(t, out, d, zc, tz, nb);
        }
    }
}

fn tangent_term(t: &FdbTerm, out: &mut [f64], d: &[f64], zc: &[f64], tz: &[f64], nb: usize) {
    let k = t.slots.len();
    by_arity!(
        t,
        term_tangent,
        out,
        run(d, k, nb),
        run(d, k + 1, nb),
        zc,
        tz,
        nb
    );
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn term_tangent<const K: usize>(
    slots: [usize; K],
    coef: f64,
    out: &mut [f64],
    dk: &[f64],
    dk1: &[f64],
    zc: &[f64],
    tz: &[f64],
    nb: usize,
) {
    for p in 0..nb {
        let f: [f64; K] = std::array::from_fn(|i| zc[slots[i] * nb + p]);
        let prod: f64 = f.iter().product();
        let mut cross = 0.0;
        for i in 0..K {
            let others: f64 = (0..K).filter(|&j| j != i).map(|j| f[j]).product();
            cross += tz[slots[i] * nb + p] * others;
        }
        out[p] += coef * (dk1[p] * tz[p] * prod + dk[p] * cross);
    }
}
