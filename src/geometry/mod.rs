//! Geometry (boxes in any dimension, with named faces) and seeded point sampling.
