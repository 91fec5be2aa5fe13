#!/usr/bin/env python3
"""Runs the accuracy study of validation/RESULTS.md: every problem with a preset and a
time budget, one after another (never in parallel: the machine has 2 cores), then
prints one Markdown table row per run from the result files alone (h5py).

Usage:
    python3 validation/run_study.py OUT_DIR [SECONDS] [NAME[:PRESET[:MAX_ITERS]] ...]
    python3 validation/run_study.py OUT_DIR --frontier [NAME ...]

Without names, runs the study's default list (below). Each run is
`target/release/pinn solve problems/NAME.toml --solver PRESET --time-limit SECONDS
--out OUT_DIR/NAME-PRESET.h5 --quiet`, plus `--max-iters` when given, and then
`pinn validate` on the file. The table's "to 1e-k" columns are the wall-clock times at
which /history/rel_l2 first fell below 1e-k (rel L2 is measured every 0.25 s).

With `--frontier`, runs the frontier table instead (the files in FRONTIER, or the names
given): each file as shipped, with its own preset and overrides, for the table's budget of
30 minutes (`pinn solve problems/NAME.toml --time-limit 1800 --max-iters 100000000 --out
OUT_DIR/NAME.h5 --quiet`; a file with `[[stages]]` is run without `--time-limit`, since
that would hold for each stage: its stages' own time limits split the 30 minutes), and
prints rel L2, max error, wall time, the times to 1e-3, 1e-6 and 1e-9 (over all stages
of a multi-stage result), the load average at the start, and the published frontier
number beside each.
"""
import os
import subprocess
import sys
import time

import h5py
import numpy as np

DEFAULT = [
    "poisson2d:gn-probe",
    "poisson2d:lm",
    "poisson2d-engd:engd:51",
    "poisson2d-engd:engd",
    "poisson2d-engd:lm",
    "poisson2d-engd:gn-probe",
    "heat1d:gn-probe",
    "heat1d:lm",
    "poisson5d:engd",
    "poisson5d:lm",
    "helmholtz2d:lm",
    "helmholtz2d-transform:lm",
    "helmholtz2d-soft:lm",
    "kovasznay:lm",
    "kovasznay-soft:lm",
    "burgers:lm",
    "burgers-soft:lm",
    "burgers-nu001:lm",
    "allen-cahn:lm",
    "allen-cahn-soft:lm",
    "convection:lm",
    "convection-soft:lm",
    "reaction:lm",
    "reaction-soft:lm",
    "wave:lm",
    "wave-structured:lm",
    "kdv:lm",
    "kdv-soft:lm",
    "ks:lm",
    "ks-soft:lm",
]

# The frontier table: the file that holds each benchmark's best setup, with the best
# published rel L2 and its source (a problem whose setup is not tuned yet keeps its
# plain file).
FRONTIER = [
    ("burgers-odd", "8.25e-9 (SSBroyden + RAD, Toscano et al. 2025)"),
    ("burgers-nu001-staged", "7.97e-14 (DSGNAR, Webb, Jerad & Cartis 2026)"),
    ("allen-cahn-ssbroyden", "1.88e-6 (SSBroyden + RAD, Toscano et al. 2025)"),
    ("kdv-ssbroyden", "2.17e-6 (SSBroyden + vRBA, Toscano et al. 2025)"),
    ("helmholtz2d", "2.0e-9 (SPRING, Jnini et al. 2026)"),
    ("convection", "1.94e-3 (NNCG, Rathore et al. 2024)"),
    ("reaction", "9.92e-3 (NNCG, Rathore et al. 2024)"),
    ("wave-structured", "1.27e-2 (NNCG, Rathore et al. 2024)"),
    ("poisson5d", "3.5e-8 (ENGD, Dangel et al. 2024)"),
    ("kovasznay", "about 1e-7 (Gauss-Newton natural gradient)"),
    ("ks-ssbroyden", "1.61e-1 over [0, 1] with ten time windows, 1.42e-4 over [0, 0.1] (jaxpi, Wang et al. 2023)"),
]

# The frontier table's budget per problem: 30 minutes on 2 cores.
FRONTIER_SECONDS = "1800"


def first_below(history, threshold):
    rel, wall = history["rel_l2"][()], history["wall_time_s"][()]
    return first_time_below(rel, wall, threshold)


def first_time_below(rel, wall, threshold):
    hit = np.nonzero(np.nan_to_num(rel, nan=np.inf) <= threshold)[0]
    return f"{wall[hit[0]]:.1f} s" if hit.size else "—"


