#!/usr/bin/env python3
"""Recompute a pinn result file's errors from the file alone (h5py + numpy).

Usage: python3 validation/check_result.py RESULT.h5

Rebuilds the network from /model/params (per layer: W row-major, out x in, then b;
hidden layers use the activation, the output layer is linear) and its input embedding
/model/embedding (periodic features cos(2 pi k x/L), sin(2 pi k x/L), then optionally
Fourier features [cos(B v), sin(B v)]; docs/result-format.md), evaluates it at
/evaluation/points, and checks /evaluation/u, /evaluation/error and the /metrics
attributes rel_l2 and max_abs_error. Exit 0 when everything agrees to 1e-12 relative
(the forward pass here is numpy's, not ours, so u agrees to rounding only).
"""
import sys

import h5py
import numpy as np

ACTIVATIONS = {
    "tanh": np.tanh,
    "sin": np.sin,
    "softplus": lambda z: np.logaddexp(0.0, z),
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
}


def embed(model, x):
    """phi(x) for the N x d points x: the documented embedding, or x without one."""
    if "embedding" not in model:
        return x
    e = model["embedding"]
    periodic = {}
    if "periodic_variables" in e.attrs:
        for j, period, k in zip(e.attrs["periodic_variables"], e.attrs["periods"],
                                e.attrs["harmonics"]):
            periodic[int(j)] = (float(period), int(k))
    cols = []
    for j in range(x.shape[1]):
        if j in periodic:
            period, k = periodic[j]
            for h in range(1, k + 1):
                w = 2.0 * np.pi * h / period
                cols += [np.cos(w * x[:, j]), np.sin(w * x[:, j])]
        else:
            cols.append(x[:, j])
    v = np.stack(cols, axis=1)
    if "fourier" in e:
        z = v @ e["fourier"][:].T
        v = np.hstack([np.cos(z), np.sin(z)])
    return v


def forward(params, layers, activation, x):
    h = x.T
    off = 0
    for k, (n_in, n_out) in enumerate(zip(layers[:-1], layers[1:])):
        w = params[off:off + n_in * n_out].reshape(n_out, n_in)
        off += n_in * n_out
        b = params[off:off + n_out]
        off += n_out
        h = w @ h + b[:, None]
        if k < len(layers) - 2:
            h = ACTIVATIONS[activation](h)
    assert off == len(params), f"{len(params)} parameters, layout needs {off}"
    return h.T


def main(path):
    with h5py.File(path, "r") as f:
        assert f.attrs["format"] == "pinn-result", "not a pinn result file"
        params = f["model/params"][:]
        layers = [int(v) for v in f["model"].attrs["layers"]]
        activation = f["model"].attrs["activation"]
        x = f["evaluation/points"][:]
        u_stored = f["evaluation/u"][:]
        u = forward(params, layers, activation, embed(f["model"], x))
        ok = True
        du = np.max(np.abs(u - u_stored) / np.maximum(np.abs(u_stored), 1.0))
        print(f"u recomputed by numpy: max rel diff {du:.2e}")
        ok &= du <= 1e-12
        if "u_exact" in f["evaluation"]:
            exact = f["evaluation/u_exact"][:]
            err = u_stored - exact
            ok &= np.array_equal(err, f["evaluation/error"][:])
            rel = np.linalg.norm(err) / np.linalg.norm(exact)
            mx = np.max(np.abs(err))
            m = f["metrics"].attrs
            print(f"rel_l2: stored {m['rel_l2']:.16e}, recomputed {rel:.16e}")
            print(f"max_abs_error: stored {m['max_abs_error']:.16e}, recomputed {mx:.16e}")
            ok &= abs(rel - m["rel_l2"]) <= 1e-12 * rel
            ok &= mx == m["max_abs_error"]
    print("agree" if ok else "DIFFER")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
