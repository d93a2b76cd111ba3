//! Mermaid `xychart-beta` twins of the charts, for where no image can resolve (a
//! GitHub job summary or PR comment). Bars are horizontal, so the labels stack on
//! the left instead of running together under the axis; each chart sets its colours
//! from [`crate::report::colours`] (the same meanings as the PNG charts) and shows
//! its values in the bar labels (`registry-cache · 8.45 s`), or in a table beside it
//! where a bar is a stack: Mermaid 10 has no data labels (`showDataLabel` is 11's).

use crate::report::analysis::Analysis;
use crate::report::cell_stats::CellStats;
use crate::report::charts::footprint::MIB;
use crate::report::charts::phases::group_seconds;
use crate::report::charts::Footprint;
use crate::report::colours::{Meaning, PhaseGroup};
use crate::report::format::{fmt_bytes, fmt_ms};
use crate::report::labels;
use std::fmt::Write;

/// Height of a chart of `rows` bars, px: compact, about 45 px a bar.
fn height(rows: usize) -> usize {
    (110 + 45 * rows).max(220)
}

/// The init directive: colours in series order, data labels off (values are in the
/// labels or a table), the height for `rows` bars.
fn init(palette: &[String], rows: usize) -> String {
    format!(
        "%%{{init: {{\"xyChart\": {{\"showDataLabel\": false, \"height\": {}}}, \"themeVariables\": {{\"xyChart\": {{\"plotColorPalette\": \"{}\"}}}}}}}}%%",
        height(rows),
        palette.join(", ")
    )
}

/// A label Mermaid accepts inside `["…"]`: no double quotes.
fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "'"))
}

/// The axis maximum: a round number above `max`.
fn axis_max(max: f64) -> f64 {
    let m = max * 1.1;
    if m <= 1.0 {
        1.0
    } else if m <= 10.0 {
        m.ceil()
    } else {
        (m / 5.0).ceil() * 5.0
    }
}

fn xy(title: &str, names: &[String], ydesc: &str, max: f64, series: &[Vec<f64>]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "xychart-beta horizontal");
    let _ = writeln!(out, "    title {}", quote(title));
    let _ = writeln!(out, "    x-axis [{}]", names.join(", "));
    let _ = writeln!(out, "    y-axis {} 0 --> {}", quote(ydesc), axis_max(max));
    for s in series {
        let v: Vec<String> = s.iter().map(|x| format!("{x:.2}")).collect();
        let _ = writeln!(out, "    bar [{}]", v.join(", "));
    }
    out
}

fn strategy_name(a: &Analysis, c: &CellStats) -> String {
    match labels::runs_on(a, &c.key.builder, &c.key.image_store) {
        Some(on) => format!("{} [{on}]", c.key.strategy),
        None => c.key.strategy.clone(),
    }
}

fn strategy_label(a: &Analysis, c: &CellStats) -> String {
    quote(&strategy_name(a, c))
}

/// Median wall time of `cells` (one group), in the wall-time colour, with values.
pub fn wall_chart(a: &Analysis, title: &str, cells: &[&CellStats]) -> Option<String> {
    let cells: Vec<&&CellStats> = cells.iter().filter(|c| c.wall.is_some()).collect();
    if cells.is_empty() {
        return None;
    }
    let names: Vec<String> = cells
        .iter()
        .filter_map(|c| {
            let w = c.wall.as_ref()?;
            Some(quote(&format!(
                "{} · {}",
                strategy_name(a, c),
                fmt_ms(w.median)
            )))
        })
        .collect();
    let medians: Vec<f64> = cells
        .iter()
        .filter_map(|c| c.wall.as_ref())
        .map(|w| w.median / 1000.0)
        .collect();
    let max = medians.iter().copied().fold(0.0, f64::max);
    Some(format!(
        "```mermaid\n{}\n{}```\n",
        init(&[Meaning::Wall.hex()], names.len()),
        xy(
            &format!("{title}: median wall time (s)"),
            &names,
            "median wall time (s)",
            max,
            &[medians]
        )
    ))
}

