// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dwarf.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include "unwind.h"
#include "util.h"

/* x86-64 DWARF register numbers (System V ABI). */
enum { DWARF_RBP = 6, DWARF_RSP = 7 };

/* The one thread being unwound, as libdw's callbacks see it. */
struct stack_copy {
	pid_t tid;
	const struct us_user_regs *regs;
	const uint8_t *bytes;
	size_t len;
	bool read_past_copy;	/* the walk wanted bytes the copy does not have */
};

struct us_unwinder {
	Dwfl *dwfl;
	struct stack_copy current;
	bool attached;
	char name[256];		/* the last function name, without its symbol version */
};

static char *debuginfo_path;
static const Dwfl_Callbacks process_callbacks = {
	.find_elf = dwfl_linux_proc_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.debuginfo_path = &debuginfo_path,
};

/* Reads stay inside the copy: the stack as it was, never the live process. */
static bool read_copied_stack(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	struct stack_copy *c = arg;

	if (addr < c->regs->sp || c->len < sizeof(*result) ||
	    addr - c->regs->sp > c->len - sizeof(*result)) {	/* no overflow near 2^64 */
		c->read_past_copy = true;
		return false;
	}
	memcpy(result, c->bytes + (addr - c->regs->sp), sizeof(*result));
	return true;
}

static pid_t the_one_thread(Dwfl *dwfl, void *arg, void **thread_arg)
{
	if (*thread_arg)
		return 0;
	*thread_arg = arg;
	return ((const struct stack_copy *)arg)->tid;
}

static bool initial_registers(Dwfl_Thread *thread, void *arg)
{
	const struct stack_copy *c = arg;
	const Dwarf_Word frame[2] = { c->regs->bp, c->regs->sp };	/* rbp, rsp */

	if (!dwfl_thread_state_registers(thread, DWARF_RBP, 2, frame))
		return false;
	dwfl_thread_state_register_pc(thread, c->regs->ip);
	return true;
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = the_one_thread,
	.memory_read = read_copied_stack,
	.set_initial_registers = initial_registers,
};

static struct us_unwinder *open_unwinder(pid_t pid, bool say_why)
{
	struct us_unwinder *u = us_calloc(1, sizeof(*u));
	int err;

	u->dwfl = dwfl_begin(&process_callbacks);
	if (!u->dwfl) {
		if (say_why)
			us_error("cannot start libdw: %s", dwfl_errmsg(-1));
		free(u);
		return NULL;
	}
	dwfl_report_begin(u->dwfl);
	err = dwfl_linux_proc_report(u->dwfl, pid);
	dwfl_report_end(u->dwfl, NULL, NULL);
	if (err) {
		if (say_why)
			us_error("cannot read the mappings of PID %d: %s", (int)pid,
			 err > 0 ? strerror(err) : dwfl_errmsg(-1));
		us_unwinder_free(u);
		return NULL;
	}
	u->attached = dwfl_attach_state(u->dwfl, NULL, pid, &thread_callbacks, &u->current);
	if (!u->attached) {
		if (say_why)
			us_error("cannot unwind in PID %d: %s", (int)pid, dwfl_errmsg(-1));
		us_unwinder_free(u);
		return NULL;
	}
	return u;
}

struct us_unwinder *us_unwinder_for_process(pid_t pid)
{
	return open_unwinder(pid, true);
}

struct us_unwinder *us_unwinder_for_process_quiet(pid_t pid)
{
	return open_unwinder(pid, false);
}

void us_unwinder_free(struct us_unwinder *u)
{
	if (!u)
		return;
	if (u->dwfl)
		dwfl_end(u->dwfl);
	free(u);
}

struct walk {
	uint64_t *pcs;
	size_t n, max;
};

static int add_frame(Dwfl_Frame *frame, void *arg)
{
	struct walk *w = arg;
	Dwarf_Addr pc;

	if (!dwfl_frame_pc(frame, &pc, NULL))
		return DWARF_CB_ABORT;
	w->pcs[w->n++] = pc;
	return w->n < w->max ? DWARF_CB_OK : DWARF_CB_ABORT;
}

size_t us_unwind(struct us_unwinder *u, pid_t tid, const struct us_user_regs *regs,
		 const uint8_t *stack, size_t len, uint64_t *pcs, size_t max, bool *complete)
{
	struct walk w = { .pcs = pcs, .max = max };
	int rc;

	*complete = false;
	if (!max || !u)
		return 0;
	u->current = (struct stack_copy){ .tid = tid, .regs = regs, .bytes = stack, .len = len };
	rc = dwfl_getthread_frames(u->dwfl, tid, add_frame, &w);
	*complete = rc == 0 && !u->current.read_past_copy;
	return w.n;
}

void us_unwinder_name(struct us_unwinder *u, uint64_t pc, bool return_address,
		      struct us_frame_name *out)
{
	Dwarf_Addr at = return_address && pc ? pc - 1 : pc, bias = 0;
	Dwfl_Module *m = u ? dwfl_addrmodule(u->dwfl, at) : NULL;
	const char *object;

	memset(out, 0, sizeof(*out));
	out->object_address = pc;
	if (!m)
		return;
	object = dwfl_module_info(m, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
	out->object = object ? us_base_name(object) : NULL;
	if (object && strncmp(object, "[vdso", 5) == 0)
		out->object = "[vdso]";	/* libdw says "[vdso: PID]" */
	if (dwfl_module_getelf(m, &bias))
		out->object_address = pc - bias;
	object = dwfl_module_addrname(m, at);
	if (object) {	/* "memcpy@@GLIBC_2.14" is memcpy */
		snprintf(u->name, sizeof(u->name), "%.*s", (int)strcspn(object, "@"), object);
		out->function = u->name;
	}
}
