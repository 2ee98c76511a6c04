// Package version holds the tool's version, set at link time
// (-ldflags "-X .../rehearsal/version.Version=v1.2.3"). Approvals and
// reports record it, and the relay image is tagged with it.
package version

// Version is "dev" in builds that were not stamped by the Makefile or a release.
var Version = "dev"

// Commit is the VCS revision the binary was built from, when known.
var Commit = "unknown"
