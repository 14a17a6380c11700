"""The stress driver: racy scenarios run many times each (TL_STRESS_RUNS, default
100), bounded by a time budget (TL_STRESS_SECONDS, default 90, shared among scenarios), and
every hang, crash or wrong count is listed at the end.
  exit2       two threads call exit() at once: one report, K leaks, status 23
  exit8       eight threads call exit() at once: the same
  keydtor     exit() from a pthread_key destructor: K leaks, status 23
  churn       threads created and exiting without pause while the exit check runs
  forks       8 threads fork() at once; children report for themselves, the parent K leaks
  sample      the sampling signal against a spinning thread and a raw syscall
  vfork       vfork + failed exec + write + exec from 4 threads at once
  posix_spawn posix_spawn and posix_spawnp from 4 threads at once
  exec        exec while threads block, spin and create threads (main, then a worker)
  exec_self   exec of a program that leaks: the new image reports for itself"""
import os

from robust import *  # noqa: F403

exitrace = exe("exitrace")
leaky = exe("leaky")
spawn = exe("spawn")
RUNS = int(os.environ.get("TL_STRESS_RUNS", "100"))
BUDGET = float(os.environ.get("TL_STRESS_SECONDS", "90"))
FAST = "grace_ms=20"  # the races are in the exit path, not in the grace period
K = 3


def one_report(r):
    if len(r.reports) != 1:
        return None, f"{len(r.reports)} reports (rc {r.rc}); stderr: {r.stderr[-400:]!r}"
    return r.reports[0], None


def exact_blocked(rep, k, extra=()):
    starts = start_routines(rep)
    want = sorted(["blocked"] * k + list(extra))
    if starts != want:
        return f"leaks {starts}, expected {want}"
    return None


def s_exit(n):
    def fn(i):
        r = run([exitrace, "exit", str(K), str(n)], options=FAST, timeout=30)
        rep, msg = one_report(r)
        if msg:
            return f"{n} threads in exit(): {msg}"
        if r.rc != 23:
            return f"exit status {r.rc}, expected 23 (leaked {rep['leaked']})"
        return exact_blocked(rep, K)
    return fn


def s_keydtor(i):
    r = run([exitrace, "keydtor", str(K)], options=FAST, timeout=30)
    rep, msg = one_report(r)
    if msg:
        return msg
    if r.rc != 23:
        return f"exit status {r.rc}"
    return exact_blocked(rep, K)


def s_churn(i):
    r = run([exitrace, "churn", str(K), "2"], options=FAST, timeout=30)
    rep, msg = one_report(r)
    if msg:
        return msg
    if r.rc != 23:
        return f"exit status {r.rc}"
    check_report_shape(rep, "churn")
    starts = start_routines(rep)
    if starts.count("blocked") != K or starts.count("spawner") != 2:
        return f"the {K} blocked threads and 2 spawners must be reported: {starts}"
    if rep["check_ms"] > 3000:
        return f"check took {rep['check_ms']} ms"
    return None


