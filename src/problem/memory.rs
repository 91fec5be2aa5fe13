//! The memory a solve will need, estimated from the sizes a problem file asks for before
//! anything is allocated, and the machine memory it is compared with.
//!
//! The estimate adds, in bytes of 8-byte floats:
//! - the points: every block's points, the evaluation points and any adaptive pool
//!   (`d` coordinates each; a pool also holds its residuals and weights), and with an
//!   input embedding of width `D` the features' jets stored per training point (`D` per
//!   slot, for the same slots as the jets below);
//! - with reflection symmetries, for each of the `2^s − 1` reflected copies of the
//!   network: the reflected coordinates and the copy's channels per training point
//!   (`d` plus at most one per slot), its stored feature jets, and its own jet workspace
//!   per thread (the copies of a chunk are evaluated side by side);
//! - the jets: each worker thread evaluates chunks of 128 points at once, holding the
//!   value, gradient and Hessian slots (`1 + d + d(d+1)/2`) of every layer's input and
//!   output;
//! - the vectors: the residual vector twice (current and trial) and 26 parameter-length
//!   vectors (θ, gradient, step and trial point, and an L-BFGS history of 10 pairs);
//! - the preset's matrix: the N × P Jacobian plus two P × P matrices for `lm` (`JᵀJ` and
//!   the copy each trial damps and factors) and `engd` (the Gramian and its
//!   eigenvectors), the Jacobian twice (its copy is factorised in place) plus two P × P
//!   matrices (the stacked `[R; √λ D̃]` of each trial) for `lm-qr`, the Jacobian alone for
//!   `gncg`, the Jacobian twice (its column-scaled copy is factorised in place) plus
//!   the QR's stacked triangles, R, the singular vectors and faer's SVD workspace for
//!   `gn-probe`, a batch of Jacobian rows, its transforms, the sketches and the core's
//!   spectral factorisation for `gn-probe-sketch` and for `gn-probe` with a
//!   `[solver.probe.sketch]` table (at the table's sizes, else the defaults), buffer by
//!   buffer as these solvers allocate them (`spectral`), a P × P inverse Hessian for the
//!   self-scaled quasi-Newton presets, nothing for `lbfgs`, `adam` and `adam-lbfgs`.
//!
//! The rule: a problem is refused when the estimate exceeds the machine's total memory
//! (`MemTotal` of `/proc/meminfo`). Total rather than available memory, so that the same
//! file is accepted or refused the same way whatever else is running; on systems
//! without `/proc/meminfo` only sizes that overflow are refused.

mod spectral;

use std::fmt::Write as _;

use pinn_solvers::SolverConfig;
use pinn_solvers::linalg::SketchParams;

/// Bytes of one f64.
const F64: u128 = 8;
/// Points per chunk of the jet evaluation (the engine's chunk size).
const CHUNK: u128 = 128;
/// Parameter-length vectors every solver may hold.
const PARAM_VECTORS: u128 = 26;

/// Presets that form the dense N × P Jacobian.
pub const DENSE_JACOBIAN_PRESETS: &[&str] = &["lm", "lm-qr", "engd", "gncg", "gn-probe"];

/// The sizes of a solve, as counts (u128: products of counts never overflow).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sizes {
    /// The number of variables `d`.
    pub dim: u128,
    /// Training points over all blocks.
    pub points: u128,
    /// Residual rows `N` over all blocks.
    pub rows: u128,
    /// Evaluation points.
    pub evaluation: u128,
    /// Candidates of every adaptive pool, summed.
    pub pool: u128,
    /// Parameters `P`.
    pub params: u128,
    /// The widths of the network's layers, summed (the jets' width).
    pub widths: u128,
    /// Worker threads (see [`worker_threads`]).
    pub threads: u128,
    /// The embedded width `D` with an input embedding (whose jets are stored per
    /// training point), 0 without one.
    pub embedded: u128,
    /// The copies of the network a point is evaluated on: `2^s` with `s` reflection
    /// symmetries, 1 without (0 counts as 1).
    pub network_copies: u128,
}

/// The worker threads a solve configured with `threads` runs: `threads` itself, or for
/// 0 rayon's default, `RAYON_NUM_THREADS` when set to a positive number, else one per
/// core. It asks the operating system, not rayon: asking rayon starts its global pool,
/// which can be sized only before it starts, and the estimate is made while the problem
/// file is read, before the solve sizes the pool from the file's settings.
pub fn worker_threads(threads: usize) -> usize {
    if threads != 0 {
        return threads;
    }
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(1)
}

