//! The named links, each with the public figures it is made of and where they come
//! from. Figures are rounded to what the sources support: a link here is an order
//! of magnitude a team can recognise, not a measurement of their network.

use super::shape::{Rate, Shape};
use std::time::Duration;

/// A named link.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Preset {
    /// What `--link` takes.
    pub name: &'static str,
    pub shape: Shape,
    /// What the link stands for, one line.
    pub about: &'static str,
    /// The public figures behind it, with their sources.
    pub source: &'static str,
}

const fn both(mbit: u64, rtt_ms: u64) -> Shape {
    Shape {
        up: Some(Rate::mbit(mbit)),
        down: Some(Rate::mbit(mbit)),
        rtt: Duration::from_millis(rtt_ms),
    }
}

/// Every preset, in the order `--help` lists them.
pub static PRESETS: &[Preset] = &[
    Preset {
        name: "same-region",
        shape: both(400, 2),
        about: "a hosted runner and a registry or cache in the same cloud region",
        source: "rate: about 50 MB/s (400 Mbit/s) average cache download on \
                 GitHub-hosted runners, actions/cache#928 (2022, \
                 https://github.com/actions/cache/issues/928), uploads taken at the \
                 same rate; rtt: pings between the availability zones of one AWS \
                 region measured 0.25 to 3.4 ms (best of 50, \
                 https://www.xkyle.com/Measuring-AWS-Region-and-AZ-Latency/)",
    },
    Preset {
        name: "cross-region",
        shape: both(400, 20),
        about: "the cache in a neighbouring region of the same continent",
        source: "rtt: average latency EU (Ireland) to EU (Frankfurt) 19.6 ms, US West \
                 (N. California) to US West (Oregon) 19.5 ms, in the table \"Latency \
                 Between AWS Global Regions\" as reproduced at \
                 https://acomputerscientistlearnsaws.blogspot.com/2017/04/aws-regions.html \
                 (2017); rate: as same-region (actions/cache#928, \
                 https://github.com/actions/cache/issues/928)",
    },
    Preset {
        name: "cross-continent",
        shape: both(400, 80),
        about: "the cache on another continent (a US runner, a European registry)",
        source: "rtt: average latency US East (N. Virginia) to EU (Ireland) 80.5 ms, \
                 same table as cross-region (2017, \
                 https://acomputerscientistlearnsaws.blogspot.com/2017/04/aws-regions.html); \
                 rate: as same-region (actions/cache#928, \
                 https://github.com/actions/cache/issues/928; a single TCP flow over \
                 80 ms may get less, window-limited: not modelled)",
    },
    Preset {
        name: "office",
        shape: Shape {
            up: Some(Rate::mbit(20)),
            down: Some(Rate::mbit(100)),
            rtt: Duration::from_millis(50),
        },
        about: "a self-hosted runner on an office line, the cache in the cloud",
        source: "rates: the FCC's fixed-broadband benchmark, 100 Mbit/s down and 20 \
                 Mbit/s up (2024 Broadband Deployment Report, \
                 https://www.benton.org/blog/how-fcc-got-10020); rtt: the TCP connect \
                 times in awsping's README example, 51.9 ms to Frankfurt and 62.9 ms \
                 to Ireland from the author's line (https://github.com/ekalinin/awsping), \
                 one published example, not a survey",
    },
];
