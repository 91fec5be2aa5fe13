//! End-to-end tests of geometry and sampling through the public API.

use faer::Mat;
use pinn::geometry::{
    BoxDomain, Face, GeometryError, Sampler, periodic_image, rows_per_face, sample_face,
    sample_faces, sample_interior, sample_periodic_pair,
};

const RANDOM: [Sampler; 3] = [Sampler::Uniform, Sampler::LatinHypercube, Sampler::Sobol];

fn row(m: &Mat<f64>, i: usize) -> Vec<f64> {
    (0..m.ncols()).map(|j| m[(i, j)]).collect()
}

fn boxes() -> Vec<BoxDomain> {
    let names32: Vec<String> = (0..32).map(|i| format!("x{i}")).collect();
    vec![
        BoxDomain::new(["t"], &[-1.0], &[0.5]).unwrap(),
        BoxDomain::new(["x", "y"], &[0.0, 0.0], &[2.0, 1.0]).unwrap(),
        BoxDomain::new(["x", "y", "t"], &[-0.1, 3.0, 0.0], &[0.3, 7.5, 1e-3]).unwrap(),
        BoxDomain::new(names32, &[-1.0; 32], &[1.0; 32]).unwrap(),
    ]
}

#[test]
fn random_samplers_stay_in_the_box_with_the_right_shape() {
    for d in boxes() {
        for s in RANDOM {
            for n in [0, 1, 37] {
                let p = sample_interior(&d, s, n, 11).unwrap();
                assert_eq!((p.nrows(), p.ncols()), (n, d.dim()), "{s:?}");
                assert!(
                    (0..n).all(|i| d.contains(&row(&p, i))),
                    "{s:?} d = {}",
                    d.dim()
                );
            }
        }
    }
}

#[test]
fn face_points_fix_the_coordinate_exactly() {
    for d in boxes() {
        let faces = d.faces();
        for s in RANDOM {
            let n = 3 * faces.len() + 5;
            let p = sample_faces(&d, &faces, s, n, 5).unwrap();
            assert_eq!((p.nrows(), p.ncols()), (n, d.dim()));
            let counts = rows_per_face(&d, &faces, s, n).unwrap();
            let mut r = 0;
            for (&f, &c) in faces.iter().zip(&counts) {
                for _ in 0..c {
                    let x = row(&p, r);
                    assert!(d.on_face(f, &x), "{s:?} row {r} not on {}", f.name(&d));
                    r += 1;
                }
            }
            assert_eq!(r, n);
            // A single face, as used for one boundary condition.
            let f = faces[faces.len() - 1];
            let q = sample_face(&d, f, s, 9, 2).unwrap();
            assert_eq!((q.nrows(), q.ncols()), (9, d.dim()));
            assert!((0..9).all(|i| d.on_face(f, &row(&q, i))));
        }
    }
}

/// On [0,2]×[0,1] the x-faces (length 1) get half the points of the y-faces (length 2).
#[test]
fn boundary_points_follow_face_measure() {
    let d = BoxDomain::new(["x", "y"], &[0.0, 0.0], &[2.0, 1.0]).unwrap();
    for s in RANDOM {
        let p = sample_faces(&d, &d.faces(), s, 600, 1).unwrap();
        let (mut xmin, mut xmax, mut ymin, mut ymax) = (0, 0, 0, 0);
        for i in 0..600 {
            let (x, y) = (p[(i, 0)], p[(i, 1)]);
            if x == 0.0 {
                xmin += 1;
            } else if x == 2.0 {
                xmax += 1;
            } else if y == 0.0 {
                ymin += 1;
            } else if y == 1.0 {
                ymax += 1;
            }
        }
        assert_eq!((xmin, xmax, ymin, ymax), (100, 100, 200, 200), "{s:?}");
    }
    // Only the top and left sides: measures 2 and 1.
    let top_left = [
        Face::parse(&d, "y_max").unwrap(),
        Face::parse(&d, "x_min").unwrap(),
    ];
    assert_eq!(
        rows_per_face(&d, &top_left, Sampler::Uniform, 90).unwrap(),
        [60, 30]
    );
}

