"""Under another allocator (one preloaded before threadleak), the heap cannot be walked: every
verdict is unknown, with the reason, and none is unreachable."""
import os

import reachutil as U
import tl_test as T

bump = os.environ["TL_BUMP_MALLOC"]
# T.run sets LD_PRELOAD itself when preload is on: run without it and build the line here
r = T.run([T.exe("reach"), "seed"], preload=False,
          env={"LD_PRELOAD": f"{bump}:{T.LIB}", "THREADLEAK_OPTIONS": "format=json"})
docs = T.json_docs(r.stderr)
T.check(len(docs) == 1, f"{len(docs)} JSON reports under another allocator, expected 1", r.stderr)
leaks = docs[0]["leaks"]
T.check(len(leaks) == 15, f"{len(leaks)} leaks", leaks)
for l in leaks:
    T.check(l["verdict"] == "unknown" and l["verdict_reason"] == "another allocator provides malloc",
            f"thread {l['thread']}: {l['verdict']} ({l['verdict_reason']})", leaks)
T.ok()
