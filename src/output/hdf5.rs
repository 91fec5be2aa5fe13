//! Encoding a [`RunResult`] as an HDF5 file and decoding it back, with hdf5-pure.
//!
//! hdf5-pure is a pure-Rust HDF5 reader/writer: no system `libhdf5`, so the project
//! builds on a fresh machine, and files it writes are read by the reference C library
//! (h5py, h5dump; the tests in `tests/it/result_file.rs` check this with h5py).
//!
//! The whole file is built in memory ([`to_bytes`]) and then handed to
//! [`write_bytes_atomic`](super::atomic::write_bytes_atomic), so a file at the target
//! path is always complete. Layout: `docs/result-format.md`.
//!
//! Conventions:
//! - `N × d` matrices are stored row-major (HDF5's order: element (i, j) at `i·d + j`),
//!   copied out of faer's column-major, stride-padded storage.
//! - Strings (attributes and the `/config` datasets) are variable-length UTF-8, which
//!   h5py returns as `str`.
//! - Integers are i64.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use faer::Mat;
use hdf5_pure::{AttrValue, DType, Dataset, File, FileBuilder, Group};

use super::atomic::write_bytes_atomic;
use super::error::OutputError;
use super::provenance;
use super::result::{EmbeddingRecord, Evaluation, FourierRecord, History, Metrics, RunResult};

/// Root attribute `format`.
pub const FORMAT_NAME: &str = "pinn-result";
/// Root attribute `format_version`: bump on any incompatible change of the layout.
pub const FORMAT_VERSION: i64 = 5;
/// The oldest `format_version` the reader accepts: version 1 files have no output
/// transforms (every output is the network output).
pub const OLDEST_FORMAT_VERSION: i64 = 1;

/// Writes `r` to `path` atomically: the HDF5 image is built in memory, written to a
/// temporary file beside `path`, fsynced, renamed over `path`, and the directory
/// fsynced (see [`super::atomic`]). On error the target is untouched.
///
/// # Errors
/// [`OutputError::InvalidName`] for a block or history name that cannot be an HDF5
/// link, [`OutputError::Hdf5`] if encoding fails, [`OutputError::Io`] otherwise.
pub fn write_atomic(path: &Path, r: &RunResult) -> Result<(), OutputError> {
    let bytes = to_bytes(path, r)?;
    write_bytes_atomic(path, &bytes)
}

/// Reads a result file written by [`write_atomic`], returning every stored value.
///
/// Never panics on bad input: a missing, empty, truncated, corrupt or non-HDF5 file,
/// or an HDF5 file with another layout, gives a typed error.
///
/// # Errors
/// [`OutputError::Io`] if the file cannot be read, [`OutputError::Hdf5`] if it is not
/// valid HDF5, [`OutputError::Schema`]/[`OutputError::History`] if it is not a valid
/// pinn result of version [`FORMAT_VERSION`].
pub fn read(path: &Path) -> Result<RunResult, OutputError> {
    from_bytes(path, read_bytes(path)?)
}

/// The bytes of the file at `path`, or [`OutputError::Io`].
pub(super) fn read_bytes(path: &Path) -> Result<Vec<u8>, OutputError> {
    std::fs::read(path).map_err(|source| OutputError::Io {
        path: path.to_path_buf(),
        op: "read",
        source,
    })
}

