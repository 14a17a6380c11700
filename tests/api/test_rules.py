"""A named logger thread suppressed by each rule kind in turn (top, any, start, created_by,
name, module) while the worker is still reported: exactly 1 leaked, 1 suppressed, the rule
used once, in JSON and in the text report's "suppressions used" table. Rules that look alike
but must not match (the logger's second frame for top:, its top frame for start:, the
library for module: when the logger is created by the program) leave both reported."""
import os
import shutil

from apiutil import *  # noqa: F403

prog = exe("api_rules")
work = workdir()

# the logger created in the program itself, or through libapispawn.so (module:)
RULES = [
    ("top:logger_wait", []),
    ("top:^logger_wait$", []),
    ("any:logger_loop", []),
    ("start:logger_loop", []),
    ("start:^logger_loop$", []),
    ("created_by:start_logger", []),
    ("created_by:^start_logger$", ["lib"]),
    ("name:logger", []),
    ("name:^logger$", ["lib"]),
    ("module:libapispawn", ["lib"]),
    ("module:libapispawn.so$", ["lib"]),
]
NOT_MATCHING = [
    ("top:logger_loop", []),          # the second frame: top: looks at the innermost only
    ("start:logger_wait", []),        # a frame, not the start routine
    ("name:^log$", []),
    ("created_by:logger_loop", []),   # the current stack, not the creation stack
    ("module:libapispawn", []),       # created by the program, not by the library
    ("any:nothing_like_this", []),
]

try:
    # without rules: both reported
    bare = run([prog], preload=False)
    check(bare.rc == 0 and bare.stdout == b"ready\n", f"bare run: {bare.rc}", bare.stdout + bare.stderr)
    for args in ([], ["lib"]):
        r = run([prog] + args)
        check(r.rc == 23 and r.report["leaked"] == 2 and r.report["suppressed"] == 0,
              f"no rules {args}: {r.rc}, leaked {r.report and r.report['leaked']}, expected 2", r.stderr, r.report)
        names = sorted(l["name"] for l in r.report["leaks"])
        check(names == ["logger", "worker"], f"no rules {args}: leaks {names}", r.report)
        check(r.report["suppressions_used"] == [] and r.report["suppressed_threads"] == [],
              f"no rules {args}: nothing used", r.report)
        lg = [l for l in r.report["leaks"] if l["name"] == "logger"][0]
        check(lg["state"] == "blocked" and lg["blocked_in"] == "read" and lg["stack"][0]["function"] == "logger_wait",
              f"{args}: the logger is blocked in read in logger_wait", lg)
        mods = [os.path.basename(f["module"] or "") for f in lg["created_by"]["stack"]]
        if args:
            check(mods[:1] == ["libapispawn.so"], f"lib: created in libapispawn.so: {mods}", lg)
        else:
            check(mods[:1] == ["api_rules"], f"created in api_rules: {mods}", lg)

    for rule, args in RULES:
        p = supp_file(work, "one.supp", f"# {rule}\n{rule}\n")
        r = run([prog] + args, options=f"suppressions={p}")
        logger_suppressed(r, rule, f"{rule} {args}")
        check(warnings(r.stderr) == [], f"{rule}: warnings", r.stderr)

        # the text report: the worker, the count and the rules table
        t = run([prog] + args, options=f"suppressions={p}", json_format=False)
        err = t.stderr.decode(errors="replace")
        check(t.rc == 23, f"{rule} text: status {t.rc}", err)
        check("found 1 leaked thread in" in err and '"worker"' in err and '"logger"' not in err,
              f"{rule} text: the worker only", err)
        check("threadleak: 1 thread suppressed\n" in err, f"{rule} text: suppressed count", err)
        table = "threadleak: suppressions used:\n  count rule\n" + f"  {1:5d} {rule}\n"
        check(err.endswith(table), f"{rule} text: the table ends the report:\n{table}", err)

    for rule, args in NOT_MATCHING:
        p = supp_file(work, "one.supp", rule + "\n")
        r = run([prog] + args, options=f"suppressions={p}")
        check(r.rc == 23 and r.report["leaked"] == 2 and r.report["suppressed"] == 0
              and r.report["suppressions_used"] == [], f"{rule} {args} must match nothing", r.report)

    # one rule that matches both (module: of the program, when it creates both)
    p = supp_file(work, "one.supp", "module:api_rules$\n")
    r = run([prog], options=f"suppressions={p}")
    check(r.rc == 0 and r.report["leaked"] == 0 and r.report["suppressed"] == 2
          and used(r.report) == {"module:api_rules$": 2}, "module:api_rules$ suppresses both: exit 0", r.report)
    t = run([prog], options=f"suppressions={p}", json_format=False)
    check(t.rc == 0 and t.stderr == b"", "all suppressed: no text report at all", t.stderr)

    # the README's example file, comments after the rules included
    p = supp_file(work, "readme.supp", "# threadleak.supp\n"
                  "name:logger                  # the thread's name (pthread_setname_np)\n"
                  "start:metrics_flush_loop     # the start routine\n")
    r = run([prog], options=f"suppressions={p}")
    logger_suppressed(r, "name:logger", "README example with comments")
finally:
    shutil.rmtree(work, ignore_errors=True)
ok()
