//! Collocation samplers: points in the interior of a box and on its faces.
//!
//! Random samplers draw in the unit cube (`unit.rs`) and map affinely,
//! `x_a = lo_a + u_a·(hi_a − lo_a)`. On a face the free coordinates are drawn with the
//! `(d−1)`-dimensional sampler and the fixed coordinate is set exactly to `lo_axis` or
//! `hi_axis`. Grids are tensor grids (`grid.rs`).
//!
//! **Seeds.** Every call is a pure function of its arguments. Each point set (the
//! interior, each face) draws from its own stream, seeded by SplitMix64 (Steele, Lea &
//! Flood 2014) of the user seed and a tag for the set, so the points on `x_min` do not
//! repeat those on `x_max` or in the interior.
//!
//! **Grids and `n`.** A grid has the same number `k` of points on every axis, and `n`
//! must be exactly the size of such a grid; otherwise the error names the nearest valid
//! sizes. Interior: `n = k^d`. Faces: see [`super::grid`] (e.g. 116 = all four sides of
//! the 30 × 30 grid of the unit square). For other per-axis counts call
//! [`super::grid_interior`] / [`super::grid_faces`] directly.

use super::domain::{BoxDomain, Face};
use super::error::GeometryError;
use super::grid::{face_rows, faces_count, grid_faces, grid_interior, interior_count};
use super::unit;
use faer::Mat;
use serde::{Deserialize, Serialize};

/// How to place points. In problem files: `"uniform"`, `"latin_hypercube"` (also
/// `"latinhypercube"` or `"lhs"`), `"sobol"`, or `{ grid = { include_boundary = true } }`
/// (`include_boundary` defaults to `false`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sampler {
    /// Tensor grid with `k` points per axis; with or without the points on the
    /// boundary of the set being sampled (the box, or each face).
    Grid {
        /// Include the ends of every axis (module docs of `grid`).
        #[serde(default)]
        include_boundary: bool,
    },
    /// Independent uniform points (rand's `StdRng`, seeded).
    Uniform,
    /// Latin hypercube: one point per stratum `[s/n, (s+1)/n)` in every dimension.
    #[serde(alias = "latinhypercube", alias = "lhs")]
    LatinHypercube,
    /// Sobol sequence (Joe–Kuo direction numbers), initial zero point skipped,
    /// randomised by a seeded Cranley–Patterson shift.
    Sobol,
}

/// SplitMix64 finaliser (Steele, Lea & Flood 2014): a bijective mix of 64 bits, so
/// nearby user seeds and tags give unrelated streams.
fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Seed of the stream for one point set: tag 0 is the interior, `1 + 2·axis + upper`
/// a face.
pub(crate) fn stream_seed(seed: u64, tag: u64) -> u64 {
    splitmix64(seed ^ splitmix64(tag))
}

fn face_tag(face: Face) -> u64 {
    1 + 2 * face.axis as u64 + face.upper as u64
}

/// `n` points of `sampler` in the unit cube `[0, 1)^k` (random samplers only).
fn unit_points(sampler: Sampler, n: usize, k: usize, seed: u64) -> Mat<f64> {
    match sampler {
        Sampler::Uniform => unit::uniform(n, k, seed),
        Sampler::LatinHypercube => unit::latin_hypercube(n, k, seed),
        Sampler::Sobol => unit::sobol(n, k, Some(seed)),
        Sampler::Grid { .. } => unreachable!("grids are not drawn in the unit cube"),
    }
}

/// `lo + u·(hi − lo)`, kept in `[lo, hi]` despite rounding.
fn affine(u: f64, lo: f64, hi: f64) -> f64 {
    (lo + u * (hi - lo)).clamp(lo, hi)
}

/// Checks that every face belongs to `domain` and none is repeated.
pub(crate) fn check_faces(domain: &BoxDomain, faces: &[Face]) -> Result<(), GeometryError> {
    for (k, &f) in faces.iter().enumerate() {
        domain.check_face(f)?;
        if faces[..k].contains(&f) {
            return Err(GeometryError::DuplicateFace {
                name: f.name(domain),
            });
        }
    }
    Ok(())
}

