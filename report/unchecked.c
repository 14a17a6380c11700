/* Whether a program will run without the preloaded library although LD_PRELOAD names it: a
 * statically linked executable (no loader to preload anything), or one the kernel starts in
 * secure execution (the loader then ignores an LD_PRELOAD path). Used by `threadleak run` for
 * its command and by the library's exec wrappers (preload/wrap_exec.c) for the programs started
 * deeper, which may call it in a vfork child: only system calls that return -errno, no errno,
 * no allocation, no lock, nothing else of libc. See docs/internals.md (programs started
 * without the library). */
#include "report.h"

#include <elf.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef TL_PRELOADED
long tl_raw_syscall6(long nr, long a, long b, long c, long d, long e, long f);
#define SYS(nr, a, b, c, d) tl_raw_syscall6(nr, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#else
#include <errno.h>
static long sys4(long nr, long a, long b, long c, long d)
{
	long r = syscall(nr, a, b, c, d);
	return r == -1 ? -errno : r;
}
#define SYS(nr, a, b, c, d) sys4(nr, (long)(a), (long)(b), (long)(c), (long)(d))
#endif

#ifndef ST_NOSUID
#define ST_NOSUID 2
#endif

/* FD: the open file, or -1 (then mount options and capabilities are not looked at). The
 * kernel sets AT_SECURE when the new program's effective ids differ from the real ones
 * (a set-user-ID or set-group-ID file, honoured unless the file system is mounted nosuid or
 * the process set no_new_privs), or when a file capability raises what a non-root user has. */
static bool secure(int fd, const struct stat *st)
{
	bool setid =
	    ((st->st_mode & S_ISUID) && st->st_uid != (uid_t)SYS(SYS_getuid, 0, 0, 0, 0)) ||
	    ((st->st_mode & S_ISGID) && st->st_gid != (gid_t)SYS(SYS_getgid, 0, 0, 0, 0));
	bool caps = fd >= 0 && SYS(SYS_getuid, 0, 0, 0, 0) != 0 &&
	            SYS(SYS_fgetxattr, fd, "security.capability", NULL, 0) > 0;
	if (!setid && !caps)
		return false;
	struct statfs sf;
	if (fd >= 0 && SYS(SYS_fstatfs, fd, &sf, 0, 0) == 0 && (sf.f_flags & ST_NOSUID))
		return false;
	return SYS(SYS_prctl, PR_GET_NO_NEW_PRIVS, 0, 0, 0) != 1;
}

static long pread_all(int fd, void *buf, size_t n, uint64_t off)
{
	return SYS(SYS_pread64, fd, buf, n, off);
}

/* 1 an ELF executable without PT_INTERP, 0 one with it, -1 not ELF or unreadable. */
static int elf_static(int fd, const unsigned char *head, long n)
{
	if (n < EI_NIDENT || memcmp(head, ELFMAG, SELFMAG) != 0)
		return -1;
	uint64_t phoff;
	unsigned phnum, phentsize;
	if (head[EI_CLASS] == ELFCLASS64 && n >= (long)sizeof(Elf64_Ehdr)) {
		const Elf64_Ehdr *eh = (const void *)head;
		phoff = eh->e_phoff, phnum = eh->e_phnum, phentsize = eh->e_phentsize;
	} else if (head[EI_CLASS] == ELFCLASS32 && n >= (long)sizeof(Elf32_Ehdr)) {
		const Elf32_Ehdr *eh = (const void *)head;
		phoff = eh->e_phoff, phnum = eh->e_phnum, phentsize = eh->e_phentsize;
	} else {
		return -1;
	}
	for (unsigned i = 0; i < phnum; i++) {
		uint32_t type;
		if (pread_all(fd, &type, sizeof(type), phoff + (uint64_t)i * phentsize) !=
		    (long)sizeof(type))
			return -1; /* unreadable: let the loader decide */
		if (type == PT_INTERP)
			return 0;
	}
	return 1;
}

/* `#!INTERPRETER [ARG]`: the interpreter's path, NUL-terminated in buf (which it overwrites). */
static const char *interpreter(char *buf, long n)
{
	if (n < 3 || buf[0] != '#' || buf[1] != '!')
		return NULL;
	char *p = buf + 2, *end = buf + n;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	char *q = p;
	while (q < end && *q != ' ' && *q != '\t' && *q != '\n' && *q != '\0')
		q++;
	if (q == p || q == end)
		return NULL; /* no name, or longer than what we read */
	*q = '\0';
	return p;
}

/* Valgrind's tools (/usr/libexec/valgrind/memcheck-amd64-linux, ...) are statically linked,
 * but load the program they run with its own dynamic loader, which preloads LD_PRELOAD: that
 * program is checked, under the same pid. */
bool tl_valgrind_tool(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t n = base ? strlen(base) : 0;
	return base != NULL && n > 6 && strcmp(base + n - 6, "-linux") == 0 &&
	       memmem(path, (size_t)(base - path) + 1, "/valgrind/", 10) != NULL;
}

enum tl_unchecked tl_unchecked_program(int dirfd, const char *path, int fd_in)
{
	char head[256];
	/* the kernel follows up to 4 levels of interpreters */
	for (int depth = 0; depth < 5; depth++) {
		int fd = depth == 0 ? fd_in : -1;
		if (fd < 0)
			/* O_NONBLOCK: a FIFO must not stop us here (exec fails on it anyway) */
			fd =
			    (int)SYS(SYS_openat, dirfd, path, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0);
		struct stat st;
		if (fd < 0) {
			/* an execute-only file (mode 4711): its set-ID bits still count; else the
			 * exec will fail */
			bool setid = SYS(SYS_newfstatat, dirfd, path, &st, 0) == 0 &&
			             S_ISREG(st.st_mode) && (st.st_mode & (S_ISUID | S_ISGID)) &&
			             secure(-1, &st);
			return setid ? TL_UNCHECKED_SECURE : TL_UNCHECKED_NO;
		}
		long n = -1;
		enum tl_unchecked why = TL_UNCHECKED_NO;
		if (SYS(SYS_fstat, fd, &st, 0, 0) == 0 && S_ISREG(st.st_mode) &&
		    (n = pread_all(fd, head, sizeof(head) - 1, 0)) > 0) {
			int elf = elf_static(fd, (const unsigned char *)head, n);
			/* a script's own set-ID bits are ignored by Linux */
			if (elf >= 0 && secure(fd, &st))
				why = TL_UNCHECKED_SECURE;
			else if (elf == 1 && !tl_valgrind_tool(path))
				why = TL_UNCHECKED_STATIC;
			else if (elf == 0)
				n = -1;
		}
		if (fd != fd_in)
			SYS(SYS_close, fd, 0, 0, 0);
		if (why != TL_UNCHECKED_NO || n <= 0)
			return why;
		/* a script: what runs is its interpreter, whose path is in head until the next
		 * round has opened it */
		head[n] = '\0';
		path = interpreter(head, n);
		if (path == NULL)
			return TL_UNCHECKED_NO;
		dirfd = AT_FDCWD;
	}
	return TL_UNCHECKED_NO;
}
