/*
 * Fuzz target: the walkers that turn xapi's records into C (xenapi/ops.c:
 * pool, hosts, host_metrics, VMs counted, current operations, tasks;
 * vm.c and ha.c behind them; the members' walk at login), on answers of
 * any shape.
 *
 * The wire is replaced: this file defines http.c's functions, so the
 * library's http.o is never linked, and every call is answered with the
 * next part of the input (parts are split by a NUL byte, which no XML
 * holds), decoded by xmlrpc-c as a real answer would be. The login is
 * answered here unless the first byte is odd, so that the parts reach
 * the walkers and not only the session's recovery.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xenapi_int.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char login_ok[] = "<?xml version='1.0'?><methodResponse>"
    "<params><param><value><struct><member><name>Status</name><value>"
    "Success</value></member><member><name>Value</name><value>"
    "OpaqueRef:fuzz-session</value></member></struct></value></param>"
    "</params></methodResponse>";

static struct {
	const uint8_t	*p;
	size_t		 n;
	int		 login_from_input;
} wire;

int
http_open(struct xenapi *x)
{
	(void)x;
	return 0;
}

void
http_close(struct xenapi *x)
{
	(void)x;
}

void
xenapi_wakeup(struct xenapi *x)
{
	(void)x;
}

static int
answer(const char *text, size_t len, char **resp, size_t *resplen)
{
	if ((*resp = malloc(len + 1)) == NULL)
		return -1;
	memcpy(*resp, text, len);
	(*resp)[len] = '\0';
	*resplen = len;
	return 0;
}

int
http_post(struct xenapi *x, const char *req, size_t len, char **resp,
    size_t *resplen, struct xenapi_error *err)
{
	const uint8_t	*end;
	size_t		 part;

	x->calls++;
	if (!wire.login_from_input &&
	    memmem(req, len, "session.login_with_password", 27) != NULL)
		return answer(login_ok, sizeof(login_ok) - 1, resp, resplen);
	if (wire.p == NULL) {
		/* Out of answers: the member stops answering. */
		xerr(err, XENAPI_ERR_TRANSPORT, "%s: no more input", x->url);
		return -1;
	}
	end = memchr(wire.p, '\0', wire.n);
	part = end ? (size_t)(end - wire.p) : wire.n;
	if (answer((const char *)wire.p, part, resp, resplen) == -1) {
		xerr(err, XENAPI_ERR_PROTOCOL, "out of memory");
		return -1;
	}
	if (end) {
		wire.n -= part + 1;
		wire.p = end + 1;
	} else
		wire.p = NULL;
	return 0;
}

/* Every string a walker fills stays within its buffer, terminated. */
static void
check_str(const char *s, size_t cap)
{
	if (memchr(s, '\0', cap) == NULL)
		__builtin_trap();
}

static void
check_error(const struct xenapi_error *err)
{
	int	 i;

	check_str(err->code, sizeof(err->code));
	check_str(err->msg, sizeof(err->msg));
	if (err->nparams < 0 || err->nparams > XENAPI_MAX_PARAMS)
		__builtin_trap();
	for (i = 0; i < err->nparams; i++)
		check_str(err->params[i], sizeof(err->params[i]));
}

static void
check_vms(struct xenapi_vm *vms, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		check_str(vms[i].ref, sizeof(vms[i].ref));
		check_str(vms[i].uuid, sizeof(vms[i].uuid));
		check_str(vms[i].name, sizeof(vms[i].name));
		check_str(vms[i].resident_on, sizeof(vms[i].resident_on));
		check_str(vms[i].reason, sizeof(vms[i].reason));
		check_str(vms[i].sr, sizeof(vms[i].sr));
	}
	free(vms);
}

