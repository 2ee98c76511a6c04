package container

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	mcontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"

	"github.com/odoo-rehearse/rehearse/rehearsal/exit"
)

// CopyToVolume unpacks a tar stream into dir (relative, e.g.
// "filestore/mydb") of a named volume, owned by the volume owner (see
// WithVolumeOwner). It needs no shell image: the files go through a
// container that is created with the volume mounted and never started.
func (r *Runtime) CopyToVolume(ctx context.Context, volume, dir string, tarStream io.Reader) error {
	dir = path.Clean(strings.TrimPrefix(dir, "/"))
	if dir == ".." || strings.HasPrefix(dir, "../") {
		return fmt.Errorf("copy to volume %s: dir %q leaves the volume", volume, dir)
	}
	// Any local image will do for a container that never starts; the relay
	// image is small and always present during a run.
	if _, err := r.ImageID(ctx, r.relayImage); err != nil {
		return err
	}
	created, err := r.docker.ContainerCreate(ctx, client.ContainerCreateOptions{
		Name:   r.name("copy"),
		Config: &mcontainer.Config{Image: r.relayImage, Labels: r.labels("copy")},
		HostConfig: &mcontainer.HostConfig{
			Mounts:      []mount.Mount{{Type: mount.TypeVolume, Source: volume, Target: "/volume"}},
			NetworkMode: "none",
		},
	})
	if err != nil {
		return exit.Infra("copy to volume %s: %v", volume, err)
	}
	defer r.docker.ContainerRemove(context.WithoutCancel(ctx), created.ID, client.ContainerRemoveOptions{Force: true})

	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(r.prefixTar(pw, dir, tarStream)) }()
	_, err = r.docker.CopyToContainer(ctx, created.ID, client.CopyToContainerOptions{
		DestinationPath: "/volume",
		Content:         pr,
		CopyUIDGID:      true,
	})
	pr.CloseWithError(err)
	if err != nil {
		return exit.Infra("copy to volume %s: %v", volume, err)
	}
	return nil
}

// prefixTar rewrites a tar stream so that it lands under dir, with the
// parent directories created and every entry owned by the volume owner.
// Entries that would escape dir, links and devices are refused: the
// stream may come from a backup we do not trust.
func (r *Runtime) prefixTar(w io.Writer, dir string, in io.Reader) error {
	tw := tar.NewWriter(w)
	var parts []string
	if dir != "." {
		parts = strings.Split(dir, "/")
	}
	for i := range parts {
		if err := tw.WriteHeader(&tar.Header{
			Typeflag: tar.TypeDir, Name: strings.Join(parts[:i+1], "/") + "/", Mode: 0o755,
			Uid: r.volumeUID, Gid: r.volumeGID,
		}); err != nil {
			return err
		}
	}
	tr := tar.NewReader(in)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		name := path.Clean(strings.TrimPrefix(h.Name, "./"))
		if name == "." {
			continue
		}
		if path.IsAbs(name) || name == ".." || strings.HasPrefix(name, "../") {
			return fmt.Errorf("tar entry %q leaves its folder", h.Name)
		}
		if !slices.Contains([]byte{tar.TypeReg, tar.TypeDir}, h.Typeflag) {
			return fmt.Errorf("tar entry %q: only files and folders are copied", h.Name)
		}
		h.Name = path.Join(dir, name)
		if h.Typeflag == tar.TypeDir {
			h.Name += "/"
			h.Mode = 0o755
		} else {
			h.Mode = 0o644
		}
		h.Uid, h.Gid, h.Uname, h.Gname = r.volumeUID, r.volumeGID, "", ""
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return err
		}
	}
	return tw.Close()
}

// writeFileAtomic writes a file that is either complete or absent, never
// half-written.
func writeFileAtomic(dst string, r io.Reader) error {
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".part-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, r); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}
