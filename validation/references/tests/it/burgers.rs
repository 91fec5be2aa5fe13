//! End-to-end checks of the Cole–Hopf Burgers reference: self-convergence of the
//! quadrature, the initial and boundary conditions, odd symmetry, the PDE itself by
//! finite differences, the published maximal slope, and the shipped file.

use std::f64::consts::PI;
use std::path::PathBuf;

use pinn_references::burgers::{
    BASDEVANT_MAX_SLOPE, BASDEVANT_T_STAR, ColeHopf, NU, NU_001, linspace, raissi_grid, webb_grid,
};
use pinn_references::spectral::{C64, Etdrk4, Periodic, QuadraticFlux, evaluate};

fn grid_with_layer() -> Vec<(f64, f64)> {
    // A coarse (t, x) grid plus a fine patch around the layer x ≈ 0, t ∈ [0.3, 1].
    let mut pts = Vec::new();
    for t in linspace(0.01, 1.0, 12) {
        for x in linspace(-1.0, 1.0, 41) {
            pts.push((t, x));
        }
    }
    for t in linspace(0.3, 1.0, 15) {
        for x in linspace(-0.02, 0.02, 41) {
            pts.push((t, x));
        }
    }
    pts
}

/// Doubling the node count (κ = 2 → 4) changes u by ≤ 1e-12 everywhere, including
/// the layer; a too-coarse rule (κ = 0.75) differs visibly, so the check has teeth.
#[test]
fn quadrature_self_convergence() {
    let (base, fine, coarse) = (
        ColeHopf::default(),
        ColeHopf::refined(2.0).unwrap(),
        ColeHopf::refined(0.375).unwrap(),
    );
    let (mut d_fine, mut d_coarse) = (0.0f64, 0.0f64);
    for (t, x) in grid_with_layer() {
        let u = base.u(t, x).unwrap();
        d_fine = d_fine.max((u - fine.u(t, x).unwrap()).abs());
        d_coarse = d_coarse.max((u - coarse.u(t, x).unwrap()).abs());
    }
    println!("max |u(κ=2) − u(κ=4)| = {d_fine:.2e}; max |u(κ=2) − u(κ=0.75)| = {d_coarse:.2e}");
    assert!(d_fine <= 1e-12, "{d_fine}");
    assert!(d_coarse > 1e-6, "{d_coarse}");
}

/// The slope at the layer converges too (it is the most sensitive quantity).
#[test]
fn slope_self_convergence_at_layer() {
    let (base, fine) = (ColeHopf::default(), ColeHopf::refined(2.0).unwrap());
    let mut d = 0.0f64;
    for t in linspace(0.3, 1.0, 29) {
        for x in [0.0, 1e-3, -4e-3, 1e-2] {
            let a = base.u_x(t, x).unwrap();
            d = d.max((a - fine.u_x(t, x).unwrap()).abs() / a.abs().max(1.0));
        }
    }
    println!("max relative |u_x(κ=2) − u_x(κ=4)| at the layer = {d:.2e}");
    assert!(d <= 1e-11, "{d}");
}

#[test]
fn initial_condition_is_minus_sine() {
    let ch = ColeHopf::default();
    for x in linspace(-1.0, 1.0, 101) {
        assert_eq!(ch.u(0.0, x).unwrap(), -(PI * x).sin());
    }
}

/// u(t, −x) = −u(t, x) and u(t, ±1) = 0: the whole-line solution of 2-periodic odd data
/// is odd about x = 0 and about x = ±1.
#[test]
fn odd_symmetry_and_boundary_values() {
    let ch = ColeHopf::default();
    let (mut odd, mut bc) = (0.0f64, 0.0f64);
    for t in linspace(0.01, 1.0, 34) {
        for x in linspace(0.0, 1.0, 51) {
            odd = odd.max((ch.u(t, -x).unwrap() + ch.u(t, x).unwrap()).abs());
        }
        bc = bc
            .max(ch.u(t, 1.0).unwrap().abs())
            .max(ch.u(t, -1.0).unwrap().abs());
        // Odd about x = 1 as well: u(t, 1 + y) = −u(t, 1 − y).
        for y in [0.05, 0.3, 0.7] {
            odd = odd.max((ch.u(t, 1.0 + y).unwrap() + ch.u(t, 1.0 - y).unwrap()).abs());
        }
    }
    println!("max odd-symmetry defect {odd:.2e}, max |u(t, ±1)| {bc:.2e}");
    assert!(odd <= 1e-13, "{odd}");
    assert!(bc <= 1e-13, "{bc}");
}

