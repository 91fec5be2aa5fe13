//! Where a result came from and what continuing it needs: the `/provenance` attributes
//! ([`Provenance`]) and the solver state of `/state` ([`StateRecord`]), in memory and
//! in HDF5. Both are optional in a file (older files have neither), so the reader
//! returns `None` when a group is absent and an error only when a present one is
//! malformed.
//!
//! The state is plain data here, as everywhere in this module: the solver's state as
//! TOML text, with its long vectors (θ, quasi-Newton memories, Adam moments, a dense
//! inverse Hessian of `P²` entries) moved out into f64 datasets, because printing and
//! parsing millions of decimals at every checkpoint would cost seconds and hundreds of
//! megabytes, while a binary dataset is exact and as large as the numbers.

use std::collections::HashMap;

use hdf5_pure::{AttrValue, File, FileBuilder};

use super::error::OutputError;
use super::hdf5::Reader;

/// The `/provenance` attributes: how the run that wrote a file was started.
#[derive(Debug, Clone, PartialEq)]
pub struct Provenance {
    /// `run_id`: identifies the session that wrote the file (its checkpoints and its
    /// final result share it); a resumed session gets a new one and names the old one
    /// in [`Provenance::parent_run`].
    pub run_id: String,
    /// `seed`: the seed of the parameter initialisation (`--seed` or `[model] seed`);
    /// the parameters come from it only when the run started from random parameters.
    pub seed: i64,
    /// `command_line`: the program's arguments, the program itself first.
    pub command_line: Vec<String>,
    /// `threads`: the threads the solver ran with.
    pub threads: i64,
    /// `started_from`: `"random"`, `"init"` (parameters of another run or a text file)
    /// or `"resume"` (the continuation of another run).
    pub started_from: String,
    /// `first_iteration`: the iteration this session started at (0 unless resumed;
    /// `/history` rows before it come from the run resumed).
    pub first_iteration: i64,
    /// `source_file`: the `--init` or `--resume` file, as an absolute path.
    pub source_file: Option<String>,
    /// `source_created`: that file's `created` stamp, when it is a result file.
    pub source_created: Option<String>,
    /// `parent_run`: the `run_id` of the run resumed (or of the result `--init` read),
    /// when that file has one.
    pub parent_run: Option<String>,
}

/// The `/state` group: what the solver needs to continue the run, as its state in
/// TOML with the long vectors apart.
#[derive(Debug, Clone, PartialEq)]
pub struct StateRecord {
    /// `/state/solver`: the state as TOML text, the vectors of [`Self::vectors`]
    /// emptied.
    pub solver: String,
    /// `/state/<name>` (names listed in `/state` @`vectors`): the vectors moved out of
    /// the text, named `<part>.<key>` (e.g. `iterate.theta`, `descent.s`).
    pub vectors: Vec<(String, Vec<f64>)>,
}

fn vstr(s: &str) -> AttrValue {
    AttrValue::VarLenString(s.to_string())
}

/// Adds `/provenance` and `/state` to a file being built (each only when given).
pub(super) fn put(
    fb: &mut FileBuilder,
    provenance: Option<&Provenance>,
    state: Option<&StateRecord>,
) {
    if let Some(p) = provenance {
        let mut g = fb.create_group("provenance");
        g.set_attr("run_id", vstr(&p.run_id));
        g.set_attr("seed", AttrValue::I64(p.seed));
        g.set_attr(
            "command_line",
            AttrValue::VarLenStringArray(p.command_line.clone()),
        );
        g.set_attr("threads", AttrValue::I64(p.threads));
        g.set_attr("started_from", vstr(&p.started_from));
        g.set_attr("first_iteration", AttrValue::I64(p.first_iteration));
        for (name, v) in [
            ("source_file", &p.source_file),
            ("source_created", &p.source_created),
            ("parent_run", &p.parent_run),
        ] {
            if let Some(v) = v {
                g.set_attr(name, vstr(v));
            }
        }
        fb.add_group(g.finish());
    }
    if let Some(s) = state {
        let mut g = fb.create_group("state");
        g.set_attr(
            "vectors",
            AttrValue::VarLenStringArray(s.vectors.iter().map(|(n, _)| n.clone()).collect()),
        );
        g.create_dataset("solver")
            .with_vlen_strings(&[&s.solver])
            .with_shape(&[]);
        for (name, v) in &s.vectors {
            g.create_dataset(name)
                .with_f64_data(v)
                .with_shape(&[v.len() as u64]);
        }
        fb.add_group(g.finish());
    }
}

/// The names `put` writes as links under `/state` (checked like block names).
pub(super) fn state_names(state: Option<&StateRecord>) -> impl Iterator<Item = &str> {
    state
        .into_iter()
        .flat_map(|s| s.vectors.iter().map(|(n, _)| n.as_str()))
        .chain(state.map(|_| "solver"))
}

/// Reads `/provenance` and `/state` when present.
pub(super) fn get(
    rd: &Reader,
    file: &File,
) -> Result<(Option<Provenance>, Option<StateRecord>), OutputError> {
    let groups = file
        .root()
        .groups()
        .map_err(|e| rd.h5("list root groups", e))?;
    let has = |name: &str| groups.iter().any(|g| g == name);
    let provenance = if has("provenance") {
        let g = rd.group(file, "provenance")?;
        let a = rd.attrs(&g)?;
        Some(read_provenance(rd, &a)?)
    } else {
        None
    };
    let state = if has("state") {
        let g = rd.group(file, "state")?;
        let names = rd.attr_strings(&rd.attrs(&g)?, "/state", "vectors")?;
        let mut vectors = Vec::with_capacity(names.len());
        for n in names {
            let v = rd.vector(&g, "/state", &n)?;
            vectors.push((n, v));
        }
        Some(StateRecord {
            solver: rd.scalar_string(&g, "/state", "solver")?,
            vectors,
        })
    } else {
        None
    };
    Ok((provenance, state))
}

fn read_provenance(rd: &Reader, a: &HashMap<String, AttrValue>) -> Result<Provenance, OutputError> {
    const AT: &str = "/provenance";
    let opt = |name: &str| -> Result<Option<String>, OutputError> {
        if a.contains_key(name) {
            rd.attr_str(a, AT, name).map(Some)
        } else {
            Ok(None)
        }
    };
    Ok(Provenance {
        run_id: rd.attr_str(a, AT, "run_id")?,
        seed: rd.attr_i64(a, AT, "seed")?,
        command_line: rd.attr_strings(a, AT, "command_line")?,
        threads: rd.attr_i64(a, AT, "threads")?,
        started_from: rd.attr_str(a, AT, "started_from")?,
        first_iteration: rd.attr_i64(a, AT, "first_iteration")?,
        source_file: opt("source_file")?,
        source_created: opt("source_created")?,
        parent_run: opt("parent_run")?,
    })
}
