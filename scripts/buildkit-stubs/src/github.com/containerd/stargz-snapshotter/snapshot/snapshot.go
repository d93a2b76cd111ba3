// Package snapshot stands in for stargz-snapshotter's snapshot (see
// scripts/buildkit-stubs/README.md).
package snapshot

import (
	"context"
	"errors"

	"github.com/containerd/containerd/v2/core/snapshots"
)

// FileSystem is a remote snapshot filesystem (none exists here).
type FileSystem interface{}

// SnapshotterConfig is the snapshotter's configuration (unused).
type SnapshotterConfig struct{}

// Opt configures the snapshotter.
type Opt func(config *SnapshotterConfig) error

// AsynchronousRemove is accepted and ignored.
func AsynchronousRemove(config *SnapshotterConfig) error { return nil }

// NoRestore is accepted and ignored.
func NoRestore(config *SnapshotterConfig) error { return nil }

// NewSnapshotter always fails.
func NewSnapshotter(ctx context.Context, root string, targetFs FileSystem, opts ...Opt) (snapshots.Snapshotter, error) {
	return nil, errors.New("stargz snapshotter not built in")
}
