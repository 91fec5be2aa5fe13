//! The expected content of a result file, written independently of the reader: every
//! group, dataset (dtype, shape, bit patterns) and attribute (with its type) as the JSON
//! that `tests/py/check_result_file.py` compares h5py's view of the file against.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use faer::Mat;
use pinn::output::RunResult;

use super::{mat_bits, vec_bits};

fn json_str(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 => write!(o, "\\u{:04x}", c as u32).unwrap(),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn json_list<T>(items: impl IntoIterator<Item = T>, f: impl Fn(T) -> String) -> String {
    format!(
        "[{}]",
        items.into_iter().map(f).collect::<Vec<_>>().join(", ")
    )
}

fn js(s: &str) -> String {
    format!("{{\"str\": {}}}", json_str(s))
}
fn jstrs(v: &[String]) -> String {
    format!("{{\"strs\": {}}}", json_list(v, |s| json_str(s)))
}
fn jint(v: i64) -> String {
    format!("{{\"int\": {v}}}")
}
fn jf64(v: f64) -> String {
    format!("{{\"f64\": {}}}", v.to_bits())
}
fn jdata(shape: &[usize], bits: &[u64]) -> String {
    format!(
        "{{\"f64\": {{\"shape\": {}, \"bits\": {}}}}}",
        json_list(shape, |s| s.to_string()),
        json_list(bits, |b| b.to_string())
    )
}
fn jmat(m: &Mat<f64>) -> String {
    let (n, d, bits) = mat_bits(m);
    jdata(&[n, d], &bits)
}
fn jobj(entries: &BTreeMap<String, String>) -> String {
    format!(
        "{{{}}}",
        entries
            .iter()
            .map(|(k, v)| format!("{}: {v}", json_str(k)))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// The complete expected content of the file for `r`, independently of our reader:
/// every group, dataset (with dtype, shape, bit patterns) and attribute (with type).
pub fn expected_json(r: &RunResult) -> String {
    let mut groups = vec![
        "/",
        "/config",
        "/model",
        "/collocation",
        "/evaluation",
        "/metrics",
        "/history",
    ];
    if r.embedding.is_some() {
        groups.push("/model/embedding");
    }
    if r.provenance.is_some() {
        groups.push("/provenance");
    }
    if r.state.is_some() {
        groups.push("/state");
    }
    groups.sort();
    let mut ds = BTreeMap::new();
    ds.insert("/config/problem".to_string(), js(&r.config_problem));
    ds.insert("/config/solver".to_string(), js(&r.config_solver));
    ds.insert(
        "/model/params".to_string(),
        jdata(&[r.params.len()], &vec_bits(&r.params)),
    );
    for (n, m) in &r.collocation {
        ds.insert(format!("/collocation/{n}"), jmat(m));
    }
    let e = &r.evaluation;
    ds.insert("/evaluation/points".into(), jmat(&e.points));
    ds.insert("/evaluation/u".into(), jmat(&e.u));
    if let Some(ue) = &e.u_exact {
        ds.insert("/evaluation/u_exact".into(), jmat(ue));
        // Independent of the writer: the subtraction done here, element by element.
        let err = Mat::from_fn(ue.nrows(), ue.ncols(), |i, j| e.u[(i, j)] - ue[(i, j)]);
        ds.insert("/evaluation/error".into(), jmat(&err));
    }
    for (n, c) in r.history.columns() {
        ds.insert(format!("/history/{n}"), jdata(&[c.len()], &vec_bits(c)));
    }

    let mut attrs: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    // Objects without attributes, which must have none.
    let mut bare: Vec<String> = Vec::new();
    let mut put = |obj: &str, k: &str, v: String| {
        attrs
            .entry(obj.to_string())
            .or_default()
            .insert(k.to_string(), v);
    };
    put("/", "format", js("pinn-result"));
    put("/", "format_version", jint(pinn::output::FORMAT_VERSION));
    put("/", "pinn_version", js(&r.pinn_version));
    put("/", "problem", js(&r.problem_name));
    put("/", "created", js(&r.created));
    if let Some(f) = &r.problem_file {
        put("/", "problem_file", js(f));
    }
    put(
        "/model",
        "layers",
        format!("{{\"ints\": {}}}", json_list(&r.layers, |w| w.to_string())),
    );
    put("/model", "activation", js(&r.activation));
    put("/model", "transform", jstrs(&r.transform));
    if !r.transform_constants.is_empty() {
        let names: Vec<String> = r
            .transform_constants
            .iter()
            .map(|(n, _)| n.clone())
            .collect();
        put("/model", "transform_constants", jstrs(&names));
        put(
            "/model",
            "transform_constant_values",
            format!(
                "{{\"f64s\": {}}}",
                json_list(&r.transform_constants, |(_, v)| v.to_bits().to_string())
            ),
        );
    }
    if let Some(emb) = &r.embedding {
        let ints = |f: fn(&(usize, f64, usize)) -> usize| {
            format!(
                "{{\"ints\": {}}}",
                json_list(&emb.periodic, |p| f(p).to_string())
            )
        };
        put("/model/embedding", "periodic_variables", ints(|p| p.0));
        put("/model/embedding", "harmonics", ints(|p| p.2));
        let periods: Vec<u64> = emb.periodic.iter().map(|p| p.1.to_bits()).collect();
        put(
            "/model/embedding",
            "periods",
            format!("{{\"f64s\": {}}}", json_list(&periods, |b| b.to_string())),
        );
        if !emb.reflections.is_empty() {
            let list = |f: fn(&(usize, f64, i64)) -> String| json_list(&emb.reflections, f);
            put(
                "/model/embedding",
                "reflected_variables",
                format!("{{\"ints\": {}}}", list(|r| r.0.to_string())),
            );
            put(
                "/model/embedding",
                "reflection_centers",
                format!("{{\"f64s\": {}}}", list(|r| r.1.to_bits().to_string())),
            );
            put(
                "/model/embedding",
                "reflection_parities",
                format!("{{\"ints\": {}}}", list(|r| r.2.to_string())),
            );
        }
        if let Some(f) = &emb.fourier {
            ds.insert("/model/embedding/fourier".into(), jmat(&f.matrix));
            put("/model/embedding/fourier", "scale", jf64(f.scale));
            put("/model/embedding/fourier", "seed", jint(f.seed as i64));
        }
    }
    if let Some(p) = &r.provenance {
        put("/provenance", "run_id", js(&p.run_id));
        put("/provenance", "seed", jint(p.seed));
        put("/provenance", "command_line", jstrs(&p.command_line));
        put("/provenance", "threads", jint(p.threads));
        put("/provenance", "started_from", js(&p.started_from));
        put("/provenance", "first_iteration", jint(p.first_iteration));
        for (k, v) in [
            ("source_file", &p.source_file),
            ("source_created", &p.source_created),
            ("parent_run", &p.parent_run),
        ] {
            if let Some(v) = v {
                put("/provenance", k, js(v));
            }
        }
    }
    if let Some(s) = &r.state {
        ds.insert("/state/solver".into(), js(&s.solver));
        let names: Vec<String> = s.vectors.iter().map(|(n, _)| n.clone()).collect();
        put("/state", "vectors", jstrs(&names));
        for (n, v) in &s.vectors {
            ds.insert(format!("/state/{n}"), jdata(&[v.len()], &vec_bits(v)));
            bare.push(format!("/state/{n}"));
        }
        bare.push("/state/solver".into());
    }
    let blocks: Vec<String> = r.collocation.iter().map(|(n, _)| n.clone()).collect();
    put("/collocation", "blocks", jstrs(&blocks));
    put("/evaluation/points", "variables", jstrs(&e.variables));
    put("/evaluation/u", "outputs", jstrs(&e.outputs));
    let m = &r.metrics;
    if let Some(v) = m.rel_l2 {
        put("/metrics", "rel_l2", jf64(v));
    }
    if let Some(v) = m.max_abs_error {
        put("/metrics", "max_abs_error", jf64(v));
    }
    let f64s = |v: &[f64]| {
        format!(
            "{{\"f64s\": {}}}",
            json_list(v, |x| x.to_bits().to_string())
        )
    };
    if let Some(v) = &m.rel_l2_per_output {
        put("/metrics", "rel_l2_per_output", f64s(v));
    }
    if let Some(v) = &m.max_abs_error_per_output {
        put("/metrics", "max_abs_error_per_output", f64s(v));
    }
    put("/metrics", "final_loss", jf64(m.final_loss));
    put("/metrics", "iterations", jint(m.iterations as i64));
    put("/metrics", "termination", js(&m.termination));
    put("/metrics", "wall_time_s", jf64(m.wall_time_s));
    let cols: Vec<String> = r.history.columns().map(|(n, _)| n.to_string()).collect();
    put("/history", "columns", jstrs(&cols));
    // Objects without attributes must have none.
    for obj in [
        "/config",
        "/config/problem",
        "/config/solver",
        "/model/params",
        "/evaluation",
        "/metrics",
    ] {
        attrs.entry(obj.to_string()).or_default();
    }
    for obj in bare {
        attrs.entry(obj).or_default();
    }

    let attrs_json: BTreeMap<String, String> =
        attrs.iter().map(|(k, v)| (k.clone(), jobj(v))).collect();
    format!(
        "{{\"groups\": {}, \"datasets\": {}, \"attrs\": {}}}",
        json_list(&groups, |g| json_str(g)),
        jobj(&ds),
        jobj(&attrs_json)
    )
}