static void
walk_pool(struct xenapi *x)
{
	struct xenapi_pool	 pool;
	struct xenapi_error	 err;
	size_t			 i;

	if (xenapi_pool_get(x, &pool, &err) == -1) {
		check_error(&err);
		if (pool.hosts != NULL || pool.nhosts != 0)
			__builtin_trap();	/* cleared on failure */
		return;
	}
	check_str(pool.ref, sizeof(pool.ref));
	for (i = 0; i < pool.nhosts; i++) {
		check_str(pool.hosts[i].ref, sizeof(pool.hosts[i].ref));
		check_str(pool.hosts[i].name, sizeof(pool.hosts[i].name));
		check_str(pool.hosts[i].address,
		    sizeof(pool.hosts[i].address));
		if (pool.hosts[i].nvms < 0)
			__builtin_trap();
	}
	xenapi_pool_clear(&pool);
}

/* A failure says what it is; a success leaves err alone. */
static int
after(int rc, struct xenapi_error *err)
{
	if (rc == -1)
		check_error(err);
	memset(err, 0, sizeof(*err));
	return rc;
}

static void
walk_rest(struct xenapi *x)
{
	struct xenapi_error	 err;
	struct xenapi_vm	*vms, vm;
	struct xenapi_ha	 ha;
	enum xenapi_task_status	 st;
	long long		 max;
	char			 ref[XENAPI_REF_LEN], srs[256], *val;
	size_t			 n;
	int			 ejected, rc;

	memset(&err, 0, sizeof(err));
	if (after(xenapi_host_vms(x, "OpaqueRef:host-2", &vms, &n, &err),
	    &err) == 0)
		check_vms(vms, n);
	if (after(xenapi_host_blockers(x, "OpaqueRef:host-2", &vms, &n, &err),
	    &err) == 0)
		check_vms(vms, n);
	if (after(xenapi_host_current_task(x, "OpaqueRef:host-2", "evacuate",
	    ref, &err), &err) == 0)
		check_str(ref, sizeof(ref));
	st = XENAPI_TASK_PENDING;
	rc = xenapi_task_poll(x, "OpaqueRef:t1", &st, &err);
	if (rc == 0 && st > XENAPI_TASK_VANISHED)
		__builtin_trap();
	/* A failed or cancelled task says why, as a failed call does. */
	after(rc == 0 && (st == XENAPI_TASK_FAILURE ||
	    st == XENAPI_TASK_CANCELLED) ? -1 : rc, &err);
	if (after(xenapi_host_find(x, "xenserver-2", ref, &err), &err) == 0)
		check_str(ref, sizeof(ref));
	if (after(xenapi_vm_get(x, "OpaqueRef:vm-1", &vm, &err), &err) == 0)
		check_str(vm.name, sizeof(vm.name));
	if (after(xenapi_host_get_other_config(x, "OpaqueRef:host-2",
	    "MAINTENANCE_MODE", &val, &err), &err) == 0)
		free(val);
	after(xenapi_vm_eject_cds(x, "OpaqueRef:vm-1", "OpaqueRef:sr",
	    &ejected, &err), &err);
	if (after(xenapi_pool_ha(x, &ha, &err), &err) == 0)
		check_str(ha.pool, sizeof(ha.pool));
	after(xenapi_pool_ha_max(x, &max, &err), &err);
	if (after(xenapi_pool_ha_srs(x, srs, sizeof(srs), &err), &err) == 0)
		check_str(srs, sizeof(srs));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static int		 once;
	struct xenapi_config	 cfg;
	struct xenapi		*x;

	if (!once) {
		xenapi_global_init();
		once = 1;
	}
	if (len == 0)
		return 0;
	wire.login_from_input = data[0] & 1;
	wire.p = data + 1;
	wire.n = len - 1;
	memset(&cfg, 0, sizeof(cfg));
	cfg.url = "http://127.0.0.1:8080";
	cfg.username = "root";
	cfg.password = "fuzz";
	if ((x = xenapi_new(&cfg, NULL, NULL)) == NULL)
		__builtin_trap();
	walk_pool(x);
	walk_rest(x);
	xenapi_free(x);
	return 0;
}
