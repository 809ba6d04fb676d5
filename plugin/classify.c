/*
 * The built-in classification table. Rows are written as dotted OIDs, the
 * way the card vendors' MIBs print them, and parsed once at start-up.
 * A v1 trap arrives as enterprise.0.specific (RFC 2576); where the v2 OID
 * has no ".0." (RFC 1628's upsTraps), the lookup also tries the OID with
 * that 0 removed, so both forms match one row.
 */
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "policy.h"

struct row {
	const char	*oid;
	enum ups_event	 ev;
};

static const struct row builtin[] = {
	/* RFC 1628 UPS-MIB: upsTrapOnBattery (resent every minute). */
	{ "1.3.6.1.2.1.33.2.1", UPS_EV_ON_BATTERY },
	/* APC PowerNet */
	{ "1.3.6.1.4.1.318.0.5", UPS_EV_ON_BATTERY },
	{ "1.3.6.1.4.1.318.0.9", UPS_EV_POWER_RESTORED },
	{ "1.3.6.1.4.1.318.0.7", UPS_EV_LOW_BATTERY },
	{ "1.3.6.1.4.1.318.0.11", UPS_EV_BATTERY_OK },
	{ "1.3.6.1.4.1.318.0.1", UPS_EV_COMMS_LOST },
	{ "1.3.6.1.4.1.318.0.8", UPS_EV_COMMS_RESTORED },
	{ "1.3.6.1.4.1.318.0.777", UPS_EV_ON_BATTERY },	/* a variant */
	{ "1.3.6.1.4.1.318.0.13", UPS_EV_SHUTDOWN_IMMINENT },	/* sleeping */
	/* PPC / Megatec / Winpower NMC */
	{ "1.3.6.1.4.1.935.0.5", UPS_EV_ON_BATTERY },
	{ "1.3.6.1.4.1.935.0.9", UPS_EV_POWER_RESTORED },
	{ "1.3.6.1.4.1.935.0.7", UPS_EV_LOW_BATTERY },
	{ "1.3.6.1.4.1.935.0.11", UPS_EV_BATTERY_OK },
	{ "1.3.6.1.4.1.935.0.67", UPS_EV_SHUTDOWN_IMMINENT },
	{ "1.3.6.1.4.1.935.0.13", UPS_EV_SHUTDOWN_IMMINENT },	/* sleeping */
	/* Its own shutdown traps, .52 to .62: the load is about to go. */
	{ "1.3.6.1.4.1.935.0.52", UPS_EV_SHUTDOWN_IMMINENT },
	{ "1.3.6.1.4.1.935.0.53", UPS_EV_SHUTDOWN_IMMINENT },
	{ "1.3.6.1.4.1.935.0.54", UPS_EV_SHUTDOWN_IMMINENT },
	{ "1.3.6.1.4.1.935.0.55", UPS_EV_SHUTDOWN_IMMINENT },
	{ "1.3.6.1.4.1.935.0.56", UPS_EV_SHUTDOWN_IMMINENT },
	{ "1.3.6.1.4.1.935.0.57", UPS_EV_SHUTDOWN_IMMINENT },
	{ "1.3.6.1.4.1.935.0.58", UPS_EV_SHUTDOWN_IMMINENT },
	{ "1.3.6.1.4.1.935.0.59", UPS_EV_SHUTDOWN_IMMINENT },
	{ "1.3.6.1.4.1.935.0.60", UPS_EV_SHUTDOWN_IMMINENT },
	{ "1.3.6.1.4.1.935.0.61", UPS_EV_SHUTDOWN_IMMINENT },
	{ "1.3.6.1.4.1.935.0.62", UPS_EV_SHUTDOWN_IMMINENT },
	{ "1.3.6.1.4.1.935.0.1", UPS_EV_COMMS_LOST },
	{ "1.3.6.1.4.1.935.0.8", UPS_EV_COMMS_RESTORED },
	/* Eaton XUPS, in the three trees its cards can send under. */
	{ "1.3.6.1.4.1.534.1.11.4.1.0.3", UPS_EV_ON_BATTERY },
	{ "1.3.6.1.4.1.534.1.11.4.1.0.5", UPS_EV_POWER_RESTORED },
	{ "1.3.6.1.4.1.534.1.11.4.1.0.4", UPS_EV_LOW_BATTERY },
	{ "1.3.6.1.4.1.534.1.11.4.1.0.6", UPS_EV_BATTERY_OK },
	{ "1.3.6.1.4.1.534.1.11.4.1.0.16", UPS_EV_SHUTDOWN_IMMINENT },
	{ "1.3.6.1.4.1.534.1.11.4.1.0.26", UPS_EV_COMMS_LOST },
	{ "1.3.6.1.4.1.534.1.11.4.1.0.1", UPS_EV_SHUTDOWN_IMMINENT },	/* control off */
	{ "1.3.6.1.4.1.534.1.11.4.1.0.27", UPS_EV_SHUTDOWN_IMMINENT },	/* shutdown pending */
	{ "1.3.6.1.4.1.534.1.11.4.1.0.17", UPS_EV_POWER_RESTORED },	/* on inverter */
	{ "1.3.6.1.4.1.534.1.11.4.2.0.3", UPS_EV_ON_BATTERY },
	{ "1.3.6.1.4.1.534.1.11.4.2.0.5", UPS_EV_POWER_RESTORED },
	{ "1.3.6.1.4.1.534.1.11.4.2.0.4", UPS_EV_LOW_BATTERY },
	{ "1.3.6.1.4.1.534.1.11.4.2.0.6", UPS_EV_BATTERY_OK },
	{ "1.3.6.1.4.1.534.1.11.4.2.0.16", UPS_EV_SHUTDOWN_IMMINENT },
	{ "1.3.6.1.4.1.534.1.11.4.2.0.26", UPS_EV_COMMS_LOST },
	{ "1.3.6.1.4.1.534.1.11.4.2.0.1", UPS_EV_SHUTDOWN_IMMINENT },	/* control off */
	{ "1.3.6.1.4.1.534.1.11.4.2.0.27", UPS_EV_SHUTDOWN_IMMINENT },	/* shutdown pending */
	{ "1.3.6.1.4.1.534.1.11.4.2.0.17", UPS_EV_POWER_RESTORED },	/* on inverter */
	{ "1.3.6.1.4.1.534.1.0.0.0.3", UPS_EV_ON_BATTERY },
	{ "1.3.6.1.4.1.534.1.0.0.0.5", UPS_EV_POWER_RESTORED },
	{ "1.3.6.1.4.1.534.1.0.0.0.4", UPS_EV_LOW_BATTERY },
	{ "1.3.6.1.4.1.534.1.0.0.0.6", UPS_EV_BATTERY_OK },
	{ "1.3.6.1.4.1.534.1.0.0.0.16", UPS_EV_SHUTDOWN_IMMINENT },
	{ "1.3.6.1.4.1.534.1.0.0.0.26", UPS_EV_COMMS_LOST },
	{ "1.3.6.1.4.1.534.1.0.0.0.1", UPS_EV_SHUTDOWN_IMMINENT },	/* control off */
	{ "1.3.6.1.4.1.534.1.0.0.0.27", UPS_EV_SHUTDOWN_IMMINENT },	/* shutdown pending */
	{ "1.3.6.1.4.1.534.1.0.0.0.17", UPS_EV_POWER_RESTORED },	/* on inverter */
	/* MGE */
	{ "1.3.6.1.4.1.705.1.11.0.11", UPS_EV_ON_BATTERY },
	{ "1.3.6.1.4.1.705.1.11.0.12", UPS_EV_POWER_RESTORED },
	{ "1.3.6.1.4.1.705.1.11.0.5", UPS_EV_LOW_BATTERY },
	{ "1.3.6.1.4.1.705.1.11.0.6", UPS_EV_BATTERY_OK },
	{ "1.3.6.1.4.1.705.1.11.0.37", UPS_EV_COMMS_LOST },
	{ "1.3.6.1.4.1.705.1.11.0.38", UPS_EV_COMMS_RESTORED },
	{ "1.3.6.1.4.1.705.1.11.0.18", UPS_EV_POWER_RESTORED },	/* utility */
	{ "1.3.6.1.4.1.705.1.11.0.29", UPS_EV_SHUTDOWN_IMMINENT },
	{ "1.3.6.1.4.1.705.1.11.0.31", UPS_EV_SHUTDOWN_IMMINENT },
	/* CyberPower */
	{ "1.3.6.1.4.1.3808.0.5", UPS_EV_ON_BATTERY },
	{ "1.3.6.1.4.1.3808.0.9", UPS_EV_POWER_RESTORED },
	{ "1.3.6.1.4.1.3808.0.7", UPS_EV_LOW_BATTERY },
	{ "1.3.6.1.4.1.3808.0.11", UPS_EV_BATTERY_OK },
	{ "1.3.6.1.4.1.3808.0.58", UPS_EV_ON_BATTERY },	/* a variant */
	{ "1.3.6.1.4.1.3808.0.13", UPS_EV_SHUTDOWN_IMMINENT },	/* sleeping */
	{ "1.3.6.1.4.1.3808.0.29", UPS_EV_SHUTDOWN_IMMINENT },	/* clients */
	{ "1.3.6.1.4.1.3808.0.1", UPS_EV_COMMS_LOST },
	{ "1.3.6.1.4.1.3808.0.8", UPS_EV_COMMS_RESTORED },
};

