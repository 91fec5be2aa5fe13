//! The exact solution a run is measured against: a closed form from `[exact]`, or a
//! reference tabulated at points from `[reference]` (for problems without a closed form,
//! such as Burgers and Allen–Cahn, whose references are computed by
//! `validation/references`).

use faer::{Mat, MatRef};

use crate::expr::CompiledFunction;
use crate::residual::PointFunction;

/// The exact solution of a problem.
#[derive(Clone)]
pub enum ExactSolution {
    /// One compiled expression per output: evaluable anywhere.
    Formula(Vec<CompiledFunction>),
    /// Values known only at `points` (which are then the evaluation points): no
    /// interpolation, so the error measured is the network's alone.
    Reference {
        /// `N × d`.
        points: Mat<f64>,
        /// `N × m`: the solution at `points`.
        values: Mat<f64>,
        /// The file, as named in the problem file.
        file: String,
        /// How the reference was computed (from the file).
        method: String,
    },
}

impl ExactSolution {
    /// The solution at `points` (`n × d`, one row per point): a formula is evaluated; a
    /// reference answers only at its own points (compared bit for bit), else `None`.
    #[must_use]
    pub fn at(&self, points: MatRef<'_, f64>) -> Option<Mat<f64>> {
        match self {
            Self::Formula(fs) => {
                let mut x = vec![0.0; points.ncols()];
                Some(Mat::from_fn(points.nrows(), fs.len(), |i, k| {
                    for (j, xj) in x.iter_mut().enumerate() {
                        *xj = points[(i, j)];
                    }
                    fs[k].eval(&x)
                }))
            }
            Self::Reference {
                points: at, values, ..
            } => {
                let same = at.nrows() == points.nrows()
                    && at.ncols() == points.ncols()
                    && (0..at.nrows()).all(|i| {
                        (0..at.ncols()).all(|j| at[(i, j)].to_bits() == points[(i, j)].to_bits())
                    });
                same.then(|| values.clone())
            }
        }
    }

    /// Whether the solution can be evaluated anywhere (a closed form).
    #[must_use]
    pub fn is_formula(&self) -> bool {
        matches!(self, Self::Formula(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::{Context, parse_function};

    #[test]
    fn a_formula_answers_anywhere_a_reference_only_at_its_points() {
        let ctx = Context::new(&["x"], &["u"]).unwrap();
        let f = ExactSolution::Formula(vec![parse_function("2*x", &ctx).unwrap()]);
        let p = Mat::from_fn(2, 1, |i, _| i as f64);
        assert_eq!(f.at(p.as_ref()).unwrap()[(1, 0)], 2.0);
        let r = ExactSolution::Reference {
            points: p.clone(),
            values: Mat::from_fn(2, 1, |i, _| 10.0 + i as f64),
            file: "r.h5".into(),
            method: String::new(),
        };
        assert_eq!(r.at(p.as_ref()).unwrap()[(1, 0)], 11.0);
        let q = Mat::from_fn(2, 1, |i, _| i as f64 + 1e-16);
        assert!(r.at(q.as_ref()).is_none());
        assert!(f.is_formula() && !r.is_formula());
    }
}
