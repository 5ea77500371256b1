"""The C allocator's settings for code that is timed: the child that runs the student's code
and the grader's process that times the reference.

glibc hands each large array (over its mmap threshold, 128 KiB at first) its own fresh pages
and gives them back to the kernel when the array is freed: every large temporary then costs
its page faults again (about 600 for a 300,000-element float64 array, a quarter of a numpy
lesson's child CPU in system time). Kept on the heap and never returned, the pages are
faulted in once per process and reused by every later array, so a speed check measures the
computation, for the student's code and the reference's alike.

Set in the child by its environment (:func:`environment`, read by glibc when the process
starts; the zygote's children inherit the zygote's settings), and in the grader's own process
by ``mallopt`` (:func:`tune_this_process`). Elsewhere than glibc both are harmless: other
allocators ignore the variables, and ``mallopt`` is only called where it exists.
"""

from __future__ import annotations

import ctypes
import ctypes.util

#: Arrays up to this size come from the heap (glibc's ceiling for the mmap threshold on 64 bits).
MMAP_THRESHOLD = 32 << 20
#: Free memory at the top of the heap is given back only past this much.
TRIM_THRESHOLD = 1 << 30
#: How much more the heap grows by than asked, so that a run of growing arrays grows it rarely.
TOP_PAD = 16 << 20

# mallopt's parameter numbers (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2
_M_MMAP_THRESHOLD = -3

_TUNED = False


def environment() -> dict[str, str]:
    """The variables that give a new process these settings (glibc reads them at start)."""
    return {
        "MALLOC_MMAP_THRESHOLD_": str(MMAP_THRESHOLD),
        "MALLOC_TRIM_THRESHOLD_": str(TRIM_THRESHOLD),
        "MALLOC_TOP_PAD_": str(TOP_PAD),
    }


def tune_this_process() -> bool:
    """Give this process the same settings (once); False where ``mallopt`` is not available."""
    global _TUNED
    if _TUNED:
        return True
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    _TUNED = all(mallopt(parameter, value) == 1 for parameter, value in (
        (_M_MMAP_THRESHOLD, MMAP_THRESHOLD), (_M_TRIM_THRESHOLD, TRIM_THRESHOLD), (_M_TOP_PAD, TOP_PAD)))
    return _TUNED
