//! (2) Where the time goes: per cell, the medians of its phases stacked, one colour
//! per phase group ([`PhaseGroup`]), the same colours as every other chart's legend.

use super::frame::{
    draw_legend, e2s, legend_headroom, legend_square, row_chart, row_label, row_y, DrawResult,
};
use crate::report::analysis::Analysis;
use crate::report::cell_stats::CellStats;
use crate::report::colours::{Meaning, PhaseGroup};
use plotters::prelude::*;

/// The median seconds of each phase group of a cell, in [`PhaseGroup::ALL`] order
/// (a group's value is the sum of its phases' medians).
pub fn group_seconds(c: &CellStats) -> Vec<(PhaseGroup, f64)> {
    PhaseGroup::ALL
        .iter()
        .map(|g| {
            let s: f64 = c
                .phases
                .iter()
                .filter(|p| PhaseGroup::of(&p.phase) == *g)
                .map(|p| p.stats.median / 1000.0)
                .sum();
            (*g, s)
        })
        .collect()
}

/// (2) Stacked phase-group medians per cell.
pub fn draw_phases<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    a: &Analysis,
    subj: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let cells: Vec<&CellStats> = a.cells.iter().filter(|c| !c.phases.is_empty()).collect();
    let labels: Vec<String> = cells.iter().map(|c| row_label(a, c)).collect();
    let groups: Vec<Vec<(PhaseGroup, f64)>> = cells.iter().map(|c| group_seconds(c)).collect();
    let xmax = groups
        .iter()
        .map(|g| g.iter().map(|(_, s)| s).sum::<f64>())
        .fold(0.0, f64::max)
        * legend_headroom(&labels, 250);
    let title = format!("Where the time goes (median per phase) — {subj}");
    let mut chart = row_chart(
        &root,
        title,
        &labels,
        xmax,
        "time (s), median of each phase, stacked",
    )?;
    let rows = cells.len();
    for (gi, group) in PhaseGroup::ALL.iter().enumerate() {
        let col = Meaning::Phase(*group).rgb();
        let mut rects = vec![];
        for (i, g) in groups.iter().enumerate() {
            let start: f64 = g[..gi].iter().map(|(_, s)| s).sum();
            let len = g[gi].1;
            if len > 0.0 {
                let y = row_y(rows, i);
                rects.push(Rectangle::new(
                    [(start, y - 0.35), (start + len, y + 0.35)],
                    col.filled(),
                ));
            }
        }
        if rects.is_empty() {
            continue;
        }
        chart
            .draw_series(rects)
            .map_err(e2s)?
            .label(group.label())
            .legend(legend_square(col));
    }
    draw_legend(&mut chart)?;
    root.present().map_err(e2s)
}