/// Encodes `r` as the bytes of an HDF5 file. `path` is only used in error messages.
///
/// # Errors
/// See [`write_atomic`].
pub fn to_bytes(path: &Path, r: &RunResult) -> Result<Vec<u8>, OutputError> {
    check_names(
        path,
        "collocation block",
        r.collocation.iter().map(|(n, _)| n.as_str()),
    )?;
    check_names(
        path,
        "weighted block",
        r.collocation_weights.iter().map(|(n, _)| n.as_str()),
    )?;
    check_names(path, "history column", r.history.columns().map(|(n, _)| n))?;
    check_names(
        path,
        "solver state vector",
        provenance::state_names(r.state.as_ref()),
    )?;

    let mut fb = FileBuilder::new();
    fb.set_attr("format", vstr(FORMAT_NAME));
    fb.set_attr("format_version", AttrValue::I64(FORMAT_VERSION));
    fb.set_attr("pinn_version", vstr(&r.pinn_version));
    fb.set_attr("problem", vstr(&r.problem_name));
    if let Some(f) = &r.problem_file {
        fb.set_attr("problem_file", vstr(f));
    }
    fb.set_attr("created", vstr(&r.created));

    let mut g = fb.create_group("config");
    g.create_dataset("problem")
        .with_vlen_strings(&[&r.config_problem])
        .with_shape(&[]);
    g.create_dataset("solver")
        .with_vlen_strings(&[&r.config_solver])
        .with_shape(&[]);
    fb.add_group(g.finish());

    let mut g = fb.create_group("model");
    let too_big = |object: &str| OutputError::Schema {
        path: path.to_path_buf(),
        object: object.to_string(),
        problem: "integer exceeds i64".to_string(),
    };
    let layers = r
        .layers
        .iter()
        .map(|&w| i64::try_from(w))
        .collect::<Result<Vec<i64>, _>>()
        .map_err(|_| too_big("/model@layers"))?;
    g.set_attr("layers", AttrValue::I64Array(layers));
    g.set_attr("activation", vstr(&r.activation));
    g.set_attr(
        "transform",
        AttrValue::VarLenStringArray(r.transform.clone()),
    );
    if !r.transform_constants.is_empty() {
        g.set_attr(
            "transform_constants",
            AttrValue::VarLenStringArray(
                r.transform_constants
                    .iter()
                    .map(|(n, _)| n.clone())
                    .collect(),
            ),
        );
        g.set_attr(
            "transform_constant_values",
            AttrValue::F64Array(r.transform_constants.iter().map(|&(_, v)| v).collect()),
        );
    }
    g.create_dataset("params")
        .with_f64_data(&r.params)
        .with_shape(&[r.params.len() as u64]);
    if let Some(e) = &r.embedding {
        let mut eg = g.create_group("embedding");
        if !e.periodic.is_empty() {
            let ints = |f: &dyn Fn(&(usize, f64, usize)) -> usize| {
                e.periodic
                    .iter()
                    .map(|p| i64::try_from(f(p)))
                    .collect::<Result<Vec<i64>, _>>()
                    .map_err(|_| too_big("/model/embedding"))
            };
            eg.set_attr("periodic_variables", AttrValue::I64Array(ints(&|p| p.0)?));
            eg.set_attr(
                "periods",
                AttrValue::F64Array(e.periodic.iter().map(|p| p.1).collect()),
            );
            eg.set_attr("harmonics", AttrValue::I64Array(ints(&|p| p.2)?));
        }
        if !e.reflections.is_empty() {
            let vars = e
                .reflections
                .iter()
                .map(|r| i64::try_from(r.0))
                .collect::<Result<Vec<i64>, _>>()
                .map_err(|_| too_big("/model/embedding"))?;
            eg.set_attr("reflected_variables", AttrValue::I64Array(vars));
            eg.set_attr(
                "reflection_centers",
                AttrValue::F64Array(e.reflections.iter().map(|r| r.1).collect()),
            );
            eg.set_attr(
                "reflection_parities",
                AttrValue::I64Array(e.reflections.iter().map(|r| r.2).collect()),
            );
        }
        if let Some(f) = &e.fourier {
            let seed = i64::try_from(f.seed).map_err(|_| too_big("/model/embedding/fourier"))?;
            put_matrix(eg.create_dataset("fourier"), &f.matrix)
                .set_attr("scale", AttrValue::F64(f.scale))
                .set_attr("seed", AttrValue::I64(seed));
        }
        g.add_group(eg.finish());
    }
    fb.add_group(g.finish());

    let mut g = fb.create_group("collocation");
    g.set_attr(
        "blocks",
        AttrValue::VarLenStringArray(r.collocation.iter().map(|(n, _)| n.clone()).collect()),
    );
    for (name, pts) in &r.collocation {
        put_matrix(g.create_dataset(name), pts);
    }
    fb.add_group(g.finish());

    if !r.collocation_weights.is_empty() {
        let mut g = fb.create_group("collocation_weights");
        let names = r.collocation_weights.iter().map(|(n, _)| n.clone());
        g.set_attr("blocks", AttrValue::VarLenStringArray(names.collect()));
        for (name, w) in &r.collocation_weights {
            g.create_dataset(name)
                .with_f64_data(w)
                .with_shape(&[w.len() as u64]);
        }
        fb.add_group(g.finish());
    }

    let e = &r.evaluation;
    let mut g = fb.create_group("evaluation");
    put_matrix(g.create_dataset("points"), &e.points).set_attr(
        "variables",
        AttrValue::VarLenStringArray(e.variables.clone()),
    );
    put_matrix(g.create_dataset("u"), &e.u)
        .set_attr("outputs", AttrValue::VarLenStringArray(e.outputs.clone()));
    if let (Some(ue), Some(err)) = (&e.u_exact, e.error()) {
        put_matrix(g.create_dataset("u_exact"), ue);
        put_matrix(g.create_dataset("error"), &err);
    }
    fb.add_group(g.finish());

    let m = &r.metrics;
    let mut g = fb.create_group("metrics");
    if let Some(v) = m.rel_l2 {
        g.set_attr("rel_l2", AttrValue::F64(v));
    }
    if let Some(v) = m.max_abs_error {
        g.set_attr("max_abs_error", AttrValue::F64(v));
    }
    if let Some(v) = &m.rel_l2_per_output {
        g.set_attr("rel_l2_per_output", AttrValue::F64Array(v.clone()));
    }
    if let Some(v) = &m.max_abs_error_per_output {
        g.set_attr("max_abs_error_per_output", AttrValue::F64Array(v.clone()));
    }
    g.set_attr("final_loss", AttrValue::F64(m.final_loss));
    let iterations = i64::try_from(m.iterations).map_err(|_| too_big("/metrics@iterations"))?;
    g.set_attr("iterations", AttrValue::I64(iterations));
    g.set_attr("termination", vstr(&m.termination));
    g.set_attr("wall_time_s", AttrValue::F64(m.wall_time_s));
    fb.add_group(g.finish());

    if let Some(slabs) = &r.time_slabs {
        super::slabs::write(&mut fb, slabs).map_err(|_| too_big("/time_slabs"))?;
    }
    if let Some(stages) = &r.stages {
        super::stages::write(&mut fb, stages).map_err(|_| too_big("/stages"))?;
    }

    let mut g = fb.create_group("history");
    g.set_attr(
        "columns",
        AttrValue::VarLenStringArray(r.history.columns().map(|(n, _)| n.to_string()).collect()),
    );
    for (name, col) in r.history.columns() {
        g.create_dataset(name)
            .with_f64_data(col)
            .with_shape(&[col.len() as u64]);
    }
    fb.add_group(g.finish());

    provenance::put(&mut fb, r.provenance.as_ref(), r.state.as_ref());

    fb.finish().map_err(|source| OutputError::Hdf5 {
        path: path.to_path_buf(),
        op: "encode",
        source,
    })
}

