/*
 * One XML-RPC exchange: encode with xmlrpc-c, send with http.c, decode
 * xapi's {Status, Value | ErrorDescription} envelope into a value or a
 * typed error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xenapi_int.h"

int
rpc_string_value(xmlrpc_value *v, char *buf, size_t len)
{
	xmlrpc_env	 env;
	const char	*s;

	if (v == NULL || xmlrpc_value_type(v) != XMLRPC_TYPE_STRING)
		return -1;
	xmlrpc_env_init(&env);
	xmlrpc_read_string(&env, v, &s);
	if (env.fault_occurred) {
		xmlrpc_env_clean(&env);
		return -1;
	}
	snprintf(buf, len, "%s", s);
	free((void *)s);
	return 0;
}

/* A string member of a struct; "" when absent or not a string. */
int
rpc_read_string(xmlrpc_value *st, const char *key, char *buf, size_t len)
{
	xmlrpc_env	 env;
	xmlrpc_value	*v = NULL;
	int		 rc;

	buf[0] = '\0';
	xmlrpc_env_init(&env);
	xmlrpc_struct_find_value(&env, st, key, &v);
	xmlrpc_env_clean(&env);
	rc = rpc_string_value(v, buf, len);
	if (v)
		xmlrpc_DECREF(v);
	return rc;
}

/* A string member as a new string ("" when absent); NULL out of memory. */
char *
rpc_dup_string(xmlrpc_value *st, const char *key)
{
	xmlrpc_env	 env;
	xmlrpc_value	*v = NULL;
	const char	*s = NULL;
	char		*out;

	xmlrpc_env_init(&env);
	if (xmlrpc_value_type(st) == XMLRPC_TYPE_STRUCT)
		xmlrpc_struct_find_value(&env, st, key, &v);
	if (v && xmlrpc_value_type(v) == XMLRPC_TYPE_STRING)
		xmlrpc_read_string(&env, v, &s);
	out = strdup(s && !env.fault_occurred ? s : "");
	free((void *)s);
	if (v)
		xmlrpc_DECREF(v);
	xmlrpc_env_clean(&env);
	return out;
}

/*
 * An integer member: XenAPI sends 64-bit integers as strings (an i4 is
 * read too); 0 when absent or not a number.
 */
long long
rpc_read_int64(xmlrpc_value *st, const char *key)
{
	xmlrpc_env	 env;
	xmlrpc_value	*v = NULL;
	char		 buf[32], *end;
	long long	 n = 0;
	int		 i4;

	xmlrpc_env_init(&env);
	xmlrpc_struct_find_value(&env, st, key, &v);
	if (v && xmlrpc_value_type(v) == XMLRPC_TYPE_INT) {
		xmlrpc_read_int(&env, v, &i4);
		n = i4;
	} else if (v && rpc_string_value(v, buf, sizeof(buf)) == 0) {
		n = strtoll(buf, &end, 10);
		if (end == buf || *end != '\0')
			n = 0;
	}
	if (v)
		xmlrpc_DECREF(v);
	xmlrpc_env_clean(&env);
	return n;
}

int
rpc_read_bool(xmlrpc_value *st, const char *key)
{
	xmlrpc_env	 env;
	xmlrpc_value	*v = NULL;
	xmlrpc_bool	 b = 0;

	xmlrpc_env_init(&env);
	xmlrpc_struct_find_value(&env, st, key, &v);
	if (v && xmlrpc_value_type(v) == XMLRPC_TYPE_BOOL)
		xmlrpc_read_bool(&env, v, &b);
	if (v)
		xmlrpc_DECREF(v);
	xmlrpc_env_clean(&env);
	return b;
}

/*
 * xapi's [code, params...] (a Failure's ErrorDescription, a task's
 * error_info) as a typed error; the message starts with `prefix`.
 */
