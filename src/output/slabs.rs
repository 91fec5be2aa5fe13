//! `/time_slabs` of a time-marching run: the slab boundaries and, per slab trained, its
//! parameters, iterations, final loss and termination, and its correction stages, if
//! any (`slab_<k>/stage_<s>`, `s = 1, 2, …`, each stored as a stage of `/stages` is).

use hdf5_pure::{AttrValue, File, FileBuilder};

use super::error::OutputError;
use super::hdf5::Reader;
use super::stages::StageRecord;

/// What a time-marching run stores about its slabs.
#[derive(Debug, Clone, PartialEq)]
pub struct SlabsRecord {
    /// `/time_slabs/boundaries`: `t_0 < … < t_K`, the whole plan (a checkpoint or a
    /// stopped run may hold fewer than `K` slabs).
    pub boundaries: Vec<f64>,
    /// `/time_slabs` attribute `time_variable`: the column of the time coordinate.
    pub time_variable: usize,
    /// `/time_slabs/slab_<k>`, `k = 0, 1, …`: the slabs trained (the last one possibly
    /// unfinished).
    pub slabs: Vec<SlabRecord>,
    /// `/time_slabs` attribute `initial_data`, present when the initial data are built
    /// into every slab (`handover = "built_in"`): the initial value `g_o` of every
    /// output, so that slab `k`'s solution is `g + Σ_{j<k} h_j N_j(t_{j+1}, x) +
    /// (t − t_k) N_k` with `h_j = t_{j+1} − t_j` (empty: each slab's solution is its
    /// network read through `/model@transform`).
    pub initial_data: Vec<String>,
}

/// One slab's training.
#[derive(Debug, Clone, PartialEq)]
pub struct SlabRecord {
    /// `params`: the slab's network θ_k.
    pub params: Vec<f64>,
    /// Attribute `iterations`.
    pub iterations: u64,
    /// Attribute `final_loss`: the slab's loss (its initial blocks fitting the previous
    /// slab).
    pub final_loss: f64,
    /// Attribute `termination`.
    pub termination: String,
    /// `stage_<s>`, `s = 1, 2, …`: the slab's correction stages (stage `s + 1` of the
    /// slab), in order; the slab's network is then `N = params' network +
    /// Σ_s ε_s N_s` (empty: the network of `params` alone).
    pub corrections: Vec<StageRecord>,
}

/// Writes `/time_slabs`.
pub(super) fn write(fb: &mut FileBuilder, s: &SlabsRecord) -> Result<(), String> {
    let mut g = fb.create_group("time_slabs");
    g.set_attr(
        "time_variable",
        AttrValue::I64(i64::try_from(s.time_variable).map_err(|e| e.to_string())?),
    );
    if !s.initial_data.is_empty() {
        g.set_attr(
            "initial_data",
            AttrValue::VarLenStringArray(s.initial_data.clone()),
        );
    }
    g.create_dataset("boundaries")
        .with_f64_data(&s.boundaries)
        .with_shape(&[s.boundaries.len() as u64]);
    for (k, slab) in s.slabs.iter().enumerate() {
        let mut sg = g.create_group(&format!("slab_{k}"));
        sg.create_dataset("params")
            .with_f64_data(&slab.params)
            .with_shape(&[slab.params.len() as u64]);
        sg.set_attr(
            "iterations",
            AttrValue::I64(i64::try_from(slab.iterations).map_err(|e| e.to_string())?),
        );
        sg.set_attr("final_loss", AttrValue::F64(slab.final_loss));
        sg.set_attr(
            "termination",
            AttrValue::VarLenString(slab.termination.clone()),
        );
        for (s, st) in slab.corrections.iter().enumerate() {
            let mut cg = sg.create_group(&format!("stage_{}", s + 1));
            super::stages::write_stage(&mut cg, st)?;
            sg.add_group(cg.finish());
        }
        g.add_group(sg.finish());
    }
    fb.add_group(g.finish());
    Ok(())
}

/// Reads `/time_slabs` if the file has it (format version 3 on).
pub(super) fn read(rd: &Reader, file: &File) -> Result<Option<SlabsRecord>, OutputError> {
    let groups = file
        .root()
        .groups()
        .map_err(|e| rd.h5("list root groups", e))?;
    if !groups.iter().any(|g| g == "time_slabs") {
        return Ok(None);
    }
    const AT: &str = "/time_slabs";
    let g = rd.group(file, "time_slabs")?;
    let a = rd.attrs(&g)?;
    let time_variable = usize::try_from(rd.attr_i64(&a, AT, "time_variable")?)
        .map_err(|_| rd.schema(AT, "attribute time_variable is negative"))?;
    let initial_data = if a.contains_key("initial_data") {
        rd.attr_strings(&a, AT, "initial_data")?
    } else {
        Vec::new()
    };
    let boundaries = rd.vector(&g, AT, "boundaries")?;
    if boundaries.len() < 2
        || boundaries
            .windows(2)
            .any(|w| w[1].partial_cmp(&w[0]) != Some(std::cmp::Ordering::Greater))
    {
        return Err(rd.schema(
            "/time_slabs/boundaries",
            "not at least two strictly increasing times",
        ));
    }
    let names = g.groups().map_err(|e| rd.h5("list /time_slabs", e))?;
    let mut slabs = Vec::new();
    while names.iter().any(|n| *n == format!("slab_{}", slabs.len())) {
        let k = slabs.len();
        let at = format!("{AT}/slab_{k}");
        let sg = g
            .group(&format!("slab_{k}"))
            .map_err(|e| rd.h5("open group", e))?;
        let sa = rd.attrs(&sg)?;
        let inner = sg.groups().map_err(|e| rd.h5("list a slab's groups", e))?;
        let mut corrections = Vec::new();
        while let Some(name) = inner
            .iter()
            .find(|n| **n == format!("stage_{}", corrections.len() + 1))
        {
            let cg = sg.group(name).map_err(|e| rd.h5("open group", e))?;
            corrections.push(super::stages::read_stage(rd, &cg, &format!("{at}/{name}"))?);
        }
        if corrections.len() != inner.len() {
            return Err(rd.schema(
                &at,
                format!("expected groups stage_1, stage_2, …, found {inner:?}"),
            ));
        }
        slabs.push(SlabRecord {
            params: rd.vector(&sg, &at, "params")?,
            iterations: u64::try_from(rd.attr_i64(&sa, &at, "iterations")?)
                .map_err(|_| rd.schema(&at, "attribute iterations is negative"))?,
            final_loss: rd.attr_f64(&sa, &at, "final_loss")?,
            termination: rd.attr_str(&sa, &at, "termination")?,
            corrections,
        });
    }
    if slabs.is_empty() || slabs.len() > boundaries.len() - 1 || slabs.len() != names.len() {
        return Err(rd.schema(
            AT,
            format!(
                "expected groups slab_0, slab_1, … (at most {}), found {names:?}",
                boundaries.len() - 1
            ),
        ));
    }
    Ok(Some(SlabsRecord {
        boundaries,
        time_variable,
        slabs,
        initial_data,
    }))
}
