/*
 * Pacing the saves of the engine's state (persist.h); the writing itself
 * is state.c's, on its own thread.
 */
#include <string.h>
#include <syslog.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include "clock.h"
#include "engine.h"
#include "log.h"
#include "persist.h"
#include "policy.h"
#include "state.h"
#include "upsxen.h"

#define SAVE_DELAY_US	100000	/* coalesce host progress writes */
#define POWER_DELAY_US	20000	/* coalesce UPS power changes */
#define POWER_GAP	0.2	/* seconds: at most 5 such saves a second */
#define SAVE_SHARE	0.1	/* of snmptrapd's thread saves may take */

static struct {
	struct state_writer	*writer;
	unsigned long		 saved_gen;
	unsigned long		 saved_urgent_gen;
	unsigned long		 saved_power_gen;
	unsigned int		 save_alarm;
	unsigned int		 power_alarm;
	double			 saved_at;
	double			 free_at;	/* next save within budget */
} ps;

int
persist_start(struct outbox *ob)
{
	if ((ps.writer = state_writer_start(ob)) == NULL)
		return -1;
	return 0;
}

void
persist_save_now(void)
{
	json_t	*j;

	ps.saved_gen = engine_generation(ux.engine);
	ps.saved_urgent_gen = engine_urgent_generation(ux.engine);
	ps.saved_power_gen = engine_power_generation(ux.engine);
	ps.saved_at = clock_now();
	if (ps.writer == NULL ||
	    (j = engine_export(ux.engine, clock_wall_offset())) == NULL)
		return;
	json_object_set_new(j, "saved", json_real(clock_wall()));
	json_object_set_new(j, "policy", json_string(ux.policy->path));
	state_writer_submit(ps.writer, ux.policy->state_dir, j);
	/* An export walks every host at risk: pay for it with idle time. */
	ps.free_at = clock_now() + (clock_now() - ps.saved_at) *
	    (1 / SAVE_SHARE - 1);
}

static void
save_tick(unsigned int id, void *arg)
{
	(void)arg;
	if (id == ps.save_alarm)
		ps.save_alarm = 0;
	if (id == ps.power_alarm)
		ps.power_alarm = 0;
	if (ux.engine && engine_generation(ux.engine) != ps.saved_gen)
		persist_save_now();
}

/*
 * Urgent changes go to the writer before the actions go to the workers:
 * the write lands a few milliseconds after, and whatever a crash in
 * between loses is an action that is safe to repeat. A UPS's power goes
 * out within POWER_DELAY_US, or POWER_GAP after the last save: soon
 * enough for the timers to survive a crash, and cards flapping thousands
 * of times a second cost five exports a second, not one per trap.
 */
void
persist_maybe_save(void)
{
	struct timeval	 later = { 0, SAVE_DELAY_US };
	struct timeval	 soon = { 0, POWER_DELAY_US };
	double		 wait = ps.saved_at + POWER_GAP - clock_now();

	if (ux.engine == NULL)
		return;
	if (wait * 1e6 > POWER_DELAY_US) {
		soon.tv_sec = (time_t)wait;
		soon.tv_usec = (suseconds_t)((wait - soon.tv_sec) * 1e6);
	}
	if (engine_urgent_generation(ux.engine) != ps.saved_urgent_gen)
		persist_save_now();
	else if (engine_power_generation(ux.engine) != ps.saved_power_gen) {
		if (ps.power_alarm == 0)
			ps.power_alarm = snmp_alarm_register_hr(soon, 0,
			    save_tick, NULL);
	} else if (engine_generation(ux.engine) != ps.saved_gen &&
	    ps.save_alarm == 0)
		ps.save_alarm = snmp_alarm_register_hr(later, 0, save_tick,
		    NULL);
}

int
persist_must_wait(double now)
{
	return engine_urgent_generation(ux.engine) != ps.saved_urgent_gen &&
	    now < ps.free_at;
}

double
persist_free_at(void)
{
	return ps.free_at;
}

void
persist_restore(struct engine *e, const struct policy *p)
{
	json_t	*j = NULL;
	char	 err[512], msg[1024];
	int	 n;

	if (state_read(p->state_dir, &j, err, sizeof(err)) == -1) {
		plog(LOG_ERR, "state unreadable: %s: starting without it", err);
		return;
	}
	if (j == NULL)
		return;
	n = engine_import(e, j, clock_wall_offset(), clock_now(), msg,
	    sizeof(msg));
	if (n < 0)
		plog(LOG_ERR, "state in %s/%s refused: %s: starting without "
		    "it", p->state_dir, STATE_FILE, msg);
	else
		plog(LOG_NOTICE, "state restored: hosts=%d saved_s_ago=%.1f%s%s",
		    n, clock_wall() - json_number_value(json_object_get(j,
		    "saved")), msg[0] ? " " : "", msg);
	json_decref(j);
}

void
persist_stop(void)
{
	if (ps.save_alarm)
		snmp_alarm_unregister(ps.save_alarm);
	if (ps.power_alarm)
		snmp_alarm_unregister(ps.power_alarm);
	if (ux.engine)
		persist_save_now();
	state_writer_stop(ps.writer);
	memset(&ps, 0, sizeof(ps));
}
