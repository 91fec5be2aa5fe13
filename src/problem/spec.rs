//! The problem file as written: a TOML document deserialised with serde.
//!
//! Every field that a later check may reject is kept [`Spanned`], so that the error names
//! the file, line and column of the value at fault. Unknown keys are rejected
//! (`deny_unknown_fields`), with the toml crate's list of the expected ones.
//!
//! Residual blocks are one flat table kind (`[[blocks]]` with a `kind` key) rather than
//! a serde-tagged enum: serde buffers tagged enums, which would lose the spans.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

/// The whole problem file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProblemSpec {
    /// Short name, used for result files (`<name>.h5`) and `pinn problems`: the file's
    /// name without `.toml`, which is also the default.
    #[serde(default)]
    pub name: Option<Spanned<String>>,
    /// One paragraph on the problem.
    #[serde(default)]
    pub description: Option<String>,
    /// Where the setup comes from (paper, table, repository).
    #[serde(default)]
    pub source: Option<String>,
    /// Names of the network outputs, in column order (default `["u"]`).
    #[serde(default)]
    pub outputs: Option<Spanned<Vec<Spanned<String>>>>,
    /// The domain: variable names and bounds.
    pub domain: Spanned<DomainSpec>,
    /// Named constants usable in every expression.
    #[serde(default)]
    pub constants: BTreeMap<Spanned<String>, Spanned<f64>>,
    /// The residual blocks: PDE, boundary and initial conditions, periodic pairs.
    #[serde(default)]
    pub blocks: Vec<Spanned<BlockSpec>>,
    /// Output transforms (hard constraints): per output, an ansatz in the variables,
    /// the constants and `N`, the network's raw output, e.g. `u = "sin(pi*x) + t*N"`.
    /// Outputs without an entry are the network output itself.
    #[serde(default)]
    pub transform: BTreeMap<Spanned<String>, Spanned<String>>,
    /// Exact solution per output (expressions in the variables), when known.
    #[serde(default)]
    pub exact: BTreeMap<Spanned<String>, Spanned<String>>,
    /// A reference solution tabulated at points, read from a file (for problems with no
    /// closed form); its points are the evaluation points.
    #[serde(default)]
    pub reference: Option<Spanned<ReferenceSpec>>,
    /// The network.
    pub model: Spanned<ModelSpec>,
    /// Collocation settings shared by the blocks.
    #[serde(default)]
    pub collocation: Option<Spanned<CollocationSpec>>,
    /// Where errors are measured (never at training points).
    #[serde(default)]
    pub evaluation: Option<Spanned<PointsSpec>>,
    /// A solver preset by name plus overrides of its settings.
    #[serde(default)]
    pub solver: Option<Spanned<toml::Table>>,
    /// `[time_slabs]`: march through the time interval in slabs, one training per slab.
    #[serde(default)]
    pub time_slabs: Option<Spanned<TimeSlabsSpec>>,
    /// `[[stages]]`: the correction stages 2, 3, … of a multi-stage run (stage 1 is the
    /// file's `[model]` and `[solver]`).
    #[serde(default)]
    pub stages: Vec<Spanned<StageSpec>>,
}

/// One `[[stages]]` entry: a correction network trained on top of the earlier stages.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageSpec {
    /// Layer widths (default: the `[model]` layers).
    #[serde(default)]
    pub layers: Option<Spanned<Vec<Spanned<i64>>>>,
    /// The hidden activation (default `sin`).
    #[serde(default)]
    pub activation: Option<Spanned<String>>,
    /// The initialisation seed (default: the `[model]` seed plus the stage number − 1).
    #[serde(default)]
    pub seed: Option<u64>,
    /// Draw this stage's collocation points with this `[collocation]` seed instead of
    /// the file's (default: the same points as stage 1).
    #[serde(default)]
    pub collocation_seed: Option<u64>,
    /// Draw this stage's points again every `k` iterations instead of the file's
    /// `[collocation] resample_every` (0: keep them fixed; default: the file's interval).
    #[serde(default)]
    pub resample_every: Option<Spanned<i64>>,
    /// `[stages.solver]`: the same keys as `[solver]` (without `preset`: the first
    /// stage's preset with these overrides).
    #[serde(default)]
    pub solver: Option<Spanned<toml::Table>>,
}

