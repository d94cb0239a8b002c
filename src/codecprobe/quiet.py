"""Silencing native libraries that write to the process's stderr (file descriptor 2) directly.

Python's ``warnings`` and ``logging`` cannot reach C and C++ code that prints with ``fprintf(stderr)``:
TFLite's "INFO: Created TensorFlow Lite XNNPACK delegate for CPU." and libmpg123's bit-reservoir
errors while it seeks in an MP3 (it decodes a few frames before the target and discards them; the
samples read are exact). :func:`native_stderr_silenced` sends descriptor 2 to /dev/null around such
calls only. Standard library only, so that light modules may use it.
"""
from __future__ import annotations

import contextlib
import os
import sys
import threading

_lock = threading.Lock()
_depth = 0
_saved_fd: int | None = None


@contextlib.contextmanager
def native_stderr_silenced():
    """Descriptor 2 goes to /dev/null meanwhile; safe to nest and to enter from several threads.

    Whatever else the process writes to stderr meanwhile is lost too, so keep the block to the
    native call that chatters; its failures still reach Python as exceptions.
    """
    global _depth, _saved_fd
    with _lock:
        if _depth == 0:
            sys.stderr.flush()
            _saved_fd = os.dup(2)
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 2)
            os.close(null)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                os.dup2(_saved_fd, 2)
                os.close(_saved_fd)
                _saved_fd = None
