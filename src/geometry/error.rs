//! Typed errors for boxes, faces and samplers.
//!
//! Every message says what was received and what was expected, so that a problem file
//! with a bad domain or sampler can be fixed from the message alone.

/// Everything that can go wrong when building a box or sampling points in it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeometryError {
    /// A box needs at least one coordinate.
    #[error("a box needs at least one coordinate, got d = 0")]
    NoDimensions,
    /// More coordinates than the project supports (`VarSet` is a 32-bit mask).
    #[error("a box has at most {max} coordinates, got d = {dim}")]
    TooManyDimensions {
        /// Requested dimension.
        dim: usize,
        /// Largest supported dimension ([`super::MAX_DIM`]).
        max: usize,
    },
    /// Names, lower bounds and upper bounds have different lengths.
    #[error(
        "expected one lower and one upper bound per coordinate name, got {names} names, \
         {lo} lower and {hi} upper bounds"
    )]
    LengthMismatch {
        /// Number of names.
        names: usize,
        /// Number of lower bounds.
        lo: usize,
        /// Number of upper bounds.
        hi: usize,
    },
    /// A coordinate name is empty.
    #[error("coordinate {axis} has an empty name; expected a non-empty name such as `x` or `t`")]
    EmptyName {
        /// Index of the coordinate.
        axis: usize,
    },
    /// Two coordinates share a name (face names would be ambiguous).
    #[error("coordinate name `{name}` appears more than once; expected distinct names")]
    DuplicateName {
        /// The repeated name.
        name: String,
    },
    /// An interval is empty, inverted, infinite or NaN.
    #[error(
        "interval for `{name}` is [{lo}, {hi}]; expected finite bounds with lo < hi and a finite width"
    )]
    InvalidInterval {
        /// Coordinate name.
        name: String,
        /// Lower bound as given.
        lo: f64,
        /// Upper bound as given.
        hi: f64,
    },
    /// A face name that does not parse as `<coordinate>_min` or `<coordinate>_max`.
    #[error("unknown face `{name}`; expected one of: {expected}")]
    UnknownFace {
        /// The name as given.
        name: String,
        /// The valid face names of the box, comma separated.
        expected: String,
    },
    /// A face whose axis is not a coordinate of the box.
    #[error(
        "face on axis {axis} does not exist in a box of dimension {dim}; expected axis < {dim}"
    )]
    FaceOutOfRange {
        /// The face's axis.
        axis: usize,
        /// Dimension of the box.
        dim: usize,
    },
    /// The same face appears twice in a face list.
    #[error("face `{name}` is listed more than once; expected each face at most once")]
    DuplicateFace {
        /// The repeated face's name.
        name: String,
    },
    /// Points were requested on an empty list of faces.
    #[error("cannot place {n} points on an empty list of faces; expected at least one face")]
    NoFaces {
        /// Number of points requested.
        n: usize,
    },
    /// A grid sampler was asked for a number of points no grid of its kind has.
    #[error("a {kind} cannot have exactly {n} points; expected {expected}")]
    GridCount {
        /// Number of points requested.
        n: usize,
        /// Which grid was requested, in words.
        kind: String,
        /// The nearest valid counts, in words.
        expected: String,
    },
    /// Per-axis grid counts of the wrong length.
    #[error("expected {dim} per-axis grid counts (one per coordinate), got {got}")]
    GridAxes {
        /// Dimension of the box.
        dim: usize,
        /// Number of counts given.
        got: usize,
    },
    /// A grid that includes the boundary needs both interval ends on every axis.
    #[error(
        "a grid that includes the boundary needs at least 2 points per axis (both ends), \
         got {got} on axis `{name}`"
    )]
    GridTooCoarse {
        /// Coordinate name.
        name: String,
        /// Points requested on that axis.
        got: usize,
    },
    /// The grid has more points than fit in `usize`.
    #[error("a grid with {per_axis:?} points per axis has more points than fit in memory")]
    GridTooLarge {
        /// The per-axis counts.
        per_axis: Vec<usize>,
    },
    /// A point that should lie on a face does not.
    #[error("point {row} has `{name}` = {value}; expected exactly {expected} (face `{face}`)")]
    NotOnFace {
        /// Row of the offending point.
        row: usize,
        /// Coordinate name.
        name: String,
        /// The coordinate's value.
        value: f64,
        /// The face's coordinate value.
        expected: f64,
        /// The face's name.
        face: String,
    },
}
