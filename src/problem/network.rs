//! `[model]`: the network's sizes, activation, initialisation and input embedding, and
//! the notes `pinn check` prints about an embedding (a periodic block it makes redundant,
//! a period other than the domain's length).

use toml::Spanned;

use super::build::Builder;
use super::error::InputError;
use super::location::line_col;
use super::memory::{group, param_count};
use super::spec::{EmbeddingSpec, PeriodicSpec, ProblemSpec};
use crate::geometry::BoxDomain;
use crate::model::{Activation, Embedding, Init, Mlp, Periodic, Reflection};

/// The largest number of harmonics of one variable, and of Fourier frequencies: far
/// beyond any useful network, small enough that the first layer always fits in memory.
const MAX_HARMONICS: i64 = 1024;
const MAX_FOURIER: i64 = 65_536;

/// Whether `length` is a whole multiple of `period` (to rounding): then features of that
/// period are periodic across the interval as well.
fn divides(period: f64, length: f64) -> bool {
    let k = (length / period).round();
    k >= 1.0 && (k * period - length).abs() <= 1e-12 * length
}

/// Whether `[model.embedding]` makes u exactly periodic in every variable of the domain
/// (with the period of its interval): then the problem needs no boundary block, as on a
/// torus, where `−Δu + cu = q` with `c` off the spectrum has one solution.
pub(super) fn periodic_in_every_variable(spec: &ProblemSpec, domain: &BoxDomain) -> bool {
    let Some(e) = &spec.model.get_ref().embedding else {
        return false;
    };
    let Some(map) = e.get_ref().periodic.as_ref() else {
        return false;
    };
    domain.names().iter().enumerate().all(|(axis, name)| {
        map.get_ref().iter().any(|(n, p)| {
            let period = match p.get_ref() {
                PeriodicSpec::Period(l) => *l,
                PeriodicSpec::Table { period, .. } => *period.get_ref(),
            };
            n.get_ref() == name && divides(period, domain.hi()[axis] - domain.lo()[axis])
        })
    })
}