/// Where the time goes in `cells` (one group): phase groups stacked. Mermaid does
/// not stack bars, so each series is a running total drawn longest first, each
/// over the previous one; the values are in the table beside it, whose header is
/// the colour legend.
pub fn phases_chart(a: &Analysis, title: &str, cells: &[&CellStats]) -> Option<String> {
    let cells: Vec<&&CellStats> = cells.iter().filter(|c| !c.phases.is_empty()).collect();
    if cells.is_empty() {
        return None;
    }
    let groups: Vec<Vec<(PhaseGroup, f64)>> = cells.iter().map(|c| group_seconds(c)).collect();
    let used: Vec<usize> = (0..PhaseGroup::ALL.len())
        .filter(|&gi| groups.iter().any(|g| g[gi].1 > 0.0))
        .collect();
    let names: Vec<String> = cells.iter().map(|c| strategy_label(a, c)).collect();
    // Running totals, longest (every group) first.
    let mut series: Vec<Vec<f64>> = vec![];
    let mut palette: Vec<String> = vec![];
    for k in (0..used.len()).rev() {
        series.push(
            groups
                .iter()
                .map(|g| used[..=k].iter().map(|&gi| g[gi].1).sum())
                .collect(),
        );
        palette.push(Meaning::Phase(PhaseGroup::ALL[used[k]]).hex());
    }
    let max = series
        .first()
        .map_or(0.0, |s| s.iter().copied().fold(0.0, f64::max));
    let mut out = format!(
        "```mermaid\n{}\n{}```\n\n",
        init(&palette, names.len()),
        xy(
            &format!("{title}: where the time goes (s)"),
            &names,
            "median per phase, stacked (s)",
            max,
            &series
        )
    );
    let heads: Vec<String> = used
        .iter()
        .map(|&gi| {
            let g = PhaseGroup::ALL[gi];
            format!("{} {}", Meaning::Phase(g).square(), g.short())
        })
        .collect();
    let _ = writeln!(out, "| strategy | {} |", heads.join(" | "));
    let _ = writeln!(out, "|---|{}", "--:|".repeat(heads.len()));
    for (c, g) in cells.iter().zip(&groups) {
        let vals: Vec<String> = used.iter().map(|&gi| fmt_ms(g[gi].1 * 1000.0)).collect();
        let name = strategy_label(a, c);
        let _ = writeln!(out, "| {} | {} |", name.trim_matches('"'), vals.join(" | "));
    }
    Some(out)
}

/// MiB one run of each strategy leaves in the registry, in the registry colour;
/// the strategies that leave nothing are named under the chart (a zero bar's value
/// would sit on its axis label).
pub fn footprint_chart(a: &Analysis, fp: &[Footprint]) -> Option<String> {
    let name = |f: &Footprint| match labels::runs_on(a, &f.builder, &f.image_store) {
        Some(on) => format!("{} [{on}]", f.strategy),
        None => f.strategy.clone(),
    };
    let nothing: Vec<String> = fp.iter().filter(|f| f.bytes == 0).map(name).collect();
    let fp: Vec<&Footprint> = fp.iter().filter(|f| f.bytes > 0).collect();
    if fp.is_empty() {
        return None;
    }
    let names: Vec<String> = fp
        .iter()
        .map(|f| quote(&format!("{} · {}", name(f), fmt_bytes(f.bytes))))
        .collect();
    let mib: Vec<f64> = fp.iter().map(|f| f.bytes as f64 / MIB).collect();
    let max = mib.iter().copied().fold(0.0, f64::max);
    let tail = if nothing.is_empty() {
        String::new()
    } else {
        format!("\nNothing in the registry: {}.\n", nothing.join(", "))
    };
    Some(format!(
        "```mermaid\n{}\n{}```\n{tail}",
        init(&[Meaning::Registry.hex()], names.len()),
        xy(
            "Registry footprint per run (MiB)",
            &names,
            "MiB in the registry",
            max,
            &[mib]
        )
    ))
}

/// The colour legend of every chart, in Markdown.
pub fn legend() -> String {
    format!(
        "Colours mean the same in every chart: {} median wall time · {} MiB in the registry · phases: {}.\n",
        Meaning::Wall.square(),
        Meaning::Registry.square(),
        crate::report::colours::phase_legend()
    )
}

/// The charts of every group as Mermaid, then the footprint chart: the body of a
/// Charts section.
pub fn charts(out: &mut String, a: &Analysis) {
    for g in &a.groups {
        let title = crate::report::labels::group_title(a, g);
        let cells: Vec<&CellStats> = a.cells_of(g).collect();
        if let Some(m) = wall_chart(a, &title, &cells) {
            out.push_str(&m);
            out.push('\n');
        }
        if let Some(m) = phases_chart(a, &title, &cells) {
            out.push_str(&m);
            out.push('\n');
        }
    }
    if let Some(m) = crate::report::charts::footprint_from(a)
        .as_deref()
        .and_then(|fp| footprint_chart(a, fp))
    {
        out.push_str(&m);
        out.push('\n');
    }
}
