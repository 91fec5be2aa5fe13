//! The activation of a hidden layer in passes that end with the values (residuals,
//! line-search losses), fused with its neighbours where that saves memory traffic and
//! changes no number.
//!
//! A value pass reads only the network's output jets, so two intermediate arrays need not
//! be written out in full:
//!
//! - **The input layer's derivative slots.** Without an embedding the input jets' rows
//!   past the value slot are the same at every point, so each derivative slot of the first
//!   layer's `z` is one number per neuron ([`linear_input`] without copies leaves it at
//!   the slot's first row). The activation rules read that number instead of a run of
//!   `nb` copies ([`PreActivations::InputLayer`]).
//! - **A single output.** When the next layer has one output and is computed by
//!   [`has_single_output_path`]'s sum `z = Σ_q s_q w_q` (fused multiply-adds from `0`,
//!   neuron after neuron) plus the bias on the value rows, each neuron's post-activation
//!   jets are added into `z` as soon as they are made ([`PostActivations::SingleOutput`])
//!   instead of being stored for a product.
//!
//! Each number is computed by the same operations in the same order as the unfused pass
//! ([`linear_input`], [`activate`], [`linear`]), so the outputs are the same bit for bit;
//! everything a neuron touches stays in the first-level cache.
//!
//! [`linear_input`]: super::jets::linear_input
//! [`has_single_output_path`]: super::jets::has_single_output_path
//! [`activate`]: super::jets::activate
//! [`linear`]: super::jets::linear

use super::Activation;
use super::jets::neuron_rules;
use super::plan::JetPlan;
use super::simd::vector_dispatch;