impl Builder<'_> {
    pub(super) fn model(
        &self,
        spec: &ProblemSpec,
        domain: &BoxDomain,
        outputs: &[String],
        time: Option<usize>,
    ) -> Result<(Mlp, Init, u64), InputError> {
        let m = spec.model.get_ref();
        let layers_spanned = m.layers.get_ref();
        if layers_spanned.len() < 2 {
            return Err(self.err(
                m.layers.span(),
                "`layers` needs at least the input and output widths, e.g. [2, 64, 1]",
            ));
        }
        let mut layers = Vec::with_capacity(layers_spanned.len());
        for w in layers_spanned {
            if *w.get_ref() < 1 {
                return Err(self.err(
                    w.span(),
                    format!("layer widths must be ≥ 1, found {}", w.get_ref()),
                ));
            }
            layers.push(*w.get_ref() as usize);
        }
        if layers[0] != domain.dim() {
            return Err(self.err(
                layers_spanned[0].span(),
                format!(
                    "the first layer has width {} but the domain has {} variables",
                    layers[0],
                    domain.dim()
                ),
            ));
        }
        let last = layers_spanned.last().expect("≥ 2 layers");
        if layers[layers.len() - 1] != outputs.len() {
            return Err(self.err(
                last.span(),
                format!(
                    "the last layer has width {} but there are {} outputs",
                    layers[layers.len() - 1],
                    outputs.len()
                ),
            ));
        }
        let activation =
            match &m.activation {
                None => Activation::Tanh,
                Some(a) => match a.get_ref().as_str() {
                    "tanh" => Activation::Tanh,
                    "sin" => Activation::Sin,
                    "softplus" => Activation::Softplus,
                    "sigmoid" => Activation::Sigmoid,
                    other => return Err(self.err(
                        a.span(),
                        format!(
                            "unknown activation `{other}`: expected tanh, sin, softplus or sigmoid"
                        ),
                    )),
                },
            };
        let init = match &m.init {
            None => Init::XavierNormal,
            Some(i) => match i.get_ref().as_str() {
                "xavier_normal" => Init::XavierNormal,
                "xavier_uniform" => Init::XavierUniform,
                "normal" => {
                    let std = m.init_std.as_ref().ok_or_else(|| {
                        self.err(i.span(), "`init = \"normal\"` needs `init_std`")
                    })?;
                    if !(std.get_ref().is_finite() && *std.get_ref() > 0.0) {
                        return Err(self.err(
                            std.span(),
                            format!("`init_std` must be finite and > 0, found {}", std.get_ref()),
                        ));
                    }
                    Init::Normal {
                        std: *std.get_ref(),
                    }
                }
                other => return Err(self.err(
                    i.span(),
                    format!(
                        "unknown init `{other}`: expected xavier_normal, xavier_uniform or normal"
                    ),
                )),
            },
        };
        if let (Some(std), false) = (&m.init_std, matches!(init, Init::Normal { .. })) {
            return Err(self.err(
                std.span(),
                "`init_std` is only used with `init = \"normal\"`",
            ));
        }
        let embedding = match &m.embedding {
            None => Embedding::identity(layers[0]),
            Some(e) => self.embedding(e, domain, time)?,
        };
        // Counted in u128 and checked: the sizes must fit the machine's integers before
        // the memory estimate can refuse them.
        let mut widths: Vec<u128> = layers.iter().map(|&w| w as u128).collect();
        widths[0] = embedding.width() as u128;
        match param_count(&widths) {
            Some(p) if p <= (usize::MAX / 8) as u128 => {}
            p => {
                let count = p.map_or_else(|| "more than 2^128".to_string(), group);
                return Err(self.err(
                    m.layers.span(),
                    format!(
                        "the network has {count} parameters, more than any machine can hold \
                         (8 bytes each): use narrower layers"
                    ),
                ));
            }
        }
        let mlp = Mlp::with_embedding(&layers, activation, embedding)
            .map_err(|e| self.err(m.layers.span(), e.to_string()))?;
        Ok((mlp, init, m.seed.unwrap_or(0)))
    }

    /// `[model.embedding]`: the variables named, periods, harmonics and Fourier settings
    /// checked, each error at its value.
    fn embedding(
        &self,
        e: &Spanned<EmbeddingSpec>,
        domain: &BoxDomain,
        time: Option<usize>,
    ) -> Result<Embedding, InputError> {
        let spec = e.get_ref();
        let mut periodic = Vec::new();
        for (name, p) in spec.periodic.iter().flat_map(|t| t.get_ref()) {
            let var = domain.axis(name.get_ref()).ok_or_else(|| {
                self.err(
                    name.span(),
                    format!(
                        "unknown variable `{}` in `periodic`: the variables are {}",
                        name.get_ref(),
                        domain.names().join(", ")
                    ),
                )
            })?;
            let (period, period_span, harmonics) = match p.get_ref() {
                PeriodicSpec::Period(l) => (*l, p.span(), 1),
                PeriodicSpec::Table { period, harmonics } => {
                    let k = match harmonics {
                        None => 1,
                        Some(k) if (1..=MAX_HARMONICS).contains(k.get_ref()) => *k.get_ref(),
                        Some(k) => {
                            return Err(self.err(
                                k.span(),
                                format!(
                                    "`harmonics` of `{}` must be between 1 and {MAX_HARMONICS}, found {}",
                                    name.get_ref(),
                                    k.get_ref()
                                ),
                            ));
                        }
                    };
                    (*period.get_ref(), period.span(), k)
                }
            };
            if !(period.is_finite() && period > 0.0) {
                return Err(self.err(
                    period_span,
                    format!(
                        "the period of `{}` must be finite and > 0, found {period}",
                        name.get_ref()
                    ),
                ));
            }
            let harmonics = harmonics as usize;
            periodic.push((var, Periodic { period, harmonics }));
        }
        let fourier = match &spec.fourier {
            None => None,
            Some(f) => {
                let f = f.get_ref();
                let count = *f.count.get_ref();
                if !(1..=MAX_FOURIER).contains(&count) {
                    return Err(self.err(
                        f.count.span(),
                        format!(
                            "the Fourier feature `count` must be between 1 and {MAX_FOURIER}, found {count}"
                        ),
                    ));
                }
                let scale = f.scale.as_ref().map_or(1.0, |s| *s.get_ref());
                if !(scale.is_finite() && scale > 0.0) {
                    let span = f.scale.as_ref().map_or(e.span(), Spanned::span);
                    return Err(self.err(
                        span,
                        format!(
                            "the Fourier feature `scale` must be finite and > 0, found {scale}"
                        ),
                    ));
                }
                Some((count as usize, scale, f.seed.unwrap_or(0)))
            }
        };
        let reflections = self.reflections(spec, domain, time)?;
        Embedding::new(domain.dim(), &periodic, fourier)
            .and_then(|emb| emb.with_reflections(&reflections))
            .map_err(|err| self.err(e.span(), err.to_string()))
    }

    /// `symmetry = { x = "odd" }`: the reflection of each named variable about the
    /// midpoint of its interval, with the parity u has under it. Not in the time variable
    /// (time slabs move its interval), at most [`Reflection::MAX`] variables.
    fn reflections(
        &self,
        spec: &EmbeddingSpec,
        domain: &BoxDomain,
        time: Option<usize>,
    ) -> Result<Vec<Reflection>, InputError> {
        let Some(table) = &spec.symmetry else {
            return Ok(Vec::new());
        };
        if table.get_ref().len() > Reflection::MAX {
            return Err(self.err(
                table.span(),
                format!(
                    "at most {} variables can have a symmetry, found {}",
                    Reflection::MAX,
                    table.get_ref().len()
                ),
            ));
        }
        let mut out = Vec::new();
        for (name, parity) in table.get_ref() {
            let var = domain.axis(name.get_ref()).ok_or_else(|| {
                self.err(
                    name.span(),
                    format!(
                        "unknown variable `{}` in `symmetry`: the variables are {}",
                        name.get_ref(),
                        domain.names().join(", ")
                    ),
                )
            })?;
            if time == Some(var) {
                return Err(self.err(
                    name.span(),
                    format!(
                        "`{}` is the time variable: a symmetry in time is not supported",
                        name.get_ref()
                    ),
                ));
            }
            let odd = match parity.get_ref().as_str() {
                "odd" => true,
                "even" => false,
                other => {
                    return Err(self.err(
                        parity.span(),
                        format!("unknown symmetry `{other}`: expected \"odd\" or \"even\""),
                    ));
                }
            };
            let center = 0.5 * (domain.lo()[var] + domain.hi()[var]);
            out.push(Reflection { var, center, odd });
        }
        Ok(out)
    }

    /// `file:line:column: note: …` at byte `span.start`.
    fn note(&self, span: std::ops::Range<usize>, message: String) -> String {
        let at = line_col(self.text, span.start);
        format!(
            "{}:{}:{}: note: {message}",
            self.path.display(),
            at.line,
            at.column
        )
    }

    /// Notes on the embedding: a period other than the length of the variable's interval,
    /// and `periodic` blocks in a variable the embedding already makes exactly periodic.
    pub(super) fn embedding_notes(
        &self,
        spec: &ProblemSpec,
        domain: &BoxDomain,
        mlp: &Mlp,
    ) -> Vec<String> {
        let mut notes = Vec::new();
        let Some(e) = &spec.model.get_ref().embedding else {
            return notes;
        };
        for (name, p) in e.get_ref().periodic.iter().flat_map(|t| t.get_ref()) {
            let Some(var) = domain.axis(name.get_ref()) else {
                continue;
            };
            let (lo, hi) = (domain.lo()[var], domain.hi()[var]);
            let Some(per) = mlp.embedding().periodic(var) else {
                continue;
            };
            if !divides(per.period, hi - lo) {
                let span = match p.get_ref() {
                    PeriodicSpec::Period(_) => p.span(),
                    PeriodicSpec::Table { period, .. } => period.span(),
                };
                notes.push(self.note(
                    span,
                    format!(
                        "the period {} of `{}` is not the length {} of its interval [{lo}, {hi}]: u is periodic with period {}, not across the domain",
                        per.period,
                        name.get_ref(),
                        hi - lo,
                        per.period
                    ),
                ));
            }
        }
        for b in &spec.blocks {
            let b = b.get_ref();
            if b.kind.get_ref() != "periodic" {
                continue;
            }
            let Some(axis) = &b.axis else { continue };
            let Some(var) = domain.axis(axis.get_ref()) else {
                continue;
            };
            let Some(per) = mlp.embedding().periodic(var) else {
                continue;
            };
            if divides(per.period, domain.hi()[var] - domain.lo()[var]) {
                notes.push(self.note(
                    b.kind.span(),
                    format!(
                        "block `{}` is redundant: the periodic embedding of `{}` makes u and all its derivatives exactly periodic in `{}`",
                        b.name.get_ref(),
                        axis.get_ref(),
                        axis.get_ref()
                    ),
                ));
            }
        }
        notes
    }
}
