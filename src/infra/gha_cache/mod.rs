//! **A stand-in for the GitHub Actions cache service**, local and offline, so
//! `type=gha` cache cells run without a runner's `ACTIONS_CACHE_URL`. It is not
//! GitHub's service: it speaks the part of both protocols BuildKit's `gha` cache
//! backend uses, on 127.0.0.1, with entries and blobs in a folder, and counts what
//! each run makes it do. It enforces no size quota, evicts nothing, checks no
//! token signature, and its signed URLs are no security boundary.
//!
//! BuildKit's backend (`cache/remotecache/gha/gha.go` in moby/buildkit) talks
//! through tonistiigi/go-actions-cache, which picks the protocol:
//!
//! - **v1** ([`v1`]), `cache.go`: `_apis/artifactcache/` look-up
//!   `GET cache?keys=…&version=…`, reserve `POST caches`, chunked
//!   `PATCH caches/ID` with `Content-Range`, commit `POST caches/ID`, download
//!   from the entry's `archiveLocation`. BuildKit before v0.20 speaks only this
//!   (v0.13.2 vendors go-actions-cache a0b64f338598, where the URL must end in
//!   `/`: it appends `_apis/…` without one).
//! - **v2** ([`v2`]), `cache_v2.go`: Twirp, JSON encoding only,
//!   `twirp/github.actions.results.api.v1.CacheService/` `CreateCacheEntry`,
//!   `FinalizeCacheEntryUpload`, `GetCacheEntryDownloadURL`; the bytes go to and
//!   come from signed URLs through the Azure SDK's `blockblob` client
//!   (`UploadStream`, `DownloadStream`; azblob v1.5.0 in BuildKit's vendor tree:
//!   `blockblob/chunkwriting.go`, `internal/generated/zz_blockblob_client.go`,
//!   `zz_blob_client.go`), which [`blob_upload`] and [`blob`] answer as an Azure
//!   block blob would ([`azure`]). BuildKit v0.20 and later.
//!
//! gha.go reads the attributes `url` (v1), `url_v2` (v2), `version` (`1`/`2`;
//! `url_v2` wins unless `version=1`), `token`, `scope` (default `buildkit`); buildx
//! passes them through from `--cache-to/--cache-from type=gha,…` and fills `url`
//! and `token` from `ACTIONS_CACHE_URL` / `ACTIONS_RUNTIME_TOKEN` when absent
//! (docs.docker.com, "GitHub Actions cache" backend page). buildx v0.13.1 (this
//! machine's) then drops, without a word, a `gha` entry that lacks `url` or
//! `token` (`util/buildflags/cache.go`, `addGithubToken`; v0.29 accepts `url_v2`
//! alone), so v2 attributes carry `url` too.
//!
//! What BuildKit stores: a layer blob per `buildkit-blob-1-sha256:…` key (looked up
//! first, uploaded only on a miss), and an index `index-SCOPE-1-HASH#N` per export
//! (`SaveMutable`: looks up the prefix `…#`, reserves `#N+1`). The token's scopes
//! ([`token`]) decide where entries go and what a look-up sees ([`store`]).
//!
//! Checked against: v1 with real builds on BuildKit v0.13.2 (`--cache-to` then,
//! after a prune, `--cache-from`: the RUN steps CACHED, their layers served from
//! here); v1 and v2 with go-actions-cache, azblob and azcore exactly as vendored in
//! BuildKit v0.20.0, driven by a throwaway Go program (save over blocks and a
//! single PUT, `os.ErrExist` on a second save, `SaveMutable` twice, load by
//! prefix, full and ranged download, a miss); v2 and v1 with real builds on
//! BuildKit v0.25.2 (built from Debian's sources here), driven by buildx v0.13.1
//! with the attributes [`server::GhaCacheServer::cache_attrs`] gives.
//!
//! Use: [`server::GhaCacheServer::start`] with a [`server::Config`] (folder,
//! port 0, optional per-minute entry limit that answers 429), mint a token with
//! [`token::mint`], hand BuildKit [`server::GhaCacheServer::cache_attrs`], read
//! `counters()` or `reset_counters()` between runs ([`counters`]: flags a run past
//! GitHub's 200 new entries per minute), and `stop()`. The handlers share
//! [`state`]; nothing imports [`server`] but its users.

pub mod azure;
pub mod blob;
pub mod blob_upload;
pub mod counters;
pub mod server;
pub mod signing;
pub mod state;
pub mod store;
pub mod token;
pub mod v1;
pub mod v2;

#[cfg(test)]
mod tests_client;
#[cfg(test)]
mod tests_v1;
#[cfg(test)]
mod tests_v2;
