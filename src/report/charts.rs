//! Charts (plotters; SVG always, PNG when asked): (1) median wall time per strategy
//! grouped by state × change with min–max whiskers; (2) stacked phase medians per
//! cell; (3) every run as a dot per cell, outliers marked; (4) cache footprint per
//! strategy, only when footprint data is given. Text is laid out with a system
//! sans-serif font (fontconfig); when none is found a chart fails with a warning and
//! the report is written without it.

use crate::report::analysis::{Analysis, CellStats};
use crate::report::env::EnvInfo;
use crate::report::export::ChartRef;
use crate::report::labels;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

/// Registry footprint of one strategy (bytes one run leaves in the registry), when measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Footprint {
    pub strategy: String,
    pub builder: String,
    pub bytes: u64,
    /// `containerd` or `classic`.
    pub image_store: String,
}

/// Width of the PNG and SVG charts, px.
pub const CHART_WIDTH: u32 = 1000;

const PALETTE: [RGBColor; 12] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
    RGBColor(174, 199, 232),
    RGBColor(255, 187, 120),
];

fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

type DrawResult = Result<(), String>;

fn e2s<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// The legend box every chart uses.
fn draw_legend<'a, DB, CT>(
    chart: &mut ChartContext<'a, DB, CT>,
    pos: SeriesLabelPosition,
) -> DrawResult
where
    DB: DrawingBackend + 'a,
    CT: plotters::coord::CoordTranslate,
{
    chart
        .configure_series_labels()
        .position(pos)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 13))
        .draw()
        .map_err(e2s)
}

/// Subtitle naming the workload and the engine.
fn subject(a: &Analysis, env: Option<&EnvInfo>) -> String {
    let engine = env
        .and_then(|e| e.engine_version.as_deref())
        .unwrap_or("unknown");
    format!("{} on Docker engine {engine}", a.workloads.join(", "))
}

fn group_label(c: &CellStats) -> String {
    format!("{} · {}", c.key.state, c.key.change)
}

fn series_label(a: &Analysis, c: &CellStats) -> String {
    match labels::runs_on(a, &c.key.builder, &c.key.image_store) {
        Some(on) => format!("{} [{on}]", c.key.strategy),
        None => c.key.strategy.clone(),
    }
}

fn row_label(a: &Analysis, c: &CellStats) -> String {
    format!("{} · {}", group_label(c), series_label(a, c))
}