/// Decodes the bytes of a result file. `path` is only used in error messages.
///
/// # Errors
/// See [`read`].
pub fn from_bytes(path: &Path, bytes: Vec<u8>) -> Result<RunResult, OutputError> {
    // hdf5-pure parses untrusted bytes; no panic was found in the truncation and
    // corruption tests, but a parser bug must still surface as an error naming the file,
    // not abort `pinn validate`. (Unwinding is the default panic strategy.)
    guard_panics(path, || decode(path, bytes))
}

/// Runs `f`, turning a panic into [`OutputError::Corrupt`] for `path`.
pub(super) fn guard_panics<T>(
    path: &Path,
    f: impl FnOnce() -> Result<T, OutputError>,
) -> Result<T, OutputError> {
    catch_parser_panic(f, |message| OutputError::Corrupt {
        path: path.to_path_buf(),
        message,
    })
}

/// Runs `f`, which parses untrusted HDF5 bytes, and turns a panic of the parser into the
/// error `on_panic(message)`. Every reader of HDF5 input (result files, points and
/// reference files) goes through here.
pub(crate) fn catch_parser_panic<T, E>(
    f: impl FnOnce() -> Result<T, E>,
    on_panic: impl FnOnce(String) -> E,
) -> Result<T, E> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        Err(on_panic(message))
    })
}

