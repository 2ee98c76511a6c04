package container

import (
	"os"
	"strings"

	tclog "github.com/testcontainers/testcontainers-go/log"
)

func init() { configureTestcontainers() }

// configureTestcontainers runs before the first testcontainers call (it
// reads its configuration once, lazily). Explicit settings win.
func configureTestcontainers() {
	// testcontainers narrates every container it creates on stderr; the
	// runner reports progress itself. REHEARSE_DOCKER_LOG=1 brings it back.
	if os.Getenv("REHEARSE_DOCKER_LOG") != "1" {
		tclog.SetDefault(tclog.NewNoopLogger())
	}
	// Ryuk is an image pulled from a registry; these machines have none, and
	// rehearse owns its cleanup through labels anyway.
	if os.Getenv("TESTCONTAINERS_RYUK_DISABLED") == "" {
		os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	}
	// Inside a container (/.dockerenv exists) testcontainers reports the
	// default gateway as the Docker host. With a local engine socket the
	// relay's ports are on this machine's loopback, so prefer 127.0.0.1; a
	// run inside a CI container talking to a remote engine sets the
	// override itself.
	if os.Getenv("TESTCONTAINERS_HOST_OVERRIDE") == "" && localEngine(os.Getenv("DOCKER_HOST")) {
		os.Setenv("TESTCONTAINERS_HOST_OVERRIDE", "127.0.0.1")
	}
}

func localEngine(dockerHost string) bool {
	return dockerHost == "" || strings.HasPrefix(dockerHost, "unix://") || strings.HasPrefix(dockerHost, "npipe://")
}
