"""threadleak run on one program: a leak (non-zero, stacks shown), a clean program (0, silent),
a failing program (its status kept), and the options passed to the library."""
import json
import os
import sys

from clitest import *  # noqa: E402,F403

leaky, tidy = exe("leaky"), exe("tidy")
work = tmpdir()

# a leaking program: status 23, goleak-style report on stderr, its own stdout untouched
r = tl("run", "--", leaky, cwd=work)
e = err(r)
check(r.rc == 23, f"leaking program: status {r.rc}, expected 23", e)
check(out(r) == "leaky a done\n", "stdout of the program kept", r.stdout)
check("threadleak: found 2 leaked threads in " in e and "leaky (pid " in e, "header names the program", e)
check("Thread 2 (tid " in e and "joinable) blocked in pthread_cond_wait" in e, "thread line", e)
check("and 1 more with the same stacks:" in e, "identical stacks grouped", e)
check(frame_re("wait_forever", "LEAK: blocked forever").search(e), "current stack frame with file:line", e)
check(frame_re("created by start_a", "CREATE A").search(e) and "in thread 1, start routine wait_forever:" in e,
      "creation site", e)
check(frame_re("main", "start_a();").search(e), "creation stack below the site", e)
check(e.rstrip().endswith("threadleak: 2 leaked threads in 1 of 1 process; exit status 0 becomes 23"),
      "summary line last", e)

# no `--` works too
r = tl("run", leaky, "b", cwd=work)
check(r.rc == 23 and "start routine other_wait" in err(r), "run without --", err(r))

# a clean program: status 0, nothing from threadleak
r = tl("run", "--", tidy, cwd=work)
check(r.rc == 0, f"clean program: status {r.rc}", err(r))
check(r.stderr == b"", "clean program: threadleak says nothing", err(r))
check(out(r) == "tidy done\n", "clean stdout", r.stdout)

# a program that fails keeps its own status, leaks or not
r = tl("run", "--", leaky, "a", "--exit", "3", cwd=work)
check(r.rc == 3, f"failing leaky program: status {r.rc}, expected 3", err(r))
check("the command's own exit status 3 is kept" in err(r) and "wait_forever" in err(r), "failing: still reported", err(r))
r = tl("run", "--", leaky, "-", "--exit", "4", cwd=work)
check(r.rc == 4 and r.stderr == b"", f"failing clean program: status {r.rc}", err(r))

# --exitcode, and exitcode given as a raw option
r = tl("run", "--exitcode", "5", "--", leaky, cwd=work)
check(r.rc == 5 and "exit status 0 becomes 5" in err(r), f"--exitcode 5: {r.rc}", err(r))
r = tl("run", "--exitcode", "0", "--", leaky, cwd=work)
check(r.rc == 0 and "wait_forever" in err(r), f"--exitcode 0: report, status 0 ({r.rc})", err(r))
r = tl("run", "--options", "exitcode=7", "--", leaky, cwd=work)
check(r.rc == 7, f"--options exitcode=7: {r.rc}", err(r))
# an exitcode in the environment's THREADLEAK_OPTIONS too (run exited 23); run's own win
env = dict(os.environ, THREADLEAK_OPTIONS="exitcode=5")
for args, want in (([], 5), (["--exitcode", "6"], 6), (["--options", "exitcode=7"], 7)):
    r = tl("run", *args, "--", leaky, cwd=work, env=env)
    check(r.rc == want, f"THREADLEAK_OPTIONS=exitcode=5, {args}: status {r.rc}, expected {want}", err(r))

# --grace, raw --options reach the library (max_frames=1: one frame per stack)
j = os.path.join(work, "r.json")
r = tl("run", "--grace", "20", "--options", "max_frames=1", "--json", j, "--", leaky, cwd=work)
check(r.rc == 23, "grace/options run", err(r))
doc = json.load(open(j))
leak = doc["processes"][0]["leaks"][0]
check(len(leak["stack"]) == 1 and len(leak["created_by"]["stack"]) == 1, "max_frames=1 applied", leak)
check(doc["processes"][0]["check_ms"] < 250, "grace 20 applied (check took less than the default 250ms)", doc)

# suppressions: a file given with --suppressions, and THREADLEAK_OPTIONS from the environment
supp = os.path.join(work, "tl.supp")
with open(supp, "w") as f:
    f.write("# known\nstart:wait_forever\n")
r = tl("run", "--suppressions", supp, "--json", j, "--", leaky, cwd=work)
check(r.rc == 0 and r.stderr == b"", f"suppressed: status {r.rc}", err(r))
check(json.load(open(j))["processes"][0]["suppressed"] == 2, "two threads suppressed", open(j).read())
r = tl("run", "--", leaky, cwd=work, env={"THREADLEAK_OPTIONS": f"suppressions={supp}"})
check(r.rc == 0, f"THREADLEAK_OPTIONS from the environment kept: {r.rc}", err(r))
r = tl("run", "--", leaky, "ab", cwd=work, env={"THREADLEAK_OPTIONS": f"suppressions={supp}"})
check(r.rc == 23 and "other_wait" in err(r) and "2 threads suppressed by start:wait_forever (2)" in err(r),
      "suppressed threads summarized", err(r))

# a malformed line is reported once for the run, by the first process that reads the file, not
# by each process the command starts (a script of three programs printed it four times)
bad = os.path.join(work, "bad.supp")
with open(bad, "w") as f:
    f.write("bogus:foo\nstart:wait_forever\n")
