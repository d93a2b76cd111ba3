// Package fs stands in for stargz-snapshotter's fs (see
// scripts/buildkit-stubs/README.md): NewFilesystem always fails, so the "stargz"
// snapshotter is reported unavailable.
package fs

import (
	"errors"

	"github.com/containerd/stargz-snapshotter/fs/config"
	"github.com/containerd/stargz-snapshotter/fs/layer"
	"github.com/containerd/stargz-snapshotter/fs/source"
	"github.com/containerd/stargz-snapshotter/snapshot"
	"github.com/sirupsen/logrus"
)

type options struct{}

// Option configures the filesystem (ignored).
type Option func(*options)

// WithGetSources is accepted and ignored.
func WithGetSources(s source.GetSources) Option { return func(*options) {} }

// WithMetricsLogLevel is accepted and ignored.
func WithMetricsLogLevel(logLevel logrus.Level) Option { return func(*options) {} }

// WithOverlayOpaqueType is accepted and ignored.
func WithOverlayOpaqueType(t layer.OverlayOpaqueType) Option { return func(*options) {} }

// NewFilesystem always fails.
func NewFilesystem(root string, cfg config.Config, opts ...Option) (snapshot.FileSystem, error) {
	return nil, errors.New("stargz snapshotter not built in (Debian's stargz-snapshotter targets containerd 1.7; BuildKit needs one built for containerd 2)")
}
