/*
 * Polling the cards (DESIGN.md "The cards"): net-snmp's asynchronous API
 * in the main thread, so snmptrapd's own loop reads the answers. One GET asks
 * for the status object of every card family at once; the card answers
 * the ones it implements, which tells its family, remembered until it
 * stops answering. (SNMPv1 cards fail a whole GET for one unknown
 * object, so for them the families are tried one per poll.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include "log.h"
#include "policy.h"
#include "poll.h"
#include "secret.h"

#define POLL_TIMEOUT_US	1000000	/* per try; one retry */
#define UNREACHABLE_LOG	60.0

struct family {
	const char	*name;
	const char	*oid;
	int		 on_battery;
	int		 online[20];	/* 0 ends */
	const char	*time_oid;	/* time on battery, or NULL */
	int		 time_ticks;	/* in TimeTicks, else seconds */
};

/*
 * The values each MIB gives for "the load runs on mains" (normal, bypass,
 * boost and buck, eco and high-efficiency modes, parallel): anything else
 * but on battery is not known to be online (DESIGN.md "The cards").
 */
static const struct family families[] = {
	/* upsOutputSource: normal, bypass, battery(5), booster, reducer */
	{ "rfc1628", "1.3.6.1.2.1.33.1.4.1.0", 5, { 3, 4, 6, 7, 0 },
	    "1.3.6.1.2.1.33.1.2.2.0", 0 },	/* upsSecondsOnBattery */
	/* upsBaseOutputStatus: onLine(2), onBattery(3), onBoost(4),
	 * onBypass(6), onBuck(9); standBy(8) is off, not online. */
	{ "ppc", "1.3.6.1.4.1.935.1.1.1.4.1.1.0", 3, { 2, 4, 6, 9, 0 },
	    NULL, 0 },
	/* upsBasicOutputStatus: onLine(2), onBattery(3), onSmartBoost(4),
	 * onBypass(6), softwareBypass(9), switchedBypass(10),
	 * onSmartTrim(12), ecoMode(13), hotStandby(14), onBatteryTest(15
	 * is on battery, not listed), emergencyStaticBypass(16),
	 * staticBypassStandby(17), frequencyConversion(19) and the modes
	 * 20 to 22, 24, 25, 28 of PowerNet-MIB 4.5.8. */
	{ "apc", "1.3.6.1.4.1.318.1.1.1.4.1.1.0", 3, { 2, 4, 6, 9, 10, 12,
	    13, 14, 16, 17, 19, 20, 21, 22, 24, 25, 28, 0 },
	    "1.3.6.1.4.1.318.1.1.1.2.1.2.0", 1 },	/* ...TimeOnBattery */
	/* xupsOutputSource, as RFC 1628, and parallel(8, 9),
	 * highEfficiencyMode(10), maintenanceBypass(11) */
	{ "xups", "1.3.6.1.4.1.534.1.4.5.0", 5, { 3, 4, 6, 7, 8, 9, 10, 11,
	    0 }, NULL, 0 },
	/* upsmgOutputOnBattery: yes(1), no(2) */
	{ "mge", "1.3.6.1.4.1.705.1.7.3.0", 1, { 2, 0 }, NULL, 0 },
	/* CyberPower upsBaseOutputStatus: onLine(2), onBattery(3) */
	{ "cyberpower", "1.3.6.1.4.1.3808.1.1.1.4.1.1.0", 3, { 2, 0 },
	    NULL, 0 },
};

#define NFAMILIES	(sizeof(families) / sizeof(families[0]))

struct card {
	size_t			 ups;
	const struct policy_ups	*cfg;
	netsnmp_session		*ss;
	int			 family;	/* -1 unknown */
	int			 v1_next;	/* v1: the family tried next */
	int			 busy;		/* a routine poll outstanding */
	unsigned int		 alarm;
	double			 unreachable_at;
};

struct request {
	struct request		*next;		/* outstanding, for poll_stop */
	struct request		*prev;
	struct card		*card;
	unsigned long		 confirm;	/* 0 for a routine poll */
	int			 refused;	/* the card refused our keys */
};

static struct {
	struct card	*cards;
	size_t		 ncards;
	poll_state_fn	*on_state;
	poll_confirm_fn	*on_confirm;
	double		 (*now)(void);
	struct request	*outstanding;
} pl;

static void
request_unlink(struct request *rq)
{
	if (rq->prev)
		rq->prev->next = rq->next;
	else
		pl.outstanding = rq->next;
	if (rq->next)
		rq->next->prev = rq->prev;
}

static oid	 status_oids[NFAMILIES][MAX_OID_LEN];
static size_t	 status_lens[NFAMILIES];
static oid	 time_oids[NFAMILIES][MAX_OID_LEN];
static size_t	 time_lens[NFAMILIES];	/* 0: none */