/// `[time_slabs]`: either `count` equal slabs or explicit `boundaries`
/// `t_0 < t_1 < … < t_K` spanning the time interval.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeSlabsSpec {
    /// The number of equal slabs.
    #[serde(default)]
    pub count: Option<Spanned<i64>>,
    /// The slab boundaries, first and last the time bounds.
    #[serde(default)]
    pub boundaries: Option<Spanned<Vec<Spanned<f64>>>>,
    /// The relative shares of the time limit, one positive number per slab.
    #[serde(default)]
    pub time_shares: Option<Spanned<Vec<Spanned<f64>>>>,
    /// Where the solver's first method of a `switch` runs: `"every_slab"` (the
    /// default) or `"first_slab"`.
    #[serde(default)]
    pub warm_start: Option<Spanned<String>>,
    /// How a slab takes over the previous slab's end values: `"loss"` (the default, an
    /// `initial` block fitted to them) or `"built_in"` (`u = g + B_k + (t − t_k) N`).
    #[serde(default)]
    pub handover: Option<Spanned<String>>,
    /// What a slab's solver starts with: `"fresh"` (the default, no curvature memory)
    /// or `"carried"` (the memory the previous slab's solver ended with).
    #[serde(default)]
    pub curvature: Option<Spanned<String>>,
    /// With `[[stages]]`: the relative shares of each slab's time for its stages, one
    /// positive number per stage (stage 1 first).
    #[serde(default)]
    pub stage_shares: Option<Spanned<Vec<Spanned<f64>>>>,
}

/// `[domain]`: a box `∏ [lo_i, hi_i]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DomainSpec {
    /// Variable names in coordinate order, e.g. `["x", "y"]` or `["t", "x"]`.
    pub variables: Spanned<Vec<Spanned<String>>>,
    /// `[lo, hi]` per variable.
    pub bounds: Spanned<Vec<Spanned<Vec<Spanned<f64>>>>>,
    /// The variable that is time, if any: `lap()` leaves it out, initial conditions sit
    /// on its lower face.
    #[serde(default)]
    pub time: Option<Spanned<String>>,
}

/// One `[[blocks]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockSpec {
    /// Unique block name (an HDF5 group name in the result file).
    pub name: Spanned<String>,
    /// `pde`, `dirichlet`, `neumann`, `boundary`, `initial`, `initial_velocity`, `periodic`.
    pub kind: Spanned<String>,
    /// The residual `F(x, u, ∂u, ∂²u)` of a `pde` or `boundary` block.
    #[serde(default)]
    pub equation: Option<Spanned<String>>,
    /// Several residuals at the same points (systems, e.g. Navier–Stokes).
    #[serde(default)]
    pub equations: Option<Spanned<Vec<Spanned<String>>>>,
    /// The output a condition constrains (default: the first output).
    #[serde(default)]
    pub output: Option<Spanned<String>>,
    /// The prescribed value `g(x)` of a Dirichlet, Neumann or initial condition.
    #[serde(default)]
    pub value: Option<Spanned<String>>,
    /// Faces of the box (`x_min`, `x_max`, ...) for boundary blocks (default: all faces
    /// not in the time variable).
    #[serde(default)]
    pub faces: Option<Spanned<Vec<Spanned<String>>>>,
    /// The periodic axis (a variable name) of a `periodic` block.
    #[serde(default)]
    pub axis: Option<Spanned<String>>,
    /// Whether a periodic pair also matches first derivatives.
    #[serde(default)]
    pub derivatives: Option<bool>,
    /// Weight `w_b` in `L = ½ Σ_b w_b mean_i F_b²` (default 1).
    #[serde(default)]
    pub weight: Option<Spanned<f64>>,
    /// Residual-based adaptive sampling of a `pde` block's points (needs
    /// `[collocation] resample_every`).
    #[serde(default)]
    pub adaptive: Option<Spanned<AdaptiveSpec>>,
    /// Residual-based attention weights of the block's points.
    #[serde(default)]
    pub weights: Option<Spanned<WeightsSpec>>,
    /// Where the block's points come from.
    pub points: Spanned<PointsSpec>,
}

