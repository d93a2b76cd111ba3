// Package layer stands in for stargz-snapshotter's fs/layer (see
// scripts/buildkit-stubs/README.md).
package layer

// OverlayOpaqueType is how overlayfs opaque directories are marked.
type OverlayOpaqueType int

// The values buildkitd chooses between.
const (
	OverlayOpaqueAll OverlayOpaqueType = iota
	OverlayOpaqueTrusted
	OverlayOpaqueUser
)
