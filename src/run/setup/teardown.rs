//! The end of a matrix: what this run tagged is removed from an engine or registry
//! cachebench does not own, then what cachebench started is stopped (the engine,
//! its registries, the rule closing them) and its folders are removed.

use super::Setup;
use crate::infra::process;
use std::time::Duration;

impl Setup {
    /// Stops what cachebench started and removes its temporary folders.
    pub async fn teardown(mut self) {
        self.remove_run_artefacts().await;
        self.session.stop_gha_stand_in().await;
        self.session.engine.shutdown().await;
        self.session.registry.stop().await;
        if let Some(m) = self.session.mirror.as_mut() {
            m.stop().await;
        }
        if let Some(d) = self.cache_dir.take() {
            let _ = d.close();
        }
        // Mounts left by a killed engine are detached first.
        process::groups::remove_tree(self.work.path());
    }
}

impl Setup {
    /// On an engine or registry cachebench does not own: finds the images this run
    /// tagged (`REPOSITORY:RUNID-…`, failed runs included) so the engine's shutdown
    /// removes them, and deletes this run's tags from the registry.
    async fn remove_run_artefacts(&mut self) {
        let prefix = format!("{}-", self.session.run_id);
        if !self.session.engine.is_owned() {
            let mine = format!("{}:{prefix}", self.session.registry.repository);
            if let Ok(list) = self
                .session
                .engine
                .docker(
                    &["image", "ls", "--format", "{{.Repository}}:{{.Tag}}"],
                    Duration::from_secs(60),
                )
                .await
            {
                for image in list.lines().map(str::trim).filter(|l| l.starts_with(&mine)) {
                    self.session.engine.note_tag(image);
                }
            }
        }
        if self.session.registry.owned.is_none() {
            match self.session.registry.delete_run_tags(&prefix).await {
                Ok(c) => {
                    if !c.deleted.is_empty() {
                        eprintln!(
                            "cachebench: deleted this run's {} tag(s) from {}",
                            c.deleted.len(),
                            self.session.registry.repository
                        );
                    }
                    for k in c.kept.iter().chain(&c.failed) {
                        eprintln!("cachebench: warning: registry tag left: {k}");
                    }
                }
                Err(e) => eprintln!(
                    "cachebench: warning: {}",
                    crate::records::redact::text(&format!("{e:#}"))
                ),
            }
        }
    }
}
