/*
 * The trap handler: who sent it (the UDP source, never the v1 agent-addr
 * field, which the sender writes), whether it carries what the policy
 * requires of that UPS, and what it means. It must be fast: it runs for
 * every trap snmptrapd receives.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "classify.h"
#include "core.h"
#include "ignore.h"
#include "log.h"
#include "policy.h"
#include "trap.h"
#include "trapd.h"

_Static_assert(sizeof(oid) == sizeof(unsigned long),
    "classification works on net-snmp's oid as unsigned long");

static const oid snmptrapoid0[] = { 1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0 };
static const oid snmptraps[] = { 1, 3, 6, 1, 6, 3, 1, 1, 5 };

static struct ignore	 ign;
static int		 ign_ready;
static unsigned int	 ign_alarm;
static double		 ign_alarm_due = INFINITY;

static void
set_from_sockaddr(const struct sockaddr *sa, struct policy_addr *a)
{
	const struct sockaddr_in6	*s6;
	static const unsigned char	 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0, 0xff, 0xff };

	memset(a, 0, sizeof(*a));
	if (sa->sa_family == AF_INET) {
		a->family = AF_INET;
		memcpy(a->bytes, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		s6 = (const struct sockaddr_in6 *)sa;
		/* A v4 card reaching a dual-stack socket. */
		if (memcmp(s6->sin6_addr.s6_addr, mapped, 12) == 0) {
			a->family = AF_INET;
			memcpy(a->bytes, s6->sin6_addr.s6_addr + 12, 4);
		} else {
			a->family = AF_INET6;
			memcpy(a->bytes, s6->sin6_addr.s6_addr, 16);
		}
	} else
		return;
	inet_ntop(a->family, a->bytes, a->text, sizeof(a->text));
}

/* The UDP source: transports store it in different shapes. */
static int
trap_source(const netsnmp_pdu *pdu, struct policy_addr *a)
{
	const void	*d = pdu->transport_data;
	size_t		 len = (size_t)pdu->transport_data_length;

	memset(a, 0, sizeof(*a));
	if (d == NULL)
		return -1;
	if (len == sizeof(netsnmp_indexed_addr_pair) ||
	    len == sizeof(netsnmp_addr_pair))
		set_from_sockaddr(&((const netsnmp_addr_pair *)d)->
		    remote_addr.sa, a);
	else if (len == sizeof(struct sockaddr_in6) ||
	    len == sizeof(struct sockaddr_in))
		set_from_sockaddr(d, a);
	return a->family ? 0 : -1;
}

/* v2c/v3: snmpTrapOID.0. v1: enterprise.0.specific (RFC 2576). */
static int
trap_oid(const netsnmp_pdu *pdu, oid *buf, size_t cap, size_t *len)
{
	const netsnmp_variable_list	*v;
	size_t				 n;

	if (pdu->command == SNMP_MSG_TRAP) {
		if (pdu->trap_type != SNMP_TRAP_ENTERPRISESPECIFIC) {
			if (cap < 10 || pdu->trap_type < 0 ||
			    pdu->trap_type > 5)
				return -1;
			memcpy(buf, snmptraps, sizeof(snmptraps));
			buf[9] = (oid)pdu->trap_type + 1;
			*len = 10;
			return 0;
		}
		n = pdu->enterprise_length;
		if (pdu->enterprise == NULL || n == 0 || n + 2 > cap)
			return -1;
		memcpy(buf, pdu->enterprise, n * sizeof(oid));
		buf[n] = 0;
		buf[n + 1] = (oid)pdu->specific_type;
		*len = n + 2;
		return 0;
	}
	for (v = pdu->variables; v; v = v->next_variable)
		if (v->name_length == OID_LENGTH(snmptrapoid0) &&
		    memcmp(v->name, snmptrapoid0, sizeof(snmptrapoid0)) == 0 &&
		    v->type == ASN_OBJECT_ID && v->val.objid != NULL &&
		    v->val_len / sizeof(oid) <= cap && v->val_len > 0) {
			*len = v->val_len / sizeof(oid);
			memcpy(buf, v->val.objid, *len * sizeof(oid));
			return 0;
		}
	return -1;
}

/* An RFC 1628 upsAlarmDescr value, for the alarm added/removed traps. */
static const oid *
alarm_descr(const netsnmp_pdu *pdu, size_t *len)
{
	const netsnmp_variable_list	*v;

	for (v = pdu->variables; v; v = v->next_variable)
		if (v->type == ASN_OBJECT_ID && v->val.objid != NULL &&
		    classify_is_alarm_descr(v->val.objid,
		    v->val_len / sizeof(oid))) {
			*len = v->val_len / sizeof(oid);
			return v->val.objid;
		}
	return NULL;
}

static void
oid_text(const oid *o, size_t len, char *buf, size_t cap)
{
	size_t	 i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < len && off < cap; i++)
		off += (size_t)snprintf(buf + off, cap - off, "%s%lu",
		    i ? "." : "", (unsigned long)o[i]);
}

static int
credentials_ok(const struct policy_ups *u, const netsnmp_pdu *pdu,
    enum ignore_reason *why)
{
	size_t	 clen;