fn decode(path: &Path, bytes: Vec<u8>) -> Result<RunResult, OutputError> {
    let rd = Reader::new(path);
    let file = File::from_bytes(bytes).map_err(|e| rd.h5("parse file", e))?;
    let root = file.root();
    let attrs = root.attrs().map_err(|e| rd.h5("read root attributes", e))?;
    let format = rd.attr_str(&attrs, "/", "format")?;
    if format != FORMAT_NAME {
        return Err(rd.schema(
            "/",
            format!("attribute format is {format:?}, not {FORMAT_NAME:?}"),
        ));
    }
    let version = rd.attr_i64(&attrs, "/", "format_version")?;
    if !(OLDEST_FORMAT_VERSION..=FORMAT_VERSION).contains(&version) {
        return Err(rd.schema(
            "/",
            format!(
                "format_version {version} is not supported (this reader: \
                 {OLDEST_FORMAT_VERSION} to {FORMAT_VERSION})"
            ),
        ));
    }

    let config = rd.group(&file, "config")?;
    let model = rd.group(&file, "model")?;
    let model_attrs = rd.attrs(&model)?;
    let layers = match model_attrs.get("layers").and_then(AttrValue::to_i64s) {
        Some(v) if v.iter().all(|&w| w >= 0) => v.into_iter().map(|w| w as usize).collect(),
        _ => {
            return Err(rd.schema(
                "/model",
                "attribute layers missing or not non-negative integers",
            ));
        }
    };
    let model_groups = model.groups().map_err(|e| rd.h5("list /model", e))?;
    let embedding = if model_groups.iter().any(|g| g == "embedding") {
        let eg = model
            .group("embedding")
            .map_err(|e| rd.h5("open group", e))?;
        Some(rd.embedding(&eg)?)
    } else {
        None
    };

    let collocation_group = rd.group(&file, "collocation")?;
    let blocks = rd.attr_strings(&rd.attrs(&collocation_group)?, "/collocation", "blocks")?;
    let mut collocation = Vec::with_capacity(blocks.len());
    for b in blocks {
        let m = rd.matrix(&collocation_group, "/collocation", &b)?;
        collocation.push((b, m));
    }
    let root_groups = file
        .root()
        .groups()
        .map_err(|e| rd.h5("list root groups", e))?;
    let mut collocation_weights = Vec::new();
    if root_groups.iter().any(|g| g == "collocation_weights") {
        const AT: &str = "/collocation_weights";
        let g = rd.group(&file, "collocation_weights")?;
        for b in rd.attr_strings(&rd.attrs(&g)?, AT, "blocks")? {
            let w = rd.vector(&g, AT, &b)?;
            collocation_weights.push((b, w));
        }
    }

    let eval = rd.group(&file, "evaluation")?;
    let points_ds = rd.dataset(&eval, "/evaluation", "points")?;
    let variables =
        rd.attr_strings(&rd.ds_attrs(&points_ds)?, "/evaluation/points", "variables")?;
    let u_ds = rd.dataset(&eval, "/evaluation", "u")?;
    let outputs = rd.attr_strings(&rd.ds_attrs(&u_ds)?, "/evaluation/u", "outputs")?;
    let points = rd.matrix(&eval, "/evaluation", "points")?;
    let u = rd.matrix(&eval, "/evaluation", "u")?;
    let names = eval.datasets().map_err(|e| rd.h5("list /evaluation", e))?;
    let u_exact = if names.iter().any(|n| n == "u_exact") {
        Some(rd.matrix(&eval, "/evaluation", "u_exact")?)
    } else {
        None
    };
    if variables.len() != points.ncols() {
        return Err(rd.schema(
            "/evaluation/points",
            "attribute variables does not name every column",
        ));
    }
    if outputs.len() != u.ncols() || u.nrows() != points.nrows() {
        return Err(rd.schema("/evaluation/u", "shape does not match points and outputs"));
    }
    if let Some(ue) = &u_exact
        && (ue.nrows(), ue.ncols()) != (u.nrows(), u.ncols())
    {
        return Err(rd.schema("/evaluation/u_exact", "shape differs from /evaluation/u"));
    }

    let metrics_group = rd.group(&file, "metrics")?;
    let ma = rd.attrs(&metrics_group)?;
    let iterations = rd.attr_i64(&ma, "/metrics", "iterations")?;
    let metrics = Metrics {
        rel_l2: rd.opt_attr_f64(&ma, "/metrics", "rel_l2")?,
        max_abs_error: rd.opt_attr_f64(&ma, "/metrics", "max_abs_error")?,
        rel_l2_per_output: rd.opt_attr_f64s(&ma, "/metrics", "rel_l2_per_output", outputs.len())?,
        max_abs_error_per_output: rd.opt_attr_f64s(
            &ma,
            "/metrics",
            "max_abs_error_per_output",
            outputs.len(),
        )?,
        final_loss: rd.attr_f64(&ma, "/metrics", "final_loss")?,
        iterations: u64::try_from(iterations)
            .map_err(|_| rd.schema("/metrics", "attribute iterations is negative"))?,
        termination: rd.attr_str(&ma, "/metrics", "termination")?,
        wall_time_s: rd.attr_f64(&ma, "/metrics", "wall_time_s")?,
    };

    let hist = rd.group(&file, "history")?;
    let columns = rd.attr_strings(&rd.attrs(&hist)?, "/history", "columns")?;
    let mut cols = Vec::with_capacity(columns.len());
    for c in columns {
        let v = rd.vector(&hist, "/history", &c)?;
        cols.push((c, v));
    }
    let history = History::from_columns(cols).map_err(|source| OutputError::History {
        path: path.to_path_buf(),
        source,
    })?;

    let transform = if version >= 2 {
        let t = rd.attr_strings(&model_attrs, "/model", "transform")?;
        if t.len() != outputs.len() {
            return Err(rd.schema(
                "/model",
                "attribute transform does not have one entry per output",
            ));
        }
        t
    } else {
        vec!["N".to_string(); outputs.len()]
    };
    let transform_constants = if model_attrs.contains_key("transform_constants") {
        let names = rd.attr_strings(&model_attrs, "/model", "transform_constants")?;
        let values = model_attrs
            .get("transform_constant_values")
            .and_then(AttrValue::to_f64s)
            .filter(|v| v.len() == names.len())
            .ok_or_else(|| {
                rd.schema(
                    "/model",
                    "attribute transform_constant_values missing or not one f64 per constant",
                )
            })?;
        names.into_iter().zip(values).collect()
    } else {
        Vec::new()
    };

    let (provenance, state) = provenance::get(&rd, &file)?;
    let time_slabs = super::slabs::read(&rd, &file)?;
    let stages = super::stages::read(&rd, &file)?;

    Ok(RunResult {
        problem_name: rd.attr_str(&attrs, "/", "problem")?,
        problem_file: if attrs.contains_key("problem_file") {
            Some(rd.attr_str(&attrs, "/", "problem_file")?)
        } else {
            None
        },
        pinn_version: rd.attr_str(&attrs, "/", "pinn_version")?,
        created: rd.attr_str(&attrs, "/", "created")?,
        config_problem: rd.scalar_string(&config, "/config", "problem")?,
        config_solver: rd.scalar_string(&config, "/config", "solver")?,
        layers,
        embedding,
        activation: rd.attr_str(&model_attrs, "/model", "activation")?,
        params: rd.vector(&model, "/model", "params")?,
        transform,
        transform_constants,
        collocation,
        collocation_weights,
        evaluation: Evaluation {
            variables,
            outputs,
            points,
            u,
            u_exact,
        },
        metrics,
        history,
        provenance,
        state,
        time_slabs,
        stages,
    })
}