/// (1) Median wall time per strategy, grouped by state × change, whiskers min–max.
fn draw_medians<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    a: &Analysis,
    subj: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(e2s)?;
    let cells: Vec<&CellStats> = a.cells.iter().filter(|c| c.wall.is_some()).collect();
    let mut groups: Vec<String> = vec![];
    let mut series: Vec<String> = vec![];
    for c in &cells {
        let g = group_label(c);
        if !groups.contains(&g) {
            groups.push(g);
        }
        let s = series_label(a, c);
        if !series.contains(&s) {
            series.push(s);
        }
    }
    let ymax = cells
        .iter()
        .filter_map(|c| c.wall.as_ref())
        .map(|w| w.max as f64 / 1000.0)
        .fold(0.0, f64::max)
        * 1.1;
    let g_count = groups.len();
    let mut overlay = ChartBuilder::on(&root)
        .caption(
            format!("Median wall time per strategy — {subj}"),
            ("sans-serif", 20),
        )
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..g_count as f64, 0.0..ymax.max(1.0))
        .map_err(e2s)?;
    overlay
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(TRANSPARENT)
        .x_desc("state · change")
        .y_desc("wall time (s), bar = median, whisker = min–max")
        .x_labels(0)
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(e2s)?;
    // Group names centred under each group (plotters' key points need not fall there).
    let style =
        TextStyle::from(("sans-serif", 14).into_font()).pos(Pos::new(HPos::Center, VPos::Top));
    for (g, name) in groups.iter().enumerate() {
        let (px, py) = overlay.backend_coord(&(g as f64 + 0.5, 0.0));
        root.draw(&Text::new(name.clone(), (px, py + 6), style.clone()))
            .map_err(e2s)?;
    }
    let n = series.len().max(1) as f64;
    for (si, s) in series.iter().enumerate() {
        let col = color(si);
        let mut first = true;
        for c in cells.iter().filter(|c| &series_label(a, c) == s) {
            let g = groups
                .iter()
                .position(|x| *x == group_label(c))
                .unwrap_or(0) as f64;
            let w = c.wall.as_ref().expect("filtered");
            let x0 = g + 0.1 + 0.8 * si as f64 / n;
            let x1 = x0 + 0.8 / n * 0.9;
            let xm = (x0 + x1) / 2.0;
            let bar = Rectangle::new([(x0, 0.0), (x1, w.median / 1000.0)], col.filled());
            let ann = overlay.draw_series(std::iter::once(bar)).map_err(e2s)?;
            if first {
                ann.label(s.clone()).legend(move |(x, y)| {
                    Rectangle::new([(x, y - 6), (x + 12, y + 6)], col.filled())
                });
                first = false;
            }
            let (lo, hi) = (w.min as f64 / 1000.0, w.max as f64 / 1000.0);
            let cap = (x1 - x0) / 4.0;
            overlay
                .draw_series([
                    PathElement::new(vec![(xm, lo), (xm, hi)], BLACK.stroke_width(1)),
                    PathElement::new(vec![(xm - cap, lo), (xm + cap, lo)], BLACK.stroke_width(1)),
                    PathElement::new(vec![(xm - cap, hi), (xm + cap, hi)], BLACK.stroke_width(1)),
                ])
                .map_err(e2s)?;
        }
    }
    overlay
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .draw()
        .map_err(e2s)?;
    root.present().map_err(e2s)
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
fn legend_headroom(labels: &[String], legend_px: u32) -> f64 {
    let plot = f64::from(CHART_WIDTH - 30 - row_label_width(labels));
    plot / (plot - f64::from(legend_px + 20)).max(plot / 3.0)
}

/// Horizontal layout helper: rows top to bottom, `labels[i]` is row i.
fn row_chart<'a, DB: DrawingBackend + 'a>(
    root: &'a DrawingArea<DB, plotters::coord::Shift>,
    title: String,
    labels: &'a [String],
    xmax: f64,
    xdesc: &str,
) -> Result<
    ChartContext<
        'a,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    String,
>
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

fn row_y(rows: usize, i: usize) -> f64 {
    (rows - 1 - i) as f64
}

/// (2) Stacked phase medians per cell.
fn draw_phases<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    a: &Analysis,
    subj: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let cells: Vec<&CellStats> = a.cells.iter().filter(|c| !c.phases.is_empty()).collect();
    let labels: Vec<String> = cells.iter().map(|c| row_label(a, c)).collect();
    let mut phase_names: Vec<String> = vec![];
    for c in &cells {
        for p in &c.phases {
            if !phase_names.contains(&p.phase) {
                phase_names.push(p.phase.clone());
            }
        }
    }
    let xmax = cells
        .iter()
        .map(|c| c.phases.iter().map(|p| p.stats.median).sum::<f64>() / 1000.0)
        .fold(0.0, f64::max)
        * legend_headroom(&labels, 135);
    let title = format!("Where the time goes (median per phase) — {subj}");
    let mut chart = row_chart(
        &root,
        title,
        &labels,
        xmax,
        "time (s), median of each phase, stacked",
    )?;
    let rows = cells.len();
    for (pi, name) in phase_names.iter().enumerate() {
        let col = color(pi);
        let mut rects = vec![];
        for (i, c) in cells.iter().enumerate() {
            let start: f64 = c
                .phases
                .iter()
                .take_while(|p| &p.phase != name)
                .map(|p| p.stats.median / 1000.0)
                .sum();
            if let Some(p) = c.phases.iter().find(|p| &p.phase == name) {
                let y = row_y(rows, i);
                rects.push(Rectangle::new(
                    [
                        (start, y - 0.35),
                        (start + p.stats.median / 1000.0, y + 0.35),
                    ],
                    col.filled(),
                ));
            }
        }
        chart
            .draw_series(rects)
            .map_err(e2s)?
            .label(name.clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 12, y + 6)], col.filled()));
    }
    draw_legend(&mut chart, SeriesLabelPosition::LowerRight)?;
    root.present().map_err(e2s)
}

