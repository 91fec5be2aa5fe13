#!/usr/bin/env python3
"""Recompute a pinn result file's errors from the file alone (h5py + numpy).

Usage: python3 validation/check_result.py RESULT.h5

Rebuilds the network N from /model/params (per layer: W row-major, out x in, then b;
hidden layers use the activation, the output layer is linear) and its input embedding
/model/embedding (periodic features cos(2 pi k x/L), sin(2 pi k x/L), then optionally
Fourier features [cos(B v), sin(B v)], and the average over reflections x_j -> 2c - x_j
with parities p = -1 or +1 when the file lists them; docs/result-format.md), evaluates it at
/evaluation/points, applies the output transforms of /model@transform (format version
2: per output an expression in the variables, the constants of
/model@transform_constants and N; "N" is the network output itself), and checks
/evaluation/u, /evaluation/error and the /metrics attributes rel_l2 and max_abs_error
(and, when present, rel_l2_per_output and max_abs_error_per_output).
A time-slab result (format version 3, /time_slabs) is evaluated per slab: each point by
the network /time_slabs/slab_<k>/params of the slab that owns its time
(t_k <= t < t_{k+1}, the last slab closed). When /time_slabs@initial_data lists the
initial values g_o (the initial data built into every slab), slab k's solution is
g + sum_{j<k} (t_{j+1} - t_j) N_j(t_{j+1}, x) + (t - t_k) N_k(t, x) instead, where a
slab with correction stages /time_slabs/slab_<k>/stage_<s> (s = 1, 2, ...) has the network
N_k = N(params) + sum_s epsilon_s N_s (each stage with its own layers, activation and params).
A multi-stage result (format version 4, /stages) is evaluated as the sum
N = sum_k epsilon_k N_k of the networks /stages/stage_<k> (their own layers, activation
and params; the embedding of /model), then through the transform; /model/params must be
the last stage's, and each stage's rel_l2 attribute must be the error of the partial sum
after that stage.
Exit 0 when everything agrees to 1e-12 relative (the forward pass here is numpy's, not
ours, so u agrees to rounding only).

The optional /state (the solver state a resume continues from) and /provenance (how the
run was started) are checked when present: the state's TOML text parses, names the
parameter count and iteration count the file reports, and its iterate.theta vector is
/model/params bit for bit; the provenance attributes have their documented types.
Files without them (format versions 1 and 2) pass without these checks.

The optional /collocation_weights (format version 4: the residual-based attention
weights of the blocks with `weights`) are checked when present: @blocks names blocks of
/collocation@blocks in their order, and each /collocation_weights/<block> is a 1-D f64
dataset with one finite weight >= 0 per point of /collocation/<block>. The loss they
enter, sqrt(w_b/N_b) lambda_i F_b(x_i) per row, is not recomputed here (that needs the
PDE residuals F_b, hence the network's derivatives and the problem's equations):
`pinn validate` recomputes /metrics@final_loss with the stored weights.
"""
import math
import re
import sys
import tomllib

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


def network(model, params, layers, activation, x, magnitude=False):
    """N at the N x d points x through the embedding, averaged over the reflections of
    /model/embedding@reflected_variables when there are any (format version 5):
    2^-s sum_S p_S N(phi(R_S x)), R_j x_j = 2 c_j - x_j, p_S the product of the parities.

    With magnitude=True also returns, per point and output, the same average of the
    output layer's absolute sum sum_k |w_k h_k| + |b|: the scale of the rounding errors
    of the final sum when its terms cancel (a network whose output weights grew large)."""
    e = model["embedding"] if "embedding" in model else None
    refl = []
    if e is not None and "reflected_variables" in e.attrs:
        refl = list(zip(e.attrs["reflected_variables"], e.attrs["reflection_centers"],
                        e.attrs["reflection_parities"]))
    total, scale = 0.0, 0.0
    for copy in range(2 ** len(refl)):
        xs, sign = np.array(x, dtype=float), 1.0
        for b, (j, c, p) in enumerate(refl):
            if copy >> b & 1:
                xs[:, int(j)] = 2.0 * float(c) - xs[:, int(j)]
                sign *= float(p)
        n, size = forward(params, layers, activation, embed(model, xs))
        total = total + sign * n
        scale = scale + size
    if magnitude:
        return total / 2 ** len(refl), scale / 2 ** len(refl)
    return total / 2 ** len(refl)


