"""training_experiments' trusted helpers in the child that runs student code: a fresh folder
for the TensorBoard logs, and the files written there, read back as bytes (bounded) for the
grader to parse. Copied beside the child's runner and imported before any student code."""

import os
import tempfile

import numpy as np

#: The most files and bytes of TensorBoard logs read back.
MAX_FILES = 64
MAX_BYTES = 16 << 20


def new_folder():
    """A new empty folder of the child's (for ``log_dir``)."""
    return tempfile.mkdtemp(prefix="tensorboard-logs-")


def log_files(folder):
    """``{relative path: its bytes as a uint8 array}`` of the regular files under ``folder``
    (links are not followed); a ValueError past :data:`MAX_FILES` or :data:`MAX_BYTES`."""
    found, total = {}, 0
    for root, _, files in os.walk(folder, followlinks=False):
        for name in sorted(files):
            path = os.path.join(root, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            if len(found) == MAX_FILES:
                raise ValueError(f"log_dir holds more than {MAX_FILES} files: write one run's logs there")
            with open(path, "rb") as stream:
                data = stream.read(MAX_BYTES + 1 - total)
            total += len(data)
            if total > MAX_BYTES:
                raise ValueError(f"the logs in log_dir exceed {MAX_BYTES >> 20} MB: log one value per epoch")
            found[os.path.relpath(path, folder)] = np.frombuffer(data, dtype=np.uint8)
    return found


#: Trusted helpers a check may apply in the child.
HELPERS = {"new_folder": new_folder, "log_files": log_files}
