"""A process without /proc: a private mount namespace (unshare -m as root, else
unshare -rm) where /proc is unmounted (or hidden under an empty tmpfs). Expected: a clear
notice, and a report from what the registry knows: every thread threadleak saw created,
those blocked in wrapped calls with their symbolized stacks. Skipped (status 77) when no
namespace can be made here."""
import sys

from robust import *  # noqa: F403

leaky = exe("leaky")

# /proc there, but no descriptor left to open it with: said so, not "not available"; the report
# still comes (on stderr, open already), from what the registry knows
r = run([leaky, "-s", "2", "-c", "nofile3"], json_format=False)
err = r.stderr.decode(errors="replace")
check(r.rc == 23 and "threadleak: /proc cannot be opened: the process has no descriptor left "
      "(RLIMIT_NOFILE 3)" in err and "/proc is not available" not in err and
      err.count("blocked in sem_wait") == 2, f"nofile3: status {r.rc}", err)

if not have("unshare"):
    skip("unshare (util-linux) is not installed")

# The library is preloaded only into the program, not into unshare, sh or umount.
HIDE = ('umount -l /proc 2>/dev/null || mount -t tmpfs none /proc 2>/dev/null || exit 77; '
        '[ -e /proc/self ] && exit 77; exec env LD_PRELOAD="$TL_LIB_LATER" "$@"')
argv = None
for prefix in (["unshare", "-m"], ["unshare", "-rm"]):
    probe = run(prefix + ["sh", "-c", HIDE, "sh", "true"], preload=False, env={"TL_LIB_LATER": ""})
    if probe.rc == 0:
        argv = prefix + ["sh", "-c", HIDE, "sh"]
        break
if argv is None:
    skip("cannot make a mount namespace without /proc here (unshare -m and unshare -rm "
         f"failed: {probe.stderr.decode(errors='replace').strip()})")
print("namespace:", " ".join(argv[:2]))

r = run(argv + [leaky, "-s", "2", "-r", "1", "-p", "1"], env={"LD_PRELOAD": "", "TL_LIB_LATER": LIB})
check(r.rc == 23, f"exit status {r.rc}, expected 23", r.stderr)
check(any("/proc is not available" in w for w in warnings(r)), "no notice that /proc is missing", r.stderr)
rep = r.report
check(rep is not None, "no report", r.stderr)
check_report_shape(rep, "no /proc")
check(rep["leaked"] == 4, f"{rep['leaked']} leaks, expected the 4 threads the registry knows", rep)
check(rep["exe"] and rep["exe"].endswith("leaky"), f"exe {rep['exe']!r}", rep)
blocked = [l for l in rep["leaks"] if l["state"] == "blocked"]
check(len(blocked) == 3 and sorted(l["blocked_in"] for l in blocked) == ["read", "sem_wait", "sem_wait"],
      "the three threads in wrapped calls are blocked in read and sem_wait", rep)
check(all(l["stack"] for l in blocked), "threads blocked in wrapped calls still have stacks", rep)
running = [l for l in rep["leaks"] if l["state"] == "running"]
check(len(running) == 1 and running[0]["stack_note"], "the spinning thread has a stack_note", rep)
named = [l for l in blocked if functions(l["stack"])[:1] == [l["start_routine"]] and l["start_routine"]]
expect(len(named) == 3,
       "without /proc the stacks are not symbolized (no function, no start routine): "
       "symbolize.c tl_sym_open() needs dwfl_linux_proc_report (/proc/PID/maps) and gives up; "
       "it could report the modules from dl_iterate_phdr with dwfl_report_elf",
       [(l["start_routine"], functions(l["stack"])[:3]) for l in blocked])
expect(all(l["created_by"]["stack"] and functions(l["created_by"]["stack"])[:1] == ["main"] for l in rep["leaks"]),
       "without /proc the creation stacks are not symbolized",
       [functions(l["created_by"]["stack"])[:2] for l in rep["leaks"]])
finish()