def s_forks(i):
    nf = 8
    r = run([exitrace, "forks", str(K), str(nf)], options=FAST, timeout=60)
    if r.rc != 23:
        return f"parent exit status {r.rc}; stderr {r.stderr[-400:]!r}"
    lines = r.stdout.decode().splitlines()
    want = [f"child {c} status {23 if c & 1 else 0}" for c in range(nf)]
    if lines != want:
        return f"children: {lines}, expected {want}"
    if len(r.reports) != nf + 1:
        return f"{len(r.reports)} reports, expected {nf + 1} (parent and each child)"
    counts = sorted(rep["leaked"] for rep in r.reports)
    if counts != sorted([0] * (nf // 2) + [1] * (nf // 2) + [K]):
        return f"leak counts per process {counts}"
    parent = [rep for rep in r.reports if rep["leaked"] == K]
    if len(parent) != 1 or start_routines(parent[0]) != ["blocked"] * K:
        return f"the parent's report: {[start_routines(p) for p in parent]}"
    return None


def s_sample(i):
    r = run([leaky, "-p", "1", "-s", "2", "-k", "1"], options=FAST, timeout=30)
    rep, msg = one_report(r)
    if msg:
        return msg
    if r.rc != 23 or rep["leaked"] != 4:
        return f"status {r.rc}, leaked {rep['leaked']}"
    for l in rep["leaks"]:
        fns = functions(l["stack"])
        if l["start_routine"] not in fns[:3]:
            return f"{l['start_routine']}: stack {fns} (note {l['stack_note']!r})"
    return None


def clean_children(r, nchildren, what):
    if len(r.reports) != nchildren + 1:
        return f"{what}: {len(r.reports)} reports, expected {nchildren + 1}"
    bad = [rep["leaked"] for rep in r.reports if rep["leaked"] != 0]
    if bad:
        return f"{what}: a process reported leaks {bad}"
    return None


def s_vfork(i):
    t, n = 4, 5
    r = run([spawn, "vfork", str(t), str(n)], options=FAST, timeout=60)
    out = r.stdout.decode().splitlines()
    if r.rc != 0 or f"done vfork {t * n} 0" not in out:
        return f"status {r.rc}, stdout tail {out[-3:]}"
    want = sorted(f"v-{a}-{b}" for a in range(t) for b in range(n))
    got = sorted(l for l in out if l.startswith("v-"))
    if got != want:
        return f"echo output lost or mangled: {len(got)} of {len(want)} lines"
    if r.stderr.count(b"first exec failed as expected") != t * n:
        return "the vfork children's write() before exec went missing"
    return clean_children(r, t * n, "vfork")


def s_spawn(i):
    t, n = 4, 5
    r = run([spawn, "spawn", str(t), str(n)], options=FAST, timeout=60)
    out = r.stdout.decode().splitlines()
    if r.rc != 0 or f"done spawn {2 * t * n} 0" not in out:
        return f"status {r.rc}, stdout tail {out[-3:]}"
    got = sorted(l for l in out if l.startswith("s-"))
    if got != sorted(f"s-{a}-{b}" for a in range(t) for b in range(n)):
        return f"echo output lost or mangled: {len(got)} lines"
    return clean_children(r, 2 * t * n, "posix_spawn")


def s_exec(i):
    mode = "exec" if i % 2 == 0 else "exec_worker"
    r = run([spawn, mode], options=FAST, timeout=30)
    if r.rc != 0 or r.stdout != b"exec-ok\n":
        return f"{mode}: status {r.rc}, stdout {r.stdout!r}, stderr {r.stderr[-300:]!r}"
    if len(r.reports) != 1 or r.reports[0]["leaked"] != 0:
        return f"{mode}: reports {[x['leaked'] for x in r.reports]}, expected one clean (echo's)"
    return None


def s_exec_self(i):
    r = run([spawn, "exec_self"], options=FAST, timeout=30)
    rep, msg = one_report(r)
    if msg:
        return msg
    if r.rc != 23 or r.stdout != b"after exec\n" or start_routines(rep) != ["sem_blocker"]:
        return f"status {r.rc}, stdout {r.stdout!r}, leaks {start_routines(rep)}"
    return None


scenarios = [
    ("exit2", s_exit(2)),
    ("exit8", s_exit(8)),
    ("keydtor", s_keydtor),
    ("churn", s_churn),
    ("forks", s_forks),
    ("sample", s_sample),
    ("vfork", s_vfork),
    ("posix_spawn", s_spawn),
    ("exec", s_exec),
    ("exec_self", s_exec_self),
]
only = os.environ.get("TL_STRESS_ONLY")
if only:
    scenarios = [s for s in scenarios if s[0] in only.split(",")]
st = Stress(BUDGET)
for idx, (name, fn) in enumerate(scenarios):
    st.repeat(name, fn, RUNS, 1.0 / (len(scenarios) - idx))
st.finish()
ok()
