/*
 * Confirming an outage with the host's cards before its power-off
 * (confirm.h).
 */
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "clock.h"
#include "confirm.h"
#include "engine.h"
#include "events.h"
#include "log.h"
#include "policy.h"
#include "upsxen.h"

/* A CONFIRM action: the GETs sent to a host's cards. */
struct confirm {
	struct confirm	*next;
	unsigned long	 id;
	long		 host;
	int		 asked;
	int		 answered;
	int		 online;
	int		 unreachable;
	int		 unclear;	/* answered, not with "on battery" */
	int		 cannot_ask;	/* polled, but no session to it */
};

static struct confirm	*confirms;	/* asked, not all answered */

/*
 * Restore checks: their ids are the UPS with the top bit set, apart from
 * the engine's action ids; one per UPS at a time.
 */
#define RESTORE_ID	(~(~0UL >> 1))
static unsigned char	*restoring;
static size_t		 nrestoring;

static void
answer(struct confirm *c, double now)
{
	struct action_result	 r = { OUTCOME_OK, NULL, 0 };
	const char		*host = ux.policy->hosts[c->host].name;

	if (c->online) {
		r.outcome = OUTCOME_BLOCKED;
		r.error = "a card says it is online";
		plog(LOG_WARNING, "action=confirm_on_battery host=%s "
		    "result=blocked reason=\"a card says online: no "
		    "shutdown\"", host);
	} else if (c->unclear || c->cannot_ask) {
		/* Only silence is unreachable: an answer is the card's. */
		r.outcome = OUTCOME_BLOCKED;
		r.error = c->unclear ? "a card answered without saying it is "
		    "on battery" : "a polled card cannot be asked";
		plog(LOG_WARNING, "action=confirm_on_battery host=%s "
		    "result=blocked reason=\"%s: no shutdown yet\"", host,
		    r.error);
	} else if (c->unreachable)
		plog(LOG_WARNING, "action=confirm_on_battery host=%s result=ok "
		    "reason=\"%d card(s) unreachable: proceeding (the card "
		    "may be on the failing power)\"", host, c->unreachable);
	else
		plog(LOG_NOTICE, "action=confirm_on_battery host=%s "
		    "result=ok", host);
	engine_on_result(ux.engine, c->id, &r, now);
}

void
confirm_start(const struct action *a, double now)
{
	const struct policy_host	*h = &ux.policy->hosts[a->host];
	struct confirm			*c;
	size_t				 i;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return;
	c->id = a->id;
	c->host = a->host;
	for (i = 0; i < h->npowered_by; i++)
		switch (poll_confirm(h->powered_by[i], a->id)) {
		case 0:
			c->asked++;
			break;
		case POLL_CANNOT_ASK:
			c->cannot_ask++;
			break;
		}
	if (c->asked == 0) {
		/* No card to ask (none polled): nothing contradicts. */
		answer(c, now);
		free(c);
		return;
	}
	c->next = confirms;
	confirms = c;
}

static int
restore_pending(size_t ups, int set)
{
	unsigned char	*n;
	size_t		 want = ux.policy->nups;

	if (nrestoring < want) {
		if ((n = realloc(restoring, want)) == NULL)
			return -1;
		memset(n + nrestoring, 0, want - nrestoring);
		restoring = n;
		nrestoring = want;
	}
	if (set >= 0)
		restoring[ups] = (unsigned char)set;
	return restoring[ups];
}

int
confirm_restore(size_t ups, const char *source)
{
	struct ups_status	 st;
	const char		*name = ux.policy->ups[ups].name;
	int			 rc;

	engine_ups_status(ux.engine, ups, &st);
	if (st.power != UPS_ON_BATTERY && st.power != UPS_LOW_BATTERY)
		return 0;
	if (restore_pending(ups, -1) != 0)
		return 1;	/* one question at a time; -1: no memory */
	rc = poll_confirm(ups, RESTORE_ID | ups);
	if (rc == POLL_NOT_POLLED)
		return 0;
	if (rc == POLL_CANNOT_ASK) {
		plog(LOG_WARNING, "ups=%s event=power_restored source=%s "
		    "result=ignored reason=\"its card cannot be asked: a "
		    "packet alone does not end an outage\"", name, source);
		return 1;
	}
	restore_pending(ups, 1);
	return 1;
}

static void
restore_answered(size_t ups, enum poll_state st)
{
	const char	*name = ux.policy->ups[ups].name;

	restore_pending(ups, 0);
	if (st == POLL_ONLINE) {
		events_ups(ups, UPS_EV_POWER_RESTORED, "card", 1);
		return;
	}
	plog(LOG_WARNING, "ups=%s event=power_restored result=ignored "
	    "reason=\"%s: the outage goes on\"", name, st == POLL_ON_BATTERY ?
	    "its card says on battery" : st == POLL_UNREACHABLE ?
	    "its card does not answer" : "its card does not say online");
}

int
confirm_answered(unsigned long id, size_t ups, enum poll_state st)
{
	struct confirm	**cp, *c;

	if (id & RESTORE_ID) {
		if (ux.engine != NULL && ups < nrestoring)
			restore_answered(ups, st);
		return 1;
	}
	for (cp = &confirms; (c = *cp) != NULL; cp = &c->next)
		if (c->id == id)
			break;
	if (c == NULL || ux.engine == NULL)
		return 0;
	c->answered++;
	if (st == POLL_ONLINE) {
		c->online = 1;
		events_ups(ups, UPS_EV_POWER_RESTORED, "confirm", 0);
	} else if (st == POLL_UNREACHABLE)
		c->unreachable++;
	else if (st == POLL_UNKNOWN)
		c->unclear++;
	if (c->answered < c->asked)
		return 0;
	*cp = c->next;
	answer(c, clock_now());
	free(c);
	return 1;
}

void
confirm_abandon(void)
{
	struct action_result	 r = { OUTCOME_TRANSIENT, "polling restarted",
	    0 };
	struct confirm		*c, *next;

	for (c = confirms; c; c = next) {
		next = c->next;
		if (ux.engine)
			engine_on_result(ux.engine, c->id, &r, clock_now());
		free(c);
	}
	confirms = NULL;
	/* The cards' answers to restore checks will not come. */
	free(restoring);
	restoring = NULL;
	nrestoring = 0;
}
