//! actions/cache around a local-cache build on an ephemeral runner (warm-remote):
//! the runner starts without the folder, the job restores it before the build
//! (`cache_restore`: download the archive, unpack it) and saves it after
//! (`cache_save`: pack the rotated folder, upload it), both timed through the
//! cell's link against cachebench's stand-in of the cache service, with
//! [`crate::infra::actions_cache`] doing what actions/cache does. The warming
//! build's folder is saved untimed, as the previous job's save.
//!
//! Keys are the chain's: `SCOPE-local-cache-N` saved, restored by the prefix
//! `SCOPE-local-cache-` (actions/cache's `key: …-${{ github.sha }}` with a
//! `restore-keys` prefix), so each run restores what the run before it saved.

use crate::infra::actions_cache::{self, Service, Transfer};
use crate::plan::strategy::RunTarget;
use crate::records::record::RunRecord;
use crate::run::runner::Session;

fn key_prefix(t: &RunTarget) -> String {
    format!("{}-local-cache-", t.gha_scope)
}

impl Session {
    /// The cache service actions/cache talks to: the stand-in, through the run's link.
    async fn actions_cache_service(&mut self, t: &RunTarget) -> anyhow::Result<Service> {
        let upstream = self.start_gha_stand_in().await?.addr();
        let link = Session::target_link(t);
        let reached = self.through_link(&link, upstream)?;
        let (server, token) = self.gha.as_ref().expect("started above");
        server.advertise(reached);
        Ok(Service {
            host_port: reached.to_string(),
            token: token.clone(),
        })
    }

    /// Saves the folder under a new key of the chain (the end of a job; `what`
    /// tells the warming build's save from the measured one's).
    pub(crate) async fn actions_cache_save(
        &mut self,
        t: &RunTarget,
        what: &str,
    ) -> anyhow::Result<Transfer> {
        let svc = self.actions_cache_service(t).await?;
        let key = format!("{}{}-{what}", key_prefix(t), self.counter);
        let scratch = self.work.join("actions-cache");
        actions_cache::save(&svc, &t.cache_dir, &scratch, &key).await
    }

    /// The runner starts without the folder: removes it (and a `-new` left over).
    pub(crate) fn actions_cache_empty_runner(&mut self, t: &RunTarget) -> std::io::Result<()> {
        for d in [t.cache_dir.clone(), t.cache_dir_new()] {
            if d.exists() {
                std::fs::remove_dir_all(&d)?;
            }
        }
        self.note_journal(format!(
            "local cache folder {} removed: the runner starts without it",
            t.cache_dir.display()
        ));
        Ok(())
    }

    /// Restores the chain's newest folder (the start of a job); a miss is an error.
    pub(crate) async fn actions_cache_restore(
        &mut self,
        t: &RunTarget,
    ) -> anyhow::Result<Transfer> {
        let svc = self.actions_cache_service(t).await?;
        let prefix = key_prefix(t);
        let key = format!("{prefix}{}", self.counter);
        let scratch = self.work.join("actions-cache");
        actions_cache::restore(&svc, &t.cache_dir, &scratch, &key, &prefix)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no entry under the key prefix {prefix}"))
    }

    /// The transfers' figures into the record: the phases, the archive's size, the
    /// bytes the stand-in saw move.
    pub(crate) fn actions_cache_record(
        &self,
        restored: &Transfer,
        saved: Option<&Transfer>,
        rec: &mut RunRecord,
    ) {
        rec.phases.cache_restore_ms = Some(restored.total_ms());
        rec.phases.cache_save_ms = saved.map(Transfer::total_ms);
        rec.actions_cache_archive_bytes = Some(saved.unwrap_or(restored).archive_bytes);
        if let Some((server, _)) = &self.gha {
            let s = server.counters();
            rec.gha_bytes_uploaded = Some(s.bytes_uploaded);
            rec.gha_bytes_downloaded = Some(s.bytes_downloaded);
        }
    }
}
