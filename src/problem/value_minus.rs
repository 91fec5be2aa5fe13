//! The Dirichlet residual of a problem file's `dirichlet` block.

use std::sync::Arc;

use crate::residual::{Channel, PointFunction, PointResidual};

/// `F = u_o − g(x)`, `∂F/∂u_o = 1`. The boundary data `g(x)` depends on the point alone,
/// so it is the residual's point-only part: evaluated once per point and reused for
/// every θ of a solve ([`PointResidual::point_part`]).
pub(crate) struct ValueMinus {
    channel: [Channel; 1],
    g: Arc<dyn PointFunction>,
}

impl ValueMinus {
    /// `u_o − g(x)` for the value channel `channel`.
    pub(crate) fn new(channel: Channel, g: Arc<dyn PointFunction>) -> Self {
        ValueMinus {
            channel: [channel],
            g,
        }
    }
}

impl PointResidual for ValueMinus {
    fn channels(&self) -> &[Channel] {
        &self.channel
    }
    fn eval(&self, x: &[f64], c: &[f64], dfdc: &mut [f64]) -> f64 {
        dfdc[0] = 1.0;
        self.value(x, c)
    }
    fn value(&self, x: &[f64], c: &[f64]) -> f64 {
        c[0] - self.g.eval(x)
    }
    fn point_part_len(&self) -> usize {
        1
    }
    fn point_part(&self, x: &[f64], out: &mut [f64]) {
        out[0] = self.g.eval(x);
    }
    fn value_with(&self, _x: &[f64], pre: &[f64], c: &[f64]) -> f64 {
        c[0] - pre[0]
    }
    fn eval_with(&self, _x: &[f64], pre: &[f64], c: &[f64], dfdc: &mut [f64]) -> f64 {
        dfdc[0] = 1.0;
        c[0] - pre[0]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_boundary_data_gives_the_same_bits() {
        let g: Arc<dyn PointFunction> = Arc::new(|x: &[f64]| (3.0 * x[0]).sin() * x[1]);
        let f = ValueMinus::new(Channel::Value { output: 1 }, g);
        assert_eq!(f.channels(), &[Channel::Value { output: 1 }]);
        for (x, u) in [([0.1, 0.7], 0.25), ([-2.0, 3.5], -1.0)] {
            let mut pre = [f64::NAN];
            f.point_part(&x, &mut pre);
            let (mut a, mut b) = ([0.0], [0.0]);
            let r = f.eval(&x, &[u], &mut a);
            assert_eq!(r, u - (3.0 * x[0]).sin() * x[1]);
            assert_eq!(f.eval_with(&x, &pre, &[u], &mut b).to_bits(), r.to_bits());
            assert_eq!(f.value_with(&x, &pre, &[u]).to_bits(), r.to_bits());
            assert_eq!(f.value(&x, &[u]).to_bits(), r.to_bits());
            assert_eq!((a, b), ([1.0], [1.0]));
        }
    }
}