#define NROWS	(sizeof(builtin) / sizeof(builtin[0]))

/* RFC 1628 upsTrapAlarmEntryAdded / Removed and upsWellKnownAlarms. */
static const unsigned long alarm_added[] = { 1, 3, 6, 1, 2, 1, 33, 2, 3 };
static const unsigned long alarm_removed[] = { 1, 3, 6, 1, 2, 1, 33, 2, 4 };
static const unsigned long alarm_prefix[CLASSIFY_ALARM_PREFIX_LEN] = {
    1, 3, 6, 1, 2, 1, 33, 1, 6, 3 };

#define ALARM_ON_BATTERY	2
#define ALARM_LOW_BATTERY	3
#define ALARM_COMMS_LOST	20
#define ALARM_OUTPUT_OFF	14
#define ALARM_SYSTEM_OFF	15
#define ALARM_AWAITING_POWER	21	/* output off until mains is back */
#define ALARM_SHUTDOWN_PENDING	22
#define ALARM_SHUTDOWN_IMMINENT	23

struct parsed {
	unsigned long	*oid;
	size_t		 len;
	enum ups_event	 ev;
};

static struct parsed	 table[NROWS];

int
classify_init(void)
{
	size_t	 i;

	if (table[0].oid != NULL)
		return 0;
	for (i = 0; i < NROWS; i++) {
		if (policy_oid_parse(builtin[i].oid, &table[i].oid,
		    &table[i].len) == -1) {
			classify_free();
			return -1;
		}
		table[i].ev = builtin[i].ev;
	}
	return 0;
}

