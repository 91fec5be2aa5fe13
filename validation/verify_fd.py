#!/usr/bin/env python3
"""A pinn solution as the reference of a finite-difference solver (poisson2d).

The problem: -Δu = 2π² sin(πx) sin(πy) on the unit square, u = 0 on the boundary
(problems/poisson2d.toml; exact solution sin(πx) sin(πy)). The finite-difference
solver: the 5-point Laplacian on the uniform grid with n cells per side (h = 1/n,
(n-1)² interior unknowns),

    (4 U_ij - U_i-1,j - U_i+1,j - U_i,j-1 - U_i,j+1) / h² = f(x_i, y_j),

solved exactly by diagonalising the 1-D second difference with the discrete sine
transform: T = S Λ S with S_jk = sqrt(2/n) sin(jkπ/n) (symmetric and orthogonal) and
λ_k = (2 - 2cos(kπ/n)) / h², so U = S [(S F S) / (λ_i + λ_j)] S. Its error is
O(h²) (LeVeque, "Finite Difference Methods for Ordinary and Partial Differential
Equations", SIAM 2007, §3.2–3.4).

The FD error at the grid nodes is measured twice: against the exact solution, and
against the pinn network evaluated at the same nodes with `pinn eval RESULT --points
FILE`. By the triangle inequality the two differ by at most the network's own error
at the nodes, so when that error (1e-9 to 1e-13 after a converged solve) is far below
the FD error, both columns agree and the network verifies the FD solver as well as the
exact solution does: the use of a PINN as the reference for problems without one.

Run:  python3 validation/verify_fd.py RESULT.h5 [--pinn target/release/pinn]
      [--sizes 8,16,32,64,128] [--check 1e-3]
With --check TOL, exit 1 unless the two error columns agree to a relative TOL at every
size and the observed order of the FD solver is within 0.1 of 2.
"""

import argparse
import math
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np


def exact(x, y):
    return np.sin(np.pi * x) * np.sin(np.pi * y)


def rhs(x, y):
    return 2.0 * np.pi**2 * np.sin(np.pi * x) * np.sin(np.pi * y)


def interior_nodes(n):
    """The (n-1)² interior nodes of the grid with n cells per side, x varying slowest."""
    t = np.arange(1, n) / n
    x, y = np.meshgrid(t, t, indexing="ij")
    return x, y


def fd_solve(n):
    """The 5-point finite-difference solution at the interior nodes, shape (n-1, n-1)."""
    h = 1.0 / n
    k = np.arange(1, n)
    s = math.sqrt(2.0 / n) * np.sin(np.outer(k, k) * np.pi / n)
    lam = (2.0 - 2.0 * np.cos(k * np.pi / n)) / h**2
    x, y = interior_nodes(n)
    g = s @ rhs(x, y) @ s
    return s @ (g / (lam[:, None] + lam[None, :])) @ s


def pinn_at(pinn, result, points):
    """The stored network at `points` (rows x, y) through `pinn eval`."""
    with tempfile.TemporaryDirectory() as d:
        pts = os.path.join(d, "points.csv")
        out = os.path.join(d, "u.csv")
        np.savetxt(pts, points, delimiter=",", header="x,y", comments="", fmt="%.17g")
        subprocess.run(
            [pinn, "eval", result, "--points", pts, "--out", out], check=True
        )
        table = np.loadtxt(out, delimiter=",", skiprows=1, ndmin=2)
    if not np.array_equal(table[:, :2], points):
        sys.exit("pinn eval returned other points than it was given")
    return table[:, 2]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("result", help="a pinn result file of problems/poisson2d.toml")
    ap.add_argument("--pinn", default="target/release/pinn", help="the pinn program")
    ap.add_argument("--sizes", default="8,16,32,64,128", help="cells per side")
    ap.add_argument("--check", type=float, metavar="TOL", help="fail unless verified")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if any(n < 2 for n in sizes) or sizes != sorted(set(sizes)):
        sys.exit("--sizes: increasing cell counts, each at least 2")

    with h5py.File(args.result, "r") as f:
        problem = f["config/problem"][()].decode()
        rel_l2 = f["metrics"].attrs.get("rel_l2", float("nan"))
        max_abs = f["metrics"].attrs.get("max_abs_error", float("nan"))
    if "-lap(u) - 2*pi^2*sin(pi*x)*sin(pi*y)" not in problem:
        sys.exit(f"{args.result}: not a solution of poisson2d (-Δu = 2π² sin(πx) sin(πy))")
    print(
        f"pinn result {args.result}: rel L2 {rel_l2:.2e}, max abs error {max_abs:.2e} "
        "on its evaluation points"
    )

    grids = [interior_nodes(n) for n in sizes]
    points = np.vstack([np.column_stack([x.ravel(), y.ravel()]) for x, y in grids])
    u_pinn_all = pinn_at(args.pinn, args.result, points)

    rows, start = [], 0
    for n, (x, y) in zip(sizes, grids):
        m = x.size
        u_pinn = u_pinn_all[start : start + m].reshape(x.shape)
        start += m
        u_fd = fd_solve(n)
        e_exact = np.max(np.abs(u_fd - exact(x, y)))
        e_pinn = np.max(np.abs(u_fd - u_pinn))
        pinn_err = np.max(np.abs(u_pinn - exact(x, y)))
        rows.append((n, 1.0 / n, e_exact, e_pinn, pinn_err))

    print()
    print("| n | h | FD error vs exact | FD error vs pinn | rel. difference | pinn error at nodes | order (exact) | order (pinn) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    ok = True
    for i, (n, h, ex, pi, pe) in enumerate(rows):
        rel = abs(pi - ex) / ex
        if i == 0:
            o_ex = o_pi = "–"
        else:
            hp, exp_, pip = rows[i - 1][1], rows[i - 1][2], rows[i - 1][3]
            r = math.log(hp / h)
            o_ex = f"{math.log(exp_ / ex) / r:.3f}"
            o_pi = f"{math.log(pip / pi) / r:.3f}"
            if args.check is not None and abs(float(o_pi) - 2.0) > 0.1:
                ok = False
        if args.check is not None and rel > args.check:
            ok = False
        print(
            f"| {n} | {h:.6f} | {ex:.6e} | {pi:.6e} | {rel:.1e} | {pe:.1e} | {o_ex} | {o_pi} |"
        )
    if args.check is not None:
        if not ok:
            print(f"NOT VERIFIED: columns differ by more than {args.check} or the order is not 2")
            sys.exit(1)
        print(f"verified: the columns agree to {args.check} and the FD order is 2")


if __name__ == "__main__":
    main()
