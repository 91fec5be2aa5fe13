//! PDE residuals written in Rust: Burgers, Allen–Cahn and the steady incompressible
//! Navier–Stokes equations in 2-D (with the Kovasznay exact solution).
//!
//! Each is a [`Residual`], generic over the scalar, so [`RustResidual`] gets its partials
//! from dual numbers.

use std::sync::Arc;

use num_traits::Float;

use super::channel::{Channel, VarSet};
use super::generic::{Residual, RustResidual};
use super::pointwise::PointResidual;

fn lift<S: Float>(v: f64) -> S {
    S::from(v).expect("f64 constants lift into any Float")
}

/// Viscous Burgers' equation `F = u_t + u u_x − ν u_xx` (Raissi, Perdikaris & Karniadakis,
/// J. Comput. Phys. 378, 2019, §3.1, with `ν = 0.01/π`).
///
/// Channels: `[u, u_t, u_x, u_xx]` of output 0.
#[derive(Clone, Copy, Debug)]
pub struct Burgers {
    /// The viscosity `ν`.
    pub nu: f64,
    /// Index of the space coordinate in `x`.
    pub x_var: usize,
    /// Index of the time coordinate in `x`.
    pub t_var: usize,
}

impl Burgers {
    /// Burgers with inputs ordered `(x, t)`.
    pub fn new(nu: f64) -> Self {
        Burgers {
            nu,
            x_var: 0,
            t_var: 1,
        }
    }
}

impl Residual for Burgers {
    fn channels(&self) -> Vec<Channel> {
        vec![
            Channel::Value { output: 0 },
            Channel::First {
                output: 0,
                var: self.t_var,
            },
            Channel::First {
                output: 0,
                var: self.x_var,
            },
            Channel::second(0, self.x_var, self.x_var),
        ]
    }
    fn eval<S: Float>(&self, _x: &[f64], c: &[S]) -> S {
        let (u, ut, ux, uxx) = (c[0], c[1], c[2], c[3]);
        ut + u * ux - lift::<S>(self.nu) * uxx
    }
}

/// Allen–Cahn `F = u_t − γ₁ u_xx + γ₂ (u³ − u)` (Raissi et al. 2019, §4.2 uses
/// `γ₁ = 10⁻⁴`, `γ₂ = 5`).
///
/// Channels: `[u, u_t, u_xx]` of output 0.
#[derive(Clone, Copy, Debug)]
pub struct AllenCahn {
    /// The diffusion coefficient `γ₁`.
    pub diffusion: f64,
    /// The reaction coefficient `γ₂`.
    pub reaction: f64,
    /// Index of the space coordinate in `x`.
    pub x_var: usize,
    /// Index of the time coordinate in `x`.
    pub t_var: usize,
}

impl Residual for AllenCahn {
    fn channels(&self) -> Vec<Channel> {
        vec![
            Channel::Value { output: 0 },
            Channel::First {
                output: 0,
                var: self.t_var,
            },
            Channel::second(0, self.x_var, self.x_var),
        ]
    }
    fn eval<S: Float>(&self, _x: &[f64], c: &[S]) -> S {
        let (u, ut, uxx) = (c[0], c[1], c[2]);
        ut - lift::<S>(self.diffusion) * uxx + lift::<S>(self.reaction) * (u.powi(3) - u)
    }
}

/// One of the three equations of the steady incompressible Navier–Stokes system in 2-D,
/// for outputs `(u, v, p)` = outputs `(0, 1, 2)` on inputs `(x, y)` = `(0, 1)`:
///
/// ```text
/// momentum x:  u u_x + v u_y + p_x − (1/Re) Δu = 0
/// momentum y:  u v_x + v v_y + p_y − (1/Re) Δv = 0
/// continuity:  u_x + v_y = 0
/// ```
///
/// (Kovasznay, Proc. Camb. Phil. Soc. 44, 1948; the PINN benchmark of Jin et al.,
/// NSFnets, J. Comput. Phys. 426, 2021, with `Re = 40`.) The Laplacians are read through
/// the summed [`Channel::Laplacian`] channel.
#[derive(Clone, Copy, Debug)]
pub struct SteadyNavierStokes2d {
    /// The Reynolds number.
    pub re: f64,
    /// Which equation.
    pub equation: NsEquation,
}

