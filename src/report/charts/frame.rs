//! The frame every chart shares: one row per cell, labelled on the left, time or
//! bytes along the x axis, a title naming the workload and engine, and the legend
//! box. Each chart module draws only its marks into this frame.

use crate::records::environment::EnvInfo;
use crate::report::analysis::Analysis;
use crate::report::cell_stats::CellStats;
use crate::report::labels;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::CHART_WIDTH;

pub type DrawResult = Result<(), String>;

/// A row chart's drawing context.
pub type RowChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

pub fn e2s<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// The legend box every chart uses (lower right, beside the data: see
/// [`legend_headroom`]).
pub fn draw_legend<'a, DB: DrawingBackend + 'a>(chart: &mut RowChart<'a, DB>) -> DrawResult
where
    DB::ErrorType: 'static,
{
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 13))
        .draw()
        .map_err(e2s)
}

/// Subtitle naming the workload and the engine.
pub fn subject(a: &Analysis, env: Option<&EnvInfo>) -> String {
    let engine = env
        .and_then(|e| e.engine_version.as_deref())
        .unwrap_or("unknown");
    format!("{} on Docker engine {engine}", a.workloads.join(", "))
}

/// `state · change · strategy [builder, store]`.
pub fn row_label(a: &Analysis, c: &CellStats) -> String {
    let s = match labels::runs_on(a, &c.key.builder, &c.key.image_store) {
        Some(on) => format!("{} [{on}]", c.key.strategy),
        None => c.key.strategy.clone(),
    };
    format!("{} · {} · {s}", c.key.state, c.key.change)
}

/// Width of the row-label area: wide enough for the longest label at 13 px
/// (about 7 px a character in DejaVu Sans), so labels that name a store are not
/// clipped; at most half the chart.
fn row_label_width(labels: &[String]) -> u32 {
    let chars = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0) as u32;
    (chars * 7 + 24).clamp(120, CHART_WIDTH / 2)
}

/// How far to stretch the x axis past the longest bar (or slowest run) so that a
/// legend `legend_px` wide (lower right) sits beside the data, not on it: the plot is
/// what the row labels leave of the chart's width.
pub fn legend_headroom(labels: &[String], legend_px: u32) -> f64 {
    let plot = f64::from(CHART_WIDTH - 30 - row_label_width(labels));
    plot / (plot - f64::from(legend_px + 20)).max(plot / 3.0)
}

/// Height of a chart of `rows` rows, px.
pub fn row_height(rows: usize) -> u32 {
    120 + 34 * rows as u32
}

/// The frame: rows top to bottom, `labels[i]` is row i, x from 0 to `xmax`.
pub fn row_chart<'a, DB: DrawingBackend + 'a>(
    root: &'a DrawingArea<DB, plotters::coord::Shift>,
    title: String,
    labels: &'a [String],
    xmax: f64,
    xdesc: &str,
) -> Result<RowChart<'a, DB>, String>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(e2s)?;
    let rows = labels.len();
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 20))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(row_label_width(labels))
        .build_cartesian_2d(0.0..xmax.max(1.0), -0.5..(rows as f64 - 0.5))
        .map_err(e2s)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(TRANSPARENT)
        .y_labels(rows.max(1))
        .y_label_formatter(&move |v: &f64| {
            let r = v.round();
            if (v - r).abs() > 1e-6 || r < 0.0 {
                return String::new();
            }
            // Row 0 at the top.
            labels
                .get(rows - 1 - (r as usize).min(rows - 1))
                .cloned()
                .unwrap_or_default()
        })
        .x_desc(xdesc)
        .label_style(("sans-serif", 13))
        .draw()
        .map_err(e2s)?;
    Ok(chart)
}

/// The y of row `i` (row 0 at the top).
pub fn row_y(rows: usize, i: usize) -> f64 {
    (rows - 1 - i) as f64
}

/// A filled legend square of `colour`.
pub fn legend_square(colour: RGBColor) -> impl Fn((i32, i32)) -> Rectangle<(i32, i32)> {
    move |(x, y)| Rectangle::new([(x, y - 6), (x + 12, y + 6)], colour.filled())
}
