//! `## Hosts`, in the report of a folder `cachebench merge` wrote: which shard ran
//! on which host and which cells, the hosts' CPU, engine, store and driver, and
//! the fields in which they differ (the Decision then compares only cells of one
//! host: [`crate::report::decision::hosts`]).

use crate::records::environment::host_differences;
use crate::report::export::ReportData;
use std::fmt::Write;

/// Writes the section; nothing for a folder of one run.
pub fn section(out: &mut String, data: &ReportData<'_>) {
    let Some(env) = data.env.filter(|e| !e.hosts.is_empty()) else {
        return;
    };
    out.push_str("## Hosts\n\n");
    let _ = writeln!(
        out,
        "Merged from {} shard(s) (`cachebench merge`); each round group (image store × builder × state) ran on one host.\n",
        env.hosts.len()
    );
    out.push_str("| shard | host | CPU | cores | engine | image store | driver | CI runner | round groups | cells |\n");
    out.push_str("|---|---|---|--:|---|---|---|---|---|--:|\n");
    let cell = |v: Option<String>| v.unwrap_or_else(|| "unknown".into()).replace('|', "\\|");
    for h in &env.hosts {
        let e = &h.env;
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            h.shard,
            cell(Some(h.host.clone())),
            cell(e.cpu_model.clone()),
            cell(e.cpu_cores.map(|n| n.to_string())),
            cell(e.engine_version.clone()),
            cell(e.image_store.clone()),
            cell(e.driver.clone()),
            cell(e.ci.as_ref().map(|c| c.runner_words()).or(Some("–".into()))),
            cell(Some(h.units.join(", "))),
            h.cells.len()
        );
    }
    out.push('\n');
    differences_and_cells(out, &env.hosts);
}

/// The same for github.md, as a list (a ten-column table does not fit GitHub's
/// 890 px column): one line per shard with its host's figures and round groups.
pub fn compact(out: &mut String, data: &ReportData<'_>) {
    let Some(env) = data.env.filter(|e| !e.hosts.is_empty()) else {
        return;
    };
    let _ = writeln!(
        out,
        "## Hosts\n\nMerged from {} shard(s); each round group ran on one host.\n",
        env.hosts.len()
    );
    let or = |v: Option<String>| v.unwrap_or_else(|| "unknown".into());
    for h in &env.hosts {
        let e = &h.env;
        let _ = writeln!(
            out,
            "- **{}** on {}: {}, {} cores, engine {}, {} store, {} driver; {}",
            h.shard,
            h.host,
            or(e.cpu_model.clone()),
            or(e.cpu_cores.map(|n| n.to_string())),
            or(e.engine_version.clone()),
            or(e.image_store.clone()),
            or(e.driver.clone()),
            h.units.join(", ")
        );
    }
    out.push('\n');
    differences_and_cells(out, &env.hosts);
}

/// Whether the hosts differ (and in what), then each host's cells.
fn differences_and_cells(out: &mut String, hosts: &[crate::records::environment::HostEnv]) {
    let differ = host_differences(hosts);
    if differ.is_empty() {
        out.push_str(
            "The hosts agree in CPU model, cores, engine version, image store, driver and BuildKit version.\n\n",
        );
    } else {
        out.push_str(
            "**The hosts differ**, so times measured on different hosts are not compared:\n\n",
        );
        for d in differ {
            let _ = writeln!(out, "- {d}");
        }
        out.push('\n');
    }
    for h in hosts {
        let _ = writeln!(out, "- {} ({}): {}", h.host, h.shard, h.cells.join(", "));
    }
    out.push('\n');
}