/// Where a hidden layer's pre-activation jets are (width `n`, `rows = C·nb` per neuron).
#[derive(Clone, Copy)]
pub(crate) enum PreActivations<'a> {
    /// Every row, as [`linear`](super::jets::linear) writes them.
    Jets(&'a [f64]),
    /// The input layer as [`linear_input`](super::jets::linear_input) without copies
    /// writes it: the value rows, and each derivative slot's number (the same at every
    /// point) at the slot's first row.
    InputLayer(&'a [f64]),
}

/// Where a hidden layer's post-activation jets go.
pub(crate) enum PostActivations<'a> {
    /// Every row stored (width `n`), as [`activate`](super::jets::activate) writes them.
    Jets(&'a mut [f64]),
    /// Only into the next layer's single output `z` (`rows` numbers):
    /// `z = fma(s_q, w_q, …fma(s_0, w_0, 0))`, then `+ b` on the value rows, as
    /// [`linear`](super::jets::linear) computes it. `scratch` holds the jets of
    /// [`OUTPUT_GROUP`] neurons (`OUTPUT_GROUP · rows` numbers).
    SingleOutput {
        w: &'a [f64],
        b: f64,
        z: &'a mut [f64],
        scratch: &'a mut [f64],
    },
}

/// Neurons whose jets [`PostActivations::SingleOutput`] collects before adding them to
/// the output in one pass (so the output is read and written once per group).
const OUTPUT_GROUP: usize = 4;

/// `z ← fma(s_g, w_g, … fma(s_0, w_0, z))` row by row for the `w.len()` neurons whose jets
/// are `scratch[g·rows .. (g+1)·rows]`: in neuron order, as the sum over all neurons.
#[inline(always)]
fn add_neurons(z: &mut [f64], scratch: &[f64], w: &[f64], rows: usize) {
    match w.len() {
        4 => add_group::<4>(z, scratch, w, rows),
        3 => add_group::<3>(z, scratch, w, rows),
        2 => add_group::<2>(z, scratch, w, rows),
        _ => add_group::<1>(z, scratch, w, rows),
    }
}

#[inline(always)]
fn add_group<const G: usize>(z: &mut [f64], scratch: &[f64], w: &[f64], rows: usize) {
    let s: [&[f64]; G] = std::array::from_fn(|g| &scratch[g * rows..(g + 1) * rows]);
    let w: [f64; G] = std::array::from_fn(|g| w[g]);
    for (i, o) in z.iter_mut().enumerate() {
        let mut a = *o;
        for g in 0..G {
            a = s[g][i].mul_add(w[g], a);
        }
        *o = a;
    }
}

/// Whether [`activate_values`] can take a pass with this plan from the input layer: it
/// has the rules of order ≤ 2 only.
pub(crate) fn takes_input_layer(plan: &JetPlan) -> bool {
    plan.highers.is_empty()
}

vector_dispatch! {
    /// The activation `σ` of a hidden layer of width `n` for a value pass (see the module
    /// docs): from `pre` to `post`, with `σ` and the derivatives the forward rule reads
    /// ([`JetPlan::forward_derivs`]) in `sig` (scratch: `4·nb` numbers, reused for every
    /// neuron). Slots of order 3 and 4 need [`PreActivations::Jets`] and
    /// [`PostActivations::Jets`]' rows: use [`activate`](super::jets::activate) for them.
    pub(crate) fn activate_values(
        act: Activation,
        plan: &JetPlan,
        pre: PreActivations<'_>,
        post: PostActivations<'_>,
        n: usize,
        nb: usize,
        sig: &mut [f64],
    ) {
        assert!(takes_input_layer(plan), "rules of order ≤ 2 only");
        let rows = plan.n_slots() * nb;
        let mut post = post;
        if let PostActivations::SingleOutput { z, .. } = &mut post {
            z[..rows].fill(0.0);
        }
        let dall = &mut sig[..4 * nb];
        for q in 0..n {
            let zc = match pre {
                PreActivations::Jets(z) | PreActivations::InputLayer(z) => {
                    &z[q * rows..(q + 1) * rows]
                }
            };
            act.derivs_upto_into(&zc[..nb], dall, plan.forward_derivs());
            let d: [&[f64]; 4] = std::array::from_fn(|i| &dall[i * nb..(i + 1) * nb]);
            // A single output collects the jets of `OUTPUT_GROUP` neurons, then adds them.
            let g = q % OUTPUT_GROUP;
            let sc: &mut [f64] = match &mut post {
                PostActivations::Jets(s) => &mut s[q * rows..(q + 1) * rows],
                PostActivations::SingleOutput { scratch, .. } => {
                    &mut scratch[g * rows..(g + 1) * rows]
                }
            };
            match pre {
                PreActivations::Jets(_) => {
                    neuron_rules(plan, d, move |c| &zc[c * nb..(c + 1) * nb], sc, nb)
                }
                PreActivations::InputLayer(_) => {
                    neuron_rules(plan, d, move |c| zc[c * nb], sc, nb)
                }
            }
            if let PostActivations::SingleOutput { w, z, scratch, .. } = &mut post
                && (g + 1 == OUTPUT_GROUP || q + 1 == n)
            {
                add_neurons(&mut z[..rows], scratch, &w[q - g..=q], rows);
            }
        }
        if let PostActivations::SingleOutput { b, z, .. } = &mut post {
            let b = *b;
            z[..nb].iter_mut().for_each(|v| *v += b);
        }
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::super::input_jets::Inputs;
    use super::super::jets::Workspace;
    use super::super::kernel::{Pts, forward};
    use super::super::plan::JetPlan;
    use super::super::tests::{ACTS, all_channels, random_points, random_theta};
    use super::super::{Embedding, Mlp};
    use crate::residual::Channel;

    /// The output jets of the value pass (fused where it applies) against those of the
    /// pass that keeps every layer for a reverse sweep (never fused), bit for bit, for
    /// every chunk of `n` points.
    fn assert_same_outputs(net: &Mlp, channels: &[Channel], n: usize, seed: u64) {
        let mut rng = StdRng::seed_from_u64(seed);
        let d = net.embedding().n_inputs();
        let points = random_points(n, d, &mut rng);
        let theta = random_theta(net, seed);
        let plan = JetPlan::new(channels, d, net.n_outputs());
        let pts = Pts::new(net, Inputs::new(points.as_ref(), None, 0), &plan);
        let (layers, slots) = (net.layers(), plan.n_slots());
        let mut fused = Workspace::new(layers, slots, channels.len(), n, false);
        let mut plain = Workspace::new(layers, slots, channels.len(), n, false);
        forward(net, &theta, &plan, pts, 0, n, &mut fused, false);
        forward(net, &theta, &plan, pts, 0, n, &mut plain, true);
        let len = plain.rows * net.n_outputs();
        let last = layers.len() - 2;
        let (got, want) = (&fused.z[last][..len], &plain.z[last][..len]);
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert_eq!(
                g.to_bits(),
                w.to_bits(),
                "{layers:?}, {:?}, {n} points: row {i}: {g:e} against {w:e}",
                net.activation()
            );
        }
    }

    #[test]
    fn the_value_pass_gives_the_bits_of_the_unfused_pass() {
        // One hidden layer (input layer and single output both fused), deeper networks,
        // hidden layers at and below the single-output threshold, several outputs, an
        // input layer too wide for the input path, 1–5 inputs (every `input_values`
        // width and the general loop), and chunks whose length is no multiple of a
        // vector.
        let shapes: [&[usize]; 9] = [
            &[2, 32, 1],
            &[3, 16, 12, 1],
            &[2, 8, 1],
            &[2, 9, 1],
            &[2, 20, 2],
            &[9, 12, 1],
            &[1, 10, 10, 1],
            &[4, 13, 1],
            &[5, 11, 7, 1],
        ];
        for act in ACTS {
            for (i, layers) in shapes.iter().enumerate() {
                let net = Mlp::new(layers, act);
                let (d, m) = (layers[0], layers[layers.len() - 1]);
                let values = vec![Channel::Value { output: 0 }];
                for (j, channels) in [all_channels(d, m), values].iter().enumerate() {
                    for n in [1, 37, 98] {
                        assert_same_outputs(&net, channels, n, (10 * i + j) as u64);
                    }
                }
            }
        }
    }

    #[test]
    fn slots_of_order_three_and_an_embedding_keep_the_unfused_rules() {
        let mut higher = all_channels(2, 1);
        higher.push(Channel::higher(0, &[0, 0, 1]));
        higher.push(Channel::higher(0, &[1, 1, 1, 1]));
        for act in ACTS {
            assert_same_outputs(&Mlp::new(&[2, 12, 1], act), &higher, 37, 1);
            let fourier = Embedding::new(2, &[], Some((4, 0.8, 1))).unwrap();
            let net = Mlp::with_embedding(&[2, 12, 1], act, fourier).unwrap();
            assert_same_outputs(&net, &all_channels(2, 1), 37, 2);
        }
    }
}
