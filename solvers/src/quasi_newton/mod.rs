//! Quasi-Newton and first-order components: the L-BFGS two-loop recursion with
//! curvature safeguards, a strong Wolfe line search, and the Adam update.
