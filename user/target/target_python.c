// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "elf_symbols.h"
#include "log.h"
#include "signals.h"
#include "target_guard.h"
#include "target_python.h"

/* Once per uscope: uscope's end, however it comes, must not leave the
 * target changed. */
static void install_restore_handlers(void)
{
	us_signals_install();
	us_signals_on_fatal(us_python_restore);
}

/* What to put back, kept where a signal handler can reach it. */
static struct {
	int mem_fd;		/* /proc/PID/mem of the target, -1 when nothing to restore */
	uint64_t address;	/* of eval_frame */
	uint64_t written;	/* the value uscope wrote */
} restore = { .mem_fd = -1 };

/* C recursion budget given to threads (3.12+), taken back at the end. */
#define WIDENED_THREADS_MAX 256
#define PY_EVAL_C_STACK_UNITS 2
#define C_BUDGET_KEPT 50	/* never taken below this: the thread may be deep now */
static struct {
	int32_t c_offset;
	struct us_py_sampling walk;
	size_t count;
	struct widened { pid_t pid; uint64_t tstate; int32_t added; } threads[WIDENED_THREADS_MAX];
} widened;

static struct widened *widened_thread(pid_t pid, uint64_t tstate)
{
	for (size_t i = 0; i < widened.count; i++)
		if (widened.threads[i].pid == pid && widened.threads[i].tstate == tstate)
			return &widened.threads[i];
	if (widened.count == WIDENED_THREADS_MAX)
		return NULL;
	widened.threads[widened.count] = (struct widened){ .pid = pid, .tstate = tstate };
	return &widened.threads[widened.count++];
}

int us_python_widen_c_budget(pid_t pid, const struct us_py_sampling *walk, int32_t c_offset,
			     uint64_t tstate, size_t eval_calls)
{
	struct widened *w = widened_thread(pid, tstate);
	int64_t spent = (int64_t)eval_calls * PY_EVAL_C_STACK_UNITS;
	int32_t remaining = 0, add;
	char path[64];
	int fd;

	if (!w)
		return -1;
	add = spent > w->added ? (int32_t)(spent - w->added) : 0;
	if (!add)
		return 0;	/* spent by the program itself: its RecursionError */
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (pread(fd, &remaining, 4, (off_t)(tstate + (uint64_t)c_offset)) != 4) {
		close(fd);
		return -1;
	}
	remaining += add;
	if (pwrite(fd, &remaining, 4, (off_t)(tstate + (uint64_t)c_offset)) != 4) {
		close(fd);
		return -1;
	}
	close(fd);
	w->added += add;
	widened.c_offset = c_offset;
	widened.walk = *walk;
	install_restore_handlers();
	return add;
}

static int read_u64(int fd, uint64_t address, uint64_t *value)
{
	return pread(fd, value, sizeof(*value), (off_t)address) == sizeof(*value) ? 0 : -1;
}

/* /proc/PID/mem, built without printf: async-signal-safe. */
static int open_memory(pid_t pid)
{
	char path[32] = "/proc/", digits[12], *p = path + 6;
	int n = 0;

	do
		digits[n++] = (char)('0' + pid % 10);
	while ((pid /= 10) && n < 11);
	while (n)
		*p++ = digits[--n];
	memcpy(p, "/mem", 5);
	return open(path, O_RDWR | O_CLOEXEC);
}

/* Takes back what us_python_widen_c_budget gave each thread still alive,
 * keeping it above C_BUDGET_KEPT (its calls made while traced give their
 * units back as they return). Async-signal-safe. */
static void narrow_c_budgets(void)
{
	for (size_t i = 0; i < widened.count; i++) {
		struct widened *w = &widened.threads[i];
		off_t at = (off_t)(w->tstate + (uint64_t)widened.c_offset);
		int32_t remaining = 0, take;
		int fd;

		if (!w->added || !us_python_thread_state_listed(w->pid, &widened.walk, w->tstate))
			continue;
		fd = open_memory(w->pid);
		if (fd < 0)
			continue;
		if (pread(fd, &remaining, 4, at) == 4) {
			take = remaining - w->added >= C_BUDGET_KEPT ? w->added
			       : remaining > C_BUDGET_KEPT ? remaining - C_BUDGET_KEPT : 0;
			remaining -= take;
			if (pwrite(fd, &remaining, 4, at) == 4)
				w->added -= take;
		}
		close(fd);
	}
}