/// Sixth-order central differences of u in t and x; returns (u_t, u_x, u_xx).
fn fd_derivatives(ch: &ColeHopf, t: f64, x: f64, ht: f64, hx: f64) -> (f64, f64, f64) {
    let d1 = [(1.0, 45.0), (2.0, -9.0), (3.0, 1.0)]; // /60h
    let d2 = [(1.0, 270.0), (2.0, -27.0), (3.0, 2.0)]; // (−490 f0 + Σ)/180h²
    let u = |t: f64, x: f64| ch.u(t, x).unwrap();
    let (mut ut, mut ux, mut uxx) = (0.0, 0.0, -490.0 * u(t, x));
    for (k, c) in d1 {
        ut += c * (u(t + k * ht, x) - u(t - k * ht, x));
        ux += c * (u(t, x + k * hx) - u(t, x - k * hx));
    }
    for (k, c) in d2 {
        uxx += c * (u(t, x + k * hx) + u(t, x - k * hx));
    }
    (ut / (60.0 * ht), ux / (60.0 * hx), uxx / (180.0 * hx * hx))
}

/// The PDE u_t + u u_x − ν u_xx = 0, checked by finite differences of the computed u
/// (independent of the Cole–Hopf algebra), relative to the largest term.
#[test]
fn pde_residual_by_finite_differences() {
    let ch = ColeHopf::default();
    // Smooth points with h = 1e-3, and points in the layer with h = 2e-5.
    let cases = [
        (0.2, 0.5, 1e-3, 1e-3),
        (0.7, -0.4, 1e-3, 1e-3),
        (0.95, 0.85, 1e-3, 1e-3),
        (0.1, -0.1, 1e-3, 1e-3),
        (0.5, 2e-3, 1e-4, 2e-5),
        (0.8, -1e-3, 1e-4, 2e-5),
    ];
    for (t, x, ht, hx) in cases {
        let u = ch.u(t, x).unwrap();
        let (ut, ux, uxx) = fd_derivatives(&ch, t, x, ht, hx);
        let res = ut + u * ux - NU * uxx;
        let scale = ut.abs().max((u * ux).abs()).max((NU * uxx).abs());
        println!("({t}, {x}): residual {res:.2e}, largest term {scale:.2e}");
        assert!(res.abs() <= 1e-7 * scale, "({t},{x}): {res} vs {scale}");
    }
}

/// Basdevant et al. (1986) report u_x(t*, 0) = −152.00516 at t* = 1.6037/π, the time of
/// the steepest slope. Check the value, and that t* is the maximiser (golden section on
/// |u_x(t, 0)|, located to the 5 digits given).
#[test]
fn basdevant_maximal_slope() {
    let ch = ColeHopf::refined(2.0).unwrap();
    let s = ch.u_x(BASDEVANT_T_STAR, 0.0).unwrap();
    println!("u_x(1.6037/π, 0) = {s:.8}");
    assert!((s - BASDEVANT_MAX_SLOPE).abs() < 5e-6, "{s}");
    // Golden-section search for the maximum of |u_x(t, 0)| on [0.4, 0.6].
    let g = |t: f64| ch.u_x(t, 0.0).unwrap().abs();
    let r = (5f64.sqrt() - 1.0) / 2.0;
    let (mut a, mut b) = (0.4, 0.6);
    while b - a > 1e-7 {
        let (c, d) = (b - r * (b - a), a + r * (b - a));
        if g(c) > g(d) {
            b = d;
        } else {
            a = c;
        }
    }
    let t_max = 0.5 * (a + b);
    println!(
        "max |u_x(t, 0)| = {:.8} at t = {t_max:.8} = {:.6}/π",
        g(t_max),
        t_max * PI
    );
    assert!((t_max * PI - 1.6037).abs() < 5e-5, "{t_max}");
    assert!((g(t_max) - BASDEVANT_MAX_SLOPE.abs()).abs() < 5e-6);
}

/// Modified Bessel function I_k(z) by its power series Σ (z/2)^{2m+k} / (m! (m+k)!)
/// (Abramowitz & Stegun 9.6.10); all terms are positive, so it is accurate for the
/// moderate z used here.
fn bessel_i(k: usize, z: f64) -> f64 {
    let half = 0.5 * z;
    let mut term = (1..=k).fold(1.0, |acc, j| acc * half / j as f64);
    let mut sum = term;
    for m in 1..200 {
        term *= half * half / (m as f64 * (m + k) as f64);
        sum += term;
        if term < 1e-18 * sum {
            break;
        }
    }
    sum
}

