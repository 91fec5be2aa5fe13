//! `pinn check` and `pinn problems`.

use std::path::Path;

use pinn_solvers::LeastSquares;

use super::{EXIT_BAD_INPUT, EXIT_OK};
use crate::problem::{ExactSolution, Problem, load_problem};

pub use crate::problem::memory::human_bytes;

/// The report `pinn check` prints for a valid problem.
pub fn check_report(p: &Problem) -> String {
    let model = p.residual_model();
    let (n, params) = (model.n_residuals(), model.n_params());
    let mut s = String::new();
    s.push_str(&format!("problem   {}\n", p.name));
    s.push_str(&format!("variables {}\n", p.domain.names().join(", ")));
    s.push_str(&format!("outputs   {}\n", p.context.outputs().join(", ")));
    let mut layers = p.mlp.layers().to_vec();
    layers[0] = p.mlp.n_inputs();
    s.push_str(&format!(
        "network   {layers:?} {:?}, P = {params} parameters\n",
        p.mlp.activation()
    ));
    s.push_str(&format!("solver    preset {}\n", p.preset));
    for k in 2..=p.stage_count() {
        s.push_str(&stage_line(p, k));
    }
    if !p.transform.is_identity() {
        for (o, name) in p.context.outputs().iter().enumerate() {
            if let Some(src) = p.transform.source(o) {
                s.push_str(&format!("transform {name} = {src}\n"));
            }
        }
    }
    let e = p.mlp.embedding();
    if !e.is_identity() {
        let names = p.domain.names();
        let mut parts: Vec<String> = e
            .periodic_variables()
            .iter()
            .map(|(v, per)| {
                let k = per.harmonics;
                format!(
                    "{} periodic (period {}, {k} harmonic{})",
                    names[*v],
                    per.period,
                    if k == 1 { "" } else { "s" }
                )
            })
            .collect();
        if let Some(f) = e.fourier() {
            parts.push(format!(
                "{} Fourier frequencies (scale {}, seed {})",
                f.count, f.scale, f.seed
            ));
        }
        s.push_str(&format!(
            "embedding {}: embedded width D = {}, first layer {} × {}\n",
            parts.join(", "),
            e.width(),
            layers.get(1).copied().unwrap_or(0),
            e.width()
        ));
    }
    if !e.reflections().is_empty() {
        let names = p.domain.names();
        let parts: Vec<String> = e
            .reflections()
            .iter()
            .map(|r| {
                let parity = if r.odd { "odd" } else { "even" };
                format!("{parity} in {} about {}", names[r.var], r.center)
            })
            .collect();
        s.push_str(&format!(
            "symmetry  {}: the network is averaged over {} reflected copies\n",
            parts.join(", "),
            1usize << e.reflections().len()
        ));
    }
    s.push_str("blocks\n");
    for (b, rows) in model.blocks().iter().zip(model.n_rows_per_block()) {
        s.push_str(&format!(
            "  {:<24} {:>7} points {:>7} residuals  weight {}\n",
            b.name(),
            b.n_points(),
            rows,
            b.weight()
        ));
    }
    if !p.transform.is_identity() {
        for b in model.blocks() {
            if crate::residual::identically_satisfied(b) {
                s.push_str(&format!(
                    "  note: the transform satisfies block `{}` identically (zero residual \
                     and zero Jacobian for any network); it can be dropped\n",
                    b.name()
                ));
            }
        }
    }
    s.push_str(&format!(
        "N = {n} residuals, {} evaluation points",
        p.evaluation.nrows()
    ));
    if let Some(k) = p.resample_every {
        s.push_str(&format!(", resampled every {k} iterations"));
    }
    s.push('\n');
    for (b, sampling) in model.blocks().iter().zip(&p.sampling) {
        if let Some(a) = &sampling.adaptive {
            s.push_str(&format!(
                "adaptive  {}: {} of a pool of {} points by {}, pool memory {}\n",
                b.name(),
                b.n_points(),
                a.pool,
                a.density,
                human_bytes(a.memory_bytes(b.dim()) as f64)
            ));
        }
        if let Some(w) = &sampling.weights {
            s.push_str(&format!(
                "weights   {}: RBA, λ ← {}·λ + {}·|r|/max|r| every {} iteration(s), from 0 with a first update at θ₀\n",
                b.name(),
                w.gamma(),
                w.eta(),
                w.every()
            ));
        }
    }
    match &p.exact {
        None => s.push_str("exact     none (no errors measured)\n"),
        Some(ExactSolution::Formula(_)) => s.push_str("exact     closed form ([exact])\n"),
        Some(ExactSolution::Reference { file, method, .. }) => {
            s.push_str(&format!(
                "exact     reference `{file}` at the evaluation points\n"
            ));
            if !method.is_empty() {
                let first = method.split(". ").next().unwrap_or(method);
                s.push_str(&format!("          {first}\n"));
            }
        }
    }
    if let Some(t) = &p.time_slabs {
        s.push_str(&format!(
            "slabs     {} time slabs, boundaries {:?}: one network per slab, trained in turn; \
             the blocks above are drawn again inside each slab\n",
            t.count(),
            t.boundaries
        ));
        if t.time_shares.iter().any(|&w| w != 1.0) {
            s.push_str(&format!(
                "          the time limit split {:?} between the slabs\n",
                t.time_shares
            ));
        }
        if !t.warm_start_every_slab {
            s.push_str(match &p.config.switch {
                Some(_) => {
                    "          the solver's first method runs in the first slab only; later \
                     slabs start with its second\n"
                }
                None => {
                    "          warm_start = \"first_slab\" changes nothing: the solver has no \
                     `switch`\n"
                }
            });
        }
        if t.built_in_handover {
            s.push_str(
                "          initial data built in: u = g + (earlier slabs' end values) + (t − t_k) N\n",
            );
        }
        if t.carry_curvature {
            s.push_str(
                "          each slab's solver starts from the curvature memory the previous \
                 slab's ended with\n",
            );
        }
        if !p.stages.is_empty() {
            let n = p.stage_count();
            let shares: Vec<f64> = (1..=n).map(|k| t.stage_share(k, k).0).collect();
            s.push_str(&format!(
                "          {n} stages in every slab (the network, then {} correction(s) with \
                 the earlier stages frozen), each slab's time split {shares:?}\n",
                n - 1
            ));
        }
    }
    s.push_str(&format!(
        "memory    {}\n",
        p.memory_estimate(&p.preset).summary()
    ));
    if let Some(m) = crate::problem::memory::MachineMemory::read() {
        s.push_str(&format!(
            "          {}; a solve that needs more is refused\n",
            m.describe()
        ));
    }
    for note in &p.notes {
        s.push_str(note);
        s.push('\n');
    }
    s
}

