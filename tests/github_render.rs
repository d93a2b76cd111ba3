//! `github.md` (the job summary / PR comment form) rendered by real renderers of
//! GitHub's kind, and the result inspected: cmark-gfm (Markdown to HTML: no image
//! or relative link, the wide tables inside `<details>`), Chromium (the tables a
//! reader sees unfolded fit GitHub's 890 px column) and mermaid-cli (every Mermaid
//! block renders; bars carry the report's colours and their values; axis labels do
//! not run together).
//!
//! The tools are `cmark-gfm` and `chromium` on PATH and mermaid-cli 11 and 10 in
//! `/opt/cachebench/mermaid-cli` and `/opt/cachebench/mermaid-cli-10` (where
//! `scripts/setup.sh` installs them), or one `mmdc` named by `$CACHEBENCH_MMDC`. A
//! missing tool fails the test and names the fix. Built only with the
//! `engine-tests` feature, which `scripts/test.sh` turns on.

use cachebench::report::colours::{Meaning, PhaseGroup};
use cachebench::{report::render::render_with, report::render::RenderOptions};
use std::path::{Path, PathBuf};
use std::process::Command;

/// GitHub's Markdown column, px.
const GITHUB_COLUMN_PX: f64 = 890.0;

fn tool(name: &str, extra: &[&str]) -> PathBuf {
    let mut candidates: Vec<PathBuf> = extra.iter().map(PathBuf::from).collect();
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path).map(|d| d.join(name)));
    }
    candidates
        .into_iter()
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "{name} not found (PATH{}): run scripts/setup.sh, which installs it",
                {
                    if extra.is_empty() {
                        String::new()
                    } else {
                        format!(", {}", extra.join(", "))
                    }
                }
            )
        })
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The committed results the forms are checked on (real records): one builder and
/// change, and two builders × two changes.
const EXAMPLES: [&str; 2] = ["results/example-default", "results/python-app"];

/// github.md of committed example results, rendered afresh into `dir`.
fn github_md(dir: &Path, example: &str) -> String {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(example);
    for f in ["runs.jsonl", "env.json"] {
        std::fs::copy(src.join(f), dir.join(f)).unwrap();
    }
    render_with(
        dir,
        &RenderOptions {
            no_png: true,
            ..RenderOptions::default()
        },
    )
    .unwrap();
    std::fs::read_to_string(dir.join("github.md")).unwrap()
}

fn cmark(md_path: &Path) -> String {
    let cmark = tool("cmark-gfm", &[]);
    // GitHub's extensions; --unsafe keeps the <details> blocks, as GitHub does.
    run(Command::new(cmark)
        .args([
            "-e",
            "table",
            "-e",
            "autolink",
            "-e",
            "strikethrough",
            "-e",
            "tagfilter",
        ])
        .arg("--unsafe")
        .arg(md_path))
}

/// Attribute values `name="…"` in `html`.
fn attrs<'a>(html: &'a str, name: &str) -> Vec<&'a str> {
    let pat = format!("{name}=\"");
    html.match_indices(&pat)
        .map(|(i, _)| {
            let rest = &html[i + pat.len()..];
            &rest[..rest.find('"').unwrap_or(rest.len())]
        })
        .collect()
}

#[test]
fn github_form_renders_self_contained_in_cmark_gfm_and_chromium() {
    for example in EXAMPLES {
        check_html(example);
    }
}

