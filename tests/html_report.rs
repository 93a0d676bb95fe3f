//! The HTML report, looked at as a person would: rendered in headless
//! Chromium from a failing Raft run, with a `<script>` smuggled into a
//! message. The SVG must have one lane per process and one arrow per
//! delivered message in its window, the script must not run, and a
//! screenshot is kept under `target/test-artifacts/`.
//!
//! Chromium is Debian's `chromium` package; `.ci/run` installs it. Without
//! it the browser test says so and passes, except in CI (`CI` set), where
//! it fails.

mod common;
use reports::html::{data, run_page};
use sim::trace::{Kind, TraceLine, VecSink};
use sim::{RunOptions, RunResult};
use std::path::{Path, PathBuf};
use std::process::Command;

const HOSTILE: &str = "<script>document.body.setAttribute('data-pwned','script')</script>\
<img src=x onerror=\"document.body.setAttribute('data-pwned','img')\">";

struct Failing {
    result: RunResult,
    trace: Vec<TraceLine>,
    servers: u32,
    clients: u32,
}

/// `raft/bugs/stale-read.toml`, seed 3: a read served by a deposed leader.
fn failing_raft_run() -> Failing {
    let runner = protocols::load("scenarios/raft/bugs/stale-read.toml").unwrap();
    let mut sink = VecSink::default();
    let result = runner.run(3, RunOptions { trace: Some(&mut sink), faults: None });
    assert!(result.violation.is_some(), "seed 3 of the stale-read bug fails");
    let s = runner.scenario();
    Failing { result, trace: sink.0, servers: s.nodes, clients: s.clients() }
}

/// The page, with the last delivered message before the violation
/// carrying `HOSTILE`; returns it and the window it shows first.
fn page_with_a_hostile_message(f: &mut Failing) -> (String, (u64, u64)) {
    let v = f.result.violation.clone().unwrap();
    let victim = f
        .trace
        .iter_mut()
        .rev()
        .find(|l| l.kind == Kind::Deliver && l.step <= v.step)
        .expect("a delivery before the violation");
    victim.detail = format!("Response {HOSTILE}");
    let page = run_page(
        "stale read",
        Some("name = \"<b>raft</b>\"".into()),
        &f.result,
        f.servers,
        f.clients,
        &f.trace,
    );
    let window = data::default_view(&f.trace, Some((v.step, v.time_ns)), f.result.virtual_time_ns);
    (page, window)
}

#[test]
fn the_page_needs_nothing_else_and_escapes_what_users_wrote() {
    let mut f = failing_raft_run();
    let (page, _) = page_with_a_hostile_message(&mut f);
    assert!(page.starts_with(sim::files::HTML.marker), "dsim's header");
    assert!(
        page.contains("Content-Security-Policy\" content=\"default-src 'none'"),
        "nothing may be fetched"
    );
    // The escaped message holds `src=` as text; nothing else may.
    let ours = page.replace("\\u003cimg src=x", "").replace("&lt;img src=x", "");
    for external in ["src=", "href=", "@import", "<link", "<img", "<iframe"] {
        assert!(!ours.contains(external), "the page refers to something outside it: `{external}`");
    }
    let http: Vec<&str> = page.match_indices("http").map(|(i, _)| &page[i..i + 26]).collect();
    assert!(
        http.iter().all(|h| h.starts_with("http-equiv") || h.starts_with("http://www.w3.org/2000/svg")),
        "the only URL is the SVG namespace: {http:?}"
    );
    assert!(!page.contains(HOSTILE) && !page.contains("<b>raft"), "user text is escaped");
    assert!(page.contains("&lt;b&gt;raft"), "and still shown");
    assert_eq!(page.matches("<script").count(), 2, "the data and the page's own script, nothing else");
}

#[test]
fn a_long_run_makes_a_small_report_quickly() {
    // The relay yardstick for two minutes of virtual time: about 110,000
    // events and 330,000 records.
    let source = "name = \"relay\"\nnodes = 5\nduration = \"120s\"\n[protocol]\nname = \"relay\"\n\
                  [network]\nlatency = { dist = \"uniform\", min = \"1ms\", max = \"10ms\" }\n";
    let runner = protocols::prepare(sim::Scenario::parse("relay.toml", source).unwrap()).unwrap();
    let mut sink = VecSink::default();
    let result = runner.run(0, RunOptions { trace: Some(&mut sink), faults: None });
    assert!(result.events >= 100_000, "{} events", result.events);
    #[allow(clippy::disallowed_methods, clippy::disallowed_types)] // a stopwatch, outside the simulation
    let watch = std::time::Instant::now();
    let page = run_page("relay", None, &result, 5, 0, &sink.0);
    let seconds = watch.elapsed().as_secs_f64();
    println!(
        "report of a {}-event run ({} records): {:.3} s, {:.1} MB",
        result.events,
        sink.0.len(),
        seconds,
        page.len() as f64 / 1e6
    );
    assert!(page.len() < 10_000_000, "{} bytes", page.len());
    // The aim is under a second; the bound leaves room for a loaded machine.
    assert!(seconds < 5.0, "{seconds} s");
}

fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for name in ["chromium", "chromium-browser"] {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

fn headless(chromium: &Path, profile: &Path, args: &[&str]) -> String {
    let o = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .expect("chromium runs");
    assert!(o.status.success(), "chromium failed: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The value of `attr` on the first element that has it.
fn attribute<'a>(dom: &'a str, attr: &str) -> Option<&'a str> {
    let at = dom.find(&format!(" {attr}=\""))? + attr.len() + 3;
    dom[at..].split('"').next()
}

#[test]
fn the_report_of_a_failing_raft_run_renders_in_chromium() {
    let Some(chromium) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium is not installed, and CI must render the report (.ci/run installs it)"
        );
        eprintln!(
            "SKIPPED: chromium is not installed (apt-get install chromium); the report was not rendered"
        );
        return;
    };
    let mut f = failing_raft_run();
    let (page, (lo, hi)) = page_with_a_hostile_message(&mut f);
    let dir = common::temp_dir("html-report");
    let file = dir.join("report.html");
    std::fs::write(&file, &page).unwrap();
    let dom = headless(&chromium, &dir.join("profile"), &["--dump-dom", file.to_str().unwrap()]);

    let body = &dom[dom.find("<body").expect("a body")..];
    let body_tag = &body[..body.find('>').unwrap()];
    assert!(body_tag.contains("data-rendered=\"ok\""), "the script ran to its end: {body_tag}");
    assert!(!body_tag.contains("data-error"), "no script error: {body_tag}");
    assert!(!body_tag.contains("data-pwned"), "the <script> in a message ran: {body_tag}");
    assert!(dom.contains("&lt;script&gt;document.body.setAttribute"), "the message shows as text");

    let svg_at = dom.find("id=\"spacetime\"").expect("the space-time diagram");
    let svg = &dom[dom[..svg_at].rfind("<svg").unwrap()..];
    let svg = &svg[..svg.find("</svg>").unwrap()];
    let lanes = (f.servers + f.clients) as usize;
    assert_eq!(svg.matches("class=\"lane-label\"").count(), lanes, "one lane per process");
    assert_eq!(attribute(svg, "data-window"), Some(format!("{lo},{hi}").as_str()), "the default window");
    let delivered =
        f.trace.iter().filter(|l| l.kind == Kind::Deliver && (lo..=hi).contains(&l.time_ns)).count();
    assert!(delivered > 20, "the window shows the exchange before the violation");
    let arrows =
        svg.split("<line").skip(1).filter(|l| l.starts_with(' ') && l.contains("class=\"msg")).count();
    assert_eq!(arrows, delivered, "one arrow per delivered message in the window");
    assert!(svg.contains("class=\"violation-line\""), "the violation is marked");
    assert!(
        dom.contains("class=\"op ok blocked\"") || dom.contains("op ok blocked"),
        "the read that cannot be placed"
    );

    // A link opens a narrower window and selects the violating step: the
    // diagram redraws with that window's arrows, and the details show the
    // step with what its process observed around it.
    let v = f.result.violation.clone().unwrap();
    let (lo, hi) = (v.time_ns - 30_000_000, v.time_ns + 1);
    let url = format!("file://{}#view={lo},{hi}&step={}", file.display(), v.step);
    let dom = headless(&chromium, &dir.join("profile"), &["--dump-dom", &url]);
    assert!(dom.contains(&format!("data-window=\"{lo},{hi}\"")), "the window from the link");
    let delivered =
        f.trace.iter().filter(|l| l.kind == Kind::Deliver && (lo..=hi).contains(&l.time_ns)).count();
    assert!(
        dom.contains(&format!("data-arrows=\"{delivered}\"")),
        "{delivered} arrows in the narrower window"
    );
    let details = &dom[dom.find("id=\"details\"").unwrap()..];
    let details = &details[..details.find("</div>").unwrap()];
    assert!(details.contains(&format!("step {}", v.step)), "the selected step: {details}");
    assert!(details.contains("observed"), "what its process observed around it: {details}");

    let artifacts = common::root().join("target/test-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let png = artifacts.join("raft-stale-read-report.png");
    let _ = std::fs::remove_file(&png);
    headless(
        &chromium,
        &dir.join("profile"),
        &["--window-size=1400,1100", &format!("--screenshot={}", png.display()), file.to_str().unwrap()],
    );
    let bytes = std::fs::read(&png).expect("a screenshot");
    assert!(bytes.starts_with(b"\x89PNG") && bytes.len() > 20_000, "a real picture: {} bytes", bytes.len());
    eprintln!("screenshot: {}", png.display());
}
