//! The `[matrix]` keys merged with the axis flags: strategies, states, changes,
//! builders, image stores, each parsed by name with the key or flag in its errors.

use super::checks::Keys;
use crate::cli::RunArgs;
use crate::error::{Error, Result};
use crate::matrix::{BuilderKind, Change, ImageStore, State, Strategy};
use crate::scenario::Scenario;

/// The matrix axes, merged.
pub(super) struct Axes {
    pub strategies: Vec<Strategy>,
    pub states: Vec<State>,
    pub changes: Vec<Change>,
    pub builders: Vec<BuilderKind>,
    pub image_stores: Vec<ImageStore>,
    pub image_stores_given: bool,
    pub container_strategies: Option<Vec<Strategy>>,
}

pub(super) fn merge(sc: &Scenario, args: &RunArgs, keys: &Keys) -> Result<Axes> {
    let strategies: Vec<Strategy> = names(
        &args.strategies,
        sc.matrix.strategies.as_ref(),
        "--strategy",
        &keys.name("matrix.strategies"),
        Strategy::ALL,
    )?;
    let states: Vec<State> = names(
        &args.states,
        sc.matrix.states.as_ref(),
        "--state",
        &keys.name("matrix.states"),
        State::ALL,
    )?;
    let changes: Vec<Change> = names(
        &args.changes,
        sc.matrix.changes.as_ref(),
        "--change",
        &keys.name("matrix.changes"),
        &[Change::Source],
    )?;
    let builders: Vec<BuilderKind> = names(
        &args.builders,
        sc.matrix.builders.as_ref(),
        "--builder",
        &keys.name("matrix.builders"),
        &[BuilderKind::Docker],
    )?;
    let image_stores_given = !args.image_stores.is_empty() || sc.matrix.image_stores.is_some();
    let image_stores: Vec<ImageStore> = names(
        &args.image_stores,
        sc.matrix.image_stores.as_ref(),
        "--image-store",
        &keys.name("matrix.image_stores"),
        &[ImageStore::Containerd],
    )?;
    let container_strategies: Option<Vec<Strategy>> = match &sc.matrix.container_strategies {
        None => None,
        Some(l) => Some(names(
            &[],
            Some(l),
            "matrix.container_strategies",
            &keys.name("matrix.container_strategies"),
            Strategy::ALL,
        )?),
    };
    Ok(Axes {
        strategies,
        states,
        changes,
        builders,
        image_stores,
        image_stores_given,
        container_strategies,
    })
}

/// Parses names from flags (which win) or a scenario list, refusing duplicates.
fn names<T: std::str::FromStr<Err = String> + PartialEq + Copy + std::fmt::Display>(
    flags: &[String],
    from_file: Option<&Vec<String>>,
    flag: &str,
    file_key: &str,
    default: &[T],
) -> Result<Vec<T>> {
    let (list, is_flag): (Vec<String>, bool) = if !flags.is_empty() {
        (flags.to_vec(), true)
    } else if let Some(l) = from_file {
        (l.clone(), false)
    } else {
        return Ok(default.to_vec());
    };
    if list.is_empty() {
        return Err(Error::usage(format!(
            "{file_key}: the list is empty; name at least one"
        )));
    }
    let mut out: Vec<T> = Vec::new();
    for (i, s) in list.iter().enumerate() {
        let at = if is_flag {
            flag.to_string()
        } else {
            format!("{file_key}[{i}]")
        };
        let v: T = s.parse().map_err(|e| Error::usage(format!("{at}: {e}")))?;
        if out.contains(&v) {
            return Err(Error::usage(format!(
                "{at}: `{v}` is given twice; name it once"
            )));
        }
        out.push(v);
    }
    Ok(out)
}