/// What the preset keeps besides points, jets and vectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Matrix {
    /// No matrix.
    None,
    /// The N × P Jacobian `copies` times (the loop's and any copy a solver factorises
    /// in place) and `squares` P × P matrices.
    Jacobian {
        /// N × P matrices held at once.
        copies: u128,
        /// P × P matrices held at once.
        squares: u128,
    },
    /// A dense P × P inverse Hessian.
    InverseHessian,
    /// The N × P Jacobian and a column-scaled copy factorised in place, plus the QR's
    /// stacked triangles, the triangular factor, both sets of singular vectors and the
    /// SVD's workspace.
    JacobianSvd,
    /// The sketched Gauss–Newton model: a batch of `min(b, N)` rows of J and their
    /// transforms, the sketches, the `s₁ × s₂` core (`s₁ = min(rows, N)`,
    /// `s₂ = min(cols, P)`) and its spectral factorisation.
    SketchedCore {
        /// The configured sketched rows `s₁` before clipping to `N`.
        rows: u128,
        /// The configured sketched columns `s₂` before clipping to `P`.
        cols: u128,
        /// The Jacobian rows `b` evaluated per batch.
        batch_rows: u128,
        /// Nonzeros per column of the count sketch.
        hashes: u128,
    },
}

impl Matrix {
    /// The sketched core at the sizes of `sketch`.
    pub fn sketched(sketch: &SketchParams) -> Self {
        Matrix::SketchedCore {
            rows: sketch.rows as u128,
            cols: sketch.cols as u128,
            batch_rows: sketch.batch_rows as u128,
            hashes: sketch.hashes as u128,
        }
    }
}

/// The preset's matrix at its default settings.
pub fn matrix_of(preset: &str) -> Matrix {
    match preset {
        "lm" | "engd" => Matrix::Jacobian {
            copies: 1,
            squares: 2,
        },
        "lm-qr" => Matrix::Jacobian {
            copies: 2,
            squares: 2,
        },
        "gncg" => Matrix::Jacobian {
            copies: 1,
            squares: 0,
        },
        "gn-probe" => Matrix::JacobianSvd,
        "gn-probe-sketch" => Matrix::sketched(&SketchParams::default()),
        "ssbroyden" | "ssbfgs" | "adam-ssbroyden" => Matrix::InverseHessian,
        _ => Matrix::None,
    }
}

/// The preset's matrix with the settings `config` (the preset's, with the file's
/// overrides): a `[solver.probe.sketch]` table makes `gn-probe` sketched and sets the
/// sketch sizes of both probe presets; `lm.forgetting > 0` makes `lm` keep a third
/// P × P matrix (the accumulated normal equations, the current draw's `JᵀJ` and the
/// factored copy).
pub fn matrix_with(preset: &str, config: &SolverConfig) -> Matrix {
    match (matrix_of(preset), &config.probe.sketch) {
        (Matrix::JacobianSvd | Matrix::SketchedCore { .. }, Some(sketch)) => {
            Matrix::sketched(sketch)
        }
        (Matrix::Jacobian { copies: 1, .. }, _) if preset == "lm" && config.lm.forgetting > 0.0 => {
            Matrix::Jacobian {
                copies: 1,
                squares: 3,
            }
        }
        (m, _) => m,
    }
}

/// The estimate of one solve, in bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Estimate {
    /// The preset the estimate is for.
    pub preset: String,
    /// The sizes it was made from.
    pub sizes: Sizes,
    /// Points, evaluation points and pools.
    pub points: u128,
    /// The jets of the worker threads.
    pub jets: u128,
    /// Residual and parameter vectors.
    pub vectors: u128,
    /// The Jacobian (0 when the preset does not form it).
    pub jacobian: u128,
    /// The P × P matrix (0 when the preset has none).
    pub square: u128,
}

impl Estimate {
    /// The estimate for `preset` at its default settings and `sizes`.
    pub fn new(preset: &str, sizes: &Sizes) -> Self {
        Self::with_matrix(preset, matrix_of(preset), sizes)
    }