/// `adaptive = { method = "rad", pool = M, k = 1, c = 1 }` on a block: at every resample,
/// draw a pool of `M` candidates with the block's sampler and keep `N` of them with
/// probability `∝ |r|^k / E|r|^k + c` (Wu et al. 2023); or
/// `adaptive = { method = "vrba", pool = M, c_log = 1 }`: keep them with vRBA's annealed
/// exponential weights `(n + 2)^{(|r|/max|r| − 1)/c_log}` at draw `n` (Toscano et al.
/// 2025).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdaptiveSpec {
    /// `rad` or `vrba`.
    pub method: Spanned<String>,
    /// The candidate pool size `M ≥ N`.
    pub pool: Spanned<i64>,
    /// The exponent `k ≥ 0` (default 1).
    #[serde(default)]
    pub k: Option<Spanned<f64>>,
    /// The uniform floor `c ≥ 0` (default 1).
    #[serde(default)]
    pub c: Option<Spanned<f64>>,
    /// vRBA's temperature factor `c_log > 0` (default 1).
    #[serde(default)]
    pub c_log: Option<Spanned<f64>>,
}

/// `weights = { method = "rba", gamma = 0.999, eta = 0.01, every = 1 }` on a block: a
/// weight `λᵢ` per point, `λᵢ ← γ λᵢ + η |rᵢ| / max_j |r_j|` every `every` iterations, and
/// rows `λᵢ rᵢ` (Anagnostopoulos et al. 2024).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightsSpec {
    /// `rba`, the only method.
    pub method: Spanned<String>,
    /// The decay `γ ∈ [0, 1]` (default 0.999).
    #[serde(default)]
    pub gamma: Option<Spanned<f64>>,
    /// The rate `η > 0` (default 0.01).
    #[serde(default)]
    pub eta: Option<Spanned<f64>>,
    /// The update interval in iterations, `≥ 1` (default 1).
    #[serde(default)]
    pub every: Option<Spanned<i64>>,
}

/// How a set of points is made: sampled, or read from a file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointsSpec {
    /// Number of points (ignored when `file` is given).
    #[serde(default)]
    pub count: Option<Spanned<i64>>,
    /// `grid`, `grid_interior`, `uniform`, `lhs`, `sobol` (default `uniform`).
    #[serde(default)]
    pub sampler: Option<Spanned<String>>,
    /// Seed of the sampler (default: the collocation seed plus the block index).
    #[serde(default)]
    pub seed: Option<u64>,
    /// A CSV or HDF5 file with the points, one row per point, relative to the problem file.
    #[serde(default)]
    pub file: Option<Spanned<String>>,
    /// The dataset of an HDF5 `file` (default `points`), e.g. `evaluation/points` of a
    /// pinn result file.
    #[serde(default)]
    pub dataset: Option<Spanned<String>>,
}

/// `[reference]`: the exact solution tabulated at points.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferenceSpec {
    /// An HDF5 file with datasets `points` `[N, d]` and `values` `[N, m]`, or a CSV file
    /// with `d + m` columns (variables, then outputs); relative to the problem file.
    pub file: Spanned<String>,
}

