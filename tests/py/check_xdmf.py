#!/usr/bin/env python3
"""Check an XDMF sidecar against its result file.

usage: check_xdmf.py RESULT.xmf

With h5py (always): every HDF DataItem names an existing dataset of the declared
dimensions, every HyperSlab selects one in-range column, and the attributes cover every
column of /evaluation/u (and error, u_exact when present) under the output names.
With VTK (optional, `pip install vtk`; ParaView's XDMF reader is VTK's vtkXdmfReader):
also read the sidecar the way ParaView does and compare points and every array with
h5py's values bitwise. Prints OK (and "vtk: checked" or "vtk: not installed").
"""
import os
import sys
import xml.etree.ElementTree as ET

import h5py
import numpy as np

errors = []
xmf = sys.argv[1]
root = ET.parse(xmf).getroot()
base = os.path.dirname(os.path.abspath(xmf))
grid = root.find("Domain/Grid")


def resolve(item):
    fname, path = item.text.strip().rsplit(":", 1)
    return os.path.join(base, fname), path


def dims(item):
    return [int(v) for v in item.get("Dimensions").split()]


h5name, _ = resolve(grid.find("Geometry/DataItem"))
expected = {}
with h5py.File(h5name, "r") as f:
    pts_item = grid.find("Geometry/DataItem")
    _, ppath = resolve(pts_item)
    pts = f[ppath][()]
    if list(pts.shape) != dims(pts_item):
        errors.append(f"points: shape {pts.shape} != {dims(pts_item)}")
    m = pts.shape[0]
    if int(grid.find("Topology").get("NumberOfElements")) != m:
        errors.append("topology: NumberOfElements != number of points")
    outputs = list(f["/evaluation/u"].attrs["outputs"])
    want = {}
    for ds, prefix in [("u", ""), ("error", "error_"), ("u_exact", "exact_")]:
        if f"/evaluation/{ds}" in f:
            for j, o in enumerate(outputs):
                want[prefix + o] = f[f"/evaluation/{ds}"][:, j]
    got = {}
    for att in grid.findall("Attribute"):
        slab = att.find("DataItem")
        sel, data = slab.findall("DataItem")
        _, path = resolve(data)
        arr = f[path][()]
        if list(arr.shape) != dims(data):
            errors.append(f"{att.get('Name')}: {path} shape {arr.shape} != {dims(data)}")
            continue
        start0, start1, s0, s1, c0, c1 = [int(v) for v in sel.text.split()]
        if (start0, s0, s1, c0, c1) != (0, 1, 1, m, 1) or not 0 <= start1 < arr.shape[1]:
            errors.append(f"{att.get('Name')}: bad hyperslab {sel.text}")
            continue
        got[att.get("Name")] = arr[:, start1]
    if sorted(got) != sorted(want):
        errors.append(f"attributes {sorted(got)} != {sorted(want)}")
    for k in want:
        if k in got and not np.array_equal(got[k].view("<u8"), want[k].view("<u8")):
            errors.append(f"{k}: hyperslab selects other values than the column")
    expected = dict(want)

try:
    from vtkmodules.util.numpy_support import vtk_to_numpy
    from vtkmodules.vtkIOXdmf2 import vtkXdmfReader
except ImportError:
    vtk_status = "vtk: not installed"
else:
    r = vtkXdmfReader()
    r.SetFileName(xmf)
    r.Update()
    out = r.GetOutputDataObject(0)
    vp = vtk_to_numpy(out.GetPoints().GetData())
    if not np.array_equal(vp[:, : pts.shape[1]], pts):
        errors.append("vtk: points differ")
    pd = out.GetPointData()
    names = {pd.GetArrayName(i) for i in range(pd.GetNumberOfArrays())}
    if names != set(expected):
        errors.append(f"vtk: arrays {sorted(names)} != {sorted(expected)}")
    for k, v in expected.items():
        if k in names and not np.array_equal(vtk_to_numpy(pd.GetArray(k)), v):
            errors.append(f"vtk: array {k} differs")
    vtk_status = "vtk: checked"

if errors:
    print("\n".join(errors))
    sys.exit(1)
print(vtk_status)
print("OK")