    /// The estimate for `preset` with the settings `config` ([`matrix_with`]).
    pub fn with_config(preset: &str, config: &SolverConfig, sizes: &Sizes) -> Self {
        Self::with_matrix(preset, matrix_with(preset, config), sizes)
    }

    /// The estimate for `preset` keeping `matrix` at `sizes`.
    pub fn with_matrix(preset: &str, matrix: Matrix, sizes: &Sizes) -> Self {
        let s = sizes;
        let slots = 1 + s.dim + s.dim * (s.dim + 1) / 2;
        let (jacobian, square) = match matrix {
            Matrix::None => (0, 0),
            Matrix::Jacobian { copies, squares } => (
                copies * F64 * s.rows * s.params,
                squares * F64 * s.params * s.params,
            ),
            Matrix::InverseHessian => (0, F64 * s.params * s.params),
            Matrix::JacobianSvd => {
                // The loop's J, then the solver's scaled copy and the rest.
                let (tall, rest) = spectral::dense_svd_words(s.rows, s.params);
                (F64 * (s.rows * s.params + tall), F64 * rest)
            }
            Matrix::SketchedCore {
                rows,
                cols,
                batch_rows,
                hashes,
            } => {
                let sketch = (s.rows.min(rows).max(1), s.params.min(cols).max(1));
                let b = s.rows.min(batch_rows).max(1);
                let (batch, rest) =
                    spectral::sketched_words(s.rows, s.params, sketch, hashes, b, s.threads);
                (F64 * batch, F64 * rest)
            }
        };
        let copies = s.network_copies.max(1);
        Estimate {
            preset: preset.to_string(),
            sizes: s.clone(),
            points: F64
                * (s.dim * (s.points + s.evaluation)
                    + (s.dim + 4) * s.pool
                    + copies * slots * s.embedded * s.points
                    + (copies - 1) * (s.dim + slots) * s.points),
            jets: F64 * copies * s.threads.max(1) * CHUNK * 2 * slots * s.widths,
            vectors: F64 * (2 * s.rows + PARAM_VECTORS * s.params),
            jacobian,
            square,
        }
    }

    /// The whole estimate.
    pub fn total(&self) -> u128 {
        self.points + self.jets + self.vectors + self.jacobian + self.square
    }

    /// Whether the largest part is due to the parameter count rather than the points.
    pub fn dominated_by_params(&self) -> bool {
        let s = &self.sizes;
        let by_params = self
            .square
            .max(self.jets)
            .max(F64 * PARAM_VECTORS * s.params);
        let by_points = self.points.max(F64 * 2 * s.rows);
        if self.jacobian > by_params.max(by_points) {
            s.params >= s.rows
        } else {
            by_params >= by_points
        }
    }

    /// The largest part in words, e.g. "the Jacobian of 1 000 000 000 residual rows ×
    /// 1 341 parameters needs 9.8 TiB".
    pub fn largest_part(&self) -> String {
        let s = &self.sizes;
        let parts = [
            (
                self.jacobian,
                format!(
                    "the Jacobian of {} residual rows × {} parameters",
                    group(s.rows),
                    group(s.params)
                ),
            ),
            (
                self.square,
                format!(
                    "the {} × {} matrix of preset `{}`",
                    group(s.params),
                    group(s.params),
                    self.preset
                ),
            ),
            (
                self.points,
                format!(
                    "{} points in {} variables",
                    group(s.points + s.evaluation + s.pool),
                    s.dim
                ),
            ),
            (
                self.jets,
                format!("the jets of layers {} wide in total", group(s.widths)),
            ),
            (
                self.vectors,
                format!(
                    "the vectors of {} residuals and {} parameters",
                    group(s.rows),
                    group(s.params)
                ),
            ),
        ];
        let (bytes, what) = parts
            .into_iter()
            .max_by_key(|(b, _)| *b)
            .expect("five parts");
        format!("{what} needs {}", human_bytes(bytes as f64))
    }

