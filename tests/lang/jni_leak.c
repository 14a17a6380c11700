/* A native library loaded by the JVM that leaks its own thread: as a JNI library
 * (System.load runs JNI_OnLoad) or as a JVMTI agent (java -agentpath:lib runs Agent_OnLoad).
 * Either entry point starts a thread that waits forever on a condition variable nobody
 * signals. The JVM's own threads are suppressed by the default set "jvm"; this one must be
 * reported. jni.h is not needed: the entry points take pointers we never use. */
#include <pthread.h>
#include <stdint.h>

#define TL_JNI_VERSION_1_8 0x00010008

int32_t JNI_OnLoad(void *vm, void *reserved);
int32_t Agent_OnLoad(void *vm, char *options, void *reserved);

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;

static void *jni_worker(void *arg)
{
	pthread_mutex_lock(&mu);
	for (;;)
		pthread_cond_wait(&never, &mu); /* the library's leak: nobody ever signals */
	return arg;
}

static int start_worker(void)
{
	pthread_t t;
	return pthread_create(&t, NULL, jni_worker, NULL);
}

__attribute__((visibility("default"))) int32_t JNI_OnLoad(void *vm, void *reserved)
{
	(void)vm;
	(void)reserved;
	start_worker();
	return TL_JNI_VERSION_1_8;
}

__attribute__((visibility("default"))) int32_t Agent_OnLoad(void *vm, char *options,
                                                            void *reserved)
{
	(void)vm;
	(void)options;
	(void)reserved;
	return start_worker() == 0 ? 0 : -1;
}
