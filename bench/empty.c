/* An empty shared library: bench/run preloads it in process-start to show what preloading any
 * library costs on this machine (opening and mapping it, relocation), the floor under which
 * libthreadleak.so cannot go. */
int tlbench_empty(void);
int tlbench_empty(void)
{
	return 0;
}
