"""The seed: 15 senders blocked in pthread_cond_wait inside chan_send, created by
submit from main; exit status becomes non-zero; without the library it exits 0."""
import os
import re
import sys

from tl_test import *  # noqa: E402,F403

seed = exe("seed")
src = os.path.join(os.path.dirname(__file__), "..", "scenarios", "seed.c")

bare = run([seed], preload=False)
check(bare.rc == 0, f"bare seed exits {bare.rc}", bare.stderr)
check(bare.stdout == b"got 5 answers\n", "bare output", bare.stdout)

r = run([seed])
check(r.rc == 23, f"exit status {r.rc}, expected 23", r.stderr)
check(r.stdout == bare.stdout, "stdout changed under the detector", r.stdout)
rep = r.report
check(rep["tool"] == "threadleak" and rep["schema"] == 1, "header", rep)
check(rep["exit_status"] == 0 and rep["leaked"] == 15, "15 leaks expected", rep)
check(len(rep["leaks"]) == 15, "15 leak entries", rep)
# a sender waits either for the channel to empty or for its own value to be taken
send_lines = {source_line(src, "one value at a time") + 1,
              source_line(src, "rendezvous: wait until ours is taken") + 1}
sender_line = source_line(src, "blocks forever for all but the first")
create_line = source_line(src, "pthread_create(&t, NULL, sender")
main_line = source_line(src, "sum += submit(round)")
for l in rep["leaks"]:
    check(l["state"] == "blocked" and l["blocked_in"] == "pthread_cond_wait", "state", l)
    check(l["detached"] is True, "senders are detached", l)
    # each round's channel by its place: chans[i].taken and chans[i].mu (the mutex, at offset 0
    # of the array's element, was "chans" or "chans[1]")
    check(re.fullmatch(r"cond chans\[([0-4])\]\.taken \(seed\.c:\d+\) \(0x[0-9a-f]+\), "
                       r"mutex chans\[\1\]\.mu \(seed\.c:\d+\) \(0x[0-9a-f]+\)", l["object"]) is not None,
          "object names the round's cond and mutex", l)
    check(isinstance(l["blocked_ms"], int) and l["blocked_ms"] >= 0, "blocked_ms", l)
    fns = functions(l["stack"])
    check(fns[:2] == ["chan_send", "sender"], f"current stack {fns}", l)
    check(l["stack"][0]["file"].endswith("tests/scenarios/seed.c") and l["stack"][0]["line"] in send_lines,
          f"chan_send line {l['stack'][0]['line']} not in {send_lines}", l)
    check(l["stack"][1]["line"] == sender_line, "sender line", l)
    check(l["start_routine"] == "sender", "start routine", l)
    cb = l["created_by"]
    check(cb["thread"] == 1, "created by thread 1", l)
    cfns = functions(cb["stack"])
    check(cfns[:2] == ["submit", "main"], f"creation stack {cfns}", l)
    check(cb["stack"][0]["line"] == create_line and cb["stack"][1]["line"] == main_line, "creation lines", l)
    check(all(not (f["module"] or "").endswith("libthreadleak.so") for f in l["stack"] + cb["stack"]),
          "no frames of threadleak itself", l)
check(len({l["tid"] for l in rep["leaks"]}) == 15, "distinct tids", rep)

# the text report: goleak-style, on stderr
t = run([seed], json_format=False)
check(t.rc == 23, "text run status", t.stderr)
err = t.stderr.decode()
check("found 15 leaked threads" in err, "text header", err)
check("blocked in pthread_cond_wait" in err and "chan_send at" in err and "created by submit at" in err,
      "text body", err)
ok()
