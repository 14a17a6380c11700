/* A library whose constructor blocks (loaderlock -m ctor): dlopen runs it with the loader's
 * dl_load_lock held. */
void tl_ctor_hook(void);

__attribute__((constructor)) static void blocking_constructor(void)
{
	tl_ctor_hook();
}