/// The equations of [`SteadyNavierStokes2d`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NsEquation {
    /// `u u_x + v u_y + p_x − Δu/Re`.
    MomentumX,
    /// `u v_x + v v_y + p_y − Δv/Re`.
    MomentumY,
    /// `u_x + v_y`.
    Continuity,
}

impl SteadyNavierStokes2d {
    /// The three equations in the order momentum x, momentum y, continuity, as
    /// [`PointResidual`]s ready for a PDE block.
    pub fn system(re: f64) -> Vec<Arc<dyn PointResidual>> {
        [
            NsEquation::MomentumX,
            NsEquation::MomentumY,
            NsEquation::Continuity,
        ]
        .into_iter()
        .map(|equation| {
            Arc::new(RustResidual::new(SteadyNavierStokes2d { re, equation }))
                as Arc<dyn PointResidual>
        })
        .collect()
    }
}

impl Residual for SteadyNavierStokes2d {
    fn channels(&self) -> Vec<Channel> {
        let lap = |output| Channel::Laplacian {
            output,
            vars: VarSet::all(2),
        };
        let d = |output, var| Channel::First { output, var };
        match self.equation {
            // [u, v, u_x, u_y, p_x, Δu]
            NsEquation::MomentumX => vec![
                Channel::Value { output: 0 },
                Channel::Value { output: 1 },
                d(0, 0),
                d(0, 1),
                d(2, 0),
                lap(0),
            ],
            // [u, v, v_x, v_y, p_y, Δv]
            NsEquation::MomentumY => vec![
                Channel::Value { output: 0 },
                Channel::Value { output: 1 },
                d(1, 0),
                d(1, 1),
                d(2, 1),
                lap(1),
            ],
            // [u_x, v_y]
            NsEquation::Continuity => vec![d(0, 0), d(1, 1)],
        }
    }
    fn eval<S: Float>(&self, _x: &[f64], c: &[S]) -> S {
        match self.equation {
            NsEquation::MomentumX | NsEquation::MomentumY => {
                let (u, v, wx, wy, px, lap) = (c[0], c[1], c[2], c[3], c[4], c[5]);
                u * wx + v * wy + px - lap / lift::<S>(self.re)
            }
            NsEquation::Continuity => c[0] + c[1],
        }
    }
}

/// Kovasznay's exact solution of [`SteadyNavierStokes2d`]:
/// `λ = Re/2 − sqrt(Re²/4 + 4π²)`, `u = 1 − e^{λx} cos 2πy`,
/// `v = λ/(2π) e^{λx} sin 2πy`, `p = ½ (1 − e^{2λx})`.
#[derive(Clone, Copy, Debug)]
pub struct Kovasznay {
    /// `λ`.
    pub lambda: f64,
}

