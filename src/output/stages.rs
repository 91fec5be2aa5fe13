//! `/stages` of a multi-stage run (format version 4): per stage its network, parameters,
//! scale `ε_k`, first-layer scale `κ_k`, solver summary, history and the error of the
//! sum after it. The solution stored in `/evaluation` is the sum
//! `u = T(x, Σ_k ε_k N_k(x))`; `/model` holds the last stage's network.

use hdf5_pure::{AttrValue, File, FileBuilder, Group, GroupBuilder};

use super::error::OutputError;
use super::hdf5::Reader;
use super::result::History;

/// What a multi-stage run stores about its stages.
#[derive(Debug, Clone, PartialEq)]
pub struct StagesRecord {
    /// `/stages/stage_<k>`, `k = 0, 1, …` (stage `k + 1`).
    pub stages: Vec<StageRecord>,
}

/// One stage's training.
#[derive(Debug, Clone, PartialEq)]
pub struct StageRecord {
    /// Attribute `layers`: `[D, h_1, …, m]` of the stage's network.
    pub layers: Vec<usize>,
    /// Attribute `activation`.
    pub activation: String,
    /// `params`: the stage's θ_k.
    pub params: Vec<f64>,
    /// Attribute `epsilon`: the scale `ε_k` of the stage's network in the sum (1 for
    /// stage 1).
    pub epsilon: f64,
    /// Attribute `kappa`: the factor applied to the first layer's initial weights (1
    /// for stage 1 and for activations other than `sin`).
    pub kappa: f64,
    /// Attribute `frequency`: the dominant frequency of the previous sum's residual
    /// (cycles per unit length) that `κ` was derived from (NaN for stage 1).
    pub frequency: f64,
    /// Attribute `preset`: the stage's solver preset.
    pub preset: String,
    /// Attribute `iterations`.
    pub iterations: u64,
    /// Attribute `final_loss`: the loss of the sum after the stage.
    pub final_loss: f64,
    /// Attribute `termination`.
    pub termination: String,
    /// Attribute `rel_l2`: the rel L2 error of the sum after the stage (NaN without an
    /// exact solution).
    pub rel_l2: f64,
    /// Attribute `wall_time_s`.
    pub wall_time_s: f64,
    /// `history/<column>`: the stage's iteration history (attribute `columns` lists them).
    pub history: History,
}

fn int(v: usize) -> Result<AttrValue, String> {
    i64::try_from(v)
        .map(AttrValue::I64)
        .map_err(|e| e.to_string())
}

/// Writes `/stages`.
pub(super) fn write(fb: &mut FileBuilder, s: &StagesRecord) -> Result<(), String> {
    let mut g = fb.create_group("stages");
    g.set_attr("count", int(s.stages.len())?);
    for (k, st) in s.stages.iter().enumerate() {
        let mut sg = g.create_group(&format!("stage_{k}"));
        write_stage(&mut sg, st)?;
        g.add_group(sg.finish());
    }
    fb.add_group(g.finish());
    Ok(())
}

