/*
 * Policy loader: one failing policy per rule of DESIGN.md "The policy",
 * each asserting the exact JSON path and message. Policies are written with single quotes
 * for readability and turned into JSON before parsing.
 */
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "policy.h"

#define UPS1 "'ups1':{'address':'10.0.0.11','warning_period':180}"
#define POOL_HEAD "'url':'https://10.0.0.21','username':'root'," \
	"'password_file':'/dev/null',"
#define HOST1 "'xs1':{'powered_by':['ups1'],'maintenance_after':60," \
	"'shutdown_after':120}"
#define POOL1(hosts) "'pool1':{" POOL_HEAD "'hosts':{" hosts "}}"
#define DOC(ups, pools) "{'ups':{" ups "},'pools':{" pools "}}"

static struct report rep;

static struct policy *
load(const char *squoted)
{
	char		*json, *p;
	struct policy	*pol;

	json = strdup(squoted);
	assert_non_null(json);
	for (p = json; *p; p++)
		if (*p == '\'')
			*p = '"';
	report_free(&rep);
	pol = policy_parse(json, strlen(json), "/etc/upsxen/policy.json",
	    &rep);
	free(json);
	return pol;
}

static int
has_msg(enum report_severity sev, const char *msg)
{
	size_t	 i;

	for (i = 0; i < rep.n; i++)
		if (rep.items[i].severity == sev &&
		    strcmp(rep.items[i].msg, msg) == 0)
			return 1;
	return 0;
}

static void
dump(void)
{
	size_t	 i;

	for (i = 0; i < rep.n; i++)
		print_message("  got: %s\n", rep.items[i].msg);
}

static void
expect_error(const char *doc, const char *msg)
{
	struct policy	*p = load(doc);

	if (p != NULL || !has_msg(REPORT_ERROR, msg)) {
		print_message("expected error: %s\n", msg);
		dump();
	}
	assert_null(p);
	assert_true(has_msg(REPORT_ERROR, msg));
}

static void
expect_warning(const char *doc, const char *msg)
{
	struct policy	*p = load(doc);

	if (p == NULL || !has_msg(REPORT_WARNING, msg)) {
		print_message("expected warning: %s\n", msg);
		dump();
	}
	assert_non_null(p);
	assert_true(has_msg(REPORT_WARNING, msg));
	policy_free(p);
}

static void
test_valid(void **state)
{
	struct policy	*p;

	(void)state;
	p = load("{'state_dir':'/tmp/x','ups':{" UPS1 ",'ups2':{'address':"
	    "['10.0.0.12','fe80::1'],'warning_period':200.5,'snmp':{"
	    "'version':'2c','community':'c','poll_interval':0.5}}},'pools':{"
	    "'pool1':{" POOL_HEAD "'on_restore':'restore_vms','hosts':{"
	    HOST1 ",'xs2':{'powered_by':['ups1','ups2'],'shutdown_after':"
	    "0.25}}}},'traps':[{'oid':'.1.3.6.1.4.1.99.0.5','event':"
	    "'on_battery'}]}");
	if (p == NULL)
		dump();
	assert_non_null(p);
	assert_int_equal(rep.nerrors, 0);
	assert_string_equal(p->state_dir, "/tmp/x");
	assert_int_equal(p->nups, 2);
	assert_int_equal(p->ups[1].naddrs, 2);
	assert_string_equal(p->ups[1].addrs[1].text, "fe80::1");
	assert_true(p->ups[1].confirm);
	assert_false(p->ups[0].confirm);
	assert_int_equal(p->ups[1].snmp.version, POLICY_SNMP_V2C);
	assert_true(p->ups[1].snmp.poll_interval == 0.5);
	assert_int_equal(p->npools, 1);
	assert_int_equal(p->pools[0].on_restore, POLICY_RESTORE_VMS);
	assert_int_equal(p->pools[0].url_port, 443);
	assert_string_equal(p->pools[0].url_host, "10.0.0.21");
	assert_true(p->pools[0].vm_shutdown_timeout == 120);
	assert_true(p->pools[0].call_timeout == 10);
	assert_int_equal(p->nhosts, 2);
	assert_int_equal(p->hosts[1].npowered_by, 2);
	assert_int_equal(p->hosts[1].powered_by[1], 1);
	assert_false(p->hosts[1].has_maintenance);
	assert_true(p->hosts[1].shutdown_after == 0.25);
	assert_int_equal(p->ntraps, 1);
	assert_int_equal(p->traps[0].oid_len, 9);
	assert_int_equal(p->traps[0].oid[7], 0);
	assert_int_equal(p->traps[0].event, UPS_EV_ON_BATTERY);
	assert_int_equal(policy_host_index(p, "xs2"), 1);
	policy_free(p);
}