#[test]
fn seeds_reproduce_and_distinguish() {
    let d = BoxDomain::new(["x", "y", "t"], &[0.0; 3], &[1.0, 2.0, 3.0]).unwrap();
    for s in RANDOM {
        let a = sample_interior(&d, s, 50, 42).unwrap();
        let b = sample_interior(&d, s, 50, 42).unwrap();
        let c = sample_interior(&d, s, 50, 43).unwrap();
        assert_eq!(a, b, "{s:?} not reproducible");
        assert_ne!(a, c, "{s:?} ignores the seed");
        let fa = sample_faces(&d, &d.faces(), s, 60, 42).unwrap();
        assert_eq!(fa, sample_faces(&d, &d.faces(), s, 60, 42).unwrap());
        assert_ne!(fa, sample_faces(&d, &d.faces(), s, 60, 43).unwrap());
        // Opposite faces do not repeat each other's free coordinates.
        let lo = sample_face(
            &d,
            Face {
                axis: 0,
                upper: false,
            },
            s,
            10,
            42,
        )
        .unwrap();
        let hi = sample_face(
            &d,
            Face {
                axis: 0,
                upper: true,
            },
            s,
            10,
            42,
        )
        .unwrap();
        assert_ne!(lo[(0, 1)], hi[(0, 1)]);
    }
}

/// McKay et al. 1979: every stratum [s/n, (s+1)/n) of every coordinate holds exactly one
/// point. The boxes scale by powers of two, so the strata are computed exactly.
#[test]
fn latin_hypercube_has_one_point_per_stratum() {
    let d = BoxDomain::new(
        ["a", "b", "c", "e", "f"],
        &[0.0; 5],
        &[1.0, 4.0, 0.5, 1.0, 2.0],
    )
    .unwrap();
    for n in [1, 2, 97, 256] {
        let p = sample_interior(&d, Sampler::LatinHypercube, n, 7).unwrap();
        for j in 0..5 {
            let w = d.hi()[j] - d.lo()[j];
            let mut seen = vec![false; n];
            for i in 0..n {
                let s = ((p[(i, j)] - d.lo()[j]) / w * n as f64).floor() as usize;
                assert!(!seen[s], "n = {n}, dim {j}: stratum {s} twice");
                seen[s] = true;
            }
        }
    }
    // Uniform sampling does not stratify (a check that the test can fail).
    let p = sample_interior(&d, Sampler::Uniform, 97, 7).unwrap();
    let strata: std::collections::BTreeSet<usize> = (0..97)
        .map(|i| (p[(i, 0)] * 97.0).floor() as usize)
        .collect();
    assert!(strata.len() < 97);
}

/// ∫_{[0,1]^4} Π_j (π/2)·sin(π x_j) dx = 1. Quasi-Monte Carlo error ~ (log n)^d / n
/// against Monte Carlo's σ/√n (Niederreiter 1992).
#[test]
fn sobol_has_lower_discrepancy_than_random() {
    let d = BoxDomain::new(["a", "b", "c", "e"], &[0.0; 4], &[1.0; 4]).unwrap();
    let n = 1024;
    let integral_error = |p: &Mat<f64>| {
        let mean = (0..n)
            .map(|i| {
                (0..4)
                    .map(|j| std::f64::consts::FRAC_PI_2 * (std::f64::consts::PI * p[(i, j)]).sin())
                    .product::<f64>()
            })
            .sum::<f64>()
            / n as f64;
        (mean - 1.0).abs()
    };
    let mean_offset = |p: &Mat<f64>| {
        (0..4)
            .map(|j| ((0..n).map(|i| p[(i, j)]).sum::<f64>() / n as f64 - 0.5).abs())
            .fold(0.0, f64::max)
    };
    let seeds = 0..8u64;
    let avg = |s: Sampler, f: &dyn Fn(&Mat<f64>) -> f64| {
        seeds
            .clone()
            .map(|seed| f(&sample_interior(&d, s, n, seed).unwrap()))
            .sum::<f64>()
            / 8.0
    };
    let (sobol_int, random_int) = (
        avg(Sampler::Sobol, &integral_error),
        avg(Sampler::Uniform, &integral_error),
    );
    let (sobol_mean, random_mean) = (
        avg(Sampler::Sobol, &mean_offset),
        avg(Sampler::Uniform, &mean_offset),
    );
    eprintln!("n = {n}, d = 4: integral error sobol {sobol_int:.2e} uniform {random_int:.2e}");
    eprintln!("max |mean − 1/2|: sobol {sobol_mean:.2e} uniform {random_mean:.2e}");
    assert!(sobol_int < random_int / 5.0);
    assert!(sobol_mean < 2e-3 && sobol_mean < random_mean / 5.0);
}

