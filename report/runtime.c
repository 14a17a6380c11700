/* Which frames belong to the runtimes, not to the code the user wrote: libc, the loader and
 * the C++ runtime by module; C++'s standard library inlined from its headers and Rust's std
 * (linked into the program itself) by source file or by name. The report's "created by"
 * headline skips them (tl_creator_headline), and so do the `top:` suppressions
 * (preload/suppress.c), so that a thread in std::this_thread::sleep_for or a Rust channel's
 * recv is matched by the user's function that called it. */
#include "report.h"

#include <string.h>

#ifndef TL_ARRAY_SIZE
#define TL_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

bool tl_module_is_system(const char *m)
{
	if (m == NULL)
		return false;
	const char *b = strrchr(m, '/');
	b = b ? b + 1 : m;
	static const char *const prefixes[] = {"libc.so",      "ld-linux",    "libpthread.so",
	                                       "libstdc++.so", "libgcc_s.so", "libc++.so",
	                                       "libc++abi.so"};
	for (size_t i = 0; i < TL_ARRAY_SIZE(prefixes); i++)
		if (strncmp(b, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

/* Past the return type a demangled template function's name begins with ("int
 * std::thread::_Invoker<...>::_M_invoke<0ul>(...)", "std::__invoke_result<...>::type
 * std::__invoke<...>(...)"): after the last space outside brackets before its parameters. */
static const char *past_return_type(const char *f)
{
	const char *name = f;
	int depth = 0;
	for (const char *p = f; *p; p++) {
		if (strncmp(p, "operator", 8) == 0 && depth == 0)
			break; /* "operator<<", "operator new": no return type to find past here */
		if (*p == '<' || *p == '[')
			depth++;
		else if ((*p == '>' || *p == ']') && depth > 0)
			depth--;
		else if (*p == '(' && depth == 0)
			break;
		else if (*p == '(')
			depth++;
		else if (*p == ')' && depth > 0)
			depth--;
		else if (*p == ' ' && depth == 0)
			name = p + 1;
	}
	return name;
}

/* A name of std:: (or its return type then std::): std::thread's invoker templates, which the
 * program instantiates, and its return types ("void std::__invoke_impl<...>(...)"); Rust's
 * std ("std::sys::...", "<std::sync::... as ...>::..."); libstdc++'s inline gthread wrappers. */
bool tl_function_is_std(const char *f)
{
	if (f == NULL)
		return false;
	if (strncmp(f, "std::", 5) != 0 && strncmp(f, "<std::", 6) != 0)
		f = past_return_type(f);
	if (strncmp(f, "std::", 5) == 0 || strncmp(f, "<std::", 6) == 0 ||
	    strncmp(f, "__gnu_cxx::", 11) == 0 || strncmp(f, "__gthread_", 10) == 0)
		return true;
	/* mangled (without libthreadleak-demangle.so): _ZSt..., _ZNSt..., _ZNKSt... (std::), the
	 * abbreviations of std::allocator, basic_string... (Sa Sb Ss Si So Sd), __gnu_cxx */
	if (strncmp(f, "_Z", 2) != 0)
		return false;
	f += 2;
	if (*f == 'N') {
		f++;
		while (*f && strchr("KVrRO", *f))
			f++;
	}
	return (f[0] == 'S' && f[1] && strchr("tabsiod", f[1])) ||
	       strncmp(f, "9__gnu_cxx", 10) == 0;
}

/* Rust's thread plumbing beyond std's own frames: the closure shims a thread's function is
 * called through (core::ops::function, alloc's Box<dyn FnOnce>, legacy mangling names them
 * so), the unwinding guard around it (core::panic, __rust_try) and the short-backtrace marker,
 * which takes the function as its first generic argument. */
bool tl_frame_is_thread_plumbing(const struct tl_frame *f)
{
	static const char *const prefixes[] = {
	    "core::ops::function::", "<core::ops::function::", "<alloc::boxed::Box<dyn core::ops::",
	    "core::panic::",         "<core::panic::",         "__rust_try"};
	if (tl_frame_is_runtime(f))
		return true;
	if (f->function == NULL)
		return false;
	for (size_t i = 0; i < TL_ARRAY_SIZE(prefixes); i++)
		if (strncmp(f->function, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return strstr(f->function, "__rust_begin_short_backtrace") != NULL;
}

/* "std::sys::backtrace::__rust_begin_short_backtrace::<seed::submit::{closure#0}, ()>": the
 * function a Rust thread was started with (v0 mangling and debug info name the generic
 * arguments; legacy symbols do not), copied into buf; false when the name has none. */
bool tl_rust_thread_function(const char *function, char *buf, size_t len)
{
	static const char marker[] = "__rust_begin_short_backtrace::<";
	const char *p = function ? strstr(function, marker) : NULL;
	if (p == NULL || len == 0)
		return false;
	p += sizeof(marker) - 1;
	int depth = 0;
	size_t n = 0;
	for (; p[n]; n++) {
		if (p[n] == '<' || p[n] == '(' || p[n] == '[')
			depth++;
		else if ((p[n] == '>' || p[n] == ')' || p[n] == ']') && depth-- == 0)
			break;
		else if (p[n] == ',' && depth == 0)
			break;
	}
	if (n == 0 || n >= len || p[n] == '\0')
		return false;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return true;
}

bool tl_frame_is_runtime(const struct tl_frame *f)
{
	if (tl_module_is_system(f->module))
		return true;
	/* inlined from the C++ library's headers or Rust's std sources */
	static const char *const dirs[] = {"/usr/include/", "/usr/lib/gcc/", "/rustc/"};
	for (size_t i = 0; f->file && i < TL_ARRAY_SIZE(dirs); i++)
		if (strncmp(f->file, dirs[i], strlen(dirs[i])) == 0)
			return true;
	return tl_function_is_std(f->function);
}
