"""threadleak run --timeout: at the deadline every process of the command's tree that runs the
library writes a hang report, then the tree gets SIGTERM (SIGKILL 2 s later); run prints the
reports and exits 124, as timeout(1). The issue's hang, a hang in an atexit handler, a program
that handles SIGTERM and one that ignores it, a tree of two hung processes. Also: the reports
in --json and --junit, and a server the command stops with SIGTERM (shown only when the command
fails)."""
import json
import os
import re
import shutil
import signal
import xml.etree.ElementTree as ET

from liveutil import CLI, check, exe, ok, run, source_line, tmpdir

HANG_C = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hang.c")


def timeout_run(*cmd, limit="1"):
    return run([CLI, "run", "--timeout", limit, "--", *cmd], preload=False, timeout=60)


def hang_reports(err):
    return re.findall(r"^threadleak: hang report of .*$", err, re.M)


# 1. The program: "shutting down", then nothing; now the chain of waits, and 124.
r = timeout_run(exe("hang"))
err = r.stderr.decode()
check(r.rc == 124, f"status {r.rc}, expected 124", err)
check(len(hang_reports(err)) == 1 and "--timeout of threadleak run" in err, "one hang report", err)
check(re.search(r"^main thread blocked in pthread_join on thread 2 \(tid \d+\) for [\d.]+ m?s, which is "
                r"blocked in pthread_cond_wait on cond cv \(hang\.c:\d+\)", err, re.M),
      "the chain of waits", err)
check(re.search(r"main at \S*tests/live/hang\.c:%d\b" % source_line(HANG_C, "MAIN_JOIN"), err),
      "main's stack at its pthread_join", err)
check(re.search(r"worker at \S*tests/live/hang\.c:%d\b" % source_line(HANG_C, "WORKER_WAIT"), err),
      "the worker's stack at its wait", err)
check("did not finish within its --timeout: 1 hang report above; it was ended with SIGTERM" in err,
      "the closing line", err)

# 1c. main called pthread_exit: the process's own /proc files describe a zombie task (state Z,
#     no maps) while the worker waits on. run took it for gone: no report, no SIGTERM, and it
#     waited for ever (a black-box round). Now the same report and 124 at the deadline.
r = timeout_run(exe("hang"), "pexit")
err = r.stderr.decode()
check(r.rc == 124 and len(hang_reports(err)) == 1 and "--timeout of threadleak run" in err
      and "it was ended with SIGTERM" in err and r.seconds < 15,
      f"pexit: status {r.rc} after {r.seconds:.1f} s, expected 124 at the deadline", err)
check(re.search(r"worker at \S*tests/live/hang\.c:%d\b" % source_line(HANG_C, "WORKER_WAIT"), err),
      "pexit: the worker's stack at its wait", err)

# 1a. The thread the request lands on is in no wrapper of ours (main, in pthread_cond_destroy)
#     and hands the report to the worker, waiting in our handler meanwhile: main is described
#     by the call the signal interrupted, not by that wait (it read "blocked in futex on futex
#     handoff+4 (dump.c:114)" with only a pc).
DESTROY_C = os.path.join(os.path.dirname(os.path.abspath(__file__)), "destroyhang.c")
r = timeout_run(exe("destroyhang"))
err = r.stderr.decode()
check(r.rc == 124 and len(hang_reports(err)) == 1, f"destroyhang: status {r.rc}", err)
main_block = err.split("\nThread 1 ")[1].split("\n\n")[0] if "\nThread 1 " in err else ""
check(re.match(r"\(tid \d+, \S+, main\) blocked in futex on futex cv\+\d+ \(destroyhang\.c:\d+\)",
               main_block), "main blocked in futex on cv", main_block, err)
check("handoff" not in err and "dump.c" not in err, "no trace of our own wait", err)
check(re.search(r"teardown at \S*tests/live/destroyhang\.c:%d\b" % source_line(DESTROY_C, "/* DESTROY */"),
                main_block) and "main at" in main_block, "main's stack at its destroy", main_block)

