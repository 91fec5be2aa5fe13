"""Interleaved timing of pinn and the JAX f64 reference on poisson2d-engd.

Exports the problem once from pinn (θ₀, points, row scales, r(θ₀)), checks that JAX's
residuals at θ₀ equal pinn's, then runs, three times over, ours LM, JAX LM, ours ENGD,
JAX ENGD, each for the same number of iterations, and prints ms per iteration (median
over iterations), CPU ms per iteration (all threads) and the ratios ours/JAX per
repeat. Interleaving keeps the ratio meaningful on a machine whose load changes.

Usage (from the repository root, after `cargo build --release --example iteration_time`
and setting up the venv as benches/RESULTS.md describes):

    target/jaxenv/bin/python benches/jax/compare.py [--iters N] [--repeats R]
"""

import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def run(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    lines = [ln.split() for ln in out.splitlines() if ln.startswith(("ours ", "jax "))]
    return {ln[1]: tuple(float(v) for v in ln[2:6]) for ln in lines}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--iters", type=int, default=200)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument(
        "--ours",
        default=os.path.join(ROOT, "target", "release", "examples", "iteration_time"),
    )
    p.add_argument("--data", default=os.path.join(ROOT, "target", "jaxdata"))
    a = p.parse_args()
    run([a.ours, "--export", a.data, "--iters", "1"])

    import numpy as np

    sys.path.insert(0, HERE)
    import poisson2d_engd as ref

    theta, pts, scales = ref.load(a.data)
    res, _ = ref.make_residuals(pts, scales)
    diff = np.abs(np.asarray(res(theta)) - np.loadtxt(os.path.join(a.data, "r0.txt")))
    print(f"max |r_jax(θ₀) − r_ours(θ₀)| = {diff.max():.1e}")
    if diff.max() > 1e-12:
        sys.exit("the JAX residuals differ from pinn's: not the same problem")

    script = os.path.join(HERE, "poisson2d_engd.py")
    print(
        "| repeat | solver | ours ms/it | JAX ms/it | ours/JAX "
        "| ours CPU ms/it | JAX CPU ms/it | CPU ours/JAX | ours loss | JAX loss |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for rep in range(1, a.repeats + 1):
        for solver in ["lm", "engd"]:
            ours = run([a.ours, "--solver", solver, "--iters", str(a.iters)])[solver]
            jax = run(
                [sys.executable, script, a.data, "--solver", solver, "--iters", str(a.iters)]
            )[solver]
            print(
                f"| {rep} | {solver} | {ours[0]:.3f} | {jax[0]:.3f} | "
                f"{ours[0] / jax[0]:.2f} | {ours[3]:.3f} | {jax[3]:.3f} | "
                f"{ours[3] / jax[3]:.2f} | {ours[2]:.2e} | {jax[2]:.2e} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