/// The `k ≥ k_min` with `count(k) = n`, where `count` is non-decreasing, `count(k) ≥ k`,
/// and `None` means overflow. Binary search, so huge `n` cannot hang.
fn solve_grid_size(
    n: usize,
    k_min: usize,
    count: impl Fn(usize) -> Option<usize>,
    kind: impl FnOnce() -> String,
) -> Result<usize, GeometryError> {
    let at_least_n = |k: usize| count(k).is_none_or(|c| c >= n);
    let (mut lo, mut hi) = (k_min, n.max(k_min));
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if at_least_n(mid) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    if count(lo) == Some(n) {
        return Ok(lo);
    }
    let describe = |k: usize| count(k).map(|c| format!("{c} (k = {k})"));
    let below = (lo > k_min).then(|| describe(lo - 1)).flatten();
    let above = describe(lo);
    let expected = match (below, above) {
        (Some(b), Some(a)) => format!("n = {b} or n = {a}"),
        (Some(b), None) => format!("n ≤ {b}"),
        (None, Some(a)) => format!("n = 0 or n ≥ {a}"),
        (None, None) => "a smaller n".to_string(),
    };
    Err(GeometryError::GridCount {
        n,
        kind: kind(),
        expected,
    })
}

fn boundary_words(include_boundary: bool) -> &'static str {
    if include_boundary { "with" } else { "without" }
}

/// Points per axis of the interior grid with `n = k^d` points.
fn interior_grid_size(
    domain: &BoxDomain,
    n: usize,
    include_boundary: bool,
) -> Result<usize, GeometryError> {
    let d = domain.dim();
    let k_min = if include_boundary { 2 } else { 1 };
    solve_grid_size(
        n,
        k_min,
        |k| interior_count(&vec![k; d]),
        || {
            format!(
                "grid {} the boundary in {d} dimension(s) (k^{d} points, k per axis)",
                boundary_words(include_boundary)
            )
        },
    )
}

/// Points per axis of the face grid with `n` points on `faces`.
fn faces_grid_size(
    domain: &BoxDomain,
    faces: &[Face],
    n: usize,
    include_boundary: bool,
) -> Result<usize, GeometryError> {
    let d = domain.dim();
    let kind = || {
        let names: Vec<String> = faces.iter().map(|f| f.name(domain)).collect();
        format!(
            "grid {} the edges on faces [{}] of a {d}-dimensional box (k points per axis)",
            boundary_words(include_boundary),
            names.join(", ")
        )
    };
    if d == 1 {
        // Faces are points: one grid point each, whatever k.
        return if n == faces.len() {
            Ok(1)
        } else {
            Err(GeometryError::GridCount {
                n,
                kind: kind(),
                expected: format!("n = {} (one point per face)", faces.len()),
            })
        };
    }
    let k_min = if include_boundary { 2 } else { 1 };
    solve_grid_size(
        n,
        k_min,
        |k| faces_count(&vec![k; d], faces, include_boundary),
        kind,
    )
}

/// `n` points in the box (as rows of an `n × d` matrix), placed by `sampler` and
/// reproducible in `seed` (grids ignore the seed).
///
/// `n = 0` gives a `0 × d` matrix. Grids need `n = k^d` (module docs).
pub fn sample_interior(
    domain: &BoxDomain,
    sampler: Sampler,
    n: usize,
    seed: u64,
) -> Result<Mat<f64>, GeometryError> {
    let d = domain.dim();
    if n == 0 {
        return Ok(Mat::zeros(0, d));
    }
    if let Sampler::Grid { include_boundary } = sampler {
        let k = interior_grid_size(domain, n, include_boundary)?;
        return grid_interior(domain, &vec![k; d], include_boundary);
    }
    let u = unit_points(sampler, n, d, stream_seed(seed, 0));
    Ok(Mat::from_fn(n, d, |i, a| {
        affine(u[(i, a)], domain.lo()[a], domain.hi()[a])
    }))
}

