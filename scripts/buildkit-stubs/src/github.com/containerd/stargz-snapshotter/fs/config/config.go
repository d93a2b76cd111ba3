// Package config stands in for stargz-snapshotter's fs/config (see
// scripts/buildkit-stubs/README.md): the configuration is parsed and ignored.
package config

// Config accepts any [stargzSnapshotter] table; nothing reads it.
type Config struct{}
