"""The exit status and the program's buffered output:
 - a leaking program that exits 0 gets 23; one that exits 3 keeps 3 (the report says 3);
 - stdout is a pipe (fully buffered): 10000 bytes of lines then a tail without a newline all
   arrive, byte for byte as in a bare run, when the status is changed (flush then _exit);
 - a FILE the program fopen'ed and never closed gets its buffered content;
 - a wide-oriented stdout (wprintf) too;
 - a leaked thread blocked in fgets() holds stdin's stdio lock: no hang, output intact;
 - stdout to a regular file: same content.
(worker_exit, main_pthread_exit and clean_exit check buffered output on their exit paths.)"""
import shutil
import subprocess
import tempfile

from coreutil import *  # noqa: F403

prog = exe("exitstatus")
tmp = tempfile.mkdtemp(prefix="tlexit.")
try:
    f_bare, f_pre = f"{tmp}/bare.txt", f"{tmp}/pre.txt"
    bare = run([prog, "0", f_bare], preload=False)
    check(bare.rc == 0 and len(bare.stdout) == 10000 + len("tail without newline"), "bare run", bare.stdout[-100:])
    file_content = open(f_bare, "rb").read()
    check(file_content == b"file content kept in the FILE buffer", "bare file", file_content)

    for status, expected in ((0, 23), (3, 3), (1, 1)):
        r = run([prog, str(status), f_pre])
        check(r.rc == expected, f"program status {status}: got {r.rc}, expected {expected}", r.stderr)
        check(r.stdout == bare.stdout, f"program status {status}: stdout differs ({len(r.stdout)} bytes)", r.stdout[-200:])
        check(open(f_pre, "rb").read() == file_content, f"program status {status}: fopen'ed file lost its buffer",
              open(f_pre, "rb").read())
        rep = r.report
        check(rep["exit_status"] == status and rep["leaked"] == 1, f"program status {status}: report", rep)
        os.unlink(f_pre)

    # exitcode=0: nothing changes, output intact
    r = run([prog, "0", "-"], options="exitcode=0")
    check(r.rc == 0 and r.stdout == bare.stdout, f"exitcode=0: status {r.rc}", r.stderr)

    # wide-oriented stdout
    wb = run([prog, "0", "-", "wide"], preload=False)
    check(wb.stdout == b"wide tail without newline", "bare wide output", wb.stdout)
    r = run([prog, "0", "-", "wide"])
    check(r.rc == 23 and r.stdout == wb.stdout, f"wide stdout: status {r.rc}, output {r.stdout!r}", r.stderr)

    # a leaked thread blocked in fgets(stdin), holding stdin's lock
    r = run([prog, "0", "-", "fgets"], timeout=30)
    check(r.rc == 23 and r.stdout == bare.stdout, f"fgets: status {r.rc}, {len(r.stdout)} bytes of stdout", r.stderr)
    leaks = r.report["leaks"]
    check(len(leaks) == 1 and leaks[0]["start_routine"] == "stdin_reader" and leaks[0]["state"] == "blocked"
          and leaks[0]["blocked_in"] == "read" and any((f or "").endswith("fgets") for f in functions(leaks[0]["stack"])),
          "fgets: the reader, blocked in read under fgets", leaks)

    # stdout redirected to a regular file
    env = dict(os.environ, LD_PRELOAD=LIB, THREADLEAK_OPTIONS=f"log_path={tmp}/report")
    with open(f"{tmp}/out.txt", "wb") as out:
        p = subprocess.run([prog, "0", "-"], stdout=out, stderr=subprocess.PIPE, env=env, timeout=60)
    check(p.returncode == 23, f"stdout to a file: status {p.returncode}", p.stderr)
    check(open(f"{tmp}/out.txt", "rb").read() == bare.stdout, "stdout to a file: content differs")
finally:
    shutil.rmtree(tmp)
ok()
