/* Running the command: where the library is, whether the program can be preloaded at all,
 * the child itself (exec errors reported like a shell), signals, and the processes it leaves
 * behind (we are their subreaper, so orphaned grandchildren still end with a report). */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef TL_PREFIX
#define TL_PREFIX "/usr/local"
#endif
#ifndef TL_BINDIR
#define TL_BINDIR "bin"
#endif
#ifndef TL_LIBDIR
#define TL_LIBDIR "lib"
#endif

#define LIBNAME "libthreadleak.so"

/* ---- the library ---- */
static char *existing(const char *dir, const char *rel)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/%s/%s", dir, rel, LIBNAME) >= (int)sizeof(path))
		return NULL;
	return access(path, R_OK) == 0 ? realpath(path, NULL) : NULL;
}

/* The prefix the program is installed under, if its directory ends with the bindir. */
static bool installed_prefix(const char *dir, char *prefix, size_t len)
{
	size_t n = strlen(dir), b = strlen(TL_BINDIR);
	if (TL_BINDIR[0] == '/' || n <= b || strcmp(dir + n - b, TL_BINDIR) != 0 ||
	    dir[n - b - 1] != '/')
		return false;
	snprintf(prefix, len, "%.*s", (int)(n - b - 1), dir);
	return true;
}

char *find_library(const char *argv0)
{
	const char *env = getenv("THREADLEAK_LIB");
	if (env && env[0])
		return access(env, R_OK) == 0 ? realpath(env, NULL) : NULL;
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		if (realpath(argv0, exe) == NULL)
			return NULL;
		n = (ssize_t)strlen(exe);
	}
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	char *found = existing(exe, "../preload"); /* build tree: build/tools, build/preload */
	if (found == NULL)
		found = existing(exe, "."); /* a copy of both in one folder */
	char prefix[PATH_MAX];
	if (found == NULL && TL_LIBDIR[0] != '/' && installed_prefix(exe, prefix, sizeof(prefix)))
		found = existing(prefix, TL_LIBDIR); /* relocated install */
	if (found == NULL)
		found = existing(TL_LIBDIR[0] == '/' ? "" : TL_PREFIX, TL_LIBDIR);
	return found;
}

/* Is path our library, an ELF object that defines threadleak_verify_none? A wrong
 * THREADLEAK_LIB (a typo that names another library, libm) would otherwise load, check
 * nothing, and let a leaking command pass. Its dynamic symbols, read with libelf. */
bool library_is_ours(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool ours = false;
	elf_version(EV_CURRENT);
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	for (Elf_Scn *scn = NULL; e && !ours && (scn = elf_nextscn(e, scn)) != NULL;) {
		GElf_Shdr sh;
		Elf_Data *data;
		if (gelf_getshdr(scn, &sh) == NULL || sh.sh_type != SHT_DYNSYM ||
		    sh.sh_entsize == 0 || (data = elf_getdata(scn, NULL)) == NULL)
			continue;
		for (size_t i = 0; !ours && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *name;
			ours = gelf_getsym(data, (int)i, &sym) && sym.st_shndx != SHN_UNDEF &&
			       (name = elf_strptr(e, sh.sh_link, sym.st_name)) != NULL &&
			       strcmp(name, "threadleak_verify_none") == 0;
		}
	}
	if (e)
		elf_end(e);
	close(fd);
	return ours;
}

/* ---- programs that start without the library ---- */
static bool env_clears(char **argv)
{
	for (size_t i = 1; argv[i] && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-") == 0 || strcmp(a, "--ignore-environment") == 0 ||
		    strcmp(a, "--unset=LD_PRELOAD") == 0 || strcmp(a, "-uLD_PRELOAD") == 0 ||
		    (a[1] != '-' && a[1] != 'u' && strchr(a, 'i')))
			return true;
		if (strcmp(a, "-u") == 0 || strcmp(a, "--unset") == 0) {
			if (argv[i + 1] && strcmp(argv[i + 1], "LD_PRELOAD") == 0)
				return true;
			if (argv[i + 1])
				i++;
		}
	}
	return false;
}

