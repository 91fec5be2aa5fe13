//! PNG plots of a result: the files exist next to the result, decode, have the
//! documented size, are not blank, and show the field the right way round.

use crate::common::{pinn, root, scratch};

use std::path::{Path, PathBuf};
use std::process::Command;

use pinn::output::RunResult;
use pinn::plot::sample::{Layout, sample};
use pinn::plot::{FIELD_SIZE, HISTORY_SIZE, plot_result};

/// A short solve of the problem file `path` (its own preset, `iters` iterations).
fn solve(path: &Path, iters: usize) -> RunResult {
    let problem = pinn::problem::load_problem(path).unwrap_or_else(|e| panic!("{e}"));
    let mut config = pinn::presets::solver_config(&problem.solver, None).unwrap();
    config.termination.max_iterations = iters;
    config.termination.time_limit_seconds = None;
    let theta0 = problem.initial_params();
    pinn::run::run(&problem, &config, &theta0, None, |_, _, _| {
        std::ops::ControlFlow::Continue(())
    })
    .unwrap()
    .result
}

/// An RGB(A) image decoded with the `png` crate.
struct Image {
    width: u32,
    height: u32,
    channels: usize,
    data: Vec<u8>,
}

impl Image {
    fn read(path: &Path) -> Image {
        let decoder = png::Decoder::new(std::fs::File::open(path).unwrap());
        let mut reader = decoder.read_info().unwrap();
        let mut data = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut data).unwrap();
        assert_eq!(info.bit_depth, png::BitDepth::Eight, "{}", path.display());
        data.truncate(info.buffer_size());
        Image {
            width: info.width,
            height: info.height,
            channels: info.color_type.samples(),
            data,
        }
    }

    fn pixel(&self, x: u32, y: u32) -> [u8; 3] {
        let i = (y as usize * self.width as usize + x as usize) * self.channels;
        [self.data[i], self.data[i + 1], self.data[i + 2]]
    }

    fn distinct_colours(&self) -> usize {
        let mut set = std::collections::HashSet::new();
        for y in 0..self.height {
            for x in 0..self.width {
                set.insert(self.pixel(x, y));
            }
        }
        set.len()
    }
}

fn near(a: [u8; 3], b: [u8; 3], tol: i32) -> bool {
    a.iter()
        .zip(b)
        .all(|(&p, q)| (p as i32 - q as i32).abs() <= tol)
}

/// Checks every file exists, decodes, has its documented size and is not blank.
fn check_images(paths: &[PathBuf]) {
    for p in paths {
        let img = Image::read(p);
        let name = p.file_name().unwrap().to_string_lossy();
        let size = if name.ends_with("_history.png") {
            HISTORY_SIZE
        } else {
            FIELD_SIZE
        };
        assert_eq!((img.width, img.height), size, "{name}");
        let colours = img.distinct_colours();
        // Fields carry a 256-step colour bar; the history has two anti-aliased lines and text.
        let min = if name.ends_with("_history.png") {
            20
        } else {
            200
        };
        assert!(colours > min, "{name}: only {colours} distinct colours");
    }
}

/// The heat-map panel's coloured pixels (left of the colour bar): their bounding box.
fn heat_map_box(img: &Image) -> (u32, u32, u32, u32) {
    let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0, 0);
    for y in 0..img.height {
        for x in 0..img.width - 150 {
            let p = img.pixel(x, y);
            let (hi, lo) = (*p.iter().max().unwrap(), *p.iter().min().unwrap());
            // Viridis is saturated; text, axes and background are grey.
            if hi - lo > 40 {
                x0 = x0.min(x);
                y0 = y0.min(y);
                x1 = x1.max(x);
                y1 = y1.max(y);
            }
        }
    }
    assert!(x0 < x1 && y0 < y1, "no heat map drawn");
    (x0, y0, x1, y1)
}

const VIRIDIS_LOW: [u8; 3] = [68, 1, 84];
const VIRIDIS_HIGH: [u8; 3] = [254, 232, 37];