def forward(params, layers, activation, x):
    """The network's output at the points x, and the absolute sum of its output layer."""
    h = x.T
    off = 0
    size = None
    for k, (n_in, n_out) in enumerate(zip(layers[:-1], layers[1:])):
        w = params[off:off + n_in * n_out].reshape(n_out, n_in)
        off += n_in * n_out
        b = params[off:off + n_out]
        off += n_out
        if k == len(layers) - 2:
            size = np.abs(w) @ np.abs(h) + np.abs(b)[:, None]
        h = w @ h + b[:, None]
        if k < len(layers) - 2:
            h = ACTIVATIONS[activation](h)
    assert off == len(params), f"{len(params)} parameters, layout needs {off}"
    return h.T, size.T


FUNCTIONS = {
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "exp": np.exp, "log": np.log,
    "sqrt": np.sqrt, "tanh": np.tanh, "sinh": np.sinh, "cosh": np.cosh, "abs": np.abs,
    "erf": np.vectorize(math.erf, otypes=[float]),
}
TOKEN = re.compile(r"\s*(?:(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|([A-Za-z][A-Za-z0-9_]*)|(.))")


def transform(source, names):
    """Evaluates an expression of the problem-file language with numpy. Its grammar is
    Python's restricted to numbers, names, + - * / ( ) and ^ (right-associative and
    binding tighter than unary minus, as Python's **), so the text is translated token
    by token, and every name must be a known function, constant, variable or N."""
    out = []
    for number, name, op in TOKEN.findall(source.replace("π", "pi")):
        if number:
            out.append(number)
        elif name:
            if name not in names and name not in FUNCTIONS and name != "pi":
                raise ValueError(f"transform `{source}`: unknown name `{name}`")
            out.append(name)
        elif op:
            op = {"^": "**", "·": "*", "−": "-"}.get(op, op)
            if op not in ("+", "-", "*", "/", "**", "(", ")"):
                raise ValueError(f"transform `{source}`: unexpected `{op}`")
            out.append(op)
    scope = dict(FUNCTIONS, pi=np.pi, **names)
    return eval(" ".join(out), {"__builtins__": {}}, scope)


def check_state(f):
    """The /state checks; returns whether they pass (True without /state)."""
    if "state" not in f:
        print("no /state: the run cannot be resumed")
        return True
    g = f["state"]
    state = tomllib.loads(g["solver"].asstr()[()])
    names = list(g.attrs["vectors"])
    ok = all(g[n].dtype == np.float64 and g[n].ndim == 1 for n in names)
    params = f["model/params"][:]
    theta = g["iterate.theta"][:] if "iterate.theta" in names else np.array([])
    ok &= np.array_equal(theta.view(np.uint64), params.view(np.uint64))
    ok &= state["n_params"] == len(params)
    ok &= state["ledger"]["iteration"] == int(f["metrics"].attrs["iterations"])
    # The per-iteration records live in /history; files written before that was so
    # also carry one record per row in the state.
    records = len(state["ledger"].get("history", []))
    ok &= records in (0, len(f["history/loss"]))
    print(f"/state: {len(names)} vectors, iteration {state['ledger']['iteration']}: "
          + ("consistent" if ok else "INCONSISTENT"))
    return bool(ok)


def check_provenance(f):
    """The /provenance attribute types; returns whether they pass (True without it)."""
    if "provenance" not in f:
        return True
    a = f["provenance"].attrs
    ok = all(isinstance(a[k], str) for k in ("run_id", "started_from"))
    ok &= all(isinstance(a[k], np.integer) for k in ("seed", "threads", "first_iteration"))
    ok &= all(isinstance(v, str) for v in a["command_line"])
    ok &= a["started_from"] in ("random", "init", "resume")
    ok &= all(isinstance(a[k], str) for k in ("source_file", "source_created", "parent_run")
              if k in a)
    print(f"/provenance: run {a['run_id']} started from {a['started_from']}: "
          + ("consistent" if ok else "INCONSISTENT"))
    return bool(ok)


def check_weights(f):
    """The /collocation_weights checks; returns whether they pass (True without it)."""
    if "collocation_weights" not in f:
        return True
    g = f["collocation_weights"]
    names = [str(b) for b in g.attrs["blocks"]]
    blocks = [str(b) for b in f["collocation"].attrs["blocks"]]
    ok = True
    # The weighted blocks are some of the residual blocks, in block order.
    order = [blocks.index(b) if b in blocks else -1 for b in names]
    if -1 in order or order != sorted(order) or len(set(order)) != len(order):
        print(f"/collocation_weights@blocks {names} is not a subsequence of {blocks}")
        ok = False
    if sorted(g.keys()) != sorted(names):
        print(f"/collocation_weights holds {sorted(g.keys())}, @blocks names {names}")
        ok = False
    for b in names:
        if b not in g or b not in f["collocation"]:
            continue
        w = g[b]
        n_points = f["collocation"][b].shape[0]
        shape_ok = w.dtype == np.float64 and w.shape == (n_points,)
        values = w[()]
        finite = bool(np.all(np.isfinite(values)))
        nonneg = finite and bool(np.all(values >= 0.0))
        print(f"/collocation_weights/{b}: shape {w.shape} for {n_points} points"
              + (f", range [{values.min():.3e}, {values.max():.3e}]" if finite and values.size else "")
              + ("" if shape_ok else ", WRONG SHAPE OR TYPE")
              + ("" if finite else ", NOT FINITE")
              + ("" if nonneg or not finite else ", NEGATIVE"))
        ok &= shape_ok and finite and nonneg
    print("/collocation_weights: " + ("consistent" if ok else "INCONSISTENT"))
    return bool(ok)


