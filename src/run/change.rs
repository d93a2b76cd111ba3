//! A run's change, applied to the chain's copy of the context before its build
//! (untimed, in preparation): made by cachebench so that the file stays valid for
//! its kind ([`edit`], from the table in [`crate::config::change_syntax`]), or by the
//! user's `--change-script` ([`script`]). Then a JSON, TOML or YAML file must still
//! parse ([`validity`]), or the run fails before building: "the change broke
//! FILE: …". A warm build that fails only after its change is the change's
//! failure, not the cache's ([`broken_build`]).

use crate::config::change_syntax;
use crate::config::matrix::Change;
use crate::run::prepare::Failure;
use crate::run::runner::Session;
use crate::run::workspace::Workspace;
use std::path::Path;
use std::time::Instant;
use validity::Verdict;

pub mod broken_build;
pub mod edit;
pub mod script;
pub mod validity;

impl Session {
    /// Applies `change` with `nonce` to the copy `ws`: by the change script when
    /// one is given, else by cachebench; then checks the file still parses. Every
    /// step is written to `log`; a failure is the run's.
    pub(crate) async fn apply_change(
        &mut self,
        change: Change,
        ws: &Workspace,
        nonce: &str,
        log: &mut std::fs::File,
        deadline: Option<Instant>,
    ) -> Result<(), Failure> {
        use std::io::Write;
        let file = match change {
            Change::None => return Ok(()),
            Change::Source => ws.source_file.as_deref(),
            Change::Deps => ws.deps_file.as_deref(),
        };
        let Some(rel) = file else {
            return Err(Failure::failed(format!(
                "change `{change}` has no file to rewrite"
            )));
        };
        let path = ws.dir.join(rel);
        let before = read(&path)?;
        match self.opts.change_script.clone() {
            Some(script) => {
                let _ = writeln!(
                    log,
                    "== prepare: {change} change: runs {} (CACHEBENCH_CHANGE={change}) ==",
                    script.display()
                );
                let inv = script::Invocation {
                    script: &script,
                    dir: &ws.dir,
                    change,
                    nonce,
                    file: Some(rel),
                };
                let timeout = deadline.map(|d| d.saturating_duration_since(Instant::now()));
                script::run(&inv, log, timeout, &mut self.cancel)
                    .await
                    .map_err(|(status, reason)| Failure { status, reason })?;
            }
            None => {
                let said = own_edit(&ws.dir, rel, &before, nonce).map_err(Failure::failed)?;
                let _ = writeln!(log, "== prepare: {change} change: {said} ==");
            }
        }
        let after = read(&path)?;
        if self.opts.change_script.is_some() {
            let _ = writeln!(
                log,
                "cachebench: the change script {} {}",
                if after == before { "left" } else { "changed" },
                rel.display()
            );
        }
        match checked(rel, &before, &after) {
            Ok(Some(note)) => {
                let _ = writeln!(log, "cachebench: {}: {note}", rel.display());
                Ok(())
            }
            Ok(None) => Ok(()),
            Err(reason) => {
                let _ = writeln!(log, "cachebench: {reason}");
                Err(Failure::failed(reason))
            }
        }
    }
}

fn read(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path)
        .map_err(|e| Failure::failed(format!("failed to read {}: {e}", path.display())))
}

/// cachebench's own change of `rel` (in `dir`, now `before`): written in place;
/// returns what it did, for the log.
pub fn own_edit(dir: &Path, rel: &Path, before: &[u8], nonce: &str) -> Result<String, String> {
    let syntax = change_syntax::syntax_of(rel, before).map_err(|r| {
        format!(
            "cannot change {}: {}",
            rel.display(),
            change_syntax::refusal_text(&r, rel, "--source-file/--deps-file", "--change-script")
        )
    })?;
    let after = edit::edited(syntax.edit, before, nonce)
        .map_err(|e| format!("cannot change {}: {e}", rel.display()))?;
    let path = dir.join(rel);
    std::fs::write(&path, after).map_err(|e| format!("failed to write {}: {e}", path.display()))?;
    Ok(change_syntax::describe(rel, &syntax, nonce))
}

/// After a change of `rel` from `before` to `after`: `Err` with the run's reason
/// when the change broke it, `Ok(Some(note))` when it could not be checked.
pub fn checked(rel: &Path, before: &[u8], after: &[u8]) -> Result<Option<String>, String> {
    match validity::check(change_syntax::grammar_of(rel), before, after) {
        Verdict::Valid => Ok(None),
        Verdict::NotChecked(note) => Ok(Some(note)),
        Verdict::Broken(e) => Err(format!("the change broke {}: {e}", rel.display())),
    }
}

#[cfg(test)]
mod tests;
