// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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


static int read_u64(int fd, uint64_t address, uint64_t *value)
{
	return pread(fd, value, sizeof(*value), (off_t)address) == sizeof(*value) ? 0 : -1;
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
