"""GCC's OpenMP runtime (libgomp) keeps its pool of workers for the process lifetime: after a
parallel loop with OMP_NUM_THREADS=4, three workers wait in libgomp for the next region. The
default set "libgomp" (rule only_in:/libgomp.so.: the thread runs nothing but libgomp's code)
suppresses them:
- set on: no report, the program's output and status unchanged, the workers counted as
  suppressed; with OMP_WAIT_POLICY=active (workers spinning, not parked) too;
- set off (disable_default_sets=libgomp, default_suppressions=0): the three workers reported,
  with libgomp's frames and created by GOMP_parallel from main;
- a pthread the program starts inside a parallel region is reported, with its own frames;
- a task still blocked at exit because the program did not wait for it (no taskwait) is
  reported with the task's frame: the worker running it is running the user's code.
Built by meson with the C compiler's OpenMP (GCC: libgomp). Skipped when OpenMP is not
available to the C compiler."""
import os
import sys

from tl_test import *  # noqa: E402,F403
import lang_util  # noqa: E402

path = os.path.join(SCENARIOS, "omp_runtime")
if not os.path.exists(path):
    lang_util.skip("omp_runtime not built (no OpenMP for the C compiler)")
src = os.path.join(lang_util.SRC, "omp_runtime.c")
RULE = "only_in:/libgomp.so."
ENV = {"OMP_NUM_THREADS": "4"}


def gomp(frames):
    return any("libgomp.so" in (f.get("module") or "") for f in frames)


bare = run([path, "pool"], preload=False, env=ENV)
check(bare.rc == 0 and bare.stdout.strip(), "bare run", bare.stdout, bare.stderr)

for extra in [{}, {"OMP_WAIT_POLICY": "active"}]:
    r = run([path, "pool"], env={**ENV, **extra})
    check(r.rc == 0 and r.stdout == bare.stdout and r.stderr == bare.stderr,
          f"{extra}: status {r.rc} under the detector", r.stdout, r.stderr)
    rep = r.report
    check(rep["leaked"] == 0 and rep["suppressed"] == 3, f"{extra}: libgomp's 3 workers suppressed", rep)
    for s in rep["suppressed_threads"]:
        check(s["suppressed_by"] == RULE and gomp(s["stack"]), "suppressed by the libgomp set", s)
    check(rep["suppressions_used"] == [{"rule": RULE, "count": 3, "set": "libgomp"}],
          "suppressions_used", rep)
t = run([path, "pool"], env=ENV, json_format=False)
check(t.rc == 0 and t.stdout == bare.stdout and t.stderr == bare.stderr, "text mode: no report", t.stderr)

# the set is needed: without it the pool is reported, with libgomp's frames
for opts in ["disable_default_sets=libgomp", "default_suppressions=0"]:
    r = run([path, "pool"], options=opts, env=ENV)
    check(r.rc == 23 and r.stdout == bare.stdout, f"{opts}: status {r.rc}", r.stderr)
    rep = r.report
    check(rep["leaked"] == 3 and rep["suppressed"] == 0, f"{opts}: the 3 workers reported", rep)
    for l in rep["leaks"]:
        check(gomp(l["stack"]) and not l["detached"], "a worker waiting in libgomp", l)
        cfns = functions(l["created_by"]["stack"])
        check("GOMP_parallel" in cfns and "pool" in cfns, "created by GOMP_parallel from pool()", l)
# another set off leaves this one on
r = run([path, "pool"], options="disable_default_sets=jvm", env=ENV)
check(r.rc == 0 and r.report["suppressed"] == 3, "disable_default_sets=jvm keeps libgomp's", r.report)

# a pthread started inside a parallel region is the user's
r = run([path, "pthread"], env=ENV)
check(r.rc == 23 and r.stdout == bare.stdout, f"pthread: status {r.rc}", r.stderr)
rep = r.report
# (the num_threads(2) region shrinks the pool to one worker)
check(rep["leaked"] == 1 and rep["suppressed"] == 1, "the user's pthread reported, the worker not", rep)
check(rep["suppressed_threads"][0]["suppressed_by"] == RULE, "the worker suppressed by the set", rep)
l = rep["leaks"][0]
check(l["start_routine"] == "user_worker" and l["state"] == "blocked" and l["blocked_in"] == "read",
      "the user's thread", l)
f = frame(l["stack"], "user_worker")
check(f and f["line"] == source_line(src, "marker: user_worker blocks"), "user_worker's line", l)
cf = frame(l["created_by"]["stack"], "start_user_thread")
check(cf and cf["line"] == source_line(src, "marker: user pthread_create"), "created in the region", l)

# a task left running at exit (no taskwait) is the user's: the worker running it is reported.
# Repeated: which thread takes the task and how far the others are is up to the scheduler
# (TL_STRESS_RUNS for more; 300 runs of the pthread, task and pool cases by hand, no failure)
for i in range(int(os.environ.get("TL_STRESS_RUNS", "5"))):
    r = run([path, "task"], env=ENV)
    check(r.rc == 23 and r.stdout == b"exit\n", f"task: status {r.rc} (run {i})", r.stdout, r.stderr)
    rep = r.report
    leaks = rep["leaks"]
    check(len(leaks) == 1, "one worker runs the task", rep)
    l = leaks[0]
    f = frame(l["stack"], "user_task_body")
    check(f and f["line"] == source_line(src, "marker: the task blocks") and l["blocked_in"] == "read",
          "reported in the task's body", l)
    check(gomp(l["stack"]), "the task runs on a libgomp worker", l)
    # the other workers wait in libgomp (for the team or the next region): the runtime's
    check(all(s["suppressed_by"] == RULE for s in rep["suppressed_threads"]), "idle workers suppressed", rep)
ok()
