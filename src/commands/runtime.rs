//! The async runtime the subcommands that run processes share: one thread, as
//! every child is awaited, never blocked on.

use crate::error::{Error, Result};

/// A current-thread runtime with I/O and timers.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(anyhow::anyhow!("failed to start the async runtime: {e}")))
}