/// Writes one stage's attributes, parameters and history into the group `sg`.
pub(super) fn write_stage(sg: &mut GroupBuilder, st: &StageRecord) -> Result<(), String> {
    let layers = st
        .layers
        .iter()
        .map(|&w| i64::try_from(w).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    sg.set_attr("layers", AttrValue::I64Array(layers));
    sg.set_attr("activation", AttrValue::VarLenString(st.activation.clone()));
    sg.create_dataset("params")
        .with_f64_data(&st.params)
        .with_shape(&[st.params.len() as u64]);
    sg.set_attr("epsilon", AttrValue::F64(st.epsilon));
    sg.set_attr("kappa", AttrValue::F64(st.kappa));
    sg.set_attr("frequency", AttrValue::F64(st.frequency));
    sg.set_attr("preset", AttrValue::VarLenString(st.preset.clone()));
    sg.set_attr(
        "iterations",
        AttrValue::I64(i64::try_from(st.iterations).map_err(|e| e.to_string())?),
    );
    sg.set_attr("final_loss", AttrValue::F64(st.final_loss));
    sg.set_attr(
        "termination",
        AttrValue::VarLenString(st.termination.clone()),
    );
    sg.set_attr("rel_l2", AttrValue::F64(st.rel_l2));
    sg.set_attr("wall_time_s", AttrValue::F64(st.wall_time_s));
    let mut hg = sg.create_group("history");
    hg.set_attr(
        "columns",
        AttrValue::VarLenStringArray(st.history.columns().map(|(n, _)| n.to_string()).collect()),
    );
    for (name, col) in st.history.columns() {
        hg.create_dataset(name)
            .with_f64_data(col)
            .with_shape(&[col.len() as u64]);
    }
    sg.add_group(hg.finish());
    Ok(())
}

/// Reads `/stages` if the file has it (format version 4 on).
pub(super) fn read(rd: &Reader, file: &File) -> Result<Option<StagesRecord>, OutputError> {
    let groups = file
        .root()
        .groups()
        .map_err(|e| rd.h5("list root groups", e))?;
    if !groups.iter().any(|g| g == "stages") {
        return Ok(None);
    }
    const AT: &str = "/stages";
    let g = rd.group(file, "stages")?;
    let count = rd.attr_i64(&rd.attrs(&g)?, AT, "count")?;
    let names = g.groups().map_err(|e| rd.h5("list /stages", e))?;
    let count = usize::try_from(count)
        .ok()
        .filter(|&c| c >= 1 && c == names.len())
        .ok_or_else(|| {
            rd.schema(
                AT,
                format!("attribute count is {count}, the groups are {names:?}"),
            )
        })?;
    let mut stages = Vec::with_capacity(count);
    for k in 0..count {
        let at = format!("{AT}/stage_{k}");
        let sg = g
            .group(&format!("stage_{k}"))
            .map_err(|_| rd.schema(AT, format!("group stage_{k} missing")))?;
        stages.push(read_stage(rd, &sg, &at)?);
    }
    Ok(Some(StagesRecord { stages }))
}

/// Reads one stage's group `sg` (at path `at`).
pub(super) fn read_stage(rd: &Reader, sg: &Group, at: &str) -> Result<StageRecord, OutputError> {
    let at = at.to_string();
    let a = rd.attrs(sg)?;
    let layers = match a.get("layers").and_then(AttrValue::to_i64s) {
        Some(v) if v.len() >= 2 && v.iter().all(|&w| w >= 1) => {
            v.into_iter().map(|w| w as usize).collect()
        }
        _ => {
            return Err(rd.schema(
                &at,
                "attribute layers missing or not at least two positive integers",
            ));
        }
    };
    let hat = format!("{at}/history");
    let hg = sg
        .group("history")
        .map_err(|_| rd.schema(&at, "group history missing"))?;
    let columns = rd.attr_strings(&rd.attrs(&hg)?, &hat, "columns")?;
    let mut cols = Vec::with_capacity(columns.len());
    for c in columns {
        let v = rd.vector(&hg, &hat, &c)?;
        cols.push((c, v));
    }
    let history = History::from_columns(cols).map_err(|e| rd.schema(&hat, e.to_string()))?;
    Ok(StageRecord {
        layers,
        activation: rd.attr_str(&a, &at, "activation")?,
        params: rd.vector(sg, &at, "params")?,
        epsilon: rd.attr_f64(&a, &at, "epsilon")?,
        kappa: rd.attr_f64(&a, &at, "kappa")?,
        frequency: rd.attr_f64(&a, &at, "frequency")?,
        preset: rd.attr_str(&a, &at, "preset")?,
        iterations: u64::try_from(rd.attr_i64(&a, &at, "iterations")?)
            .map_err(|_| rd.schema(&at, "attribute iterations is negative"))?,
        final_loss: rd.attr_f64(&a, &at, "final_loss")?,
        termination: rd.attr_str(&a, &at, "termination")?,
        rel_l2: rd.attr_f64(&a, &at, "rel_l2")?,
        wall_time_s: rd.attr_f64(&a, &at, "wall_time_s")?,
        history,
    })
}
