#!/usr/bin/env python3
"""Page-cache eviction and residency without root (standard library + ctypes).

    python3 bench/page_cache.py status FILE...   # resident / total bytes per file
    python3 bench/page_cache.py evict FILE...    # posix_fadvise(POSIX_FADV_DONTNEED)

Eviction drops a file's clean, unmapped pages from the page cache; pages that
another running process has mapped stay (the kernel never drops those), so
`status` after `evict` says how cold the files really are. This is what
`coldbench run --cache cold` does for its tracked files; the bench uses this
small copy so it does not depend on the harness.
"""

import ctypes
import ctypes.util
import mmap
import os
import sys

_libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                       ctypes.c_long]
_libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
_libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_ubyte)]
_MAP_FAILED = ctypes.c_void_p(-1).value
_PAGE = mmap.PAGESIZE


def evict(path):
    """Asks the kernel to drop `path` from the page cache. Returns False if it cannot be opened."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)
    return True


def residency(path):
    """(resident_bytes, size_bytes) of `path`, from mincore over a read-only mapping."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return 0, 0
    try:
        size = os.fstat(fd).st_size
        if size == 0:
            return 0, 0
        address = _libc.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
        if address in (None, _MAP_FAILED):
            return 0, size
        try:
            pages = (size + _PAGE - 1) // _PAGE
            vector = (ctypes.c_ubyte * pages)()
            if _libc.mincore(address, size, vector) != 0:
                return 0, size
            resident = sum(1 for byte in vector if byte & 1)
            return min(resident * _PAGE, size), size
        finally:
            _libc.munmap(address, size)
    finally:
        os.close(fd)


def evict_all(paths):
    """Evicts every file; returns (resident_bytes, total_bytes) measured right after."""
    for path in paths:
        evict(path)
    resident = total = 0
    for path in paths:
        r, t = residency(path)
        resident += r
        total += t
    return resident, total


def main(argv):
    if len(argv) < 2 or argv[0] not in ("status", "evict"):
        print(__doc__, file=sys.stderr)
        return 2
    command, paths = argv[0], argv[1:]
    if command == "evict":
        for path in paths:
            if not evict(path):
                print(f"page_cache: cannot open {path}", file=sys.stderr)
    total_resident = total_size = 0
    for path in paths:
        resident, size = residency(path)
        total_resident += resident
        total_size += size
        print(f"{resident / 2**20:10.1f} / {size / 2**20:10.1f} MiB  {path}")
    print(f"{total_resident / 2**20:10.1f} / {total_size / 2**20:10.1f} MiB  total")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
