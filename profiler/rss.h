/* Resident memory of this process (Linux /proc/self), for checking the
 * runtime memory estimate against what the process really touches. */
#ifndef SP_RSS_H
#define SP_RSS_H

/* Current resident set (VmRSS) and its high-water mark (VmHWM) in bytes;
 * -1 when /proc is unavailable. */
long sp_rss_current_bytes(void);
long sp_rss_peak_bytes(void);

/* Resets the high-water mark to the current RSS (writes 5 to
 * /proc/self/clear_refs); returns 0 on success, -1 when the kernel refuses. */
int sp_rss_reset_peak(void);

#endif
