"""Helpers shared by the exit-path suite."""
import subprocess

from tl_test import *  # noqa: F403
from tl_test import LIB, check, fail, no_core_files  # noqa: F401

no_core_files()


def libc_path():
    out = subprocess.run(["ldd", LIB], stdout=subprocess.PIPE, text=True, check=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if parts and parts[0].startswith("libc.so") and "=>" in parts:
            return parts[parts.index("=>") + 1]
    fail(f"no libc in ldd {LIB}:\n{out}")
