/*
 * Policy loading and validation. The JSON is walked once, in a fixed order
 * (state_dir, ups, pools, traps) so that cross-references resolve; every
 * problem is reported with its JSON path and the walk goes on, so that the
 * operator sees all errors in one run, as with `nginx -t`.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "policy.h"

struct ctx {
	struct report	*rep;
	struct policy	*p;
	char		 path[1024];
	size_t		 plen;
	char		*basedir;
	json_t		*ups_by_name;	/* name -> index */
	json_t		*ups_by_addr;	/* canonical address -> ups name */
	json_t		*pool_of_host;	/* host name -> pool name */
};

static const char *const ups_keys[] = { "address", "warning_period",
    "low_battery_runtime", "community", "v3_user", "v3_level", "snmp",
    "confirm",
    NULL };
static const char *const snmp_keys[] = { "version", "community", "user",
    "auth_protocol", "auth_password_file", "priv_protocol",
    "priv_password_file", "port", "poll_interval", NULL };
static const char *const pool_keys[] = { "url", "username", "password_file",
    "tls", "on_restore", "vm_shutdown_timeout", "call_timeout",
    "task_timeout", "stop_budget", "halt_time", "power_on_after",
    "boot_timeout", "allow_plaintext", "hosts", NULL };
static const char *const tls_keys[] = { "verify", "verify_name",
    "ca_file", "pin_sha256", NULL };
static const char *const host_keys[] = { "powered_by", "maintenance_after",
    "shutdown_after", NULL };
static const char *const top_keys[] = { "state_dir", "ups", "pools",
    "traps", NULL };
static const char *const trap_keys[] = { "oid", "event", NULL };
static const char *const auth_protocols[] = { "MD5", "SHA", "SHA-224",
    "SHA-256", "SHA-384", "SHA-512", NULL };
static const char *const priv_protocols[] = { "DES", "AES", "AES-192",
    "AES-256", NULL };

/* Path handling: enter a key, report, leave. */

static size_t
path_enter(struct ctx *c, const char *key)
{
	size_t	 old = c->plen;
	int	 n;

	n = snprintf(c->path + c->plen, sizeof(c->path) - c->plen, "%s%s",
	    c->plen ? "." : "", key);
	if (n > 0)
		c->plen += (size_t)n;
	if (c->plen >= sizeof(c->path))
		c->plen = sizeof(c->path) - 1;
	return old;
}

static size_t
path_enter_index(struct ctx *c, size_t i)
{
	size_t	 old = c->plen;
	int	 n;

	n = snprintf(c->path + c->plen, sizeof(c->path) - c->plen, "[%zu]",
	    i);
	if (n > 0)
		c->plen += (size_t)n;
	if (c->plen >= sizeof(c->path))
		c->plen = sizeof(c->path) - 1;
	return old;
}

static void
path_leave(struct ctx *c, size_t old)
{
	c->plen = old;
	c->path[old] = '\0';
}

static void __attribute__((format(printf, 3, 4)))
diag(struct ctx *c, enum report_severity sev, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	report_add(c->rep, sev, "%s: %s", c->plen ? c->path : "(top level)",
	    msg);
}

#define perr(c, ...)	diag((c), REPORT_ERROR, __VA_ARGS__)
#define pwarn(c, ...)	diag((c), REPORT_WARNING, __VA_ARGS__)

static const char *
json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "unknown";
}

static char *
fmt_num(double v, char *buf, size_t len)
{
	snprintf(buf, len, "%g", v);
	return buf;
}

static char *
xstrdup(struct ctx *c, const char *s)
{
	char	*d;

	if ((d = strdup(s)) == NULL)
		c->rep->nomem = 1;
	return d;
}

static int
in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

static void
check_keys(struct ctx *c, json_t *obj, const char *const *allowed)
{
	const char		*key;
	json_t			*val;
	char			 expect[256];
	const char *const	*k;
	size_t			 old, off = 0;

	expect[0] = '\0';
	for (k = allowed; *k; k++)
		off += (size_t)snprintf(expect + off,
		    off < sizeof(expect) ? sizeof(expect) - off : 0, "%s%s",
		    k == allowed ? "" : ", ", *k);
	json_object_foreach(obj, key, val) {
		if (in_list(key, allowed))
			continue;
		old = path_enter(c, key);
		perr(c, "unknown key (expected one of: %s)", expect);
		path_leave(c, old);
	}
}

/*
 * Typed getters. Each reports at the key's path and returns -1 on a
 * present but invalid value, 0 otherwise; *has says whether it was there.
 */

static json_t *
get_member(struct ctx *c, json_t *obj, const char *key, int required)
{
	json_t	*v;

	v = json_object_get(obj, key);
	if (v == NULL && required) {
		size_t old = path_enter(c, key);
		perr(c, "is required");
		path_leave(c, old);
	}
	return v;
}

static int
get_string(struct ctx *c, json_t *obj, const char *key, int required,
    char **out)
{
	json_t	*v;
	size_t	 old;
	int	 rc = 0;

	*out = NULL;
	if ((v = get_member(c, obj, key, required)) == NULL)
		return required ? -1 : 0;
	old = path_enter(c, key);
	if (!json_is_string(v)) {
		perr(c, "must be a string, not %s", json_type_name(v));
		rc = -1;
	} else if (json_string_length(v) == 0) {
		perr(c, "must not be empty");
		rc = -1;
	} else if (strlen(json_string_value(v)) != json_string_length(v)) {
		perr(c, "must not contain a NUL character");
		rc = -1;
	} else
		*out = xstrdup(c, json_string_value(v));
	path_leave(c, old);
	return rc;
}

