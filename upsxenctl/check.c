/*
 * upsxenctl check: validate a policy like `nginx -t` and say, in words,
 * what each host will do when its power fails.
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "engine.h"
#include "policy.h"

static void
print_feeds(const struct policy *p, const struct policy_host *h, FILE *out)
{
	size_t	 i;

	for (i = 0; i < h->npowered_by; i++)
		fprintf(out, "%s%s", i == 0 ? "" :
		    i + 1 == h->npowered_by ? " and " : ", ",
		    p->ups[h->powered_by[i]].name);
}

static void
print_schedule(const struct policy *p, const struct policy_host *h,
    FILE *out)
{
	fprintf(out, "%s (%s, powered by ", h->name, p->pools[h->pool].name);
	print_feeds(p, h, out);
	fprintf(out, "): ");
	if (h->has_maintenance && h->has_shutdown)
		fprintf(out, "maintenance after %g s, shutdown after %g s",
		    h->maintenance_after, h->shutdown_after);
	else if (h->has_shutdown)
		fprintf(out, "evacuate and shut down after %g s",
		    h->shutdown_after);
	else
		fprintf(out, "maintenance after %g s, no shutdown (it goes "
		    "down with its UPS)", h->maintenance_after);
	if (h->npowered_by > 1)
		fprintf(out, "; at risk only while all %zu feeds are on "
		    "battery", h->npowered_by);
	fprintf(out, "\n");
}

/*
 * The card that cuts last: a host keeps power while any feed has it.
 * The loader holds every feed to the schedule; this is what the host
 * really has when all its feeds fail at once.
 */
static double
last_cut(const struct policy *p, const struct policy_host *h)
{
	double	 w = -1;
	size_t	 i;

	for (i = 0; i < h->npowered_by; i++)
		if (p->ups[h->powered_by[i]].has_warning_period &&
		    p->ups[h->powered_by[i]].warning_period > w)
			w = p->ups[h->powered_by[i]].warning_period;
	return w;
}

/*
 * One host's deadline budget (DESIGN.md "Deadline budget"), in seconds
 * after all its feeds went on battery: when it starts to leave, until
 * when its VMs may migrate, when what is left is stopped, the power-off,
 * when it is off, and what is left before the card cuts.
 */
static void
print_budget_row(const struct policy *p, const struct policy_host *h,
    FILE *out)
{
	const struct policy_pool	*pl = &p->pools[h->pool];
	double				 w = last_cut(p, h), leave, d, stop;

	fprintf(out, "  %-16s", h->name);
	if (!h->has_shutdown) {
		fprintf(out, " %8g  no power-off: the host goes down with its "
		    "UPS\n", h->maintenance_after);
		return;
	}
	if (w < 0) {
		fprintf(out, " no warning period: no deadline\n");
		return;
	}
	leave = h->has_maintenance ? h->maintenance_after : h->shutdown_after;
	d = w - pl->halt_time;
	if (h->has_maintenance && h->shutdown_after < d)
		d = h->shutdown_after;
	stop = d - pl->stop_budget;
	if (stop < leave)
		stop = leave;
	fprintf(out, " %8g  %8g  %8g  %9g  %7g  %7g  %6g\n", leave,
	    stop - leave, stop, d, d + pl->halt_time, w, w - d -
	    pl->halt_time);
}

static void
print_budget(const struct policy *p, const struct policy_pool *pl,
    FILE *out)
{
	size_t	 j;

	fprintf(out, "  budget (s after the outage starts; stop_budget %g, "
	    "halt_time %g; clean stops go hard %g s before the power-off):\n",
	    pl->stop_budget, pl->halt_time,
	    ENGINE_HARD_STOP_SHARE * pl->stop_budget);
	fprintf(out, "  %-16s %8s  %8s  %8s  %9s  %7s  %7s  %6s\n", "HOST",
	    "LEAVES", "EVACUATE", "STOP_BY", "POWER_OFF", "OFF_BY", "WARNING",
	    "MARGIN");
	for (j = 0; j < pl->nhosts; j++)
		print_budget_row(p, &p->hosts[pl->first_host + j], out);
}