void
classify_free(void)
{
	size_t	 i;

	for (i = 0; i < NROWS; i++) {
		free(table[i].oid);
		table[i].oid = NULL;
	}
}

static int
same(const unsigned long *a, size_t alen, const unsigned long *b,
    size_t blen)
{
	return alen == blen && memcmp(a, b, alen * sizeof(*a)) == 0;
}

static int
lookup(const struct policy *p, const unsigned long *o, size_t len,
    enum ups_event *ev)
{
	size_t	 i;

	/* The policy's rows first: an operator may re-map a vendor OID. */
	for (i = 0; p && i < p->ntraps; i++)
		if (same(p->traps[i].oid, p->traps[i].oid_len, o, len)) {
			*ev = p->traps[i].event;
			return 0;
		}
	for (i = 0; i < NROWS; i++)
		if (same(table[i].oid, table[i].len, o, len)) {
			*ev = table[i].ev;
			return 0;
		}
	return -1;
}

int
classify_is_alarm_descr(const unsigned long *o, size_t len)
{
	return len == CLASSIFY_ALARM_PREFIX_LEN + 1 &&
	    memcmp(o, alarm_prefix, sizeof(alarm_prefix)) == 0;
}

static int
classify_alarm(int added, const unsigned long *descr, size_t dlen,
    enum ups_event *ev)
{
	if (descr == NULL || !classify_is_alarm_descr(descr, dlen))
		return -1;
	switch (descr[dlen - 1]) {
	case ALARM_ON_BATTERY:
		*ev = added ? UPS_EV_ON_BATTERY : UPS_EV_POWER_RESTORED;
		return 0;
	case ALARM_LOW_BATTERY:
		*ev = added ? UPS_EV_LOW_BATTERY : UPS_EV_BATTERY_OK;
		return 0;
	case ALARM_COMMS_LOST:
		*ev = added ? UPS_EV_COMMS_LOST : UPS_EV_COMMS_RESTORED;
		return 0;
	case ALARM_OUTPUT_OFF:
	case ALARM_SYSTEM_OFF:
	case ALARM_AWAITING_POWER:
	case ALARM_SHUTDOWN_PENDING:
	case ALARM_SHUTDOWN_IMMINENT:
		/* An alarm that clears says nothing about the battery. */
		if (!added)
			return -1;
		*ev = UPS_EV_SHUTDOWN_IMMINENT;
		return 0;
	}
	return -1;
}

/* The v2 form of a v1 OID ending in .0.N: the same without the 0. */
static size_t
strip_v1_zero(const unsigned long *o, size_t len, unsigned long *out,
    size_t cap)
{
	if (len < 3 || len > cap || o[len - 2] != 0)
		return 0;
	memcpy(out, o, (len - 2) * sizeof(*o));
	out[len - 2] = o[len - 1];
	return len - 1;
}

int
classify_trap(const struct policy *p, const unsigned long *o, size_t len,
    const unsigned long *descr, size_t dlen, enum ups_event *ev)
{
	unsigned long	 v2[POLICY_MAX_OID_LEN];
	size_t		 v2len;

	if (o == NULL || len == 0)
		return -1;
	if (lookup(p, o, len, ev) == 0)
		return 0;
	v2len = strip_v1_zero(o, len, v2, POLICY_MAX_OID_LEN);
	if (v2len && lookup(p, v2, v2len, ev) == 0)
		return 0;
	if (!v2len) {
		v2len = len;
		if (len > POLICY_MAX_OID_LEN)
			return -1;
		memcpy(v2, o, len * sizeof(*o));
	}
	if (same(v2, v2len, alarm_added, 9))
		return classify_alarm(1, descr, dlen, ev);
	if (same(v2, v2len, alarm_removed, 9))
		return classify_alarm(0, descr, dlen, ev);
	return -1;
}