/// `n` points on one face, placed by the `(d−1)`-dimensional `sampler` in the free
/// coordinates, with the fixed coordinate exactly `lo_axis` (lower face) or `hi_axis`.
///
/// For a time coordinate `t`, the initial slice is the face `t_min`
/// (`Face::parse(&domain, "t_min")`). A grid needs `n = k^(d−1)`. In one dimension the
/// face is a point and random samplers repeat it `n` times.
pub fn sample_face(
    domain: &BoxDomain,
    face: Face,
    sampler: Sampler,
    n: usize,
    seed: u64,
) -> Result<Mat<f64>, GeometryError> {
    domain.check_face(face)?;
    sample_faces_with_counts(domain, &[face], sampler, &[n], seed, n)
}

/// How many of `n` boundary points each face gets: proportional to its measure,
/// `n_f ≈ n·|F_f| / Σ_g |F_g|`, rounded by the largest-remainder (Hamilton) rule so that
/// the counts sum to `n` exactly; ties go to the earlier face.
pub fn allocate_by_measure(
    domain: &BoxDomain,
    faces: &[Face],
    n: usize,
) -> Result<Vec<usize>, GeometryError> {
    check_faces(domain, faces)?;
    if faces.is_empty() {
        return if n == 0 {
            Ok(Vec::new())
        } else {
            Err(GeometryError::NoFaces { n })
        };
    }
    let measures: Vec<f64> = faces.iter().map(|&f| domain.face_measure(f)).collect();
    let total: f64 = measures.iter().sum();
    let mut quotas: Vec<f64> = measures.iter().map(|m| n as f64 * m / total).collect();
    if !quotas.iter().all(|q| q.is_finite()) {
        quotas = quotas_from_logs(domain, faces, n);
    }
    let mut counts: Vec<usize> = quotas.iter().map(|q| q.floor() as usize).collect();
    let frac = |i: usize| quotas[i] - quotas[i].floor();
    // Order faces by remainder, largest first, ties by position.
    let mut order: Vec<usize> = (0..faces.len()).collect();
    order.sort_by(|&a, &b| frac(b).total_cmp(&frac(a)).then(a.cmp(&b)));
    let assigned: usize = counts.iter().sum();
    if assigned <= n {
        for &i in order.iter().cycle().take(n - assigned) {
            counts[i] += 1;
        }
    } else {
        // Rounding made a quota a hair above an integer; take back from the smallest
        // remainders.
        let mut excess = assigned - n;
        for &i in order.iter().rev() {
            if excess == 0 {
                break;
            }
            if counts[i] > 0 {
                counts[i] -= 1;
                excess -= 1;
            }
        }
    }
    Ok(counts)
}

/// The quotas of [`allocate_by_measure`] from the measures relative to the largest,
/// through their logarithms: a box whose widths multiply past f64's range (or a
/// 1e308-wide axis beside a unit one) still splits its points by finite proportions.
fn quotas_from_logs(domain: &BoxDomain, faces: &[Face], n: usize) -> Vec<f64> {
    let logs: Vec<f64> = faces
        .iter()
        .map(|f| {
            (0..domain.dim())
                .filter(|&j| j != f.axis)
                .map(|j| (domain.hi()[j] - domain.lo()[j]).ln())
                .sum()
        })
        .collect();
    let largest = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let relative: Vec<f64> = logs
        .iter()
        .map(|l| {
            if largest.is_finite() {
                (l - largest).exp()
            } else {
                1.0
            }
        })
        .collect();
    let total: f64 = relative.iter().sum();
    relative
        .iter()
        .map(|r| (n as f64 * r / total).clamp(0.0, n as f64))
        .collect()
}

/// Number of rows of [`sample_faces`]'s output that belong to each face, in the order
/// of `faces` (its rows are grouped by face in that order). For random samplers this is
/// [`allocate_by_measure`]; for a grid with the boundary a shared edge or corner point
/// is counted under the first face listed that contains it.
pub fn rows_per_face(
    domain: &BoxDomain,
    faces: &[Face],
    sampler: Sampler,
    n: usize,
) -> Result<Vec<usize>, GeometryError> {
    match sampler {
        Sampler::Grid { include_boundary } if n > 0 => {
            check_faces(domain, faces)?;
            if faces.is_empty() {
                return Err(GeometryError::NoFaces { n });
            }
            let k = faces_grid_size(domain, faces, n, include_boundary)?;
            Ok(face_rows(&vec![k; domain.dim()], faces, include_boundary)
                .expect("the grid size was found without overflow"))
        }
        _ => allocate_by_measure(domain, faces, n),
    }
}

