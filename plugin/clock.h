/*
 * The plugin's clocks. The engine runs on clock_now(): monotonic
 * seconds since the plugin started. The state file is written on the
 * wall clock: clock_wall_offset() turns one into the other.
 */
#ifndef UPSXEN_CLOCK_H
#define UPSXEN_CLOCK_H

void	 clock_start(void);
double	 clock_now(void);
double	 clock_wall(void);
double	 clock_wall_offset(void);

#endif