# 1b. The report is the one of the request, not one made again on the SIGTERM that follows it:
#     on one CPU, with main slow to make the report that a spinning thread handed to it, that
#     SIGTERM lands on the worker while the others are still in our handler (it made a reduced
#     report in 6 of 10 runs, which replaced the first one: the same file name).
for i in range(5):
    r = timeout_run(exe("destroyhang"), "slow")
    err = r.stderr.decode()
    check(r.rc == 124 and len(hang_reports(err)) == 1, f"destroyhang slow: status {r.rc}", err)
    check(re.search(r"^threadleak: hang report of .*\(the --timeout of threadleak run \(pid \d+\) "
                    r"expired\); all 3 of its threads$", err, re.M) and "reduced" not in err
          and re.search(r"^Thread 1 .*main\) blocked in futex on futex cv\+\d+", err, re.M),
          "destroyhang slow: the full report of the --timeout", err)

# 1c. The same for machines: --json has "timed_out" and the hang report, --junit a failed test
#     case that carries its text, --sarif an error result per thread where it waits (it had no
#     result at all).
work = tmpdir()
jpath, xpath = os.path.join(work, "out.json"), os.path.join(work, "out.xml")
spath = os.path.join(work, "out.sarif")
r = run([CLI, "run", "--timeout", "1", "--json", jpath, "--junit", xpath, "--sarif", spath, "--",
         exe("hang")], preload=False, timeout=60)
check(r.rc == 124, f"--json: status {r.rc}", r.stderr)
with open(jpath) as f:
    doc = json.load(f)
check(doc["timed_out"] is True and len(doc["hangs"]) == 1 and doc["hangs"][0]["check"] == "hang",
      "--json: timed_out and one hang report", doc)
mains = [t for t in doc["hangs"][0]["leaks"] if t.get("thread") == 1]
check(len(mains) == 1 and mains[0]["blocked_in"] == "pthread_join", "--json: main in pthread_join",
      doc["hangs"][0])
suite = ET.parse(xpath).getroot().find("testsuite")
hung = [c for c in suite.findall("testcase") if c.get("classname") == "threadleak.hang.hang"]
check(suite.get("failures") == str(len(suite.findall("testcase"))) and len(hung) == 1
      and hung[0].find("failure") is not None
      and "blocked in pthread_join" in hung[0].find("failure").text,
      "--junit: the hang is a failed test case with its report", open(xpath).read())
with open(spath) as f:
    results = json.load(f)["runs"][0]["results"]
main_res = [x for x in results if "expired): blocked in pthread_join" in x["message"]["text"]]
check(results and all(x["ruleId"] == "hang/thread" and x["level"] == "error" for x in results)
      and len(main_res) == 1 and main_res[0]["locations"][0]["physicalLocation"]["region"]["startLine"]
      == source_line(HANG_C, "MAIN_JOIN"), "--sarif: the hang's threads, main where it joins",
      results)

# 2. A hang in an atexit handler (main already in exit()).
r = timeout_run(exe("hang"), "atexit")
err = r.stderr.decode()
check(r.rc == 124 and len(hang_reports(err)) == 1, f"atexit: status {r.rc}", err)
check(re.search(r"join_worker at \S*tests/live/hang\.c:%d\b" % source_line(HANG_C, "ATEXIT_JOIN"), err)
      and "exit" in err, "main in the atexit handler's pthread_join", err)

# 3. A program that handles SIGTERM: one report (the request's, not a second on SIGTERM), its
#    handler runs.
r = timeout_run(exe("hang"), "handler")
err = r.stderr.decode()
check(r.rc == 124 and len(hang_reports(err)) == 1, f"handler: status {r.rc}, reports {hang_reports(err)}", err)
check("handled" in r.stdout.decode(), "the program's SIGTERM handler ran", r.stdout)

# 4. A program that ignores SIGTERM: SIGKILL ends it.
r = timeout_run(exe("hang"), "ignore")
err = r.stderr.decode()
check(r.rc == 124 and len(hang_reports(err)) == 1, f"ignore: status {r.rc}", err)
check(r.seconds >= 2.5, f"SIGKILL only after the 2 s grace ({r.seconds:.1f} s)")

# 5. A tree: a shell and two hung programs, each with its report (the shell's too: it runs the
#    library, waiting for its children).
r = timeout_run("sh", "-c", f"{exe('hang')} & {exe('hang')}; wait")
err = r.stderr.decode()
heads = hang_reports(err)
check(r.rc == 124 and len(heads) == 3 and sum("live/hang (pid" in h for h in heads) == 2,
      f"tree: status {r.rc}, reports {heads}", err)

