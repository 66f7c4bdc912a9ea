/* Monotonic wall-clock time and order statistics for latency measurements. */
#ifndef SP_TIMER_H
#define SP_TIMER_H

/* Seconds from an arbitrary origin on the monotonic clock. */
double sp_time_now(void);

/* The q-quantile (0..1, linear interpolation) of n values; sorts them in place.
 * Returns 0 when n is 0. */
double sp_quantile(double *values, int n, double q);

#endif
