//! Fuzzing on stable Rust: the expression parser (residuals, functions and output
//! transforms) and the problem loader get random and mutated inputs — mutations of the
//! shipped `problems/*.toml` files and of valid expressions: byte flips, deletions,
//! duplicated spans, huge numbers, deep nesting, spliced tokens. No input may panic,
//! take longer than [`CASE_LIMIT`], or build a problem beyond [`MEMORY_LIMIT`].
//!
//! Each test runs `PINN_FUZZ_CASES` cases (default: a share CI affords) from the seed
//! `PINN_FUZZ_SEED` (default fixed, so a failure reproduces); a failing input is printed
//! and written to `target/fuzz-failure-*.txt`.

use crate::common::root;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use pinn::expr::{Context, OutputTransform, parse_function, parse_residual};
use pinn::problem::{LoadOptions, build_problem_with, parse_spec};
use pinn::residual::{PointFunction, PointResidual};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The longest one case may take (a hang is reported after it).
const CASE_LIMIT: Duration = Duration::from_secs(20);
/// The memory a fuzzed problem may ask for: larger ones are refused by the loader's
/// budget before anything is sampled.
const MEMORY_LIMIT: u64 = 256 << 20;

fn cases(default: usize) -> usize {
    std::env::var("PINN_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn seed() -> u64 {
    std::env::var("PINN_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_f022)
}

/// Numbers that stress parsers: huge, tiny, overflowing, not finite.
const NUMBERS: &[&str] = &[
    "1e999999",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551616",
    "-9223372036854775808",
    "4294967296",
    "1000000000",
    "1e308",
    "1e-320",
    "-0",
    "nan",
    "inf",
    "-inf",
    "0",
    "-1",
    "0.5",
    "2.5e10",
];

/// Pieces of the expression language and of problem files, spliced in at random.
const TOKENS: &[&str] = &[
    "u_xx",
    "u_t",
    "u_xxxx",
    "u_xxxxx",
    "lap(u)",
    "d(u, x, x, x, x, x)",
    "d(u",
    "N",
    "N_x",
    "sin(",
    "exp(",
    "log(",
    "sqrt(",
    "^",
    "^-",
    "/0",
    "pi",
    "π",
    "·",
    "−",
    ")",
    "(",
    ",",
    "\"",
    "'",
    "\\",
    "\\u0000",
    "\n",
    "=",
    "[",
    "]",
    "{",
    "}",
    "[[blocks]]",
    "[solver]",
    "preset = ",
    "max_iters = ",
    "count = ",
    "layers = [2, 100000, 1]",
    "name = ",
    "kind = \"periodic\"",
    "faces = [",
    "file = \"",
    "\"..\"",
    "é",
    "\u{0}",
    "#",
    "[model.embedding]",
    "fourier = { count = ",
    "periodic = { x = ",
    "adaptive = { method = \"rad\", pool = ",
    "resample_every = ",
    "time = \"t\"",
    "outputs = [",
];

/// One random edit of `s`.
fn mutate_once(rng: &mut StdRng, s: &mut Vec<u8>) {
    let pos = |rng: &mut StdRng, s: &Vec<u8>| rng.random_range(0..=s.len());
    match rng.random_range(0..9) {
        0 if !s.is_empty() => {
            let i = rng.random_range(0..s.len());
            s[i] ^= 1 << rng.random_range(0..8);
        }
        1 if !s.is_empty() => {
            let i = rng.random_range(0..s.len());
            s[i] = rng.random();
        }
        2 if !s.is_empty() => {
            let a = rng.random_range(0..s.len());
            let len = rng.random_range(1..=16.min(s.len() - a));
            s.drain(a..a + len);
        }
        3 if !s.is_empty() => {
            let a = rng.random_range(0..s.len());
            let len = rng.random_range(1..=64.min(s.len() - a));
            let span: Vec<u8> = s[a..a + len].to_vec();
            let times = if rng.random_bool(0.1) { 50 } else { 1 };
            let at = pos(rng, s);
            for _ in 0..times {
                s.splice(at..at, span.iter().copied());
            }
        }
        4 => {
            let n = NUMBERS[rng.random_range(0..NUMBERS.len())];
            // Replace a run of digits when there is one, else insert.
            let digits: Vec<usize> = (0..s.len()).filter(|&i| s[i].is_ascii_digit()).collect();
            if digits.is_empty() {
                let at = pos(rng, s);
                s.splice(at..at, n.bytes());
            } else {
                let a = digits[rng.random_range(0..digits.len())];
                let mut b = a;
                while b < s.len() && (s[b].is_ascii_digit() || s[b] == b'.') {
                    b += 1;
                }
                s.splice(a..b, n.bytes());
            }
        }
        5 => {
            let depth = *[10, 199, 201, 1000, 5000]
                .get(rng.random_range(0..5))
                .unwrap();
            let (open, close) = match rng.random_range(0..4) {
                0 => ("(", ")"),
                1 => ("[", "]"),
                2 => ("{a=", "}"),
                _ => ("-", ""),
            };
            let a = pos(rng, s);
            let b = rng.random_range(a..=s.len());
            s.splice(b..b, close.repeat(depth).into_bytes());
            s.splice(a..a, open.repeat(depth).into_bytes());
        }
        6 => {
            let t = TOKENS[rng.random_range(0..TOKENS.len())];
            let at = pos(rng, s);
            s.splice(at..at, t.bytes());
        }
        7 if !s.is_empty() => {
            let keep = rng.random_range(0..s.len());
            s.truncate(keep);
        }
        _ if s.len() > 2 => {
            let a = rng.random_range(0..s.len() - 1);
            let b = rng.random_range(a + 1..s.len());
            s.swap(a, b);
        }
        _ => s.push(rng.random()),
    }
}

fn mutate(rng: &mut StdRng, seed_text: &str, max_len: usize) -> String {
    let mut s = seed_text.as_bytes().to_vec();
    let n = if rng.random_bool(0.1) {
        0
    } else {
        rng.random_range(1..=4)
    };
    for _ in 0..n {
        mutate_once(rng, &mut s);
        s.truncate(max_len);
    }
    String::from_utf8_lossy(&s).into_owned()
}

/// Runs `run` on every input on one worker thread, each within [`CASE_LIMIT`]; fails on
/// a panic or a hang, printing (and saving) the input.
fn drive(what: &str, inputs: impl Iterator<Item = String>, run: fn(&str) -> bool) -> usize {
    let (to_worker, cases) = mpsc::channel::<String>();
    let (to_main, results) = mpsc::channel::<Result<bool, String>>();
    std::thread::Builder::new()
        .name(format!("fuzz-{what}"))
        .stack_size(64 << 20)
        .spawn(move || {
            for input in cases {
                let r = std::panic::catch_unwind(|| run(&input)).map_err(|e| {
                    e.downcast_ref::<String>()
                        .cloned()
                        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default()
                });
                if to_main.send(r).is_err() {
                    break;
                }
            }
        })
        .unwrap();
    let start = Instant::now();
    let mut n = 0;
    let mut slowest = Duration::ZERO;
    let mut accepted = 0;
    for input in inputs {
        let t = Instant::now();
        to_worker.send(input.clone()).unwrap();
        let outcome = results.recv_timeout(CASE_LIMIT);
        slowest = slowest.max(t.elapsed());
        let failure = match outcome {
            Ok(Ok(ok)) => {
                accepted += usize::from(ok);
                None
            }
            Ok(Err(panic)) => Some(format!("panicked: {panic}")),
            Err(_) => Some(format!("took more than {CASE_LIMIT:?}")),
        };
        if let Some(f) = failure {
            let file = root().join(format!("target/fuzz-failure-{what}.txt"));
            let _ = std::fs::write(&file, &input);
            let shown: String = input.chars().take(2000).collect();
            panic!(
                "{what} case {n} {f}; input saved to {}:\n{shown}",
                file.display()
            );
        }
        n += 1;
    }
    eprintln!(
        "fuzz {what}: {n} cases ({accepted} accepted) in {:.1} s, slowest {:.3} s",
        start.elapsed().as_secs_f64(),
        slowest.as_secs_f64()
    );
    n
}

/// The equations, values, exact solutions and transforms of the shipped problems, and
/// a few more.
fn seed_expressions() -> Vec<String> {
    let mut v: Vec<String> = [
        "u_t + u*u_x - nu*u_xx",
        "-lap(u) - 2*pi^2*sin(pi*x)*sin(pi*y)",
        "d(u, x, x, y, y) + u_xxxx",
        "2^3^2 - -x^2 / (1 + exp(-t))",
        "sqrt(abs(x)) * tanh(y) + cosh(t) - sinh(x) + log(1 + x^2) + tan(0.1)",
        "sin(pi*x) + t*N",
        "x*(1 - x)*N + 1",
        "u*v - p_x + nu*lap(u)",
        "1e-3*u_xxx + .5*u_t",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for path in shipped() {
        let text = std::fs::read_to_string(&path).unwrap();
        let table: toml::Table = toml::from_str(&text).unwrap();
        let mut strings = Vec::new();
        collect_strings(&toml::Value::Table(table), &mut strings);
        v.extend(strings.into_iter().filter(|s| s.len() < 200));
    }
    v
}

fn collect_strings(v: &toml::Value, out: &mut Vec<String>) {
    match v {
        toml::Value::String(s) => out.push(s.clone()),
        toml::Value::Array(a) => a.iter().for_each(|x| collect_strings(x, out)),
        toml::Value::Table(t) => t.values().for_each(|x| collect_strings(x, out)),
        _ => {}
    }
}

fn shipped() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("problems"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    v.sort();
    v
}

/// One expression case: compiled as a residual, a function and a transform; whatever
/// compiles is evaluated and, for a transform, wrapped around a residual.
fn expression_case(src: &str) -> bool {
    let ctx = Context::new(&["x", "y", "t"], &["u", "v", "p"])
        .unwrap()
        .with_constant("nu", 0.01)
        .unwrap()
        .with_laplacian_vars(&["x", "y"])
        .unwrap();
    let x = [0.3, -0.7, 0.1];
    let residual = parse_residual(src, &ctx);
    if let Ok(r) = &residual {
        let c = vec![0.5; r.channels().len()];
        let mut dfdc = vec![0.0; c.len()];
        let _ = r.eval(&x, &c, &mut dfdc);
    }
    if let Ok(f) = parse_function(src, &ctx) {
        let _ = f.eval(&x);
    }
    if let Ok(t) = OutputTransform::new(&ctx, &[Some(src), None, None]) {
        let inner = parse_residual("u_t + u*u_xx - lap(u) + d(u, x, y)", &ctx).unwrap();
        if let Ok(w) = t.wrap(Arc::new(inner)) {
            let c = vec![0.5; w.channels().len()];
            let mut dfdc = vec![0.0; c.len()];
            let _ = w.eval(&x, &c, &mut dfdc);
        }
    }
    residual.is_ok()
}

/// One loader case: the text parsed and built as if it were the file whose name it
/// starts with (so that its data files resolve), within [`MEMORY_LIMIT`].
fn loader_case(input: &str) -> bool {
    let (file, text) = input.split_once('\n').expect("a file line first");
    let path = Path::new(file);
    let opts = LoadOptions {
        memory_limit: Some(MEMORY_LIMIT),
        ..LoadOptions::default()
    };
    let (accepted, shown) = match parse_spec(path, text) {
        Ok(spec) => match build_problem_with(path, text, spec, &opts) {
            Ok(p) => (true, pinn::cli::check::check_report(&p)),
            Err(e) => (false, e.to_string()),
        },
        Err(e) => (false, e.to_string()),
    };
    assert!(!shown.is_empty());
    accepted
}

#[test]
fn the_expression_parser_survives_mutated_and_random_input() {
    let seeds = seed_expressions();
    let mut rng = StdRng::seed_from_u64(seed());
    let n = cases(20_000);
    let inputs = (0..n).map(move |_| {
        if rng.random_bool(0.05) {
            // Random bytes.
            let len = rng.random_range(0..64);
            let bytes: Vec<u8> = (0..len).map(|_| rng.random()).collect();
            String::from_utf8_lossy(&bytes).into_owned()
        } else {
            let s = &seeds[rng.random_range(0..seeds.len())];
            mutate(&mut rng, s, 40_000)
        }
    });
    assert_eq!(drive("expressions", inputs, expression_case), n);
}

#[test]
fn the_problem_loader_survives_mutated_problem_files() {
    let files: Vec<(PathBuf, String)> = shipped()
        .into_iter()
        .map(|p| {
            let t = std::fs::read_to_string(&p).unwrap();
            (p, t)
        })
        .collect();
    let mut rng = StdRng::seed_from_u64(seed() ^ 0x10ad);
    let n = cases(3000);
    let inputs = (0..n).map(move |_| {
        let (path, text) = &files[rng.random_range(0..files.len())];
        let mutated = mutate(&mut rng, text, 200_000);
        format!("{}\n{mutated}", path.display())
    });
    assert_eq!(drive("loader", inputs, loader_case), n);
}

#[test]
fn mutations_do_change_their_input() {
    // Guards the fuzzer itself: most mutants differ from their seed.
    let mut rng = StdRng::seed_from_u64(1);
    let changed = (0..200)
        .filter(|_| mutate(&mut rng, "u_t + u*u_x - nu*u_xx", 1000) != "u_t + u*u_x - nu*u_xx")
        .count();
    assert!(changed > 150, "{changed}");
}