fn vstr(s: &str) -> AttrValue {
    AttrValue::VarLenString(s.to_string())
}

/// Stores an `N × d` faer matrix as a row-major f64 dataset of shape `[N, d]`.
fn put_matrix<'a>(
    ds: &'a mut hdf5_pure::DatasetBuilder,
    m: &Mat<f64>,
) -> &'a mut hdf5_pure::DatasetBuilder {
    let (n, d) = (m.nrows(), m.ncols());
    let mut flat = Vec::with_capacity(n * d);
    for i in 0..n {
        for j in 0..d {
            flat.push(m[(i, j)]);
        }
    }
    ds.with_f64_data(&flat).with_shape(&[n as u64, d as u64])
}

/// An HDF5 link name must be non-empty, without `/`, and not `.` or `..`; names in one
/// group must be distinct.
fn check_names<'a>(
    path: &Path,
    what: &'static str,
    names: impl Iterator<Item = &'a str>,
) -> Result<(), OutputError> {
    let mut seen = std::collections::HashSet::new();
    for name in names {
        let reason = if name.is_empty() {
            Some("empty")
        } else if name.contains('/') {
            Some("contains '/'")
        } else if name == "." || name == ".." {
            Some("is '.' or '..'")
        } else if !seen.insert(name) {
            Some("appears twice")
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(OutputError::InvalidName {
                path: path.to_path_buf(),
                what,
                name: name.to_string(),
                reason,
            });
        }
    }
    Ok(())
}

