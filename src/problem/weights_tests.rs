//! RBA point weights through the problem file: the syntax and its errors, the weighted
//! residual and its exact Jacobian, and the update at the loop's resample call.

use std::path::Path;

use pinn_solvers::LeastSquares;

use super::{Problem, build_problem, parse_spec};

const HEAT: &str = r#"
[domain]
variables = ["t", "x"]
bounds = [[0.0, 1.0], [0.0, 1.0]]
time = "t"

[[blocks]]
name = "interior"
kind = "pde"
equation = "u_t - 0.25*u_xx + u^2"
points = { count = 12 }
WEIGHTS

[[blocks]]
name = "initial"
kind = "initial"
value = "sin(pi*x)"
points = { count = 5 }
weights = { method = "rba", gamma = 0.5, eta = 2.0 }

[[blocks]]
name = "boundary"
kind = "dirichlet"
faces = ["x_min", "x_max"]
value = "0"
points = { count = 4 }

[model]
layers = [2, 6, 6, 1]
seed = 3
"#;

fn build(weights: &str) -> Result<Problem, String> {
    let text = HEAT.replace("WEIGHTS", weights);
    let path = Path::new("heat.toml");
    let spec = parse_spec(path, &text).map_err(|e| e.to_string())?;
    build_problem(path, &text, spec).map_err(|e| e.to_string())
}

const RBA: &str = r#"weights = { method = "rba", gamma = 0.9, eta = 0.5, every = 2 }"#;

