//! The resolved scenario of a run as TOML ([`Options::to_toml`]): every key with the
//! value the run uses, written to OUT as `scenario.toml` and read back by `--resume`.

use super::Options;
use crate::config::cost::CostSection;
use crate::config::scenario::NameList;
use toml::Spanned;

/// A value written by cachebench, not read from a file: it has no span.
fn unread<T>(value: T) -> Spanned<T> {
    Spanned::new(0..0, value)
}

/// Names as a scenario list.
fn list<T: std::fmt::Display>(names: &[T]) -> NameList {
    unread(names.iter().map(|s| unread(s.to_string())).collect())
}

impl Options {
    /// The resolved scenario as TOML: every key with the value this run uses, so a
    /// results folder says exactly what ran (and `--resume` can tell if it changed).
    pub fn to_toml(&self) -> String {
        use crate::config::scenario::*;
        let sc = Scenario {
            name: Some(unread(self.scenario_name.clone())),
            workload: Workload {
                context: Some(unread(self.context.clone())),
                dockerfile: Some(unread(self.dockerfile.clone())),
                source_file: self.source_file.clone().map(unread),
                deps_file: self.deps_file.clone().map(unread),
                change_script: self.change_script.clone().map(unread),
                build_args: self
                    .build_args
                    .iter()
                    .map(|(k, v)| (k.clone(), unread(v.clone())))
                    .collect(),
            },
            matrix: Matrix {
                strategies: Some(list(&self.strategies)),
                states: Some(list(&self.states)),
                changes: Some(list(&self.changes)),
                builders: Some(list(&self.builders)),
                // On an engine cachebench does not own and no store named, the
                // engine's own store is used (env.json and the records say which).
                image_stores: (self.image_stores_given || self.docker_host.is_none())
                    .then(|| list(&self.image_stores)),
                container_strategies: self.container_strategies.as_ref().map(|v| list(v)),
                // Written only when a link is swept or set, so the resolved scenario
                // of a run without links reads as it always did (and `--resume`
                // of an older folder matches).
                links: (self.link_names() != [crate::config::matrix::NO_LINK])
                    .then(|| list(&self.link_names())),
            },
            run: RunSection {
                reps: Some(unread(match &self.auto {
                    Some(_) => crate::config::reps::RepsValue::Word("auto".into()),
                    None => crate::config::reps::RepsValue::Count(i64::from(self.reps)),
                })),
                min_reps: self.auto.as_ref().map(|a| unread(i64::from(a.min_reps))),
                max_reps: self.auto.as_ref().map(|a| unread(i64::from(a.max_reps))),
                confidence: self.auto.as_ref().map(|a| unread(a.confidence)),
                margin: self.auto.as_ref().map(|a| unread(a.margin)),
                margin_floor: self.auto.as_ref().map(|a| {
                    unread(
                        humantime::format_duration(std::time::Duration::from_secs_f64(
                            a.margin_floor_s,
                        ))
                        .to_string(),
                    )
                }),
                // Written only when off, so the resolved scenario of a raced run
                // reads as before (and `--resume` of an older folder matches).
                race: self
                    .auto
                    .as_ref()
                    .filter(|a| !a.race)
                    .map(|_| unread(false)),
                change_mix: Some(unread(
                    self.change_mix
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(","),
                )),
                disturbed_share: Some(unread(self.disturbed_share)),
                warmup: Some(unread(i64::from(self.warmup))),
                timeout: self
                    .timeout
                    .map(|t| unread(humantime::format_duration(t).to_string())),
                out: self.out.clone(),
                registry_cache_output: Some(unread(self.registry_cache_output.name().into())),
                local_cache_rotate: Some(self.local_cache_rotate),
                gha_protocol: Some(unread(self.gha_protocol.name().into())),
                cache_mode: Some(unread(self.cache_mode.name().into())),
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
            cost: self.prices.as_ref().map(|p| CostSection {
                storage_per_gb_month: Some(unread(p.storage_per_gb_month)),
                transfer_per_gb: Some(unread(p.transfer_per_gb)),
                currency: Some(unread(p.currency.clone())),
            }),
        };
        let mut s = String::from("# the resolved scenario of this run, written by cachebench\n");
        s.push_str(&toml::to_string(&sc).unwrap_or_default());
        s
    }
}