static int
get_bool(struct ctx *c, json_t *obj, const char *key, int *has, int *out)
{
	json_t	*v;
	size_t	 old;

	*has = 0;
	if ((v = json_object_get(obj, key)) == NULL)
		return 0;
	if (!json_is_boolean(v)) {
		old = path_enter(c, key);
		perr(c, "must be true or false, not %s", json_type_name(v));
		path_leave(c, old);
		return -1;
	}
	*has = 1;
	*out = json_is_true(v);
	return 0;
}

/* A duration in seconds: finite, within [lo, hi], above lo if strict. */
static int
get_duration(struct ctx *c, json_t *obj, const char *key, double lo,
    int strict, double hi, int *has, double *out)
{
	json_t	*v;
	double	 d;
	size_t	 old;
	char	 a[32], b[32];
	int	 rc = -1;

	*has = 0;
	if ((v = json_object_get(obj, key)) == NULL)
		return 0;
	old = path_enter(c, key);
	if (!json_is_number(v)) {
		perr(c, "must be a number of seconds, not %s",
		    json_type_name(v));
		goto done;
	}
	d = json_number_value(v);
	if (!isfinite(d))
		perr(c, "is not a finite number");
	else if (d < 0)
		perr(c, "%s is negative", fmt_num(d, a, sizeof(a)));
	else if (d < lo || (strict && d == lo))
		perr(c, "%s must be %s %s s", fmt_num(d, a, sizeof(a)),
		    strict ? "more than" : "at least", fmt_num(lo, b, sizeof(b)));
	else if (d > hi)
		perr(c, "%s is absurd (more than %s s)",
		    fmt_num(d, a, sizeof(a)), fmt_num(hi, b, sizeof(b)));
	else {
		*has = 1;
		*out = d;
		rc = 0;
	}
done:
	path_leave(c, old);
	return rc;
}

/* An optional duration with its default: above 0 if positive, up to hi. */
static void
get_setting(struct ctx *c, json_t *obj, const char *key, double dflt,
    int positive, double hi, double *out)
{
	int	 has;

	*out = dflt;
	get_duration(c, obj, key, 0, positive, hi, &has, out);
}

static char *
resolve_path(struct ctx *c, char *p)
{
	char	*full;

	if (p == NULL || p[0] == '/' || c->basedir == NULL)
		return p;
	if (asprintf(&full, "%s/%s", c->basedir, p) == -1) {
		c->rep->nomem = 1;
		return p;
	}
	free(p);
	return full;
}

static int
get_path(struct ctx *c, json_t *obj, const char *key, int required,
    char **out)
{
	int	 rc;

	rc = get_string(c, obj, key, required, out);
	*out = resolve_path(c, *out);
	return rc;
}

static int
policy_addr_parse(const char *s, struct policy_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->bytes) == 1)
		a->family = AF_INET;
	else if (inet_pton(AF_INET6, s, a->bytes) == 1)
		a->family = AF_INET6;
	else
		return -1;
	if (inet_ntop(a->family, a->bytes, a->text, sizeof(a->text)) == NULL)
		return -1;
	return 0;
}

int
policy_oid_parse(const char *s, unsigned long **out, size_t *outlen)
{
	unsigned long	 sub[POLICY_MAX_OID_LEN];
	unsigned long	 v;
	size_t		 n = 0;
	const char	*p = s;

	if (*p == '.')
		p++;
	for (;;) {
		if (*p < '0' || *p > '9' || n == POLICY_MAX_OID_LEN)
			return -1;
		/* No leading zeros: "01" is a typo, not an OID. */
		if (p[0] == '0' && p[1] >= '0' && p[1] <= '9')
			return -1;
		v = 0;
		while (*p >= '0' && *p <= '9') {
			v = v * 10 + (unsigned long)(*p - '0');
			if (v > 0xffffffffUL)
				return -1;
			p++;
		}
		sub[n++] = v;
		if (*p == '\0')
			break;
		if (*p != '.')
			return -1;
		p++;
	}
	if (n < 2 || sub[0] > 2 || (sub[0] < 2 && sub[1] > 39))
		return -1;
	if ((*out = calloc(n, sizeof(**out))) == NULL)
		return -1;
	memcpy(*out, sub, n * sizeof(**out));
	*outlen = n;
	return 0;
}

static void
parse_one_address(struct ctx *c, struct policy_ups *u, json_t *v)
{
	struct policy_addr	*a = &u->addrs[u->naddrs];
	json_t			*owner;

	if (!json_is_string(v)) {
		perr(c, "must be an IP address string, not %s",
		    json_type_name(v));
		return;
	}
	if (policy_addr_parse(json_string_value(v), a) == -1) {
		perr(c, "\"%s\" is not an IPv4 or IPv6 address (traps are "
		    "matched by their UDP source address)",
		    json_string_value(v));
		return;
	}
	owner = json_object_get(c->ups_by_addr, a->text);
	if (owner != NULL) {
		perr(c, "%s is already the address of ups.%s", a->text,
		    json_string_value(owner));
		return;
	}
	json_object_set_new(c->ups_by_addr, a->text, json_string(u->name));
	u->naddrs++;
}

static void
parse_addresses(struct ctx *c, struct policy_ups *u, json_t *obj)
{
	json_t	*v, *e;
	size_t	 old, old2, i, n;

	if ((v = get_member(c, obj, "address", 1)) == NULL)
		return;
	old = path_enter(c, "address");
	n = json_is_array(v) ? json_array_size(v) : 1;
	if (json_is_array(v) && n == 0) {
		perr(c, "must list at least one address");
		goto done;
	}
	if ((u->addrs = calloc(n, sizeof(*u->addrs))) == NULL) {
		c->rep->nomem = 1;
		goto done;
	}
	if (!json_is_array(v)) {
		parse_one_address(c, u, v);
		goto done;
	}
	json_array_foreach(v, i, e) {
		old2 = path_enter_index(c, i);
		parse_one_address(c, u, e);
		path_leave(c, old2);
	}
done:
	path_leave(c, old);
}

