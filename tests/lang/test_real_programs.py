"""The corpus of real programs (docs/real-programs.md): multithreaded programs from Debian that
nobody here wrote, and small programs built on real runtimes (OpenMP, oneTBB), each run bare
and under the detector, each with its expected verdict:
- clean: no leak, the default sets suppress exactly the runtimes expected (at least the count
  given), output, stderr and status identical to the bare run;
- a real leak (xz -T4): that many threads reported, status 23, output identical;
- not checked: the program ends with _exit() or, for Go, the exit_group system call, so no
  exit handler runs: no report, output and status identical.
libtlcount.so, preloaded before the detector, checks that each checked program really started
threads under it. A new verdict (a new leak, a leak gone, a runtime's threads no longer
suppressed) fails the test. Every program must be installed: .ci/run installs the packages
(the failure message names the missing ones)."""
import functools
import glob
import http.server
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

from tl_test import *  # noqa: E402,F403
import lang_util  # noqa: E402

counter = os.path.join(SCENARIOS, "libtlcount.so")
check(os.path.exists(counter), f"{counter} not built")
tmp = tempfile.mkdtemp(prefix="tl-corpus.")


class P:
    """One program of the corpus; leaks is a count or a (least, most) range. argv may use {data} (6 MB of text), {small} (640 kB),
    {tmp} (a scratch folder, the same for the bare run and the run under the detector) and
    {out} (a file the program writes; compared between both runs when same_output)."""

    def __init__(self, name, argv, package, leaks=0, sets=None, threads=1, checked=True,
                 stdin=None, same_output=True, env=None, detail=None, unordered=False):
        self.name, self.argv, self.package = name, argv, package
        self.leaks, self.sets, self.threads, self.checked = leaks, sets or {}, threads, checked
        self.stdin, self.same_output, self.env, self.detail = stdin, same_output, env or {}, detail
        self.unordered = unordered  # its threads print lines in any order


def xz_detail(rep):
    for l in rep["leaks"]:
        check(l["state"] == "blocked" and l["blocked_in"] == "pthread_cond_wait" and not l["detached"],
              "xz's workers wait for work, joinable", l)
        check("lzma_code" in functions(l["created_by"]["stack"]), "created by lzma_code", l)


# ---- inputs ----
data = os.path.join(tmp, "data.txt")
rnd = random.Random(6)
words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu".split()
with open(data, "w") as f:
    for _ in range(140000):
        f.write(" ".join(rnd.choice(words) for _ in range(6)) + f" {rnd.randrange(10**9)}\n")
with open(data, "rb") as f:
    original = f.read()
small = os.path.join(tmp, "small.txt")
with open(small, "wb") as f:
    f.write(original[:640000])


def prepared(argv, **kw):
    """Output of a bare helper command, as input for a program of the corpus (empty when the
    tool is missing: the check below names it)."""
    try:
        p = subprocess.run(argv, capture_output=True, timeout=120, **kw)
    except OSError:
        return b""
    return p.stdout if p.returncode == 0 else b""


repo = os.path.join(tmp, "repo")
pack = None
genv = None
if shutil.which("git"):
    genv = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
                GIT_COMMITTER_EMAIL="t@t", GIT_CONFIG_NOSYSTEM="1", HOME=tmp)
    os.makedirs(repo)
    for i in range(1, 41):
        with open(os.path.join(repo, f"f{i}.txt"), "wb") as f:
            f.write(original[i * 7000:i * 7000 + i * 4000])
    for cmd in (["init", "-q"], ["add", "."], ["commit", "-qm", "corpus"], ["repack", "-adq"]):
        subprocess.run(["git", "-C", repo, *cmd], env=genv, check=True, capture_output=True, timeout=120)
    pack = glob.glob(os.path.join(repo, ".git/objects/pack/*.pack"))[0]

# curl's threaded resolver: a name the resolver finds in /etc/hosts (curl resolves "localhost"
# itself), served on the address it names (a container names its own address, not 127.0.0.1)
www = os.path.join(tmp, "www")
os.makedirs(www)
shutil.copy(small, www)


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


names = [socket.gethostname(), "localhost.localdomain"]
try:
    with open("/etc/hosts") as f:
        names += [n for line in f if not line.startswith("#") for n in line.split()[1:]]
except OSError:
    pass
host = addr = None
for n in names:
    if n == "localhost" or n.endswith(".localhost"):
        continue
    try:
        addr = socket.getaddrinfo(n, None, socket.AF_INET)[0][4][0]
    except (OSError, IndexError):
        continue
    host = n
    break
