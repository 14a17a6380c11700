"""A program built with AddressSanitizer under `threadleak run`: ASan's runtime aborts a program
in which it is not the first object loaded, and libthreadleak.so, preloaded, comes first; run
adds verify_asan_link_order=0 to ASAN_OPTIONS (after the user's own flags, unless they set that
one), so the program runs and its leaked thread is reported. Skipped without gcc's ASan."""
import json
import os
import subprocess
import sys

from clitest import *  # noqa: E402,F403

work = tmpdir()
src = os.path.join(work, "asan_leak.c")
with open(src, "w") as f:
    f.write("#include <pthread.h>\n#include <stdio.h>\n#include <unistd.h>\n"
            "static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;\n"
            "static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;\n"
            "static void *w(void *a) { pthread_mutex_lock(&mu); pthread_cond_wait(&cv, &mu); return a; }\n"
            "int main(void) { pthread_t t; pthread_create(&t, 0, w, 0); usleep(50000); puts(\"done\"); return 0; }\n")
prog = os.path.join(work, "asan_leak")
b = subprocess.run(["gcc", "-g", "-fsanitize=address", "-pthread", src, "-o", prog], capture_output=True)
if b.returncode != 0:
    print("gcc -fsanitize=address failed: skipped", b.stderr.decode(errors="replace")[-300:])
    sys.exit(77)
env = {"ASAN_OPTIONS": ""}  # run() adds to os.environ: an ASan CI run sets its own flags
bare = run([prog], preload=False, env=env)
check(bare.rc == 0 and bare.stdout == b"done\n", f"bare: {bare.rc}", bare.stderr)

j = os.path.join(work, "r.json")
r = tl("run", "--json", j, "--", prog, env=env)
check(r.rc == 23 and r.stdout == b"done\n" and "does not come first" not in err(r),
      f"under run: status {r.rc}", err(r))
with open(j) as f:
    doc = json.load(f)
leaks = [l for p in doc["processes"] for l in p["leaks"]]
check(len(leaks) == 1 and leaks[0]["blocked_in"] == "pthread_cond_wait", "the leaked thread", doc)

# the user's flags are kept, the link-order check added after them; the user's own choice of
# it is left alone
for given, want in [("", "verify_asan_link_order=0"),
                    ("detect_leaks=0", "detect_leaks=0:verify_asan_link_order=0"),
                    ("verify_asan_link_order=1", "verify_asan_link_order=1")]:
    e = dict(env, ASAN_OPTIONS=given)
    r = tl("run", "--", "sh", "-c", 'printf "%s" "$ASAN_OPTIONS"', env=e)
    check(r.rc == 0 and out(r) == want, f"ASAN_OPTIONS {given!r}: the command saw {out(r)!r}, expected {want!r}")
ok()