/* Thread states given the line hook, taken back at the end. */
#define HOOKED_THREADS_MAX 1024
static struct {
	pid_t pid;
	struct us_line_hook_slot slot;
	struct us_py_sampling walk;
	uint64_t hook;			/* trace_trampoline in the process */
	uint64_t tracing_possible;	/* 3.8, 3.9: its address; 0 other versions */
	size_t count;
	uint64_t tstates[HOOKED_THREADS_MAX];
} hooked;

static int add_to_int(int fd, uint64_t address, int32_t delta)
{
	int32_t value = 0;

	if (pread(fd, &value, sizeof(value), (off_t)address) != sizeof(value))
		return -1;
	value = value + delta < 0 ? 0 : value + delta;
	return pwrite(fd, &value, sizeof(value), (off_t)address) == sizeof(value) ? 0 : -1;
}

/* The thread's use_tracing: in its state (3.8, 3.9), or in the C frame of
 * the eval call it runs now (3.10, 3.11), which passes it on to its callers
 * when it returns and to its callees when they start. */
static int set_use_tracing(int fd, uint64_t tstate, uint32_t value)
{
	const struct us_line_hook_slot *slot = &hooked.slot;
	uint64_t at = 0;

	if (slot->use_tracing >= 0)
		at = tstate + (uint64_t)slot->use_tracing;
	else if (slot->cframe >= 0 && read_u64(fd, tstate + (uint64_t)slot->cframe, &at))
		return -1;
	if (!at)
		return -1;
	return pwrite(fd, &value, slot->use_tracing_size, (off_t)at) == slot->use_tracing_size ? 0
											       : -1;
}

/* 3.8: _PyRuntime.ceval.tracing_possible; 3.9: the main interpreter's. */
static uint64_t tracing_possible_address(int fd, const struct us_line_hook_slot *slot,
					 const struct us_py_sampling *walk)
{
	uint64_t interp = 0;

	if (slot->runtime_tracing_possible >= 0)
		return walk->runtime_address + (uint64_t)slot->runtime_tracing_possible;
	if (slot->interp_tracing_possible < 0 ||
	    read_u64(fd, walk->runtime_address + (uint64_t)walk->runtime_main_interp, &interp) ||
	    !interp)
		return 0;
	return interp + (uint64_t)slot->interp_tracing_possible;
}

int us_python_hook_lines(pid_t pid, const struct us_line_hook_slot *slot,
			 const struct us_py_sampling *walk, uint64_t load_delta, uint64_t tstate)
{
	uint64_t hook = slot->hook_vaddr + load_delta, current = 0;
	int fd = open_memory(pid);

	if (fd < 0) {
		us_error("cannot open the memory of PID %d to record its lines: %s", (int)pid,
			 strerror(errno));
		return -1;
	}
	if (read_u64(fd, tstate + (uint64_t)slot->c_tracefunc, &current)) {
		us_error("cannot read the thread state of PID %d: %s", (int)pid, strerror(errno));
		close(fd);
		return -1;
	}
	if (current || hooked.count == HOOKED_THREADS_MAX) {
		if (current != hook)
			us_warn("a thread of PID %d %s: its lines are not recorded", (int)pid,
				current ? "has a trace function of its own (a debugger or coverage?)"
					: "is past the number of threads uscope hooks");
		close(fd);
		return 0;
	}
	if (!hooked.count) {
		hooked.pid = pid;
		hooked.slot = *slot;
		hooked.walk = *walk;
		hooked.hook = hook;
		hooked.tracing_possible = tracing_possible_address(fd, slot, walk);
		install_restore_handlers();
	}
	us_guard_word_if_zero(pid, tstate + (uint64_t)slot->c_tracefunc, hook, 0,
			      tstate + (uint64_t)slot->c_tracefunc + 16);	/* c_traceobj */
	/* the function first, then the switches that make the interpreter call it */
	if (pwrite(fd, &hook, sizeof(hook), (off_t)(tstate + (uint64_t)slot->c_tracefunc)) !=
	    sizeof(hook)) {
		us_error("cannot write the line hook into PID %d: %s", (int)pid, strerror(errno));
		close(fd);
		return -1;
	}
	hooked.tstates[hooked.count++] = tstate;
	if (hooked.tracing_possible)
		add_to_int(fd, hooked.tracing_possible, 1);
	if (set_use_tracing(fd, tstate, slot->use_tracing_on))
		us_warn("cannot turn tracing on in a thread of PID %d: its lines are not recorded",
			(int)pid);
	us_debug("line hook 0x%llx put into thread state 0x%llx of PID %d",
		 (unsigned long long)hook, (unsigned long long)tstate, (int)pid);
	close(fd);
	return 0;
}