def solution(f, x, n):
    """u = T(x, N) through the transforms of /model@transform (format version 2 on)."""
    u = n.copy()
    if f.attrs["format_version"] >= 2:
        model = f["model"].attrs
        variables = list(f["evaluation/points"].attrs["variables"])
        consts = {}
        if "transform_constants" in model:
            consts = dict(zip(model["transform_constants"],
                              model["transform_constant_values"]))
        for k, src in enumerate(model["transform"]):
            names = dict(consts, N=n[:, k])
            names.update({v: x[:, j] for j, v in enumerate(variables)})
            u[:, k] = np.broadcast_to(transform(src, names), n[:, k].shape)
    return u


def slab_network(f, ts, k, theta, layers, activation, x):
    """Slab k's network N(params) + sum_s epsilon_s N_s (its correction stages), and the
    output layers' rounding scale carried through the same sum."""
    n, sc = network(f["model"], theta, layers, activation, x, magnitude=True)
    g = ts[f"slab_{k}"]
    s = 1
    while f"stage_{s}" in g:
        c = g[f"stage_{s}"]
        eps = float(c.attrs["epsilon"])
        nc, scc = network(f["model"], c["params"][:], [int(v) for v in c.attrs["layers"]],
                          c.attrs["activation"], x, magnitude=True)
        n, sc = n + eps * nc, sc + abs(eps) * scc
        s += 1
    return n, sc


def built_in_slabs(f, ts, stored, owner, x, layers, activation):
    """Slab k's solution g + sum_{j<k} h_j N_j(t_{j+1}, x) + (t - t_k) N_k at the points
    it owns (the initial data built in), and the output layers' rounding scale carried
    through the same sum."""
    b = ts["boundaries"][:]
    tv = int(ts.attrs["time_variable"])
    initial = [str(g) for g in ts.attrs["initial_data"]]
    variables = list(f["evaluation/points"].attrs["variables"])
    model = f["model"].attrs
    consts = {}
    if "transform_constants" in model:
        consts = dict(zip(model["transform_constants"], model["transform_constant_values"]))
    u = np.zeros((x.shape[0], len(initial)))
    scale = np.zeros_like(u)
    for k, theta in enumerate(stored):
        rows = owner == k
        xr = x[rows]
        n, sc = slab_network(f, ts, k, theta, layers, activation, xr)
        dt = (xr[:, tv] - b[k])[:, None]
        uk, sk = dt * n, np.abs(dt) * sc
        names = dict(consts, **{v: xr[:, j] for j, v in enumerate(variables)})
        for o, g in enumerate(initial):
            uk[:, o] += np.broadcast_to(transform(g, names), uk[:, o].shape)
        for j in range(k):
            at = xr.copy()
            at[:, tv] = b[j + 1]
            nj, sj = slab_network(f, ts, j, stored[j], layers, activation, at)
            uk += (b[j + 1] - b[j]) * nj
            sk += (b[j + 1] - b[j]) * sj
        u[rows], scale[rows] = uk, sk
    return u, scale


def stage_terms(f, x):
    """epsilon_k N_k(x) of every stage, in order."""
    st = f["stages"]
    out = []
    for k in range(int(st.attrs["count"])):
        g = st[f"stage_{k}"]
        layers = [int(v) for v in g.attrs["layers"]]
        n = network(f["model"], g["params"][:], layers, g.attrs["activation"], x)
        out.append(g.attrs["epsilon"] * n)
    return out


def stage_sum(f, x, params):
    """The multi-stage sum N at x, and whether /model is the last stage."""
    st = f["stages"]
    count = int(st.attrs["count"])
    last = st[f"stage_{count - 1}"]
    print(f"{count} stages, epsilon {[float(st[f'stage_{k}'].attrs['epsilon']) for k in range(count)]}")
    if not np.array_equal(last["params"][:], params):
        print("/model/params is not the last stage's parameters")
        return None, False
    terms = stage_terms(f, x)
    n = terms[0].copy()
    for t in terms[1:]:
        n += t
    return n, True