/// `[model]`: the MLP.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// Layer widths from inputs to outputs, e.g. `[2, 64, 1]`.
    pub layers: Spanned<Vec<Spanned<i64>>>,
    /// `tanh`, `sin`, `softplus` or `sigmoid`.
    #[serde(default)]
    pub activation: Option<Spanned<String>>,
    /// `xavier_normal`, `xavier_uniform` or `normal` (with `init_std`).
    #[serde(default)]
    pub init: Option<Spanned<String>>,
    /// Standard deviation of the `normal` initialisation.
    #[serde(default)]
    pub init_std: Option<Spanned<f64>>,
    /// Seed of the initialisation.
    #[serde(default)]
    pub seed: Option<u64>,
    /// `[model.embedding]`: a fixed map of the variables in front of the first layer.
    #[serde(default)]
    pub embedding: Option<Spanned<EmbeddingSpec>>,
}

/// `[model.embedding]`: exactly periodic features of some variables, then optionally
/// random Fourier features, and reflection symmetries the network is averaged over.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmbeddingSpec {
    /// Per variable name: its period, or `{ period = L, harmonics = K }`.
    #[serde(default)]
    pub periodic: Option<Spanned<BTreeMap<Spanned<String>, Spanned<PeriodicSpec>>>>,
    /// Random Fourier features of the (periodically embedded) variables.
    #[serde(default)]
    pub fourier: Option<Spanned<FourierSpec>>,
    /// Per variable name: `"odd"` or `"even"`, the parity of u under the reflection of
    /// that variable about the midpoint of its interval; the network is averaged over it.
    #[serde(default)]
    pub symmetry: Option<Spanned<BTreeMap<Spanned<String>, Spanned<String>>>>,
}

/// The periodic features of one variable: `x = 2.0` (the period, one harmonic) or
/// `x = { period = 2.0, harmonics = 3 }`.
#[derive(Debug)]
pub enum PeriodicSpec {
    /// Just the period.
    Period(f64),
    /// Period and number of harmonics (default 1).
    Table {
        period: Spanned<f64>,
        harmonics: Option<Spanned<i64>>,
    },
}

impl<'de> Deserialize<'de> for PeriodicSpec {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = PeriodicSpec;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a period (a number) or a table `{ period = L, harmonics = K }`")
            }
            fn visit_f64<E>(self, v: f64) -> Result<PeriodicSpec, E> {
                Ok(PeriodicSpec::Period(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<PeriodicSpec, E> {
                Ok(PeriodicSpec::Period(v as f64))
            }
            fn visit_u64<E>(self, v: u64) -> Result<PeriodicSpec, E> {
                Ok(PeriodicSpec::Period(v as f64))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<PeriodicSpec, A::Error> {
                use serde::de::Error;
                const FIELDS: &[&str] = &["period", "harmonics"];
                let (mut period, mut harmonics) = (None, None);
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "period" if period.is_none() => period = Some(map.next_value()?),
                        "harmonics" if harmonics.is_none() => harmonics = Some(map.next_value()?),
                        "period" | "harmonics" => return Err(A::Error::duplicate_field("period")),
                        other => return Err(A::Error::unknown_field(other, FIELDS)),
                    }
                }
                let period = period.ok_or_else(|| A::Error::missing_field("period"))?;
                Ok(PeriodicSpec::Table { period, harmonics })
            }
        }
        de.deserialize_any(V)
    }
}

/// `fourier = { count = n, scale = σ, seed = s }`: `B ∈ R^{n × D₁}`, `B_kl ~ N(0, σ²)`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FourierSpec {
    /// The number of frequencies `n` (the network sees `2n` features).
    pub count: Spanned<i64>,
    /// The standard deviation `σ` of the frequencies (default 1).
    #[serde(default)]
    pub scale: Option<Spanned<f64>>,
    /// The seed of `B` (default 0).
    #[serde(default)]
    pub seed: Option<u64>,
}

/// `[collocation]`: settings shared by every block's points.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollocationSpec {
    /// Base seed of the blocks' samplers.
    #[serde(default)]
    pub seed: Option<u64>,
    /// Draw new points every `k` iterations (0 or absent: fixed points).
    #[serde(default)]
    pub resample_every: Option<Spanned<i64>>,
}
