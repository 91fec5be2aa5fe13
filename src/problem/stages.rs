//! `[[stages]]`: the correction stages of a multi-stage run (Wang & Lai, "Multi-stage
//! neural networks: function approximator of machine precision", J. Comput. Phys.
//! 2024). Stage 1 is the file's `[model]` and `[solver]`; each `[[stages]]` entry sets up
//! one more stage, a fresh network `N_k` trained so that `Σ_{j<k} ε_j N_j + ε_k N_k`
//! solves the problem (see [`crate::residual::frozen`] and [`crate::stages`]).
//!
//! ```toml
//! [[stages]]
//! layers = [2, 20, 20, 1]      # default: the [model] layers
//! activation = "sin"           # default: sin (the paper's choice for corrections)
//! seed = 7                     # default: the [model] seed + stage number − 1
//! collocation_seed = 3         # default: stage 1's points
//! resample_every = 100         # default: the [collocation] interval; 0: fixed points
//! [stages.solver]              # the keys of [solver]; default: stage 1's settings
//! preset = "gn-probe"
//! max_iters = 300
//! ```

use faer::Mat;
use pinn_solvers::SolverConfig;
use toml::Spanned;

use super::build::{Builder, Problem, build_problem};
use super::error::InputError;
use super::solver::stage_solver_settings;
use super::spec::{CollocationSpec, ProblemSpec, StageSpec};
use crate::model::{Activation, Init, Mlp};
use crate::residual::FrozenStages;

/// How one correction stage is set up.
#[derive(Clone, Debug)]
pub struct StageSetup {
    /// The stage's network (the file's embedding, the stage's widths and activation).
    pub mlp: Mlp,
    /// Its initialisation (the file's `init`; the first layer is then scaled by `κ`).
    pub init: Init,
    /// Its initialisation seed.
    pub init_seed: u64,
    /// The `[collocation]` seed of its points (`None`: stage 1's points).
    pub collocation_seed: Option<u64>,
    /// Its points' re-draw interval (`None`: the file's `[collocation] resample_every`;
    /// `Some(0)`: fixed points).
    pub resample_every: Option<usize>,
    /// Its solver preset.
    pub preset: String,
    /// Its validated solver settings.
    pub config: SolverConfig,
}

