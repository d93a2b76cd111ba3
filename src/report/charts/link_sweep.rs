//! (5) Wall time against the link, when the matrix swept links: the median time a
//! job pays (the build's wall time, plus actions/cache's restore and save for a
//! local cache folder on an ephemeral runner) of each strategy × state × change (a line per strategy) at each swept
//! link's down rate (log axis), and the no-cache baseline; a second panel against
//! the round-trip time when the sweep varied it. Links without a rate (`none`,
//! `passthrough`) have no place on the axis and are left out.

use super::frame::{e2s, DrawResult};
use crate::report::analysis::Analysis;
use crate::report::decision::break_even::rated_links;
use plotters::prelude::*;

/// One line: its label and (x, median seconds) points.
type Line = (String, Vec<(f64, f64)>);

/// Whether the chart applies: two or more links with a rate.
pub fn applies(a: &Analysis) -> bool {
    rated_links(a).len() >= 2
}

/// The lines against the down rate (`by_rtt` false) or the round-trip time.
fn lines(a: &Analysis, by_rtt: bool) -> Vec<Line> {
    let rated = rated_links(a);
    let mut out: Vec<Line> = vec![];
    for c in a.cells.iter().filter(|c| c.wall.is_some()) {
        let Some((_, down, rtt)) = rated.iter().find(|r| r.0 == c.key.link) else {
            continue;
        };
        let label = format!("{} {} / {}", c.key.strategy, c.key.state, c.key.change);
        let label = match c.key.state.as_str() {
            "cold" => format!("{} cold", c.key.strategy),
            _ => label,
        };
        // A job's time: a local cache folder's actions/cache restore and save go
        // through the link too.
        let job_ms = crate::report::decision::options::option_with_transfers(&[c])
            .map(|o| o.median_ms)
            .unwrap_or_else(|| c.wall.as_ref().expect("filtered").median);
        let point = (if by_rtt { *rtt } else { *down }, job_ms / 1000.0);
        match out.iter_mut().find(|l| l.0 == label) {
            Some(l) => l.1.push(point),
            None => out.push((label, vec![point])),
        }
    }
    for l in &mut out {
        l.1.sort_by(|x, y| x.0.total_cmp(&y.0));
    }
    out
}

/// The swept values, each once, ascending: the axis labels those and no others,
/// so every point has its value beneath it.
fn measured(xs: &[f64]) -> Vec<f64> {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    v.dedup();
    v
}

/// Whether the sweep varied the round-trip time (two or more distinct values).
fn rtt_swept(a: &Analysis) -> bool {
    let rtts: Vec<f64> = rated_links(a).iter().map(|r| r.2).collect();
    measured(&rtts).len() >= 2
}

/// (5) Median wall time against the link.
pub fn draw_link_sweep<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    a: &Analysis,
    subj: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(e2s)?;
    let panels: Vec<bool> = if rtt_swept(a) {
        vec![false, true]
    } else {
        vec![false]
    };
    let areas = root.split_evenly((panels.len(), 1));
    for (area, by_rtt) in areas.iter().zip(panels) {
        let ls = lines(a, by_rtt);
        let xs: Vec<f64> = ls.iter().flat_map(|l| l.1.iter().map(|p| p.0)).collect();
        let ymax = ls
            .iter()
            .flat_map(|l| l.1.iter().map(|p| p.1))
            .fold(0.0, f64::max)
            * 1.15;
        let (xlo, xhi) = xs
            .iter()
            .fold((f64::MAX, 0.0f64), |(lo, hi), &x| (lo.min(x), hi.max(x)));
        let (what, unit) = match by_rtt {
            false => ("down rate", "Mbit/s (log)"),
            true => ("round-trip time", "ms (log)"),
        };
        let mut chart = ChartBuilder::on(area)
            .caption(
                format!("Median time of a job against the link's {what} — {subj}"),
                ("sans-serif", 16),
            )
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(50)
            .build_cartesian_2d(
                ((xlo * 0.7).max(0.001)..(xhi * 1.4).max(0.01))
                    .log_scale()
                    .with_key_points(measured(&xs)),
                0.0..ymax.max(1.0),
            )
            .map_err(e2s)?;
        chart
            .configure_mesh()
            .x_desc(format!("link {what}, {unit}"))
            .x_label_formatter(&|x| format!("{x}"))
            .y_desc("median time, s (actions/cache transfers counted)")
            .draw()
            .map_err(e2s)?;
        for (i, (label, points)) in ls.iter().enumerate() {
            let col = Palette99::pick(i).to_rgba();
            chart
                .draw_series(LineSeries::new(points.iter().copied(), col.stroke_width(2)))
                .map_err(e2s)?
                .label(label.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], col.stroke_width(2))
                });
            chart
                .draw_series(points.iter().map(|p| Circle::new(*p, 3, col.filled())))
                .map_err(e2s)?;
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(e2s)?;
    }
    root.present().map_err(e2s)
}