/// (3) Every measured ok run as a dot per cell; outliers as red crosses; the median
/// as a vertical black tick.
fn draw_runs<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    a: &Analysis,
    subj: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let cells: Vec<&CellStats> = a.cells.iter().filter(|c| c.wall.is_some()).collect();
    let labels: Vec<String> = cells.iter().map(|c| row_label(a, c)).collect();
    let xmax = cells
        .iter()
        .filter_map(|c| c.wall.as_ref())
        .map(|w| w.max as f64 / 1000.0)
        .fold(0.0, f64::max)
        * legend_headroom(&labels, 200);
    let title = format!("Every measured run — {subj}");
    let mut chart = row_chart(&root, title, &labels, xmax, "wall time (s)")?;
    let rows = cells.len();
    let mut dots = vec![];
    let mut outs = vec![];
    let mut medians = vec![];
    for (i, c) in cells.iter().enumerate() {
        let y = row_y(rows, i);
        for (k, s) in c.samples.iter().enumerate() {
            // Small deterministic vertical jitter so equal times stay visible.
            let jy = y + ((k % 5) as f64 - 2.0) * 0.06;
            if s.outlier {
                outs.push(Cross::new(
                    (s.wall_ms as f64 / 1000.0, jy),
                    6,
                    RED.stroke_width(2),
                ));
            } else {
                dots.push(Circle::new(
                    (s.wall_ms as f64 / 1000.0, jy),
                    4,
                    color(0).mix(0.7).filled(),
                ));
            }
        }
        if let Some(w) = &c.wall {
            let m = w.median / 1000.0;
            medians.push(PathElement::new(
                vec![(m, y - 0.35), (m, y + 0.35)],
                BLACK.stroke_width(2),
            ));
        }
    }
    chart
        .draw_series(dots)
        .map_err(e2s)?
        .label("run")
        .legend(|(x, y)| Circle::new((x + 6, y), 4, color(0).filled()));
    chart
        .draw_series(medians)
        .map_err(e2s)?
        .label("median")
        .legend(|(x, y)| {
            PathElement::new(vec![(x + 6, y - 6), (x + 6, y + 6)], BLACK.stroke_width(2))
        });
    if !outs.is_empty() {
        chart
            .draw_series(outs)
            .map_err(e2s)?
            .label("outlier (|modified z| > 3.5)")
            .legend(|(x, y)| Cross::new((x + 6, y), 5, RED.stroke_width(2)));
    }
    draw_legend(&mut chart, SeriesLabelPosition::LowerRight)?;
    root.present().map_err(e2s)
}

/// (4) Registry footprint per strategy.
fn draw_footprint<DB: DrawingBackend>(
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
    let xmax = fp.iter().map(|f| f.bytes as f64 / 1e6).fold(0.0, f64::max) * 1.1;
    let mut chart = row_chart(
        &root,
        format!("Registry footprint per run — {subj}"),
        &labels,
        xmax,
        "MB one run leaves in the registry (image, attestation and cache manifests and blobs)",
    )?;
    let rows = fp.len();
    chart
        .draw_series(fp.iter().enumerate().map(|(i, f)| {
            let y = row_y(rows, i);
            Rectangle::new(
                [(0.0, y - 0.35), (f.bytes as f64 / 1e6, y + 0.35)],
                color(i).filled(),
            )
        }))
        .map_err(e2s)?;
    root.present().map_err(e2s)
}