void
rpc_failure(xmlrpc_value *desc, const char *prefix, struct xenapi_error *err)
{
	xmlrpc_env	 env;
	xmlrpc_value	*item;
	char		 buf[128];
	size_t		 off;
	int		 i, n;

	xerr(err, XENAPI_ERR_FAILURE, "%s", "");
	xmlrpc_env_init(&env);
	n = desc && xmlrpc_value_type(desc) == XMLRPC_TYPE_ARRAY ?
	    xmlrpc_array_size(&env, desc) : 0;
	for (i = 0; i < n; i++) {
		xmlrpc_array_read_item(&env, desc, i, &item);
		if (env.fault_occurred)
			break;
		if (rpc_string_value(item, buf, sizeof(buf)) == -1)
			snprintf(buf, sizeof(buf), "?");
		xmlrpc_DECREF(item);
		if (i == 0)
			snprintf(err->code, sizeof(err->code), "%s", buf);
		else if (err->nparams < XENAPI_MAX_PARAMS)
			snprintf(err->params[err->nparams++],
			    sizeof(err->params[0]), "%s", buf);
	}
	xmlrpc_env_clean(&env);
	if (err->code[0] == '\0')
		snprintf(err->code, sizeof(err->code), "UNKNOWN_FAILURE");
	off = (size_t)snprintf(err->msg, sizeof(err->msg), "%s%s", prefix,
	    err->code);
	for (i = 0; i < err->nparams && off < sizeof(err->msg); i++)
		off += (size_t)snprintf(err->msg + off, sizeof(err->msg) - off,
		    " %s", err->params[i]);
}

static int
decode_envelope(xmlrpc_value *result, xmlrpc_value **value,
    struct xenapi_error *err)
{
	xmlrpc_env	 env;
	xmlrpc_value	*desc = NULL;
	char		 status[16];

	if (xmlrpc_value_type(result) != XMLRPC_TYPE_STRUCT ||
	    rpc_read_string(result, "Status", status, sizeof(status)) == -1) {
		xerr(err, XENAPI_ERR_PROTOCOL, "answer has no Status");
		return -1;
	}
	xmlrpc_env_init(&env);
	if (strcmp(status, "Success") == 0) {
		xmlrpc_struct_find_value(&env, result, "Value", value);
		if (*value == NULL)
			*value = xmlrpc_string_new(&env, "");
		xmlrpc_env_clean(&env);
		return 0;
	}
	xmlrpc_struct_find_value(&env, result, "ErrorDescription", &desc);
	xmlrpc_env_clean(&env);
	if (strcmp(status, "Failure") != 0) {
		xerr(err, XENAPI_ERR_PROTOCOL, "unknown Status \"%s\"", status);
	} else
		rpc_failure(desc, "", err);
	if (desc)
		xmlrpc_DECREF(desc);
	return -1;
}

#define DT_OPEN		"<dateTime.iso8601>"
#define DT_CLOSE	"</dateTime.iso8601>"
#define STR_OPEN	"<string>"
#define STR_CLOSE	"</string>"
#define DT_FORM_LEN	23	/* YYYYMMDDTHH:MM:SS+HH:MM */

/*
 * YYYYMMDDTHH:MM:SS±HH:MM as UTC, YYYYMMDDTHH:MM:SSZ; -1 when the value
 * is not that form.
 */
static int
date_to_utc(const char *v, size_t n, char *out, size_t outlen)
{
	struct tm	 tm;
	time_t		 t;
	int		 oh, om, sign;
	size_t		 i;

	if (n != DT_FORM_LEN || v[8] != 'T' || v[11] != ':' || v[14] != ':' ||
	    (v[17] != '+' && v[17] != '-') || v[20] != ':')
		return -1;
	for (i = 0; i < n; i++)
		if (i != 8 && i != 11 && i != 14 && i != 17 && i != 20 &&
		    (v[i] < '0' || v[i] > '9'))
			return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (v[0] - '0') * 1000 + (v[1] - '0') * 100 +
	    (v[2] - '0') * 10 + (v[3] - '0') - 1900;
	tm.tm_mon = (v[4] - '0') * 10 + (v[5] - '0') - 1;
	tm.tm_mday = (v[6] - '0') * 10 + (v[7] - '0');
	tm.tm_hour = (v[9] - '0') * 10 + (v[10] - '0');
	tm.tm_min = (v[12] - '0') * 10 + (v[13] - '0');
	tm.tm_sec = (v[15] - '0') * 10 + (v[16] - '0');
	oh = (v[18] - '0') * 10 + (v[19] - '0');
	om = (v[21] - '0') * 10 + (v[22] - '0');
	sign = v[17] == '+' ? 1 : -1;
	t = timegm(&tm) - sign * (oh * 3600 + om * 60);
	if (gmtime_r(&t, &tm) == NULL)
		return -1;
	return strftime(out, outlen, "%Y%m%dT%H:%M:%SZ", &tm) > 0 ? 0 : -1;
}

