/*
 * fakexapi POOL.json [--log CALLS.jsonl] [--listen ADDRESS]
 *
 * Serves every member of the pool described in POOL.json on its own
 * address (hosts[].address, default the --listen one) and port (XML-RPC at
 * "/", as xapi), prints "fakexapi: ready" once all listen, and runs until
 * SIGTERM or SIGINT.
 *
 * POOL.json:
 *   username, password        the only credentials (root, secret)
 *   hosts[]                   name_label, port (required), address,
 *                             master, memory_mib (65536), enabled (true),
 *                             power_on_mode ("", or wake-on-lan, IPMI
 *                             ...), power_on_fails (false)
 *   vms[]                     name_label (required), resident_on,
 *                             power_state (Running, Paused, Suspended,
 *                             Halted), memory_mib (2048), pci,
 *                             local_storage, no_pv_drivers,
 *                             hangs_on_shutdown, cd (local_iso, dvd,
 *                             shared_iso, ""), ha_restart_priority
 *                             (restart, best-effort, ""), ha_always_run
 *                             (true for a resident "restart" VM), order
 *                             (0), start_delay_ms (0: VM.start_delay,
 *                             whole seconds in its record)
 *   ha_enabled (false), ha_host_failures_to_tolerate (1),
 *   ha_allow_overcommit (false)
 * Durations in ms; the defaults of the new ones are xapi's own:
 *   per_vm_ms (20)            one VM's migration
 *   evacuate_ms (0)           before an evacuation's first migration
 *   shutdown_ms (20)          a clean shutdown
 *   boot_ms (100)             powered on until xapi runs
 *   xapi_start_ms (30000)     xapi's start-up: HOST_STILL_BOOTING
 *   dead_after_ms (600000)    a dead host still live in the DB
 *                             (xapi_globs.ml host_assumed_dead_interval)
 *   restart_after_ms (10000)  designate_new_master until every xapi
 *                             restarts (xapi_fuse.ml fuse_time)
 *   restart_ms (5000)         xapi down while it restarts (a belief)
 *   op_wait_ms (7200000)      an operation waits for another on its
 *                             object, then OTHER_OPERATION_IN_PROGRESS
 *                             (helpers.ml Policy.standard)
 *   power_on_wait_ms (300000) host.power_on's plugin waits for the host
 *                             to be live, then fails (wlan.py)
 *   start_ms (500)            VM.start until the domain runs; its task
 *                             ends the VM's start_delay_ms later
 *                             (xapi_vm.ml start)
 *   shared_sr_ready_ms (0)    a host's PBDs to the shared SRs attach this
 *                             long after its xapi has started (storage
 *                             that comes up after the hosts); until then
 *                             it cannot run VMs on them
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xmlrpc-c/server.h>
#include <xmlrpc-c/abyss.h>
#include <xmlrpc-c/server_abyss.h>

#include "fake.h"

struct server {
	struct fmember		 member;
	struct sockaddr_in	 sin;
	xmlrpc_registry		*registry;
	TChanSwitch		*chan;
	TServer			 abyss;
	pthread_t		 thread;
};

#define DATE_OPEN	"<value><string>" FAKE_DATE
#define DATE_CLOSE	"</string></value>"

/*
 * xmlrpc-c writes no date in the forms xapi prints (YYYYMMDDTHH:MM:SSZ,
 * or with the ±HH:MM offset a stored date had: date.ml), so the pool's
 * dates leave api.c as marked strings and become dateTime.iso8601 values
 * here, in the answer's text.
 */
