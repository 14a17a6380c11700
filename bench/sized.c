/* An empty shared library of threadleak's size: bench/run preloads it in process-start to show
 * what the size alone costs every process, apart from anything threadleak's code does. The
 * sizes follow libthreadleak.so's (2026-12-05: one read-and-execute segment of 352 KB, 7 KB of
 * data, 105 KB of .bss, linked the same way, -z noseparate-code); nothing of it is run. The
 * kernel maps a read fault's neighbours too (fault-around: 16 pages), so the page the loader
 * touches first maps up to 64 KB of the object, where an empty library's segments are one
 * page each. */
__attribute__((used, section(".text.tlbench_pad"))) const char tlbench_sized_text[340 * 1024] = {1};
__attribute__((used)) char tlbench_sized_data[7 * 1024] = {1};
__attribute__((used)) char tlbench_sized_bss[105 * 1024];

int tlbench_sized(void);
int tlbench_sized(void)
{
	return 0;
}
