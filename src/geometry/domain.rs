//! Axis-aligned boxes `[lo_1, hi_1] × … × [lo_d, hi_d]` with named coordinates and faces.
//!
//! Time is just another coordinate: a space-time box `[0, 1] × [0, T]` with names
//! `["x", "t"]` has the initial slice as its face `t_min`.

use super::error::GeometryError;

/// Largest supported dimension. Residual channels address variables through a 32-bit
/// mask (`residual::channel::VarSet`), so no PINN input can have more coordinates.
pub const MAX_DIM: usize = 32;

/// A closed axis-aligned box with one name per coordinate.
///
/// Invariants (checked by [`BoxDomain::new`]): `1 ≤ d ≤ MAX_DIM`, names non-empty and
/// distinct, every interval finite with `lo < hi` and a finite width `hi − lo`.
#[derive(Clone, Debug, PartialEq)]
pub struct BoxDomain {
    names: Vec<String>,
    lo: Vec<f64>,
    hi: Vec<f64>,
}

/// One of the `2d` faces of a box: the set `{x ∈ box : x_axis = lo_axis}` (`upper =
/// false`) or `{x ∈ box : x_axis = hi_axis}` (`upper = true`).
///
/// Face names are `<coordinate>_min` and `<coordinate>_max`, e.g. `x_min`, `t_min`
/// (see [`Face::name`] and [`Face::parse`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Face {
    /// The coordinate held fixed on the face.
    pub axis: usize,
    /// `false`: the fixed coordinate is the lower bound; `true`: the upper bound.
    pub upper: bool,
}

impl BoxDomain {
    /// Builds the box `Π_i [lo_i, hi_i]` with coordinate names `names`.
    ///
    /// Errors: `d = 0`, `d > MAX_DIM`, lengths that differ, empty or duplicate names,
    /// intervals that are empty (`lo = hi`), inverted, infinite or NaN.
    pub fn new<S: Into<String>>(
        names: impl IntoIterator<Item = S>,
        lo: &[f64],
        hi: &[f64],
    ) -> Result<Self, GeometryError> {
        let names: Vec<String> = names.into_iter().map(Into::into).collect();
        if names.len() != lo.len() || names.len() != hi.len() {
            return Err(GeometryError::LengthMismatch {
                names: names.len(),
                lo: lo.len(),
                hi: hi.len(),
            });
        }
        let dim = names.len();
        if dim == 0 {
            return Err(GeometryError::NoDimensions);
        }
        if dim > MAX_DIM {
            return Err(GeometryError::TooManyDimensions { dim, max: MAX_DIM });
        }
        for (axis, name) in names.iter().enumerate() {
            if name.is_empty() {
                return Err(GeometryError::EmptyName { axis });
            }
            if names[..axis].contains(name) {
                return Err(GeometryError::DuplicateName { name: name.clone() });
            }
            let (a, b) = (lo[axis], hi[axis]);
            // Finite bounds exclude NaN; the width check rejects e.g. [-1e308, 1e308].
            let valid = a.is_finite() && b.is_finite() && a < b && (b - a).is_finite();
            if !valid {
                return Err(GeometryError::InvalidInterval {
                    name: name.clone(),
                    lo: a,
                    hi: b,
                });
            }
        }
        Ok(BoxDomain {
            names,
            lo: lo.to_vec(),
            hi: hi.to_vec(),
        })
    }

    /// Number of coordinates `d`.
    pub fn dim(&self) -> usize {
        self.names.len()
    }

    /// Coordinate names, in axis order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Lower bounds `lo_i`.
    pub fn lo(&self) -> &[f64] {
        &self.lo
    }

    /// Upper bounds `hi_i`.
    pub fn hi(&self) -> &[f64] {
        &self.hi
    }