enum tl_unchecked program_unchecked(const char *path, char **argv)
{
	enum tl_unchecked why = tl_unchecked_program(AT_FDCWD, path, -1);
	const char *base = strrchr(path, '/');
	if (why == TL_UNCHECKED_NO && strcmp(base ? base + 1 : path, "env") == 0 &&
	    env_clears(argv))
		why = TL_UNCHECKED_NOENV;
	return why;
}

void print_unchecked(const char *path, int pid, enum tl_unchecked why, const char *caller)
{
	char who[64] = "";
	if (pid > 0)
		snprintf(who, sizeof(who), " (pid %d)", pid);
	switch (why) {
	case TL_UNCHECKED_NO:
		break;
	case TL_UNCHECKED_STATIC:
		fprintf(stderr, "threadleak: %s%s was not checked: statically linked\n", path, who);
		break;
	case TL_UNCHECKED_SECURE:
		fprintf(stderr,
		        "threadleak: %s%s was not checked: it runs in secure execution "
		        "(set-user-ID, set-group-ID or file capabilities), where the loader "
		        "ignores LD_PRELOAD\n",
		        path, who);
		break;
	case TL_UNCHECKED_NOENV:
		fprintf(stderr,
		        "threadleak: %s%s was not checked: %s removed LD_PRELOAD from its "
		        "environment\n",
		        path, who, caller);
		break;
	case TL_UNCHECKED_NOOPTS:
		fprintf(stderr,
		        "threadleak: %s%s is not in this report: %s removed threadleak run's "
		        "THREADLEAK_OPTIONS from its environment, so its report (if any) went to "
		        "its own stderr\n",
		        path, who, caller);
		break;
	}
}

/* ---- the command ---- */
char *resolve_command(const char *cmd)
{
	if (cmd[0] == '\0') {
		errno = ENOENT;
		return NULL;
	}
	if (strchr(cmd, '/')) {
		if (access(cmd, X_OK) != 0)
			return NULL;
		return strdup(cmd);
	}
	const char *path = getenv("PATH");
	if (path == NULL)
		path = "/bin:/usr/bin";
	int err = ENOENT;
	for (const char *p = path;; p++) {
		const char *end = strchrnul(p, ':');
		char full[PATH_MAX];
		int len = (int)(end - p);
		snprintf(full, sizeof(full), "%.*s%s%s", len, p, len ? "/" : "", cmd);
		struct stat st;
		if (stat(full, &st) == 0 && S_ISREG(st.st_mode)) {
			if (access(full, X_OK) == 0)
				return strdup(full);
			err = EACCES;
		}
		if (*end == '\0')
			break;
		p = end;
	}
	errno = err;
	return NULL;
}

/* Why COMMAND could not be started, in a shell's words, on stderr: "command not found" only
 * when there is no such file. A script whose #! interpreter is missing fails with ENOENT too,
 * and a folder passes access(X_OK) and fails with EACCES. */
void say_exec_failure(const char *cmd, int e)
{
	char *path = e == ENOENT || e == EACCES ? resolve_command(cmd) : NULL;
	struct stat st;
	char line[256] = "";
	if (path != NULL && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		cli_err("%s: Is a directory", cmd);
	} else if (path != NULL && e == ENOENT) {
		FILE *f = fopen(path, "r");
		if (f == NULL || fgets(line, sizeof(line), f) == NULL ||
		    strncmp(line, "#!", 2) != 0)
			line[0] = '\0';
		if (f != NULL)
			fclose(f);
		char *interp = line + (line[0] ? 2 : 0);
		interp += strspn(interp, " \t");
		interp[strcspn(interp, " \t\r\n")] = '\0';
		if (interp[0])
			cli_err("%s: %s: bad interpreter: %s", cmd, interp, strerror(ENOENT));
		else
			cli_err("%s: %s", cmd, strerror(ENOENT));
	} else {
		cli_err("%s: %s", cmd, e == ENOENT ? "command not found" : strerror(e));
	}
	free(path);
}

