"""`meson install` into a temporary DESTDIR installs the library, include/threadleak.h and
threadleak.pc; a program built against the installed header with nothing but
`pkg-config --cflags --libs threadleak` compiles cleanly (-Wall -Wextra -pedantic -Werror),
exports its hook functions, runs bare (the API does nothing), and under the installed library
(found with `pkg-config --variable=preload`) finds its leak, applies its own hooks and exits
with the hook's exitcode=42."""
import filecmp
import os
import shutil
import subprocess

from apiutil import *  # noqa: F403

BUILD = os.environ["TL_BUILD_ROOT"]
SOURCE = os.environ["TL_SOURCE_ROOT"]
meson = shutil.which("meson")
pkgconfig = shutil.which("pkg-config") or shutil.which("pkgconf")
cc = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
if not (meson and pkgconfig and cc):
    skip(f"needs meson, pkg-config and a C compiler (found {meson}, {pkgconfig}, {cc})")

work = workdir()


def sh(argv, env=None, what=None):
    e = dict(os.environ)
    e.pop("LD_PRELOAD", None)
    e.pop("THREADLEAK_OPTIONS", None)
    if env:
        e.update(env)
    p = subprocess.run(argv, env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=240, text=True)
    check(p.returncode == 0, f"{what or argv[0]}: status {p.returncode}: {' '.join(argv)}", p.stdout, p.stderr)
    return p.stdout


def find(root, name):
    hits = [os.path.join(d, name) for d, _, files in os.walk(root) if name in files]
    check(len(hits) == 1, f"{name}: installed {len(hits)} times under {root}: {hits}")
    return hits[0]


try:
    dest = os.path.join(work, "dest")
    sh([meson, "install", "-C", BUILD, "--destdir", dest, "--no-rebuild", "--quiet"], what="meson install")
    lib = find(dest, "libthreadleak.so")
    demangler = find(dest, "libthreadleak-demangle.so")
    check(os.path.dirname(demangler) == os.path.dirname(lib),
          f"the demangler module beside the library, where it looks (preload/deps.c): {demangler}")
    header = find(dest, "threadleak.h")
    pc = find(dest, "threadleak.pc")
    check(filecmp.cmp(header, os.path.join(SOURCE, "include", "threadleak.h"), shallow=False),
          "the installed header is include/threadleak.h")
    check(os.path.basename(os.path.dirname(pc)) == "pkgconfig", f"threadleak.pc in a pkgconfig dir: {pc}")
    fields = dict(l.split("=", 1) for l in open(pc).read().splitlines() if "=" in l and ":" not in l.split("=")[0])
    prefix = fields.get("prefix", "")
    check(prefix.startswith("/"), f"prefix= in threadleak.pc: {prefix!r}", open(pc).read())
    # the installed tree lives under DESTDIR+prefix: relocate the .pc there
    env = {"PKG_CONFIG_PATH": os.path.dirname(pc), "PKG_CONFIG_LIBDIR": os.path.dirname(pc)}
    reloc = [f"--define-variable=prefix={dest}{prefix}"]
    version = sh([pkgconfig, "--modversion", "threadleak"], env).strip()
    check(version and version[0].isdigit(), f"--modversion: {version!r}")
    cflags = sh([pkgconfig] + reloc + ["--cflags", "threadleak"], env).split()
    libs = sh([pkgconfig] + reloc + ["--libs", "threadleak"], env).split()
    preload = sh([pkgconfig] + reloc + ["--variable=preload", "threadleak"], env).strip()
    print("cflags", cflags, "libs", libs, "preload", preload)
    check(cflags == [f"-I{os.path.dirname(header)}"], f"Cflags name the installed include dir: {cflags}")
    check(os.path.realpath(preload) == os.path.realpath(lib), f"preload variable {preload} is the library {lib}")
    check(all(not f.startswith("-l") for f in libs), f"Libs link nothing (the library is preloaded): {libs}")
    check("-Wl,--export-dynamic-symbol=threadleak_default_options" in libs
          and "-Wl,--export-dynamic-symbol=threadleak_default_suppressions" in libs, f"Libs export the hooks: {libs}")

    # build against the installed header only: no -I into the source tree
    prog = os.path.join(work, "installed")
    sh([cc, "-std=gnu11", "-Wall", "-Wextra", "-pedantic", "-Werror", os.path.join(HERE, "installed.c"),
        "-o", prog, "-pthread"] + cflags + libs, what="build against the installed header")
    nm = shutil.which("nm")
    if nm:
        syms = sh([nm, "-D", "--defined-only", prog])
        check("threadleak_default_options" in syms and "threadleak_default_suppressions" in syms,
              "the hooks are exported (pkg-config Libs)", syms)
    # also as C++, when there is a compiler
    cxx = shutil.which("c++") or shutil.which("g++")
    if cxx and not os.environ.get("TL_NO_CPP"):
        cpp = os.path.join(work, "installed.cpp")
        shutil.copy(os.path.join(HERE, "installed.c"), cpp)
        sh([cxx, "-std=c++11", "-Wall", "-Wextra", "-pedantic", "-Werror", "-c", cpp, "-o", os.path.join(work, "cpp.o")]
           + cflags, what="build as C++")

    bare = run([prog], preload=False)
    check(bare.rc == 0 and bare.stdout == b"active 0\nverify 0\n" and bare.stderr == b"", f"bare: {bare.rc}",
          bare.stdout, bare.stderr)

    import tl_test
    tl_test.LIB = preload  # the installed library, not the build tree's
    r = run([prog])
    check(r.stdout == b"active 1\nverify 1\n", "installed library: the API finds the worker", r.stdout, r.stderr)
    check(r.rc == 42, f"installed library: status {r.rc}, expected the hook's exitcode=42", r.stderr)
    rep = r.report
    check(rep["leaked"] == 1 and rep["suppressed"] == 1 and used(rep) == {"name:^keeper$": 1},
          "installed library: the program's suppression hook applies", rep)
    check(warnings(r.stderr) == [], "installed library: warnings", r.stderr)
    # the library that ran is the installed one
    check(os.path.realpath(preload).startswith(os.path.realpath(dest)), "preloaded from the DESTDIR")
finally:
    shutil.rmtree(work, ignore_errors=True)
ok()