/// Decoding helpers: each turns a missing or ill-typed object into a typed error
/// naming the object.
pub(super) struct Reader {
    path: PathBuf,
}

impl Reader {
    /// The helpers for the file at `path` (named in their errors).
    pub(super) fn new(path: &Path) -> Self {
        Reader {
            path: path.to_path_buf(),
        }
    }

    pub(super) fn h5(&self, op: &'static str, source: hdf5_pure::Error) -> OutputError {
        OutputError::Hdf5 {
            path: self.path.clone(),
            op,
            source,
        }
    }

    pub(super) fn schema(&self, object: &str, problem: impl Into<String>) -> OutputError {
        OutputError::Schema {
            path: self.path.clone(),
            object: object.to_string(),
            problem: problem.into(),
        }
    }

    pub(super) fn group(&self, file: &File, name: &str) -> Result<Group, OutputError> {
        let groups = file
            .root()
            .groups()
            .map_err(|e| self.h5("list root groups", e))?;
        if !groups.iter().any(|g| g == name) {
            return Err(self.schema(&format!("/{name}"), "group missing"));
        }
        file.group(name).map_err(|e| self.h5("open group", e))
    }

    pub(super) fn attrs(&self, g: &Group) -> Result<HashMap<String, AttrValue>, OutputError> {
        g.attrs().map_err(|e| self.h5("read group attributes", e))
    }

    fn ds_attrs(&self, d: &Dataset) -> Result<HashMap<String, AttrValue>, OutputError> {
        d.attrs().map_err(|e| self.h5("read dataset attributes", e))
    }

    fn dataset(&self, g: &Group, at: &str, name: &str) -> Result<Dataset, OutputError> {
        let names = g.datasets().map_err(|e| self.h5("list datasets", e))?;
        if !names.iter().any(|n| n == name) {
            return Err(self.schema(&format!("{at}/{name}"), "dataset missing"));
        }
        g.dataset(name).map_err(|e| self.h5("open dataset", e))
    }

