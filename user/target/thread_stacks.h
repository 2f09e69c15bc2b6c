/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * target: every thread's registers and the top of its stack, right now.
 * Each thread is stopped with ptrace for as long as it takes to copy them
 * (PTRACE_SEIZE, PTRACE_INTERRUPT, read, PTRACE_DETACH), one at a time,
 * and a signal that arrived meanwhile is passed on. If uscope dies, the
 * kernel detaches and the thread runs on.
 */
#ifndef USCOPE_THREAD_STACKS_H
#define USCOPE_THREAD_STACKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "unwind.h"

struct us_thread_stack {
	pid_t tid;
	char name[16];
	struct us_user_regs regs;
	uint64_t fs_base;	/* the thread pointer: glibc's pthread_self() */
	uint8_t *bytes;		/* from regs.sp up */
	size_t len;
	bool whole;		/* the copy reaches the top of the stack */
	int error;		/* errno when it could not be copied (0: copied) */
};

/* Called for each thread while it is stopped, its stack copied: what else
 * must be read while the thread stands still (its Python frames). */
typedef void (*us_thread_stopped_fn)(void *ctx, const struct us_thread_stack *t);

/* The threads of `pid`, each with up to `max_bytes` of stack. Returns 0, or
 * -1 after saying why (no such process, no permission). */
int us_capture_thread_stacks(pid_t pid, size_t max_bytes, us_thread_stopped_fn on_stopped,
			     void *ctx, struct us_thread_stack **out, size_t *count);
void us_thread_stacks_free(struct us_thread_stack *stacks, size_t count);

#endif
