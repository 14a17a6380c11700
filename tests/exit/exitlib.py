"""Helpers shared by the exit-path suite."""
import os
import resource
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from tl_test import *  # noqa: E402,F403
from tl_test import LIB, check, fail  # noqa: E402

# scenarios that expose a crash must not litter the build directory with core files
resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))


def libc_path():
    out = subprocess.run(["ldd", LIB], stdout=subprocess.PIPE, text=True, check=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if parts and parts[0].startswith("libc.so") and "=>" in parts:
            return parts[parts.index("=>") + 1]
    fail(f"no libc in ldd {LIB}:\n{out}")