r = tl("run", "--suppressions", bad, "--", "sh", "-c", f"{leaky}; {leaky}; {leaky} ab", cwd=work)
lines = [l for l in err(r).splitlines() if "bad.supp:1: unknown rule type" in l]
check(r.rc == 23 and len(lines) == 1 and "other_wait" in err(r),
      f"malformed suppressions under run: status {r.rc}, said {len(lines)} times", err(r))

# the same for a malformed THREADLEAK_OPTIONS of the environment, which run passes on: said
# once for the run, and the rest of it still applies in every process
r = tl("run", "--", "sh", "-c", f"{leaky}; {leaky} ab", cwd=work,
       env={"THREADLEAK_OPTIONS": f"bogus=1:suppressions={supp}"})
lines = [l for l in err(r).splitlines() if "unknown option 'bogus'" in l]
check(r.rc == 23 and len(lines) == 1 and "4 threads suppressed by start:wait_forever (4)" in err(r)
      and err(r).count("other_wait") >= 1,
      f"malformed THREADLEAK_OPTIONS under run: status {r.rc}, said {len(lines)} times", err(r))

# format and log_path belong to run
r = tl("run", "--options", "format=text", "--", leaky, cwd=work)
check(r.rc == 2 and "'format' is set by threadleak run" in err(r), "format rejected", err(r))

# --options checked as the library takes them: a mistake stops run with one line (status 2)
# before the command runs. Before, only exitcode was: the rest ran the command, which warned
# once per process
for opts, words in (("bogus=1", "unknown option 'bogus'"), ("grace_ms=abc", "invalid grace_ms 'abc'"),
                    ("children=maybe", "invalid children 'maybe'"), ("signal=5", "invalid signal '5'"),
                    ("fail_on=x", "invalid fail_on 'x'"), ("max_frames", "'max_frames' is not key=value"),
                    ("suppressions=/nonexistent.supp", "suppressions=/nonexistent.supp: No such file"),
                    ("log_dir_id=1,2", "'log_dir_id' is set by threadleak run"),
                    ("grace_ms='20", "the value of grace_ms has no closing quote"),
                    # a set name the library does not know (it was passed on, and every
                    # process warned)
                    ("disable_default_sets=libc,bogus",
                     "disable_default_sets: no default suppression set named 'bogus' (sets: libc, "),
                    # a long value or key is shown cut (a 3,000-byte value made a line as long)
                    ("grace_ms=" + "9" * 3000, "invalid grace_ms '" + "9" * 40 + "...' ("),
                    ("k" * 5000 + "=1", "unknown option '" + "k" * 40 + "...' (")):
    r = tl("run", "--options", opts, "--", leaky, cwd=work)
    lines = [l for l in err(r).splitlines() if l.startswith("threadleak:")]
    check(r.rc == 2 and len(lines) == 1 and words in lines[0] and len(lines[0]) < 400 and
          out(r) == "", f"--options {opts[:60]}: status {r.rc}, expected 2 and one line with "
          f"{words[:80]!r}", err(r)[:2000])
# every default set's name is accepted
r = tl("run", "--options", "disable_default_sets=libc,node,glib,libgomp,tbb,libuv,jvm,rust,gdb,go",
       "--", leaky, cwd=work)
check(r.rc == 23 and "no default suppression set" not in err(r),
      f"disable_default_sets with every set: status {r.rc}", err(r))
# a quote left open in the environment's THREADLEAK_OPTIONS would take in run's own options
# (appended after them): said, status 2
env = dict(os.environ, THREADLEAK_OPTIONS="suppressions='/tmp/a b")
r = tl("run", "--", leaky, cwd=work, env=env)
check(r.rc == 2 and "the value of suppressions has no closing quote" in err(r) and out(r) == "",
      f"open quote in THREADLEAK_OPTIONS: status {r.rc}", err(r))
# suppression files: at most 8, counting --options suppressions= too
supp = os.path.join(work, "none.supp")
with open(supp, "w") as f:
    f.write("# nothing\n")
r = tl("run", *sum((["--suppressions", supp] for _ in range(5)), []),
       *sum((["--options", f"suppressions={supp}"] for _ in range(4)), []), "--", leaky, cwd=work)
check(r.rc == 2 and "at most 8 files" in err(r), f"9 suppression files: status {r.rc}", err(r))
r = tl("run", "--options", "grace_ms='20':children=YES", "--", leaky, cwd=work)
check(r.rc == 23 and "wait_forever" in err(r), f"quoted and any-case values: status {r.rc}", err(r))

# a suppression file whose path has blanks and ':' is passed quoted (before: refused)
sub = os.path.join(work, "my rules:1")
os.makedirs(sub, exist_ok=True)
with open(os.path.join(sub, "w.supp"), "w") as f:
    f.write("start:wait_forever\n")
r = tl("run", "--suppressions", os.path.join(sub, "w.supp"), "--", leaky, cwd=work)
check(r.rc == 0 and r.stderr == b"", f"--suppressions with blanks: status {r.rc} (0: both suppressed)",
      err(r))

# THREADLEAK_LIB naming a library that is not threadleak: 125 at once, the command not run
# (before: it ran unchecked, and a leaking command passed with status 0)
with open(os.path.join(work, "notlib.so"), "w") as f:
    f.write("not an ELF object\n")
for lib in ("/lib/x86_64-linux-gnu/libm.so.6", os.path.join(work, "notlib.so")):
    if not os.path.exists(lib):
        continue
    env = dict(os.environ, THREADLEAK_LIB=lib)
    r = tl("run", "--", leaky, cwd=work, env=env)
    check(r.rc == 125 and "is not libthreadleak.so" in err(r) and out(r) == "",
          f"THREADLEAK_LIB={lib}: status {r.rc}", err(r))
ok()