static void
check_password_file(struct ctx *c, const char *key, const char *file)
{
	struct stat	 st;
	size_t		 old;

	if (file == NULL)
		return;
	old = path_enter(c, key);
	if (stat(file, &st) == -1)
		pwarn(c, "%s: %s (the plugin cannot authenticate without it)",
		    file, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		pwarn(c, "%s is not a regular file (the plugin refuses it)",
		    file);
	else if (st.st_mode & S_IROTH)
		perr(c, "%s is world-readable (the plugin refuses it: "
		    "chmod 600)", file);
	else if (st.st_mode & S_IRGRP)
		pwarn(c, "%s is group-readable (chmod 600 unless the group "
		    "is the one snmptrapd runs as)", file);
	path_leave(c, old);
}

static void
parse_snmp_version(struct ctx *c, struct policy_snmp *s, json_t *obj)
{
	json_t		*v;
	const char	*ver;
	size_t		 old;

	if ((v = get_member(c, obj, "version", 1)) == NULL)
		return;
	old = path_enter(c, "version");
	ver = json_is_string(v) ? json_string_value(v) : "";
	if (strcmp(ver, "1") == 0)
		s->version = POLICY_SNMP_V1;
	else if (strcmp(ver, "2c") == 0)
		s->version = POLICY_SNMP_V2C;
	else if (strcmp(ver, "3") == 0)
		s->version = POLICY_SNMP_V3;
	else
		perr(c, "must be \"1\", \"2c\" or \"3\"");
	path_leave(c, old);
}

static void
check_protocol(struct ctx *c, const char *key, const char *val,
    const char *const *list, const char *expect)
{
	size_t	 old;

	if (val == NULL || in_list(val, list))
		return;
	old = path_enter(c, key);
	perr(c, "\"%s\" is not one of %s", val, expect);
	path_leave(c, old);
}

static void
check_snmp_v3(struct ctx *c, struct policy_snmp *s)
{
	if (s->community) {
		size_t old = path_enter(c, "community");
		perr(c, "is not used with version 3 (use user and protocols)");
		path_leave(c, old);
	}
	if (s->user == NULL)
		perr(c, "version 3 needs a user");
	if (s->auth_protocol == NULL || s->auth_password_file == NULL)
		perr(c, "version 3 needs auth_protocol and "
		    "auth_password_file");
	if ((s->priv_protocol == NULL) != (s->priv_password_file == NULL))
		perr(c, "priv_protocol and priv_password_file go together");
	check_protocol(c, "auth_protocol", s->auth_protocol, auth_protocols,
	    "MD5, SHA, SHA-224, SHA-256, SHA-384, SHA-512");
	check_protocol(c, "priv_protocol", s->priv_protocol, priv_protocols,
	    "DES, AES, AES-192, AES-256");
	check_password_file(c, "auth_password_file", s->auth_password_file);
	check_password_file(c, "priv_password_file", s->priv_password_file);
}

static void
check_snmp_community(struct ctx *c, struct policy_snmp *s)
{
	if (s->community == NULL)
		perr(c, "version %s needs a community",
		    s->version == POLICY_SNMP_V1 ? "1" : "2c");
	if (s->user || s->auth_protocol || s->priv_protocol ||
	    s->auth_password_file || s->priv_password_file)
		perr(c, "user and protocols are only used with version 3");
}

static void
parse_snmp(struct ctx *c, struct policy_snmp *s, json_t *obj)
{
	json_t	*v;
	double	 port;
	int	 has;
	size_t	 old;

	if (!json_is_object(obj)) {
		perr(c, "must be an object, not %s", json_type_name(obj));
		return;
	}
	check_keys(c, obj, snmp_keys);
	parse_snmp_version(c, s, obj);
	get_string(c, obj, "community", 0, &s->community);
	get_string(c, obj, "user", 0, &s->user);
	get_string(c, obj, "auth_protocol", 0, &s->auth_protocol);
	get_path(c, obj, "auth_password_file", 0, &s->auth_password_file);
	get_string(c, obj, "priv_protocol", 0, &s->priv_protocol);
	get_path(c, obj, "priv_password_file", 0, &s->priv_password_file);
	s->port = 161;
	if ((v = json_object_get(obj, "port")) != NULL) {
		old = path_enter(c, "port");
		port = json_is_integer(v) ? (double)json_integer_value(v) : -1;
		if (port < 1 || port > 65535)
			perr(c, "must be a port number from 1 to 65535");
		else
			s->port = (int)port;
		path_leave(c, old);
	}
	s->poll_interval = POLICY_DEFAULT_POLL;
	get_duration(c, obj, "poll_interval", 0, 1, 3600, &has,
	    &s->poll_interval);
	if (s->version == POLICY_SNMP_V3)
		check_snmp_v3(c, s);
	else if (s->version != POLICY_SNMP_NONE)
		check_snmp_community(c, s);
}

/*
 * How well a v3 trap must be protected: signed (authNoPriv, the least a
 * user name is worth anything with), or signed and encrypted.
 */
static void
parse_v3_level(struct ctx *c, struct policy_ups *u, json_t *obj)
{
	char	*level = NULL;
	size_t	 old;

	if (get_string(c, obj, "v3_level", 0, &level) == -1 || level == NULL)
		return;
	old = path_enter(c, "v3_level");
	if (u->v3_user == NULL)
		perr(c, "needs v3_user");
	else if (strcmp(level, "authPriv") == 0)
		u->v3_priv = 1;
	else if (strcmp(level, "authNoPriv") != 0)
		perr(c, "\"%s\" is not authNoPriv or authPriv", level);
	path_leave(c, old);
	free(level);
}

static void
parse_ups(struct ctx *c, struct policy_ups *u, json_t *obj)
{
	json_t	*v;
	int	 has;
	size_t	 old;

	if (!json_is_object(obj)) {
		perr(c, "must be an object, not %s", json_type_name(obj));
		return;
	}
	check_keys(c, obj, ups_keys);
	parse_addresses(c, u, obj);
	get_duration(c, obj, "warning_period", 0, 1, POLICY_MAX_TIMER,
	    &u->has_warning_period, &u->warning_period);
	if (json_object_get(obj, "warning_period") == NULL)
		pwarn(c, "no warning_period: the timers of its hosts cannot "
		    "be checked against the card's AC-failed warning period");
	get_setting(c, obj, "low_battery_runtime",
	    POLICY_DEFAULT_LOW_BATTERY_RUNTIME, 0, POLICY_MAX_TIMER,
	    &u->low_battery_runtime);
	get_string(c, obj, "community", 0, &u->community);
	get_string(c, obj, "v3_user", 0, &u->v3_user);
	parse_v3_level(c, u, obj);
	if ((v = json_object_get(obj, "snmp")) != NULL) {
		old = path_enter(c, "snmp");
		parse_snmp(c, &u->snmp, v);
		path_leave(c, old);
	}
	u->confirm = u->snmp.version != POLICY_SNMP_NONE;
	get_bool(c, obj, "confirm", &has, &u->confirm);
	if (has && u->confirm && v == NULL) {
		old = path_enter(c, "confirm");
		perr(c, "needs ups.%s.snmp to poll the card", u->name);
		path_leave(c, old);
	}
}

static void
parse_ups_all(struct ctx *c, json_t *root)
{
	json_t		*obj, *v;
	const char	*name;
	size_t		 old, old2, i = 0;

	if ((obj = get_member(c, root, "ups", 1)) == NULL)
		return;
	old = path_enter(c, "ups");
	if (!json_is_object(obj) || json_object_size(obj) == 0) {
		perr(c, "must be an object with at least one UPS");
		goto done;
	}
	c->p->ups = calloc(json_object_size(obj), sizeof(*c->p->ups));
	if (c->p->ups == NULL) {
		c->rep->nomem = 1;
		goto done;
	}
	json_object_foreach(obj, name, v) {
		struct policy_ups *u = &c->p->ups[i];

		u->name = xstrdup(c, name);
		json_object_set_new(c->ups_by_name, name, json_integer(i));
		c->p->nups = ++i;
		old2 = path_enter(c, name);
		parse_ups(c, u, v);
		path_leave(c, old2);
	}
done:
	path_leave(c, old);
}

/*
 * "https://host[:port][/]". No path: XenAPI answers at "/". No user
 * info: credentials belong in username and password_file.
 */
static void
parse_url(struct ctx *c, struct policy_pool *pl)
{
	const char	*s = pl->url, *host, *end, *colon;
	size_t		 old, hlen;
	long		 port;
	char		*ep;

	old = path_enter(c, "url");
	if (strncmp(s, "https://", 8) == 0) {
		pl->https = 1;
		host = s + 8;
	} else if (strncmp(s, "http://", 7) == 0) {
		host = s + 7;
	} else {
		perr(c, "\"%s\" must start with https:// (or http:// with "
		    "allow_plaintext)", s);
		goto done;
	}
	end = host + strcspn(host, "/?#");
	if (*end != '\0' && strcmp(end, "/") != 0) {
		perr(c, "\"%s\" must not have a path (XenAPI is served at /)",
		    s);
		goto done;
	}
	if (memchr(host, '@', (size_t)(end - host)) != NULL) {
		perr(c, "\"%s\" must not carry credentials (use username and "
		    "password_file)", s);
		goto done;
	}
	if (*host == '[') {
		colon = memchr(host, ']', (size_t)(end - host));
		if (colon == NULL) {
			perr(c, "\"%s\": unterminated IPv6 address", s);
			goto done;
		}
		colon++;
	} else
		colon = host + strcspn(host, ":/");
	if (colon > end)
		colon = end;
	hlen = (size_t)(colon - host);
	if (hlen == 0 || (*host == '[' && hlen <= 2)) {
		perr(c, "\"%s\" has no host", s);
		goto done;
	}
	pl->url_port = pl->https ? 443 : 80;
	if (*colon == ':') {
		port = strtol(colon + 1, &ep, 10);
		if (ep == colon + 1 || ep != end || port < 1 || port > 65535) {
			perr(c, "\"%s\" has a bad port", s);
			goto done;
		}
		pl->url_port = (int)port;
	}
	if ((pl->url_host = strndup(host, hlen)) == NULL)
		c->rep->nomem = 1;
done:
	path_leave(c, old);
}

/* A base64 SHA-256 digest: 43 significant characters, then '='. */
static int
pin_valid(const char *b64)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char	*last;
	size_t		 i;

	if (strlen(b64) != 44 || b64[43] != '=')
		return 0;
	for (i = 0; i < 43; i++)
		if (b64[i] == '\0' || strchr(alphabet, b64[i]) == NULL)
			return 0;
	/* 43 * 6 = 258 bits: the 2 bits past the 256th must be zero. */
	last = strchr(alphabet, b64[42]);
	return ((last - alphabet) & 3) == 0;
}