static xmlrpc_mem_block *
dates_in(xmlrpc_env *env, xmlrpc_mem_block *mb)
{
	const char		*p = xmlrpc_mem_block_contents(mb), *end, *m;
	xmlrpc_mem_block	*out;
	size_t			 open = strlen(DATE_OPEN);

	end = p + xmlrpc_mem_block_size(mb);
	if (memmem(p, (size_t)(end - p), DATE_OPEN, open) == NULL)
		return mb;
	out = xmlrpc_mem_block_new(env, 0);
	while (!env->fault_occurred &&
	    (m = memmem(p, (size_t)(end - p), DATE_OPEN, open)) != NULL) {
		XMLRPC_MEMBLOCK_APPEND(char, env, out, p, (size_t)(m - p));
		XMLRPC_MEMBLOCK_APPEND(char, env, out, "<value><dateTime.iso8601>",
		    25);
		p = m + open;
		if ((m = memmem(p, (size_t)(end - p), DATE_CLOSE,
		    strlen(DATE_CLOSE))) == NULL)
			break;
		XMLRPC_MEMBLOCK_APPEND(char, env, out, p, (size_t)(m - p));
		XMLRPC_MEMBLOCK_APPEND(char, env, out,
		    "</dateTime.iso8601></value>", 27);
		p = m + strlen(DATE_CLOSE);
	}
	XMLRPC_MEMBLOCK_APPEND(char, env, out, p, (size_t)(end - p));
	xmlrpc_mem_block_free(mb);
	return out;
}

static void
process_call(xmlrpc_env *env, void *arg, const char *xml, size_t len,
    TSession *session, xmlrpc_mem_block **out)
{
	struct server		*s = arg;
	xmlrpc_mem_block	*mb = NULL;

	xmlrpc_registry_process_call2(env, s->registry, xml, len, session,
	    &mb);
	if (!env->fault_occurred)
		*out = dates_in(env, mb);
}

static int
server_create(struct server *s, struct fake *f, int host)
{
	xmlrpc_server_abyss_handler_parms	 hp;
	xmlrpc_env				 env;
	const char				*error = NULL;

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
	ChanSwitchUnixCreate2(AF_INET, (const struct sockaddr *)&s->sin,
	    sizeof(s->sin), &s->chan, &error);
	if (error == NULL)
		ServerCreateSwitch(&s->abyss, s->chan, &error);
	if (error != NULL) {
		xmlrpc_faultf(&env, "%s", error);
		free((void *)error);
		goto fail;
	}
	ServerSetKeepaliveTimeout(&s->abyss, 15);
	ServerSetKeepaliveMaxConn(&s->abyss, 100000);
	ServerSetTimeout(&s->abyss, 60);
	ServerSetAdvertise(&s->abyss, 0);
	ServerSetMaxConn(&s->abyss, 256);
	ServerSetMaxConnBacklog(&s->abyss, 64);
	memset(&hp, 0, sizeof(hp));
	hp.xml_processor = process_call;
	hp.xml_processor_arg = s;
	hp.xml_processor_max_stack = 1024 * 1024;
	hp.uri_path = "/";
	xmlrpc_server_abyss_set_handler3(&env, &s->abyss, &hp,
	    XMLRPC_AHPSIZE(chunk_response));
	if (env.fault_occurred)
		goto fail;
	ServerInit2(&s->abyss, &error);
	if (error != NULL) {
		xmlrpc_faultf(&env, "%s", error);
		free((void *)error);
		goto fail;
	}
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

	ServerRun(&s->abyss);
	return NULL;
}

/*
 * Tasks, boots and restarts move on even when nobody calls. The ticker
 * sleeps until the next thing due, or a call wakes it: benchmarks run
 * hundreds of fakexapi processes.
 */
static void *
ticker(void *arg)
{
	struct fake		*f = arg;
	struct timespec		 until;
	double			 wait, ns;

	pthread_mutex_lock(&f->mu);
	while (!f->stop) {
		fake_tick(f);
		wait = fake_next_event(f) - fake_now(f);
		if (wait > 1.0 || isnan(wait))
			wait = 1.0;	/* to see f->stop */
		if (wait < 0.001)
			wait = 0.001;	/* never spin */
		clock_gettime(CLOCK_REALTIME, &until);
		ns = until.tv_nsec + wait * 1e9;
		until.tv_sec += (time_t)(ns / 1e9);
		until.tv_nsec = (long)fmod(ns, 1e9);
		pthread_cond_timedwait(&f->wake, &f->mu, &until);
	}
	pthread_mutex_unlock(&f->mu);
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
