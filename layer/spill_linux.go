package layer

import (
	"context"
	"errors"
	"io"
	"os"
	"strconv"

	"github.com/minimage/minimage/internal/durable"
	"golang.org/x/sys/unix"
)

// createSpill creates a temporary file in dir ("" for os.TempDir). Where
// the file system supports O_TMPFILE the file has no name from the start,
// and linkFile can give it one later (linkable is true); elsewhere it is
// an ordinary temporary file that the caller unlinks.
func createSpill(dir, pattern string) (f *os.File, linkable bool, err error) {
	if dir == "" {
		dir = os.TempDir()
	}
	// 0666 less the umask: the mode a blob written by os.Create gets, which
	// the file keeps if linkFile puts it in an image layout. With no name,
	// no one can open it until then.
	if f, err := os.OpenFile(dir, os.O_RDWR|unix.O_TMPFILE, 0o666); err == nil {
		return f, true, nil
	}
	// The file system has no O_TMPFILE (or dir is no directory, which
	// CreateTemp reports under the name the caller knows).
	f, err = os.CreateTemp(dir, pattern)
	return f, false, err
}

// linkFile makes name a hard link to f, an O_TMPFILE file, after syncing
// it, so that name appears whole or not at all. It links through
// /proc/self/fd, which any user may do, and, where /proc is not mounted,
// with AT_EMPTY_PATH, which needs CAP_DAC_READ_SEARCH.
func linkFile(f *os.File, name string) error {
	if err := f.Sync(); err != nil {
		// Name the file being made, not the spill directory.
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return &os.PathError{Op: "sync", Path: name, Err: err}
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var lerr error
	if err := rc.Control(func(fd uintptr) {
		lerr = unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(int(fd)), unix.AT_FDCWD, name, unix.AT_SYMLINK_FOLLOW)
		if errors.Is(lerr, unix.ENOENT) {
			if _, err := os.Stat("/proc/self/fd"); err != nil {
				lerr = unix.Linkat(int(fd), "", unix.AT_FDCWD, name, unix.AT_EMPTY_PATH)
			}
		}
	}); err != nil {
		return err
	}
	if lerr != nil {
		return &os.PathError{Op: "link", Path: name, Err: lerr}
	}
	return nil
}

// copyRange copies size bytes at off in src to dst at dst's offset, in the
// kernel (copy_file_range: no copy through user space, and none at all on
// file systems that share extents). handled is false, with nothing
// copied, where the kernel cannot do it for these two files, and the
// caller copies them itself. ctx is checked between chunks.
//
// The copy is synced behind as it goes (durable.Behind), so that the
// writer's closing fsync, which a tarball needs before its rename, finds
// most of it on the disk.
func copyRange(ctx context.Context, dst, src *os.File, off, size int64) (n int64, handled bool, err error) {
	dc, err := dst.SyscallConn()
	if err != nil {
		return 0, false, nil
	}
	sc, err := src.SyscallConn()
	if err != nil {
		return 0, false, nil
	}
	const chunk = 8 << 20
	behind := durable.NewBehind(dst)
	defer func() {
		if werr := behind.Wait(); werr != nil && err == nil {
			err = &os.PathError{Op: "sync", Path: dst.Name(), Err: werr}
		}
	}()
	for n < size {
		if err := ctx.Err(); err != nil {
			return n, true, err
		}
		var k int
		var cerr error
		err := dc.Control(func(dfd uintptr) {
			err := sc.Control(func(sfd uintptr) {
				roff := off + n
				k, cerr = unix.CopyFileRange(int(sfd), &roff, int(dfd), nil, int(min(size-n, chunk)), 0)
			})
			if err != nil {
				cerr = err
			}
		})
		if err != nil {
			cerr = err
		}
		if cerr == unix.EINTR {
			continue
		}
		if cerr != nil {
			if n == 0 {
				// ENOSYS, EXDEV, EINVAL, EOPNOTSUPP, EBADF (dst opened
				// for appending): the caller copies.
				return 0, false, nil
			}
			return n, true, &os.PathError{Op: "copy_file_range", Path: dst.Name(), Err: cerr}
		}
		if k == 0 {
			// The source is shorter than it should be.
			return n, true, io.ErrUnexpectedEOF
		}
		behind.Wrote(int64(k))
		n += int64(k)
	}
	return n, true, nil
}