impl Kovasznay {
    /// The solution for Reynolds number `re`.
    pub fn new(re: f64) -> Self {
        let two_pi = 2.0 * std::f64::consts::PI;
        Kovasznay {
            lambda: 0.5 * re - (0.25 * re * re + two_pi * two_pi).sqrt(),
        }
    }
    /// `u(x, y)`.
    pub fn u(&self, x: &[f64]) -> f64 {
        1.0 - (self.lambda * x[0]).exp() * (2.0 * std::f64::consts::PI * x[1]).cos()
    }
    /// `v(x, y)`.
    pub fn v(&self, x: &[f64]) -> f64 {
        let two_pi = 2.0 * std::f64::consts::PI;
        self.lambda / two_pi * (self.lambda * x[0]).exp() * (two_pi * x[1]).sin()
    }
    /// `p(x, y)`.
    pub fn p(&self, x: &[f64]) -> f64 {
        0.5 * (1.0 - (2.0 * self.lambda * x[0]).exp())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burgers_partials_match_hand_derivation() {
        let nu = 0.01 / std::f64::consts::PI;
        let r = RustResidual::new(Burgers::new(nu));
        let ch = r.channels();
        assert_eq!(ch[1], Channel::First { output: 0, var: 1 });
        assert_eq!(
            ch[3],
            Channel::Second {
                output: 0,
                a: 0,
                b: 0
            }
        );
        let c = [0.8, -1.1, 2.4, 0.35];
        let mut a = [0.0; 4];
        let f = r.eval(&[0.2, 0.5], &c, &mut a);
        assert_eq!(f, -1.1 + 0.8 * 2.4 - nu * 0.35);
        // ∂F/∂u = u_x, ∂F/∂u_t = 1, ∂F/∂u_x = u, ∂F/∂u_xx = −ν
        assert_eq!(a, [2.4, 1.0, 0.8, -nu]);
    }

    #[test]
    fn allen_cahn_partials_match_hand_derivation() {
        let ac = AllenCahn {
            diffusion: 1e-4,
            reaction: 5.0,
            x_var: 0,
            t_var: 1,
        };
        let r = RustResidual::new(ac);
        for &u in &[-1.3, -0.2, 0.0, 0.6, 1.7] {
            let c = [u, 0.4, -2.0];
            let mut a = [0.0; 3];
            let f = r.eval(&[0.0, 0.0], &c, &mut a);
            let fe = 0.4 - 1e-4 * -2.0 + 5.0 * (u * u * u - u);
            assert!((f - fe).abs() < 1e-15 * fe.abs().max(1.0));
            // ∂F/∂u = γ₂ (3u² − 1), ∂F/∂u_t = 1, ∂F/∂u_xx = −γ₁
            assert!((a[0] - 5.0 * (3.0 * u * u - 1.0)).abs() < 1e-14, "u = {u}");
            assert_eq!(a[1], 1.0);
            assert_eq!(a[2], -1e-4);
        }
    }

    #[test]
    fn navier_stokes_partials_match_hand_derivation() {
        let re = 40.0;
        let eqs = SteadyNavierStokes2d::system(re);
        assert_eq!(eqs.len(), 3);
        let c = [0.9, -0.3, 1.4, 0.25, -0.6, 3.0];
        let mut a = [0.0; 6];
        // momentum: F = u w_x + v w_y + p_· − Δw/Re
        for eq in &eqs[..2] {
            let f = eq.eval(&[0.1, 0.2], &c, &mut a);
            assert!((f - (0.9 * 1.4 + -0.3 * 0.25 - 0.6 - 3.0 / re)).abs() < 1e-15);
            let expect = [1.4, 0.25, 0.9, -0.3, 1.0, -1.0 / re];
            for k in 0..6 {
                assert!((a[k] - expect[k]).abs() < 1e-15, "k = {k}");
            }
        }
        let mut a2 = [0.0; 2];
        let f = eqs[2].eval(&[0.1, 0.2], &[1.5, -0.5], &mut a2);
        assert_eq!((f, a2), (1.0, [1.0, 1.0]));
    }

    /// The Kovasznay solution satisfies the equations: check with central differences of
    /// the closed form (second order, h = 1e-4, so ~1e-7 agreement).
    #[test]
    fn kovasznay_solves_navier_stokes() {
        let re = 40.0;
        let k = Kovasznay::new(re);
        let h = 1e-4;
        let eqs = SteadyNavierStokes2d::system(re);
        for &(x, y) in &[(-0.3, 0.2), (0.5, 1.1), (0.9, -0.4)] {
            let f = |g: &dyn Fn(&[f64]) -> f64| {
                let at = |dx: f64, dy: f64| g(&[x + dx, y + dy]);
                let v = at(0.0, 0.0);
                let gx = (at(h, 0.0) - at(-h, 0.0)) / (2.0 * h);
                let gy = (at(0.0, h) - at(0.0, -h)) / (2.0 * h);
                let lap = (at(h, 0.0) + at(-h, 0.0) + at(0.0, h) + at(0.0, -h) - 4.0 * v) / (h * h);
                (v, gx, gy, lap)
            };
            let (u, ux, uy, lu) = f(&|p| k.u(p));
            let (v, vx, vy, lv) = f(&|p| k.v(p));
            let (_, px, py, _) = f(&|p| k.p(p));
            let mut a = [0.0; 6];
            let mx = eqs[0].eval(&[x, y], &[u, v, ux, uy, px, lu], &mut a);
            let my = eqs[1].eval(&[x, y], &[u, v, vx, vy, py, lv], &mut a);
            let mut a2 = [0.0; 2];
            let cont = eqs[2].eval(&[x, y], &[ux, vy], &mut a2);
            assert!(
                mx.abs() < 1e-5 && my.abs() < 1e-5 && cont.abs() < 1e-6,
                "{mx} {my} {cont}"
            );
        }
    }
}
