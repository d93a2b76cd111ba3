//! The resolved scenario of a run as TOML ([`Options::to_toml`]): every key with the
//! value the run uses, written to OUT as `scenario.toml` and read back by `--resume`.

use super::Options;
use crate::matrix::CacheOutput;

impl Options {
    /// The resolved scenario as TOML: every key with the value this run uses, so a
    /// results folder says exactly what ran (and `--resume` can tell if it changed).
    pub fn to_toml(&self) -> String {
        use crate::scenario::*;
        let sc = Scenario {
            name: Some(self.scenario_name.clone()),
            workload: Workload {
                context: Some(self.context.clone()),
                dockerfile: Some(self.dockerfile.clone()),
                source_file: self.source_file.clone(),
                deps_file: self.deps_file.clone(),
                build_args: self.build_args.iter().cloned().collect(),
            },
            matrix: Matrix {
                strategies: Some(self.strategies.iter().map(|s| s.to_string()).collect()),
                states: Some(self.states.iter().map(|s| s.to_string()).collect()),
                changes: Some(self.changes.iter().map(|s| s.to_string()).collect()),
                builders: Some(self.builders.iter().map(|s| s.to_string()).collect()),
                // On an engine cachebench does not own and no store named, the
                // engine's own store is used (env.json and the records say which).
                image_stores: (self.image_stores_given || self.docker_host.is_none())
                    .then(|| self.image_stores.iter().map(|s| s.to_string()).collect()),
                container_strategies: self
                    .container_strategies
                    .as_ref()
                    .map(|v| v.iter().map(|s| s.to_string()).collect()),
            },
            run: RunSection {
                reps: Some(i64::from(self.reps)),
                warmup: Some(i64::from(self.warmup)),
                timeout: self
                    .timeout
                    .map(|t| humantime::format_duration(t).to_string()),
                out: self.out.clone(),
                registry_cache_output: Some(
                    match self.registry_cache_output {
                        CacheOutput::Load => "load",
                        CacheOutput::Push => "push",
                    }
                    .into(),
                ),
            },
            engine: EngineSection {
                docker_host: self.docker_host.clone(),
                allow_prune: Some(self.allow_prune),
                buildkit_image: Some(self.buildkit_image.clone()),
                seed_images: Some(self.seed_images.clone()),
                egress_probe: self.egress_probe.clone(),
            },
            registry: RegistrySection {
                address: self.registry.clone(),
            },
        };
        let mut s = String::from("# the resolved scenario of this run, written by cachebench\n");
        s.push_str(&toml::to_string(&sc).unwrap_or_default());
        s
    }
}
