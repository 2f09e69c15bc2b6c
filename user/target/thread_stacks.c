// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include "log.h"
#include "target.h"
#include "thread_stacks.h"
#include "util.h"

#define PAGE 4096
#define STOP_WAIT_MS 1000	/* an interrupted thread stops at once; this bounds it */

/* Waits for the seized thread's stop, at most STOP_WAIT_MS. Returns the
 * signal to pass on at detach (0 for our own interrupt), or -1. */
static int wait_for_stop(pid_t tid)
{
	struct timespec pause = { 0, 1000 * 1000 };
	int status;

	for (int waited = 0; waited < STOP_WAIT_MS; waited++) {
		pid_t got = waitpid(tid, &status, __WALL | WNOHANG);

		if (got < 0)
			return -1;
		if (got == tid && WIFSTOPPED(status))
			return (status >> 16) == PTRACE_EVENT_STOP ? 0 : WSTOPSIG(status);
		if (got == tid)
			return -1;	/* it exited meanwhile */
		nanosleep(&pause, NULL);
	}
	errno = ETIMEDOUT;
	return -1;
}

/* Copies the stack page by page from sp, stopping at the first page that
 * cannot be read (the top of the stack). */
static void copy_stack(pid_t pid, struct us_thread_stack *t, size_t max_bytes)
{
	uint64_t at = t->regs.sp;

	t->bytes = us_calloc(max_bytes ? max_bytes : 1, 1);
	while (t->len < max_bytes) {
		size_t want = PAGE - (size_t)((at + t->len) % PAGE);
		struct iovec local, remote;
		ssize_t got;

		if (want > max_bytes - t->len)
			want = max_bytes - t->len;
		local = (struct iovec){ t->bytes + t->len, want };
		remote = (struct iovec){ (void *)(uintptr_t)(at + t->len), want };
		got = process_vm_readv(pid, &local, 1, &remote, 1, 0);
		if (got <= 0) {
			t->whole = true;	/* the page above is not the stack's */
			break;
		}
		t->len += (size_t)got;
	}
}

static void capture_one(pid_t pid, struct us_thread_stack *t, size_t max_bytes,
			us_thread_stopped_fn on_stopped, void *ctx)
{
	struct user_regs_struct regs;
	int pass_on;

	if (ptrace(PTRACE_SEIZE, t->tid, NULL, NULL) != 0) {
		t->error = errno;
		return;
	}
	if (ptrace(PTRACE_INTERRUPT, t->tid, NULL, NULL) != 0 ||
	    (pass_on = wait_for_stop(t->tid)) < 0) {
		t->error = errno ? errno : ESRCH;
		ptrace(PTRACE_DETACH, t->tid, NULL, NULL);
		return;
	}
	if (ptrace(PTRACE_GETREGS, t->tid, NULL, &regs) == 0) {
		t->regs = (struct us_user_regs){ regs.rip, regs.rsp, regs.rbp };
		t->fs_base = regs.fs_base;
		copy_stack(pid, t, max_bytes);
		if (on_stopped)
			on_stopped(ctx, t);
	} else {
		t->error = errno;
	}
	ptrace(PTRACE_DETACH, t->tid, NULL, (void *)(uintptr_t)pass_on);
}

static int by_tid(const void *a, const void *b)
{
	const struct us_thread_stack *x = a, *y = b;

	return (x->tid > y->tid) - (x->tid < y->tid);
}

int us_capture_thread_stacks(pid_t pid, size_t max_bytes, us_thread_stopped_fn on_stopped,
			     void *ctx, struct us_thread_stack **out, size_t *count)
{
	char path[64];
	struct dirent *d;
	size_t cap = 0;
	DIR *dir;

	*out = NULL;
	*count = 0;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dir = opendir(path);
	if (!dir) {
		us_error("no process with PID %d", (int)pid);
		return -1;
	}
	while ((d = readdir(dir))) {
		struct us_thread_stack *t;
		pid_t tid = (pid_t)atoi(d->d_name);

		if (tid <= 0)
			continue;
		us_grow(out, &cap, *count + 1, sizeof(**out));
		t = &(*out)[(*count)++];
		memset(t, 0, sizeof(*t));
		t->tid = tid;
		if (!us_thread_name(pid, tid, t->name, sizeof(t->name)))
			t->name[0] = '\0';
		capture_one(pid, t, max_bytes, on_stopped, ctx);
	}
	closedir(dir);
	us_sort(*out, *count, sizeof(**out), by_tid);
	return 0;
}

void us_thread_stacks_free(struct us_thread_stack *stacks, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(stacks[i].bytes);
	free(stacks);
}