/* Who can make this UPS's hosts go down (DESIGN.md "The cards"). */
static const char *
trust(const struct policy_ups *u)
{
	if (u->snmp.version == POLICY_SNMP_NONE)
		return "traps only: one forged packet from its address can "
		    "power off its hosts";
	if (!u->confirm)
		return "polled, but confirm is off: one forged packet can "
		    "power off its hosts";
	if (u->snmp.version == POLICY_SNMP_V3)
		return u->v3_user ? "the card's own answer (SNMPv3, "
		    "authenticated) before any VM stop or power-off, and "
		    "traps must be signed" : "the card's own answer (SNMPv3, "
		    "authenticated) before any VM stop or power-off";
	return "the card's own answer before any VM stop or power-off "
	    "(v1/v2c: a forger who sees the community can answer too)";
}

/* The UPSes whose hosts a single forged packet can power off. */
static void
warn_forgeable(const struct policy *p, FILE *err)
{
	size_t	 i;

	for (i = 0; i < p->nups; i++)
		if (p->ups[i].snmp.version == POLICY_SNMP_NONE ||
		    !p->ups[i].confirm)
			fprintf(err, "warning: ups.%s: %s (give it an snmp "
			    "block, SNMPv3 recommended)\n", p->ups[i].name,
			    trust(&p->ups[i]));
}

static void
print_summary(const struct policy *p, FILE *out)
{
	const struct policy_ups	*u;
	const struct policy_pool	*pl;
	size_t			 i, j;

	fprintf(out, "%s: OK: %zu UPS%s, %zu pool%s, %zu host%s; state in "
	    "%s\n", p->path, p->nups, p->nups == 1 ? "" : "es", p->npools,
	    p->npools == 1 ? "" : "s", p->nhosts, p->nhosts == 1 ? "" : "s",
	    p->state_dir);
	for (i = 0; i < p->nups; i++) {
		u = &p->ups[i];
		fprintf(out, "ups %s: ", u->name);
		for (j = 0; j < u->naddrs; j++)
			fprintf(out, "%s%s", j ? ", " : "", u->addrs[j].text);
		if (u->has_warning_period)
			fprintf(out, ", warning period %g s",
			    u->warning_period);
		fprintf(out, ", %g s left after low battery",
		    u->low_battery_runtime);
		if (u->snmp.version != POLICY_SNMP_NONE)
			fprintf(out, ", polled every %g s%s",
			    u->snmp.poll_interval,
			    u->confirm ? ", confirms before shutdown" : "");
		fprintf(out, "\n    trust: %s\n", trust(u));
	}
	for (i = 0; i < p->npools; i++) {
		pl = &p->pools[i];
		fprintf(out, "pool %s: %s as %s, on restore: %s\n", pl->name,
		    pl->url, pl->username, pl->on_restore ==
		    POLICY_RESTORE_VMS ? "restore VMs" : "skip");
		for (j = 0; j < pl->nhosts; j++) {
			fprintf(out, "  ");
			print_schedule(p, &p->hosts[pl->first_host + j],
			    out);
		}
		print_budget(p, pl, out);
	}
}

int
ctl_check(int argc, char **argv)
{
	struct report	 rep;
	struct policy	*p;
	int		 quiet = 0, i;
	const char	*path = NULL;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quiet") == 0 ||
		    strcmp(argv[i], "-q") == 0)
			quiet = 1;
		else if (argv[i][0] == '-' || path != NULL)
			return ctl_usage("check: unexpected argument");
		else
			path = argv[i];
	}
	if (path == NULL)
		return ctl_usage("check: which policy?");

	report_init(&rep);
	p = policy_load(path, &rep);
	ctl_print_report(&rep, quiet, stderr);
	if (p == NULL) {
		if (!quiet)
			fprintf(stderr, "%s: %zu error%s\n", path,
			    rep.nerrors, rep.nerrors == 1 ? "" : "s");
		report_free(&rep);
		return 1;
	}
	if (!quiet) {
		warn_forgeable(p, stderr);
		print_summary(p, stdout);
	}
	policy_free(p);
	report_free(&rep);
	return 0;
}