def check_stages(f, x):
    """Each stage's rel_l2 is the error of the partial sum after it."""
    exact = f["evaluation/u_exact"][:]
    ok = True
    n = None
    for k, t in enumerate(stage_terms(f, x)):
        n = t.copy() if n is None else n + t
        u = solution(f, x, n)
        rel = np.linalg.norm(u - exact) / np.linalg.norm(exact)
        s = f[f"stages/stage_{k}"].attrs["rel_l2"]
        print(f"stage {k + 1} rel_l2 of the sum: stored {s:.16e}, recomputed {rel:.16e}")
        ok &= abs(rel - s) <= 1e-12 + 1e-9 * rel
    return bool(ok)


def main(path):
    with h5py.File(path, "r") as f:
        assert f.attrs["format"] == "pinn-result", "not a pinn result file"
        params = f["model/params"][:]
        layers = [int(v) for v in f["model"].attrs["layers"]]
        activation = f["model"].attrs["activation"]
        x = f["evaluation/points"][:]
        u_stored = f["evaluation/u"][:]
        if "time_slabs" in f:
            # Time slabs: each point is evaluated by the network of the slab that owns
            # its time, t_k <= t < t_{k+1} (the last slab closed).
            ts = f["time_slabs"]
            b = ts["boundaries"][:]
            tcol = x[:, int(ts.attrs["time_variable"])]
            owner = np.searchsorted(b[1:-1], tcol, side="right")
            stored = [ts[f"slab_{k}/params"][:] for k in range(len(ts.keys()) - 1)]
            print(f"{len(stored)} of {len(b) - 1} time slabs, boundaries {[float(v) for v in b]}")
            if not np.array_equal(stored[-1], params):
                print("/model/params is not the last slab's parameters")
                return 1
            if np.any(owner >= len(stored)):
                print("an evaluation point lies in a slab that was not trained")
                return 1
            n = np.zeros_like(u_stored)
            scale = np.zeros_like(u_stored)
            for k, theta in enumerate(stored):
                rows = owner == k
                n[rows], scale[rows] = network(f["model"], theta, layers, activation, x[rows],
                                               magnitude=True)
            if "initial_data" in ts.attrs:
                u, scale = built_in_slabs(f, ts, stored, owner, x, layers, activation)
        elif "stages" in f:
            n, ok = stage_sum(f, x, params)
            if not ok:
                return 1
            scale = np.zeros_like(u_stored)
        else:
            n, scale = network(f["model"], params, layers, activation, x, magnitude=True)
        if "time_slabs" not in f or "initial_data" not in f["time_slabs"].attrs:
            u = solution(f, x, n)
            # The output layer's rounding scale carried through the output transform.
            scale = np.abs(solution(f, x, n + scale) - u)
        ok = True
        if "stages" in f and "u_exact" in f["evaluation"]:
            ok &= check_stages(f, x)
        # Agreement to 1e-12 relative, loosened by the rounding scale of the output
        # layer's sum (1e-14 times sum_k |w_k h_k| + |b|: about n·eps for n ≤ 90 terms),
        # which exceeds |u| when the terms cancel.
        du = np.max(np.abs(u - u_stored) / np.maximum(np.abs(u_stored), 1.0))
        allowed = 1e-12 * np.maximum(np.abs(u_stored), 1.0) + 1e-14 * scale
        print(f"u recomputed by numpy: max rel diff {du:.2e}"
              f" (output-layer cancellation up to {np.max(scale / np.maximum(np.abs(u_stored), 1.0)):.1e})")
        ok &= bool(np.all(np.abs(u - u_stored) <= allowed))
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
            # Per output (from format version 3; optional).
            outputs = list(f["evaluation/u"].attrs["outputs"])
            if "rel_l2_per_output" in m:
                rels = np.linalg.norm(err, axis=0) / np.linalg.norm(exact, axis=0)
                for k, name in enumerate(outputs):
                    s = m["rel_l2_per_output"][k]
                    print(f"rel_l2 of {name}: stored {s:.16e}, recomputed {rels[k]:.16e}")
                    ok &= abs(rels[k] - s) <= 1e-12 * rels[k]
            if "max_abs_error_per_output" in m:
                mxs = np.max(np.abs(err), axis=0)
                for k, name in enumerate(outputs):
                    s = m["max_abs_error_per_output"][k]
                    print(f"max_abs_error of {name}: stored {s:.16e}, recomputed {mxs[k]:.16e}")
                    ok &= mxs[k] == s
        ok &= check_state(f)
        ok &= check_provenance(f)
        ok &= check_weights(f)
    print("agree" if ok else "DIFFER")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
