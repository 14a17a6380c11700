/* threadleak: the command line. Subcommands `run`, `report`, `dump` and `watch`; `--help` for each.
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#ifndef TL_VERSION
#define TL_VERSION "unknown"
#endif
const char *cli_version = TL_VERSION;

void cli_err(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("threadleak: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int color_arg(const char *v)
{
	if (v == NULL || strcmp(v, "always") == 0)
		return 1;
	if (strcmp(v, "never") == 0)
		return 0;
	if (strcmp(v, "auto") == 0)
		return -1;
	return -2;
}

bool parse_int(const char *s, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno == ERANGE || v < min || v > max)
		return false;
	*out = v;
	return true;
}

void strv_push(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, sizeof(char *) * (*n + 2));
	if (nv == NULL) {
		cli_err("out of memory");
		exit(TL_EXIT_INTERNAL);
	}
	nv[(*n)++] = (char *)s;
	nv[*n] = NULL;
	*v = nv;
}

static void usage(FILE *out)
{
	fputs("Usage: threadleak run [OPTIONS] -- COMMAND [ARGS...]\n"
	      "       threadleak report [OPTIONS] FILE...\n"
	      "       threadleak dump [--json] [--wait S] [--signal N] PID\n"
	      "       threadleak watch [--interval S] [--count N] [--json] [--lines] [--signal N] "
	      "PID\n"
	      "       threadleak --help | --version\n"
	      "\n"
	      "Finds threads that a program leaves behind: still running, blocked forever,\n"
	      "or finished but never joined, with where they are and where they were made.\n"
	      "\n"
	      "Commands:\n"
	      "  run     run COMMAND with libthreadleak.so preloaded into it and into every\n"
	      "          process it starts; print one report at the end; exit with the\n"
	      "          command's status when it failed, else 23 when threads leaked, else 0\n"
	      "  report  render JSON reports (THREADLEAK_OPTIONS=format=json, run --json)\n"
	      "          as text, symbolizing frames offline; convert them to SARIF, JUnit\n"
	      "  dump    print every thread of a running process under threadleak, now,\n"
	      "          without stopping it (a hang report)\n"
	      "  watch   every interval, the groups of threads of a running process whose\n"
	      "          count grew (a leak in a service)\n"
	      "\n"
	      "`threadleak run --help` and `threadleak report --help` list the options.\n"
	      "Manual: man threadleak. Library options: THREADLEAK_OPTIONS=help=1.\n",
	      out);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return TL_EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(cmd, "report") == 0)
		return cmd_report(argc - 1, argv + 1);
	if (strcmp(cmd, "dump") == 0)
		return cmd_dump(argc - 1, argv + 1);
	if (strcmp(cmd, "watch") == 0)
		return cmd_watch(argc - 1, argv + 1);
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		if (argc > 2 && strcmp(argv[2], "run") == 0)
			usage_run(stdout);
		else if (argc > 2 && strcmp(argv[2], "report") == 0)
			usage_report(stdout);
		else if (argc > 2 && strcmp(argv[2], "dump") == 0)
			usage_dump(stdout);
		else if (argc > 2 && strcmp(argv[2], "watch") == 0)
			usage_watch(stdout);
		else
			usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("threadleak %s\n", cli_version);
		return 0;
	}
	if (cmd[0] == '-')
		cli_err("unknown option '%s'", cmd);
	else
		cli_err(
		    "unknown command '%s' (expected run, report, dump or watch; to run a program: "
		    "threadleak run -- %s)",
		    cmd, cmd);
	fprintf(stderr, "Try 'threadleak --help'.\n");
	return TL_EXIT_USAGE;
}