/* Whether thread state `tstate` holds uscope's hook and no trace object
 * (sys.settrace installs the same function, with the program's tracer as
 * its object: that one is the program's now). */
static bool holds_our_hook(int fd, uint64_t tstate)
{
	uint64_t function = 0, object = 1;

	return !read_u64(fd, tstate + (uint64_t)hooked.slot.c_tracefunc, &function) &&
	       function == hooked.hook &&
	       !read_u64(fd, tstate + (uint64_t)hooked.slot.c_tracefunc + 16, &object) && !object;
}

static bool is_ours(uint64_t tstate)
{
	for (size_t i = 0; i < hooked.count; i++)
		if (hooked.tstates[i] == tstate)
			return true;
	return false;
}

/* 3.8, 3.9: tracing_possible is the number of thread states with a trace
 * function; it is set to that, the hooks being taken out not counted (the
 * program may have set or cleared trace functions meanwhile). */
static void recount_tracing_possible(int fd)
{
	const struct us_py_sampling *w = &hooked.walk;
	uint64_t interp = 0, t = 0, function;
	int32_t count = 0;

	if (read_u64(fd, w->runtime_address + (uint64_t)w->runtime_main_interp, &interp) ||
	    !interp || read_u64(fd, interp + (uint64_t)w->interp_threads_head, &t))
		return;
	for (int i = 0; i < 4096 && t; i++) {
		if (!read_u64(fd, t + (uint64_t)hooked.slot.c_tracefunc, &function) && function &&
		    !is_ours(t))
			count++;
		if (read_u64(fd, t + (uint64_t)w->tstate_next, &t))
			break;
	}
	pwrite(fd, &count, sizeof(count), (off_t)hooked.tracing_possible);
}

/* Takes the line hook out of each thread state still alive that holds it.
 * Tracing goes off first; a check of the eval loop that saw it on an
 * instant before may still call the hook, which stays in place for 2 ms
 * more. Async-signal-safe. */
static void unhook_lines(void)
{
	const struct timespec settle = { 0, 2000000 };
	uint64_t null = 0;
	int fd = open_memory(hooked.pid);
	size_t i;

	if (fd < 0) {
		hooked.count = 0;
		return;
	}
	for (i = 0; i < hooked.count; i++) {
		uint64_t tstate = hooked.tstates[i], profile = 0;

		if (!us_python_thread_state_listed(hooked.pid, &hooked.walk, tstate) ||
		    !holds_our_hook(fd, tstate)) {
			hooked.tstates[i] = 0;	/* gone, or the program's own tracer now */
			continue;
		}
		if (!read_u64(fd, tstate + (uint64_t)hooked.slot.c_profilefunc, &profile) && !profile)
			set_use_tracing(fd, tstate, 0);
	}
	if (hooked.tracing_possible)
		recount_tracing_possible(fd);
	nanosleep(&settle, NULL);
	for (i = 0; i < hooked.count; i++) {
		uint64_t tstate = hooked.tstates[i];

		if (tstate && holds_our_hook(fd, tstate))
			pwrite(fd, &null, sizeof(null), (off_t)(tstate + (uint64_t)hooked.slot.c_tracefunc));
	}
	close(fd);
	hooked.count = 0;
}