    /// Index of the coordinate called `name`, if any.
    pub fn axis(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// All `2d` faces in the order `x0_min, x0_max, x1_min, x1_max, …`.
    pub fn faces(&self) -> Vec<Face> {
        (0..self.dim())
            .flat_map(|axis| [false, true].map(|upper| Face { axis, upper }))
            .collect()
    }

    /// Checks that `face` belongs to this box.
    pub fn check_face(&self, face: Face) -> Result<(), GeometryError> {
        if face.axis < self.dim() {
            Ok(())
        } else {
            Err(GeometryError::FaceOutOfRange {
                axis: face.axis,
                dim: self.dim(),
            })
        }
    }

    /// The `(d−1)`-dimensional measure of a face: `Π_{i ≠ axis} (hi_i − lo_i)`.
    ///
    /// In one dimension a face is a point and its measure is the counting measure, 1
    /// (the empty product).
    ///
    /// # Panics
    /// If the face's axis is out of range (a contract violation; see [`Self::check_face`]).
    pub fn face_measure(&self, face: Face) -> f64 {
        assert!(face.axis < self.dim(), "face axis out of range");
        (0..self.dim())
            .filter(|&i| i != face.axis)
            .map(|i| self.hi[i] - self.lo[i])
            .product()
    }

    /// The outward unit normal of a face: `−e_axis` on the lower face, `+e_axis` on the
    /// upper face.
    ///
    /// # Panics
    /// If the face's axis is out of range.
    pub fn outward_normal(&self, face: Face) -> Vec<f64> {
        assert!(face.axis < self.dim(), "face axis out of range");
        let mut n = vec![0.0; self.dim()];
        n[face.axis] = if face.upper { 1.0 } else { -1.0 };
        n
    }

    /// The value of the fixed coordinate on `face` (`lo_axis` or `hi_axis`).
    ///
    /// # Panics
    /// If the face's axis is out of range.
    pub fn face_value(&self, face: Face) -> f64 {
        if face.upper {
            self.hi[face.axis]
        } else {
            self.lo[face.axis]
        }
    }

    /// Whether `x` lies in the closed box (`lo_i ≤ x_i ≤ hi_i` for all `i`; NaN is
    /// outside).
    ///
    /// # Panics
    /// If `x.len() != d` (a shape contract violation).
    pub fn contains(&self, x: &[f64]) -> bool {
        assert_eq!(x.len(), self.dim(), "point dimension must match the box");
        x.iter()
            .zip(self.lo.iter().zip(&self.hi))
            .all(|(&v, (&a, &b))| a <= v && v <= b)
    }

    /// Whether `x` lies on `face`: inside the closed box with the face's coordinate equal
    /// to its bound exactly (samplers set it exactly, so no tolerance is used).
    ///
    /// # Panics
    /// If `x.len() != d` or the face's axis is out of range.
    pub fn on_face(&self, face: Face, x: &[f64]) -> bool {
        self.contains(x) && x[face.axis] == self.face_value(face)
    }

    /// All face names, comma separated (for error messages).
    fn face_names(&self) -> String {
        self.faces()
            .into_iter()
            .map(|f| f.name(self))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Face {
    /// The face's name in `domain`: `<coordinate>_min` or `<coordinate>_max`.
    ///
    /// # Panics
    /// If the face's axis is out of range for `domain`.
    pub fn name(&self, domain: &BoxDomain) -> String {
        let side = if self.upper { "max" } else { "min" };
        format!("{}_{side}", domain.names[self.axis])
    }

    /// Parses a face name (`x_min`, `t_max`, …) back into a face of `domain`.
    ///
    /// The suffix after the last `_` must be `min` or `max`; the part before it must be a
    /// coordinate name (which may itself contain `_`).
    pub fn parse(domain: &BoxDomain, name: &str) -> Result<Face, GeometryError> {
        let unknown = || GeometryError::UnknownFace {
            name: name.to_string(),
            expected: domain.face_names(),
        };
        let (coord, side) = name.rsplit_once('_').ok_or_else(unknown)?;
        let upper = match side {
            "min" => false,
            "max" => true,
            _ => return Err(unknown()),
        };
        let axis = domain.axis(coord).ok_or_else(unknown)?;
        Ok(Face { axis, upper })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square() -> BoxDomain {
        BoxDomain::new(["x", "y"], &[0.0, -1.0], &[2.0, 1.0]).unwrap()
    }

    #[test]
    fn rejects_bad_boxes_with_typed_errors() {
        let e = |r: Result<BoxDomain, GeometryError>| r.unwrap_err();
        assert_eq!(
            e(BoxDomain::new(Vec::<String>::new(), &[], &[])),
            GeometryError::NoDimensions
        );
        assert!(matches!(
            e(BoxDomain::new(["x"], &[0.0, 1.0], &[1.0])),
            GeometryError::LengthMismatch {
                names: 1,
                lo: 2,
                hi: 1
            }
        ));
        assert!(matches!(
            e(BoxDomain::new(["x", "x"], &[0.0; 2], &[1.0; 2])),
            GeometryError::DuplicateName { .. }
        ));
        assert!(matches!(
            e(BoxDomain::new([""], &[0.0], &[1.0])),
            GeometryError::EmptyName { axis: 0 }
        ));
        for (a, b) in [
            (1.0, 1.0),
            (1.0, 0.0),
            (f64::NAN, 1.0),
            (0.0, f64::NAN),
            (0.0, f64::INFINITY),
            (-1e308, 1e308),
        ] {
            assert!(
                matches!(
                    e(BoxDomain::new(["x"], &[a], &[b])),
                    GeometryError::InvalidInterval { .. }
                ),
                "[{a}, {b}] accepted"
            );
        }
        let names: Vec<String> = (0..33).map(|i| format!("x{i}")).collect();
        assert_eq!(
            e(BoxDomain::new(names, &[0.0; 33], &[1.0; 33])),
            GeometryError::TooManyDimensions { dim: 33, max: 32 }
        );
        let names: Vec<String> = (0..32).map(|i| format!("x{i}")).collect();
        assert_eq!(
            BoxDomain::new(names, &[0.0; 32], &[1.0; 32]).unwrap().dim(),
            32
        );
    }

    #[test]
    fn error_messages_say_what_was_expected() {
        let msg = BoxDomain::new(["x"], &[1.0], &[0.0])
            .unwrap_err()
            .to_string();
        assert!(msg.contains("[1, 0]") && msg.contains("lo < hi"), "{msg}");
        let msg = Face::parse(&square(), "z_min").unwrap_err().to_string();
        assert!(msg.contains("x_min, x_max, y_min, y_max"), "{msg}");
    }

    #[test]
    fn faces_names_round_trip() {
        let d = square();
        let faces = d.faces();
        assert_eq!(faces.len(), 4);
        let names: Vec<String> = faces.iter().map(|f| f.name(&d)).collect();
        assert_eq!(names, ["x_min", "x_max", "y_min", "y_max"]);
        for f in faces {
            assert_eq!(Face::parse(&d, &f.name(&d)).unwrap(), f);
        }
        for bad in ["x", "x_mid", "z_max", "_min", "xmin", ""] {
            assert!(matches!(
                Face::parse(&d, bad),
                Err(GeometryError::UnknownFace { .. })
            ));
        }
        // Coordinate names may contain underscores.
        let d = BoxDomain::new(["x_1", "t"], &[0.0; 2], &[1.0; 2]).unwrap();
        assert_eq!(
            Face::parse(&d, "x_1_max").unwrap(),
            Face {
                axis: 0,
                upper: true
            }
        );
        assert_eq!(
            Face::parse(&d, "t_min").unwrap(),
            Face {
                axis: 1,
                upper: false
            }
        );
    }

    #[test]
    fn measures_normals_and_membership() {
        let d = square();
        let [xmin, xmax, ymin, ymax] = d.faces()[..] else {
            unreachable!()
        };
        // x-faces are segments in y of length 2, y-faces segments in x of length 2.
        assert_eq!(d.face_measure(xmin), 2.0);
        assert_eq!(d.face_measure(ymax), 2.0);
        assert_eq!(d.outward_normal(xmin), [-1.0, 0.0]);
        assert_eq!(d.outward_normal(xmax), [1.0, 0.0]);
        assert_eq!(d.outward_normal(ymin), [0.0, -1.0]);
        assert!(d.contains(&[0.0, 1.0]) && d.contains(&[1.0, 0.0]));
        assert!(!d.contains(&[2.0 + 1e-15, 0.0]) && !d.contains(&[f64::NAN, 0.0]));
        assert!(d.on_face(xmax, &[2.0, 0.3]) && !d.on_face(xmax, &[1.999, 0.3]));
        let line = BoxDomain::new(["t"], &[0.0], &[3.0]).unwrap();
        assert_eq!(line.face_measure(line.faces()[0]), 1.0);
        assert!(
            d.check_face(Face {
                axis: 2,
                upper: false
            })
            .is_err()
        );
    }
}