    /// One line for `pinn check`.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "about {} for preset `{}` (points {}, jets {}, vectors {}",
            human_bytes(self.total() as f64),
            self.preset,
            human_bytes(self.points as f64),
            human_bytes(self.jets as f64),
            human_bytes(self.vectors as f64)
        );
        if self.jacobian > 0 {
            let _ = write!(s, ", Jacobian N×P {}", human_bytes(self.jacobian as f64));
        }
        if self.square > 0 {
            let _ = write!(s, ", P×P {}", human_bytes(self.square as f64));
        }
        s.push(')');
        s
    }

    /// `Err` with a message when the estimate exceeds `limit` bytes of memory, which
    /// `described` names ("this machine has 23.4 GiB").
    pub fn check(&self, limit: u64, described: &str) -> Result<(), String> {
        if self.total() <= u128::from(limit) {
            return Ok(());
        }
        let mut m = format!(
            "a solve with preset `{}` needs about {}: {}; {described}",
            self.preset,
            human_bytes(self.total() as f64),
            self.largest_part()
        );
        if DENSE_JACOBIAN_PRESETS.contains(&self.preset.as_str()) {
            m.push_str(
                ". Use fewer points or narrower layers, or a preset that does not form the \
                 Jacobian (lbfgs, adam)",
            );
        } else {
            m.push_str(". Use fewer points or narrower layers");
        }
        Err(m)
    }
}

/// The machine's memory, from `/proc/meminfo`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MachineMemory {
    /// `MemTotal`, bytes.
    pub total: u64,
    /// `MemAvailable`, bytes, when the kernel reports it.
    pub available: Option<u64>,
}

impl MachineMemory {
    /// Reads `/proc/meminfo`; `None` where it does not exist or does not parse.
    pub fn read() -> Option<Self> {
        parse_meminfo(&std::fs::read_to_string("/proc/meminfo").ok()?)
    }

    /// "this machine has 23.4 GiB of memory (21.0 GiB available)".
    pub fn describe(&self) -> String {
        match self.available {
            Some(a) => format!(
                "this machine has {} of memory ({} available)",
                human_bytes(self.total as f64),
                human_bytes(a as f64)
            ),
            None => format!(
                "this machine has {} of memory",
                human_bytes(self.total as f64)
            ),
        }
    }
}

/// `MemTotal` and `MemAvailable` of a `/proc/meminfo` text (values in kB).
fn parse_meminfo(text: &str) -> Option<MachineMemory> {
    let field = |name: &str| -> Option<u64> {
        let line = text.lines().find(|l| l.starts_with(name))?;
        let kb: u64 = line[name.len()..]
            .trim_start_matches(':')
            .split_whitespace()
            .next()?
            .parse()
            .ok()?;
        kb.checked_mul(1024)
    };
    Some(MachineMemory {
        total: field("MemTotal")?,
        available: field("MemAvailable"),
    })
}