/* ---- signals: forward what other processes send us ---- */
/* Every signal whose default action would end run, leaving its folder behind and the command
 * orphaned, except the faults of run itself: what a CI timeout, a supervisor or a user
 * sends to run is meant for the command (as `timeout` does). Real-time signals too. */
static volatile sig_atomic_t child_pid;
static const int forwarded_std[] = {SIGINT,  SIGTERM, SIGHUP,  SIGQUIT,   SIGUSR1,
                                    SIGUSR2, SIGALRM, SIGPIPE, SIGVTALRM, SIGPROF,
                                    SIGIO,   SIGXCPU, SIGXFSZ, SIGSTKFLT, SIGPWR};
static struct sigaction saved[NSIG];
static bool installed[NSIG];
/* A signal that ends the command (SIGTERM, SIGINT, SIGHUP, SIGQUIT), forwarded to it: its
 * descendants left behind get it too (reap_orphans), as they would from `timeout`, which
 * signals its whole process group. A cancelled `threadleak run -- make check` left the tests
 * running. */
static volatile sig_atomic_t ended_by;

static void forward(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	/* si_code <= 0: kill(), sigqueue(), tgkill() from another process. A terminal's ^C
	 * (SI_KERNEL) already reaches the child, which is in our process group; a SIGPIPE or
	 * SIGXFSZ of our own write (sent with our own pid) makes the write fail instead. */
	int saved_errno = errno;
	if (child_pid > 0 && si->si_code <= 0 && si->si_pid != getpid()) {
		kill(child_pid, sig);
		if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP || sig == SIGQUIT)
			ended_by = sig;
	}
	errno = saved_errno;
}

static void for_each_forwarded(void (*fn)(int sig))
{
	for (size_t i = 0; i < sizeof(forwarded_std) / sizeof(forwarded_std[0]); i++)
		fn(forwarded_std[i]);
	for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
		fn(sig);
}

static void install_one(int sig)
{
	sigaction(sig, NULL, &saved[sig]);
	if (saved[sig].sa_handler == SIG_IGN)
		return; /* an ignored signal stays ignored, for us and the child */
	struct sigaction sa = {.sa_sigaction = forward, .sa_flags = SA_SIGINFO | SA_RESTART};
	sigemptyset(&sa.sa_mask);
	installed[sig] = sigaction(sig, &sa, NULL) == 0;
}

static void restore_one(int sig)
{
	if (installed[sig])
		sigaction(sig, &saved[sig], NULL);
	installed[sig] = false;
}

static sigset_t forwarded_set;
static void add_one(int sig)
{
	sigaddset(&forwarded_set, sig);
}

static void signals_block(sigset_t *old)
{
	sigemptyset(&forwarded_set);
	for_each_forwarded(add_one);
	sigprocmask(SIG_BLOCK, &forwarded_set, old);
}

/* Until the reports are read and the folder removed: a signal then is for nobody. */
void spawn_done(void)
{
	child_pid = 0;
	for_each_forwarded(restore_one);
	/* What is left is ours: the report on stdout, then the files. A reader that has gone
	 * (`threadleak run ... | head -1`) must not end run between the two, its --json and
	 * --junit unwritten (or a stale one from the last run left in place) and its status 141:
	 * a write to it fails instead. exit_like sets a signal's default back before raising it. */
	signal(SIGPIPE, SIG_IGN);
}