static void
parse_one_pin(struct ctx *c, struct policy_tls *t, json_t *v)
{
	const char	*s;

	if (!json_is_string(v)) {
		perr(c, "must be a string, not %s", json_type_name(v));
		return;
	}
	s = json_string_value(v);
	if (strncmp(s, "sha256//", 8) == 0)
		s += 8;
	if (!pin_valid(s)) {
		perr(c, "\"%s\" is not a base64 SHA-256 public-key pin (44 "
		    "characters ending in '=', as `openssl pkey -pubin "
		    "-outform der | openssl dgst -sha256 -binary | base64` "
		    "prints)", json_string_value(v));
		return;
	}
	if (asprintf(&t->pins[t->npins], "sha256//%s", s) == -1) {
		c->rep->nomem = 1;
		return;
	}
	t->npins++;
}

static void
parse_pins(struct ctx *c, struct policy_tls *t, json_t *v)
{
	json_t	*e;
	size_t	 i, n, old;

	n = json_is_array(v) ? json_array_size(v) : 1;
	if ((t->pins = calloc(n ? n : 1, sizeof(*t->pins))) == NULL) {
		c->rep->nomem = 1;
		return;
	}
	if (!json_is_array(v)) {
		parse_one_pin(c, t, v);
		return;
	}
	if (n == 0)
		perr(c, "must list at least one pin");
	json_array_foreach(v, i, e) {
		old = path_enter_index(c, i);
		parse_one_pin(c, t, e);
		path_leave(c, old);
	}
}