#[test]
fn poisson2d_plots_solution_exact_error_and_history_next_to_the_result() {
    let result = solve(&root().join("problems/poisson2d-engd.toml"), 5);
    let dir = scratch!("poisson2d");
    let file = dir.join("run.h5");
    pinn::output::write_atomic(&file, &result).unwrap();
    let paths = plot_result(&file, &result).unwrap();
    let expected: Vec<PathBuf> = [
        "run_u_solution.png",
        "run_u_exact.png",
        "run_u_error.png",
        "run_history.png",
    ]
    .iter()
    .map(|n| dir.join(n))
    .collect();
    assert_eq!(paths, expected);
    check_images(&paths);

    // The exact solution sin(πx) sin(πy) is largest at the centre of the square and
    // zero on its edges: the centre of the heat map has viridis' top colour, its
    // corners the bottom one. This checks the grid, its orientation and the colours.
    let img = Image::read(&paths[1]);
    let (x0, y0, x1, y1) = heat_map_box(&img);
    // The square is drawn square-ish: the panel is about 600 px either way.
    assert!(x1 - x0 > 450 && y1 - y0 > 450, "{:?}", (x0, y0, x1, y1));
    let centre = img.pixel((x0 + x1) / 2, (y0 + y1) / 2);
    assert!(near(centre, VIRIDIS_HIGH, 12), "centre {centre:?}");
    for (x, y) in [
        (x0 + 1, y0 + 1),
        (x1 - 1, y0 + 1),
        (x0 + 1, y1 - 1),
        (x1 - 1, y1 - 1),
    ] {
        let c = img.pixel(x, y);
        assert!(near(c, VIRIDIS_LOW, 12), "corner ({x}, {y}) {c:?}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_grid_fields_are_the_network_and_the_exact_solution() {
    let result = solve(&root().join("problems/poisson2d-engd.toml"), 2);
    let s = sample(&result);
    assert!(matches!(
        s.layout,
        Layout::Map {
            scattered: false,
            ..
        }
    ));
    // Independent recomputation at a few grid points: the network from the stored
    // parameters, the exact solution from its formula.
    let mlp = pinn::model::Mlp::new(&result.layers, pinn::model::Activation::Tanh);
    let u = mlp.eval(&result.params, s.points.as_ref());
    let ex = s.u_exact.as_ref().unwrap();
    for r in [0, 1234, s.points.nrows() - 1] {
        let (x, y) = (s.points[(r, 0)], s.points[(r, 1)]);
        let pi = std::f64::consts::PI;
        assert!((ex[(r, 0)] - (pi * x).sin() * (pi * y).sin()).abs() < 1e-14);
        assert_eq!(s.u[(r, 0)], u[(r, 0)]);
    }
}

#[test]
fn a_five_dimensional_field_is_sliced_through_the_centre() {
    let result = solve(&root().join("problems/poisson5d.toml"), 1);
    let s = sample(&result);
    match &s.layout {
        Layout::Map { names, slice, .. } => {
            assert_eq!(names, &["x".to_string(), "y".to_string()]);
            let want: Vec<(String, f64)> = ["z", "w", "s"]
                .iter()
                .map(|n| (n.to_string(), 0.5))
                .collect();
            assert_eq!(slice, &want);
        }
        other => panic!("expected a map, got {other:?}"),
    }
    for r in 0..s.points.nrows() {
        assert_eq!(
            &s.points.row(r).iter().skip(2).copied().collect::<Vec<_>>(),
            &[0.5; 3]
        );
    }
    let dir = scratch!("poisson5d");
    let paths = plot_result(&dir.join("five.h5"), &result).unwrap();
    assert_eq!(paths.len(), 4);
    check_images(&paths);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_one_dimensional_field_is_a_line_plot() {
    let dir = scratch!("line");
    let problem = dir.join("line.toml");
    std::fs::write(
        &problem,
        r#"name = "line"
outputs = ["u"]

[domain]
variables = ["x"]
bounds = [[0.0, 1.0]]

[[blocks]]
name = "interior"
kind = "pde"
equation = "-lap(u) - pi^2*sin(pi*x)"
points = { count = 30, sampler = "grid_interior" }

[[blocks]]
name = "boundary"
kind = "dirichlet"
value = "0"
points = { count = 2, sampler = "grid" }

[exact]
u = "sin(pi*x)"

[model]
layers = [1, 8, 1]
activation = "tanh"
seed = 0

[evaluation]
count = 200
sampler = "uniform"
seed = 2

[solver]
preset = "lm"
"#,
    )
    .unwrap();
    let result = solve(&problem, 3);
    assert!(matches!(sample(&result).layout, Layout::Line { .. }));
    let paths = plot_result(&dir.join("line.h5"), &result).unwrap();
    assert_eq!(paths.len(), 4);
    for p in &paths {
        let img = Image::read(p);
        assert_eq!(
            (img.width, img.height),
            if p.ends_with("line_history.png") {
                HISTORY_SIZE
            } else {
                FIELD_SIZE
            }
        );
        // A line plot: white background, black axes and text, a blue anti-aliased line.
        assert!(img.distinct_colours() > 20, "{}", p.display());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn without_a_rebuildable_problem_the_stored_points_are_drawn() {
    let mut result = solve(&root().join("problems/poisson2d-engd.toml"), 2);
    result.config_problem = "this is not a problem file".into();
    let s = sample(&result);
    assert!(matches!(
        s.layout,
        Layout::Map {
            scattered: true,
            ..
        }
    ));
    assert_eq!(s.points, result.evaluation.points);
    let dir = scratch!("scattered");
    let paths = plot_result(&dir.join("s.h5"), &result).unwrap();
    assert_eq!(paths.len(), 4);
    check_images(&paths);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn solve_writes_plots_unless_no_plots() {
    let dir = scratch!("cli");
    let pngs = |d: &Path| {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".png"))
            .collect();
        v.sort();
        v
    };
    let run = |out: &str, extra: &[&str]| {
        let o = pinn()
            .args(["solve", "--quiet", "--max-iters", "2", "--out"])
            .arg(dir.join(out))
            .args(extra)
            .arg(root().join("problems/poisson2d-engd.toml"))
            .output()
            .unwrap();
        assert!(
            o.status.code() == Some(0) || o.status.code() == Some(1),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(dir.join(out).exists());
    };
    run("quiet.h5", &["--no-plots"]);
    assert!(pngs(&dir).is_empty(), "{:?}", pngs(&dir));
    run("p.h5", &[]);
    assert_eq!(
        pngs(&dir),
        [
            "p_history.png",
            "p_u_error.png",
            "p_u_exact.png",
            "p_u_solution.png"
        ]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(target_os = "linux")]
#[test]
fn the_binary_needs_no_font_libraries() {
    let out = Command::new("ldd")
        .arg(env!("CARGO_BIN_EXE_pinn"))
        .output()
        .expect("ldd is part of every glibc system");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("libc.so"), "{text}");
    for lib in ["fontconfig", "freetype"] {
        assert!(!text.contains(lib), "{lib} linked:\n{text}");
    }
}

#[test]
fn a_tabulated_reference_is_drawn_on_its_own_grid_as_tiles() {
    // burgers' reference lives on Raissi's 100 (t) × 256 (x) grid: the field is drawn at
    // those points, squares of half the grid spacing, no gaps and no interpolation.
    let result = solve(&root().join("problems/burgers.toml"), 1);
    let s = sample(&result);
    let Layout::Map {
        scattered: true,
        half,
        lo,
        hi,
        ..
    } = s.layout
    else {
        panic!("a reference is drawn at its stored points: {:?}", s.layout);
    };
    assert_eq!((lo, hi), ([0.0, -1.0], [0.99, 1.0]));
    assert!((half[0] - 0.005).abs() < 1e-15 && (half[1] - 1.0 / 255.0).abs() < 1e-15);
    assert_eq!(s.u_exact.as_ref().map(|e| e.nrows()), Some(25_600));
}
