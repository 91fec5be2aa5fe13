#!/usr/bin/env python3
"""Check a pinn result file with h5py (the reference HDF5 C library).

usage: check_result_file.py RESULT.h5 EXPECTED.json

EXPECTED.json (written by tests/it/result_file.rs) lists every group, dataset and attribute
the file must hold, and nothing else. f64 values are given as their IEEE-754 bit
patterns (unsigned 64-bit integers) so the comparison is bitwise, NaN and -0.0 included.

  {"groups": ["/", "/config", ...],
   "datasets": {"/model/params": {"f64": {"shape": [P], "bits": [...]}},
                "/config/problem": {"str": "..."}},
   "attrs": {"/": {"format": {"str": "pinn-result"}, "format_version": {"int": 2}},
             "/model": {"layers": {"ints": [2, 8, 1]}}, "/metrics": {"rel_l2": {"f64": BITS}},
             "/evaluation/points": {"variables": {"strs": ["x", "t"]}}}}

It also recomputes, with numpy, /evaluation/error = u - u_exact (bitwise), max_abs_error
(bitwise) and rel_l2 = ||u - u_exact||_2 / ||u_exact||_2 (to 1e-14 relative) from the
stored datasets. Prints OK and exits 0, or lists every mismatch and exits 1.
"""
import json
import sys

import h5py
import numpy as np

errors = []


def fail(msg):
    errors.append(msg)


def bits(a):
    return np.ascontiguousarray(np.asarray(a, dtype="<f8")).view("<u8")


def check_value(where, got, spec):
    (kind, want), = spec.items()
    if kind == "str":
        if not isinstance(got, str):
            fail(f"{where}: expected str, got {type(got).__name__} {got!r}")
        elif got != want:
            fail(f"{where}: {got!r} != {want!r}")
    elif kind == "strs":
        arr = np.asarray(got)
        vals = list(arr.reshape(-1)) if arr.ndim else [got]
        if arr.ndim != 1:
            fail(f"{where}: expected 1-d string array, got shape {arr.shape}")
        if not all(isinstance(v, str) for v in vals):
            fail(f"{where}: expected str elements, got {[type(v).__name__ for v in vals]}")
        elif vals != want:
            fail(f"{where}: {vals!r} != {want!r}")
    elif kind == "int":
        if not isinstance(got, np.integer) or np.asarray(got).dtype != np.int64:
            fail(f"{where}: expected int64 scalar, got {type(got).__name__}")
        elif int(got) != want:
            fail(f"{where}: {got} != {want}")
    elif kind == "ints":
        arr = np.asarray(got)
        if arr.dtype != np.int64 or arr.ndim != 1:
            fail(f"{where}: expected 1-d int64 array, got {arr.dtype} shape {arr.shape}")
        elif arr.tolist() != want:
            fail(f"{where}: {arr.tolist()} != {want}")
    elif kind == "f64s":
        arr = np.asarray(got)
        if arr.dtype != np.float64 or arr.ndim != 1:
            fail(f"{where}: expected 1-d float64 array, got {arr.dtype} shape {arr.shape}")
        elif bits(arr).tolist() != want:
            fail(f"{where}: {arr.tolist()} differs from expected bits")
    elif kind == "f64":
        if not isinstance(got, np.float64):
            fail(f"{where}: expected float64 scalar, got {type(got).__name__}")
        elif int(bits(got).reshape(-1)[0]) != want:
            fail(f"{where}: {got!r} differs from expected bits {want:#x}")
    elif kind == "f64s":
        arr = np.asarray(got)
        if arr.dtype != np.float64 or arr.ndim != 1:
            fail(f"{where}: expected 1-d float64 array, got {arr.dtype} shape {arr.shape}")
        elif bits(arr).tolist() != want:
            fail(f"{where}: {arr.tolist()} differs from the expected bits")
    else:
        fail(f"{where}: unknown expectation kind {kind}")


def main():
    path, expected_path = sys.argv[1], sys.argv[2]
    with open(expected_path, encoding="utf-8") as fh:
        exp = json.load(fh)
    with h5py.File(path, "r") as f:
        groups, datasets = {"/"}, set()

        def visit(name, obj):
            (groups if isinstance(obj, h5py.Group) else datasets).add("/" + name)

        f.visititems(visit)
        if groups != set(exp["groups"]):
            fail(f"groups {sorted(groups)} != {sorted(exp['groups'])}")
        if datasets != set(exp["datasets"]):
            fail(f"datasets {sorted(datasets)} != {sorted(exp['datasets'])}")

        for name, spec in exp["datasets"].items():
            if name not in f:
                continue
            ds = f[name]
            if "str" in spec:
                info = h5py.check_string_dtype(ds.dtype)
                if info is None or info.encoding != "utf-8" or info.length is not None:
                    fail(f"{name}: expected variable-length UTF-8 string, got {ds.dtype} {info}")
                    continue
                if ds.shape != ():
                    fail(f"{name}: expected scalar dataset, got shape {ds.shape}")
                    continue
                check_value(name, ds.asstr()[()], spec)
            else:
                s = spec["f64"]
                if ds.dtype != np.dtype("<f8"):
                    fail(f"{name}: dtype {ds.dtype}, expected <f8")
                    continue
                if list(ds.shape) != s["shape"]:
                    fail(f"{name}: shape {ds.shape} != {s['shape']}")
                    continue
                got = bits(ds[()]).reshape(-1).tolist()
                if got != s["bits"]:
                    bad = sum(a != b for a, b in zip(got, s["bits"]))
                    fail(f"{name}: {bad} of {len(got)} values differ bitwise")

        for obj, attrs in exp["attrs"].items():
            if obj not in f:
                fail(f"{obj}: missing, cannot check attributes")
                continue
            have = set(f[obj].attrs.keys())
            if have != set(attrs):
                fail(f"{obj}: attributes {sorted(have)} != {sorted(attrs)}")
            for key, spec in attrs.items():
                if key in have:
                    check_value(f"{obj}@{key}", f[obj].attrs[key], spec)

        if "/evaluation/u_exact" in f:
            u = f["/evaluation/u"][()]
            ue = f["/evaluation/u_exact"][()]
            err = u - ue
            if bits(err).tolist() != bits(f["/evaluation/error"][()]).tolist():
                fail("/evaluation/error != u - u_exact (bitwise)")
            m = f["/metrics"].attrs
            rel = np.linalg.norm(err) / np.linalg.norm(ue)
            stored = float(m["rel_l2"])
            if not abs(rel - stored) <= 1e-14 * abs(rel):
                fail(f"rel_l2: numpy {rel!r} vs stored {stored!r} (rel diff {abs(rel - stored) / abs(rel):.3e})")
            mx = np.max(np.abs(err)) if err.size else 0.0
            if float(mx) != float(m["max_abs_error"]):
                fail(f"max_abs_error: numpy {mx!r} vs stored {float(m['max_abs_error'])!r}")
            print(f"rel_l2 numpy={rel!r} stored={stored!r}")

    if errors:
        print("\n".join(errors))
        sys.exit(1)
    print("OK")


if __name__ == "__main__":
    main()