static void
parse_tls(struct ctx *c, struct policy_tls *t, json_t *obj)
{
	json_t	*v;
	int	 has;
	size_t	 old;

	t->verify = 1;
	t->verify_name = 1;
	if (obj == NULL)
		return;
	old = path_enter(c, "tls");
	if (!json_is_object(obj)) {
		perr(c, "must be an object, not %s", json_type_name(obj));
		goto done;
	}
	check_keys(c, obj, tls_keys);
	get_bool(c, obj, "verify", &has, &t->verify);
	get_bool(c, obj, "verify_name", &has, &t->verify_name);
	get_path(c, obj, "ca_file", 0, &t->ca_file);
	if ((v = json_object_get(obj, "pin_sha256")) != NULL) {
		size_t old2 = path_enter(c, "pin_sha256");
		parse_pins(c, t, v);
		path_leave(c, old2);
	}
	if (!t->verify && (t->ca_file || v))
		perr(c, "verify is false: ca_file and pin_sha256 would be "
		    "ignored");
	else if (!t->verify)
		pwarn(c, "verify is false: anyone on the path to the pool can "
		    "impersonate it");
	/*
	 * Without the name check, any certificate a public CA signed for
	 * any name would pass: only a private CA or a pin says whose it is.
	 */
	if (t->verify && !t->verify_name && t->ca_file == NULL &&
	    t->npins == 0)
		perr(c, "verify_name is false without ca_file or pin_sha256: "
		    "any certificate from a public CA would be trusted");
done:
	path_leave(c, old);
}

/*
 * power_on_after: a number of seconds, or false for hosts that must be
 * powered on by hand (or by their BIOS when AC comes back).
 */
static void
parse_power_on(struct ctx *c, struct policy_pool *pl, json_t *obj)
{
	json_t	*v = json_object_get(obj, "power_on_after");
	size_t	 old;

	pl->power_on = !json_is_false(v);
	pl->power_on_after = POLICY_DEFAULT_POWER_ON_AFTER;
	if (json_is_true(v)) {
		old = path_enter(c, "power_on_after");
		perr(c, "must be a number of seconds, or false for hosts that "
		    "are powered on by hand");
		path_leave(c, old);
	} else if (pl->power_on)
		get_setting(c, obj, "power_on_after",
		    POLICY_DEFAULT_POWER_ON_AFTER, 0, POLICY_MAX_TIMER,
		    &pl->power_on_after);
	get_setting(c, obj, "boot_timeout", POLICY_DEFAULT_BOOT_TIMEOUT, 1,
	    POLICY_MAX_TIMER, &pl->boot_timeout);
}

static void
parse_on_restore(struct ctx *c, struct policy_pool *pl, json_t *obj)
{
	json_t		*v;
	const char	*s;
	size_t		 old;

	pl->on_restore = POLICY_RESTORE_SKIP;
	if ((v = json_object_get(obj, "on_restore")) == NULL)
		return;
	old = path_enter(c, "on_restore");
	s = json_is_string(v) ? json_string_value(v) : "";
	if (strcmp(s, "skip") == 0)
		pl->on_restore = POLICY_RESTORE_SKIP;
	else if (strcmp(s, "restore_vms") == 0)
		pl->on_restore = POLICY_RESTORE_VMS;
	else
		perr(c, "must be \"skip\" or \"restore_vms\"");
	path_leave(c, old);
}

static void
parse_powered_by(struct ctx *c, struct policy_host *h, json_t *obj)
{
	json_t		*v, *e, *idx;
	size_t		 i, j, old, old2;
	const char	*name;

	if ((v = get_member(c, obj, "powered_by", 1)) == NULL)
		return;
	old = path_enter(c, "powered_by");
	if (!json_is_array(v) || json_array_size(v) == 0) {
		perr(c, "must be a non-empty array of UPS names");
		goto done;
	}
	h->powered_by = calloc(json_array_size(v), sizeof(*h->powered_by));
	if (h->powered_by == NULL) {
		c->rep->nomem = 1;
		goto done;
	}
	json_array_foreach(v, i, e) {
		old2 = path_enter_index(c, i);
		name = json_string_value(e);
		idx = name ? json_object_get(c->ups_by_name, name) : NULL;
		if (name == NULL)
			perr(c, "must be a UPS name, not %s", json_type_name(e));
		else if (idx == NULL)
			perr(c, "\"%s\" is not a UPS of this policy", name);
		else {
			for (j = 0; j < h->npowered_by; j++)
				if (h->powered_by[j] ==
				    (size_t)json_integer_value(idx))
					break;
			if (j < h->npowered_by)
				perr(c, "\"%s\" is listed twice", name);
			else
				h->powered_by[h->npowered_by++] =
				    (size_t)json_integer_value(idx);
		}
		path_leave(c, old2);
	}
done:
	path_leave(c, old);
}

static void
check_timer_vs_warning(struct ctx *c, struct policy_host *h,
    const char *key, double t)
{
	struct policy_ups	*u;
	size_t			 i, old;
	char			 a[32], b[32];

	for (i = 0; i < h->npowered_by; i++) {
		u = &c->p->ups[h->powered_by[i]];
		if (!u->has_warning_period || t < u->warning_period)
			continue;
		old = path_enter(c, key);
		perr(c, "%s is not shorter than ups.%s.warning_period (%s)",
		    fmt_num(t, a, sizeof(a)), u->name,
		    fmt_num(u->warning_period, b, sizeof(b)));
		path_leave(c, old);
	}
}

