"""Real multi-threaded programs from Debian that nobody here wrote (issue #6), run under the
detector on a generated 12 MB text file: zstd -T4, pigz -p 4 and sort --parallel=4 start thread
pools and shut them down properly, so they must report nothing, exit 0 and produce
byte-identical output (compressed and round-tripped). libtlcount.so, preloaded before the
detector, checks that each one really started threads under it. At least two of them must be
installed (Debian packages zstd, pigz, coreutils), or the test is skipped.
xz -T4 is different: it does not free its encoder before exiting (lzma_end is compiled only
into debug builds), so its workers are still blocked at exit, and they are reported."""
import glob
import os
import random
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from tl_test import *  # noqa: E402,F403
import lang_util  # noqa: E402

counter = os.path.join(SCENARIOS, "libtlcount.so")
check(os.path.exists(counter), f"{counter} not built")
tmp = tempfile.mkdtemp(prefix="tl-debian.")
data = os.path.join(tmp, "data.txt")
rnd = random.Random(6)
words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu".split()
with open(data, "w") as f:
    for _ in range(280000):
        f.write(" ".join(rnd.choice(words) for _ in range(6)) + f" {rnd.randrange(10**9)}\n")
with open(data, "rb") as f:
    original = f.read()


def under(argv, stdin=None):
    """Run argv bare, then under the detector with the thread counter; return (bare, result,
    threads created)."""
    bare = run(argv, preload=False, stdin=stdin, timeout=240)
    check(bare.rc == 0, f"{argv}: bare run exits {bare.rc}", bare.stderr)
    countfile = os.path.join(tmp, "count")
    r = run(argv, stdin=stdin, timeout=240,
            env={"LD_PRELOAD": counter + ":" + LIB, "TL_COUNT_FILE": countfile})
    counts = []
    for p in glob.glob(countfile + ".*"):
        with open(p) as f:
            counts.append(int(f.read()))
        os.unlink(p)
    return bare, r, sum(counts)


def clean(name, argv, stdin=None):
    bare, r, n = under(argv, stdin)
    check(r.rc == 0, f"{name}: exit status {r.rc} under the detector", r.stderr)
    check(r.stdout == bare.stdout, f"{name}: output differs under the detector "
          f"({len(r.stdout)} vs {len(bare.stdout)} bytes)")
    check(r.stderr == bare.stderr, f"{name}: stderr differs", r.stderr)
    check(r.report is not None and r.report["leaked"] == 0 and r.report["suppressed"] == 0,
          f"{name}: a report with leaks", r.report)
    check(n >= 2, f"{name}: started {n} threads under the detector, expected a pool")
    return r.stdout, n


tools = []
zstd = shutil.which("zstd")
if zstd:
    comp, n = clean("zstd -T4", [zstd, "-q", "-T4", "-c", data])
    out = subprocess.run([zstd, "-q", "-d", "-c"], input=comp, capture_output=True, timeout=120).stdout
    check(out == original, "zstd round trip")
    tools.append(f"zstd -T4 ({n} threads)")
else:
    print("skipped: zstd not installed")
pigz = shutil.which("pigz")
if pigz:
    comp, n = clean("pigz -p 4", [pigz, "-p", "4", "-c", data])
    plain, m = clean("pigz -d -p 4", [pigz, "-d", "-p", "4", "-c"], stdin=comp)
    check(plain == original, "pigz round trip")
    tools.append(f"pigz -p 4 ({n} threads), pigz -d ({m} threads)")
else:
    print("skipped: pigz not installed")
sort = shutil.which("sort")
if sort and subprocess.run([sort, "--parallel=2", "/dev/null"], capture_output=True).returncode == 0:
    out, n = clean("sort --parallel=4", [sort, "--parallel=4", "-S", "64M", data])
    check(len(out) == len(original) and out != original, "sort output is the sorted input")
    tools.append(f"sort --parallel=4 ({n} threads)")
else:
    print("skipped: GNU sort with --parallel not found")

# xz: reported, with the library's own function names, output intact
xz = shutil.which("xz")
if xz:
    bare, r, n = under([xz, "-T4", "--block-size=1MiB", "-c", data])
    check(r.stdout == bare.stdout, "xz: output differs under the detector")
    rep = r.report
    if rep["leaked"]:
        check(r.rc == 23, f"xz: status {r.rc} with {rep['leaked']} leaks")
        check(rep["leaked"] <= n, "xz: no more leaks than threads", rep)
        for l in rep["leaks"]:
            check(l["state"] == "blocked" and l["blocked_in"] == "pthread_cond_wait" and not l["detached"],
                  "xz's workers wait for work, joinable", l)
            check("lzma_code" in functions(l["created_by"]["stack"]), "created by lzma_code", l)
        print(f"xz -T4: its {rep['leaked']} encoder threads are reported (never joined: no lzma_end)")
    else:
        check(r.rc == 0, "xz: no leak, status 0", r.stderr)
        print("xz -T4: this xz frees its encoder, nothing reported")

shutil.rmtree(tmp)
if len(tools) < 2:
    lang_util.skip(f"fewer than two thread-pool programs installed ({tools}); install zstd and pigz")
print("clean under the detector: " + "; ".join(tools))
ok()
