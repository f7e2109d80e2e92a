//! The SVG plots of `--report DIR`: TPS over time, latency percentiles over time, and the
//! latency histogram. Drawn with plotters' SVG backend (text as SVG `<text>`, no fonts needed).

use crate::stats::{Histogram, Latency, Second, PERCENTILES};
use anyhow::anyhow;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use std::path::Path;

/// The coordinates of every plot: seconds or milliseconds against a count, both from 0.
type Xy = Cartesian2d<RangedCoordf64, RangedCoordf64>;

/// Size of every plot, pixels.
const SIZE: (u32, u32) = (960, 540);
const X_DESC: &str = "seconds since the window opened";

/// Line colours of up to four series.
const COLOURS: [RGBColor; 4] =
    [RGBColor(31, 119, 180), RGBColor(255, 127, 14), RGBColor(44, 160, 44), RGBColor(214, 39, 40)];

/// An axis label: at most one decimal, none when whole (`2`, `0.5`, `2500`).
fn tick(v: f64) -> String {
    format!("{}", (v * 10.0).round() / 10.0)
}

/// One named line of (x, y) points.
struct Line<'a> {
    name: &'a str,
    points: Vec<(f64, f64)>,
}

/// `tps.svg`: transactions included and accepted per second, and errors; a vertical line where
/// sending stopped (`sending_s`).
pub(crate) fn tps(path: &Path, series: &[Second], sending_s: f64) -> anyhow::Result<()> {
    let at = |f: fn(&Second) -> u64| -> Vec<(f64, f64)> {
        series.iter().map(|s| (f64::from(s.t) + 0.5, f(s) as f64)).collect()
    };
    lines(
        path,
        "Transactions per second",
        "per second",
        &[
            Line { name: "included (TPS)", points: at(|s| s.included) },
            Line { name: "sent (accepted)", points: at(|s| s.sent) },
            Line { name: "errors", points: at(|s| s.errors) },
        ],
        sending_s,
    )
}

/// `latency.svg`: p10, p50, p90, p99 of each second's inclusions; a vertical line where sending
/// stopped.
pub(crate) fn latency(path: &Path, series: &[Second], sending_s: f64) -> anyhow::Result<()> {
    let with_data: Vec<&Second> = series.iter().filter(|s| s.latency.count > 0).collect();
    let lines_: Vec<Line<'_>> = PERCENTILES
        .iter()
        .enumerate()
        .map(|(i, (name, _))| Line {
            name,
            points: with_data.iter().map(|s| (f64::from(s.t) + 0.5, s.latency.p[i])).collect(),
        })
        .collect();
    self::lines(
        path,
        "Submit -> inclusion latency of each second's inclusions",
        "ms",
        &lines_,
        sending_s,
    )
}

fn lines(
    path: &Path,
    title: &str,
    y_desc: &str,
    lines: &[Line<'_>],
    sending_s: f64,
) -> anyhow::Result<()> {
    let all = lines.iter().flat_map(|l| l.points.iter());
    let x_max = all.clone().map(|p| p.0).fold(sending_s.max(1.0), f64::max).ceil();
    let y_max = all.map(|p| p.1).fold(1.0, f64::max) * 1.1;
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    let mut chart = chart(&root, title, (x_max, y_max), (X_DESC, y_desc))?;
    for (line, colour) in lines.iter().zip(COLOURS) {
        chart
            .draw_series(LineSeries::new(line.points.iter().copied(), colour.stroke_width(2)))
            .map_err(|e| anyhow!("{e}"))?
            .label(line.name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
            });
    }
    let grey = RGBColor(120, 120, 120).stroke_width(1);
    marker(&mut chart, sending_s, y_max, "sending stopped".into(), grey)?;
    finish(chart, &root, path)
}

/// `settlement.svg`: the run's L1 batches sealed, committed, proven and executed over time; a
/// vertical line where sending stopped.
pub(crate) fn settlement(
    path: &Path,
    points: &[(f64, [u64; 4])],
    sending_s: f64,
) -> anyhow::Result<()> {
    let at =
        |i: usize| -> Vec<(f64, f64)> { points.iter().map(|(t, n)| (*t, n[i] as f64)).collect() };
    lines(
        path,
        "L1 batches of the run",
        "batches",
        &[
            Line { name: "sealed", points: at(0) },
            Line { name: "committed", points: at(1) },
            Line { name: "proven", points: at(2) },
            Line { name: "executed", points: at(3) },
        ],
        sending_s,
    )
}

/// `histogram.svg`: inclusions per latency bin, with the p50 and p99 marked.
pub(crate) fn histogram(path: &Path, h: &Histogram, lat: &Latency) -> anyhow::Result<()> {
    let x_max = (h.counts.len() as f64 * h.bin_ms).max(1.0);
    let y_max = h.counts.iter().copied().max().unwrap_or(0).max(1) as f64 * 1.1;
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    let x_desc = format!("ms ({} ms bins)", h.bin_ms);
    let title = "Submit -> inclusion latency";
    let mut chart = chart(&root, title, (x_max, y_max), (&x_desc, "transactions"))?;
    chart
        .draw_series(h.counts.iter().enumerate().map(|(i, c)| {
            let x0 = i as f64 * h.bin_ms;
            Rectangle::new([(x0, 0.0), (x0 + h.bin_ms, *c as f64)], COLOURS[0].filled())
        }))
        .map_err(|e| anyhow!("{e}"))?;
    for (name, v, colour) in [("p50", lat.p50(), COLOURS[1]), ("p99", lat.p99(), COLOURS[3])] {
        marker(&mut chart, v, y_max, format!("{name} {v:.1} ms"), colour.stroke_width(2))?;
    }
    finish(chart, &root, path)
}

/// A plot's chart: white background, caption, axes from 0 to the maxima with their labels.
fn chart<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, plotters::coord::Shift>,
    title: &str,
    (x_max, y_max): (f64, f64),
    (x_desc, y_desc): (&str, &str),
) -> anyhow::Result<ChartContext<'a, SVGBackend<'b>, Xy>> {
    root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..x_max, 0.0..y_max)
        .map_err(|e| anyhow!("{e}"))?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .x_label_formatter(&|x| tick(*x))
        .y_label_formatter(&|y| tick(*y))
        .draw()
        .map_err(|e| anyhow!("{e}"))?;
    Ok(chart)
}

/// Draws a vertical line at `x` with its legend entry.
fn marker(
    chart: &mut ChartContext<'_, SVGBackend<'_>, Xy>,
    x: f64,
    y_max: f64,
    label: String,
    style: ShapeStyle,
) -> anyhow::Result<()> {
    chart
        .draw_series(LineSeries::new([(x, 0.0), (x, y_max)], style))
        .map_err(|e| anyhow!("{e}"))?
        .label(label)
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
    Ok(())
}

/// Draws the legend and writes the file.
fn finish<'a, 'b>(
    mut chart: ChartContext<'a, SVGBackend<'b>, Xy>,
    root: &'a DrawingArea<SVGBackend<'b>, plotters::coord::Shift>,
    path: &Path,
) -> anyhow::Result<()> {
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|e| anyhow!("{e}"))?;
    root.present().map_err(|e| anyhow!("writing {}: {e}", path.display()))?;
    Ok(())
}
