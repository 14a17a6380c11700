/* The default suppression sets (default_suppressions.c): the library loads their rules, and
 * threadleak run checks the names given to disable_default_sets against them. */
#ifndef TL_DEFAULT_SETS_H
#define TL_DEFAULT_SETS_H

struct tl_default_set {
	const char *name;
	const char *doc;
	const char *rules;
};
extern const struct tl_default_set tl_default_sets[]; /* ends with a NULL name */

#endif
