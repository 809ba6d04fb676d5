/*
 * The systemd drop-in that preloads upsxen into snmptrapd.
 */
#include <stdio.h>

#include "dropin.h"

#ifndef UPSXEN_PLUGIN_PATH
#define UPSXEN_PLUGIN_PATH	"/usr/lib/x86_64-linux-gnu/upsxen/upsxen.so"
#endif

const char *
dropin_plugin_path(void)
{
	return UPSXEN_PLUGIN_PATH;
}

int
dropin_write(FILE *f)
{
	return fprintf(f, "# Written by upsxenctl enable; removed by upsxenctl "
	    "disable.\n# Preloads upsxen into snmptrapd (it has no dlmod); "
	    "upsxen takes\n# itself out of LD_PRELOAD for snmptrapd's "
	    "children.\n[Service]\nEnvironment=LD_PRELOAD=%s\n",
	    UPSXEN_PLUGIN_PATH) < 0 ? -1 : 0;
}
