//! Wall-time charts: (1) the median of each cell as a bar with a min–max whisker;
//! (3) every measured run as a dot, outliers as crosses, disturbed runs as rings,
//! the median as a tick. All in the wall-time colour: shape, not colour, tells a
//! run from an outlier.

use super::frame::{
    draw_legend, e2s, legend_headroom, legend_square, row_chart, row_label, row_y, DrawResult,
};
use crate::report::analysis::Analysis;
use crate::report::cell_stats::CellStats;
use crate::report::colours::Meaning;
use plotters::prelude::*;

/// The cells with a wall time, their row labels, and the x-axis end: the slowest
/// run, widened so the row legend (`legend_px` wide) leaves the bars visible.
fn wall_rows(a: &Analysis, legend_px: u32) -> (Vec<&CellStats>, Vec<String>, f64) {
    let cells: Vec<&CellStats> = a.cells.iter().filter(|c| c.wall.is_some()).collect();
    let labels: Vec<String> = cells.iter().map(|c| row_label(a, c)).collect();
    let xmax = cells
        .iter()
        .filter_map(|c| c.wall.as_ref())
        .map(|w| w.max as f64 / 1000.0)
        .chain(
            cells
                .iter()
                .flat_map(|c| c.disturbed_ms.iter().map(|&ms| ms as f64 / 1000.0)),
        )
        .fold(0.0, f64::max)
        * legend_headroom(&labels, legend_px);
    (cells, labels, xmax)
}

/// The `k`th run's height in a row at `y`: a small deterministic vertical jitter so
/// equal times stay visible.
fn jitter(y: f64, k: usize) -> f64 {
    y + ((k % 5) as f64 - 2.0) * 0.06
}

/// (1) Median wall time per cell, whiskers min–max.
pub fn draw_medians<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    a: &Analysis,
    subj: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (cells, labels, xmax) = wall_rows(a, 170);
    let title = format!("Median wall time per cell — {subj}");
    let mut chart = row_chart(&root, title, &labels, xmax, "wall time (s)")?;
    let rows = cells.len();
    let col = Meaning::Wall.rgb();
    let mut bars = vec![];
    let mut whiskers = vec![];
    for (i, c) in cells.iter().enumerate() {
        let y = row_y(rows, i);
        let w = c.wall.as_ref().expect("filtered");
        bars.push(Rectangle::new(
            [(0.0, y - 0.3), (w.median / 1000.0, y + 0.3)],
            col.filled(),
        ));
        let (lo, hi) = (w.min as f64 / 1000.0, w.max as f64 / 1000.0);
        whiskers.push(PathElement::new(
            vec![(lo, y), (hi, y)],
            BLACK.stroke_width(1),
        ));
        for x in [lo, hi] {
            whiskers.push(PathElement::new(
                vec![(x, y - 0.15), (x, y + 0.15)],
                BLACK.stroke_width(1),
            ));
        }
    }
    chart
        .draw_series(bars)
        .map_err(e2s)?
        .label("median wall time")
        .legend(legend_square(col));
    chart
        .draw_series(whiskers)
        .map_err(e2s)?
        .label("min–max of the runs")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 12, y)], BLACK.stroke_width(1)));
    draw_legend(&mut chart)?;
    root.present().map_err(e2s)
}

/// (3) Every measured ok run as a dot per cell; outliers as crosses; disturbed runs
/// (not samples) as hollow rings; the median (of the samples) as a vertical tick.
pub fn draw_runs<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    a: &Analysis,
    subj: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (cells, labels, xmax) = wall_rows(a, 200);
    let title = format!("Every measured run — {subj}");
    let mut chart = row_chart(&root, title, &labels, xmax, "wall time (s)")?;
    let rows = cells.len();
    let col = Meaning::Wall.rgb();
    let mut dots = vec![];
    let mut outs = vec![];
    let mut rings = vec![];
    let mut medians = vec![];
    for (i, c) in cells.iter().enumerate() {
        let y = row_y(rows, i);
        for (k, s) in c.samples.iter().enumerate() {
            let jy = jitter(y, k);
            let x = s.wall_ms as f64 / 1000.0;
            if s.outlier {
                outs.push(Cross::new((x, jy), 6, col.stroke_width(2)));
            } else {
                dots.push(Circle::new((x, jy), 4, col.mix(0.6).filled()));
            }
        }
        for (k, &ms) in c.disturbed_ms.iter().enumerate() {
            let jy = jitter(y, k);
            rings.push(Circle::new(
                (ms as f64 / 1000.0, jy),
                4,
                col.stroke_width(1),
            ));
        }
        if let Some(w) = &c.wall {
            let m = w.median / 1000.0;
            medians.push(PathElement::new(
                vec![(m, y - 0.35), (m, y + 0.35)],
                col.stroke_width(3),
            ));
        }
    }
    chart
        .draw_series(dots)
        .map_err(e2s)?
        .label("run")
        .legend(move |(x, y)| Circle::new((x + 6, y), 4, col.mix(0.6).filled()));
    chart
        .draw_series(medians)
        .map_err(e2s)?
        .label("median")
        .legend(move |(x, y)| {
            PathElement::new(vec![(x + 6, y - 6), (x + 6, y + 6)], col.stroke_width(3))
        });
    if !outs.is_empty() {
        chart
            .draw_series(outs)
            .map_err(e2s)?
            .label("outlier (|modified z| > 3.5)")
            .legend(move |(x, y)| Cross::new((x + 6, y), 5, col.stroke_width(2)));
    }
    if !rings.is_empty() {
        chart
            .draw_series(rings)
            .map_err(e2s)?
            .label("disturbed (CPU stolen; not a sample)")
            .legend(move |(x, y)| Circle::new((x + 6, y), 4, col.stroke_width(1)));
    }
    draw_legend(&mut chart)?;
    root.present().map_err(e2s)
}
