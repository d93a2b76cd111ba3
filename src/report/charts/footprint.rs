//! (4) Registry footprint: the MiB one run of each strategy leaves in the registry,
//! in the registry colour.

use super::frame::{
    draw_legend, e2s, legend_headroom, legend_square, row_chart, row_y, DrawResult,
};
use super::Footprint;
use crate::report::analysis::Analysis;
use crate::report::colours::Meaning;
use crate::report::labels;
use plotters::prelude::*;

/// Bytes in a MiB.
pub const MIB: f64 = 1024.0 * 1024.0;

/// (4) Registry footprint per strategy.
pub fn draw_footprint<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    fp: &[Footprint],
    a: &Analysis,
    subj: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let labels: Vec<String> = fp
        .iter()
        .map(|f| match labels::runs_on(a, &f.builder, &f.image_store) {
            Some(on) => format!("{} [{on}]", f.strategy),
            None => f.strategy.clone(),
        })
        .collect();
    let xmax =
        fp.iter().map(|f| f.bytes as f64 / MIB).fold(0.0, f64::max) * legend_headroom(&labels, 200);
    let mut chart = row_chart(
        &root,
        format!("Registry footprint per run — {subj}"),
        &labels,
        xmax,
        "MiB one run leaves in the registry (image, attestation and cache manifests and blobs)",
    )?;
    let rows = fp.len();
    let col = Meaning::Registry.rgb();
    chart
        .draw_series(fp.iter().enumerate().map(|(i, f)| {
            let y = row_y(rows, i);
            Rectangle::new(
                [(0.0, y - 0.35), (f.bytes as f64 / MIB, y + 0.35)],
                col.filled(),
            )
        }))
        .map_err(e2s)?
        .label("MiB in the registry")
        .legend(legend_square(col));
    draw_legend(&mut chart)?;
    root.present().map_err(e2s)
}
