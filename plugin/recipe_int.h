/*
 * What the recipe files share (recipe.c: the table and the simple
 * recipes; recipe_vms.c: evacuating, stopping and restoring VMs;
 * recipe_ha.c: the pool's HA). Not part of any public face.
 */
#ifndef UPSXEN_RECIPE_INT_H
#define UPSXEN_RECIPE_INT_H

#include "recipe.h"

#define POLL_MS		100	/* how often a pending task is asked */
#define AGAIN_MAX	3	/* starts over after xapi forgot a task */

/* XenCenter's maintenance keys on the host (Host.cs). */
#define KEY_MAINT	"MAINTENANCE_MODE"
#define KEY_MIGRATED	"MAINTENANCE_MODE_EVACUATED_VMS_MIGRATED"
#define KEY_HALTED	"MAINTENANCE_MODE_EVACUATED_VMS_HALTED"
#define KEY_SUSPENDED	"MAINTENANCE_MODE_EVACUATED_VMS_SUSPENDED"
/* upsxen's own records, in the pool's database so they outlive us. */
#define KEY_HA_RUN	"upsxen-ha-always-run"	/* host: VMs we stopped
						   that HA kept running */
#define KEY_STOPPED	"upsxen-stopped-vms"	/* host: VMs we stopped, to
						   start on the way back */
#define KEY_HA_NTOL	"upsxen-ha-ntol"	/* pool: ntol we lowered */
#define KEY_HA_OFF	"upsxen-ha-off"		/* pool: HA we turned off,
						   its heartbeat SRs */

typedef void	 task_done_fn(struct recipe_ctx *, struct job *,
		    struct jtask *, enum xenapi_task_status,
		    const struct xenapi_error *);

/* recipe.c */
int		 host_ref(struct recipe_ctx *, const char *, char *,
		    struct xenapi_error *);
void		 job_fail(struct job *, const struct xenapi_error *);
void		 rlog(struct recipe_ctx *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
int		 tasks_add(struct job *, const char *, const char *, int);
int		 tasks_poll(struct recipe_ctx *, struct job *, task_done_fn *);
void		 tasks_wait(struct job *);
int		 is_code(const struct xenapi_error *, const char *);

/* recipe_vms.c */
void		 step_evacuate(struct recipe_ctx *, struct job *);
void		 step_stop_vms(struct recipe_ctx *, struct job *);
void		 step_restore(struct recipe_ctx *, struct job *);

/* recipe_start.c */
void		 step_start_vms(struct recipe_ctx *, struct job *);

/* recipe_ha.c */
int		 ha_make_room(struct recipe_ctx *, const char *,
		    struct xenapi_error *);
void		 ha_restore(struct recipe_ctx *);
void		 step_ha_off(struct recipe_ctx *, struct job *);
void		 step_ha_on(struct recipe_ctx *, struct job *);

#endif
