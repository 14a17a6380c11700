"""Stacks taken without a signal. At exit, when every thread sleeps and none moved since the
grace period's looks, a thread asleep in a system call is unwound from the pc and sp the kernel
shows (docs/internals.md, "Stacks without a signal"): workers that block every signal, locked
out of a mutex, get their whole stack in a program built at -O2 without frame pointers (with the
signal they would get only their pc). Built at -O0 with frame pointers, the innermost frame
needs the rbp nobody knows: those workers get their pc and the note, and the others their whole
stack from the signal, as before; a wrong guess of rbp would give them whole (wrong) stacks.
The same with a status file longer than 2 KiB (many supplementary groups)."""
import os

from sampling import *  # noqa: F403

N = 12


def whole(leak, depth):
    fns = functions(leak["stack"])
    return (leak["stack_note"] is None and "descend" in fns and fns.count("descend") == depth
            and "worker" in fns and
            any("pthread_mutex_lock" in (f or "") for f in fns[:fns.index("descend")]))


def run_once(prog, *args):
    r = run([exe(prog), str(N), *args], timeout=120)
    check(r.rc == 23, f"{prog}: exit status {r.rc}", r.stderr)
    check(r.stdout == b"main done\n", f"{prog}: output changed", r.stdout)
    workers = [l for l in r.leaks if (l["name"] or "").startswith("ns")]
    check(len(workers) == N, f"{prog}: {len(workers)} workers reported, not {N}", r.stderr)
    return workers


for prog in ("nosignal_o2", "nosignal_o0"):
    for attempt in range(3):
        wrong = []
        for l in run_once(prog):
            depth = int(l["name"][2:])
            check(l["state"] == "blocked" and l["blocked_in"] == "pthread_mutex_lock",
                  f"{prog}: {l['name']} is {l['state']} in {l['blocked_in']}", l)
            blocks_all = depth % 2 == 1
            if prog == "nosignal_o2" or not blocks_all:
                good = whole(l, depth)
            else:
                good = ("blocks threadleak's signal" in (l["stack_note"] or "") and
                        "descend" not in functions(l["stack"]))
            if not good:
                wrong.append((l["name"], l["stack_note"], functions(l["stack"])))
        # the whole stack of a thread that blocks every signal needs every other thread asleep
        # since the grace period's looks: a loaded machine may wake one (once more)
        if not wrong or prog == "nosignal_o0":
            break
        print(f"note: {prog}: {wrong[0]}: once more")
    check(not wrong, f"{prog}: {len(wrong)} of {N} stacks not as expected, e.g. {wrong[:3]}")
    # the frame of the call: descend's line that locks, with its file
    l = next(l for l in run_once(prog) if l["name"] == "ns2")
    frame = next(f for f in l["stack"] if f.get("function") == "descend")
    check(frame.get("file", "").endswith("nosignal.c") and frame.get("line") ==
          line_of("nosignal.c", "pthread_mutex_lock(&mu);"), f"{prog}: descend's frame {frame}", l)
    print(f"ok: {prog}")
# with 400 supplementary groups (and 65,536, the most) the status file's SigBlk and context
# switches lie past its first 2 KiB: still read, so no signal is sent to the workers that block
# it and every stack is whole (as root only: setgroups). Before, the odd workers had their pc.
for groups in ("400", "65536"):
    for attempt in range(3):
        r = run([exe("nosignal_o2"), str(N), "groups", groups], timeout=120)
        if b"groups: skipped" in r.stderr:
            break
        check(r.rc == 23 and r.stdout == b"main done\n", f"groups {groups}: status {r.rc}",
              r.stderr)
        workers = [l for l in r.leaks if (l["name"] or "").startswith("ns")]
        check(len(workers) == N, f"groups {groups}: {len(workers)} workers", r.stderr)
        wrong = [(l["name"], l["stack_note"], functions(l["stack"])) for l in workers
                 if not whole(l, int(l["name"][2:]))]
        if not wrong:
            break
        print(f"note: groups {groups}: {wrong[0]}: once more")
    if b"groups: skipped" in r.stderr:
        print("groups: skipped (setgroups not permitted)")
        break
    check(not wrong, f"groups {groups}: {len(wrong)} of {N} stacks not whole, e.g. {wrong[:3]}")
    print(f"ok: groups {groups}")
# blocked in open() of a FIFO, a call a signal would end with EINTR: no signal, and at -O2 the
# stack from the kernel's pc and sp, kept because the thread did not run from its look to the end
# of the unwinding (the grace period is waited out here: an open may be answered from outside).
# At -O0 libc's open may or may not save rbp: whole and right, or the pc and the note
for prog in ("nosignal_o2", "nosignal_o0"):
    for l in run_once(prog, "fifo"):
        depth = int(l["name"][2:])
        check(l["state"] == "blocked" and l["blocked_in"] in ("open", "openat"),
              f"{prog} fifo: {l['name']} is {l['state']} in {l.get('blocked_in')}", l)
        fns = functions(l["stack"])
        if prog == "nosignal_o2" or "descend" in fns:
            check(l["stack_note"] is None and fns.count("descend") == depth and "worker" in fns,
                  f"{prog} fifo: {l['name']}: {l['stack_note']} {fns}", l)
        else:
            check("signal would interrupt" in (l["stack_note"] or ""),
                  f"{prog} fifo: {l['name']}: {l['stack_note']} {fns}", l)
    print(f"ok: {prog} fifo")
# asleep in syscall(SYS_nanosleep): our syscall() wrapper is a frame-pointer frame between the
# call and the start wrapper, so rbp's guess does not hold there: never a stack that skips
# frames (a stack of [syscall, start_thread, __clone3] with no note was reported), but the
# pc and the note, or the whole stack
for prog in ("nosignal_o2", "nosignal_o0"):
    for l in run_once(prog, "raw"):
        depth = int(l["name"][2:])
        fns = functions(l["stack"])
        if l["stack_note"] is None:
            check(fns.count("descend") == depth and "worker" in fns,
                  f"{prog} raw: {l['name']}: a stack that skips frames: {fns}", l)
        else:
            check("descend" not in fns, f"{prog} raw: {l['name']}: {l['stack_note']} {fns}", l)
    print(f"ok: {prog} raw")
ok()
