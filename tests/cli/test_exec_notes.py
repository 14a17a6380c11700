"""Programs started deeper than the command itself without the library are named with the real
reason, one line each (the library's exec wrappers leave run a note): a statically linked one,
one started with an empty environment (env -i, execle), a set-user-ID one (secure execution);
a normal child is not named; exec errors are unchanged; a vfork child that execs works."""
import os
import pwd
import re
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clitest import *  # noqa: E402,F403

leaky, execer = exe("leaky"), exe("execer")
static = exe("static_prog")
have_static = os.path.exists(static)
work = tmpdir()


def named(e, path, reason):
    return re.search(re.escape(f"threadleak: {path} (pid ") + r"\d+\) was not checked: " + re.escape(reason), e)


def unchecked_lines(e):
    return [ln for ln in e.splitlines() if "was not checked" in ln or "is not in this report" in ln]


# a shell running a static program, an env -i program and a normal one
script = f'env -i "$1" -; "$1" -'
if have_static:
    script = f'"$2"; ' + script
r = tl("run", "--", "sh", "-c", script, "sh", leaky, static)
e = err(r)
check(r.rc == 0, f"sh -c: status {r.rc}", e)
check(named(e, leaky, "env removed LD_PRELOAD from its environment"), "env -i child named", e)
if have_static:
    check(named(e, static, "statically linked"), "static child named", e)
check(len(unchecked_lines(e)) == (2 if have_static else 1), "the normal child is not named", e)
check("no process of the command wrote a report" not in e, "no generic message", e)

# a relative path is shown from the folder the program ran in
if have_static:
    r = tl("run", "--", "sh", "-c", 'cd "$(dirname "$1")" && ./static_prog', "sh", static)
    check(named(err(r), static, "statically linked"), "relative static child named by full path", err(r))

# execle with an empty environment, and posix_spawn of a static program
r = tl("run", "--", execer, "envi", leaky)
check(r.rc == 0 and named(err(r), leaky, "execer removed LD_PRELOAD from its environment"),
      f"execle: status {r.rc}", err(r))
if have_static:
    r = tl("run", "--", execer, "spawn", static)
    check(r.rc == 0 and named(err(r), static, "statically linked"), f"posix_spawn: status {r.rc}", err(r))
    r = tl("run", "--", execer, "fexecve", static)
    check(r.rc == 0 and named(err(r), static, "statically linked"), f"fexecve: status {r.rc}", err(r))
    # vfork: the child's failed exec (ENOENT) leaves errno as it was, then the static program runs
    r = tl("run", "--", execer, "vfork", static)
    check(r.rc == 0 and "static program ran" in out(r) and named(err(r), static, "statically linked"),
          f"vfork: status {r.rc}", err(r), out(r))
r = tl("run", "--", execer, "vfork", leaky)
check(r.rc == 0 and "leaky - done" in out(r) and not unchecked_lines(err(r)), f"vfork normal: {r.rc}", err(r))

# exec errors as without the library, and no note of a program that never started
noexec = os.path.join(work, "noexec")
shutil.copy(static if have_static else leaky, noexec)
os.chmod(noexec, 0o644)
for path, want in ((os.path.join(work, "missing"), 2), (noexec, 13)):
    bare = run([execer, "errno", path], preload=False)
    r = tl("run", "--", execer, "errno", path)
    check(out(r) == out(bare) == f"errno {want} ret -1\n", f"exec {path}: {out(r)!r}, bare {out(bare)!r}", err(r))
    check(not unchecked_lines(err(r)), f"exec {path}: no note of a failed exec", err(r))

# a set-user-ID child owned by another user: secure execution (as root only)
try:
    nobody = pwd.getpwnam("nobody")
except KeyError:
    nobody = None
if os.geteuid() == 0 and nobody is not None:
    os.chmod(work, 0o755)
    prog = os.path.join(work, "leaky-setuid")
    shutil.copy(leaky, prog)
    os.chown(prog, nobody.pw_uid, nobody.pw_gid)
    os.chmod(prog, 0o4755)
    if os.stat(prog).st_mode & 0o4000:
        r = tl("run", "--", "sh", "-c", '"$1" -; true', "sh", prog)
        e = err(r)
        check(r.rc == 0 and "leaky - done" in out(r), f"setuid: status {r.rc}", e)
        check(named(e, prog, "it runs in secure execution"), "setuid child named", e)
        # as the command itself
        r = tl("run", "--", prog, "a")
        e = err(r)
        check(r.rc == 0 and out(r) == "leaky a done\n", f"setuid command: status {r.rc}", e)
        check(f"threadleak: {prog} was not checked: it runs in secure execution" in e,
              "setuid command: the reason", e)
    else:
        print("setuid bit ignored here: setuid part skipped")
else:
    print("not root or no user nobody: setuid part skipped")
ok()
