#!/usr/bin/env python3
"""Check a VTK file written by `pinn export --vtk` against the CSV of the same export.

usage: check_vtk.py OUT.vtu|OUT.vtk OUT.csv D   (D: the number of variables)

A .vtu is parsed as XML (the structure ParaView's XML reader expects: one Piece of an
UnstructuredGrid with Points, Cells and PointData); a .vtk is parsed as legacy ASCII.
Every point-data array must equal the CSV column of the same name bitwise, the points
the first min(D, 3) CSV columns (zero-padded), and the cells one vertex per point. With the
`vtk` Python package installed, the file is also read with VTK's own reader.
Prints OK (and "vtk: checked" or "vtk: not installed").
"""
import csv
import sys
import xml.etree.ElementTree as ET

import numpy as np

path, csv_path, d = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(csv_path) as f:
    rows = list(csv.reader(f))
names = rows[0]
table = np.array([[float(v) for v in r] for r in rows[1:]])
columns = {n: table[:, j] for j, n in enumerate(names)}
m = table.shape[0]
errors = []


def nums(text):
    return np.array([float(v) for v in text.split()])


def check_points(points, d):
    expect = np.zeros((m, 3))
    expect[:, :min(d, 3)] = table[:, :min(d, 3)]
    if points.shape != (m, 3) or not np.array_equal(points, expect):
        errors.append("points differ")


if path.endswith(".vtu"):
    root = ET.parse(path).getroot()
    assert root.tag == "VTKFile" and root.get("type") == "UnstructuredGrid", root.tag
    piece = root.find("UnstructuredGrid/Piece")
    assert int(piece.get("NumberOfPoints")) == m and int(piece.get("NumberOfCells")) == m
    arrays = {a.get("Name"): nums(a.text) for a in piece.find("PointData")}
    pts = nums(piece.find("Points/DataArray").text).reshape(-1, 3)
    cells = {a.get("Name"): nums(a.text) for a in piece.find("Cells")}
    if not (np.array_equal(cells["connectivity"], np.arange(m))
            and np.array_equal(cells["offsets"], np.arange(1, m + 1))
            and np.all(cells["types"] == 1)):
        errors.append("cells are not one vertex per point")
else:
    lines = open(path).read().split("\n")
    assert lines[0].startswith("# vtk DataFile Version") and lines[2] == "ASCII"
    assert lines[3] == "DATASET UNSTRUCTURED_GRID"
    body = " ".join(lines[4:]).split()
    i = 0
    arrays = {}
    pts = None
    while i < len(body):
        key = body[i]
        if key == "POINTS":
            n = int(body[i + 1])
            pts = np.array([float(v) for v in body[i + 3:i + 3 + 3 * n]]).reshape(-1, 3)
            i += 3 + 3 * n
        elif key == "CELLS":
            n, size = int(body[i + 1]), int(body[i + 2])
            c = np.array([int(v) for v in body[i + 3:i + 3 + size]]).reshape(n, 2)
            if not (np.all(c[:, 0] == 1) and np.array_equal(c[:, 1], np.arange(m))):
                errors.append("cells are not one vertex per point")
            i += 3 + size
        elif key == "CELL_TYPES":
            n = int(body[i + 1])
            if not all(v == "1" for v in body[i + 2:i + 2 + n]):
                errors.append("cell types are not VTK_VERTEX")
            i += 2 + n
        elif key == "POINT_DATA":
            assert int(body[i + 1]) == m
            i += 2
        elif key == "SCALARS":
            name = body[i + 1]
            assert body[i + 4:i + 6] == ["LOOKUP_TABLE", "default"], body[i:i + 6]
            arrays[name] = np.array([float(v) for v in body[i + 6:i + 6 + m]])
            i += 6 + m
        else:
            raise SystemExit(f"unexpected token {key!r}")

check_points(pts, d)
if sorted(arrays) != sorted(names):
    errors.append(f"arrays {sorted(arrays)} != csv columns {sorted(names)}")
for n, v in arrays.items():
    if n in columns and not np.array_equal(v, columns[n]):
        errors.append(f"array {n} differs from the csv")

try:
    import vtk
    from vtk.util.numpy_support import vtk_to_numpy
    r = vtk.vtkXMLUnstructuredGridReader() if path.endswith(".vtu") else vtk.vtkUnstructuredGridReader()
    r.SetFileName(path)
    r.Update()
    g = r.GetOutput()
    if g.GetNumberOfPoints() != m or g.GetNumberOfCells() != m:
        errors.append("vtk reads another number of points or cells")
    for n in names:
        if not np.array_equal(vtk_to_numpy(g.GetPointData().GetArray(n)), columns[n]):
            errors.append(f"vtk: array {n} differs")
    print("vtk: checked")
except ImportError:
    print("vtk: not installed")

if errors:
    print("\n".join(errors))
    sys.exit(1)
print("OK")