def whole_history(f):
    """rel L2 and wall time of every iteration of a result: /history, or for a multi-stage
    result the stages' histories one after the other, each stage's clock moved on by the
    wall time of the stages before it (each stage's history starts at its own zero)."""
    if "stages" not in f:
        h = f["history"]
        return h["rel_l2"][()], h["wall_time_s"][()]
    rel, wall, offset = [], [], 0.0
    stages = f["stages"]
    for k in sorted(stages, key=lambda name: int(name.split("_")[1])):
        st = stages[k]
        rel.append(st["history/rel_l2"][()])
        wall.append(st["history/wall_time_s"][()] + offset)
        offset += float(st.attrs["wall_time_s"])
    return np.concatenate(rel), np.concatenate(wall)


def row(path, name, preset, validated):
    with h5py.File(path, "r") as f:
        m = f["metrics"].attrs
        widths = [str(int(w)) for w in f["model"].attrs["layers"]]
        if "embedding" in f["model"]:
            # d variables embedded into the first layer's width D: "2⇒3→20→…".
            widths[0] = f"{f['evaluation/points'].shape[1]}⇒{widths[0]}"
        layers = "→".join(widths)
        p = f["model/params"].shape[0]
        h = f["history"]
        cols = [
            name,
            preset,
            f"{layers} ({p})",
            str(int(m["iterations"])),
            f"{m['wall_time_s']:.0f} s",
            f"{m['rel_l2']:.2e}",
            f"{m['max_abs_error']:.2e}",
            f"{m['final_loss']:.2e}",
            first_below(h, 1e-3),
            first_below(h, 1e-5),
            first_below(h, 1e-7),
            str(m["termination"]),
            "yes" if validated else "NO",
        ]
    return "| " + " | ".join(cols) + " |"


def frontier_row(path, name, published, validated, started, load):
    with h5py.File(path, "r") as f:
        m = f["metrics"].attrs
        rel, wall = whole_history(f)
        cols = [
            name,
            f"{m['rel_l2']:.2e}",
            f"{m['max_abs_error']:.2e}",
            f"{m['wall_time_s']:.0f} s",
            str(int(m["iterations"])),
            first_time_below(rel, wall, 1e-3),
            first_time_below(rel, wall, 1e-6),
            first_time_below(rel, wall, 1e-9),
            published,
            "yes" if validated else "NO",
            f"{started} UTC, load {load:.2f}",
        ]
    return "| " + " | ".join(cols) + " |"


def frontier(out, names):
    known = dict(FRONTIER)
    names = names or [n for n, _ in FRONTIER]
    print("| file | rel L2 | max abs error | wall | iterations | to 1e-3 | to 1e-6 | "
          "to 1e-9 | frontier | validate | started |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name in names:
        path = os.path.join(out, f"{name}.h5")
        started = time.strftime("%H:%M:%S", time.gmtime())
        load = os.getloadavg()[0]
        file = f"problems/{name}.toml"
        # --time-limit holds for every stage of a multi-stage file, so such a file splits
        # the 30 minutes between its stages itself (the stages' own time limits).
        with open(file) as t:
            staged = any(line.lstrip().startswith("[[stages]]") for line in t)
        budget = [] if staged else ["--time-limit", FRONTIER_SECONDS]
        subprocess.run(["target/release/pinn", "solve", file, *budget,
                        "--max-iters", "100000000", "--out", path, "--quiet"],
                       check=False, stdout=subprocess.DEVNULL)
        ok = subprocess.run(["target/release/pinn", "validate", path],
                            stdout=subprocess.DEVNULL).returncode == 0
        print(frontier_row(path, name, known.get(name, "—"), ok, started, load), flush=True)


def main():
    out = sys.argv[1]
    if len(sys.argv) > 2 and sys.argv[2] == "--frontier":
        os.makedirs(out, exist_ok=True)
        frontier(out, sys.argv[3:])
        return
    seconds = sys.argv[2] if len(sys.argv) > 2 else "300"
    runs = sys.argv[3:] or DEFAULT
    os.makedirs(out, exist_ok=True)
    print("| problem | preset | network (P) | iterations | wall | rel L2 | max abs error | "
          "final loss | to 1e-3 | to 1e-5 | to 1e-7 | termination | validate |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for spec in runs:
        parts = spec.split(":")
        name, preset = parts[0], parts[1] if len(parts) > 1 else "lm"
        path = os.path.join(out, f"{name}-{preset}{'-' + parts[2] if len(parts) > 2 else ''}.h5")
        cmd = ["target/release/pinn", "solve", f"problems/{name}.toml", "--solver", preset,
               "--time-limit", seconds, "--out", path, "--quiet"]
        cmd += ["--max-iters", parts[2]] if len(parts) > 2 else ["--max-iters", "100000000"]
        started = time.strftime("%H:%M:%S", time.gmtime())
        load = os.getloadavg()[0]
        subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL)
        ok = subprocess.run(["target/release/pinn", "validate", path],
                            stdout=subprocess.DEVNULL).returncode == 0
        print(row(path, name, preset, ok) + f" <!-- {started} UTC, load {load:.2f} -->",
              flush=True)


if __name__ == "__main__":
    main()