/// Which chart, for [`draw_one`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Medians,
    Phases,
    Runs,
    Footprint,
}

fn draw_one<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    kind: Kind,
    a: &Analysis,
    fp: &[Footprint],
    subj: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    match kind {
        Kind::Medians => draw_medians(root, a, subj),
        Kind::Phases => draw_phases(root, a, subj),
        Kind::Runs => draw_runs(root, a, subj),
        Kind::Footprint => draw_footprint(root, fp, a, subj),
    }
}

/// Draws every applicable chart into `charts_dir` as `<stem>.svg` (and `.png` when
/// `png`). Returns the charts drawn (paths relative to the results folder, i.e.
/// `charts/<stem>`) and warnings for charts that were skipped or failed.
pub fn write_charts(
    charts_dir: &Path,
    a: &Analysis,
    env: Option<&EnvInfo>,
    footprint: Option<&[Footprint]>,
    png: bool,
) -> (Vec<ChartRef>, Vec<String>) {
    let subj = subject(a, env);
    let fp = footprint.unwrap_or(&[]);
    let rows_with_wall = a.cells.iter().filter(|c| c.wall.is_some()).count();
    let rows_with_phases = a.cells.iter().filter(|c| !c.phases.is_empty()).count();
    let row_height = |rows: usize| 120 + 34 * rows as u32;
    let mut plan: Vec<(Kind, &str, &str, (u32, u32))> = vec![];
    let mut warnings = vec![];
    if rows_with_wall > 0 {
        plan.push((
            Kind::Medians,
            "median-wall",
            "Median wall time per strategy",
            (CHART_WIDTH, 600),
        ));
        plan.push((
            Kind::Runs,
            "runs",
            "Every measured run",
            (CHART_WIDTH, row_height(rows_with_wall)),
        ));
    } else {
        warnings.push("no successful measured run: no wall-time charts".to_string());
    }
    if rows_with_phases > 0 {
        plan.push((
            Kind::Phases,
            "phases",
            "Where the time goes",
            (CHART_WIDTH, row_height(rows_with_phases)),
        ));
    }
    if !fp.is_empty() {
        plan.push((
            Kind::Footprint,
            "footprint",
            "Registry footprint per strategy",
            (CHART_WIDTH, row_height(fp.len())),
        ));
    }
    if plan.is_empty() {
        return (vec![], warnings);
    }
    if let Err(e) = std::fs::create_dir_all(charts_dir) {
        warnings.push(format!(
            "{}: cannot create ({e}); no charts",
            charts_dir.display()
        ));
        return (vec![], warnings);
    }
    let mut drawn = vec![];
    for (kind, stem, title, size) in plan {
        let mut svg = String::new();
        let res = draw_one(
            SVGBackend::with_string(&mut svg, size).into_drawing_area(),
            kind,
            a,
            fp,
            &subj,
        );
        if let Err(e) = res {
            warnings.push(format!(
                "chart {stem} not drawn: {e} (is a sans-serif font and fontconfig installed?)"
            ));
            continue;
        }
        let svg_path = charts_dir.join(format!("{stem}.svg"));
        if let Err(e) = std::fs::write(&svg_path, svg) {
            warnings.push(format!("{}: {e}", svg_path.display()));
            continue;
        }
        let mut has_png = false;
        if png {
            let png_path = charts_dir.join(format!("{stem}.png"));
            match draw_one(
                BitMapBackend::new(&png_path, size).into_drawing_area(),
                kind,
                a,
                fp,
                &subj,
            ) {
                Ok(()) => has_png = true,
                Err(e) => {
                    let _ = std::fs::remove_file(&png_path);
                    warnings.push(format!("chart {stem}: PNG not drawn ({e}); SVG only"));
                }
            }
        }
        drawn.push(ChartRef {
            stem: format!("charts/{stem}"),
            title: title.to_string(),
            png: has_png,
        });
    }
    (drawn, warnings)
}
