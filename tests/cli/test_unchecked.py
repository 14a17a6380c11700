"""A command that runs without the library although run preloaded it is named with the real
reason: a set-user-ID program (secure execution: the loader ignores LD_PRELOAD), `env -i` or
`env -u LD_PRELOAD` (the variable removed); when run cannot tell, the message lists these
causes too, not only "_exit, a fatal signal, or the check was turned off"."""
import os
import pwd
import shutil
import sys

from clitest import *  # noqa: E402,F403

leaky = exe("leaky")
work = tmpdir()

for args in (["env", "-i", leaky, "a"], ["env", "-u", "LD_PRELOAD", leaky, "a"],
             ["env", "--ignore-environment", leaky, "a"]):
    r = tl("run", "--", *args)
    e = err(r)
    check(r.rc == 0 and out(r) == "leaky a done\n", f"{args}: status {r.rc}", e)
    check(f"threadleak: {args[0]} was not checked: env removed LD_PRELOAD from the environment" in e,
          f"{args}: the reason", e)
    check("_exit" not in e, f"{args}: not explained as _exit", e)

# run cannot tell which: every cause is listed
r = tl("run", "--", "sh", "-c", 'exec env -i "$0" a', leaky)
e = err(r)
check(r.rc == 0 and "no process of the command wrote a report" in e and "lost LD_PRELOAD" in e
      and "statically linked" in e, f"sh -c 'exec env -i ...': status {r.rc}", e)

# a set-user-ID program owned by another user: secure execution (as root only)
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
        r = tl("run", "--", prog, "a")
        e = err(r)
        check(r.rc == 0 and out(r) == "leaky a done\n", f"setuid: status {r.rc}", e)
        check(f"threadleak: {prog} was not checked: it runs in secure execution" in e, "setuid: the reason", e)
    else:
        print("setuid bit ignored here: setuid part skipped")
else:
    print("not root or no user nobody: setuid part skipped")
ok()