static void
test_syntax_error_has_line_and_column(void **state)
{
	(void)state;
	expect_error("{\n 'ups': {,\n}",
	    "/etc/upsxen/policy.json:2:10: string or '}' expected near ','");
	expect_error("{'ups':{},'ups':{}}", "/etc/upsxen/policy.json:1:15: "
	    "duplicate object key near '\"ups\"'");
	expect_error("[]", "(top level): the policy must be a JSON object, "
	    "not an array");
}

static void
test_unknown_keys(void **state)
{
	(void)state;
	expect_error("{'ups':{" UPS1 "},'pools':{" POOL1(HOST1) "},'pool':1}",
	    "pool: unknown key (expected one of: state_dir, ups, pools, "
	    "traps)");
	expect_error(DOC(UPS1, POOL1("'xs1':{'powered_by':['ups1'],"
	    "'shutdown_afer':120}")), "pools.pool1.hosts.xs1.shutdown_afer: "
	    "unknown key (expected one of: powered_by, maintenance_after, "
	    "shutdown_after)");
	expect_error(DOC("'ups1':{'address':'10.0.0.11','adress':1}",
	    POOL1(HOST1)), "ups.ups1.adress: unknown key (expected one of: "
	    "address, warning_period, low_battery_runtime, community, v3_user, "
	    "v3_level, snmp, confirm)");
}

static void
test_wrong_types(void **state)
{
	(void)state;
	expect_error(DOC(UPS1, POOL1("'xs1':{'powered_by':['ups1'],"
	    "'shutdown_after':'120'}")), "pools.pool1.hosts.xs1."
	    "shutdown_after: must be a number of seconds, not a string");
	expect_error(DOC(UPS1, "'pool1':{'url':1,'username':'root',"
	    "'password_file':'/dev/null','hosts':{" HOST1 "}}"),
	    "pools.pool1.url: must be a string, not a number");
	expect_error(DOC(UPS1, "'pool1':{" POOL_HEAD "'allow_plaintext':"
	    "'yes','hosts':{" HOST1 "}}"), "pools.pool1.allow_plaintext: "
	    "must be true or false, not a string");
	expect_error(DOC(UPS1, POOL1("'xs1':{'powered_by':'ups1',"
	    "'shutdown_after':120}")), "pools.pool1.hosts.xs1.powered_by: "
	    "must be a non-empty array of UPS names");
	expect_error(DOC("'ups1':[]", POOL1(HOST1)),
	    "ups.ups1: must be an object, not an array");
	expect_error("{'ups':{},'pools':{}}",
	    "ups: must be an object with at least one UPS");
	expect_error(DOC(UPS1, "'pool1':{'username':'root',"
	    "'password_file':'/dev/null','hosts':{" HOST1 "}}"),
	    "pools.pool1.url: is required");
	expect_error("{'pools':{},\n  'pools':{}}",
	    "/etc/upsxen/policy.json:2:9: duplicate object key near "
	    "'\"pools\"'");
}

static void
test_durations(void **state)
{
	(void)state;
	expect_error(DOC(UPS1, POOL1("'xs1':{'powered_by':['ups1'],"
	    "'shutdown_after':-5}")), "pools.pool1.hosts.xs1.shutdown_after:"
	    " -5 is negative");
	expect_error(DOC("'ups1':{'address':'10.0.0.11'}", POOL1(
	    "'xs1':{'powered_by':['ups1'],'shutdown_after':100000}")),
	    "pools.pool1.hosts.xs1.shutdown_after: 100000 is absurd (more "
	    "than 86400 s)");
	expect_error(DOC("'ups1':{'address':'10.0.0.11','warning_period':0}",
	    POOL1(HOST1)), "ups.ups1.warning_period: 0 must be more than 0 s");
	expect_error(DOC(UPS1, "'pool1':{" POOL_HEAD "'call_timeout':0,"
	    "'hosts':{" HOST1 "}}"), "pools.pool1.call_timeout: 0 must be "
	    "more than 0 s");
	expect_error(DOC(UPS1, "'pool1':{" POOL_HEAD "'vm_shutdown_timeout':"
	    "7200,'hosts':{" HOST1 "}}"), "pools.pool1.vm_shutdown_timeout: "
	    "7200 is absurd (more than 3600 s)");
	expect_error("{'ups':\n  1e999}", "/etc/upsxen/policy.json:2:7: "
	    "real number overflow near '1e999'");
}

static void
test_host_rules(void **state)
{
	(void)state;
	expect_error(DOC(UPS1, POOL1("'xs1':{'powered_by':['ups9'],"
	    "'shutdown_after':120}")), "pools.pool1.hosts.xs1.powered_by[0]: "
	    "\"ups9\" is not a UPS of this policy");
	expect_error(DOC(UPS1, POOL1("'xs1':{'powered_by':['ups1','ups1'],"
	    "'shutdown_after':120}")), "pools.pool1.hosts.xs1.powered_by[1]: "
	    "\"ups1\" is listed twice");
	expect_error(DOC(UPS1, POOL1("'xs1':{'powered_by':['ups1']}")),
	    "pools.pool1.hosts.xs1: neither maintenance_after nor "
	    "shutdown_after is set");
	expect_error(DOC(UPS1, POOL1("'xs1':{'powered_by':['ups1'],"
	    "'maintenance_after':130,'shutdown_after':120}")),
	    "pools.pool1.hosts.xs1.maintenance_after: 130 is later than "
	    "shutdown_after (120)");
	expect_error(DOC(UPS1, POOL1("'xs1':{'powered_by':['ups1'],"
	    "'shutdown_after':200}")), "pools.pool1.hosts.xs1.shutdown_after: "
	    "200 is not shorter than ups.ups1.warning_period (180)");
	/* Equal is not shorter: the card starts its own countdown then. */
	expect_error(DOC(UPS1 ",'ups2':{'address':'10.0.0.12',"
	    "'warning_period':90}", POOL1("'xs1':{'powered_by':['ups1',"
	    "'ups2'],'maintenance_after':90,'shutdown_after':120}")),
	    "pools.pool1.hosts.xs1.maintenance_after: 90 is not shorter than "
	    "ups.ups2.warning_period (90)");
	expect_error(DOC(UPS1, POOL1(HOST1) ",'pool2':{'url':"
	    "'https://10.0.0.31','username':'root','password_file':"
	    "'/dev/null','hosts':{" HOST1 "}}"), "pools.pool2.hosts.xs1: host "
	    "is already in pools.pool1 (a host belongs to one pool)");
	expect_error(DOC(UPS1, POOL1("")), "pools.pool1.hosts: must be an "
	    "object with at least one host");
}

/*
 * The deadline budget: a host must be off (shutdown_after + halt_time)
 * before its UPS gives out, and its VMs need stop_budget to stop.
 */
static void
test_budget(void **state)
{
	(void)state;
	/* The case of a timer just under the warning period. */
	expect_error(DOC(UPS1, POOL1("'xs1':{'powered_by':['ups1'],"
	    "'shutdown_after':179.9}")), "pools.pool1.hosts.xs1."
	    "shutdown_after: 179.9 + halt_time 60 = 239.9 s: the host would "
	    "not be off before ups.ups1.warning_period (180) ends");
	/* halt_time is the pool's; a short one makes the same timer fit. */
	expect_error(DOC(UPS1, "'pool1':{" POOL_HEAD "'halt_time':50,"
	    "'hosts':{'xs1':{'powered_by':['ups1'],'shutdown_after':135}}}"),
	    "pools.pool1.hosts.xs1.shutdown_after: 135 + halt_time 50 = 185 "
	    "s: the host would not be off before ups.ups1.warning_period "
	    "(180) ends");
	expect_warning(DOC(UPS1, "'pool1':{" POOL_HEAD "'halt_time':50,"
	    "'hosts':{'xs1':{'powered_by':['ups1'],'shutdown_after':110}}}"),
	    "pools.pool1.hosts.xs1.shutdown_after: 110 + stop_budget 30 + "
	    "halt_time 50 is more than ups.ups1.warning_period (180): VMs "
	    "left when it starts to leave are stopped at once, hard if need "
	    "be");
	expect_warning(DOC(UPS1, POOL1("'xs1':{'powered_by':['ups1'],"
	    "'maintenance_after':100,'shutdown_after':110}")),
	    "pools.pool1.hosts.xs1.maintenance_after: 100 leaves 10 s before "
	    "shutdown_after, less than stop_budget (30): no time to evacuate, "
	    "VMs are stopped");
	/* Every feed counts: the shortest warning period decides. */
	expect_error(DOC(UPS1 ",'ups2':{'address':'10.0.0.12',"
	    "'warning_period':150}", POOL1("'xs1':{'powered_by':['ups1',"
	    "'ups2'],'maintenance_after':30,'shutdown_after':100}")),
	    "pools.pool1.hosts.xs1.shutdown_after: 100 + halt_time 60 = 160 "
	    "s: the host would not be off before ups.ups2.warning_period "
	    "(150) ends");
	expect_error(DOC(UPS1, "'pool1':{" POOL_HEAD "'stop_budget':-1,"
	    "'hosts':{" HOST1 "}}"), "pools.pool1.stop_budget: -1 is negative");
}

/* The way back: power_on_after seconds, or false; boot_timeout. */
static void
test_power_on_keys(void **state)
{
	struct policy	*p;

	(void)state;
	p = load(DOC(UPS1, POOL1(HOST1)));
	assert_non_null(p);
	assert_true(p->pools[0].power_on);
	assert_true(p->pools[0].power_on_after ==
	    POLICY_DEFAULT_POWER_ON_AFTER);
	assert_true(p->pools[0].boot_timeout == POLICY_DEFAULT_BOOT_TIMEOUT);
	policy_free(p);
	p = load(DOC(UPS1, "'pool1':{" POOL_HEAD "'power_on_after':false,"
	    "'boot_timeout':300,'hosts':{" HOST1 "}}"));
	assert_non_null(p);
	assert_false(p->pools[0].power_on);
	assert_true(p->pools[0].boot_timeout == 300);
	policy_free(p);
	expect_error(DOC(UPS1, "'pool1':{" POOL_HEAD "'power_on_after':true,"
	    "'hosts':{" HOST1 "}}"), "pools.pool1.power_on_after: must be a "
	    "number of seconds, or false for hosts that are powered on by "
	    "hand");
	expect_error(DOC(UPS1, "'pool1':{" POOL_HEAD "'boot_timeout':0,"
	    "'hosts':{" HOST1 "}}"), "pools.pool1.boot_timeout: 0 must be "
	    "more than 0 s");
}

static void
test_v3_level(void **state)
{
	struct policy	*p;

	(void)state;
	expect_error(DOC("'ups1':{'address':'10.0.0.11','warning_period':180,"
	    "'v3_level':'authPriv'}", POOL1(HOST1)),
	    "ups.ups1.v3_level: needs v3_user");
	expect_error(DOC("'ups1':{'address':'10.0.0.11','warning_period':180,"
	    "'v3_user':'nmc','v3_level':'noAuthNoPriv'}", POOL1(HOST1)),
	    "ups.ups1.v3_level: \"noAuthNoPriv\" is not authNoPriv or "
	    "authPriv");
	p = load(DOC("'ups1':{'address':'10.0.0.11','warning_period':180,"
	    "'v3_user':'nmc','v3_level':'authPriv'}", POOL1(HOST1)));
	assert_non_null(p);
	assert_true(p->ups[0].v3_priv);
	policy_free(p);
}

static void
test_addresses(void **state)
{
	(void)state;
	expect_error(DOC(UPS1 ",'ups2':{'address':['10.0.0.12',"
	    "'10.0.0.11']}", POOL1(HOST1)), "ups.ups2.address[1]: 10.0.0.11 "
	    "is already the address of ups.ups1");
	/* Two spellings of one IPv6 address are one address. */
	expect_error(DOC("'ups1':{'address':'2001:db8::1'},'ups2':{'address':"
	    "'2001:0db8:0:0::1'}", POOL1(HOST1)), "ups.ups2.address: "
	    "2001:db8::1 is already the address of ups.ups1");
	expect_error(DOC("'ups1':{'address':'nmc1.example'}", POOL1(HOST1)),
	    "ups.ups1.address: \"nmc1.example\" is not an IPv4 or IPv6 "
	    "address (traps are matched by their UDP source address)");
	expect_error(DOC("'ups1':{'warning_period':180}", POOL1(HOST1)),
	    "ups.ups1.address: is required");
}

static void
test_url(void **state)
{
	(void)state;
	expect_error(DOC(UPS1, "'pool1':{'url':'http://10.0.0.21',"
	    "'username':'root','password_file':'/dev/null','hosts':{" HOST1
	    "}}"), "pools.pool1.url: \"http://10.0.0.21\" is plain http: the "
	    "password would cross the network in clear (use https://, or set "
	    "allow_plaintext)");
	expect_error(DOC(UPS1, "'pool1':{'url':'ftp://10.0.0.21',"
	    "'username':'root','password_file':'/dev/null','hosts':{" HOST1
	    "}}"), "pools.pool1.url: \"ftp://10.0.0.21\" must start with "
	    "https:// (or http:// with allow_plaintext)");
	expect_error(DOC(UPS1, "'pool1':{'url':'https://10.0.0.21/RPC2',"
	    "'username':'root','password_file':'/dev/null','hosts':{" HOST1
	    "}}"), "pools.pool1.url: \"https://10.0.0.21/RPC2\" must not "
	    "have a path (XenAPI is served at /)");
	expect_error(DOC(UPS1, "'pool1':{'url':'https://h:99999',"
	    "'username':'root','password_file':'/dev/null','hosts':{" HOST1
	    "}}"), "pools.pool1.url: \"https://h:99999\" has a bad port");
}

static void
test_plaintext_allowed(void **state)
{
	struct policy	*p;

	(void)state;
	p = load(DOC(UPS1, "'pool1':{'url':'http://[::1]:8080/',"
	    "'allow_plaintext':true,'username':'root','password_file':"
	    "'/dev/null','hosts':{" HOST1 "}}"));
	assert_non_null(p);
	assert_false(p->pools[0].https);
	assert_string_equal(p->pools[0].url_host, "[::1]");
	assert_int_equal(p->pools[0].url_port, 8080);
	policy_free(p);
}

static void
test_tls(void **state)
{
	struct policy	*p;

	(void)state;
	expect_error(DOC(UPS1, "'pool1':{" POOL_HEAD "'tls':{'pin_sha256':"
	    "'abc'},'hosts':{" HOST1 "}}"), "pools.pool1.tls.pin_sha256: "
	    "\"abc\" is not a base64 SHA-256 public-key pin (44 characters "
	    "ending in '=', as `openssl pkey -pubin -outform der | openssl "
	    "dgst -sha256 -binary | base64` prints)");
	/* Right length, but the last symbol carries bits past 256. */
	expect_error(DOC(UPS1, "'pool1':{" POOL_HEAD "'tls':{'pin_sha256':"
	    "['47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV=']},'hosts':{"
	    HOST1 "}}"), "pools.pool1.tls.pin_sha256[0]: \"47DEQpj8HBSa+/"
	    "TImW+5JCeuQeRkm5NMpJWZG3hSuFV=\" is not a base64 SHA-256 "
	    "public-key pin (44 characters ending in '=', as `openssl pkey "
	    "-pubin -outform der | openssl dgst -sha256 -binary | base64` "
	    "prints)");
	expect_error(DOC(UPS1, "'pool1':{" POOL_HEAD "'tls':{'verify':false,"
	    "'ca_file':'ca.pem'},'hosts':{" HOST1 "}}"), "pools.pool1.tls: "
	    "verify is false: ca_file and pin_sha256 would be ignored");
	expect_warning(DOC(UPS1, "'pool1':{" POOL_HEAD "'tls':{'verify':"
	    "false},'hosts':{" HOST1 "}}"), "pools.pool1.tls: verify is "
	    "false: anyone on the path to the pool can impersonate it");
	expect_error(DOC(UPS1, "'pool1':{" POOL_HEAD "'tls':{'verify_name':"
	    "false},'hosts':{" HOST1 "}}"), "pools.pool1.tls: verify_name is "
	    "false without ca_file or pin_sha256: any certificate from a "
	    "public CA would be trusted");
	p = load(DOC(UPS1, "'pool1':{" POOL_HEAD "'tls':{'ca_file':'ca.pem',"
	    "'pin_sha256':'47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=',"
	    "'verify_name':false},'hosts':{" HOST1 "}}"));
	assert_non_null(p);
	assert_true(p->pools[0].tls.verify);
	assert_false(p->pools[0].tls.verify_name);
	assert_string_equal(p->pools[0].tls.ca_file, "/etc/upsxen/ca.pem");
	assert_string_equal(p->pools[0].tls.pins[0],
	    "sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
	policy_free(p);
}

static void
test_on_restore(void **state)
{
	(void)state;
	expect_error(DOC(UPS1, "'pool1':{" POOL_HEAD "'tls':{'verify_name':1},"
	    "'hosts':{" HOST1 "}}"), "pools.pool1.tls.verify_name: must be "
	    "true or false, not a number");
	expect_error(DOC(UPS1, "'pool1':{" POOL_HEAD "'on_restore':'restore',"
	    "'hosts':{" HOST1 "}}"), "pools.pool1.on_restore: must be "
	    "\"skip\" or \"restore_vms\"");
}

static void
test_traps(void **state)
{
	(void)state;
	expect_error("{'ups':{" UPS1 "},'pools':{" POOL1(HOST1) "},'traps':"
	    "[{'oid':'1.3.6.x','event':'on_battery'}]}", "traps[0].oid: "
	    "\"1.3.6.x\" is not a numeric OID such as 1.3.6.1.4.1.935.0.5");
	expect_error("{'ups':{" UPS1 "},'pools':{" POOL1(HOST1) "},'traps':"
	    "[{'oid':'1.3.6.1.4.1.935.0.05','event':'on_battery'}]}",
	    "traps[0].oid: \"1.3.6.1.4.1.935.0.05\" is not a numeric OID such "
	    "as 1.3.6.1.4.1.935.0.5");
	expect_error("{'ups':{" UPS1 "},'pools':{" POOL1(HOST1) "},'traps':"
	    "[{'oid':'1.3.6.1.4.1.935.0.5','event':'on_batery'}]}",
	    "traps[0].event: \"on_batery\" is not an event (on_battery, "
	    "power_restored, low_battery, battery_ok, shutdown_imminent, "
	    "comms_lost, comms_restored)");
	expect_error("{'ups':{" UPS1 "},'pools':{" POOL1(HOST1) "},'traps':"
	    "[{'oid':'1.3.6.1.4.1.99.0.5','event':'on_battery'},{'oid':"
	    "'1.3.6.1.4.1.99.0.5','event':'power_restored'}]}",
	    "traps[1]: the same OID as traps[0]");
	expect_error("{'ups':{" UPS1 "},'pools':{" POOL1(HOST1) "},'traps':"
	    "{}}", "traps: must be an array of {\"oid\", \"event\"} rows");
}

static void
test_snmp(void **state)
{
	(void)state;
	expect_error(DOC("'ups1':{'address':'10.0.0.11','snmp':{'version':"
	    "'2c'}}", POOL1(HOST1)), "ups.ups1.snmp: version 2c needs a "
	    "community");
	expect_error(DOC("'ups1':{'address':'10.0.0.11','snmp':{'version':"
	    "'3','auth_protocol':'SHA','auth_password_file':'/dev/null'}}",
	    POOL1(HOST1)), "ups.ups1.snmp: version 3 needs a user");
	expect_error(DOC("'ups1':{'address':'10.0.0.11','snmp':{'version':"
	    "'3','user':'u'}}", POOL1(HOST1)), "ups.ups1.snmp: version 3 "
	    "needs auth_protocol and auth_password_file");
	expect_error(DOC("'ups1':{'address':'10.0.0.11','snmp':{'version':"
	    "'3','user':'u','auth_protocol':'SHA1','auth_password_file':"
	    "'/dev/null'}}", POOL1(HOST1)), "ups.ups1.snmp.auth_protocol: "
	    "\"SHA1\" is not one of MD5, SHA, SHA-224, SHA-256, SHA-384, "
	    "SHA-512");
	expect_error(DOC("'ups1':{'address':'10.0.0.11','snmp':{'version':"
	    "'3','user':'u','auth_protocol':'SHA','auth_password_file':"
	    "'/dev/null','priv_protocol':'AES'}}", POOL1(HOST1)),
	    "ups.ups1.snmp: priv_protocol and priv_password_file go together");
	expect_error(DOC("'ups1':{'address':'10.0.0.11','snmp':{'version':"
	    "2}}", POOL1(HOST1)), "ups.ups1.snmp.version: must be \"1\", "
	    "\"2c\" or \"3\"");
	expect_error(DOC("'ups1':{'address':'10.0.0.11','confirm':true}",
	    POOL1(HOST1)), "ups.ups1.confirm: needs ups.ups1.snmp to poll "
	    "the card");
	expect_error(DOC("'ups1':{'address':'10.0.0.11','snmp':{'version':"
	    "'2c','community':'c','port':0}}", POOL1(HOST1)),
	    "ups.ups1.snmp.port: must be a port number from 1 to 65535");
}

static void
test_all_errors_reported(void **state)
{
	(void)state;
	expect_error(DOC("'ups1':{'address':'x'}", POOL1("'xs1':{"
	    "'powered_by':['nope'],'shutdown_after':-1},'xs2':{'powered_by':"
	    "['ups1']}")), "pools.pool1.hosts.xs2: neither maintenance_after "
	    "nor shutdown_after is set");
	assert_int_equal(rep.nerrors, 4);
	assert_true(has_msg(REPORT_ERROR, "ups.ups1.address: \"x\" is not an "
	    "IPv4 or IPv6 address (traps are matched by their UDP source "
	    "address)"));
	assert_true(has_msg(REPORT_ERROR, "pools.pool1.hosts.xs1.powered_by"
	    "[0]: \"nope\" is not a UPS of this policy"));
	assert_true(has_msg(REPORT_ERROR, "pools.pool1.hosts.xs1."
	    "shutdown_after: -1 is negative"));
}

static void
test_warnings(void **state)
{
	(void)state;
	expect_warning(DOC(UPS1, POOL1("'xs1':{'powered_by':['ups1'],"
	    "'maintenance_after':60}")), "pools.pool1.hosts.xs1: only "
	    "maintenance_after is set: the host stays on and goes down with "
	    "its UPS");
	expect_warning(DOC("'ups1':{'address':'10.0.0.11'}", POOL1(HOST1)),
	    "ups.ups1: no warning_period: the timers of its hosts cannot be "
	    "checked against the card's AC-failed warning period");
	expect_warning(DOC(UPS1 ",'ups2':{'address':'10.0.0.12',"
	    "'warning_period':180}", POOL1(HOST1)), "ups.ups2: powers no host "
	    "of this policy");
}

static void
expect_password_warning(mode_t mode, const char *tail, int error)
{
	char	 path[] = "/tmp/upsxen-pw-XXXXXX", doc[1024], msg[256];
	int	 fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
	snprintf(doc, sizeof(doc), DOC(UPS1, "'pool1':{'url':'https://h',"
	    "'username':'root','password_file':'%s','hosts':{" HOST1 "}}"),
	    path);
	snprintf(msg, sizeof(msg), "pools.pool1.password_file: %s %s", path,
	    tail);
	if (tail == NULL) {
		struct policy *p = load(doc);
		assert_non_null(p);
		assert_int_equal(rep.nwarnings, 0);
		policy_free(p);
	} else if (error)
		expect_error(doc, msg);
	else
		expect_warning(doc, msg);
	unlink(path);
}

static void
test_password_file(void **state)
{
	(void)state;
	expect_password_warning(0644, "is world-readable (the plugin refuses "
	    "it: chmod 600)", 1);
	expect_password_warning(0640, "is group-readable (chmod 600 unless "
	    "the group is the one snmptrapd runs as)", 0);
	expect_password_warning(0600, NULL, 0);
	expect_warning(DOC(UPS1, "'pool1':{'url':'https://h','username':"
	    "'root','password_file':'/nonexistent/pw','hosts':{" HOST1 "}}"),
	    "pools.pool1.password_file: /nonexistent/pw: No such file or "
	    "directory (the plugin cannot authenticate without it)");
}

static void
test_examples_load(void **state)
{
	static const char *const files[] = { "seed1-two-hosts.json",
	    "seed3-three-hosts.json", "redundant-feeds.json", NULL };
	const char *const	*f;
	char			 path[1024];
	struct policy		*p;

	(void)state;
	for (f = files; *f; f++) {
		snprintf(path, sizeof(path), "%s/%s", EXAMPLES_DIR, *f);
		report_free(&rep);
		p = policy_load(path, &rep);
		if (p == NULL)
			dump();
		assert_non_null(p);
		assert_int_equal(rep.nerrors, 0);
		policy_free(p);
	}
}

static void
test_oid_parse(void **state)
{
	unsigned long	*oid;
	size_t		 len;

	(void)state;
	assert_int_equal(policy_oid_parse("1.3.6.1.2.1.33.2.1", &oid, &len),
	    0);
	assert_int_equal(len, 9);
	assert_int_equal(oid[8], 1);
	free(oid);
	assert_int_equal(policy_oid_parse("1.3.4294967295", &oid, &len), 0);
	assert_int_equal(oid[2], 4294967295UL);
	free(oid);
	assert_int_equal(policy_oid_parse("1.3.4294967296", &oid, &len), -1);
	assert_int_equal(policy_oid_parse("1", &oid, &len), -1);
	assert_int_equal(policy_oid_parse("3.1", &oid, &len), -1);
	assert_int_equal(policy_oid_parse("1.3.", &oid, &len), -1);
	assert_int_equal(policy_oid_parse("", &oid, &len), -1);
}

static int
teardown(void **state)
{
	(void)state;
	report_free(&rep);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_syntax_error_has_line_and_column),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_host_rules),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_power_on_keys),
		cmocka_unit_test(test_v3_level),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_url),
		cmocka_unit_test(test_plaintext_allowed),
		cmocka_unit_test(test_tls),
		cmocka_unit_test(test_on_restore),
		cmocka_unit_test(test_traps),
		cmocka_unit_test(test_snmp),
		cmocka_unit_test(test_all_errors_reported),
		cmocka_unit_test(test_warnings),
		cmocka_unit_test(test_password_file),
		cmocka_unit_test(test_examples_load),
		cmocka_unit_test(test_oid_parse),
	};

	report_init(&rep);
	return cmocka_run_group_tests(tests, NULL, teardown);
}
