//! A shaped link between the build and every remote cache (`--link`): draft doc.

mod bucket;
mod counters;
mod delay_line;
mod presets;
mod proxy;
mod spec;
mod timer;

#[cfg(test)]
mod proxy_tests;
#[cfg(test)]
mod spec_tests;

pub use counters::{Counters, LinkSnapshot, RouteSnapshot};
pub use presets::{Preset, PRESETS};
pub use proxy::Link;
pub use spec::{LinkSpec, Rate, Shape, SpecError};
