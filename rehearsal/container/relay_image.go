package container

import (
	"archive/tar"
	"context"
	"debug/elf"
	"errors"
	"io"
	"os"
	"runtime"

	"github.com/moby/moby/client"

	"github.com/odoo-rehearse/rehearse/rehearsal/exit"
)

// ensureRelayImage makes sure the relay image exists. When it does not
// and this process is a static Linux rehearse binary, the binary imports
// itself as the image (`rehearse relay` is its entrypoint): a released
// binary needs no registry and no separate image to isolate a run.
func (r *Runtime) ensureRelayImage(ctx context.Context) error {
	_, err := r.ImageID(ctx, r.relayImage)
	if err == nil || !errors.Is(err, ErrImageMissing) {
		return err
	}
	exe, exeErr := os.Executable()
	if exeErr != nil || !selfImportable(exe) {
		return err
	}
	f, openErr := os.Open(exe)
	if openErr != nil {
		return err
	}
	defer f.Close()
	st, statErr := f.Stat()
	if statErr != nil {
		return err
	}
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		werr := tw.WriteHeader(&tar.Header{Name: "rehearse", Mode: 0o755, Size: st.Size(), Typeflag: tar.TypeReg})
		if werr == nil {
			_, werr = io.Copy(tw, f)
		}
		if werr == nil {
			werr = tw.Close()
		}
		pw.CloseWithError(werr)
	}()
	res, importErr := r.docker.ImageImport(ctx, client.ImageImportSource{Source: pr, SourceName: "-"}, r.relayImage, client.ImageImportOptions{
		Changes: []string{`ENTRYPOINT ["/rehearse"]`, `LABEL org.opencontainers.image.title="rehearse relay"`},
	})
	if importErr != nil {
		return exit.Infra("import relay image %s from %s: %v", r.relayImage, exe, importErr)
	}
	defer res.Close()
	if _, err := io.Copy(io.Discard, res); err != nil {
		return exit.Infra("import relay image %s: %v", r.relayImage, err)
	}
	_, err = r.ImageID(ctx, r.relayImage)
	return err
}

// selfImportable: a Linux executable of this machine's architecture with
// no dynamic loader (CGO_ENABLED=0), so it runs in an empty image.
func selfImportable(exe string) bool {
	if runtime.GOOS != "linux" {
		return false
	}
	f, err := elf.Open(exe)
	if err != nil {
		return false
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return false
		}
	}
	return true
}