/// Cole's Fourier series (Cole 1951): with A = 1/(2πν),
/// exp(−A cos(πx)) = I₀(A) + 2 Σ_k (−1)^k I_k(A) cos(kπx), each mode decays like
/// exp(−ν k²π² t) under the heat flow, and u = −2ν θ_x/θ. For larger ν the series
/// converges fast, so it is an independent reference for the quadrature (it shares no
/// code and no formula beyond the transform itself).
fn cole_series(nu: f64, t: f64, x: f64) -> f64 {
    let a = 1.0 / (2.0 * PI * nu);
    let (mut theta, mut theta_x) = (bessel_i(0, a), 0.0);
    for k in 1..80 {
        let kf = k as f64;
        let sign = if k % 2 == 0 { 1.0 } else { -1.0 };
        let c = 2.0 * sign * bessel_i(k, a) * (-nu * kf * kf * PI * PI * t).exp();
        theta += c * (kf * PI * x).cos();
        theta_x -= c * kf * PI * (kf * PI * x).sin();
    }
    -2.0 * nu * theta_x / theta
}

/// The quadrature agrees with Cole's series at ν = 0.1 to 1e-14 and at ν = 0.03 to
/// 1e-11. The looser bound is the series' own rounding: its terms are of size
/// I₀(A) ≈ 30 (A = 5.3) while θ falls to e^{−A} ≈ 0.005 near x = 0, so it loses about
/// four digits there (the quadrature, whose terms are all positive, agrees with itself
/// under refinement to 1e-15 at the same points). This cancellation is why the series
/// is unusable at the benchmark ν = 0.01/π (A = 50) and the quadrature is used instead.
#[test]
fn agrees_with_cole_series_at_larger_viscosity() {
    for (nu, tol) in [(0.1, 1e-14), (0.03, 1e-11)] {
        let ch = ColeHopf::new(nu, 2.0, 40.0).unwrap();
        let mut worst = 0.0f64;
        for t in [0.02, 0.3, 1.0] {
            for x in linspace(-1.0, 1.0, 21) {
                let d = (ch.u(t, x).unwrap() - cole_series(nu, t, x)).abs();
                worst = worst.max(d);
            }
        }
        println!("ν = {nu}: max |quadrature − Cole series| = {worst:.2e}");
        assert!(worst <= tol, "ν = {nu}: {worst}");
    }
}

fn shipped_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../problems/data/burgers.h5")
}

/// The shipped problems/data/burgers.h5 has the documented layout and ~200 of its
/// values (spread over the grid, with the layer) are what this code computes.
#[test]
fn shipped_file_matches_the_code() {
    let file = hdf5_pure::File::open(shipped_file()).expect("open problems/data/burgers.h5");
    let attrs = file.root().attrs().unwrap();
    assert_eq!(attrs["problem"].as_str(), Some("burgers"));
    assert_eq!(attrs["format"].as_str(), Some("pinn-reference"));
    let points_ds = file.dataset("points").unwrap();
    let values_ds = file.dataset("values").unwrap();
    assert_eq!(points_ds.shape().unwrap(), vec![25600, 2]);
    assert_eq!(values_ds.shape().unwrap(), vec![25600, 1]);
    let pv = points_ds.attrs().unwrap();
    let vars = pv["variables"].as_strings().expect("variables");
    assert_eq!(vars, ["t", "x"]);
    let points = points_ds.read_f64().unwrap();
    let values = values_ds.read_f64().unwrap();

    // The grid: t-major rows of Raissi's (t, x) grid.
    let (ts, xs) = raissi_grid();
    for (i, &t) in ts.iter().enumerate() {
        for (j, &x) in xs.iter().enumerate() {
            let r = i * xs.len() + j;
            assert_eq!((points[2 * r], points[2 * r + 1]), (t, x), "row {r}");
        }
    }

    // 150 rows by a fixed stride through the file, plus 50 at the layer.
    let ch = ColeHopf::default();
    let mut rows: Vec<usize> = (0..150).map(|k| (k * 2741 + 17) % 25600).collect();
    for k in 0..50 {
        let i = 30 + (k * 7) % 70; // t ∈ [0.3, 0.99]
        let j = 124 + k % 8; // x within ±0.03 of 0
        rows.push(i * 256 + j);
    }
    let mut worst = 0.0f64;
    for r in rows {
        let u = ch.u(points[2 * r], points[2 * r + 1]).unwrap();
        worst = worst.max((u - values[r]).abs());
    }
    println!("max |file − recomputed| over 200 rows = {worst:.2e}");
    assert!(worst <= 1e-12, "{worst}");
}

/// At Webb, Jerad & Cartis's ν = 0.01 the quadrature converges as well: doubling the
/// nodes changes u by ≤ 1e-13 over a grid with a fine patch at the layer, while a
/// too-coarse rule (κ = 0.75) differs visibly.
#[test]
fn quadrature_self_convergence_at_nu_001() {
    let base = ColeHopf::with_viscosity(NU_001).unwrap();
    let (fine, coarse) = (base.refine(2.0).unwrap(), base.refine(0.375).unwrap());
    let (mut d_fine, mut d_coarse) = (0.0f64, 0.0f64);
    for (t, x) in grid_with_layer() {
        let u = base.u(t, x).unwrap();
        d_fine = d_fine.max((u - fine.u(t, x).unwrap()).abs());
        d_coarse = d_coarse.max((u - coarse.u(t, x).unwrap()).abs());
    }
    println!(
        "ν = 0.01: max |u(κ=2) − u(κ=4)| = {d_fine:.2e}; max |u(κ=2) − u(κ=0.75)| = {d_coarse:.2e}"
    );
    assert!(d_fine <= 1e-13, "{d_fine}");
    assert!(d_coarse > 1e-6, "{d_coarse}");
}

/// An independent method at ν = 0.01: the Fourier pseudo-spectral ETDRK4 solver of
/// `pinn_references::spectral` (the odd, 2-periodic solution is the Dirichlet one) with
/// `L = −ν k²`, `N = −(u²)_x/2`, on 1024 and 2048 points. Its grid convergence shows
/// the spectral solution resolved, and it agrees with the Cole–Hopf quadrature to
/// 1e-12 at every time, layer included (the two share nothing but the equation).
#[test]
fn agrees_with_a_spectral_solve_at_nu_001() {
    let domain = Periodic {
        start: -1.0,
        period: 2.0,
    };
    let times = [0.1, 0.3, 0.5, 0.75, 1.0];
    let spectral = |n: usize| {
        let l: Vec<C64> = domain
            .wavenumbers(n)
            .iter()
            .map(|k| C64::new(-NU_001 * k * k, 0.0))
            .collect();
        let mut s = Etdrk4::new(n, 1e-4, &l, QuadraticFlux::new(1.0, domain, n)).unwrap();
        let u0: Vec<f64> = domain.grid(n).iter().map(|x| -(PI * x).sin()).collect();
        s.snapshots(&u0, &times).unwrap()
    };
    let (a, b) = (spectral(1024), spectral(2048));
    let ch = ColeHopf::with_viscosity(NU_001).unwrap();
    let mut xs = linspace(-1.0, 1.0, 101);
    xs.extend(linspace(-0.02, 0.02, 41));
    let (mut d_n, mut d_ch) = (0.0f64, 0.0f64);
    for (i, &t) in times.iter().enumerate() {
        let (ua, ub) = (evaluate(&a[i], domain, &xs), evaluate(&b[i], domain, &xs));
        for (j, &x) in xs.iter().enumerate() {
            d_n = d_n.max((ua[j] - ub[j]).abs());
            d_ch = d_ch.max((ub[j] - ch.u(t, x).unwrap()).abs());
        }
    }
    println!(
        "ν = 0.01: max |spectral(1024) − spectral(2048)| = {d_n:.2e}; max |spectral(2048) − Cole–Hopf| = {d_ch:.2e}"
    );
    assert!(d_n <= 1e-12, "{d_n}");
    assert!(d_ch <= 1e-12, "{d_ch}");
}

/// The shipped problems/data/burgers-nu001.h5 is on Webb, Jerad & Cartis's grid and
/// ~200 of its values (spread over the grid, with the layer) are what this code
/// computes at ν = 0.01.
#[test]
fn shipped_nu001_file_matches_the_code() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../problems/data/burgers-nu001.h5");
    let file = hdf5_pure::File::open(path).expect("open problems/data/burgers-nu001.h5");
    let attrs = file.root().attrs().unwrap();
    assert_eq!(attrs["problem"].as_str(), Some("burgers-nu001"));
    let points_ds = file.dataset("points").unwrap();
    assert_eq!(points_ds.shape().unwrap(), vec![102_400, 2]);
    let points = points_ds.read_f64().unwrap();
    let values = file.dataset("values").unwrap().read_f64().unwrap();
    let (ts, xs) = webb_grid();
    assert_eq!(
        (ts.len(), xs.len(), xs[0], xs[1023]),
        (100, 1024, -1.0, 1.0 - 1.0 / 512.0)
    );
    for (r, row) in points.chunks(2).enumerate() {
        assert_eq!((row[0], row[1]), (ts[r / 1024], xs[r % 1024]), "row {r}");
    }
    let ch = ColeHopf::with_viscosity(NU_001).unwrap();
    let mut rows: Vec<usize> = (0..150).map(|k| (k * 2741 + 17) % 102_400).collect();
    rows.extend((0..50).map(|k| (30 + (k * 7) % 70) * 1024 + 508 + k % 8)); // x near 0
    let mut worst = 0.0f64;
    for r in rows {
        let u = ch.u(points[2 * r], points[2 * r + 1]).unwrap();
        worst = worst.max((u - values[r]).abs());
    }
    println!("max |file − recomputed| over 200 rows = {worst:.2e}");
    assert!(worst <= 1e-13, "{worst}");
}
