//! Residuals written in Rust, generic over the scalar type, and their adapter to the
//! engine's [`PointResidual`] contract.
//!
//! A residual `F(x, c_1, …, c_K)` is written once as a function of `S: Float`. Evaluated
//! on `f64` it gives `F`; evaluated on [`Dual`] with channel `k` seeded (`c_k + 1·ε`,
//! the others constant) it gives `F + (∂F/∂c_k) ε`. [`RustResidual`] does `K` such passes
//! per point (one tangent per pass), which is exact to rounding and needs no symbolic
//! work (the chain rule `∂r/∂θ = Σ_k (∂F/∂c_k) ∂c_k/∂θ`).

use num_traits::Float;

use super::channel::Channel;
use super::dual::Dual;
use super::pointwise::PointResidual;

/// A pointwise residual `F(x, c)` written in Rust, generic over the scalar.
///
/// The coordinates `x` are plain `f64` (the residual is never differentiated in `x`
/// here: `x`-derivatives of the network come in through the channels). Constants in the
/// formula are lifted with `S::from(value).unwrap()` (always `Some` for `f64` and
/// [`Dual`]).
pub trait Residual: Send + Sync {
    /// The channels `F` reads, in the order of the `c` slice passed to [`Self::eval`].
    fn channels(&self) -> Vec<Channel>;
    /// `F(x, c)`.
    fn eval<S: Float>(&self, x: &[f64], c: &[S]) -> S;
}

/// Channel counts up to this size are evaluated from a stack array (no allocation per
/// point); larger residuals fall back to a heap buffer per point.
pub const STACK_CHANNELS: usize = 16;

/// Adapter from a [`Residual`] to [`PointResidual`]: the partials `∂F/∂c_k` come from
/// `K` forward passes on [`Dual`] numbers.
#[derive(Clone, Debug)]
pub struct RustResidual<R> {
    residual: R,
    channels: Vec<Channel>,
}

impl<R: Residual> RustResidual<R> {
    /// Wraps `residual`, caching its channel list.
    pub fn new(residual: R) -> Self {
        let channels = residual.channels();
        RustResidual { residual, channels }
    }
    /// The wrapped residual.
    pub fn inner(&self) -> &R {
        &self.residual
    }

    /// The `K` dual passes over the buffer `duals` (holding `c` with zero tangents).
    fn passes(&self, x: &[f64], duals: &mut [Dual], dfdc: &mut [f64]) -> f64 {
        let mut value = f64::NAN;
        for k in 0..duals.len() {
            duals[k].eps = 1.0;
            let f = self.residual.eval(x, duals);
            duals[k].eps = 0.0;
            dfdc[k] = f.eps;
            value = f.re;
        }
        value
    }
}

impl<R: Residual> PointResidual for RustResidual<R> {
    fn channels(&self) -> &[Channel] {
        &self.channels
    }

    fn eval(&self, x: &[f64], c: &[f64], dfdc: &mut [f64]) -> f64 {
        let k = c.len();
        assert_eq!(k, self.channels.len(), "one value per channel");
        assert_eq!(dfdc.len(), k, "one partial per channel");
        if k == 0 {
            return self.residual.eval::<f64>(x, c);
        }
        if k <= STACK_CHANNELS {
            let mut buf = [Dual::default(); STACK_CHANNELS];
            for (b, &v) in buf.iter_mut().zip(c) {
                *b = Dual::constant(v);
            }
            self.passes(x, &mut buf[..k], dfdc)
        } else {
            let mut buf: Vec<Dual> = c.iter().map(|&v| Dual::constant(v)).collect();
            self.passes(x, &mut buf, dfdc)
        }
    }

    fn value(&self, x: &[f64], c: &[f64]) -> f64 {
        self.residual.eval::<f64>(x, c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `F = c0 · exp(c1) − sin(x0) · c2²` with hand-derived partials.
    struct Toy;
    impl Residual for Toy {
        fn channels(&self) -> Vec<Channel> {
            vec![
                Channel::Value { output: 0 },
                Channel::First { output: 0, var: 0 },
                Channel::second(0, 0, 0),
            ]
        }
        fn eval<S: Float>(&self, x: &[f64], c: &[S]) -> S {
            let s = S::from(x[0].sin()).unwrap();
            c[0] * c[1].exp() - s * c[2] * c[2]
        }
    }

    #[test]
    fn partials_match_hand_derivation() {
        let r = RustResidual::new(Toy);
        let x = [0.7];
        let c = [1.3, -0.4, 2.1];
        let mut a = [0.0; 3];
        let f = r.eval(&x, &c, &mut a);
        let s = 0.7f64.sin();
        assert_eq!(f, 1.3 * (-0.4f64).exp() - s * 2.1 * 2.1);
        assert_eq!(f, r.value(&x, &c));
        assert!((a[0] - (-0.4f64).exp()).abs() < 1e-15);
        assert!((a[1] - 1.3 * (-0.4f64).exp()).abs() < 1e-15);
        assert!((a[2] + 2.0 * s * 2.1).abs() < 1e-15);
        assert_eq!(r.channels().len(), 3);
    }

    /// More channels than the stack buffer: `F = Σ_k k c_k²`, `∂F/∂c_k = 2 k c_k`.
    struct Wide;
    impl Residual for Wide {
        fn channels(&self) -> Vec<Channel> {
            (0..STACK_CHANNELS + 3)
                .map(|o| Channel::Value { output: o })
                .collect()
        }
        fn eval<S: Float>(&self, _x: &[f64], c: &[S]) -> S {
            c.iter()
                .enumerate()
                .fold(S::zero(), |acc, (k, &v)| acc + S::from(k).unwrap() * v * v)
        }
    }

    #[test]
    fn wide_residuals_use_the_heap_path() {
        let r = RustResidual::new(Wide);
        let n = STACK_CHANNELS + 3;
        let c: Vec<f64> = (0..n).map(|k| 0.1 * k as f64 - 0.5).collect();
        let mut a = vec![0.0; n];
        let f = r.eval(&[], &c, &mut a);
        let expect: f64 = c.iter().enumerate().map(|(k, v)| k as f64 * v * v).sum();
        assert!((f - expect).abs() < 1e-14);
        for k in 0..n {
            assert!((a[k] - 2.0 * k as f64 * c[k]).abs() < 1e-15, "k = {k}");
        }
    }
}
