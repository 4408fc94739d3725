//go:build unix

package tail

import (
	"os"
	"syscall"
)

// identity is the device and inode of fi: what stays the same when a file
// is renamed and changes when another file takes its name.
func identity(fi os.FileInfo) fileID {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return fileID{Dev: uint64(st.Dev), Ino: uint64(st.Ino)} //nolint:unconvert // types differ per OS
	}
	return fileID{}
}
