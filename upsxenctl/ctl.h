/*
 * upsxenctl's commands. Each takes argc/argv starting at its own name and
 * returns the process exit status: 0 fine, 1 the answer is "no", 2 usage.
 */
#ifndef UPSXEN_CTL_H
#define UPSXEN_CTL_H

#include <stdio.h>

struct report;

int	ctl_check(int, char **);
int	ctl_plan(int, char **);
int	ctl_status(int, char **);
int	ctl_enable(int, char **);
int	ctl_disable(int, char **);
/* ctl.c */
void	ctl_help(FILE *);
int	ctl_usage(const char *);
void	ctl_print_report(const struct report *, int, FILE *);

#endif