/// `stage k   [2, 20, 1] Sin, P = 81, preset lm, stage 1's points`: what correction
/// stage `k ≥ 2` trains, and on which points.
fn stage_line(p: &Problem, k: usize) -> String {
    let st = p.stage_setup(k);
    let mut layers = st.mlp.layers().to_vec();
    layers[0] = st.mlp.n_inputs();
    let points = match (st.collocation_seed, &p.time_slabs) {
        (_, Some(_)) => "each slab's points".to_string(),
        (Some(seed), None) => format!("its own points (collocation seed {seed})"),
        (None, None) => "stage 1's points".to_string(),
    };
    let redraw = match st.resample_every {
        None => String::new(),
        Some(0) => ", kept fixed".to_string(),
        Some(n) => format!(", re-drawn every {n} iterations"),
    };
    format!(
        "stage {k:<3} {layers:?} {:?}, P = {}, preset {}, {points}{redraw}\n",
        st.mlp.activation(),
        st.mlp.n_params(),
        st.preset
    )
}

/// `pinn check FILE`.
pub fn check(file: &Path) -> i32 {
    match load_problem(file) {
        Ok(p) => {
            out!("{}", check_report(&p));
            EXIT_OK
        }
        Err(e) => {
            eprintln!("{e}");
            EXIT_BAD_INPUT
        }
    }
}

/// `pinn problems [DIR]`: one line per problem file, `name  description`.
pub fn problems(dir: &Path) -> i32 {
    let mut paths: Vec<_> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect(),
        Err(e) => {
            eprintln!("{}: error: cannot list problem files: {e}", dir.display());
            return EXIT_BAD_INPUT;
        }
    };
    paths.sort();
    let mut code = EXIT_OK;
    for path in paths {
        match crate::problem::load_spec(&path) {
            Ok((_, spec)) => {
                let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
                let name = spec
                    .name
                    .as_ref()
                    .map(|n| n.get_ref().clone())
                    .or(stem)
                    .unwrap_or_default();
                outln!("{name:<16} {}", spec.description.as_deref().unwrap_or(""));
            }
            Err(e) => {
                eprintln!("{e}");
                code = EXIT_BAD_INPUT;
            }
        }
    }
    code
}
