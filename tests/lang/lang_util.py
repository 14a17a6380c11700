"""Shared helpers of the lang suite: finding rustc and building the Rust seed, picking the
interpreters and runtimes to test."""
import os
import shutil
import subprocess

from tl_test import SCENARIOS, SKIP, check, fail, skip  # noqa: F401

SRC = os.environ.get("TL_LANG_SRC", os.path.dirname(os.path.abspath(__file__)))


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


def build_cached(out, srcs, argv, cwd=None, env=None, timeout=300):
    """Run the build command argv (which writes `out`) unless out is newer than every file in
    srcs (files or folders); returns out. For programs the suite builds with a toolchain
    meson does not drive (go, javac, a second C compiler)."""
    files = []
    for s in srcs:
        files += [os.path.join(s, f) for f in os.listdir(s)] if os.path.isdir(s) else [s]
    newest = max(os.path.getmtime(f) for f in files)
    if os.path.exists(out) and os.path.getmtime(out) >= newest:
        return out
    e = dict(os.environ)
    e.pop("LD_PRELOAD", None)
    e.update(env or {})
    p = subprocess.run(argv, cwd=cwd, env=e, capture_output=True, text=True, timeout=timeout)
    check(p.returncode == 0 and os.path.exists(out), f"build of {out} failed: {argv}", p.stderr)
    os.utime(out)
    return out


def go_build(go, pkg, name, *flags):
    """Build tests/lang/go/<pkg> with `go build` into the suite's build folder (its own
    GOCACHE and GOPATH there, no network); returns the path."""
    godir = os.path.join(SCENARIOS, "go")
    out = os.path.join(godir, name)
    env = {"GOCACHE": os.path.join(godir, "cache"), "GOPATH": os.path.join(godir, "path"),
           "GOFLAGS": "-mod=mod", "GOPROXY": "off", "GOTOOLCHAIN": "local", "CGO_ENABLED": "1"}
    src = os.path.join(SRC, "go", pkg)
    return build_cached(out, [src], [go, "build", *flags, "-o", out, "."], cwd=src, env=env)