/// Bytes in a binary unit (B, KiB, MiB, …, EiB).
pub fn human_bytes(bytes: f64) -> String {
    const UNITS: [&str; 9] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"];
    let mut v = bytes;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{v:.0} {}", UNITS[u])
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// `n` with its digits in groups of three: `1 000 000`.
pub fn group(n: u128) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// The parameter count `Σ (w_k + 1) w_{k+1}` of layer widths `widths` (the first the
/// embedded input width), or `None` when it overflows.
pub fn param_count(widths: &[u128]) -> Option<u128> {
    widths.windows(2).try_fold(0u128, |acc, pair| {
        pair[0]
            .checked_add(1)?
            .checked_mul(pair[1])
            .and_then(|n| acc.checked_add(n))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_thread_count_is_kept_and_the_default_is_at_least_one() {
        assert_eq!(worker_threads(3), 3);
        assert!(worker_threads(0) >= 1);
    }

    fn sizes(points: u128, params: u128) -> Sizes {
        Sizes {
            dim: 2,
            points,
            rows: points,
            evaluation: 0,
            pool: 0,
            params,
            widths: 100,
            threads: 1,
            embedded: 0,
            network_copies: 1,
        }
    }

    /// `lm` with a forgetting factor keeps the accumulated normal equations besides
    /// `JᵀJ` and its factored copy.
    #[test]
    fn accumulated_normal_equations_are_counted() {
        let s = sizes(1000, 100);
        let mut accumulated = SolverConfig::lm();
        accumulated.lm.forgetting = 0.9;
        let e = Estimate::with_config("lm", &accumulated, &s);
        assert_eq!((e.jacobian, e.square), (8 * 1000 * 100, 3 * 8 * 100 * 100));
        assert_eq!(
            Estimate::with_config("lm", &SolverConfig::lm(), &s).square,
            2 * 8 * 100 * 100
        );
    }

    /// Reflected copies add, per training point, their coordinates, their channels and
    /// their stored feature jets, and their own jet workspace per thread.
    #[test]
    fn reflected_copies_are_counted() {
        let plain = Sizes {
            embedded: 3,
            threads: 2,
            ..sizes(1000, 100)
        };
        let odd = Sizes {
            network_copies: 2,
            ..plain.clone()
        };
        let (a, b) = (
            Estimate::new("ssbroyden", &plain),
            Estimate::new("ssbroyden", &odd),
        );
        let slots = 1 + 2 + 3;
        assert_eq!(
            b.points - a.points,
            8 * 1000 * (3 * slots + 2 + slots),
            "jets of the copy's features, its coordinates and channels"
        );
        assert_eq!(b.jets, 2 * a.jets);
        assert_eq!((b.vectors, b.square), (a.vectors, a.square));
        let none = Sizes {
            network_copies: 0,
            ..plain.clone()
        };
        let zero = Estimate::new("ssbroyden", &none);
        assert_eq!(
            (zero.points, zero.jets),
            (a.points, a.jets),
            "0 copies count as 1"
        );
    }

    #[test]
    fn the_jacobian_is_counted_only_for_the_presets_that_form_it() {
        let s = sizes(1000, 100);
        let lm = Estimate::new("lm", &s);
        assert_eq!(lm.jacobian, 8 * 1000 * 100);
        assert_eq!(lm.square, 2 * 8 * 100 * 100);
        let qr = Estimate::new("lm-qr", &s);
        assert_eq!(
            (qr.jacobian, qr.square),
            (2 * 8 * 1000 * 100, 2 * 8 * 100 * 100)
        );
        let gncg = Estimate::new("gncg", &s);
        assert_eq!((gncg.jacobian, gncg.square), (8 * 1000 * 100, 0));
        // gn-probe: J, its scaled copy and Qᵀr, then (one QR block at this size) the
        // panel, R, U, V, three vectors and the SVD workspace.
        let probe = Estimate::new("gn-probe", &s);
        assert_eq!(
            (probe.jacobian, probe.square),
            (
                8 * (2 * 1000 * 100 + 1000),
                8 * (512 * 100 + 3 * 100 * 100 + 3 * 100 + 8 * 100 * 100)
            )
        );
        // gn-probe-sketch clips its 2000 × 2000 sketch to 1000 × 100 (s₂ = P: no DCT).
        let sketch = Estimate::new("gn-probe-sketch", &s);
        let (_, core) = spectral::dense_svd_words(1000, 100);
        assert_eq!(
            (sketch.jacobian, sketch.square),
            (
                8 * 1000 * 100,
                8 * (2 * 1000 * 4
                    + 100
                    + 2 * 100
                    + 1000 * 100
                    + 2 * 1000 * 100
                    + 1000
                    + (100 + 3 * 100)
                    + (1000 * 100 + 1000)
                    + core)
            )
        );
        let ss = Estimate::new("ssbroyden", &s);
        assert_eq!((ss.jacobian, ss.square), (0, 8 * 100 * 100));
        let lbfgs = Estimate::new("lbfgs", &s);
        assert_eq!((lbfgs.jacobian, lbfgs.square), (0, 0));
        assert_eq!(lbfgs.points, 8 * 2 * 1000);
        assert_eq!(lbfgs.vectors, 8 * (2 * 1000 + 26 * 100));
        assert_eq!(lbfgs.jets, 8 * 128 * 2 * 6 * 100);
        assert_eq!(
            lm.total(),
            lm.points + lm.jets + lm.vectors + lm.jacobian + lm.square
        );
    }

    /// A `[solver.probe.sketch]` table's sizes replace the defaults in the estimate of
    /// `gn-probe-sketch`, and make `gn-probe` a sketched solve; other presets ignore it.
    #[test]
    fn the_configured_sketch_sizes_are_estimated() {
        let s = sizes(10_000, 5_000);
        let mut config = SolverConfig::gn_probe_sketch();
        let default = Estimate::with_config("gn-probe-sketch", &config, &s);
        assert_eq!(default, Estimate::new("gn-probe-sketch", &s));
        let rest = |s1: u128, s2: u128, b: u128| {
            spectral::sketched_words(10_000, 5_000, (s1, s2), 4, b, 1).1 * 8
        };
        assert_eq!(
            (default.jacobian, default.square),
            (8 * 2048 * 5000, rest(2000, 2000, 2048))
        );
        config.probe.sketch = Some(SketchParams {
            rows: 4000,
            cols: 3000,
            hashes: 4,
            batch_rows: 512,
            seed: 0,
        });
        let set = Estimate::with_config("gn-probe-sketch", &config, &s);
        assert_eq!(
            (set.jacobian, set.square),
            (8 * 512 * 5000, rest(4000, 3000, 512))
        );
        assert!(set.square > default.square, "a larger core costs more");
        // Sizes beyond the problem's are clipped to N and P.
        config.probe.sketch.as_mut().unwrap().cols = 1_000_000;
        let big = Estimate::with_config("gn-probe-sketch", &config, &s);
        assert_eq!(big.square, rest(4000, 5000, 512));
        // gn-probe with the table is sketched at its sizes; without it, the full SVD.
        assert_eq!(Estimate::with_config("gn-probe", &config, &s), {
            let mut e = big.clone();
            e.preset = "gn-probe".to_string();
            e
        });
        config.probe.sketch = None;
        assert_eq!(
            Estimate::with_config("gn-probe", &config, &s),
            Estimate::new("gn-probe", &s)
        );
        let lm = SolverConfig::default();
        assert_eq!(
            Estimate::with_config("lm", &lm, &s),
            Estimate::new("lm", &s)
        );
    }

    #[test]
    fn a_billion_rows_is_refused_with_the_jacobian_in_the_message() {
        let e = Estimate::new("lm", &sizes(1_000_000_000, 1341));
        let m = e
            .check(24 << 30, "this machine has 24.0 GiB of memory")
            .unwrap_err();
        assert!(
            m.contains(
                "the Jacobian of 1 000 000 000 residual rows × 1 341 parameters needs 9.8 TiB"
            ),
            "{m}"
        );
        assert!(m.contains("preset `lm`") && m.contains("24.0 GiB"), "{m}");
        assert!(!e.dominated_by_params());
        // The same sizes fit in memory without the Jacobian only if the machine is large.
        let l = Estimate::new("lbfgs", &sizes(1_000_000_000, 1341));
        assert!(l.total() < e.total());
    }

    #[test]
    fn wide_layers_are_blamed_on_the_parameters() {
        let e = Estimate::new("lm", &sizes(100, 10_000_200_001));
        assert!(e.dominated_by_params());
        assert!(e.check(1 << 40, "x").is_err());
        assert!(
            Estimate::new("lm", &sizes(100, 100))
                .check(1 << 30, "x")
                .is_ok()
        );
    }

    #[test]
    fn parameter_counts_overflow_to_none() {
        assert_eq!(param_count(&[2, 20, 1]), Some(3 * 20 + 21));
        assert_eq!(
            param_count(&[2, 1 << 32, 1 << 32, 1]).map(|p| p > 1 << 64),
            Some(true)
        );
        assert_eq!(param_count(&[2, u128::MAX, 1]), None);
    }

    #[test]
    fn meminfo_is_read_in_kilobytes() {
        let m = parse_meminfo(
            "MemTotal:       24684084 kB\nMemFree: 1 kB\nMemAvailable:   23358964 kB\n",
        )
        .unwrap();
        assert_eq!(m.total, 24_684_084 * 1024);
        assert_eq!(m.available, Some(23_358_964 * 1024));
        assert!(m.describe().contains("23.5 GiB"), "{}", m.describe());
        assert_eq!(parse_meminfo("MemFree: 3 kB"), None);
        assert_eq!(parse_meminfo("MemTotal: 3 kB").unwrap().available, None);
    }

    #[test]
    fn numbers_and_bytes_read_easily() {
        assert_eq!(group(0), "0");
        assert_eq!(group(1341), "1 341");
        assert_eq!(group(1_000_000_000), "1 000 000 000");
        assert_eq!(human_bytes(512.0), "512 B");
        assert_eq!(human_bytes(2048.0), "2.0 KiB");
        assert_eq!(human_bytes(1020.0 * 257.0 * 8.0), "2.0 MiB");
    }
}