/// ENGD paper (Müller & Zeinhofer 2023), Poisson on the unit square: 28×28 interior
/// points (i/29, j/29) and 116 = 4·29 boundary points, corners once.
#[test]
fn engd_grids_on_the_unit_square() {
    let d = BoxDomain::new(["x", "y"], &[0.0; 2], &[1.0; 2]).unwrap();
    let inner = sample_interior(
        &d,
        Sampler::Grid {
            include_boundary: false,
        },
        784,
        0,
    )
    .unwrap();
    let boundary = sample_faces(
        &d,
        &d.faces(),
        Sampler::Grid {
            include_boundary: true,
        },
        116,
        0,
    )
    .unwrap();
    assert_eq!((inner.nrows(), boundary.nrows()), (784, 116));
    let key = |m: &Mat<f64>, i: usize| {
        let k = |v: f64| {
            let s = v * 29.0;
            assert!(
                (s - s.round()).abs() < 1e-12,
                "{v} is not a multiple of 1/29"
            );
            s.round() as i64
        };
        (k(m[(i, 0)]), k(m[(i, 1)]))
    };
    let mut all: Vec<(i64, i64)> = (0..784).map(|i| key(&inner, i)).collect();
    assert!(
        all.iter()
            .all(|&(i, j)| (1..=28).contains(&i) && (1..=28).contains(&j))
    );
    all.extend((0..116).map(|i| key(&boundary, i)));
    for i in 0..116 {
        let x = row(&boundary, i);
        assert!(d.faces().iter().any(|&f| d.on_face(f, &x)));
    }
    // Together: every point of the 30×30 grid exactly once.
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 900);
    // The same grid in one piece, with its boundary.
    let full = sample_interior(
        &d,
        Sampler::Grid {
            include_boundary: true,
        },
        900,
        0,
    )
    .unwrap();
    assert_eq!(
        (full[(0, 0)], full[(899, 0)], full[(899, 1)]),
        (0.0, 1.0, 1.0)
    );
    // Per side without corners: 4·28.
    let sides = sample_faces(
        &d,
        &d.faces(),
        Sampler::Grid {
            include_boundary: false,
        },
        112,
        0,
    )
    .unwrap();
    assert!((0..112).all(|i| {
        let (i, j) = key(&sides, i);
        (i == 0 || i == 29) != (j == 0 || j == 29)
    }));
}

#[test]
fn grid_sizes_that_do_not_exist_are_errors() {
    let d = BoxDomain::new(["x", "y"], &[0.0; 2], &[1.0; 2]).unwrap();
    let g = Sampler::Grid {
        include_boundary: false,
    };
    let err = sample_interior(&d, g, 785, 0).unwrap_err();
    assert!(matches!(err, GeometryError::GridCount { n: 785, .. }));
    assert!(err.to_string().contains("784"), "{err}");
    let err = sample_faces(
        &d,
        &d.faces(),
        Sampler::Grid {
            include_boundary: true,
        },
        117,
        0,
    );
    assert!(err.unwrap_err().to_string().contains("116 (k = 30)"));
    // A single face: k^(d−1) points.
    let f = Face::parse(&d, "y_max").unwrap();
    let on_top = sample_face(
        &d,
        f,
        Sampler::Grid {
            include_boundary: true,
        },
        5,
        0,
    )
    .unwrap();
    let xs: Vec<f64> = (0..5).map(|i| on_top[(i, 0)]).collect();
    assert_eq!(xs, [0.0, 0.25, 0.5, 0.75, 1.0]);
    assert!((0..5).all(|i| on_top[(i, 1)] == 1.0));
}

