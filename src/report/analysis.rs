//! From records to per-cell statistics and verdicts: each cell's statistics
//! ([`crate::report::cell_stats`]), speed relative to the fastest strategy of the
//! same image store × builder × state × change × link, and the verdict of each such group
//! by the one rule ([`crate::report::judge`]), read with the `--reps auto` rule that
//! stopped the records or looked at once.
//!
//! Samples are measured runs with status `ok` and a `wall_ms`; warm-ups are counted
//! but never sampled. Order is that of first appearance in the records (the order the
//! scenario ran the matrix), so output is deterministic for a given `runs.jsonl`.

use crate::records::cell_key::CellKey;
use crate::records::record::RunRecord;
use crate::records::report_settings::ReportSettings;
use crate::report::cell_stats::{push_unique, CellStats, Relative};
use crate::report::contention::Contention;
use crate::report::judge::{self, Contender};
use crate::stats::drift::Split;
use crate::stats::sequential::StopRule;
use crate::stats::summary::ratio_of_medians;
use crate::stats::two_cells::RunTime;
use crate::stats::verdict::Verdict;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An image store × builder × state × change group and its verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    pub builder: String,
    pub state: String,
    pub change: String,
    #[serde(default = "default_store")]
    pub image_store: String,
    /// The link the group's cells reached their caches over (`none`: no link).
    #[serde(default = "default_link")]
    pub link: String,
    /// What the group's cells say, by the one rule ([`crate::report::judge`]).
    pub verdict: Verdict<String>,
    /// A lead that is noise in the build, in a sentence.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

fn default_store() -> String {
    crate::records::cell_key::DEFAULT_IMAGE_STORE.to_string()
}

fn default_link() -> String {
    crate::records::cell_key::DEFAULT_LINK.to_string()
}

fn default_links() -> Vec<String> {
    vec![default_link()]
}

/// The analysis of a whole results folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    pub scenarios: Vec<String>,
    pub workloads: Vec<String>,
    pub strategies: Vec<String>,
    pub builders: Vec<String>,
    pub states: Vec<String>,
    pub changes: Vec<String>,
    /// Image stores, in order of first appearance (`containerd` for old records).
    #[serde(default)]
    pub image_stores: Vec<String>,
    /// Links, in order of first appearance (`none` for old records).
    #[serde(default = "default_links")]
    pub links: Vec<String>,
    /// Each link's figures as its records give them (`same-region` →
    /// `400mbit/2ms`), for links that have figures.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub link_figures: BTreeMap<String, String>,
    pub cells: Vec<CellStats>,
    pub groups: Vec<Group>,
    /// The `--reps auto` rule the runs were stopped by (from `stopping.json`), so
    /// that verdicts carry its correction for repeated looks; `None` for runs of a
    /// fixed count, read once.
    #[serde(skip)]
    pub stop_rule: Option<StopRule>,
    /// The rule asked for when the records are read once (runs of a fixed count):
    /// `None` for the defaults.
    #[serde(skip)]
    pub reading: Option<StopRule>,
    /// The change mix the Decision weighs changes by.
    #[serde(skip)]
    pub change_mix: BTreeMap<String, f64>,
    /// The host each cell ran on, in a folder `cachebench merge` wrote (records'
    /// `host`); empty otherwise.
    #[serde(skip)]
    pub hosts: BTreeMap<CellKey, String>,
    /// The scenario's `[cost]` prices, when given (the Decision then shows cost).
    #[serde(skip)]
    pub prices: Option<crate::records::report_settings::CostPrices>,
    /// The CPU the hypervisor took from the samples, when the records measured it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contention: Option<Contention>,
}

fn pos(v: &[String], s: &str) -> usize {
    v.iter().position(|x| x == s).unwrap_or(usize::MAX)
}

