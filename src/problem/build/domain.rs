//! `[domain]` and `outputs`: the box, its variables and the time variable, and the
//! names of the network outputs, each error at the value at fault.

use super::Builder;
use crate::geometry::BoxDomain;
use crate::problem::error::InputError;
use crate::problem::spec::ProblemSpec;

impl Builder<'_> {
    pub(super) fn domain(
        &self,
        spec: &ProblemSpec,
    ) -> Result<(BoxDomain, Option<usize>), InputError> {
        let d = spec.domain.get_ref();
        let vars = d.variables.get_ref();
        if vars.is_empty() {
            return Err(self.err(
                d.variables.span(),
                "`variables` is empty: expected at least one name",
            ));
        }
        let bounds = d.bounds.get_ref();
        if bounds.len() != vars.len() {
            return Err(self.err(
                d.bounds.span(),
                format!(
                    "{} variables but {} bounds: expected one `[lo, hi]` per variable",
                    vars.len(),
                    bounds.len()
                ),
            ));
        }
        let mut lo = Vec::with_capacity(vars.len());
        let mut hi = Vec::with_capacity(vars.len());
        for (b, v) in bounds.iter().zip(vars) {
            let pair = b.get_ref();
            if pair.len() != 2 {
                return Err(self.err(
                    b.span(),
                    format!(
                        "bounds of `{}`: expected `[lo, hi]`, found {} numbers",
                        v.get_ref(),
                        pair.len()
                    ),
                ));
            }
            let (l, h) = (*pair[0].get_ref(), *pair[1].get_ref());
            // The width must be finite too: [-1e308, 1e308] has an infinite one.
            if !(l.is_finite() && h.is_finite() && l < h && (h - l).is_finite()) {
                let why = if l.is_finite() && h.is_finite() && l < h {
                    "its width hi − lo overflows f64"
                } else {
                    "the domain is empty or undefined"
                };
                return Err(self.err(
                    b.span(),
                    format!(
                        "bounds of `{}` must be finite with lo < hi and a finite width, found [{l}, {h}]: {why}",
                        v.get_ref()
                    ),
                ));
            }
            lo.push(l);
            hi.push(h);
        }
        let names: Vec<String> = vars.iter().map(|v| v.get_ref().clone()).collect();
        // Every bound is valid here, so what the box refuses is in the names.
        let domain = BoxDomain::new(names.clone(), &lo, &hi)
            .map_err(|e| self.err(d.variables.span(), e.to_string()))?;
        let time = match &d.time {
            None => None,
            Some(t) => Some(names.iter().position(|n| n == t.get_ref()).ok_or_else(|| {
                self.err(
                    t.span(),
                    format!(
                        "time variable `{}` is not one of the variables ({})",
                        t.get_ref(),
                        names.join(", ")
                    ),
                )
            })?),
        };
        Ok((domain, time))
    }

    pub(super) fn outputs(&self, spec: &ProblemSpec) -> Result<Vec<String>, InputError> {
        match &spec.outputs {
            None => Ok(vec!["u".to_string()]),
            Some(o) if o.get_ref().is_empty() => {
                Err(self.err(o.span(), "`outputs` is empty: expected at least one name"))
            }
            Some(o) => Ok(o.get_ref().iter().map(|s| s.get_ref().clone()).collect()),
        }
    }
}
