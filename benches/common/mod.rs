//! Process clocks and memory for the benches that report CPU time and peak memory beside
//! wall time (on a shared machine the CPU time of the process is the steadier number).

#![allow(dead_code)]

use std::time::Instant;

/// User + system CPU seconds of this process, all threads (/proc/self/stat fields 14
/// and 15, in clock ticks of 1/100 s, the Linux `USER_HZ`); 0 where /proc is missing.
pub fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name, which may contain spaces.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // `rest` starts at field 3 (state): utime is field 14, stime field 15.
    (ticks(11) + ticks(12)) / 100.0
}

/// Wall and process CPU seconds of `f`.
pub fn timed(f: impl FnOnce()) -> [f64; 2] {
    let (c0, t0) = (cpu_seconds(), Instant::now());
    f();
    [t0.elapsed().as_secs_f64(), cpu_seconds() - c0]
}

/// The process's peak resident set size in bytes, from /proc/self/status (`VmHWM`).
pub fn peak_rss_bytes() -> Option<f64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
                .map(|kb| kb * 1024.0)
        })
}
