//! Debug helper: prints the timeline of a rawjson stream file (`cargo run --example
//! phases_dump -- FILE`), interval by interval, relative to its first event.
use cachebench::{
    phases::compute::compute_phases, phases::output_format::parser_for,
    phases::output_format::OutputFormat,
};
use chrono::{DateTime, Utc};

fn main() {
    let path = std::env::args().nth(1).expect("usage: phases_dump FILE");
    let text = std::fs::read_to_string(path).expect("read");
    let mut p = parser_for(OutputFormat::RawJson);
    for l in text.lines() {
        p.feed(l, DateTime::<Utc>::UNIX_EPOCH);
    }
    let t = p.finish(DateTime::<Utc>::UNIX_EPOCH);
    let t0 = t.first_event.expect("no events");
    for i in &t.intervals {
        let s = (i.start - t0).num_microseconds().unwrap_or(0) as f64 / 1000.0;
        let e = (i.end - t0).num_microseconds().unwrap_or(0) as f64 / 1000.0;
        println!("{:>9.1} {:>9.1} {}", s, e, i.phase);
    }
    let b = compute_phases(t0, t.last_event.unwrap(), std::slice::from_ref(&t), &[]);
    let wall = b.wall_ms.max(1) as f64;
    for (name, ms) in b.phases.named() {
        let ms = ms.unwrap_or(0);
        println!("{name:<16} {ms:>6} {:5.1}%", ms as f64 / wall * 100.0);
    }
}
