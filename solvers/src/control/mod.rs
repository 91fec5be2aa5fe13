//! Step controls: how far to trust a direction. Reduction-ratio damping (LM, GN-CG)
//! and line searches (ENGD's log grid; L-BFGS's strong Wolfe search).

pub mod damping_rule;