/*
 * The deadline budget (DESIGN.md "Engine rules"): a host must be off,
 * halt_time after its power-off, before any card of it cuts the power.
 */
static void
check_host_budget(struct ctx *c, const struct policy_host *h,
    const struct policy_pool *pl)
{
	const struct policy_ups	*u;
	char			 a[32], b[32], d[32], w[32];
	size_t			 i, old;
	double			 off = h->shutdown_after + pl->halt_time;

	for (i = 0; i < h->npowered_by; i++) {
		u = &c->p->ups[h->powered_by[i]];
		if (!u->has_warning_period)
			continue;
		fmt_num(h->shutdown_after, a, sizeof(a));
		fmt_num(pl->halt_time, b, sizeof(b));
		fmt_num(u->warning_period, w, sizeof(w));
		old = path_enter(c, "shutdown_after");
		if (off > u->warning_period)
			perr(c, "%s + halt_time %s = %s s: the host would not be "
			    "off before ups.%s.warning_period (%s) ends", a, b,
			    fmt_num(off, d, sizeof(d)), u->name, w);
		else if (!h->has_maintenance &&
		    off + pl->stop_budget > u->warning_period)
			pwarn(c, "%s + stop_budget %s + halt_time %s is more "
			    "than ups.%s.warning_period (%s): VMs left when it "
			    "starts to leave are stopped at once, hard if need "
			    "be", a, fmt_num(pl->stop_budget, d, sizeof(d)), b,
			    u->name, w);
		path_leave(c, old);
	}
	if (h->has_maintenance &&
	    h->shutdown_after - h->maintenance_after < pl->stop_budget) {
		old = path_enter(c, "maintenance_after");
		pwarn(c, "%s leaves %s s before shutdown_after, less than "
		    "stop_budget (%s): no time to evacuate, VMs are stopped",
		    fmt_num(h->maintenance_after, a, sizeof(a)),
		    fmt_num(h->shutdown_after - h->maintenance_after, b,
		    sizeof(b)), fmt_num(pl->stop_budget, d, sizeof(d)));
		path_leave(c, old);
	}
}

static void
check_host_timers(struct ctx *c, struct policy_host *h,
    const struct policy_pool *pl, int bad)
{
	char	 a[32], b[32];
	size_t	 old;

	if (!h->has_maintenance && !h->has_shutdown) {
		if (!bad)
			perr(c, "neither maintenance_after nor shutdown_after "
			    "is set");
		return;
	}
	if (h->has_maintenance && h->has_shutdown &&
	    h->maintenance_after > h->shutdown_after) {
		old = path_enter(c, "maintenance_after");
		perr(c, "%s is later than shutdown_after (%s)",
		    fmt_num(h->maintenance_after, a, sizeof(a)),
		    fmt_num(h->shutdown_after, b, sizeof(b)));
		path_leave(c, old);
	}
	if (h->has_maintenance && !h->has_shutdown)
		pwarn(c, "only maintenance_after is set: the host stays on "
		    "and goes down with its UPS");
	if (h->has_maintenance)
		check_timer_vs_warning(c, h, "maintenance_after",
		    h->maintenance_after);
	if (h->has_shutdown)
		check_timer_vs_warning(c, h, "shutdown_after",
		    h->shutdown_after);
	if (h->has_shutdown)
		check_host_budget(c, h, pl);
}

static void
parse_host(struct ctx *c, struct policy_host *h, json_t *obj,
    const struct policy_pool *pl)
{
	const char	*poolname = pl->name;
	json_t	*other;
	size_t	 i;
	int	 bad = 0;

	other = json_object_get(c->pool_of_host, h->name);
	if (other != NULL)
		perr(c, "host is already in pools.%s (a host belongs to one "
		    "pool)", json_string_value(other));
	else
		json_object_set_new(c->pool_of_host, h->name,
		    json_string(poolname));
	if (!json_is_object(obj)) {
		perr(c, "must be an object, not %s", json_type_name(obj));
		return;
	}
	check_keys(c, obj, host_keys);
	parse_powered_by(c, h, obj);
	bad |= get_duration(c, obj, "maintenance_after", 0, 0,
	    POLICY_MAX_TIMER, &h->has_maintenance, &h->maintenance_after);
	bad |= get_duration(c, obj, "shutdown_after", 0, 0, POLICY_MAX_TIMER,
	    &h->has_shutdown, &h->shutdown_after);
	check_host_timers(c, h, pl, bad);
	for (i = 0; i < h->npowered_by; i++)
		c->p->ups[h->powered_by[i]].nhosts++;
}

static void
parse_hosts(struct ctx *c, struct policy_pool *pl, size_t poolidx,
    json_t *obj)
{
	json_t		*v;
	const char	*name;
	size_t		 old, old2;

	if ((obj = get_member(c, obj, "hosts", 1)) == NULL)
		return;
	old = path_enter(c, "hosts");
	if (!json_is_object(obj) || json_object_size(obj) == 0) {
		perr(c, "must be an object with at least one host");
		goto done;
	}
	pl->first_host = c->p->nhosts;
	json_object_foreach(obj, name, v) {
		struct policy_host *h = &c->p->hosts[c->p->nhosts++];

		h->name = xstrdup(c, name);
		h->pool = poolidx;
		pl->nhosts++;
		old2 = path_enter(c, name);
		parse_host(c, h, v, pl);
		path_leave(c, old2);
	}
done:
	path_leave(c, old);
}