#[test]
fn initial_slice_is_the_t_min_face() {
    let d = BoxDomain::new(["x", "t"], &[-1.0, 0.25], &[1.0, 2.0]).unwrap();
    let t0 = Face::parse(&d, "t_min").unwrap();
    assert_eq!(
        t0,
        Face {
            axis: 1,
            upper: false
        }
    );
    assert_eq!(d.outward_normal(t0), [0.0, -1.0]);
    for s in RANDOM {
        let p = sample_face(&d, t0, s, 40, 8).unwrap();
        assert!((0..40).all(|i| p[(i, 1)] == 0.25 && (-1.0..=1.0).contains(&p[(i, 0)])));
    }
}

#[test]
fn periodic_pairs_match_row_by_row() {
    let d = BoxDomain::new(["x", "y", "t"], &[0.0; 3], &[6.0, 1.0, 1.0]).unwrap();
    let (lo, hi) = sample_periodic_pair(&d, 0, Sampler::LatinHypercube, 33, 4).unwrap();
    for i in 0..33 {
        assert_eq!((lo[(i, 0)], hi[(i, 0)]), (0.0, 6.0));
        assert_eq!((lo[(i, 1)], lo[(i, 2)]), (hi[(i, 1)], hi[(i, 2)]));
    }
    // Points from the wrong face are rejected, not silently moved.
    let wrong = sample_face(
        &d,
        Face {
            axis: 0,
            upper: true,
        },
        Sampler::Uniform,
        3,
        0,
    )
    .unwrap();
    assert!(matches!(
        periodic_image(&d, 0, &wrong),
        Err(GeometryError::NotOnFace { row: 0, .. })
    ));
}

#[test]
fn bad_input_gives_typed_errors_not_panics() {
    let d = BoxDomain::new(["x", "y"], &[0.0; 2], &[1.0; 2]).unwrap();
    let outside = Face {
        axis: 5,
        upper: true,
    };
    assert!(matches!(
        sample_face(&d, outside, Sampler::Uniform, 3, 0),
        Err(GeometryError::FaceOutOfRange { axis: 5, dim: 2 })
    ));
    assert!(matches!(
        sample_faces(&d, &[], Sampler::Sobol, 3, 0),
        Err(GeometryError::NoFaces { n: 3 })
    ));
    let f = d.faces()[1];
    assert!(matches!(
        sample_faces(&d, &[f, f], Sampler::Uniform, 3, 0),
        Err(GeometryError::DuplicateFace { .. })
    ));
    // n = 0 is allowed for every sampler and gives an empty 0 × d matrix.
    for s in [
        Sampler::Grid {
            include_boundary: true,
        },
        Sampler::Grid {
            include_boundary: false,
        },
        Sampler::Uniform,
        Sampler::LatinHypercube,
        Sampler::Sobol,
    ] {
        let p = sample_interior(&d, s, 0, 0).unwrap();
        assert_eq!((p.nrows(), p.ncols()), (0, 2));
        let q = sample_faces(&d, &d.faces(), s, 0, 0).unwrap();
        assert_eq!((q.nrows(), q.ncols()), (0, 2));
    }
}

/// In one dimension the faces are the two end points (measure 1 each).
#[test]
fn one_dimensional_boxes() {
    let d = BoxDomain::new(["t"], &[-1.0], &[0.5]).unwrap();
    let with = Sampler::Grid {
        include_boundary: true,
    };
    let g = sample_interior(&d, with, 4, 0).unwrap();
    assert_eq!(
        (0..4).map(|i| g[(i, 0)]).collect::<Vec<_>>(),
        [-1.0, -0.5, 0.0, 0.5]
    );
    let ends = sample_faces(&d, &d.faces(), with, 2, 0).unwrap();
    assert_eq!((ends[(0, 0)], ends[(1, 0)]), (-1.0, 0.5));
    assert!(sample_faces(&d, &d.faces(), with, 3, 0).is_err());
    let p = sample_faces(&d, &d.faces(), Sampler::Sobol, 5, 0).unwrap();
    assert_eq!(
        (0..5).map(|i| p[(i, 0)]).collect::<Vec<_>>(),
        [-1.0, -1.0, -1.0, 0.5, 0.5]
    );
}
