/*
 * fakexapi POOL.json [--log CALLS.jsonl] [--listen ADDRESS]
 *
 * Serves every member of the pool described in POOL.json on its own
 * address (hosts[].address, default the --listen one) and port (XML-RPC at
 * "/", as xapi), prints "fakexapi: ready" once all listen, and runs until
 * SIGTERM or SIGINT.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xmlrpc-c/server.h>
#include <xmlrpc-c/server_abyss.h>

#include "fake.h"

struct server {
	struct fmember		 member;
	struct sockaddr_in	 sin;
	xmlrpc_registry		*registry;
	xmlrpc_server_abyss_t	*abyss;
	pthread_t		 thread;
};

static int
server_create(struct server *s, struct fake *f, int host)
{
	xmlrpc_server_abyss_parms	 parms;
	xmlrpc_env			 env;

	xmlrpc_env_init(&env);
	s->member.f = f;
	s->member.host = host;
	s->registry = xmlrpc_registry_new(&env);
	if (env.fault_occurred)
		goto fail;
	xmlrpc_registry_set_default_method(&env, s->registry, fake_dispatch,
	    &s->member);
	memset(&s->sin, 0, sizeof(s->sin));
	s->sin.sin_family = AF_INET;
	s->sin.sin_port = htons((uint16_t)f->hosts[host].port);
	if (inet_pton(AF_INET, f->hosts[host].address, &s->sin.sin_addr) !=
	    1) {
		fprintf(stderr, "fakexapi: %s: address %s is not IPv4\n",
		    f->hosts[host].name, f->hosts[host].address);
		return -1;
	}
	memset(&parms, 0, sizeof(parms));
	parms.registryP = s->registry;
	parms.uri_path = "/";
	parms.keepalive_timeout = 15;
	parms.keepalive_max_conn = 100000;
	parms.timeout = 60;
	parms.dont_advertise = 1;
	parms.sockaddr_p = (const struct sockaddr *)&s->sin;
	parms.sockaddrlen = sizeof(s->sin);
	parms.max_conn = 256;
	parms.max_conn_backlog = 64;
	xmlrpc_server_abyss_create(&env, &parms, XMLRPC_APSIZE(max_conn_backlog),
	    &s->abyss);
	if (env.fault_occurred)
		goto fail;
	xmlrpc_env_clean(&env);
	return 0;
fail:
	fprintf(stderr, "fakexapi: %s %s:%d: %s\n", f->hosts[host].name,
	    f->hosts[host].address, f->hosts[host].port, env.fault_string);
	xmlrpc_env_clean(&env);
	return -1;
}

static void *
server_run(void *arg)
{
	struct server	*s = arg;
	xmlrpc_env	 env;

	xmlrpc_env_init(&env);
	xmlrpc_server_abyss_run_server(&env, s->abyss);
	if (env.fault_occurred)
		fprintf(stderr, "fakexapi: port %d: %s\n",
		    ntohs(s->sin.sin_port), env.fault_string);
	xmlrpc_env_clean(&env);
	return NULL;
}

/*
 * Tasks and boots move on even when nobody calls. An idle pool sleeps
 * until a call wakes it: benchmarks run hundreds of fakexapi processes.
 */
static void *
ticker(void *arg)
{
	struct fake		*f = arg;
	struct timespec		 ts = { 0, 2 * 1000 * 1000 }, until;
	int			 busy;

	while (!f->stop) {
		pthread_mutex_lock(&f->mu);
		fake_tick(f);
		if (!(busy = fake_busy(f))) {
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += 1;	/* to see f->stop */
			pthread_cond_timedwait(&f->wake, &f->mu, &until);
		}
		pthread_mutex_unlock(&f->mu);
		if (busy)
			nanosleep(&ts, NULL);
	}
	return NULL;
}

static int
usage(void)
{
	fprintf(stderr, "usage: fakexapi POOL.json [--log CALLS.jsonl] "
	    "[--listen ADDRESS]\n");
	return 2;
}

int
main(int argc, char **argv)
{
	static struct fake	 f;
	struct server		*servers;
	const char		*listen = "127.0.0.1", *logpath = NULL;
	sigset_t		 set;
	pthread_t		 tick;
	xmlrpc_env		 env;
	int			 i, sig;

	if (argc < 2 || argv[1][0] == '-')
		return usage();
	for (i = 2; i < argc; i++) {
		if (i + 1 == argc)
			return usage();
		if (strcmp(argv[i], "--log") == 0)
			logpath = argv[++i];
		else if (strcmp(argv[i], "--listen") == 0)
			listen = argv[++i];
		else
			return usage();
	}
	pthread_mutex_init(&f.mu, NULL);
	pthread_cond_init(&f.wake, NULL);
	f.t0 = 0;
	f.t0 = fake_now(&f);
	f.listen = listen;
	if (fake_load(&f, argv[1]) == -1)
		return 1;
	if (logpath && (f.log = fopen(logpath, "a")) == NULL) {
		fprintf(stderr, "fakexapi: %s: %s\n", logpath, strerror(errno));
		return 1;
	}
	xmlrpc_env_init(&env);
	xmlrpc_server_abyss_global_init(&env);
	/* Every thread inherits this mask: only sigwait below sees them. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if ((servers = calloc((size_t)f.nhosts, sizeof(*servers))) == NULL)
		return 1;
	for (i = 0; i < f.nhosts; i++)
		if (server_create(&servers[i], &f, i) == -1)
			return 1;
	for (i = 0; i < f.nhosts; i++)
		pthread_create(&servers[i].thread, NULL, server_run,
		    &servers[i]);
	pthread_create(&tick, NULL, ticker, &f);
	printf("fakexapi: ready:");
	for (i = 0; i < f.nhosts; i++)
		printf(" %s=%s:%d", f.hosts[i].name, f.hosts[i].address,
		    f.hosts[i].port);
	printf("\n");
	fflush(stdout);
	sigdelset(&set, SIGPIPE);
	do {
		if (sigwait(&set, &sig) != 0)
			sig = SIGTERM;
	} while (sig != SIGTERM && sig != SIGINT);
	pthread_mutex_lock(&f.mu);
	f.stop = 1;
	pthread_cond_signal(&f.wake);
	pthread_mutex_unlock(&f.mu);
	pthread_join(tick, NULL);
	if (f.log)
		fclose(f.log);
	/* Abyss has no clean way to stop a thread mid-connection: exit. */
	_exit(0);
}
