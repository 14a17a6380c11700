"""Shared helpers of the lang suite: finding rustc and building the Rust seed, picking the
interpreters and runtimes to test."""
import os
import shutil
import subprocess

from tl_test import SCENARIOS, check, fail  # noqa: F401

SRC = os.environ.get("TL_LANG_SRC", os.path.dirname(os.path.abspath(__file__)))
SKIP = 77  # meson: the test was skipped


def skip(why):
    print(f"skipped: {why}")
    raise SystemExit(SKIP)


def find_rustc():
    """rustc from $RUSTC, PATH or ~/.cargo/bin (rustup's default), or None."""
    cands = [os.environ.get("RUSTC"), shutil.which("rustc"),
             os.path.expanduser("~/.cargo/bin/rustc")]
    for c in cands:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            p = subprocess.run([c, "--version"], capture_output=True, text=True, timeout=60)
            if p.returncode == 0:
                return c
    return None


def build_rust_seed(rustc, variant, extra=()):
    """Build tests/lang/seed.rs with -g -C opt-level=1 (the closure and send get inlined) into
    the suite's build folder; returns the binary's path. Rebuilt when the source or the
    compiler changes."""
    out = os.path.join(SCENARIOS, f"seed_rs_{variant}")
    src = os.path.join(SRC, "seed.rs")
    version = subprocess.run([rustc, "--version"], capture_output=True, text=True, timeout=60).stdout
    stamp = f"{rustc}\n{version}"
    try:
        with open(out + ".rustc") as f:
            same = f.read() == stamp
    except OSError:
        same = False
    if same and os.path.exists(out) and os.path.getmtime(out) >= os.path.getmtime(src):
        return out
    tmp = f"{out}.tmp{os.getpid()}"
    p = subprocess.run([rustc, "-g", "-C", "opt-level=1", *extra, "-o", tmp, src],
                       capture_output=True, text=True, timeout=240)
    check(p.returncode == 0, f"rustc failed ({p.returncode})", p.stderr)
    os.replace(tmp, out)
    with open(f"{out}.rustc.{os.getpid()}", "w") as f:
        f.write(stamp)
    os.replace(f"{out}.rustc.{os.getpid()}", out + ".rustc")
    return out


def pythons():
    """The Python interpreters to test: Debian's /usr/bin/python3 (stripped, as users have it)
    and the one running this test, when they differ."""
    seen, out = set(), []
    import sys
    for c in ["/usr/bin/python3", sys.executable]:
        if c and os.path.exists(c):
            real = os.path.realpath(c)
            if real not in seen:
                seen.add(real)
                out.append(real)
    return out
