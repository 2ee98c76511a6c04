package backup_test

import (
	"archive/tar"
	"io"
)

func newTarReader(r io.Reader) *tar.Reader { return tar.NewReader(r) }
