/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * How uscope answers signals. SIGINT, SIGTERM and SIGHUP ask it to stop
 * tracing cleanly (probes off, ring drained, recording written, report);
 * every later one is counted, so a wait that should not go on can give up.
 * Every other signal that would end uscope first runs the cleanup hooks
 * (putting back what uscope changed in the target), then ends it as the
 * signal would have. Only SIGKILL skips the hooks; the kernel side of that
 * case is handled in bpf/calls.bpf.c (uscope's exit stops every probe).
 */
#ifndef USCOPE_SIGNALS_H
#define USCOPE_SIGNALS_H

#include <stdbool.h>

/* Installs the handlers (once). */
void us_signals_install(void);
/* An async-signal-safe function run before uscope dies of a signal, and at
 * exit(). At most a few. */
void us_signals_on_fatal(void (*cleanup)(void));
/* Whether the cleanups run from a fatal signal's handler now (only
 * async-signal-safe work there). */
bool us_signals_in_handler(void);
/* The first stop signal received, 0 none. */
int us_stop_signal(void);
/* Whether it came from kill(2) (only uscope got it), not from a terminal
 * (the whole foreground process group, the target included). */
bool us_stop_sent_by_process(void);
/* How many stop signals arrived so far. */
unsigned us_stop_count(void);

#endif
