//! The names an expression may use: coordinates, network outputs, named constants, and
//! the variables `lap(·)` sums over.

use super::error::ContextError;
use super::func::{Func, RESERVED};
use crate::residual::VarSet;

/// The declared names an expression is parsed against.
///
/// Naming rules (checked here, so the parser can rely on them):
/// - variables and outputs are an ASCII letter followed by ASCII letters and digits, with
///   no `_`, because `_` separates an output from its derivative suffix (`u_xy`);
/// - constants may also contain `_`, but may not begin with `<output>_`, which would
///   shadow a derivative symbol;
/// - no name may be a function name, `pi`, `lap` or `d`, and no name may be declared twice.
///
/// `lap(u)` sums `∂²u/∂x_i²` over [`Context::laplacian_vars`]: all variables by default;
/// for a time-dependent problem set it to the spatial variables only.
#[derive(Clone, Debug, PartialEq)]
pub struct Context {
    variables: Vec<String>,
    outputs: Vec<String>,
    constants: Vec<(String, f64)>,
    laplacian_vars: VarSet,
}

fn check_ident(name: &str, role: &'static str, allow_underscore: bool) -> Result<(), ContextError> {
    let bad = |why| ContextError::BadName {
        name: name.to_string(),
        role,
        why,
    };
    let mut chars = name.chars();
    match chars.next() {
        None => return Err(bad("it is empty")),
        Some(c) if !c.is_ascii_alphabetic() => {
            return Err(bad("it must start with an ASCII letter"));
        }
        Some(_) => {}
    }
    for c in chars {
        if c == '_' && !allow_underscore {
            return Err(bad("`_` is reserved for derivative symbols such as u_x"));
        }
        if !(c.is_ascii_alphanumeric() || c == '_') {
            return Err(bad("only ASCII letters, digits and `_` are allowed"));
        }
    }
    if RESERVED.contains(&name) || Func::from_name(name).is_some() {
        return Err(ContextError::Reserved(name.to_string()));
    }
    Ok(())
}

impl Context {
    /// A context with the given coordinate names (in the column order of the points) and
    /// network output names (in the order of the network's outputs). `lap` sums over all
    /// variables.
    pub fn new(variables: &[&str], outputs: &[&str]) -> Result<Self, ContextError> {
        if variables.len() > 32 {
            return Err(ContextError::TooManyVariables(variables.len()));
        }
        let mut ctx = Context {
            variables: Vec::new(),
            outputs: Vec::new(),
            constants: Vec::new(),
            laplacian_vars: VarSet::all(variables.len()),
        };
        for v in variables {
            check_ident(v, "variable", false)?;
            ctx.check_unique(v)?;
            ctx.variables.push(v.to_string());
        }
        for o in outputs {
            check_ident(o, "output", false)?;
            ctx.check_unique(o)?;
            ctx.outputs.push(o.to_string());
        }
        Ok(ctx)
    }

    /// Adds a named constant.
    pub fn with_constant(mut self, name: &str, value: f64) -> Result<Self, ContextError> {
        check_ident(name, "constant", true)?;
        self.check_unique(name)?;
        if let Some((prefix, _)) = name.split_once('_')
            && self.output(prefix).is_some()
        {
            return Err(ContextError::BadName {
                name: name.to_string(),
                role: "constant",
                why: "it would shadow a derivative of an output",
            });
        }
        self.constants.push((name.to_string(), value));
        Ok(self)
    }

    /// Sets the variables `lap(·)` sums over (e.g. the spatial ones when `t` is time).
    pub fn with_laplacian_vars(mut self, names: &[&str]) -> Result<Self, ContextError> {
        if names.is_empty() {
            return Err(ContextError::BadLaplacian("the set is empty".into()));
        }
        let mut set = 0u32;
        for n in names {
            let i = self.variable(n).ok_or_else(|| {
                ContextError::BadLaplacian(format!("`{n}` is not a declared variable"))
            })?;
            set |= 1 << i;
        }
        self.laplacian_vars = VarSet(set);
        Ok(self)
    }

