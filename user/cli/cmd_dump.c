// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `uscope dump -p PID`: every thread's native stack right now, unwound with
 * DWARF call-frame information, each thread stopped only while its
 * registers and stack are copied. */
#include <stdio.h>
#include <string.h>
#include "commands.h"
#include "log.h"
#include "thread_stacks.h"
#include "unwind.h"

#define DUMP_STACK_BYTES (64 * 1024)	/* enough for deep native stacks */
#define DUMP_MAX_FRAMES 256

static void print_frame(FILE *out, struct us_unwinder *u, uint64_t pc, bool return_address)
{
	struct us_frame_name n;

	us_unwinder_name(u, pc, return_address, &n);
	if (n.function)
		fprintf(out, "    %s (%s)\n", n.function, n.object ? n.object : "?");
	else if (n.object)
		fprintf(out, "    %s+0x%llx\n", n.object, (unsigned long long)n.object_address);
	else
		fprintf(out, "    0x%llx\n", (unsigned long long)pc);
}

static void print_thread(FILE *out, struct us_unwinder *u, const struct us_thread_stack *t)
{
	uint64_t pcs[DUMP_MAX_FRAMES];
	bool complete;
	size_t n;

	fprintf(out, "Thread %d (%s):\n", (int)t->tid, t->name);
	if (t->error) {
		fprintf(out, "    (not read: %s)\n", strerror(t->error));
		return;
	}
	n = us_unwind(u, t->tid, &t->regs, t->bytes, t->len, pcs, DUMP_MAX_FRAMES, &complete);
	if (n == 0)
		print_frame(out, u, t->regs.ip, false);
	for (size_t i = 0; i < n; i++)
		print_frame(out, u, pcs[i], i > 0);
	if (!complete && !t->whole)
		fprintf(out, "    ... (the unwinding stopped here: no call-frame information, or "
			"past the %zu bytes of stack copied)\n", t->len);
}

int us_cmd_dump(struct us_options *o)
{
	struct us_thread_stack *stacks;
	struct us_unwinder *u;
	size_t count;

	if (us_capture_thread_stacks(o->pid, DUMP_STACK_BYTES, &stacks, &count))
		return 1;
	u = us_unwinder_for_process(o->pid);
	if (!u) {
		us_thread_stacks_free(stacks, count);
		return 1;
	}
	for (size_t i = 0; i < count; i++) {
		if (i)
			fputc('\n', stdout);
		print_thread(stdout, u, &stacks[i]);
	}
	us_unwinder_free(u);
	us_thread_stacks_free(stacks, count);
	return 0;
}