    fn get<'a>(
        &self,
        attrs: &'a HashMap<String, AttrValue>,
        at: &str,
        name: &str,
    ) -> Result<&'a AttrValue, OutputError> {
        attrs
            .get(name)
            .ok_or_else(|| self.schema(at, format!("attribute {name} missing")))
    }

    pub(super) fn attr_str(
        &self,
        a: &HashMap<String, AttrValue>,
        at: &str,
        name: &str,
    ) -> Result<String, OutputError> {
        self.get(a, at, name)?
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| self.schema(at, format!("attribute {name} is not a string")))
    }

    pub(super) fn attr_strings(
        &self,
        a: &HashMap<String, AttrValue>,
        at: &str,
        name: &str,
    ) -> Result<Vec<String>, OutputError> {
        self.get(a, at, name)?
            .as_strings()
            .map(<[String]>::to_vec)
            .ok_or_else(|| self.schema(at, format!("attribute {name} is not a string array")))
    }

    pub(super) fn attr_i64(
        &self,
        a: &HashMap<String, AttrValue>,
        at: &str,
        name: &str,
    ) -> Result<i64, OutputError> {
        self.get(a, at, name)?
            .as_i64()
            .ok_or_else(|| self.schema(at, format!("attribute {name} is not an integer")))
    }

    pub(super) fn attr_f64(
        &self,
        a: &HashMap<String, AttrValue>,
        at: &str,
        name: &str,
    ) -> Result<f64, OutputError> {
        match self.get(a, at, name)? {
            AttrValue::F64(v) => Ok(*v),
            _ => Err(self.schema(at, format!("attribute {name} is not an f64 scalar"))),
        }
    }

    fn opt_attr_f64(
        &self,
        a: &HashMap<String, AttrValue>,
        at: &str,
        name: &str,
    ) -> Result<Option<f64>, OutputError> {
        if a.contains_key(name) {
            self.attr_f64(a, at, name).map(Some)
        } else {
            Ok(None)
        }
    }

    /// An optional f64 array attribute of `len` values (absent in older files).
    fn opt_attr_f64s(
        &self,
        a: &HashMap<String, AttrValue>,
        at: &str,
        name: &str,
        len: usize,
    ) -> Result<Option<Vec<f64>>, OutputError> {
        match a.get(name) {
            None => Ok(None),
            Some(v) => v
                .to_f64s()
                .filter(|v| v.len() == len)
                .map(Some)
                .ok_or_else(|| {
                    self.schema(at, format!("attribute {name} is not one f64 per output"))
                }),
        }
    }

    pub(super) fn scalar_string(
        &self,
        g: &Group,
        at: &str,
        name: &str,
    ) -> Result<String, OutputError> {
        let ds = self.dataset(g, at, name)?;
        let mut v = ds
            .read_string()
            .map_err(|e| self.h5("read string dataset", e))?;
        if v.len() != 1 {
            return Err(self.schema(&format!("{at}/{name}"), "not a single string"));
        }
        Ok(v.remove(0))
    }

    /// An f64 dataset (checked type) and its shape.
    fn f64_data(
        &self,
        g: &Group,
        at: &str,
        name: &str,
    ) -> Result<(Vec<u64>, Vec<f64>), OutputError> {
        let ds = self.dataset(g, at, name)?;
        let obj = format!("{at}/{name}");
        match ds.dtype().map_err(|e| self.h5("read datatype", e))? {
            DType::F64 => {}
            other => return Err(self.schema(&obj, format!("datatype {other}, expected f64"))),
        }
        let shape = ds.shape().map_err(|e| self.h5("read shape", e))?;
        let data = ds.read_f64().map_err(|e| self.h5("read data", e))?;
        let expected = shape.iter().try_fold(1u64, |a, &s| a.checked_mul(s));
        if expected != Some(data.len() as u64) {
            return Err(self.schema(&obj, "element count does not match shape"));
        }
        Ok((shape, data))
    }

    pub(super) fn vector(&self, g: &Group, at: &str, name: &str) -> Result<Vec<f64>, OutputError> {
        let (shape, data) = self.f64_data(g, at, name)?;
        if shape.len() != 1 {
            return Err(self.schema(
                &format!("{at}/{name}"),
                format!("rank {}, expected 1", shape.len()),
            ));
        }
        Ok(data)
    }

    /// `/model/embedding`: equal-length periodic lists (variable ≥ 0, period > 0,
    /// harmonics ≥ 1) and the optional `fourier` matrix with its `scale` and `seed`.
    fn embedding(&self, g: &Group) -> Result<EmbeddingRecord, OutputError> {
        const AT: &str = "/model/embedding";
        let a = self.attrs(g)?;
        let mut periodic = Vec::new();
        if a.contains_key("periodic_variables") {
            let ints = |name: &str| {
                self.get(&a, AT, name)?
                    .to_i64s()
                    .ok_or_else(|| self.schema(AT, format!("attribute {name} is not integers")))
            };
            let vars = ints("periodic_variables")?;
            let harmonics = ints("harmonics")?;
            let periods = self
                .get(&a, AT, "periods")?
                .to_f64s()
                .ok_or_else(|| self.schema(AT, "attribute periods is not f64"))?;
            if periods.len() != vars.len() || harmonics.len() != vars.len() {
                return Err(self.schema(
                    AT,
                    "periodic_variables, periods and harmonics differ in length",
                ));
            }
            for ((&v, &l), &k) in vars.iter().zip(&periods).zip(&harmonics) {
                if v < 0 || k < 1 || !(l.is_finite() && l > 0.0) {
                    return Err(self.schema(
                        AT,
                        format!("invalid periodic entry: variable {v}, period {l}, harmonics {k}"),
                    ));
                }
                periodic.push((v as usize, l, k as usize));
            }
        }
        let names = g.datasets().map_err(|e| self.h5("list datasets", e))?;
        let fourier = if names.iter().any(|n| n == "fourier") {
            let matrix = self.matrix(g, AT, "fourier")?;
            let ds = self.dataset(g, AT, "fourier")?;
            let fa = self.ds_attrs(&ds)?;
            let at = "/model/embedding/fourier";
            let seed = self.attr_i64(&fa, at, "seed")?;
            Some(FourierRecord {
                matrix,
                scale: self.attr_f64(&fa, at, "scale")?,
                seed: u64::try_from(seed)
                    .map_err(|_| self.schema(at, "attribute seed is negative"))?,
            })
        } else {
            None
        };
        let mut reflections = Vec::new();
        if a.contains_key("reflected_variables") {
            let ints = |name: &str| {
                self.get(&a, AT, name)?
                    .to_i64s()
                    .ok_or_else(|| self.schema(AT, format!("attribute {name} is not integers")))
            };
            let vars = ints("reflected_variables")?;
            let parities = ints("reflection_parities")?;
            let centers = self
                .get(&a, AT, "reflection_centers")?
                .to_f64s()
                .ok_or_else(|| self.schema(AT, "attribute reflection_centers is not f64"))?;
            if centers.len() != vars.len() || parities.len() != vars.len() {
                return Err(self.schema(
                    AT,
                    "reflected_variables, reflection_centers and reflection_parities differ in length",
                ));
            }
            for ((&v, &c), &p) in vars.iter().zip(&centers).zip(&parities) {
                if v < 0 || !c.is_finite() || (p != 1 && p != -1) {
                    return Err(self.schema(
                        AT,
                        format!("invalid reflection: variable {v}, center {c}, parity {p}"),
                    ));
                }
                reflections.push((v as usize, c, p));
            }
        }
        Ok(EmbeddingRecord {
            periodic,
            fourier,
            reflections,
        })
    }

    pub(super) fn matrix(&self, g: &Group, at: &str, name: &str) -> Result<Mat<f64>, OutputError> {
        let (shape, data) = self.f64_data(g, at, name)?;
        if shape.len() != 2 {
            return Err(self.schema(
                &format!("{at}/{name}"),
                format!("rank {}, expected 2", shape.len()),
            ));
        }
        let (n, d) = (shape[0] as usize, shape[1] as usize);
        Ok(Mat::from_fn(n, d, |i, j| data[i * d + j]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parser_panic_becomes_a_typed_error() {
        let p = Path::new("some/run.h5");
        let e = guard_panics::<()>(p, || panic!("index out of bounds: 7")).unwrap_err();
        assert!(
            matches!(&e, OutputError::Corrupt { message, .. } if message == "index out of bounds: 7"),
            "{e}"
        );
        assert!(
            e.to_string().starts_with("some/run.h5: corrupt file"),
            "{e}"
        );
        let n = 3;
        let e = guard_panics::<()>(p, || panic!("formatted {n}")).unwrap_err();
        assert!(e.to_string().contains("formatted 3"), "{e}");
        assert_eq!(guard_panics(p, || Ok(5)).unwrap(), 5);
    }

    #[test]
    fn names_that_cannot_be_links_are_refused() {
        let p = Path::new("r.h5");
        assert!(check_names(p, "block", ["a", "b-c", "d e", "ü"].into_iter()).is_ok());
        for (names, reason) in [
            (vec![""], "empty"),
            (vec!["a/b"], "contains '/'"),
            (vec![".."], "is '.' or '..'"),
            (vec!["x", "x"], "appears twice"),
        ] {
            match check_names(p, "block", names.into_iter()) {
                Err(OutputError::InvalidName { reason: r, .. }) => assert_eq!(r, reason),
                other => panic!("{other:?}"),
            }
        }
    }
}
