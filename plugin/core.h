/*
 * The plugin's lifecycle (start, reload, stop) and the entry points of
 * the trap handler. Everything here runs in snmptrapd's main thread.
 */
#ifndef UPSXEN_CORE_H
#define UPSXEN_CORE_H

#include "event.h"

struct policy;

void		 core_set_policy_path(const char *);
void		 core_clear_policy_path(void);
/* After every configuration read: first start, or a SIGHUP reload. */
void		 core_config_done(void);
void		 core_shutdown(void);

/* For the trap handler. */
const struct policy *core_policy(void);
double		 core_now(void);
void		 core_ups_event(size_t, enum ups_event, const char *);

#endif
