//! Run-time dispatch of a hot loop to copies compiled for wider vector units.
//!
//! The crate is built for baseline x86-64 (SSE2: two f64 per instruction). The jets'
//! elementwise rules and small products are plain loops over contiguous runs of `nb`
//! numbers, which the compiler vectorises to whatever width the function is compiled
//! for; [`vector_dispatch!`] compiles the same body three times (AVX-512F, AVX2,
//! baseline) and picks the widest the CPU has on each call (`is_x86_feature_detected!`
//! caches its answer, so a call costs one load and branch).
//!
//! Bitwise the same on every path: the loops only multiply and add element by element,
//! Rust never contracts `a * b + c` into a fused multiply-add (it would need the
//! `contract` fast-math flag) and never reassociates a floating-point sum, so vector
//! width changes how many elements one instruction handles, never a rounding.
//!
//! An explicit `f64::mul_add` in a body is the correctly rounded fused multiply-add on
//! every path: the FMA instruction in the AVX-512F and AVX2 copies (AVX-512F implies
//! FMA; the AVX2 copy is compiled, and chosen, with FMA as well, which every AVX2 CPU
//! has), a call to the same operation in software on the baseline. Without FMA enabled
//! the AVX2 copy called it per element (5 % of a quasi-Newton iteration on an AVX2-only
//! CPU, for the one-output layer).

/// Defines `fn $name(args)` whose body runs compiled for AVX-512F or AVX2 when the CPU
/// has them, else for the baseline target (see the module docs). The body is an
/// `#[inline(always)]` inner function, so it may call other `#[inline]` helpers that are
/// then compiled for the same target; arguments must not carry named lifetimes or
/// generics.
macro_rules! vector_dispatch {
    (
        $(#[$attr:meta])*
        $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $body:block
    ) => {
        $(#[$attr])*
        #[allow(clippy::too_many_arguments)]
        $vis fn $name($($arg: $ty),*) {
            #[inline(always)]
            #[allow(clippy::too_many_arguments)]
            fn generic($($arg: $ty),*) $body

            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx512f")]
            #[allow(clippy::too_many_arguments)]
            fn avx512($($arg: $ty),*) {
                generic($($arg),*)
            }

            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2,fma")]
            #[allow(clippy::too_many_arguments)]
            fn avx2($($arg: $ty),*) {
                generic($($arg),*)
            }

            #[cfg(target_arch = "x86_64")]
            {
                if std::arch::is_x86_feature_detected!("avx512f") {
                    // SAFETY: the CPU supports AVX-512F (checked just above).
                    return unsafe { avx512($($arg),*) };
                }
                if std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
                {
                    // SAFETY: the CPU supports AVX2 and FMA (checked just above).
                    return unsafe { avx2($($arg),*) };
                }
            }
            generic($($arg),*)
        }
    };
}

pub(crate) use vector_dispatch;

#[cfg(test)]
mod tests {
    vector_dispatch! {
        /// `out[i] = a[i] * b[i] + c[i]`, rounded twice (no fused multiply-add).
        fn mul_add_each(out: &mut [f64], a: &[f64], b: &[f64], c: &[f64]) {
            for (((o, &x), &y), &z) in out.iter_mut().zip(a).zip(b).zip(c) {
                *o = x * y + z;
            }
        }
    }

    vector_dispatch! {
        /// `out[i] = fma(a[i], b[i], c[i])`, rounded once.
        fn fused_each(out: &mut [f64], a: &[f64], b: &[f64], c: &[f64]) {
            for (((o, &x), &y), &z) in out.iter_mut().zip(a).zip(b).zip(c) {
                *o = x.mul_add(y, z);
            }
        }
    }

    /// An explicit `mul_add` is the fused operation on the path the CPU takes: it keeps
    /// the `2⁻⁶⁰` that the rounded product of the test below loses.
    #[test]
    fn dispatched_mul_add_is_fused() {
        let n = 37;
        let a = vec![1.0 + 2f64.powi(-30); n];
        let c = vec![-(1.0 + 2f64.powi(-29)); n];
        let mut out = vec![f64::NAN; n];
        fused_each(&mut out, &a, &a, &c);
        for &o in &out {
            assert_eq!(o, 2f64.powi(-60));
        }
    }

    /// Every dispatched copy rounds the product before the sum: for `a = b = 1 + 2⁻³⁰`,
    /// `c = −(1 + 2⁻²⁹)` the exact `ab + c = 2⁻⁶⁰` is lost by the rounded product (a
    /// fused multiply-add would keep it), and the scalar loop gives the same bits.
    #[test]
    fn dispatched_loops_round_like_the_scalar_loop() {
        let n = 37;
        let a: Vec<f64> = (0..n)
            .map(|i| 1.0 + 2f64.powi(-30) * (1 + i % 3) as f64)
            .collect();
        let b = a.clone();
        let c: Vec<f64> = a.iter().map(|x| -(x * x)).collect();
        let mut out = vec![f64::NAN; n];
        mul_add_each(&mut out, &a, &b, &c);
        for i in 0..n {
            assert_eq!(out[i].to_bits(), (a[i] * b[i] + c[i]).to_bits(), "{i}");
            assert_eq!(out[i], 0.0, "the product is rounded before the sum");
        }
    }
}
