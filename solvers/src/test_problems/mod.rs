//! Classic nonlinear least-squares test problems with known answers: NIST StRD
//! (certified values) and Moré–Garbow–Hillstrom (known minima); bitwise run snapshots.

pub mod mgh;
pub mod nist;
pub mod snapshot;