impl Builder<'_> {
    /// With `[time_slabs]`, `[[stages]]` are correction stages in every slab: they need
    /// the built-in hand-over (the next slab starts from the slab's network sum, which
    /// a fitted hand-over would have to fit), and train on the slab's points (no
    /// `collocation_seed`). Refused otherwise, at the stage's place.
    pub(super) fn stages_in_slabs(
        &self,
        stages: &[Spanned<StageSpec>],
        slabs: Option<&super::slabs::TimeSlabs>,
    ) -> Result<(), InputError> {
        let (Some(first), Some(slabs)) = (stages.first(), slabs) else {
            return Ok(());
        };
        if !slabs.built_in_handover {
            return Err(self.err(
                first.span(),
                "`[[stages]]` with `[time_slabs]` trains corrections in every slab and needs \
                 `handover = \"built_in\"` in `[time_slabs]` (each slab starts from the \
                 previous slab's sum of stages)",
            ));
        }
        if slabs.carry_curvature {
            return Err(self.err(
                first.span(),
                "`[[stages]]` with `[time_slabs]` cannot carry the solver's curvature from \
                 slab to slab (`curvature = \"carried\"`): a slab's last stage trains a \
                 different network than the next slab's first",
            ));
        }
        if let Some(st) = stages
            .iter()
            .find(|s| s.get_ref().collocation_seed.is_some())
        {
            return Err(self.err(
                st.span(),
                "`collocation_seed` is not used with `[time_slabs]`: a slab's correction \
                 stages train on the slab's own points; remove it",
            ));
        }
        if let Some(k) = stages
            .iter()
            .find_map(|s| s.get_ref().resample_every.as_ref())
        {
            return Err(self.err(
                k.span(),
                "`resample_every` is not used in `[[stages]]` with `[time_slabs]`: a slab's \
                 correction stages re-draw the slab's own points as `[collocation]` says; \
                 remove it",
            ));
        }
        Ok(())
    }

    /// The `[[stages]]` entries, each checked at its place: widths, activation and
    /// `[stages.solver]` (validated like `[solver]`).
    pub(super) fn stages(
        &self,
        stages: &[Spanned<StageSpec>],
        problem: &Problem,
    ) -> Result<Vec<StageSetup>, InputError> {
        let mut out = Vec::with_capacity(stages.len());
        for (k, st) in stages.iter().enumerate() {
            out.push(self.stage(k, st.get_ref(), problem)?);
        }
        Ok(out)
    }

    fn stage(&self, k: usize, st: &StageSpec, problem: &Problem) -> Result<StageSetup, InputError> {
        let d = problem.mlp.n_inputs();
        let m = problem.mlp.n_outputs();
        let layers = match &st.layers {
            None => std::iter::once(d)
                .chain(problem.mlp.layers()[1..].iter().copied())
                .collect(),
            Some(l) => {
                let widths = l.get_ref();
                if widths.len() < 2 {
                    return Err(self.err(
                        l.span(),
                        "`layers` needs at least the input and output widths",
                    ));
                }
                if let Some(w) = widths.iter().find(|w| *w.get_ref() < 1) {
                    return Err(self.err(
                        w.span(),
                        format!("layer widths must be ≥ 1, found {}", w.get_ref()),
                    ));
                }
                let layers: Vec<usize> = widths.iter().map(|w| *w.get_ref() as usize).collect();
                if layers[0] != d || layers[layers.len() - 1] != m {
                    return Err(self.err(
                        l.span(),
                        format!(
                            "a stage's network maps the {d} variables to the {m} outputs, \
                             as [model] does: its layers must start with {d} and end with {m}"
                        ),
                    ));
                }
                layers
            }
        };
        let activation = match &st.activation {
            None => Activation::Sin,
            Some(a) => match a.get_ref().as_str() {
                "tanh" => Activation::Tanh,
                "sin" => Activation::Sin,
                "softplus" => Activation::Softplus,
                "sigmoid" => Activation::Sigmoid,
                other => {
                    return Err(self.err(
                        a.span(),
                        format!(
                            "unknown activation `{other}`: expected tanh, sin, softplus or sigmoid"
                        ),
                    ));
                }
            },
        };
        let mlp = Mlp::with_embedding(&layers, activation, problem.mlp.embedding().clone())
            .map_err(|e| {
                let span = st.layers.as_ref().map_or(0..0, Spanned::span);
                self.err(span, e.to_string())
            })?;
        let (preset, config) = match &st.solver {
            None => (problem.preset.clone(), problem.config.clone()),
            Some(t) => {
                let s = stage_solver_settings(self.path, self.text, t, k, &problem.preset)?;
                (s.preset, s.config)
            }
        };
        Ok(StageSetup {
            mlp,
            init: problem.init,
            init_seed: st.seed.unwrap_or(problem.init_seed + k as u64 + 1),
            collocation_seed: st.collocation_seed,
            resample_every: self.stage_resample_every(k, st, problem)?,
            preset,
            config,
        })
    }

    /// A stage's `resample_every`: ≥ 0, and not 0 (fixed points) while a block re-draws
    /// its points adaptively, which needs an interval.
    fn stage_resample_every(
        &self,
        k: usize,
        st: &StageSpec,
        problem: &Problem,
    ) -> Result<Option<usize>, InputError> {
        let Some(every) = &st.resample_every else {
            return Ok(None);
        };
        let n = *every.get_ref();
        if n < 0 {
            return Err(self.err(
                every.span(),
                format!("`resample_every` must be ≥ 0, found {n}"),
            ));
        }
        if n == 0
            && let Some(b) = problem.sampling.iter().position(|s| s.adaptive.is_some())
        {
            return Err(self.err(
                every.span(),
                format!(
                    "`resample_every = 0` keeps stage {}'s points fixed, but block `{}` \
                     draws its points adaptively (`adaptive`), every k ≥ 1 iterations",
                    k + 2,
                    problem.blocks[b].name()
                ),
            ));
        }
        Ok(Some(n as usize))
    }
}

impl Problem {
    /// The number of stages the file asks for: 1 plus its `[[stages]]` entries.
    pub fn stage_count(&self) -> usize {
        1 + self.stages.len()
    }

