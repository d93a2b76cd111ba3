//! A shaped link between the build and every remote cache (`--link`): draft doc.

mod presets;
mod spec;

#[cfg(test)]
mod spec_tests;

pub use presets::{Preset, PRESETS};
pub use spec::{LinkSpec, Rate, Shape, SpecError};