static void
put(char *buf, size_t *off, const char *s, size_t n)
{
	memcpy(buf + *off, s, n);
	*off += n;
}

/*
 * Dates reach us as strings, in UTC (DESIGN.md "xmlrpc-c and libcurl").
 * xapi prints a date with the ±HH:MM offset it was stored with (date.ml)
 * and xmlrpc-c 1.33 fails the whole answer for that form; its own parser
 * also compiles a regular expression for every date, and a host or VM
 * record holds several. upsxen reads no date as a date: each
 * <dateTime.iso8601> element becomes a <string> of its text, an offset
 * turned to Z. The body only shrinks. Returns a new body in *out, or NULL
 * in *out when it has no date; -1 when out of memory.
 */
static int
dates_as_strings(const char *xml, size_t len, char **out, size_t *outlen)
{
	const char	*p = xml, *end = xml + len, *v, *close;
	char		*buf = NULL, utc[32];
	size_t		 off = 0, n, open = sizeof(DT_OPEN) - 1;

	*out = NULL;
	while ((v = memmem(p, (size_t)(end - p), DT_OPEN, open)) != NULL) {
		close = memmem(v + open, (size_t)(end - v - open), DT_CLOSE,
		    sizeof(DT_CLOSE) - 1);
		if (close == NULL)
			break;	/* xmlrpc-c says what is wrong with it */
		if (buf == NULL && (buf = malloc(len + 1)) == NULL)
			return -1;
		put(buf, &off, p, (size_t)(v - p));
		put(buf, &off, STR_OPEN, sizeof(STR_OPEN) - 1);
		v += open;
		n = (size_t)(close - v);
		if (date_to_utc(v, n, utc, sizeof(utc)) == 0)
			put(buf, &off, utc, strlen(utc));
		else
			put(buf, &off, v, n);
		put(buf, &off, STR_CLOSE, sizeof(STR_CLOSE) - 1);
		p = close + sizeof(DT_CLOSE) - 1;
	}
	if (buf == NULL)
		return 0;
	put(buf, &off, p, (size_t)(end - p));
	buf[off] = '\0';
	*out = buf;
	*outlen = off;
	return 0;
}

/* A response body: the value of a Success, or a typed error. */
int
rpc_decode(const char *xml, size_t len, xmlrpc_value **value,
    struct xenapi_error *err)
{
	xmlrpc_env	 env;
	xmlrpc_value	*result = NULL;
	const char	*fault = NULL;
	char		*fixed = NULL;
	size_t		 flen = 0;
	int		 code, rc = -1;

	*value = NULL;
	if (dates_as_strings(xml, len, &fixed, &flen) == -1) {
		xerr(err, XENAPI_ERR_PROTOCOL, "out of memory decoding an "
		    "answer");
		return -1;
	}
	if (fixed) {
		xml = fixed;
		len = flen;
	}
	xmlrpc_env_init(&env);
	xmlrpc_parse_response2(&env, xml, len, &result, &code, &fault);
	if (env.fault_occurred)
		xerr(err, XENAPI_ERR_PROTOCOL, "bad XML-RPC answer: %.300s",
		    env.fault_string);
	else if (fault) {
		xerr(err, XENAPI_ERR_PROTOCOL, "XML-RPC fault %d: %.300s", code,
		    fault);
		free((void *)fault);
	} else
		rc = decode_envelope(result, value, err);
	if (result)
		xmlrpc_DECREF(result);
	xmlrpc_env_clean(&env);
	free(fixed);
	return rc;
}

