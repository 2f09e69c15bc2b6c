/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * target: a guard for what uscope changes in a target, in case uscope is
 * killed by SIGKILL (the one end no handler sees). The guard is a small
 * process forked when uscope first changes the target; it holds nothing but
 * a pipe from uscope and the list of words to put back. When uscope ends
 * normally it says so and the guard exits; when the pipe closes without
 * that, uscope died, and the guard puts the words back itself (each only if
 * it still holds what uscope wrote) and exits.
 */
#ifndef USCOPE_TARGET_GUARD_H
#define USCOPE_TARGET_GUARD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Before writing `written` at `address` in process `pid`: the guard will
 * write `original` back there if uscope dies. Returns 0, or -1 (no guard:
 * said with a warning; uscope's own handlers still restore). */
int us_guard_word(pid_t pid, uint64_t address, uint64_t written, uint64_t original);
/* The same, put back only while the word at `zero_at` is 0 (the line hook:
 * a thread whose trace object is set has the program's own tracer). */
int us_guard_word_if_zero(pid_t pid, uint64_t address, uint64_t written, uint64_t original,
			  uint64_t zero_at);
/* After putting the words back, the guard adds `step` to the counter at
 * `address` (3.12's sys.monitoring version: the code objects then drop
 * the instrumentation uscope's events gave them). Returns 0 or -1. */
int us_guard_bump(pid_t pid, uint64_t address, uint64_t step);
/* The same for 3.13, where each thread's eval breaker holds the version
 * too: the guard stops the process for a moment, moves the counter on and
 * writes it into each thread's (the threads' list from the pointer at
 * `first_thread_at`, linked at `next_offset`, the breaker at
 * `breaker_offset`, its 8 event bits kept). */
int us_guard_bump_threads(pid_t pid, uint64_t address, uint64_t step, uint64_t first_thread_at,
			  uint32_t next_offset, uint32_t breaker_offset);
/* Whether process `pid` is stopped (its main thread, as /proc says). */
bool us_process_is_stopped(pid_t pid);
/* Sends SIGSTOP and waits (up to 1 s) until `pid` is stopped. */
bool us_stop_and_wait(pid_t pid);
/* The target may be stopped by uscope's BPF programs, waiting for uscope:
 * if uscope dies, the guard continues it (SIGCONT). Returns 0 or -1. */
int us_guard_continue(pid_t pid);
/* uscope restored everything itself: the guard goes. Async-signal-safe. */
void us_guard_release(void);

#endif
