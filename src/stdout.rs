//! Standard output that survives a closed reader.
//!
//! `pinn presets | head` or `pinn solve … | head -3` close the pipe while we still write.
//! `println!` panics on the resulting `EPIPE` (Rust ignores `SIGPIPE`), which would abort
//! a solve before its result is written. Every line of the program's standard output goes
//! through [`write`] instead: the first failed write marks standard output closed, later
//! lines are dropped, and the work carries on (a solve still writes its result file).

use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};

static CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes `args` to standard output (flushed when it is a line), unless an earlier write
/// failed; a failure marks standard output closed instead of panicking.
pub fn write(args: std::fmt::Arguments<'_>) {
    if CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    if out.write_fmt(args).is_err() {
        CLOSED.store(true, Ordering::Relaxed);
    }
}

/// Whether a write to standard output has failed (its reader went away).
pub fn is_closed() -> bool {
    CLOSED.load(Ordering::Relaxed)
}

/// `println!` that never panics: see the module documentation.
#[macro_export]
macro_rules! outln {
    () => {
        $crate::stdout::write(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::stdout::write(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` that never panics: see the module documentation.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::stdout::write(format_args!($($arg)*))
    };
}