	if (u->community) {
		clen = strlen(u->community);
		if (pdu->version == SNMP_VERSION_3 || pdu->community == NULL ||
		    pdu->community_len != clen ||
		    memcmp(pdu->community, u->community, clen) != 0) {
			*why = IGN_COMMUNITY;
			return 0;
		}
	}
	if (u->v3_user) {
		if (pdu->version != SNMP_VERSION_3 ||
		    pdu->securityName == NULL ||
		    strcmp(pdu->securityName, u->v3_user) != 0) {
			*why = IGN_V3_USER;
			return 0;
		}
		/*
		 * snmptrapd lets an unsigned trap with that name through when
		 * its configuration allows noauth (DESIGN.md "snmptrapd"):
		 * the name is proof only with USM's signature.
		 */
		if (pdu->securityModel != SNMP_SEC_MODEL_USM ||
		    pdu->securityLevel < (u->v3_priv ?
		    SNMP_SEC_LEVEL_AUTHPRIV : SNMP_SEC_LEVEL_AUTHNOPRIV)) {
			*why = u->v3_priv ? IGN_V3_CLEAR : IGN_V3_UNSIGNED;
			return 0;
		}
	}
	return 1;
}

static void
ign_report(enum ignore_reason r, unsigned long count, double secs,
    const char *last, void *arg)
{
	(void)arg;
	plog(ignore_prio(r), "trap ignored: not logged in the last %.0f s: "
	    "count=%lu reason=\"%s\" last_source=%s", secs, count,
	    ignore_why(r), last);
}

static void ign_arm(double);

/* A storm that stops gets its summary too: the timer, not a trap, ends
 * the window. */
static void
ign_tick(unsigned int id, void *arg)
{
	(void)id;
	(void)arg;
	ign_alarm = 0;
	ign_alarm_due = INFINITY;
	ign_arm(ignore_flush(&ign, core_now(), 0, ign_report, NULL));
}

/* The timer at `due`, unless it is already set for then or earlier. */
static void
ign_arm(double due)
{
	struct timeval	 tv;
	double		 wait;

	if (due == INFINITY || due >= ign_alarm_due)
		return;
	if (ign_alarm)
		snmp_alarm_unregister(ign_alarm);
	if ((wait = due - core_now()) < 0.001)
		wait = 0.001;
	tv.tv_sec = (time_t)wait;
	tv.tv_usec = (suseconds_t)((wait - (double)tv.tv_sec) * 1e6);
	ign_alarm = snmp_alarm_register_hr(tv, 0, ign_tick, NULL);
	ign_alarm_due = ign_alarm ? due : INFINITY;
}

static void
ignored(const struct policy_addr *src, const oid *o, size_t len,
    enum ignore_reason why)
{
	char	 text[POLICY_MAX_OID_LEN * 11];

	if (!ign_ready) {
		ignore_init(&ign);
		ign_ready = 1;
	}
	if (!ignore_allow(&ign, why, src->text, core_now())) {
		ign_arm(ignore_due(&ign));
		return;
	}
	oid_text(o, len, text, sizeof(text));
	plog(ignore_prio(why), "trap ignored: source=%s oid=%s reason=\"%s\" "
	    "(once a minute per source and reason, at most %d such lines a "
	    "minute, the rest counted)", src->text, len ? text : "none",
	    ignore_why(why), IGNORE_BURST);
}

/* What was held back is told before the plugin goes. */
void
trap_stop(void)
{
	if (ign_alarm)
		snmp_alarm_unregister(ign_alarm);
	ign_alarm = 0;
	ign_alarm_due = INFINITY;
	if (ign_ready)
		ignore_flush(&ign, core_now(), 1, ign_report, NULL);
	ign_ready = 0;
}

int
trap_handle(netsnmp_pdu *pdu, netsnmp_transport *t, netsnmp_trapd_handler *h)
{
	const struct policy	*p = core_policy();
	struct policy_addr	 src;
	oid			 to[POLICY_MAX_OID_LEN];
	const oid		*descr;
	size_t			 tolen = 0, dlen = 0;
	long			 ups;
	enum ups_event		 ev;
	enum ignore_reason	 why = IGN_COMMUNITY;

	(void)t;
	(void)h;
	if (p == NULL || pdu == NULL)
		return NETSNMPTRAPD_HANDLER_OK;
	if (trap_oid(pdu, to, POLICY_MAX_OID_LEN, &tolen) == -1)
		tolen = 0;
	if (trap_source(pdu, &src) == -1)
		return NETSNMPTRAPD_HANDLER_OK;
	if ((ups = policy_ups_by_addr(p, &src)) < 0) {
		ignored(&src, to, tolen, IGN_NOT_UPS);
		return NETSNMPTRAPD_HANDLER_OK;
	}
	if (!credentials_ok(&p->ups[ups], pdu, &why)) {
		ignored(&src, to, tolen, why);
		return NETSNMPTRAPD_HANDLER_OK;
	}
	descr = alarm_descr(pdu, &dlen);
	if (tolen == 0 || classify_trap(p, to, tolen, descr, dlen, &ev) == -1) {
		/* Cards send temperature, self-test ... traps too. */
		ignored(&src, to, tolen, tolen ? IGN_NOT_POWER : IGN_NO_OID);
		return NETSNMPTRAPD_HANDLER_OK;
	}
	core_ups_event((size_t)ups, ev, src.text);
	return NETSNMPTRAPD_HANDLER_OK;
}
