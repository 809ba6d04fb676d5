/*
 * trapcount: the benchmarks' no-op snmptrapd handler. Preloaded into
 * snmptrapd like upsxen.so, it registers a global post-handler that does
 * nothing but count, in a file mapped shared with the benchmark
 * (UPSXEN_BENCH_COUNT), so the benchmark reads how many traps snmptrapd
 * handled without asking it anything. Alone it is the ceiling: what
 * snmptrapd itself can do. Beside upsxen.so it counts the traps that went
 * through upsxen's handler too.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "trapd.h"

static volatile uint64_t	*counter;

static int
trapcount_handle(netsnmp_pdu *pdu, netsnmp_transport *t,
    netsnmp_trapd_handler *h)
{
	(void)pdu;
	(void)t;
	(void)h;
	__atomic_add_fetch(counter, 1, __ATOMIC_RELAXED);
	return NETSNMPTRAPD_HANDLER_OK;
}

static int
trapcount_map(const char *path)
{
	void	*p;
	int	 fd;

	fd = open(path, O_RDWR | O_CREAT, 0644);
	if (fd == -1 || ftruncate(fd, sizeof(uint64_t)) == -1) {
		fprintf(stderr, "trapcount: %s: %s\n", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	p = mmap(NULL, sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED,
	    fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		fprintf(stderr, "trapcount: mmap %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	counter = p;
	return 0;
}

__attribute__((constructor)) static void
trapcount_preload(void)
{
	netsnmp_trapd_handler	*h;
	const char		*path = getenv("UPSXEN_BENCH_COUNT");

	if (strcmp(program_invocation_short_name, "snmptrapd") != 0)
		return;
	/* traphandle's children must not load the preloads again. */
	unsetenv("LD_PRELOAD");
	if (path == NULL || trapcount_map(path) == -1)
		return;
	h = netsnmp_add_global_traphandler(NETSNMPTRAPD_POST_HANDLER,
	    trapcount_handle);
	if (h != NULL)
		h->authtypes = TRAP_AUTH_LOG;
}