static void
parse_pool(struct ctx *c, struct policy_pool *pl, size_t idx, json_t *obj)
{
	int	 has;
	size_t	 old;

	if (!json_is_object(obj)) {
		perr(c, "must be an object, not %s", json_type_name(obj));
		return;
	}
	check_keys(c, obj, pool_keys);
	get_bool(c, obj, "allow_plaintext", &has, &pl->allow_plaintext);
	if (get_string(c, obj, "url", 1, &pl->url) == 0 && pl->url) {
		parse_url(c, pl);
		if (pl->url_host && !pl->https && !pl->allow_plaintext) {
			old = path_enter(c, "url");
			perr(c, "\"%s\" is plain http: the password would cross "
			    "the network in clear (use https://, or set "
			    "allow_plaintext)", pl->url);
			path_leave(c, old);
		}
	}
	get_string(c, obj, "username", 1, &pl->username);
	get_path(c, obj, "password_file", 1, &pl->password_file);
	check_password_file(c, "password_file", pl->password_file);
	parse_tls(c, &pl->tls, json_object_get(obj, "tls"));
	parse_on_restore(c, pl, obj);
	get_setting(c, obj, "vm_shutdown_timeout", POLICY_DEFAULT_VM_SHUTDOWN,
	    1, 3600, &pl->vm_shutdown_timeout);
	get_setting(c, obj, "call_timeout", POLICY_DEFAULT_CALL_TIMEOUT, 1,
	    300, &pl->call_timeout);
	get_setting(c, obj, "task_timeout", POLICY_DEFAULT_TASK_TIMEOUT, 1,
	    86400, &pl->task_timeout);
	get_setting(c, obj, "stop_budget", POLICY_DEFAULT_STOP_BUDGET, 0,
	    3600, &pl->stop_budget);
	get_setting(c, obj, "halt_time", POLICY_DEFAULT_HALT_TIME, 0, 3600,
	    &pl->halt_time);
	parse_power_on(c, pl, obj);
	parse_hosts(c, pl, idx, obj);
}

static size_t
count_hosts(json_t *pools)
{
	json_t		*v, *hosts;
	const char	*name;
	size_t		 n = 0;

	json_object_foreach(pools, name, v) {
		hosts = json_object_get(v, "hosts");
		if (json_is_object(hosts))
			n += json_object_size(hosts);
	}
	return n;
}

static void
parse_pools(struct ctx *c, json_t *root)
{
	json_t		*obj, *v;
	const char	*name;
	size_t		 old, old2, i = 0;

	if ((obj = get_member(c, root, "pools", 1)) == NULL)
		return;
	old = path_enter(c, "pools");
	if (!json_is_object(obj) || json_object_size(obj) == 0) {
		perr(c, "must be an object with at least one pool");
		goto done;
	}
	c->p->pools = calloc(json_object_size(obj), sizeof(*c->p->pools));
	c->p->hosts = calloc(count_hosts(obj) + 1, sizeof(*c->p->hosts));
	if (c->p->pools == NULL || c->p->hosts == NULL) {
		c->rep->nomem = 1;
		goto done;
	}
	json_object_foreach(obj, name, v) {
		struct policy_pool *pl = &c->p->pools[i];

		pl->name = xstrdup(c, name);
		c->p->npools = i + 1;
		old2 = path_enter(c, name);
		parse_pool(c, pl, i, v);
		path_leave(c, old2);
		i++;
	}
done:
	path_leave(c, old);
}

static void
parse_trap(struct ctx *c, struct policy_trap *t, json_t *obj)
{
	char	*oid = NULL, *ev = NULL;
	size_t	 old;

	if (!json_is_object(obj)) {
		perr(c, "must be an object {\"oid\": ..., \"event\": ...}, "
		    "not %s", json_type_name(obj));
		return;
	}
	check_keys(c, obj, trap_keys);
	get_string(c, obj, "oid", 1, &oid);
	get_string(c, obj, "event", 1, &ev);
	if (oid && policy_oid_parse(oid, &t->oid, &t->oid_len) == -1) {
		old = path_enter(c, "oid");
		perr(c, "\"%s\" is not a numeric OID such as "
		    "1.3.6.1.4.1.935.0.5", oid);
		path_leave(c, old);
	}
	if (ev && event_parse(ev, &t->event) == -1) {
		old = path_enter(c, "event");
		perr(c, "\"%s\" is not an event (on_battery, power_restored, "
		    "low_battery, battery_ok, shutdown_imminent, comms_lost, "
		    "comms_restored)", ev);
		path_leave(c, old);
	}
	free(oid);
	free(ev);
}

static int
trap_same_oid(const struct policy_trap *a, const struct policy_trap *b)
{
	return a->oid_len == b->oid_len &&
	    memcmp(a->oid, b->oid, a->oid_len * sizeof(*a->oid)) == 0;
}

static void
parse_traps(struct ctx *c, json_t *root)
{
	json_t	*arr, *v;
	size_t	 i, j, old, old2;

	if ((arr = json_object_get(root, "traps")) == NULL)
		return;
	old = path_enter(c, "traps");
	if (!json_is_array(arr)) {
		perr(c, "must be an array of {\"oid\", \"event\"} rows");
		goto done;
	}
	c->p->traps = calloc(json_array_size(arr) + 1, sizeof(*c->p->traps));
	if (c->p->traps == NULL) {
		c->rep->nomem = 1;
		goto done;
	}
	json_array_foreach(arr, i, v) {
		struct policy_trap *t = &c->p->traps[c->p->ntraps++];

		old2 = path_enter_index(c, i);
		parse_trap(c, t, v);
		for (j = 0; t->oid && j + 1 < c->p->ntraps; j++)
			if (c->p->traps[j].oid &&
			    trap_same_oid(&c->p->traps[j], t))
				perr(c, "the same OID as traps[%zu]", j);
		path_leave(c, old2);
	}
done:
	path_leave(c, old);
}

