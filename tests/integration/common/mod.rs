//! Helpers shared by the integration tests, one file per concern. Each test file
//! imports the parts it uses by name (`use super::common::runs::*`): there are no
//! re-exports.

pub mod host;
pub mod leftovers;
pub mod proxy;
pub mod records;
pub mod registry;
pub mod runs;
pub mod scratch;
