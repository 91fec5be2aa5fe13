//! Ctrl-C and SIGTERM during a solve: stop at the next iteration boundary, keep the
//! iterate, write the result and the summary, then exit with [`EXIT_INTERRUPTED`].
//!
//! A long run is an investment; a signal should cost at most the iteration in flight.
//! The handler only raises a flag (it runs on its own thread, installed by the `ctrlc`
//! crate for SIGINT, SIGTERM and SIGHUP); the solve loop's observer reads the flag after
//! each iteration and asks the loop to stop, which ends with
//! `TerminationReason::UserStop` and a usable θ. A second signal exits at once: the
//! result file is only ever replaced by an atomic rename, so an impatient second Ctrl-C
//! leaves the previous checkpoint (or nothing), never a truncated file.

use std::sync::atomic::{AtomicU32, Ordering};

/// Exit code of a run stopped by a signal after its result was written (128 + SIGINT,
/// the shell's convention for an interrupted program).
pub const EXIT_INTERRUPTED: i32 = 130;

static SIGNALS: AtomicU32 = AtomicU32::new(0);

/// Installs the handler (once per process; later calls are no-ops). Returns a message
/// if the platform refused it: the run then goes on without graceful stops.
pub fn install() -> Result<(), String> {
    match ctrlc::set_handler(|| {
        if SIGNALS.fetch_add(1, Ordering::SeqCst) == 0 {
            eprintln!(
                "\nsignal received: stopping after the current iteration and writing the \
                 result (send it again to abort at once)"
            );
        } else {
            eprintln!("second signal: aborting without writing the result");
            std::process::exit(EXIT_INTERRUPTED);
        }
    }) {
        Ok(()) | Err(ctrlc::Error::MultipleHandlers) => Ok(()),
        Err(e) => Err(format!("cannot install the Ctrl-C/SIGTERM handler: {e}")),
    }
}

/// Whether a stop was requested.
pub fn requested() -> bool {
    SIGNALS.load(Ordering::SeqCst) > 0
}
