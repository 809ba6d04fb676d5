/*
 * How snmptrapd comes to load upsxen: a systemd drop-in for Debian's
 * snmptrapd.service that preloads the plugin (snmptrapd has no dlmod:
 * DESIGN.md "snmptrapd"). `upsxenctl enable` writes it; only this module
 * knows what it says.
 */
#ifndef UPSXEN_DROPIN_H
#define UPSXEN_DROPIN_H

#include <stdio.h>

#define DROPIN_DIR	"/etc/systemd/system/snmptrapd.service.d"
#define DROPIN_FILE	"upsxen.conf"
#define DROPIN_RESTART	"systemctl daemon-reload && systemctl restart snmptrapd"

/* Where the package installs the plugin. */
const char	*dropin_plugin_path(void);
/* The drop-in's text; 0, or -1 with errno. */
int		 dropin_write(FILE *);

#endif