check(host is not None, "no host name resolves to an IPv4 address (curl's resolver needs one)", names)
server = http.server.ThreadingHTTPServer((addr, 0), functools.partial(Quiet, directory=www))
threading.Thread(target=server.serve_forever, daemon=True).start()
url = f"http://{host}:{server.server_address[1]}/small.txt"

with open(os.path.join(tmp, "Makefile"), "w") as f:
    f.write(f"all: a b c\na:\n\tzstd -q -T2 -c {small} > /dev/null\n"
            f"b:\n\tsort --parallel=2 -S 16M {small} > /dev/null\n"
            f"c:\n\tpigz -p 2 -c {small} > /dev/null\n")
with open(os.path.join(tmp, "h.c"), "w") as f:
    f.write('#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n')
with open(os.path.join(tmp, "h.rs"), "w") as f:
    f.write('fn main() { println!("hi"); }\n')
with open(os.path.join(tmp, "np.py"), "w") as f:
    f.write("import numpy\na = numpy.random.default_rng(1).random((400, 400))\n"
            "print(round(float((a @ a).trace()), 3))\n")
os.makedirs(os.path.join(tmp, "rsync-src/sub"))
for i in range(20):
    shutil.copy(small if i % 2 else data, os.path.join(tmp, "rsync-src/sub", f"f{i}"))

# programs built here on real runtimes
omp_gcc = os.path.join(SCENARIOS, "omp_runtime")
omp_clang = os.path.join(SCENARIOS, "omp_runtime_clang")
if shutil.which("clang"):
    lang_util.build_cached(omp_clang, [os.path.join(lang_util.SRC, "omp_runtime.c")],
                           ["clang", "-O1", "-g", "-fopenmp", "-pthread", "-o", omp_clang,
                            os.path.join(lang_util.SRC, "omp_runtime.c")])
tbb = os.path.join(SCENARIOS, "tbb_sum")
go = shutil.which("go")
cgo = lang_util.go_build(go, "prog", "cgo_prog") if go else "go"
py3 = "/usr/bin/python3"
node = shutil.which("node") or shutil.which("nodejs") or "node"
JOPTS = ["-XX:TieredStopAtLevel=1", "-XX:ParallelGCThreads=1", "-XX:ConcGCThreads=1"]
xz_small = prepared(["xz", "-1", "-T4", "--block-size=128KiB", "-c", small])
bz_small = prepared(["pbzip2", "-c", small])
gz_data = prepared(["pigz", "-c", data])
png = os.path.join(tmp, "in.png")
prepared(["gm", "convert", "-size", "500x400", "plasma:fractal", png],
         env=dict(os.environ, OMP_NUM_THREADS="1"))
OMP4 = {"OMP_NUM_THREADS": "4"}

