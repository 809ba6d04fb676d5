/*
 * Fuzz target: the trap handler on arbitrary PDUs. The bytes describe a
 * PDU (version, command, community, SNMPv3 security model, level and
 * name, enterprise, trap types, source address in any length, then
 * varbinds of any type, name and value) that is built with net-snmp's
 * own calls and handed to trap_handle(), with a fixed policy behind a
 * stand-in for the plugin's core.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "classify.h"
#include "policy.h"
#include "trap.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char fuzz_policy[] = "{\"ups\":{"
    "\"a\":{\"address\":\"127.0.0.11\",\"community\":\"public\"},"
    "\"b\":{\"address\":[\"127.0.0.12\",\"::1\"],\"v3_user\":\"nmc\"},"
    "\"c\":{\"address\":\"127.0.0.13\",\"v3_user\":\"nmc\","
    "\"v3_level\":\"authPriv\"}},"
    "\"pools\":{\"p\":{\"url\":\"https://h\",\"username\":\"u\","
    "\"password_file\":\"/dev/null\",\"hosts\":{\"h\":{"
    "\"powered_by\":[\"a\",\"b\",\"c\"],\"shutdown_after\":1}}}},"
    "\"traps\":[{\"oid\":\"1.3.6.1.4.1.99.0.1\",\"event\":\"on_battery\"}]}";

static struct policy	*policy;
static double		 clock_s;
static unsigned long	 events;

/* The core, as the trap handler sees it. */
const struct policy *
core_policy(void)
{
	return policy;
}

double
core_now(void)
{
	return clock_s += 0.5;
}

void
core_ups_event(size_t ups, enum ups_event ev, const char *source)
{
	if (ups >= policy->nups || (unsigned)ev >= UPS_EV_COUNT ||
	    source == NULL || source[0] == '\0')
		__builtin_trap();
	events++;
}

struct input {
	const uint8_t	*p;
	size_t		 n;
};

static unsigned
take(struct input *in)
{
	unsigned	 b;

	if (in->n == 0)
		return 0;
	b = *in->p++;
	in->n--;
	return b;
}

static size_t
take_oid(struct input *in, oid *o, size_t cap)
{
	size_t	 n = take(in) % (cap + 1), i;

	for (i = 0; i < n; i++)
		o[i] = take(in) | (in->n & 1 ? (oid)take(in) << 8 : 0);
	return n;
}

static void
set_source(netsnmp_pdu *pdu, struct input *in)
{
	static const size_t		 lens[] = { 0, 3,
	    sizeof(netsnmp_indexed_addr_pair), sizeof(struct sockaddr_in),
	    sizeof(struct sockaddr_in6), sizeof(netsnmp_addr_pair) };
	netsnmp_indexed_addr_pair	*a;
	size_t				 len = lens[take(in) % 6];

	if (len == 0)
		return;
	a = calloc(1, sizeof(*a) > len ? sizeof(*a) : len);
	if (a == NULL)
		return;
	memcpy(a, in->p, in->n < len ? in->n : len);
	if (take(in) & 1) {
		/* Often a well-formed loopback source, to get past it. */
		a->remote_addr.sin.sin_family = AF_INET;
		a->remote_addr.sin.sin_addr.s_addr = htonl(0x7f00000b +
		    take(in) % 3);
	}
	pdu->transport_data = a;
	pdu->transport_data_length = (int)len;
}

/*
 * What snmptrapd's USM leaves in a v3 PDU: any model and level (0 and
 * 4 are none), and a name that is the policy's, another, empty, the
 * policy's with more after it, or bytes from the input.
 */
