"""JAX f64 reference for poisson2d-engd: one LM or ENGD iteration as one jitted step.

The problem is read from the files `cargo run --release --example iteration_time --
--export DIR` writes (θ₀ in pinn's layout, every block's points, the row scales
sqrt(w_b/N_b)), so both sides solve the same problem from the same start:

    r_interior = s_i · (−Δu(x) − 2π² sin(πx) sin(πy)),   r_boundary = s_b · u(x),
    L(θ) = ½‖r‖²,   u = W₁ tanh(W₀ x + b₀) + b₁   (2 → 32 → 1, W row-major).

J: per-point gradients in θ by reverse mode, vmapped over the points (the ENGD
authors' formulation). LM: G = JᵀJ, Marquardt scaling D = clamp(diag(G), 1e-6, 1e32),
Cholesky of G + λD, one
residual evaluation at the trial, Nielsen's damping update (as pinn's `lm` preset).
ENGD (Müller & Zeinhofer, ICML 2023): J, G = JᵀJ, its pseudo-inverse by a symmetric
eigendecomposition dropping eigenvalues below P·ε·λ_max (pinn's `engd` preset, the
cut-off of the authors' `lstsq(G, ∇L)`), the 31-point grid
η = 2⁻ᵏ, k = 0…30, evaluated together (vmap), move to the grid's argmin.

Usage: python poisson2d_engd.py DIR --solver lm|engd --iters N
Prints: jax <solver> <ms per iteration (median)> <ms (mean)> <final loss>
<CPU ms per iteration (all threads)>
"""

import argparse
import os
import time

# LAPACK (eigh, Cholesky) runs through scipy's OpenBLAS, whose worker threads spin: on
# a 129 × 129 matrix on a shared 2-core machine that costs 100× (0.4 s per eigh
# measured). One BLAS thread; XLA keeps its own 2-thread pool for the rest.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import jax.scipy.linalg as jsl  # noqa: E402
import numpy as np  # noqa: E402

LAYERS = [2, 32, 1]


def load(d):
    theta = np.loadtxt(os.path.join(d, "theta0.txt"))
    scales = {}
    with open(os.path.join(d, "scales.txt")) as f:
        for line in f:
            name, s = line.split()
            scales[name] = float(s)
    pts = {n: np.loadtxt(os.path.join(d, f"points_{n}.txt"), ndmin=2) for n in scales}
    return jnp.asarray(theta), {n: jnp.asarray(p) for n, p in pts.items()}, scales


def unflatten(theta):
    out, off = [], 0
    for n_in, n_out in zip(LAYERS[:-1], LAYERS[1:]):
        w = theta[off : off + n_in * n_out].reshape(n_out, n_in)
        off += n_in * n_out
        b = theta[off : off + n_out]
        off += n_out
        out.append((w, b))
    return out


def u(theta, x):
    """The network at one point `x`."""
    h = x
    params = unflatten(theta)
    for w, b in params[:-1]:
        h = jnp.tanh(w @ h + b)
    w, b = params[-1]
    return (w @ h + b)[0]


def laplacian(theta, x):
    """Σ_i ∂²u/∂x_i² at one point (trace of the Hessian in x)."""
    return jnp.trace(jax.hessian(u, argnums=1)(theta, x))


def make_residuals(pts, scales):
    """`res(θ)` (all rows) and `jac(θ)` (N × P): per-point residuals, their gradients
    in θ by reverse mode, vmapped over the points (the ENGD authors' formulation)."""
    xi, xb = pts["interior"], pts["boundary"]
    si, sb = scales["interior"], scales["boundary"]

    def r_interior(theta, x):
        f = 2 * jnp.pi**2 * jnp.sin(jnp.pi * x[0]) * jnp.sin(jnp.pi * x[1])
        return si * (-laplacian(theta, x) - f)

    def r_boundary(theta, x):
        return sb * u(theta, x)

    def res(theta):
        ri = jax.vmap(r_interior, (None, 0))(theta, xi)
        rb = jax.vmap(r_boundary, (None, 0))(theta, xb)
        return jnp.concatenate([ri, rb])

    def jac(theta):
        ji = jax.vmap(jax.grad(r_interior), (None, 0))(theta, xi)
        jb = jax.vmap(jax.grad(r_boundary), (None, 0))(theta, xb)
        return jnp.concatenate([ji, jb])

    return res, jac


def make_steps(res, jac):
    def loss(theta):
        r = res(theta)
        return 0.5 * r @ r

    @jax.jit
    def lm_step(theta, lam, nu):
        r, j = res(theta), jac(theta)
        g, gram = j.T @ r, j.T @ j
        a = gram + lam * jnp.diag(jnp.clip(jnp.diag(gram), 1e-6, 1e32))
        delta = -jsl.cho_solve(jsl.cho_factor(a), g)
        r_new = res(theta + delta)
        actual = 0.5 * jnp.sum((r - r_new) * (r + r_new))
        jd = j @ delta
        predicted = -(jd @ (r + 0.5 * jd))
        rho = actual / predicted
        ok = (rho > 1e-4) & jnp.isfinite(actual)
        lam_ok = lam * jnp.maximum(1.0 / 3.0, 1.0 - (2.0 * rho - 1.0) ** 3)
        theta = jnp.where(ok, theta + delta, theta)
        lam = jnp.where(ok, lam_ok, lam * nu)
        nu = jnp.where(ok, 2.0, 2.0 * nu)
        return theta, lam, nu, jnp.where(ok, 0.5 * r_new @ r_new, 0.5 * r @ r)

    etas = 2.0 ** -jnp.arange(31.0)

    @jax.jit
    def engd_step(theta):
        r, j = res(theta), jac(theta)
        g, gram = j.T @ r, j.T @ j
        w, v = jnp.linalg.eigh(gram)
        keep = w > w[-1] * w.shape[0] * jnp.finfo(w.dtype).eps
        winv = jnp.where(keep, 1.0 / jnp.where(keep, w, 1.0), 0.0)
        delta = -(v @ ((v.T @ g) * winv))
        losses = jax.vmap(lambda e: loss(theta + e * delta))(etas)
        losses = jnp.where(jnp.isfinite(losses), losses, jnp.inf)
        k = jnp.argmin(losses)
        return theta + etas[k] * delta, losses[k]

    return lm_step, engd_step


def main():
    p = argparse.ArgumentParser()
    p.add_argument("dir")
    p.add_argument("--solver", choices=["lm", "engd"], default="engd")
    p.add_argument("--iters", type=int, default=200)
    a = p.parse_args()
    theta, pts, scales = load(a.dir)
    lm_step, engd_step = make_steps(*make_residuals(pts, scales))
    lam, nu = jnp.float64(1e-4), jnp.float64(2.0)
    # Compile (and warm up) outside the timed loop.
    if a.solver == "lm":
        jax.block_until_ready(lm_step(theta, lam, nu))
    else:
        jax.block_until_ready(engd_step(theta))
    times, loss = [], float("nan")
    cpu_start = time.process_time()
    start = time.perf_counter()
    for _ in range(a.iters):
        t0 = time.perf_counter()
        if a.solver == "lm":
            theta, lam, nu, l = lm_step(theta, lam, nu)
        else:
            theta, l = engd_step(theta)
        l.block_until_ready()
        times.append(time.perf_counter() - t0)
        loss = l
    total = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    times.sort()
    print(
        f"jax {a.solver} {1e3 * times[len(times) // 2]:.4f} "
        f"{1e3 * total / len(times):.4f} {float(loss):e} {1e3 * cpu / len(times):.4f}"
    )


if __name__ == "__main__":
    main()
