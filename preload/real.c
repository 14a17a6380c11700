/* One table of every real function, resolved eagerly in the constructor (and on first use if a
 * wrapper runs before it, from another library's constructor). Never dlsym on a hot path. */
#include "tl.h"

#include <dlfcn.h>
#include <unistd.h>

#define TL_DEFINE_REAL(ret, name, params) ret(*tl_real_##name) params;
#define TL_DEFINE_REALV(ret, name, sym, ver, params) ret(*tl_real_##name) params;
TL_REAL_LIST(TL_DEFINE_REAL)
TL_REAL_VERSIONED(TL_DEFINE_REALV)

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void resolve(void)
{
#define TL_RESOLVE(ret, name, params) tl_real_##name = (ret(*) params)dlsym(RTLD_NEXT, #name);
#define TL_RESOLVEV(ret, name, sym, ver, params) \
	tl_real_##name = (ret(*) params)dlvsym(RTLD_NEXT, sym, ver);
	TL_REAL_LIST(TL_RESOLVE)
	TL_REAL_VERSIONED(TL_RESOLVEV)
}

void tl_real_resolve(void)
{
	/* pthread_once is not wrapped, so this cannot recurse into a wrapper. */
	pthread_once(&once, resolve);
}