#[test]
fn the_weights_table_is_read_with_defaults() {
    let p = build(RBA).unwrap();
    let rba = p.sampling[0].weights.expect("interior is weighted");
    assert_eq!((rba.gamma(), rba.eta(), rba.every()), (0.9, 0.5, 2));
    assert!(p.sampling[2].weights.is_none());
    let p = build(r#"weights = { method = "rba" }"#).unwrap();
    let rba = p.sampling[0].weights.unwrap();
    assert_eq!((rba.gamma(), rba.eta(), rba.every()), (0.999, 0.01, 1));
}

#[test]
fn bad_weights_are_placed_errors() {
    let cases = [
        (
            r#"weights = { method = "sa" }"#,
            "heat.toml:12:22: ",
            "unknown weights method `sa`",
        ),
        (
            r#"weights = { method = "rba", gamma = 1.5 }"#,
            "heat.toml:12:37: ",
            "`gamma` must be in [0, 1], found 1.5",
        ),
        (
            r#"weights = { method = "rba", eta = -1.0 }"#,
            "heat.toml:12:35: ",
            "`eta` must be finite and > 0",
        ),
        (
            r#"weights = { method = "rba", eta = 0.0 }"#,
            "heat.toml:12:35: ",
            "`eta` must be finite and > 0, found 0",
        ),
        (
            r#"weights = { method = "rba", every = 0 }"#,
            "heat.toml:12:37: ",
            "`every` must be ≥ 1, found 0",
        ),
        (
            r#"weights = { method = "rba", rate = 1 }"#,
            "heat.toml:12:",
            "unknown field `rate`",
        ),
    ];
    for (line, place, message) in cases {
        let e = build(line).err().expect(line);
        assert!(e.starts_with(place), "{line}: {e}");
        assert!(e.contains(message), "{line}: {e}");
    }
}

/// The rows of a weighted block are `λᵢ` times the unweighted ones, and the Jacobian
/// of the weighted problem matches central differences; `J·v` and `Jᵀ·w` agree with it.
#[test]
fn weighted_rows_and_their_exact_jacobian() {
    let p = build(RBA).unwrap();
    let theta = p.initial_params();
    // No weights anywhere (the initial block's removed too).
    let init_weights = r#"weights = { method = "rba", gamma = 0.5, eta = 2.0 }"#;
    let text = HEAT.replace("WEIGHTS", "").replace(init_weights, "");
    let spec = parse_spec(Path::new("heat.toml"), &text).unwrap();
    let plain = build_problem(Path::new("heat.toml"), &text, spec)
        .unwrap()
        .residual_model();
    let mut model = p.residual_model();
    let lambda: Vec<f64> = (0..12).map(|i| 0.25 + 0.5 * i as f64).collect();
    model.set_weight_values(0, lambda.clone()).unwrap();
    let init: Vec<f64> = (0..5).map(|i| 2.0 - 0.25 * i as f64).collect();
    model.set_weight_values(1, init.clone()).unwrap();
    let n = model.n_residuals();
    let (mut r, mut r0) = (vec![0.0; n], vec![0.0; n]);
    model.residuals(&theta, &mut r);
    plain.residuals(&theta, &mut r0);
    let want: Vec<f64> = lambda
        .iter()
        .chain(&init)
        .chain(&[1.0; 4])
        .copied()
        .collect();
    for i in 0..n {
        assert!(
            (r[i] - want[i] * r0[i]).abs() <= 1e-15 * (want[i] * r0[i]).abs(),
            "row {i}: {} vs {} · {}",
            r[i],
            want[i],
            r0[i]
        );
    }
    let (rj, _) = crate::residual::testing::assert_exact_jacobian(&model, &theta);
    assert_eq!(rj, r);
}

/// The weights start at 0 and get a first update at θ₀; then at the loop's resample
/// call the due blocks apply `λ ← γλ + η|F|/max|F|` with the residual magnitudes at θ
/// (interior every 2 iterations, initial every iteration; none at iteration 0).
#[test]
fn the_resample_call_updates_the_due_weights() {
    let p = build(RBA).unwrap();
    let theta = p.initial_params();
    let mut model = p.residual_model();
    assert_eq!(model.point_weights(0), Some(&[0.0; 12][..]));
    assert_eq!(model.point_weights(2), None);
    let norms0 = model.point_norms(0, &theta);
    let norms1 = model.point_norms(1, &theta);
    let max0 = norms0.iter().fold(0.0f64, |m, r| m.max(*r));
    let max1 = norms1.iter().fold(0.0f64, |m, r| m.max(*r));
    model.start_point_weights(&theta);
    let first0: Vec<f64> = norms0.iter().map(|r| 0.5 * (r / max0)).collect();
    let first1: Vec<f64> = norms1.iter().map(|r| 2.0 * (r / max1)).collect();
    assert_eq!(model.point_weights(0).unwrap(), first0.as_slice());
    assert_eq!(model.point_weights(1).unwrap(), first1.as_slice());
    assert!(!model.resample(0, &theta), "nothing due at 0");
    assert!(model.resample(1, &theta));
    assert_eq!(
        model.point_weights(0).unwrap(),
        first0.as_slice(),
        "not due at 1"
    );
    let want1: Vec<f64> = first1
        .iter()
        .zip(&norms1)
        .map(|(l, r)| 0.5 * l + 2.0 * (r / max1))
        .collect();
    assert_eq!(model.point_weights(1).unwrap(), want1.as_slice());
    assert!(model.resample(2, &theta));
    let want0: Vec<f64> = first0
        .iter()
        .zip(&norms0)
        .map(|(l, r)| 0.9 * l + 0.5 * (r / max0))
        .collect();
    assert_eq!(model.point_weights(0).unwrap(), want0.as_slice());
    // The magnitudes are those of the unweighted residual: |F| = |r| / scale.
    let mut r = vec![0.0; model.n_residuals()];
    build("")
        .unwrap()
        .residual_model()
        .residuals(&theta, &mut r);
    let s = model.blocks()[0].scale();
    for i in 0..12 {
        assert!((norms0[i] - (r[i] / s).abs()).abs() <= 1e-14 * norms0[i].max(1e-300));
    }
    // Stored weights that do not fit are refused.
    assert!(model.set_weight_values(0, vec![1.0; 11]).is_err());
    assert!(model.set_weight_values(0, vec![f64::NAN; 12]).is_err());
    assert!(model.set_weight_values(2, vec![1.0; 4]).is_err());
}

/// Before its first update a weighted block contributes nothing (`λ = 0`); after the
/// first update at θ₀ its rows are `η |F|/max|F|` times the unweighted ones, so the
/// point with the largest residual keeps its row times `η` exactly.
#[test]
fn the_first_update_weights_by_the_normalised_residual() {
    let p = build(RBA).unwrap();
    let plain = build("").unwrap().residual_model();
    let theta = p.initial_params();
    let mut model = p.residual_model();
    let n = model.n_residuals();
    let (mut r, mut r_plain) = (vec![0.0; n], vec![0.0; n]);
    plain.residuals(&theta, &mut r_plain);
    model.residuals(&theta, &mut r);
    assert!(r[..17].iter().all(|&v| v == 0.0), "{:?}", &r[..17]);
    assert_eq!(r[17..], r_plain[17..], "the unweighted boundary");
    model.start_point_weights(&theta);
    model.residuals(&theta, &mut r);
    let interior = &r_plain[..12];
    let big = (0..12)
        .max_by(|&i, &j| interior[i].abs().total_cmp(&interior[j].abs()))
        .unwrap();
    assert_eq!(r[big], 0.5 * r_plain[big]);
    let max = interior[big].abs();
    for i in 0..12 {
        let want = 0.5 * (interior[i].abs() / max) * interior[i];
        assert!((r[i] - want).abs() <= 1e-14 * want.abs(), "row {i}");
    }
}