/* ---- the child ---- */
__attribute__((noreturn)) static void child(char **argv, const struct spawn_opts *o, int errfd,
                                            const sigset_t *mask)
{
	sigprocmask(SIG_SETMASK, mask, NULL);
	if (o->preload)
		setenv("LD_PRELOAD", o->preload, 1);
	if (o->options)
		setenv("THREADLEAK_OPTIONS", o->options, 1);
	if (o->asan)
		setenv("ASAN_OPTIONS", o->asan, 1);
	execvp(argv[0], argv);
	int e = errno;
	ssize_t w = write(errfd, &e, sizeof(e));
	(void)w;
	_exit(e == ENOENT ? TL_EXIT_NOTFOUND : TL_EXIT_NOEXEC);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Our children now (orphans that came to us): "pid N (comm)" into c, or, with sig, each one
 * not in sent[] gets sig and goes there. */
static void each_child(struct child *c, int sig, pid_t *sent, size_t *nsent, size_t cap)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		char path[300], buf[512];
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		FILE *f = fopen(path, "re");
		if (f == NULL)
			continue;
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		char *open = strchr(buf, '('), *close = strrchr(buf, ')');
		int ppid;
		char state;
		if (open == NULL || close == NULL ||
		    sscanf(close + 1, " %c %d", &state, &ppid) != 2 || ppid != getpid() ||
		    state == 'Z')
			continue;
		if (sig) {
			pid_t pid = (pid_t)atoi(e->d_name);
			bool done = false;
			for (size_t i = 0; i < *nsent && !done; i++)
				done = sent[i] == pid;
			if (!done && *nsent < cap && kill(pid, sig) == 0)
				sent[(*nsent)++] = pid;
			continue;
		}
		char *text;
		if (asprintf(&text, "pid %s %.*s", e->d_name, (int)(close - open + 1), open) > 0)
			strv_push(&c->still_running, &c->nstill, text);
	}
	if (d)
		closedir(d);
}

/* After the command: orphaned descendants that end soon still get their report read. */
static void reap_orphans(struct child *c, int wait_ms)
{
	int64_t deadline = now_ms() + wait_ms;
	pid_t sent[256];
	size_t nsent = 0;
	for (;;) {
		if (ended_by) /* orphans come to us as their parents die: each gets it once */
			each_child(c, ended_by, sent, &nsent, sizeof(sent) / sizeof(sent[0]));
		int st;
		pid_t r = waitpid(-1, &st, WNOHANG);
		if (r > 0)
			continue;
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return; /* ECHILD: nobody left */
		if (now_ms() >= deadline)
			break;
		struct timespec ts = {0, 10 * 1000000};
		nanosleep(&ts, NULL);
	}
	each_child(c, 0, NULL, NULL, 0);
}

int spawn_wait(char **argv, const struct spawn_opts *o, struct child *c)
{
	memset(c, 0, sizeof(*c));
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) != 0) {
		cli_err("pipe: %s", strerror(errno));
		return -1;
	}
	sigset_t old;
	signals_block(&old);
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		cli_err("fork: %s", strerror(errno));
		sigprocmask(SIG_SETMASK, &old, NULL);
		return -1;
	}
	if (pid == 0) {
		close(pfd[0]);
		child(argv, o, pfd[1], &old);
	}
	close(pfd[1]);
	child_pid = pid;
	c->pid = pid;
	for_each_forwarded(install_one);
	sigprocmask(SIG_SETMASK, &old, NULL);
	int e = 0;
	ssize_t r;
	while ((r = read(pfd[0], &e, sizeof(e))) < 0 && errno == EINTR)
		;
	close(pfd[0]);
	if (r == (ssize_t)sizeof(e))
		c->exec_errno = e;
	for (;;) {
		int st;
		pid_t w = waitpid(-1, &st, 0);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			cli_err("waitpid: %s", strerror(errno));
			return -1;
		}
		if (w == pid) {
			c->status = st;
			break;
		}
	}
	child_pid = 0;
	if (c->exec_errno == 0)
		reap_orphans(c, o->orphan_wait_ms);
	return 0;
}

int child_exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

void exit_like(int status)
{
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		struct rlimit no_core = {0, 0};
		setrlimit(RLIMIT_CORE, &no_core); /* the child dumped its own core */
		fflush(NULL);
		signal(sig, SIG_DFL);
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, sig);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		raise(sig);
	}
	exit(child_exit_code(status));
}
