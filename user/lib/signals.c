// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "signals.h"
#include "util.h"

#define MAX_CLEANUPS 4

static volatile sig_atomic_t first_stop_signal;
static volatile sig_atomic_t stop_by_process;
static volatile sig_atomic_t stop_count;
static void (*cleanups[MAX_CLEANUPS])(void);
static volatile sig_atomic_t n_cleanups;
static struct sigaction previous[NSIG];

static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP };

/* Signals whose default action ends the process (SIGKILL aside). */
static const int fatal_signals[] = {
	SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGUSR1, SIGSEGV, SIGUSR2,
	SIGALRM, SIGSTKFLT, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGIO, SIGPWR, SIGSYS,
};

static volatile sig_atomic_t in_fatal_handler;

bool us_signals_in_handler(void)
{
	return in_fatal_handler;
}

static void run_cleanups(void)
{
	for (sig_atomic_t i = 0; i < n_cleanups; i++)
		cleanups[i]();
}

static void on_stop(int sig, siginfo_t *info, void *uctx)
{
	if (!first_stop_signal) {
		first_stop_signal = sig;
		stop_by_process = info && info->si_code == SI_USER;
	}
	stop_count++;
}

/* Cleans up, then ends uscope as the signal would have: through the handler
 * that was there before (a sanitizer's report), or the default action. */
static void on_fatal(int sig, siginfo_t *info, void *uctx)
{
	const struct sigaction *old = &previous[sig];

	in_fatal_handler = 1;
	run_cleanups();
	if ((old->sa_flags & SA_SIGINFO) && old->sa_sigaction) {
		old->sa_sigaction(sig, info, uctx);
		return;
	}
	if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN) {
		old->sa_handler(sig);
		return;
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install(int sig, void (*handler)(int, siginfo_t *, void *))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, sig < NSIG ? &previous[sig] : NULL);
}

void us_signals_install(void)
{
	static bool installed;

	if (installed)
		return;
	installed = true;
	for (size_t i = 0; i < US_ARRAY_SIZE(stop_signals); i++)
		install(stop_signals[i], on_stop);
	for (size_t i = 0; i < US_ARRAY_SIZE(fatal_signals); i++)
		install(fatal_signals[i], on_fatal);
	for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
		install(sig, on_fatal);
	signal(SIGPIPE, SIG_IGN);	/* a closed pipe is a write error, said where it happens */
	atexit(run_cleanups);
}

void us_signals_on_fatal(void (*cleanup)(void))
{
	for (sig_atomic_t i = 0; i < n_cleanups; i++)
		if (cleanups[i] == cleanup)
			return;
	if (n_cleanups < MAX_CLEANUPS)
		cleanups[n_cleanups++] = cleanup;
}

int us_stop_signal(void)
{
	return first_stop_signal;
}

bool us_stop_sent_by_process(void)
{
	return stop_by_process;
}

unsigned us_stop_count(void)
{
	return (unsigned)stop_count;
}