int
rpc_exchange(struct xenapi *x, const char *method, xmlrpc_value *params,
    xmlrpc_value **value, struct xenapi_error *err)
{
	xmlrpc_env		 env;
	xmlrpc_mem_block	*mb;
	char			*resp = NULL;
	size_t			 len;
	int			 rc = -1;

	*value = NULL;
	xmlrpc_env_init(&env);
	mb = xmlrpc_mem_block_new(&env, 0);
	if (env.fault_occurred)
		goto encode_fail;
	xmlrpc_serialize_call2(&env, mb, method, params, xmlrpc_dialect_i8);
	if (env.fault_occurred)
		goto encode_fail;
	if (http_post(x, xmlrpc_mem_block_contents(mb),
	    xmlrpc_mem_block_size(mb), &resp, &len, err) == -1)
		goto done;
	if ((rc = rpc_decode(resp, len, value, err)) == -1 &&
	    err->kind == XENAPI_ERR_PROTOCOL) {
		char	 msg[sizeof(err->msg)];

		snprintf(msg, sizeof(msg), "%s", err->msg);
		xerr(err, XENAPI_ERR_PROTOCOL, "%s: %s: %.400s", x->url,
		    method, msg);
	}
	goto done;
encode_fail:
	xerr(err, XENAPI_ERR_PROTOCOL, "%s: cannot encode the call: %s",
	    method, env.fault_string);
done:
	/* A login's request holds the password in clear: wipe every
	 * request, as the cost is nothing beside the round trip. */
	if (mb) {
		explicit_bzero(xmlrpc_mem_block_contents(mb),
		    xmlrpc_mem_block_size(mb));
		xmlrpc_mem_block_free(mb);
	}
	free(resp);
	xmlrpc_env_clean(&env);
	return rc;
}

/* Whether a record's current_operations (task -> op) holds op. */
int
rpc_operation_running(xmlrpc_value *rec, const char *op)
{
	xmlrpc_env	 env;
	xmlrpc_value	*ops = NULL, *k, *v;
	char		 name[64];
	int		 i, n, found = 0;

	xmlrpc_env_init(&env);
	xmlrpc_struct_find_value(&env, rec, "current_operations", &ops);
	n = ops && xmlrpc_value_type(ops) == XMLRPC_TYPE_STRUCT ?
	    xmlrpc_struct_size(&env, ops) : 0;
	for (i = 0; i < n && !found && !env.fault_occurred; i++) {
		xmlrpc_struct_read_member(&env, ops, (unsigned)i, &k, &v);
		if (env.fault_occurred)
			break;
		found = rpc_string_value(v, name, sizeof(name)) == 0 &&
		    strcmp(name, op) == 0;
		xmlrpc_DECREF(k);
		xmlrpc_DECREF(v);
	}
	if (ops)
		xmlrpc_DECREF(ops);
	xmlrpc_env_clean(&env);
	return found;
}

/* Walk a {ref: record} map as get_all_records answers it. */
int
rpc_each_record(xmlrpc_value *map, rpc_record_fn *fn, void *arg,
    struct xenapi_error *err)
{
	xmlrpc_env	 env;
	xmlrpc_value	*k, *rec;
	char		 ref[XENAPI_REF_LEN];
	int		 i, n;

	if (xmlrpc_value_type(map) != XMLRPC_TYPE_STRUCT) {
		xerr(err, XENAPI_ERR_PROTOCOL, "records are not a map");
		return -1;
	}
	xmlrpc_env_init(&env);
	n = xmlrpc_struct_size(&env, map);
	for (i = 0; i < n && !env.fault_occurred; i++) {
		xmlrpc_struct_read_member(&env, map, (unsigned)i, &k, &rec);
		if (env.fault_occurred)
			break;
		if (rpc_string_value(k, ref, sizeof(ref)) == 0 &&
		    xmlrpc_value_type(rec) == XMLRPC_TYPE_STRUCT)
			fn(arg, ref, rec);
		xmlrpc_DECREF(k);
		xmlrpc_DECREF(rec);
	}
	xmlrpc_env_clean(&env);
	return 0;
}