static int
parse_oids(void)
{
	size_t	 i;

	for (i = 0; i < NFAMILIES; i++) {
		status_lens[i] = MAX_OID_LEN;
		if (read_objid(families[i].oid, status_oids[i],
		    &status_lens[i]) == 0)
			return -1;
		if (families[i].time_oid == NULL)
			continue;
		time_lens[i] = MAX_OID_LEN;
		if (read_objid(families[i].time_oid, time_oids[i],
		    &time_lens[i]) == 0)
			return -1;
	}
	return 0;
}

/* The card's time on battery, in seconds, if it gave it; else -1. */
static double
read_time(const struct card *c, const netsnmp_pdu *pdu)
{
	const netsnmp_variable_list	*v;
	const struct family		*f;

	if (c->family < 0 || time_lens[c->family] == 0)
		return -1;
	f = &families[c->family];
	for (v = pdu->variables; v; v = v->next_variable) {
		if (snmp_oid_compare(v->name, v->name_length,
		    time_oids[c->family], time_lens[c->family]) != 0 ||
		    v->val.integer == NULL)
			continue;
		if (f->time_ticks && v->type == ASN_TIMETICKS)
			return (double)(unsigned long)*v->val.integer / 100.0;
		if (!f->time_ticks && v->type == ASN_INTEGER &&
		    *v->val.integer >= 0)
			return (double)*v->val.integer;
	}
	return -1;
}

static enum poll_state
interpret(int family, long v)
{
	const int	*o;

	if (v == families[family].on_battery)
		return POLL_ON_BATTERY;
	for (o = families[family].online; *o; o++)
		if (v == *o)
			return POLL_ONLINE;
	return POLL_UNKNOWN;
}

/* The first family whose object the card answered with an integer. */
static enum poll_state
read_answer(struct card *c, const netsnmp_pdu *pdu)
{
	const netsnmp_variable_list	*v;
	size_t				 f;

	if (pdu->errstat != SNMP_ERR_NOERROR)
		return POLL_UNKNOWN;
	for (v = pdu->variables; v; v = v->next_variable) {
		if (v->type != ASN_INTEGER || v->val.integer == NULL)
			continue;
		for (f = 0; f < NFAMILIES; f++)
			if (snmp_oid_compare(v->name, v->name_length,
			    status_oids[f], status_lens[f]) == 0) {
				c->family = (int)f;
				return interpret((int)f, *v->val.integer);
			}
	}
	return POLL_UNKNOWN;
}

static void
unreachable(struct card *c)
{
	double	 now = pl.now();

	/* Ask every family again when it answers again: it may be new. */
	c->family = -1;
	if (now - c->unreachable_at < UNREACHABLE_LOG && c->unreachable_at)
		return;
	c->unreachable_at = now;
	plog(LOG_WARNING, "ups=%s card does not answer SNMP at %s port %d "
	    "(logged once a minute)", c->cfg->name, c->cfg->addrs[0].text,
	    c->cfg->snmp.port);
}

static int
answered(int op, netsnmp_session *ss, int reqid, netsnmp_pdu *pdu,
    void *magic)
{
	struct request	*rq = magic;
	struct card	*c = rq->card;
	enum poll_state	 st = POLL_UNREACHABLE;
	double		 secs = -1;

	(void)ss;
	(void)reqid;
	/* A resend is news, not an answer: the request is still out. */
	if (op == NETSNMP_CALLBACK_OP_RESEND)
		return 1;
	/*
	 * The card answered, but not to our keys (a USM report). net-snmp
	 * keeps the request and calls again when it ends: remember it.
	 */
	if (op == NETSNMP_CALLBACK_OP_SEC_ERROR) {
		if (!rq->refused)
			plog(LOG_ERR, "ups=%s card refuses our SNMPv3 "
			    "credentials (user %s)", c->cfg->name,
			    c->cfg->snmp.user);
		rq->refused = 1;
		return 1;
	}
	request_unlink(rq);
	if (op == NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE && pdu) {
		st = read_answer(c, pdu);
		secs = read_time(c, pdu);
	} else if (rq->refused)
		st = POLL_UNKNOWN;	/* an answer, if not one to trust */
	else
		unreachable(c);
	if (op == NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE)
		c->unreachable_at = 0;
	if (rq->confirm)
		pl.on_confirm(rq->confirm, c->ups, st);
	else {
		c->busy = 0;
		if (st == POLL_ON_BATTERY || st == POLL_ONLINE)
			pl.on_state(c->ups, st, st == POLL_ON_BATTERY ? secs :
			    -1);
	}
	free(rq);
	return 1;
}

