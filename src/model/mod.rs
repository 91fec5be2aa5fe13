//! The network `u_θ`: a multilayer perceptron, its parameter layout and initialisation,
//! forward-mode Taylor jets in `x`, and the exact parameter Jacobian of its channels.
