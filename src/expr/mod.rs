//! The expression language of problem files: parsed once into an evaluator that
//! returns a residual and its partials with respect to the derivative channels.
