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

/* What to put back, kept where a signal handler can reach it. */
static struct {
	int mem_fd;		/* /proc/PID/mem of the target, -1 when nothing to restore */
	uint64_t address;	/* of eval_frame */
	uint64_t written;	/* the value uscope wrote */
} restore = { .mem_fd = -1 };

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

/* Once per uscope: uscope's end, however it comes, must not leave the
 * target changed. */
static void install_restore_handlers(void)
{
	us_signals_install();
	us_signals_on_fatal(us_python_restore);
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