static int
send_get(struct card *c, unsigned long confirm)
{
	struct request	*rq;
	netsnmp_pdu	*pdu;
	size_t		 f;

	if (c->ss == NULL || (rq = calloc(1, sizeof(*rq))) == NULL)
		return -1;
	rq->card = c;
	rq->confirm = confirm;
	pdu = snmp_pdu_create(SNMP_MSG_GET);
	if (c->family >= 0) {
		snmp_add_null_var(pdu, status_oids[c->family],
		    status_lens[c->family]);
		/* A routine poll also asks since when, where the MIB says
		 * (not over v1, where one object unknown fails the GET). */
		if (!confirm && time_lens[c->family] &&
		    c->cfg->snmp.version != POLICY_SNMP_V1)
			snmp_add_null_var(pdu, time_oids[c->family],
			    time_lens[c->family]);
	}
	else if (c->cfg->snmp.version == POLICY_SNMP_V1) {
		f = (size_t)c->v1_next;
		c->v1_next = (c->v1_next + 1) % (int)NFAMILIES;
		snmp_add_null_var(pdu, status_oids[f], status_lens[f]);
	} else
		for (f = 0; f < NFAMILIES; f++)
			snmp_add_null_var(pdu, status_oids[f], status_lens[f]);
	if (snmp_async_send(c->ss, pdu, answered, rq) == 0) {
		snmp_free_pdu(pdu);
		free(rq);
		return -1;
	}
	rq->next = pl.outstanding;
	if (rq->next)
		rq->next->prev = rq;
	pl.outstanding = rq;
	return 0;
}

static void
tick(unsigned int id, void *arg)
{
	struct card	*c = arg;

	(void)id;
	if (!c->busy && send_get(c, 0) == 0)
		c->busy = 1;
}

/* A USM password from its file; NULL with the reason logged. */
static char *
usm_secret(const struct policy_ups *u, const char *path)
{
	char	 err[512];
	char	*s;

	if ((s = secret_read(path, err, sizeof(err))) == NULL)
		plog(LOG_ERR, "ups=%s not polled: %s", u->name, err);
	return s;
}

static const oid *
auth_proto(const char *name, size_t *len)
{
	*len = USM_AUTH_PROTO_SHA_LEN;
	if (strcmp(name, "MD5") == 0)
		return usmHMACMD5AuthProtocol;
	if (strcmp(name, "SHA-224") == 0)
		return usmHMAC128SHA224AuthProtocol;
	if (strcmp(name, "SHA-256") == 0)
		return usmHMAC192SHA256AuthProtocol;
	if (strcmp(name, "SHA-384") == 0)
		return usmHMAC256SHA384AuthProtocol;
	if (strcmp(name, "SHA-512") == 0)
		return usmHMAC384SHA512AuthProtocol;
	return usmHMACSHA1AuthProtocol;
}

static const oid *
priv_proto(const char *name, size_t *len)
{
	*len = USM_PRIV_PROTO_AES_LEN;
	if (strcmp(name, "DES") == 0)
		return usmDESPrivProtocol;
	if (strcmp(name, "AES-192") == 0) {
		*len = OID_LENGTH(usmAES192PrivProtocol);
		return usmAES192PrivProtocol;
	}
	if (strcmp(name, "AES-256") == 0) {
		*len = OID_LENGTH(usmAES256PrivProtocol);
		return usmAES256PrivProtocol;
	}
	return usmAESPrivProtocol;
}

/* USM keys from the password files; -1 with the reason logged. */
static int
setup_v3(netsnmp_session *s, const struct policy_ups *u)
{
	const struct policy_snmp	*c = &u->snmp;
	const oid			*proto;
	char				*auth = NULL, *priv = NULL;
	size_t				 len;
	int				 rc = -1;

	s->securityName = strdup(c->user);
	s->securityNameLen = strlen(c->user);
	/* The length is known only once auth_proto has run. */
	proto = auth_proto(c->auth_protocol, &len);
	s->securityAuthProto = snmp_duplicate_objid(proto, len);
	s->securityAuthProtoLen = len;
	s->securityLevel = c->priv_protocol ? SNMP_SEC_LEVEL_AUTHPRIV :
	    SNMP_SEC_LEVEL_AUTHNOPRIV;
	s->securityAuthKeyLen = USM_AUTH_KU_LEN;
	if (s->securityName == NULL || s->securityAuthProto == NULL ||
	    (auth = usm_secret(u, c->auth_password_file)) == NULL ||
	    (c->priv_protocol && (priv = usm_secret(u,
	    c->priv_password_file)) == NULL))
		goto done;
	if (generate_Ku(s->securityAuthProto, (u_int)s->securityAuthProtoLen,
	    (u_char *)auth, strlen(auth), s->securityAuthKey,
	    &s->securityAuthKeyLen) != SNMPERR_SUCCESS) {
		plog(LOG_ERR, "ups=%s cannot make its SNMPv3 %s key",
		    u->name, c->auth_protocol);
		goto done;
	}
	if (priv) {
		proto = priv_proto(c->priv_protocol, &len);
		s->securityPrivProto = snmp_duplicate_objid(proto, len);
		s->securityPrivProtoLen = len;
		s->securityPrivKeyLen = USM_PRIV_KU_LEN;
		if (s->securityPrivProto == NULL || generate_Ku(
		    s->securityAuthProto, (u_int)s->securityAuthProtoLen,
		    (u_char *)priv, strlen(priv), s->securityPrivKey,
		    &s->securityPrivKeyLen) != SNMPERR_SUCCESS) {
			plog(LOG_ERR, "ups=%s cannot make its SNMPv3 %s key",
			    u->name, c->priv_protocol);
			goto done;
		}
	}
	rc = 0;
done:
	secret_free(auth);
	secret_free(priv);
	return rc;
}

