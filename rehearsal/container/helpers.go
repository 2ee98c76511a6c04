package container

import (
	"maps"
	"slices"

	cerrdefs "github.com/containerd/errdefs"
)

func isNotFound(err error) bool { return cerrdefs.IsNotFound(err) }

func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }
