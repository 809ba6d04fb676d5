/*
 * Entry point. snmptrapd has no dlmod: upsxen.so is loaded with
 * LD_PRELOAD and sets itself up from a constructor (DESIGN.md
 * "snmptrapd"). It registers the upsxenPolicy directive and a global
 * post-handler, then waits for snmptrapd to read its configuration.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "log.h"
#include "trap.h"
#include "trapd.h"

/* Children of traphandle must not load us: drop our entry only. */
static void
strip_preload(void)
{
	const char	*pre = getenv("LD_PRELOAD");
	char		*copy, *tok, *save = NULL, *out;
	size_t		 len;

	if (pre == NULL)
		return;
	len = strlen(pre) + 1;
	copy = strdup(pre);
	out = calloc(1, len);
	if (copy == NULL || out == NULL) {
		unsetenv("LD_PRELOAD");
		goto done;
	}
	for (tok = strtok_r(copy, ": ", &save); tok;
	    tok = strtok_r(NULL, ": ", &save)) {
		if (strstr(tok, "upsxen") != NULL)
			continue;
		if (out[0])
			strcat(out, ":");
		strcat(out, tok);
	}
	if (out[0])
		setenv("LD_PRELOAD", out, 1);
	else
		unsetenv("LD_PRELOAD");
done:
	free(copy);
	free(out);
}

static void
conf_policy(const char *token, char *line)
{
	(void)token;
	while (*line == ' ' || *line == '\t')
		line++;
	line[strcspn(line, " \t\r\n")] = '\0';
	if (*line == '\0') {
		config_perror("upsxenPolicy needs the path of a policy file");
		return;
	}
	core_set_policy_path(line);
}

static void
conf_free(void)
{
	core_clear_policy_path();
}

/*
 * As snmptrapd -n: no sender's name is looked up. Debian's unit does not
 * pass -n, and with a resolver that does not answer every v2c trap waits
 * out its timeout before any handler runs (DESIGN.md "snmptrapd").
 * Traps are told apart by address; the log shows addresses.
 */
static void
numeric_senders(void)
{
	netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID,
	    NETSNMP_DS_APP_NUMERIC_IP, 1);
}

static int
config_done(int major, int minor, void *server, void *client)
{
	(void)major;
	(void)minor;
	(void)server;
	(void)client;
	numeric_senders();
	core_config_done();
	return 0;
}

static int
shutting_down(int major, int minor, void *server, void *client)
{
	(void)major;
	(void)minor;
	(void)server;
	(void)client;
	trap_stop();
	core_shutdown();
	return 0;
}

__attribute__((constructor)) static void
upsxen_preload(void)
{
	netsnmp_trapd_handler	*h;

	if (strcmp(program_invocation_short_name, "snmptrapd") != 0)
		return;
	strip_preload();
	register_config_handler("snmptrapd", "upsxenPolicy", conf_policy,
	    conf_free, "PATH-OF-POLICY.json");
	h = netsnmp_add_global_traphandler(NETSNMPTRAPD_POST_HANDLER,
	    trap_handle);
	if (h != NULL)
		h->authtypes = TRAP_AUTH_LOG;
	snmp_register_callback(SNMP_CALLBACK_LIBRARY,
	    SNMP_CALLBACK_POST_READ_CONFIG, config_done, NULL);
	snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_SHUTDOWN,
	    shutting_down, NULL);
}
