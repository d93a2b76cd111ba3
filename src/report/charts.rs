//! Charts (plotters; SVG always, PNG when asked), one row per cell in a shared
//! frame ([`frame`]): (1) median wall time with min–max whiskers and (3) every run
//! ([`wall`]); (2) stacked phase medians ([`phases`]); (4) registry footprint per
//! strategy, only when footprint data is given ([`footprint`]); (5) median wall
//! time against the link's rate (and round-trip time), when links were swept
//! ([`link_sweep`]). A colour means the
//! same in every chart ([`crate::report::colours`]). Text is laid out with a system
//! sans-serif font (fontconfig); when none is found a chart fails with a warning and
//! the report is written without it.

pub mod footprint;
pub mod frame;
pub mod link_sweep;
pub mod phases;
pub mod wall;

use crate::records::environment::EnvInfo;
use crate::report::analysis::Analysis;
use frame::{row_height, subject, DrawResult};
use plotters::prelude::*;
use std::path::Path;

/// A chart that was drawn, by its path relative to the results folder without
/// extension (`charts/median-wall`), with `.svg` always and `.png` when `png`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartRef {
    pub stem: String,
    pub title: String,
    pub png: bool,
}

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

/// Which chart, for [`draw_one`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Medians,
    Phases,
    Runs,
    Footprint,
    LinkSweep,
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
        Kind::Medians => wall::draw_medians(root, a, subj),
        Kind::Phases => phases::draw_phases(root, a, subj),
        Kind::Runs => wall::draw_runs(root, a, subj),
        Kind::Footprint => footprint::draw_footprint(root, fp, a, subj),
        Kind::LinkSweep => link_sweep::draw_link_sweep(root, a, subj),
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
    let mut plan: Vec<(Kind, &str, &str, (u32, u32))> = vec![];
    let mut warnings = vec![];
    if rows_with_wall > 0 {
        plan.push((
            Kind::Medians,
            "median-wall",
            "Median wall time per cell",
            (CHART_WIDTH, row_height(rows_with_wall)),
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
    if rows_with_wall > 0 && link_sweep::applies(a) {
        plan.push((
            Kind::LinkSweep,
            "link-sweep",
            "Median wall time against the link",
            (CHART_WIDTH, 900),
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

/// Per strategy × builder × image store, the largest median registry footprint over its cells;
/// `None` when no record measured one, or every run left nothing.
pub fn footprint_from(a: &Analysis) -> Option<Vec<Footprint>> {
    if !a.left_anything_in_registry() {
        return None;
    }
    let mut v: Vec<Footprint> = Vec::new();
    for c in &a.cells {
        let Some(fp) = &c.footprint else { continue };
        match v.iter_mut().find(|f| {
            f.strategy == c.key.strategy
                && f.builder == c.key.builder
                && f.image_store == c.key.image_store
        }) {
            Some(f) => f.bytes = f.bytes.max(fp.bytes),
            None => v.push(Footprint {
                strategy: c.key.strategy.clone(),
                builder: c.key.builder.clone(),
                bytes: fp.bytes,
                image_store: c.key.image_store.clone(),
            }),
        }
    }
    (!v.is_empty()).then_some(v)
}