static void
set_v3(netsnmp_pdu *pdu, struct input *in)
{
	static const int	 models[] = { SNMP_SEC_MODEL_USM,
	    SNMP_SEC_MODEL_ANY, SNMP_SEC_MODEL_SNMPv1, SNMP_SEC_MODEL_SNMPv2c,
	    SNMP_SEC_MODEL_TSM, SNMP_SEC_MODEL_SNMPv2p };
	static const char *const names[] = { "nmc", "other", "", "nmc\001",
	    "NMC" };
	unsigned		 b = take(in);
	size_t			 n;
	char			*s;

	pdu->securityModel = models[(b >> 2) % 6];
	pdu->securityLevel = (int)(take(in) % 5);
	switch (b & 3) {
	case 0:
		return;
	case 1:
	case 2:
		s = strdup(names[take(in) % 5]);
		break;
	default:
		n = take(in) % 24;
		n = n < in->n ? n : in->n;
		if ((s = malloc(n + 1)) != NULL) {
			memcpy(s, in->p, n);
			s[n] = '\0';
		}
		in->p += n;
		in->n -= n;
		break;
	}
	if (s == NULL)
		return;
	pdu->securityName = s;
	pdu->securityNameLen = strlen(s);
}

static void
add_varbinds(netsnmp_pdu *pdu, struct input *in)
{
	static const u_char	 types[] = { ASN_INTEGER, ASN_OCTET_STR,
	    ASN_OBJECT_ID, ASN_TIMETICKS, ASN_IPADDRESS, ASN_NULL,
	    ASN_COUNTER64, SNMP_NOSUCHOBJECT };
	oid			 name[MAX_OID_LEN], val[64];
	size_t			 nlen, vlen;
	u_char			 type;

	while (in->n > 0) {
		type = types[take(in) % sizeof(types)];
		if (take(in) & 1) {	/* snmpTrapOID.0 */
			static const oid to[] = { 1, 3, 6, 1, 6, 3, 1, 1, 4,
			    1, 0 };
			memcpy(name, to, sizeof(to));
			nlen = OID_LENGTH(to);
		} else
			nlen = take_oid(in, name, 20);
		if (nlen == 0)
			name[nlen++] = 1;
		if (type == ASN_OBJECT_ID) {
			vlen = take_oid(in, val, 64) * sizeof(oid);
			snmp_pdu_add_variable(pdu, name, nlen, type,
			    (u_char *)val, vlen);
		} else {
			vlen = take(in) % 16;
			vlen = vlen < in->n ? vlen : in->n;
			snmp_pdu_add_variable(pdu, name, nlen, type, in->p,
			    vlen);
			in->p += vlen;
			in->n -= vlen;
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct input	 in = { data, len };
	struct report	 rep;
	netsnmp_pdu	*pdu;
	oid		 ent[MAX_OID_LEN];
	unsigned	 v;
	char		 comm[32];
	size_t		 clen;

	if (policy == NULL) {
		snmp_enable_filelog("/dev/null", 0);
		report_init(&rep);
		policy = policy_parse(fuzz_policy, strlen(fuzz_policy),
		    "fuzz", &rep);
		if (policy == NULL)
			fprintf(stderr, "fuzz_trap: policy: %s\n",
			    report_first(&rep, REPORT_ERROR));
		report_free(&rep);
		if (policy == NULL || classify_init() == -1)
			__builtin_trap();
	}
	v = take(&in);
	pdu = snmp_pdu_create(v & 1 ? SNMP_MSG_TRAP : SNMP_MSG_TRAP2);
	pdu->version = v & 2 ? SNMP_VERSION_1 : v & 4 ? SNMP_VERSION_3 :
	    SNMP_VERSION_2c;
	clen = take(&in) % sizeof(comm);
	clen = clen < in.n ? clen : in.n;
	memcpy(comm, in.p, clen);
	in.p += clen;
	in.n -= clen;
	if (take(&in) & 1) {
		pdu->community = malloc(clen + 1);
		if (pdu->community) {
			memcpy(pdu->community, comm, clen);
			pdu->community_len = clen;
		}
	}
	if (pdu->version == SNMP_VERSION_3)
		set_v3(pdu, &in);
	if (pdu->command == SNMP_MSG_TRAP) {
		pdu->enterprise_length = take_oid(&in, ent, 30);
		if (pdu->enterprise_length)
			pdu->enterprise = snmp_duplicate_objid(ent,
			    pdu->enterprise_length);
		pdu->trap_type = (long)take(&in) - 1;
		pdu->specific_type = (long)take(&in);
	}
	set_source(pdu, &in);
	add_varbinds(pdu, &in);
	trap_handle(pdu, NULL, NULL);
	snmp_free_pdu(pdu);
	return 0;
}
