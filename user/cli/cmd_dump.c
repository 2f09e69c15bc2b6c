// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `uscope dump -p PID`: every thread's stack right now, native frames
 * unwound with DWARF call-frame information and, in CPython, the Python
 * frames in place of the interpreter frames that run them (as `profile`
 * shows them). Each thread is stopped only while its registers, stack and
 * Python frames are read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "log.h"
#include "profile_stacks.h"
#include "python_code.h"
#include "thread_stacks.h"
#include "util.h"

#define DUMP_STACK_BYTES (64 * 1024)	/* enough for deep native stacks */

/* What one thread was running: its Python frames, read while it stood. */
struct thread_python {
	pid_t tid;
	struct us_py_sample_frame frames[US_SAMPLE_PY_FRAMES * 4];
	size_t count;
	bool truncated;
};

struct dump {
	pid_t pid;
	struct us_profile_stacks *stacks;
	bool is_python;
	struct us_py_sampling python;
	struct thread_python *threads;
	size_t n_threads, threads_cap;
	/* what the resolver sent: frames by id, the last stack */
	struct us_profile_frame_event *frames;
	size_t n_frames, frames_cap;
	struct us_profile_stack_event *stack_events;	/* by stack id */
	size_t n_stacks, stacks_cap;
};

static void keep_record(void *ctx, const struct us_event_header *ev)
{
	struct dump *d = ctx;

	if (ev->type == US_EV_PROFILE_FRAME) {
		const struct us_profile_frame_event *f = (const void *)ev;

		us_grow(&d->frames, &d->frames_cap, f->id + 1, sizeof(*d->frames));
		d->frames[f->id] = *f;
		d->n_frames = d->n_frames > f->id + 1 ? d->n_frames : f->id + 1;
	} else if (ev->type == US_EV_PROFILE_STACK) {
		const struct us_profile_stack_event *st = (const void *)ev;

		us_grow(&d->stack_events, &d->stacks_cap, st->id + 1, sizeof(*d->stack_events));
		d->stack_events[st->id] = *st;
		d->n_stacks = d->n_stacks > st->id + 1 ? d->n_stacks : st->id + 1;
	}
}

static void read_python_frames(void *ctx, const struct us_thread_stack *t)
{
	struct dump *d = ctx;
	struct thread_python *tp;

	if (!d->is_python)
		return;
	us_grow(&d->threads, &d->threads_cap, d->n_threads + 1, sizeof(*d->threads));
	tp = &d->threads[d->n_threads++];
	tp->tid = t->tid;
	tp->count = us_python_thread_frames(d->pid, &d->python, t->fs_base, tp->frames,
					    US_ARRAY_SIZE(tp->frames), &tp->truncated);
}

static const struct thread_python *python_of(const struct dump *d, pid_t tid)
{
	for (size_t i = 0; i < d->n_threads; i++)
		if (d->threads[i].tid == tid)
			return &d->threads[i];
	return NULL;
}

static void print_frame(FILE *out, const struct us_profile_frame_event *f)
{
	if (f->kind == US_FRAME_PYTHON)
		fprintf(out, "    %s (%s:%d)\n", f->function, f->file, f->line);
	else if (*f->function)
		fprintf(out, "    %s (%s)\n", f->function, *f->file ? us_base_name(f->file) : "?");
	else if (*f->file)
		fprintf(out, "    %s+0x%llx\n", us_base_name(f->file), (unsigned long long)f->address);
	else
		fprintf(out, "    0x%llx\n", (unsigned long long)f->address);
}

static void print_thread(FILE *out, struct dump *d, const struct us_thread_stack *t)
{
	const struct thread_python *py = python_of(d, t->tid);
	struct us_sample_view v = {
		.pid = d->pid, .tid = t->tid, .kind = US_SAMPLE_ON_CPU, .regs = t->regs,
		.stack = t->bytes, .stack_len = t->len, .py = py ? py->frames : NULL,
		.py_count = py ? (uint32_t)py->count : 0, .py_truncated = py && py->truncated,
	};
	const struct us_profile_stack_event *st;
	uint16_t flags = 0;
	int64_t id;

	fprintf(out, "Thread %d (%s)%s:\n", (int)t->tid, t->name,
		py && py->count ? " [Python]" : "");
	if (t->error) {
		fprintf(out, "    (not read: %s)\n", strerror(t->error));
		return;
	}
	id = us_profile_stacks_resolve(d->stacks, &v, &flags);
	if (id < 0 || (size_t)id >= d->n_stacks) {
		fputs("    (the process is gone)\n", out);
		return;
	}
	st = &d->stack_events[id];
	for (uint16_t i = 0; i < st->depth; i++)
		if (st->frames[i] < d->n_frames)
			print_frame(out, &d->frames[st->frames[i]]);
	if ((flags & US_STACK_INCOMPLETE) && !t->whole)
		fprintf(out, "    ... (the unwinding stopped here: no call-frame information, or "
			"past the %zu bytes of stack copied)\n", t->len);
}

int us_cmd_dump(struct us_options *o)
{
	struct dump d = { .pid = o->pid };
	struct us_thread_stack *stacks;
	size_t count;

	d.stacks = us_profile_stacks_new(NULL, keep_record, &d);
	us_profile_stacks_watch(d.stacks, o->pid);
	d.is_python = us_profile_stacks_python(d.stacks, o->pid, &d.python);
	if (us_capture_thread_stacks(o->pid, DUMP_STACK_BYTES, read_python_frames, &d, &stacks,
				     &count)) {
		us_profile_stacks_free(d.stacks);
		return 1;
	}
	for (size_t i = 0; i < count; i++) {
		if (i)
			fputc('\n', stdout);
		print_thread(stdout, &d, &stacks[i]);
	}
	us_thread_stacks_free(stacks, count);
	us_profile_stacks_free(d.stacks);
	free(d.threads);
	free(d.frames);
	free(d.stack_events);
	return 0;
}
