/* libdw for the symbolizer. In the preloaded library (TL_PRELOADED) it is dlopen'ed on first
 * use and called through preload/deps.h, which redirects the names; in the CLI it is linked. */
#ifndef TL_REPORT_DW_H
#define TL_REPORT_DW_H

#include "report.h"

#ifdef TL_PRELOADED
#include "deps.h"
#else
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
static inline bool tl_deps_dw(void)
{
	return true;
}
#endif

#endif
