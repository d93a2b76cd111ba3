//! The `[matrix]` keys merged with the axis flags: strategies, states, changes,
//! builders, image stores, each parsed by name with the key or flag in its errors.

use super::checks::Keys;
use crate::config::cli::RunArgs;
use crate::config::matrix::{BuilderKind, Change, ImageStore, LinkValue, State, Strategy, NO_LINK};
use crate::config::scenario::{NameList, Scenario};
use crate::error::{Error, Result};

/// The matrix axes, merged.
pub(super) struct Axes {
    pub strategies: Vec<Strategy>,
    pub states: Vec<State>,
    pub changes: Vec<Change>,
    pub builders: Vec<BuilderKind>,
    pub image_stores: Vec<ImageStore>,
    pub image_stores_given: bool,
    pub container_strategies: Option<Vec<Strategy>>,
    pub links: Vec<LinkValue>,
}

pub(super) fn merge(sc: &Scenario, args: &RunArgs, keys: &Keys) -> Result<Axes> {
    let strategies: Vec<Strategy> = names(
        &args.strategies,
        sc.matrix.strategies.as_ref(),
        "--strategy",
        "matrix.strategies",
        keys,
        Strategy::ALL,
    )?;
    let states: Vec<State> = names(
        &args.states,
        sc.matrix.states.as_ref(),
        "--state",
        "matrix.states",
        keys,
        State::ALL,
    )?;
    let changes: Vec<Change> = names(
        &args.changes,
        sc.matrix.changes.as_ref(),
        "--change",
        "matrix.changes",
        keys,
        &[Change::Source],
    )?;
    let builders: Vec<BuilderKind> = names(
        &args.builders,
        sc.matrix.builders.as_ref(),
        "--builder",
        "matrix.builders",
        keys,
        &[BuilderKind::Docker],
    )?;
    let image_stores_given = !args.image_stores.is_empty() || sc.matrix.image_stores.is_some();
    let image_stores: Vec<ImageStore> = names(
        &args.image_stores,
        sc.matrix.image_stores.as_ref(),
        "--image-store",
        "matrix.image_stores",
        keys,
        &[ImageStore::Containerd],
    )?;
    let container_strategies: Option<Vec<Strategy>> = match &sc.matrix.container_strategies {
        None => None,
        Some(l) => Some(names(
            &[],
            Some(l),
            "matrix.container_strategies",
            "matrix.container_strategies",
            keys,
            Strategy::ALL,
        )?),
    };
    let links = link_values(args, sc.matrix.links.as_ref(), keys)?;
    Ok(Axes {
        links,
        strategies,
        states,
        changes,
        builders,
        image_stores,
        image_stores_given,
        container_strategies,
    })
}

/// The link axis as given (flags win over `matrix.links`), each value with where
/// it was given; parsed later by [`super::Options::canonical_links`].
fn link_values(
    args: &RunArgs,
    from_file: Option<&NameList>,
    keys: &Keys,
) -> Result<Vec<LinkValue>> {
    if !args.links.is_empty() {
        return Ok(args
            .links
            .iter()
            .map(|t| LinkValue {
                text: t.clone(),
                at: "--link".into(),
            })
            .collect());
    }
    let Some(l) = from_file else {
        return Ok(vec![LinkValue {
            text: NO_LINK.into(),
            at: "--link".into(),
        }]);
    };
    if l.get_ref().is_empty() {
        return Err(Error::usage(format!(
            "{}: the list is empty; name at least one link (none for no link)",
            keys.at("matrix.links", l.span())
        )));
    }
    Ok(l.get_ref()
        .iter()
        .enumerate()
        .map(|(i, s)| LinkValue {
            text: s.get_ref().clone(),
            at: keys.at(&format!("matrix.links[{i}]"), s.span()),
        })
        .collect())
}

impl super::Options {
    /// Turns every link value into its canonical name with `parse` (the link's
    /// own parser: `infra/link/spec.rs`, which this layer cannot import), refusing
    /// a bad value with one line naming the flag or key and the accepted forms,
    /// and a link given twice.
    pub fn canonical_links(
        &mut self,
        parse: impl Fn(&str) -> std::result::Result<String, String>,
    ) -> Result<()> {
        let mut seen: Vec<String> = Vec::new();
        for v in &mut self.links {
            let canonical = parse(&v.text).map_err(|e| Error::usage(format!("{}: {e}", v.at)))?;
            if seen.contains(&canonical) {
                return Err(Error::usage(format!(
                    "{}: link `{}` is given twice (as `{canonical}`); name it once",
                    v.at, v.text
                )));
            }
            seen.push(canonical.clone());
            v.text = canonical;
        }
        Ok(())
    }

    /// The links' names, in order.
    pub fn link_names(&self) -> Vec<String> {
        self.links.iter().map(|l| l.text.clone()).collect()
    }
}

/// The axis from flags (which win, parsed by clap) or a scenario list (names parsed
/// here), refusing duplicates. Errors name the flag, or the list's key with the
/// index and line of the name.
fn names<T: std::str::FromStr<Err = String> + PartialEq + Copy + std::fmt::Display>(
    flags: &[T],
    from_file: Option<&NameList>,
    flag: &str,
    file_key: &str,
    keys: &Keys,
    default: &[T],
) -> Result<Vec<T>> {
    let mut out: Vec<T> = Vec::new();
    let mut add = |v: T, at: &dyn Fn() -> String| {
        if out.contains(&v) {
            return Err(Error::usage(format!(
                "{}: `{v}` is given twice; name it once",
                at()
            )));
        }
        out.push(v);
        Ok(())
    };
    if !flags.is_empty() {
        for v in flags {
            add(*v, &|| flag.to_string())?;
        }
    } else if let Some(l) = from_file {
        if l.get_ref().is_empty() {
            return Err(Error::usage(format!(
                "{}: the list is empty; name at least one",
                keys.at(file_key, l.span())
            )));
        }
        for (i, s) in l.get_ref().iter().enumerate() {
            let at = || keys.at(&format!("{file_key}[{i}]"), s.span());
            let v: T = s
                .get_ref()
                .parse()
                .map_err(|e| Error::usage(format!("{}: {e}", at())))?;
            add(v, &at)?;
        }
    } else {
        return Ok(default.to_vec());
    }
    Ok(out)
}