# 6. Inside `make check`: the hang is reported with make's own (make waits for its child).
if shutil.which("make"):
    work = tmpdir()
    with open(os.path.join(work, "Makefile"), "w") as f:
        f.write(f"check:\n\t{exe('hang')}\n")
    r = run([CLI, "run", "--timeout", "1", "--", "make", "-s", "check"], preload=False, timeout=60, cwd=work)
    err = r.stderr.decode()
    heads = hang_reports(err)
    check(r.rc == 124 and any("live/hang (pid" in h for h in heads) and any("make (pid" in h for h in heads),
          f"make check: status {r.rc}, reports {heads}", err)
    check(re.search(r"^main thread blocked in pthread_join on thread 2", err, re.M), "the chain", err)

# 7. Inside `meson test`: the same (meson's own timeout is 30 s). 8 s, not 3: meson itself
# took over 3 s to start the test on a loaded 2-vCPU guest, and only meson was reported.
if shutil.which("meson"):
    work = tmpdir()
    with open(os.path.join(work, "meson.build"), "w") as f:
        f.write(f"project('hangs')\ntest('hang', find_program('{exe('hang')}'))\n")
    setup = run(["meson", "setup", os.path.join(work, "b"), work], preload=False, timeout=120)
    check(setup.rc == 0, "meson setup", setup.stdout, setup.stderr)
    r = run([CLI, "run", "--timeout", "8", "--", "meson", "test", "-C", os.path.join(work, "b")],
            preload=False, timeout=120)
    err = r.stderr.decode()
    check(r.rc == 124 and any("live/hang (pid" in h for h in hang_reports(err)),
          f"meson test: status {r.rc}, reports {hang_reports(err)}", err)
    check(re.search(r"^main thread blocked in pthread_join on thread 2", err, re.M), "the chain", err)

# 8. A command that finishes in time: its own status, no hang report.
r = run([CLI, "run", "--timeout", "30", "--json", jpath, "--", "sh", "-c", "exit 7"],
        preload=False, timeout=60)
check(r.rc == 7 and not hang_reports(r.stderr.decode()), f"in time: status {r.rc}", r.stderr)
with open(jpath) as f:
    doc = json.load(f)
check(doc["timed_out"] is False and doc["hangs"] == [], "in time: --json says so", doc)
# 9. A command that stops a server it started (SIGTERM) and succeeds: the server's hang report
#    is no finding (a clean command gets no report), --json keeps it. The same command failing
#    shows it.
stop = f"{exe('hang')} & sleep 0.5; kill $!; wait; exit %d"
r = run([CLI, "run", "--json", jpath, "--junit", xpath, "--", "sh", "-c", stop % 0],
        preload=False, timeout=60)
err = r.stderr.decode()
check(r.rc == 0 and not hang_reports(err) and err.strip() == "",
      f"stopped server, command ok: status {r.rc}", err)
with open(jpath) as f:
    doc = json.load(f)
check(len(doc["hangs"]) == 1 and "SIGTERM" in doc["hangs"][0]["reason"] and not doc["timed_out"],
      "stopped server: --json keeps its hang report", doc)
suite = ET.parse(xpath).getroot().find("testsuite")
check(suite.get("failures") == "0", "stopped server: no failed JUnit case", open(xpath).read())
r = run([CLI, "run", "--", "sh", "-c", stop % 3], preload=False, timeout=60)
err = r.stderr.decode()
check(r.rc == 3 and len(hang_reports(err)) == 1 and "SIGTERM" in hang_reports(err)[0],
      f"stopped server, command failed: status {r.rc}, reports {hang_reports(err)}", err)

# 7. A daemon that blocks every signal in every thread and waits only for SIGUSR1 and SIGTERM
#    cannot answer the request; it ends by itself 3 s in, while run still waits for its report.
#    The closing line says why there is no report, and that nobody sent it SIGTERM.
SIG = signal.SIGRTMAX - 1  # what threadleak run gives the library
r = timeout_run(exe("sigthread"), "narrow", "3")
err = r.stderr.decode()
last = err.strip().splitlines()[-1] if err.strip() else ""
check(r.rc == 124 and len(hang_reports(err)) == 0, f"narrow: status {r.rc}", err)
check(re.search(rf"did not finish within its --timeout: 0 hang reports above \(process \d+ did not "
                rf"answer signal {SIG}: all 2 threads block signal {SIG} .*\); it exited with status "
                rf"0 by itself, before it was sent SIGTERM$", last) and "ended with SIGTERM" not in err,
      "narrow: the closing line", err)
ok()