/// `n` points on the union of `faces`, as rows of an `n × d` matrix grouped by face in
/// the order given (see [`rows_per_face`]).
///
/// Random samplers: the points are split over the faces in proportion to their measure
/// ([`allocate_by_measure`]) and each face is sampled with its own seeded stream; the
/// fixed coordinate is set exactly. Grids: the face grid with `k` points per axis and
/// `n` points, shared edges and corners listed once (module docs of `grid`).
///
/// Errors: faces out of range or repeated; `n > 0` with no faces; grid sizes that do
/// not exist.
pub fn sample_faces(
    domain: &BoxDomain,
    faces: &[Face],
    sampler: Sampler,
    n: usize,
    seed: u64,
) -> Result<Mat<f64>, GeometryError> {
    let counts = rows_per_face(domain, faces, sampler, n)?;
    sample_faces_with_counts(domain, faces, sampler, &counts, seed, n)
}

/// Samples `counts[i]` points on `faces[i]` (random samplers), or the face grid of `n`
/// points (grids). `faces` is already checked.
fn sample_faces_with_counts(
    domain: &BoxDomain,
    faces: &[Face],
    sampler: Sampler,
    counts: &[usize],
    seed: u64,
    n: usize,
) -> Result<Mat<f64>, GeometryError> {
    let d = domain.dim();
    if n == 0 {
        return Ok(Mat::zeros(0, d));
    }
    if let Sampler::Grid { include_boundary } = sampler {
        let k = faces_grid_size(domain, faces, n, include_boundary)?;
        return grid_faces(domain, faces, &vec![k; d], include_boundary);
    }
    let mut out = Mat::zeros(n, d);
    let mut row = 0;
    for (&face, &count) in faces.iter().zip(counts) {
        let u = unit_points(sampler, count, d - 1, stream_seed(seed, face_tag(face)));
        let fixed = domain.face_value(face);
        for i in 0..count {
            for a in 0..d {
                out[(row, a)] = match a.cmp(&face.axis) {
                    std::cmp::Ordering::Equal => fixed,
                    std::cmp::Ordering::Less => affine(u[(i, a)], domain.lo()[a], domain.hi()[a]),
                    std::cmp::Ordering::Greater => {
                        affine(u[(i, a - 1)], domain.lo()[a], domain.hi()[a])
                    }
                };
            }
            row += 1;
        }
    }
    debug_assert_eq!(row, n);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::IntoDeserializer;
    use serde::de::value::{Error as DeError, MapAccessDeserializer, MapDeserializer};

    fn rect() -> BoxDomain {
        BoxDomain::new(["x", "y"], &[0.0; 2], &[2.0, 1.0]).unwrap()
    }

    #[test]
    fn extreme_widths_split_points_by_finite_proportions() {
        let d = BoxDomain::new(["t", "x"], &[0.0, -1.0], &[1.0, 1.1e308]).unwrap();
        let c = allocate_by_measure(&d, &d.faces(), 100).unwrap();
        assert_eq!(c.iter().sum::<usize>(), 100);
        // The t faces span the 1e308-wide axis: they take every point.
        assert_eq!(c, vec![50, 50, 0, 0]);
        let wide = BoxDomain::new(["a", "b", "c"], &[0.0; 3], &[1e200, 1e200, 1.0]).unwrap();
        let c = allocate_by_measure(&wide, &wide.faces(), 10).unwrap();
        assert_eq!(c.iter().sum::<usize>(), 10);
    }

    #[test]
    fn largest_remainder_allocation() {
        let d = rect();
        // Measures 1, 1, 2, 2: quotas 7/6·{1,1,2,2} = 1.17, 1.17, 2.33, 2.33 → floors
        // 1,1,2,2 (sum 6), the last point goes to the first largest remainder (y_min).
        assert_eq!(
            allocate_by_measure(&d, &d.faces(), 7).unwrap(),
            [1, 1, 3, 2]
        );
        assert_eq!(
            allocate_by_measure(&d, &d.faces(), 600).unwrap(),
            [100, 100, 200, 200]
        );
        assert_eq!(
            allocate_by_measure(&d, &d.faces(), 1).unwrap(),
            [0, 0, 1, 0]
        );
        for n in 0..200 {
            let c = allocate_by_measure(&d, &d.faces(), n).unwrap();
            assert_eq!(c.iter().sum::<usize>(), n);
            // Hamilton's rule: every count within one of its quota.
            for (k, &f) in d.faces().iter().enumerate() {
                let q = n as f64 * d.face_measure(f) / 6.0;
                assert!((c[k] as f64 - q).abs() < 1.0, "n = {n}");
            }
        }
        assert_eq!(
            allocate_by_measure(&d, &[], 3),
            Err(GeometryError::NoFaces { n: 3 })
        );
        assert!(allocate_by_measure(&d, &[], 0).unwrap().is_empty());
        let f = d.faces()[0];
        assert!(matches!(
            allocate_by_measure(&d, &[f, f], 3),
            Err(GeometryError::DuplicateFace { .. })
        ));
    }

    #[test]
    fn grid_size_rule_names_the_nearest_valid_counts() {
        let d = rect();
        assert_eq!(interior_grid_size(&d, 784, false), Ok(28));
        let err = interior_grid_size(&d, 800, false).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("784 (k = 28)") && msg.contains("841 (k = 29)"),
            "{msg}"
        );
        // With the boundary a single point per axis is not a grid.
        let msg = interior_grid_size(&d, 1, true).unwrap_err().to_string();
        assert!(msg.contains("n ≥ 4 (k = 2)"), "{msg}");
        assert_eq!(faces_grid_size(&d, &d.faces(), 116, true), Ok(30));
        assert_eq!(faces_grid_size(&d, &d.faces(), 112, false), Ok(28));
        assert!(faces_grid_size(&d, &d.faces(), 117, true).is_err());
        // Huge n cannot hang the search.
        assert!(interior_grid_size(&d, usize::MAX, false).is_err());
        assert!(faces_grid_size(&d, &d.faces(), usize::MAX, true).is_err());
        let line = BoxDomain::new(["t"], &[0.0], &[1.0]).unwrap();
        assert_eq!(interior_grid_size(&line, 1000, false), Ok(1000));
        assert_eq!(faces_grid_size(&line, &line.faces(), 2, true), Ok(1));
        assert!(faces_grid_size(&line, &line.faces(), 3, true).is_err());
    }

    #[test]
    fn seeds_of_different_sets_differ() {
        let tags = [0, 1, 2, 3, 4];
        for s in [0u64, 1, 2] {
            for (i, &a) in tags.iter().enumerate() {
                for &b in &tags[i + 1..] {
                    assert_ne!(stream_seed(s, a), stream_seed(s, b));
                }
            }
        }
        // SplitMix64 reference value (first output for state 0, Steele et al. 2014).
        assert_eq!(splitmix64(0), 0xE220_A839_7B1D_CDAF);
    }

    fn from_str(s: &str) -> Result<Sampler, DeError> {
        Sampler::deserialize(s.into_deserializer())
    }

    #[test]
    fn deserialises_lowercase_names() {
        assert_eq!(from_str("uniform"), Ok(Sampler::Uniform));
        assert_eq!(from_str("sobol"), Ok(Sampler::Sobol));
        for name in ["latin_hypercube", "latinhypercube", "lhs"] {
            assert_eq!(from_str(name), Ok(Sampler::LatinHypercube));
        }
        assert!(from_str("Uniform").is_err() && from_str("halton").is_err());
        // `{ grid = { include_boundary = true } }` and `{ grid = {} }`.
        let grid = |fields: Vec<(&'static str, bool)>| {
            let inner = MapDeserializer::<_, DeError>::new(fields.into_iter());
            let outer = MapDeserializer::<_, DeError>::new(std::iter::once(("grid", inner)));
            Sampler::deserialize(MapAccessDeserializer::new(outer))
        };
        assert_eq!(
            grid(vec![("include_boundary", true)]),
            Ok(Sampler::Grid {
                include_boundary: true
            })
        );
        assert_eq!(
            grid(vec![]),
            Ok(Sampler::Grid {
                include_boundary: false
            })
        );
    }
}