static void
check_unused_ups(struct ctx *c)
{
	size_t	 i, old;

	for (i = 0; i < c->p->nups; i++) {
		if (c->p->ups[i].nhosts != 0)
			continue;
		old = path_enter(c, "ups");
		path_enter(c, c->p->ups[i].name);
		pwarn(c, "powers no host of this policy");
		path_leave(c, old);
	}
}

static void
parse_root(struct ctx *c, json_t *root)
{
	size_t	 old;

	if (!json_is_object(root)) {
		perr(c, "the policy must be a JSON object, not %s",
		    json_type_name(root));
		return;
	}
	check_keys(c, root, top_keys);
	get_path(c, root, "state_dir", 0, &c->p->state_dir);
	if (c->p->state_dir == NULL && json_object_get(root, "state_dir") ==
	    NULL)
		c->p->state_dir = xstrdup(c, POLICY_DEFAULT_STATE_DIR);
	parse_ups_all(c, root);
	parse_pools(c, root);
	parse_traps(c, root);
	if (c->rep->nerrors == 0)
		check_unused_ups(c);
	if (c->rep->nomem) {
		old = c->plen;
		perr(c, "out of memory");
		path_leave(c, old);
	}
}

static char *
dir_of(const char *origin)
{
	const char	*slash;

	if (origin == NULL || (slash = strrchr(origin, '/')) == NULL)
		return strdup(".");
	if (slash == origin)
		return strdup("/");
	return strndup(origin, (size_t)(slash - origin));
}

static struct policy *
policy_from_json(json_t *root, const char *origin, struct report *rep)
{
	struct ctx	 c;
	size_t		 errors_before = rep->nerrors;

	memset(&c, 0, sizeof(c));
	c.rep = rep;
	c.p = calloc(1, sizeof(*c.p));
	c.basedir = dir_of(origin);
	c.ups_by_name = json_object();
	c.ups_by_addr = json_object();
	c.pool_of_host = json_object();
	if (c.p == NULL || c.basedir == NULL || c.ups_by_name == NULL ||
	    c.ups_by_addr == NULL || c.pool_of_host == NULL) {
		report_add(rep, REPORT_ERROR, "%s: out of memory", origin);
		goto fail;
	}
	if (origin && (c.p->path = strdup(origin)) == NULL)
		rep->nomem = 1;
	parse_root(&c, root);
	if (rep->nerrors != errors_before)
		goto fail;
	if (policy_index_addrs(c.p) == -1) {
		rep->nomem = 1;
		goto fail;
	}
	goto done;
fail:
	policy_free(c.p);
	c.p = NULL;
done:
	free(c.basedir);
	json_decref(c.ups_by_name);
	json_decref(c.ups_by_addr);
	json_decref(c.pool_of_host);
	return c.p;
}

struct policy *
policy_parse(const char *text, size_t len, const char *origin,
    struct report *rep)
{
	json_error_t	 jerr;
	json_t		*root;
	struct policy	*p;

	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		report_add(rep, REPORT_ERROR, "%s:%d:%d: %s",
		    origin ? origin : "<policy>", jerr.line, jerr.column,
		    jerr.text);
		return NULL;
	}
	p = policy_from_json(root, origin, rep);
	json_decref(root);
	return p;
}

struct policy *
policy_load(const char *path, struct report *rep)
{
	json_error_t	 jerr;
	json_t		*root;
	struct policy	*p;
	FILE		*f;

	if ((f = fopen(path, "r")) == NULL) {
		report_add(rep, REPORT_ERROR, "%s: %s", path, strerror(errno));
		return NULL;
	}
	root = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
	fclose(f);
	if (root == NULL) {
		report_add(rep, REPORT_ERROR, "%s:%d:%d: %s", path, jerr.line,
		    jerr.column, jerr.text);
		return NULL;
	}
	p = policy_from_json(root, path, rep);
	json_decref(root);
	return p;
}

static void
snmp_free(struct policy_snmp *s)
{
	free(s->community);
	free(s->user);
	free(s->auth_protocol);
	free(s->auth_password_file);
	free(s->priv_protocol);
	free(s->priv_password_file);
}

static void
pool_free(struct policy_pool *pl)
{
	size_t	 i;

	free(pl->name);
	free(pl->url);
	free(pl->url_host);
	free(pl->username);
	free(pl->password_file);
	free(pl->tls.ca_file);
	for (i = 0; i < pl->tls.npins; i++)
		free(pl->tls.pins[i]);
	free(pl->tls.pins);
}

void
policy_free(struct policy *p)
{
	size_t	 i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nups; i++) {
		free(p->ups[i].name);
		free(p->ups[i].addrs);
		free(p->ups[i].community);
		free(p->ups[i].v3_user);
		snmp_free(&p->ups[i].snmp);
	}
	for (i = 0; i < p->npools; i++)
		pool_free(&p->pools[i]);
	for (i = 0; i < p->nhosts; i++) {
		free(p->hosts[i].name);
		free(p->hosts[i].powered_by);
	}
	for (i = 0; i < p->ntraps; i++)
		free(p->traps[i].oid);
	free(p->ups);
	free(p->pools);
	free(p->hosts);
	free(p->traps);
	free(p->addr_index);
	free(p->state_dir);
	free(p->path);
	free(p);
}

long
policy_ups_index(const struct policy *p, const char *name)
{
	size_t	 i;

	for (i = 0; i < p->nups; i++)
		if (strcmp(p->ups[i].name, name) == 0)
			return (long)i;
	return -1;
}

long
policy_pool_index(const struct policy *p, const char *name)
{
	size_t	 i;

	for (i = 0; i < p->npools; i++)
		if (strcmp(p->pools[i].name, name) == 0)
			return (long)i;
	return -1;
}

long
policy_host_index(const struct policy *p, const char *name)
{
	size_t	 i;

	for (i = 0; i < p->nhosts; i++)
		if (strcmp(p->hosts[i].name, name) == 0)
			return (long)i;
	return -1;
}
