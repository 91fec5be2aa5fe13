//! Why a residual block is refused.

use crate::residual::channel::Channel;

/// Invalid block definitions.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BlockError {
    /// The block has no points.
    #[error("block `{block}` has no points")]
    NoPoints {
        /// The block name.
        block: String,
    },
    /// A point coordinate is NaN or infinite.
    #[error("block `{block}`: point {point} has a non-finite coordinate")]
    NonFinitePoint {
        /// The block name.
        block: String,
        /// The point index.
        point: usize,
    },
    /// The weight is negative, NaN or infinite.
    #[error("block `{block}`: weight {weight} must be finite and non-negative")]
    BadWeight {
        /// The block name.
        block: String,
        /// The weight given.
        weight: f64,
    },
    /// A PDE or condition block with no equations.
    #[error("block `{block}` has no equations")]
    NoEquations {
        /// The block name.
        block: String,
    },
    /// An axis or time variable outside `0..d`.
    #[error("block `{block}`: variable {var} is out of range for {dim}-dimensional points")]
    VariableOutOfRange {
        /// The block name.
        block: String,
        /// The variable index.
        var: usize,
        /// The point dimension.
        dim: usize,
    },
    /// A residual reads a channel with a variable outside `0..d`.
    #[error("block `{block}`: channel {channel:?} reads a variable outside 0..{dim}")]
    ChannelOutOfRange {
        /// The block name.
        block: String,
        /// The offending channel.
        channel: Channel,
        /// The point dimension.
        dim: usize,
    },
    /// Points of a face or initial block do not share the face's coordinate.
    #[error("block `{block}`: point {point} has x[{var}] = {found}, not {expected} like point 0")]
    PointsOffFace {
        /// The block name.
        block: String,
        /// The point index.
        point: usize,
        /// The coordinate that should be constant.
        var: usize,
        /// The value at point 0.
        expected: f64,
        /// The value at `point`.
        found: f64,
    },
    /// A periodic block with a zero or non-finite period.
    #[error("block `{block}`: period {period} must be finite and non-zero")]
    BadPeriod {
        /// The block name.
        block: String,
        /// The period given.
        period: f64,
    },
    /// New points for [`ResidualBlock::set_points`] have a different shape.
    #[error("block `{block}`: new points are {found:?}, expected {expected:?} (N × d)")]
    ShapeChanged {
        /// The block name.
        block: String,
        /// The current shape.
        expected: (usize, usize),
        /// The shape given.
        found: (usize, usize),
    },
}
