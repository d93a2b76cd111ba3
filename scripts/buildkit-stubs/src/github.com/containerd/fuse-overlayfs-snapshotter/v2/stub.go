// Package fuseoverlayfs stands in for github.com/containerd/fuse-overlayfs-snapshotter,
// which Debian does not package: the snapshotter is reported unsupported, so
// buildkitd's "auto" choice falls back to overlayfs or native.
package fuseoverlayfs

import (
	"errors"

	"github.com/containerd/containerd/v2/core/snapshots"
)

// Opt is accepted for signature compatibility and ignored.
type Opt func(config interface{}) error

var errNotBuilt = errors.New("fuse-overlayfs snapshotter not built in (not packaged in Debian)")

// Supported always reports the snapshotter as unavailable.
func Supported(root string) error { return errNotBuilt }

// NewSnapshotter always fails.
func NewSnapshotter(root string, opts ...Opt) (snapshots.Snapshotter, error) {
	return nil, errNotBuilt
}