CORPUS = [
    # compressors
    P("zstd -T4", ["zstd", "-q", "-T4", "-c", "{data}"], "zstd", threads=2),
    P("pzstd -p 4", ["pzstd", "-q", "-p", "4", "-c", "{data}"], "zstd", threads=2),
    P("pigz -p 4", ["pigz", "-p", "4", "-c", "{data}"], "pigz", threads=2),
    P("pigz -d -p 4", ["pigz", "-d", "-p", "4", "-c"], "pigz", stdin=gz_data, threads=2),
    P("pbzip2 -p4", ["pbzip2", "-p4", "-c", "{small}"], "pbzip2", threads=2),
    P("pbzip2 -d -p4", ["pbzip2", "-d", "-p4", "-c"], "pbzip2", stdin=bz_small, threads=2),
    P("xz -T4", ["xz", "-1", "-T4", "--block-size=128KiB", "-c", "{small}"], "xz-utils", leaks=4, threads=4,
      detail=xz_detail),
    # the decoder starts a worker per block as input arrives: 2 to 4 of them by the end
    P("xz -d -T4", ["xz", "-d", "-T4", "-c"], "xz-utils", stdin=xz_small, leaks=(2, 4), threads=2,
      detail=xz_detail),
    P("plzip -n 4", ["plzip", "-0", "-n", "4", "-B", "128KiB", "-c", "{small}"], "plzip", threads=2),
    P("pixz -p 4", ["pixz", "-1", "-p", "4", "{small}", "{out}"], "pixz", threads=2),
    P("7zz a -mmt4", ["7zz", "a", "-bso0", "-bsp0", "-mmt4", "-mx1", "{out}.7z", "{data}"], "7zip", threads=1,
      same_output=False),
    P("lbzip2 -n 4", ["lbzip2", "-n", "4", "-c", "{small}"], "lbzip2", checked=False),
    # text, version control, network, build tools
    P("sort --parallel=4", ["sort", "--parallel=4", "-S", "64M", "{data}"], "coreutils", threads=1),
    P("git grep --threads=4", ["git", "-C", repo, "grep", "--threads=4", "-c", "theta kappa"], "git",
      threads=2),
    P("git index-pack --threads=4", ["git", "index-pack", "--threads=4", "-o", "{out}.idx", pack or "-"],
      "git", threads=2, same_output=False),
    P("git repack -adf (pack-objects)", ["git", "-C", "{tmp}/clone", "-c", "pack.threads=4", "repack",
      "-adfq"], "git", threads=0, same_output=False),
    P("rg --threads 4", ["rg", "--threads", "4", "-c", "theta kappa", repo], "ripgrep", threads=2,
      unordered=True),
    P("curl (threaded resolver)", ["curl", "-s", "--noproxy", "*", "-o", "{out}", url], "curl", threads=1),
    P("rsync -a (processes)", ["rsync", "-a", "{tmp}/../rsync-src/", "{tmp}/dst/"], "rsync", threads=0),
    P("make -j4 (threaded recipes)", ["make", "-s", "-j4", "-f", os.path.join(tmp, "Makefile")], "make",
      threads=4),
    P("gcc -fuse-ld=gold --threads", ["gcc", "-fuse-ld=gold", "-Wl,--threads", "-Wl,--thread-count=4",
      os.path.join(tmp, "h.c"), "-o", "{out}"], "binutils", threads=1, same_output=False),
    P("mold (linker)", ["gcc", "-fuse-ld=mold", os.path.join(tmp, "h.c"), "-o", "{out}"], "mold",
      threads=0, same_output=False),
    P("rustc -C codegen-units=4", ["/usr/bin/rustc", "-C", "codegen-units=4", "-o", "{out}",
      os.path.join(tmp, "h.rs")], "rustc", threads=2, same_output=False),
    # images (GraphicsMagick and libimagequant use GCC's OpenMP)
    P("gm convert (OpenMP)", ["gm", "convert", png, "-blur", "0x2", "{out}.png"], "graphicsmagick",
      sets={"libgomp": 1}, threads=1, same_output=False, env=OMP4),
    P("pngquant (OpenMP)", ["pngquant", "--force", "--output", "{out}.png", "64", png], "pngquant",
      sets={"libgomp": 1}, threads=1, env=OMP4),
    P("cwebp -mt", ["cwebp", "-quiet", "-mt", png, "-o", "{out}.webp"], "webp", threads=1),
    # interpreters and runtimes
    P("python3 + numpy (OpenBLAS)", [py3, os.path.join(tmp, "np.py")], "python3-numpy", threads=1),
    P("python3 ThreadPoolExecutor", [py3, "-c", "from concurrent.futures import ThreadPoolExecutor as E;"
      " print(sum(E(4).map(lambda x: x * x, range(1000))))"], "python3", threads=2),
    P("node worker_threads", [node, "-e", "const {{Worker}} = require('worker_threads');"
      " const w = new Worker('require(\"worker_threads\").parentPort.postMessage(6 * 7)', {{eval: true}});"
      " w.on('message', m => {{ console.log(m); w.terminate(); }});"], "nodejs", sets={"node": 1},
      threads=2),
    P("java -version", ["java", *JOPTS, "-version"], "default-jdk-headless", sets={"jvm": 5}, threads=5),
    P("javac", ["javac", "-J-XX:TieredStopAtLevel=1", "-d", "{tmp}/classes",
      os.path.join(lang_util.SRC, "JvmWork.java")], "default-jdk-headless", sets={"jvm": 5}, threads=5),
    P("gdb -batch", ["gdb", "-batch", "-nx", "-iex", "maint set worker-threads 2", "-ex", "info threads",
                     "/bin/true"], "gdb", sets={"gdb": 2}, threads=2),
    P("restic version (Go)", ["restic", "version"], "restic", checked=False),
    # built here
    P("OpenMP, gcc (libgomp)", [omp_gcc, "pool"], "gcc", sets={"libgomp": 3}, threads=3, env=OMP4),
    P("OpenMP, clang (libomp)", [omp_clang, "pool"], "libomp-dev", threads=3, env=OMP4),
    # TBB ends its worker in its own teardown, after the check before the teardown, which may
    # see it idle (set tbb)
    P("oneTBB parallel_reduce", [tbb], "libtbb-dev", sets={"tbb": 0}, threads=1),
    P("cgo program, ends with C's exit", [cgo, "exit"], "golang-go", sets={"go": 2}, threads=2),
]

