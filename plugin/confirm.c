/*
 * Confirming an outage with the host's cards before its power-off
 * (confirm.h).
 */
#include <stdlib.h>
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

int
confirm_answered(unsigned long id, size_t ups, enum poll_state st)
{
	struct confirm	**cp, *c;

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
}
