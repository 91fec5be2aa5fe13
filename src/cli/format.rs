//! Numbers for people: counts with thousands separators, durations in s / min / h,
//! floats with a fixed number of significant digits.

/// `1234567` as `1,234,567`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A duration: `12.3 s` below a minute, `4 min 05 s` below an hour, `1 h 02 min` above.
pub fn duration(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return "-".into();
    }
    if seconds < 60.0 {
        return format!("{seconds:.1} s");
    }
    let s = seconds.round() as u64;
    if s < 3600 {
        format!("{} min {:02} s", s / 60, s % 60)
    } else {
        format!("{} h {:02} min", s / 3600, (s % 3600) / 60)
    }
}

/// `v` with three significant digits in exponent form (`1.23e-4`), `0` for zero.
pub fn sci(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else {
        format!("{v:.2e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_get_thousands_separators() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(11_925), "11,925");
        assert_eq!(count(1_234_567), "1,234,567");
    }

    #[test]
    fn durations_pick_their_unit() {
        assert_eq!(duration(3.04), "3.0 s");
        assert_eq!(duration(59.94), "59.9 s");
        assert_eq!(duration(65.0), "1 min 05 s");
        assert_eq!(duration(3725.0), "1 h 02 min");
        assert_eq!(duration(f64::NAN), "-");
    }

    #[test]
    fn floats_have_three_significant_digits_and_zero_is_zero() {
        assert_eq!(sci(1.2345e-8), "1.23e-8");
        assert_eq!(sci(-2.0), "-2.00e0");
        assert_eq!(sci(0.0), "0");
    }
}