/* sys.monitoring's events turned on for uscope's tool (3.12), turned off at the end. */
#define MONITORING_TOOLS 6	/* sys.monitoring's tool ids 0-5; 6 and 7 are setprofile's, settrace's */
static struct {
	pid_t pid;
	uint64_t interp;
	struct us_line_monitor_slot slot;
	struct us_py_sampling walk;
	int tool;		/* -1: nothing turned on */
} monitoring = { .tool = -1 };

#define EVAL_EVENTS_MASK 0xffull	/* 3.13: eval_breaker's event bits */
#define THREADS_MAX 4096

/* 3.13: each thread's eval_breaker gets the new version (its event bits
 * kept). The process must be stopped. */
static void set_thread_versions(int fd, uint64_t version)
{
	const struct us_py_sampling *w = &monitoring.walk;
	uint64_t t = 0, breaker;

	if (read_u64(fd, monitoring.interp + (uint64_t)w->interp_threads_head, &t))
		return;
	for (int i = 0; i < THREADS_MAX && t; i++) {
		uint64_t at = t + (uint64_t)monitoring.slot.tstate_eval_breaker;

		if (!read_u64(fd, at, &breaker)) {
			breaker = (breaker & EVAL_EVENTS_MASK) | version;
			if (pwrite(fd, &breaker, sizeof(breaker), (off_t)at) != sizeof(breaker))
				return;
		}
		if (read_u64(fd, t + (uint64_t)w->tstate_next, &t))
			return;
	}
}

/* Stops every thread of `pid` for a moment (bounded: 1 s); false if it
 * did not stop. */
static bool stop_process(pid_t pid)
{
	us_guard_continue(pid);	/* if uscope dies meanwhile, the guard continues it */
	if (us_stop_and_wait(pid))
		return true;
	us_warn("PID %d did not stop within 1 s to have its line events turned on", (int)pid);
	kill(pid, SIGCONT);
	return false;
}

static int write_byte_or(int fd, uint64_t address, uint8_t set, uint8_t clear)
{
	uint8_t v = 0;

	if (pread(fd, &v, 1, (off_t)address) != 1)
		return -1;
	v = (uint8_t)((v | set) & ~clear);
	return pwrite(fd, &v, 1, (off_t)address) == 1 ? 0 : -1;
}

/* Every code object instruments itself again at its next start. */
static int bump_monitoring_version(int fd, uint64_t interp, const struct us_line_monitor_slot *slot,
				   uint64_t *now)
{
	uint64_t version = 0, at = interp + (uint64_t)slot->version;

	if (read_u64(fd, at, &version))
		return -1;
	version += slot->version_step;
	*now = version;
	return pwrite(fd, &version, sizeof(version), (off_t)at) == sizeof(version) ? 0 : -1;
}

/* A tool id no one claimed (no name) and whose events are all off, 5 first. */
static int free_tool(int fd, uint64_t interp, const struct us_line_monitor_slot *slot)
{
	uint8_t tools[16] = { 0 };

	if (pread(fd, tools, 15, (off_t)(interp + (uint64_t)slot->monitors)) != 15)
		return -1;
	for (int tool = MONITORING_TOOLS - 1; tool >= 0; tool--) {
		uint64_t name = 1;
		bool used = false;

		for (int e = 0; e < 15; e++)
			used |= (tools[e] >> tool) & 1;
		if (!read_u64(fd, interp + (uint64_t)slot->tool_names + 8 * (uint64_t)tool, &name) &&
		    !name && !used)
			return tool;
	}
	return -1;
}