static netsnmp_session *
open_card(const struct policy_ups *u)
{
	netsnmp_session	 s, *ss = NULL;
	char		 peer[96];

	snmp_sess_init(&s);
	snprintf(peer, sizeof(peer), "udp%s:%s%s%s:%d",
	    u->addrs[0].family == AF_INET6 ? "6" : "",
	    u->addrs[0].family == AF_INET6 ? "[" : "", u->addrs[0].text,
	    u->addrs[0].family == AF_INET6 ? "]" : "", u->snmp.port);
	s.peername = peer;
	s.timeout = POLL_TIMEOUT_US;
	s.retries = 1;
	if (u->snmp.version == POLICY_SNMP_V3) {
		s.version = SNMP_VERSION_3;
		if (setup_v3(&s, u) == -1)
			goto done;
	} else {
		s.version = u->snmp.version == POLICY_SNMP_V1 ?
		    SNMP_VERSION_1 : SNMP_VERSION_2c;
		s.community = (u_char *)u->snmp.community;
		s.community_len = strlen(u->snmp.community);
	}
	if ((ss = snmp_open(&s)) == NULL)
		plog(LOG_ERR, "ups=%s cannot open an SNMP session to %s: not "
		    "polled", u->name, peer);
done:
	/* Ku opens the card to whoever has it, as the password does; the
	 * session keeps its own copy. */
	explicit_bzero(s.securityAuthKey, sizeof(s.securityAuthKey));
	explicit_bzero(s.securityPrivKey, sizeof(s.securityPrivKey));
	free(s.securityName);
	free(s.securityAuthProto);
	free(s.securityPrivProto);
	return ss;
}

int
poll_start(const struct policy *p, poll_state_fn *on_state,
    poll_confirm_fn *on_confirm, double (*now)(void))
{
	struct timeval	 tv;
	size_t		 i;

	pl.on_state = on_state;
	pl.on_confirm = on_confirm;
	pl.now = now;
	if (status_lens[0] == 0 && parse_oids() == -1)
		return -1;
	if ((pl.cards = calloc(p->nups + 1, sizeof(*pl.cards))) == NULL)
		return -1;
	for (i = 0; i < p->nups; i++) {
		struct card *c = &pl.cards[pl.ncards];

		if (p->ups[i].snmp.version == POLICY_SNMP_NONE)
			continue;
		c->ups = i;
		c->cfg = &p->ups[i];
		c->family = -1;
		pl.ncards++;
		/* Kept, unopened: its confirmations are refused, not passed. */
		if ((c->ss = open_card(c->cfg)) == NULL)
			continue;
		tv.tv_sec = (time_t)c->cfg->snmp.poll_interval;
		tv.tv_usec = (suseconds_t)((c->cfg->snmp.poll_interval -
		    (double)tv.tv_sec) * 1e6);
		c->alarm = snmp_alarm_register_hr(tv, SA_REPEAT, tick, c);
		tick(0, c);	/* learn the state now, not in an interval */
	}
	return 0;
}

/* Requests still out are forgotten; confirmations are the caller's. */
void
poll_stop(void)
{
	struct request	*rq, *next;
	size_t		 i;

	for (i = 0; i < pl.ncards; i++) {
		if (pl.cards[i].ss == NULL)
			continue;
		snmp_alarm_unregister(pl.cards[i].alarm);
		snmp_close(pl.cards[i].ss);
	}
	for (rq = pl.outstanding; rq; rq = next) {
		next = rq->next;
		free(rq);
	}
	pl.outstanding = NULL;
	free(pl.cards);
	pl.cards = NULL;
	pl.ncards = 0;
}

int
poll_confirm(size_t ups, unsigned long id)
{
	size_t	 i;

	for (i = 0; i < pl.ncards; i++)
		if (pl.cards[i].ups == ups)
			return pl.cards[i].ss == NULL ? POLL_CANNOT_ASK :
			    send_get(&pl.cards[i], id) == 0 ? 0 : POLL_CANNOT_ASK;
	return POLL_NOT_POLLED;
}