missing = [f"{p.name} ({p.package})" for p in CORPUS
           if not (os.path.exists(p.argv[0]) or shutil.which(p.argv[0]))]
check(not missing, "programs of the corpus are missing (.ci/run installs them): " + ", ".join(missing))


def run_one(p, preload):
    """Run p in a fresh scratch folder; returns (Result, output bytes, threads created)."""
    scratch = tempfile.mkdtemp(dir=tmp)
    if "clone" in " ".join(p.argv):
        subprocess.run(["git", "clone", "-q", repo, os.path.join(scratch, "clone")], env=genv,
                       check=True, capture_output=True, timeout=120)
    out = os.path.join(scratch, "out")
    argv = [a.format(data=data, small=small, tmp=scratch, out=out) for a in p.argv]
    countfile = os.path.join(scratch, "count")
    env = dict(p.env, HOME=tmp)
    if preload:
        env.update({"LD_PRELOAD": counter + ":" + LIB, "TL_COUNT_FILE": countfile})
    r = run(argv, preload=preload, stdin=p.stdin, env=env, timeout=240, cwd=scratch)
    n = 0
    for c in glob.glob(countfile + ".*"):
        with open(c) as f:
            n += int(f.read())
    produced = b""
    for o in sorted(glob.glob(out + "*")):
        with open(o, "rb") as f:
            produced += f.read()
    shutil.rmtree(scratch)
    return r, produced, n


summary = []
for p in CORPUS:
    t0 = time.monotonic()
    bare, bare_out, _ = run_one(p, False)
    check(bare.rc == 0, f"{p.name}: the bare run exits {bare.rc}", bare.stderr)
    r, out, n = run_one(p, True)
    what = f"{p.name}: "
    same = (sorted(r.stdout.splitlines()) == sorted(bare.stdout.splitlines()) if p.unordered
            else r.stdout == bare.stdout)
    check(same, what + f"stdout differs under the detector ({len(r.stdout)} vs "
          f"{len(bare.stdout)} bytes)", r.stdout[-2000:], bare.stdout[-2000:])
    check(not p.same_output or out == bare_out, what + "the output file differs under the detector")
    if not p.checked:
        check(r.rc == 0 and not r.reports and r.stderr == bare.stderr,
              what + "expected no check (the program ends without exit handlers)", r.stderr, r.reports)
        summary.append(f"{p.name}: not checked")
        continue
    check(r.reports, what + "no report", r.stderr)
    leaks = [l for rep in r.reports for l in rep["leaks"]]
    supp = {}
    for rep in r.reports:
        for u in rep["suppressions_used"]:
            check(u["set"] is not None, what + "a rule outside the default sets", u)
            supp[u["set"]] = supp.get(u["set"], 0) + u["count"]
    low, high = p.leaks if isinstance(p.leaks, tuple) else (p.leaks, p.leaks)
    check(low <= len(leaks) <= high, what + f"{len(leaks)} leaked threads, expected {p.leaks}", r.reports)
    # a set's count: at least that many (0: the set may suppress threads, or none)
    check(set(supp) <= set(p.sets) and all(supp.get(s, 0) >= p.sets[s] for s in p.sets),
          what + f"suppressed {supp}, expected {p.sets} (at least)", r.reports)
    check(n >= p.threads, what + f"started {n} threads under the detector, expected at least {p.threads}")
    if p.leaks:
        check(r.rc == 23, what + f"status {r.rc} with leaks", r.stderr)
        if p.detail:
            for rep in r.reports:
                p.detail(rep)
    else:
        check(r.rc == 0 and r.stderr == bare.stderr, what + f"status {r.rc}, stderr", r.stderr, bare.stderr)
    summary.append(f"{p.name}: {n} threads, {len(leaks)} leaked, suppressed {supp or 'none'} "
                   f"({time.monotonic() - t0:.1f} s)")

# the set gdb is needed: without it gdb's idle workers are reported
r = run(["gdb", "-batch", "-nx", "-iex", "maint set worker-threads 2", "-ex", "info threads", "/bin/true"],
        options="disable_default_sets=gdb", env={"HOME": tmp})
gdb_leaks = [l for rep in r.reports for l in rep["leaks"]]
check(r.rc == 23 and len(gdb_leaks) == 2 and {l["name"] for l in gdb_leaks} == {"gdb worker"},
      "gdb without its set: its workers reported", r.reports)

server.shutdown()
shutil.rmtree(tmp)
print("\n".join(summary))
ok(f"{len(CORPUS)} programs, every verdict as expected")