int us_python_monitor_lines(pid_t pid, const struct us_line_monitor_slot *slot,
			    const struct us_py_sampling *walk, uint64_t load_delta, bool stopped)
{
	uint64_t interp = 0, version = 0, word = 0;
	int fd = open_memory(pid), tool, err;
	uint8_t bit;

	if (fd < 0) {
		us_error("cannot open the memory of PID %d to record its lines: %s", (int)pid,
			 strerror(errno));
		return -1;
	}
	if (read_u64(fd, slot->main_interp_vaddr + load_delta, &interp) || !interp) {
		us_error("cannot find the interpreter state of PID %d (is Python initialised?)",
			 (int)pid);
		close(fd);
		return -1;
	}
	tool = free_tool(fd, interp, slot);
	if (tool < 0) {
		us_error("every sys.monitoring tool id of PID %d is in use: no line events for uscope",
			 (int)pid);
		close(fd);
		return -1;
	}
	bit = (uint8_t)(1u << tool);
	install_restore_handlers();
	/* the guard clears the bits again if uscope is killed, and moves the
	 * version on so that the code objects instrument themselves again
	 * (3.13: in each thread's eval breaker too, the process stopped) */
	if (!read_u64(fd, interp + (uint64_t)slot->monitors, &word))
		us_guard_word(pid, interp + (uint64_t)slot->monitors,
			      word | (uint64_t)bit << (8 * slot->line_event) |
			      (uint64_t)bit << (8 * slot->jump_event), word);
	if (slot->tstate_eval_breaker < 0)
		us_guard_bump(pid, interp + (uint64_t)slot->version, slot->version_step);
	else
		us_guard_bump_threads(pid, interp + (uint64_t)slot->version, slot->version_step,
				      interp + (uint64_t)walk->interp_threads_head,
				      (uint32_t)walk->tstate_next,
				      (uint32_t)slot->tstate_eval_breaker);
	monitoring.pid = pid;
	monitoring.interp = interp;
	monitoring.slot = *slot;
	monitoring.walk = *walk;
	if (slot->tstate_eval_breaker >= 0 && !stopped && !stop_process(pid)) {
		close(fd);
		return -1;
	}
	err = write_byte_or(fd, interp + (uint64_t)slot->monitors + slot->line_event, bit, 0) ||
	      write_byte_or(fd, interp + (uint64_t)slot->monitors + slot->jump_event, bit, 0) ||
	      bump_monitoring_version(fd, interp, slot, &version);
	if (!err && slot->tstate_eval_breaker >= 0)
		set_thread_versions(fd, version);
	if (slot->tstate_eval_breaker >= 0 && !stopped)
		kill(pid, SIGCONT);
	if (err) {
		us_error("cannot turn sys.monitoring's line events on in PID %d: %s", (int)pid,
			 strerror(errno));
		close(fd);
		return -1;
	}
	monitoring.tool = tool;
	us_debug("sys.monitoring tool %d of PID %d: LINE and JUMP on (version %llu)", tool,
		 (int)pid, (unsigned long long)version);
	close(fd);
	return 0;
}

/* Only uscope's bits go, and only if the tool is still unclaimed (a
 * program that claimed it since set its own events); then the code
 * instruments itself again. 3.13 from a signal handler (`in_handler`):
 * the bits only, as stopping the process is not done there: functions
 * stay instrumented, calling no one, until monitoring changes again. */
static void unmonitor_lines(bool in_handler)
{
	const struct us_line_monitor_slot *slot = &monitoring.slot;
	uint8_t bit = (uint8_t)(1u << monitoring.tool);
	uint64_t name = 0, version, at = monitoring.interp + (uint64_t)slot->tool_names +
					8 * (uint64_t)monitoring.tool;
	bool threads = slot->tstate_eval_breaker >= 0;
	int fd = open_memory(monitoring.pid);

	monitoring.tool = -1;
	if (fd < 0)
		return;
	if (!read_u64(fd, at, &name) && !name) {
		write_byte_or(fd, monitoring.interp + (uint64_t)slot->monitors + slot->line_event, 0, bit);
		write_byte_or(fd, monitoring.interp + (uint64_t)slot->monitors + slot->jump_event, 0, bit);
		if (!threads) {
			bump_monitoring_version(fd, monitoring.interp, slot, &version);
		} else if (!in_handler && stop_process(monitoring.pid)) {
			if (!bump_monitoring_version(fd, monitoring.interp, slot, &version))
				set_thread_versions(fd, version);
			kill(monitoring.pid, SIGCONT);
		}
	}
	close(fd);
}

