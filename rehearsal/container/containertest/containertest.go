// Package containertest gives tests real containers from locally built
// images. When Docker or an image is missing, tests skip on a developer's
// machine but FAIL when CI=true: a container test that silently skipped
// in CI would be counted as a pass it never earned.
package containertest

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/odoo-rehearse/rehearse/rehearsal/container"
)

// PostgresImage is the image tests run PostgreSQL from
// (REHEARSE_POSTGRES_IMAGE, default container.DefaultPostgresImage).
func PostgresImage() string {
	if img := os.Getenv("REHEARSE_POSTGRES_IMAGE"); img != "" {
		return img
	}
	return container.DefaultPostgresImage
}

// Unavailable skips the test, or fails it under CI=true.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true and "+format, args...)
	}
	t.Skipf(format+" (run `make images`; under CI=true this fails)", args...)
}

// Runtime returns a runtime whose resources are torn down when the test
// ends.
func Runtime(t testing.TB, opts ...container.Option) *container.Runtime {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rt, err := container.New(ctx, opts...)
	if err != nil {
		Unavailable(t, "Docker is unreachable: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := rt.Teardown(ctx); err != nil {
			t.Errorf("teardown of run %s: %v", rt.RunID(), err)
		}
		rt.Close()
	})
	// A missing image must not look like a product failure.
	for _, img := range []string{PostgresImage(), container.DefaultRelayImage()} {
		if _, err := rt.ImageID(ctx, img); errors.Is(err, container.ErrImageMissing) {
			Unavailable(t, "%v", err)
		}
	}
	return rt
}

// Postgres starts a PostgreSQL server for the test, on its own runtime.
func Postgres(t testing.TB) *container.Postgres {
	t.Helper()
	return PostgresOn(t, Runtime(t))
}

// PostgresOn starts a PostgreSQL server on rt.
func PostgresOn(t testing.TB, rt *container.Runtime) *container.Postgres {
	t.Helper()
	pg, err := rt.StartPostgres(t.Context(), container.PostgresOptions{Image: PostgresImage()})
	require.NoError(t, err, "start PostgreSQL from %s", PostgresImage())
	return pg
}