    /// The setup of stage `k ≥ 2` (1-based): the `[[stages]]` entry `k − 2`, or beyond
    /// the entries (`--stages N`) the last entry with the seed moved on, or without
    /// entries a default correction stage: the `[model]` widths with `sin`, stage 1's
    /// solver, seed `[model] seed + k − 1`.
    ///
    /// # Panics
    /// For `k < 2`.
    pub fn stage_setup(&self, k: usize) -> StageSetup {
        assert!(k >= 2, "stage 1 is the problem itself");
        if let Some(s) = self.stages.get(k - 2) {
            return s.clone();
        }
        let seed = self.init_seed + k as u64 - 1;
        match self.stages.last() {
            Some(last) => StageSetup {
                init_seed: last.init_seed + (k - 1 - self.stages.len()) as u64,
                ..last.clone()
            },
            None => {
                let layers: Vec<usize> = std::iter::once(self.mlp.n_inputs())
                    .chain(self.mlp.layers()[1..].iter().copied())
                    .collect();
                let mlp =
                    Mlp::with_embedding(&layers, Activation::Sin, self.mlp.embedding().clone())
                        .expect("the widths of a built network are valid");
                StageSetup {
                    mlp,
                    init: self.init,
                    init_seed: seed,
                    collocation_seed: None,
                    resample_every: None,
                    preset: self.preset.clone(),
                    config: self.config.clone(),
                }
            }
        }
    }

    /// The problem of stage `k ≥ 2`: the same file (the same blocks, exact solution and
    /// evaluation points; new collocation points with the stage's `collocation_seed`,
    /// re-drawn at the stage's `resample_every`), the stage's network, initialisation
    /// and solver, and `frozen`, the stages before.
    ///
    /// # Errors
    /// The file no longer builds with the stage's collocation settings.
    pub fn stage_problem(
        &self,
        setup: &StageSetup,
        frozen: FrozenStages,
    ) -> Result<Problem, InputError> {
        let mut p = self.rebuilt(|spec| {
            if setup.collocation_seed.is_none() && setup.resample_every.is_none() {
                return;
            }
            let c = spec
                .collocation
                .get_or_insert_with(|| Spanned::new(0..0, CollocationSpec::default()))
                .get_mut();
            if let Some(seed) = setup.collocation_seed {
                c.seed = Some(seed);
            }
            if let Some(every) = setup.resample_every {
                let every = i64::try_from(every).expect("a checked interval fits in i64");
                c.resample_every = Some(Spanned::new(0..0, every));
            }
        })?;
        p.name.clone_from(&self.name);
        p.set_stage(setup, frozen);
        Ok(p)
    }

    /// Makes this problem train `setup`'s network (its initialisation and solver) as
    /// the correction of `frozen`.
    fn set_stage(&mut self, setup: &StageSetup, frozen: FrozenStages) {
        self.mlp = setup.mlp.clone();
        self.init = setup.init;
        self.init_seed = setup.init_seed;
        self.preset.clone_from(&setup.preset);
        self.config = setup.config.clone();
        self.frozen = Some(frozen);
    }

    /// The problem of a correction stage of this problem as it is built (a time slab's
    /// problem: its box, points and built-in hand-over kept), with the stage's network,
    /// initialisation and solver and `frozen`, the stages before. Unlike
    /// [`Problem::stage_problem`] it is not rebuilt from the text, so the stage trains on
    /// this problem's points (re-drawn as the file says) and `collocation_seed` is not
    /// used.
    #[must_use]
    pub fn correction_problem(&self, setup: &StageSetup, frozen: FrozenStages) -> Problem {
        let mut p = self.clone();
        p.set_stage(setup, frozen);
        p
    }

    /// The problem rebuilt from its text, with `edit` applied to the parsed file first.
    fn rebuilt(&self, edit: impl FnOnce(&mut ProblemSpec)) -> Result<Problem, InputError> {
        let mut spec = super::load::parse_spec(&self.path, &self.text)?;
        edit(&mut spec);
        let mut p = build_problem(&self.path, &self.text, spec)?;
        p.evaluation.clone_from(&self.evaluation);
        Ok(p)
    }

    /// The raw network sum `N = Σ ε_j N_j + ε_k N_k(θ)` (just `N(θ)` for a one-stage
    /// problem) at `points`, before the output transform.
    pub fn network_sum(&self, theta: &[f64], points: faer::MatRef<'_, f64>) -> Mat<f64> {
        match &self.frozen {
            None => self.mlp.eval(theta, points),
            Some(f) => f.sum(&self.mlp, theta, points),
        }
    }
}