    fn check_unique(&self, name: &str) -> Result<(), ContextError> {
        let taken = self.variables.iter().any(|v| v == name)
            || self.outputs.iter().any(|o| o == name)
            || self.constants.iter().any(|(c, _)| c == name);
        if taken {
            Err(ContextError::Duplicate(name.to_string()))
        } else {
            Ok(())
        }
    }

    /// The coordinate names, in point-column order.
    pub fn variables(&self) -> &[String] {
        &self.variables
    }
    /// The network output names.
    pub fn outputs(&self) -> &[String] {
        &self.outputs
    }
    /// The named constants.
    pub fn constants(&self) -> &[(String, f64)] {
        &self.constants
    }
    /// The variables `lap(·)` sums over.
    pub fn laplacian_vars(&self) -> VarSet {
        self.laplacian_vars
    }

    pub(crate) fn variable(&self, name: &str) -> Option<usize> {
        self.variables.iter().position(|v| v == name)
    }
    pub(crate) fn output(&self, name: &str) -> Option<usize> {
        self.outputs.iter().position(|o| o == name)
    }
    pub(crate) fn constant(&self, name: &str) -> Option<f64> {
        self.constants
            .iter()
            .find(|(c, _)| c == name)
            .map(|&(_, v)| v)
    }
    /// `x, y, t` for messages.
    pub(crate) fn variable_list(&self) -> String {
        self.variables.join(", ")
    }
    /// `u, v, p` for messages.
    pub(crate) fn output_list(&self) -> String {
        self.outputs.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_context_and_lookup() {
        let ctx = Context::new(&["x", "y", "t"], &["u", "v"])
            .unwrap()
            .with_constant("nu", 0.1)
            .unwrap()
            .with_constant("Re_0", 40.0)
            .unwrap()
            .with_laplacian_vars(&["x", "y"])
            .unwrap();
        assert_eq!(ctx.variable("t"), Some(2));
        assert_eq!(ctx.output("v"), Some(1));
        assert_eq!(ctx.constant("Re_0"), Some(40.0));
        assert_eq!(ctx.laplacian_vars(), VarSet(0b011));
        assert_eq!(
            Context::new(&["x", "y"], &["u"]).unwrap().laplacian_vars(),
            VarSet(0b11)
        );
    }

    #[test]
    fn rejects_bad_names() {
        assert!(matches!(
            Context::new(&["x_1"], &["u"]),
            Err(ContextError::BadName { .. })
        ));
        assert!(matches!(
            Context::new(&["x"], &["1u"]),
            Err(ContextError::BadName { .. })
        ));
        assert!(matches!(
            Context::new(&["x"], &[""]),
            Err(ContextError::BadName { .. })
        ));
        assert!(matches!(
            Context::new(&["sin"], &["u"]),
            Err(ContextError::Reserved(_))
        ));
        assert!(matches!(
            Context::new(&["x"], &["pi"]),
            Err(ContextError::Reserved(_))
        ));
        assert!(matches!(
            Context::new(&["x", "d"], &["u"]),
            Err(ContextError::Reserved(_))
        ));
        assert!(matches!(
            Context::new(&["x"], &["x"]),
            Err(ContextError::Duplicate(_))
        ));
        let ctx = Context::new(&["x"], &["u"]).unwrap();
        assert!(matches!(
            ctx.clone().with_constant("u_x", 1.0),
            Err(ContextError::BadName { .. })
        ));
        assert!(matches!(
            ctx.clone().with_constant("x", 1.0),
            Err(ContextError::Duplicate(_))
        ));
        assert!(matches!(
            ctx.clone().with_laplacian_vars(&["q"]),
            Err(ContextError::BadLaplacian(_))
        ));
        assert!(matches!(
            ctx.with_laplacian_vars(&[]),
            Err(ContextError::BadLaplacian(_))
        ));
        let many: Vec<String> = (0..33).map(|i| format!("x{i}")).collect();
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        assert!(matches!(
            Context::new(&refs, &["u"]),
            Err(ContextError::TooManyVariables(33))
        ));
    }
}
