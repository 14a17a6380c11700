"""fork and other libraries' fork handlers. libforkpool registers, from its constructor (which
runs before threadleak's), a prepare handler that joins its workers and parent/child handlers
that start them again, as OpenBLAS does. Run after run: fork does not hang (the join in the
prepare handler used to wait forever for the registry lock that threadleak's own prepare handler,
run first, held), the program's output and status are its own, and neither the parent nor the
children report the pool."""
from exitlib import *  # noqa: F401,F403
from exitlib import check, exe, ok, run

prog = exe("forkpool_user")
bare = run([prog], preload=False)
check(bare.rc == 0 and bare.stdout == b"main returns\n", f"bare: {bare.rc} {bare.stdout!r}")
for i in range(10):
    r = run([prog], timeout=30)
    check(r.rc == 0, f"run {i}: exit status {r.rc}", r.reports, r.stderr)
    check(r.stdout == bare.stdout, f"run {i}: stdout {r.stdout!r}")
    check(len(r.reports) == 4, f"run {i}: {len(r.reports)} reports, expected the parent's and "
          "three children's", r.reports)
    check(all(not rep["leaks"] for rep in r.reports),
          f"run {i}: the pool reported", r.reports)
ok()