fn check_html(example: &str) {
    let d = tempfile::tempdir().unwrap();
    let md = github_md(d.path(), example);
    let html = cmark(&d.path().join("github.md"));
    std::fs::write(d.path().join("github.html"), &html).unwrap();

    assert!(!html.contains("<img"), "no image in the GitHub form");
    for link in attrs(&html, "href").into_iter().chain(attrs(&html, "src")) {
        assert!(
            link.contains("://") || link.starts_with('#'),
            "a relative link cannot resolve in a job summary or PR comment: {link}"
        );
    }
    let first_h2 = html.split("<h2>").nth(1).unwrap_or_default();
    assert!(first_h2.starts_with("Decision"), "the Decision comes first");
    let blocks = md.matches("```mermaid").count();
    assert!(blocks >= 3, "{blocks} Mermaid blocks");
    assert_eq!(html.matches("language-mermaid").count(), blocks);
    // Every <details> block holds rendered tables, not raw pipes.
    let details: Vec<&str> = html.split("<details>").skip(1).collect();
    assert!(details.len() >= 3, "{} <details> blocks", details.len());
    for body in &details {
        let body = &body[..body.find("</details>").unwrap()];
        assert!(
            body.contains("<table>") || !body.contains("| "),
            "Markdown inside <details> must render: {body}"
        );
    }
    assert!(
        details[0].contains("<table>"),
        "Results tables in <details>"
    );

    // Widths as a browser lays them out, with GitHub's table style, except that the
    // natural width is measured (GitHub caps a table at the column and wraps its
    // cells or scrolls it: exactly what a reader should not meet).
    let page = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><style>\
         body{{margin:0;font-family:-apple-system,'Segoe UI','Noto Sans',Helvetica,Arial,sans-serif;font-size:16px;line-height:1.5}}\
         article{{width:{GITHUB_COLUMN_PX}px}}\
         table{{display:block;width:max-content;max-width:none;overflow:auto;border-spacing:0;border-collapse:collapse}}\
         td,th{{padding:6px 13px;border:1px solid #d1d9e0}}\
         </style></head><body><article>{html}</article><pre id=\"widths\"></pre><script>\
         document.getElementById('widths').textContent = [...document.querySelectorAll('table')]\
           .map(t => (t.closest('details') ? 'folded ' : 'open ') + t.scrollWidth).join('\\n');\
         </script></body></html>"
    );
    let page_path = d.path().join("page.html");
    std::fs::write(&page_path, page).unwrap();
    let chromium = tool("chromium", &[]);
    let dom = run(Command::new(chromium)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom"])
        .arg(format!("file://{}", page_path.display())));
    let widths = dom
        .split("<pre id=\"widths\">")
        .nth(1)
        .and_then(|s| s.split("</pre>").next())
        .unwrap_or_default();
    eprintln!("{example}: table widths, px:\n{widths}");
    let open: Vec<f64> = widths
        .lines()
        .filter_map(|l| l.strip_prefix("open "))
        .map(|w| w.trim().parse().unwrap())
        .collect();
    assert!(open.len() >= 3, "tables outside <details>: {widths}");
    for w in &open {
        assert!(
            *w <= GITHUB_COLUMN_PX,
            "a table outside <details> is {w} px wide, more than GitHub's {GITHUB_COLUMN_PX} px column: {widths}"
        );
    }
}

/// Numbers `translate(x, y)` of each `<text>` in `svg`'s `left-axis` label group.
fn left_axis_label_ys(svg: &str) -> Vec<f64> {
    let axis = svg.split("class=\"left-axis\"").nth(1).unwrap_or_default();
    let labels = axis.split("class=\"label\"").nth(1).unwrap_or_default();
    let labels = &labels[..labels.find("</g>").unwrap_or(labels.len())];
    attrs(labels, "transform")
        .iter()
        .filter_map(|t| {
            let inner = t.strip_prefix("translate(")?;
            let inner = &inner[..inner.find(')')?];
            inner.split(',').nth(1)?.trim().parse().ok()
        })
        .collect()
}

/// The mermaid-cli installs to render with: `$CACHEBENCH_MMDC` alone, or the two
/// `scripts/setup.sh` installs under `$CACHEBENCH_MERMAID_CLI` (default
/// `/opt/cachebench`), Mermaid 11 and 10 (GitHub has shipped both; 10 has
/// no data labels, so values must show without them).
fn mermaid_clis() -> Vec<PathBuf> {
    if let Some(p) = std::env::var_os("CACHEBENCH_MMDC") {
        return vec![PathBuf::from(p)];
    }
    let root = std::env::var("CACHEBENCH_MERMAID_CLI").unwrap_or("/opt/cachebench".into());
    ["mermaid-cli", "mermaid-cli-10"]
        .iter()
        .map(|dir| {
            let p = PathBuf::from(format!("{root}/{dir}/node_modules/.bin/mmdc"));
            assert!(
                p.is_file(),
                "{} not found: run scripts/setup.sh, which installs it (or set CACHEBENCH_MMDC)",
                p.display()
            );
            p
        })
        .collect()
}

#[test]
fn every_mermaid_block_renders_with_colours_values_and_apart_labels() {
    for mmdc in mermaid_clis() {
        for example in EXAMPLES {
            check_mermaid(&mmdc, example);
        }
    }
}

fn check_mermaid(mmdc: &Path, example: &str) {
    let d = tempfile::tempdir().unwrap();
    let md = github_md(d.path(), example);
    let chromium = tool("chromium", &[]);
    let pup = d.path().join("puppeteer.json");
    std::fs::write(
        &pup,
        serde_json::json!({
            "executablePath": chromium,
            "args": ["--no-sandbox", "--disable-gpu"],
        })
        .to_string(),
    )
    .unwrap();
    // mermaid-cli renders every block of a Markdown file: out-1.svg, out-2.svg, …
    run(Command::new(mmdc)
        .arg("-p")
        .arg(&pup)
        .arg("-i")
        .arg(d.path().join("github.md"))
        .arg("-o")
        .arg(d.path().join("out.md"))
        .args(["-e", "svg", "-q"]));
    let blocks: Vec<&str> = md
        .split("```mermaid\n")
        .skip(1)
        .map(|b| &b[..b.find("```").unwrap()])
        .collect();
    let mut colours: Vec<String> = vec![Meaning::Wall.hex(), Meaning::Registry.hex()];
    colours.extend(PhaseGroup::ALL.iter().map(|g| Meaning::Phase(*g).hex()));
    for (i, block) in blocks.iter().enumerate() {
        let svg_path = d.path().join(format!("out-{}.svg", i + 1));
        let svg = std::fs::read_to_string(&svg_path)
            .unwrap_or_else(|e| panic!("{example}: block {} not rendered ({e}):\n{block}", i + 1));
        assert!(
            svg.contains("aria-roledescription=\"xychart\""),
            "block {}",
            i + 1
        );
        let plot = svg.split("class=\"plot\"").nth(1).unwrap_or_default();
        let plot = &plot[..plot.find("class=\"left-axis\"").unwrap_or(plot.len())];
        let fills: Vec<&str> = attrs(plot, "fill")
            .into_iter()
            .filter(|f| f.starts_with('#') && *f != "#131300")
            .collect();
        let bars = block.matches("\n    bar [").count();
        let per_bar: usize = block
            .lines()
            .find(|l| l.trim_start().starts_with("x-axis"))
            .map_or(0, |l| l.matches('"').count() / 2);
        assert_eq!(
            fills.len(),
            bars * per_bar,
            "block {}: one filled rect per bar",
            i + 1
        );
        for f in &fills {
            assert!(
                colours.iter().any(|c| c == f),
                "block {}: bar colour {f} is none of the report's colours",
                i + 1
            );
        }
        // A value for every bar: in its label (`name · 8.45 s`), in the table right
        // after the block, or as a data label (Mermaid 11 only).
        let labels = block
            .lines()
            .find(|l| l.trim_start().starts_with("x-axis"))
            .unwrap_or_default();
        let in_labels = labels.matches(" · ").count() == per_bar;
        let after = md
            .split(&format!("```mermaid\n{block}```\n"))
            .nth(1)
            .unwrap_or_default();
        let in_table = after.trim_start().starts_with("| strategy |")
            && after
                .trim_start()
                .lines()
                .skip(2)
                .take_while(|l| l.starts_with('|'))
                .count()
                == per_bar;
        let data_labels =
            block.contains("\"showDataLabel\": true") && plot.matches("<text").count() == per_bar;
        assert!(
            in_labels || in_table || data_labels,
            "{example} with {}: block {} shows no value for some bar:\n{block}",
            mmdc.display(),
            i + 1
        );
        let ys = left_axis_label_ys(&svg);
        assert_eq!(ys.len(), per_bar, "block {}: every axis label drawn", i + 1);
        let mut sorted = ys.clone();
        sorted.sort_by(f64::total_cmp);
        for w in sorted.windows(2) {
            assert!(
                w[1] - w[0] >= 14.0,
                "block {}: axis labels {} px apart run together",
                i + 1,
                w[1] - w[0]
            );
        }
    }
}
