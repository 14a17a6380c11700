"""Secure execution: under setuid or setgid (AT_SECURE), log_path and suppression files from
the environment are ignored with a notice. The test runs a setuid copy of a scenario owned by
user nobody (so root running it gets euid 65534 and AT_SECURE). The loader ignores an
LD_PRELOAD path for such a program (checked below too), so the copy dlopen()s the library
itself: the library's constructor then runs in a secure process, as it would if an
administrator installed it in a trusted directory. Skipped (77) when not root, when user
nobody does not exist, or when the file system ignores the setuid bit."""
import os
import pwd
import shutil
import stat
import sys
import tempfile

from robust import *  # noqa: F403

leaky = exe("leaky")
if os.geteuid() != 0:
    skip("needs root to make a setuid copy owned by another user")
try:
    nobody = pwd.getpwnam("nobody")
except KeyError:
    skip("no user nobody")

with tempfile.TemporaryDirectory(prefix="tlsecure.") as d:
    os.chmod(d, 0o755)
    prog = os.path.join(d, "leaky-setuid")
    lib = os.path.join(d, "libthreadleak.so")
    shutil.copy(leaky, prog)
    shutil.copy(LIB, lib)
    os.chmod(lib, 0o755)
    os.chown(prog, nobody.pw_uid, nobody.pw_gid)
    os.chmod(prog, 0o4755)
    out = os.path.join(d, "out")
    os.mkdir(out)
    os.chmod(out, 0o777)  # a log file there would be created if log_path were honoured
    supp = os.path.join(d, "supp")
    with open(supp, "w") as f:
        f.write("any:sem_blocker\n")  # would hide the leak if it were read (the thread is
        # untracked: a dlopened library does not wrap the program's pthread_create)
    os.chmod(supp, 0o644)
    opts = f"format=json:log_path={out}/report:suppressions={supp}"

    # control: the same copy, not setuid, honours both
    shutil.copy(leaky, os.path.join(d, "leaky-plain"))
    plain = run_raw([os.path.join(d, "leaky-plain"), "-d", lib, "-s", "1"], timeout=60,
                    env={"THREADLEAK_OPTIONS": opts})
    check(plain[0] == 0, f"control run: status {plain[0]} (the suppression hides the one leak)", plain[2])
    files = os.listdir(out)
    check(len(files) == 1, f"control run: log_path honoured, files {files}", plain[2])
    rep = strict_json(open(os.path.join(out, files[0]), "rb").read())
    check(rep["leaked"] == 0 and rep["suppressed"] == 1, "control run: suppression file honoured", rep)
    os.unlink(os.path.join(out, files[0]))

    def secure_run(what, path):
        rc, so, se = run_raw([path, "-d", lib, "-s", "1"], timeout=60, env={"THREADLEAK_OPTIONS": opts})
        check(rc == 23, f"{what} run: status {rc}, expected 23 (the leak is not suppressed)", se)
        check(b"secure execution" in se, f"{what} run: no notice about secure execution", se)
        check(os.listdir(out) == [], f"{what} run: log_path from the environment was used: {os.listdir(out)}")
        docs = json_docs(se)
        check(len(docs) == 1 and docs[0]["leaked"] == 1 and docs[0]["suppressed"] == 0,
              f"{what} run: the report goes to stderr and the suppression file is not read", se)
        print(f"{what} copy: notice given, log_path and suppressions ignored, report on stderr")

    # setuid: the copy runs with euid nobody
    st = os.stat(prog)
    if not st.st_mode & stat.S_ISUID:
        skip("the setuid bit did not stick")
    secure_run("setuid", prog)

    # setgid: a copy owned by root and group nobody's, run by root with egid nobody's group
    sgid = os.path.join(d, "leaky-setgid")
    shutil.copy(leaky, sgid)
    os.chown(sgid, 0, nobody.pw_gid)
    os.chmod(sgid, 0o2755)
    if os.getegid() == nobody.pw_gid or not os.stat(sgid).st_mode & stat.S_ISGID:
        print("SKIP setgid: the setgid bit did not stick, or we are already in that group")
    else:
        secure_run("setgid", sgid)

    # and the loader refuses LD_PRELOAD with a path for a setuid program: nothing runs
    rc, so, se = run_raw([prog, "-s", "1"], timeout=60, env={"LD_PRELOAD": lib, "THREADLEAK_OPTIONS": opts})
    check(rc == 0 and b"threadleak" not in se and os.listdir(out) == [],
          f"setuid + LD_PRELOAD: the loader should ignore the preload (status {rc})", se)
    print("setuid copy + LD_PRELOAD=path: the loader ignores the preload (glibc secure mode)")
ok()
