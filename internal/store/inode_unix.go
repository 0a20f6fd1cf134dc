//go:build unix

package store

import (
	"os"
	"syscall"
)

// sameInode reports whether a and b are the same file by inode number,
// whatever device holds them: the database file on its filesystem mounted
// anew (a new loop or block device) is the same inode; a copy put in its
// place is not.
func sameInode(a, b os.FileInfo) bool {
	sa, ok1 := a.Sys().(*syscall.Stat_t)
	sb, ok2 := b.Sys().(*syscall.Stat_t)
	return ok1 && ok2 && sa.Ino == sb.Ino
}