int us_python_load_delta(pid_t pid, const struct us_eval_frame_slot *slot, uint64_t *delta)
{
	char path[64], line[4096];
	unsigned long start, offset;
	int found = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (found && fgets(line, sizeof(line), f)) {
		char *file = strchr(line, '/');

		if (!file || sscanf(line, "%lx-%*x %*s %lx", &start, &offset) != 2 || offset != 0)
			continue;
		file[strcspn(file, "\n")] = '\0';
		if (strcmp(file, slot->object) == 0) {
			*delta = start - us_elf_first_load_vaddr(slot->open_path);
			found = 0;
		}
	}
	fclose(f);
	return found;
}

void us_python_restore(void)
{
	static const char failed[] = "uscope: warning: could not restore the target's eval_frame\n";
	uint64_t current = 0, null = 0;
	int fd = restore.mem_fd;
	ssize_t ignored;

	if (widened.count) {
		narrow_c_budgets();
		widened.count = 0;
	}
	if (hooked.count)
		unhook_lines();
	if (monitoring.tool >= 0)
		unmonitor_lines(us_signals_in_handler());
	if (fd < 0)
		return;
	restore.mem_fd = -1;
	/* only if it still holds our value: the program may have set its own */
	if (pread(fd, &current, sizeof(current), (off_t)restore.address) == sizeof(current) &&
	    current == restore.written &&
	    pwrite(fd, &null, sizeof(null), (off_t)restore.address) != sizeof(null))
		ignored = write(2, failed, sizeof(failed) - 1);
	(void)ignored;
	close(fd);
	us_guard_release();
}


int us_python_deinline(pid_t pid, const struct us_eval_frame_slot *slot, uint64_t load_delta)
{
	uint64_t main_interp = slot->main_interp_vaddr + load_delta;
	uint64_t eval = slot->default_eval_vaddr + load_delta, interp = 0, current = 0;
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		us_error("cannot open %s to make inlined Python calls visible: %s", path,
			 strerror(errno));
		return -1;
	}
	if (read_u64(fd, main_interp, &interp) || !interp ||
	    read_u64(fd, interp + (uint64_t)slot->eval_frame_offset, &current)) {
		us_error("cannot find the interpreter state of PID %d (is Python initialised?)",
			 (int)pid);
		close(fd);
		return -1;
	}
	if (current == eval) {
		/* only uscope writes the default evaluator itself there (CPython's
		 * setter stores NULL for it): an earlier uscope that was killed */
		us_info("eval_frame of PID %d was left set by an earlier uscope; it is put back "
			"when this one stops", (int)pid);
	} else if (current) {
		us_info("the target already sets eval_frame (a debugger or profiler?): leaving it");
		close(fd);
		return 0;
	}
	install_restore_handlers();
	restore.address = interp + (uint64_t)slot->eval_frame_offset;
	restore.written = eval;
	us_guard_word(pid, restore.address, eval, 0);
	if (current == eval) {
		restore.mem_fd = fd;
		return 0;
	}
	if (pwrite(fd, &eval, sizeof(eval), (off_t)restore.address) != sizeof(eval)) {
		us_error("cannot write the target's eval_frame: %s", strerror(errno));
		close(fd);
		return -1;
	}
	restore.mem_fd = fd;
	us_debug("eval_frame of PID %d at 0x%llx set to 0x%llx", (int)pid,
		 (unsigned long long)restore.address, (unsigned long long)eval);
	return 0;
}