impl Analysis {
    /// The cells of one group, in the analysis's order.
    pub fn cells_of<'a>(&'a self, g: &'a Group) -> impl Iterator<Item = &'a CellStats> + 'a {
        self.cells.iter().filter(move |c| {
            c.key.image_store == g.image_store
                && c.key.link == g.link
                && c.key.builder == g.builder
                && c.key.state == g.state
                && c.key.change == g.change
        })
    }

    /// Analyses records (any order; measured runs are taken in `rep` order), read
    /// with the default rule, once.
    pub fn from_records(records: &[RunRecord]) -> Analysis {
        Analysis::read(records, None, &ReportSettings::default())
    }

    /// The rule this analysis reads its records with ([`judge::reading_rule`]).
    pub fn reading_rule(&self) -> StopRule {
        judge::reading_rule(self.stop_rule.as_ref(), self.reading.as_ref())
    }

    /// Analyses records, read with the rule of the `--reps auto` run that stopped
    /// them (`stopped_by`, from stopping.json), else with the settings' rule looked
    /// at once; the Decision weighs changes by the settings' mix.
    pub fn read(
        records: &[RunRecord],
        stopped_by: Option<StopRule>,
        settings: &ReportSettings,
    ) -> Analysis {
        let mut a = Analysis {
            scenarios: vec![],
            workloads: vec![],
            strategies: vec![],
            builders: vec![],
            states: vec![],
            changes: vec![],
            image_stores: vec![],
            links: vec![],
            link_figures: BTreeMap::new(),
            cells: vec![],
            groups: vec![],
            stop_rule: stopped_by,
            reading: Some(settings.rule.clone()),
            change_mix: settings.change_mix.clone(),
            hosts: BTreeMap::new(),
            prices: settings.prices.clone(),
            contention: Contention::of(records),
        };
        let mut keys: Vec<CellKey> = vec![];
        for r in records {
            push_unique(&mut a.scenarios, &r.scenario);
            push_unique(&mut a.workloads, &r.workload);
            push_unique(&mut a.strategies, &r.strategy);
            push_unique(&mut a.builders, &r.builder);
            push_unique(&mut a.states, &r.state);
            push_unique(&mut a.changes, &r.change);
            push_unique(&mut a.image_stores, &r.image_store);
            push_unique(&mut a.links, &r.link);
            if !r.link_figures.is_empty() {
                a.link_figures
                    .insert(r.link.clone(), r.link_figures.clone());
            }
            let k = r.cell();
            if !r.host.is_empty() {
                a.hosts.insert(k.clone(), r.host.clone());
            }
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        keys.sort_by_key(|k| {
            (
                pos(&a.image_stores, &k.image_store),
                pos(&a.builders, &k.builder),
                pos(&a.states, &k.state),
                pos(&a.changes, &k.change),
                pos(&a.links, &k.link),
                pos(&a.strategies, &k.strategy),
            )
        });
        a.cells = keys
            .into_iter()
            .map(|k| {
                let runs: Vec<&RunRecord> = records.iter().filter(|r| r.cell() == k).collect();
                crate::report::cell_stats::cell_stats(k, &runs)
            })
            .collect();
        a.compute_groups();
        a
    }

    fn compute_groups(&mut self) {
        let rule = self.reading_rule();
        let mut groups: Vec<(String, String, String, String, String)> = vec![];
        for c in &self.cells {
            let g = (
                c.key.image_store.clone(),
                c.key.builder.clone(),
                c.key.state.clone(),
                c.key.change.clone(),
                c.key.link.clone(),
            );
            if !groups.contains(&g) {
                groups.push(g);
            }
        }
        for (image_store, builder, state, change, link) in groups {
            let mut idx: Vec<usize> = (0..self.cells.len())
                .filter(|&i| {
                    let k = &self.cells[i].key;
                    k.link == link
                        && k.image_store == image_store
                        && k.builder == builder
                        && k.state == state
                        && k.change == change
                })
                .filter(|&i| self.cells[i].wall.is_some())
                .collect();
            // Fastest first; equal medians keep scenario order (stable sort).
            idx.sort_by(|&x, &y| {
                let mx = self.cells[x].wall.as_ref().map_or(f64::MAX, |s| s.median);
                let my = self.cells[y].wall.as_ref().map_or(f64::MAX, |s| s.median);
                mx.total_cmp(&my)
            });
            let times: Vec<Vec<RunTime>> = idx.iter().map(|&i| self.cells[i].times()).collect();
            let splits: Vec<Option<Vec<Split>>> =
                idx.iter().map(|&i| self.cells[i].splits()).collect();
            let contenders: Vec<Contender> = idx
                .iter()
                .enumerate()
                .map(|(k, &i)| Contender {
                    id: &self.cells[i].key.strategy,
                    state: &state,
                    no_cache: false,
                    median_ms: self.cells[i].wall.as_ref().map_or(f64::MAX, |s| s.median),
                    times: &times[k],
                    splits: splits[k].as_deref(),
                })
                .collect();
            let (verdict, note) = judge::judge(&contenders, &rule);
            if let Some(&first) = idx.first() {
                let best = self.cells[first].wall.clone().expect("filtered");
                let name = self.cells[first].key.strategy.clone();
                for &i in &idx {
                    let wall = self.cells[i].wall.as_ref().expect("filtered");
                    if let Some(ratio) = ratio_of_medians(wall, &best) {
                        self.cells[i].relative = Some(Relative {
                            fastest: name.clone(),
                            ratio,
                            standing: judge::standing(&verdict, &self.cells[i].key.strategy)
                                .to_string(),
                        });
                    }
                }
            }
            self.groups.push(Group {
                builder,
                state,
                change,
                image_store,
                link,
                verdict,
                notes: note.into_iter().collect(),
            });
        }
    }

    /// True when some cell's runs left something in the registry: only then are a
    /// footprint table and chart worth showing (a run that pushes nothing measures
    /// zero everywhere).
    pub fn left_anything_in_registry(&self) -> bool {
        self.cells
            .iter()
            .filter_map(|c| c.footprint.as_ref())
            .any(|f| f.manifests > 0 || f.bytes > 0)
    }

    /// Whether the records swept or set a link (any link but `none`).
    pub fn has_links(&self) -> bool {
        self.links
            .iter()
            .any(|l| l != crate::records::cell_key::DEFAULT_LINK)
    }

    /// The analysis of one link's cells and groups alone (the Decision answers
    /// each link on its own: a team has one link).
    pub fn for_link(&self, link: &str) -> Analysis {
        let mut a = self.clone();
        a.cells.retain(|c| c.key.link == link);
        a.groups.retain(|g| g.link == link);
        a.links = vec![link.to_string()];
        a
    }

    /// The cell with this key.
    pub fn cell(&self, key: &CellKey) -> Option<&CellStats> {
        self.cells.iter().find(|c| &c.key == key)
    }
}
