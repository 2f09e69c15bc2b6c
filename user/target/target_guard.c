// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "log.h"
#include "target_guard.h"

/* One message from uscope to its guard. */
struct guard_message {
	uint32_t kind;		/* GUARD_WORD, GUARD_BUMP, GUARD_CONTINUE or GUARD_RELEASE */
	/* GUARD_BUMP with threads (3.13): `original` is the address of the first
	 * thread's pointer, `zero_at` the offsets of a thread's next (high 32
	 * bits) and of its eval breaker (low 32), whose bits above the 8 event
	 * bits hold the version too */
	int32_t pid;
	uint64_t address, written, original;
	uint64_t zero_at;	/* put back only while the word here is 0; 0: always */
};

enum { GUARD_WORD = 1, GUARD_RELEASE = 2, GUARD_CONTINUE = 3, GUARD_BUMP = 4 };
#define GUARD_MAX_WORDS 1040	/* eval_frame, and a line hook per thread */
#define GUARD_MAX_BUMPS 4

static int guard_fd = -1;	/* write end, in uscope */
static pid_t guard_pid;

/* The memory of the message's process, or -1 when it is gone. */
static int target_memory(const struct guard_message *m)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/mem", (int)m->pid);
	return open(path, O_RDWR | O_CLOEXEC);
}

static void put_back(const struct guard_message *m)
{
	uint64_t current = 0;
	int fd = target_memory(m);

	if (fd < 0)
		return;		/* the target is gone: nothing to put back */
	if (m->zero_at && (pread(fd, &current, sizeof(current), (off_t)m->zero_at) !=
			   sizeof(current) || current)) {
		close(fd);
		return;		/* the word is the target's own now */
	}
	if (pread(fd, &current, sizeof(current), (off_t)m->address) == sizeof(current) &&
	    current == m->written &&
	    pwrite(fd, &m->original, sizeof(m->original), (off_t)m->address) == sizeof(m->original))
		fprintf(stderr, "uscope: uscope was killed; its guard put back what it had "
			"changed in PID %d\n", (int)m->pid);
	close(fd);
}

#define EVAL_EVENT_BITS 0xffull
#define GUARD_THREADS_MAX 4096

bool us_process_is_stopped(pid_t pid)
{
	char path[64], state = 0;
	FILE *f;
	bool stopped;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	stopped = f && fscanf(f, "%*d (%*[^)]) %c", &state) == 1 && state == 'T';
	if (f)
		fclose(f);
	return stopped;
}

bool us_stop_and_wait(pid_t pid)
{
	const struct timespec step = { 0, 1000000 };

	if (kill(pid, SIGSTOP))
		return false;
	for (int i = 0; i < 1000; i++) {	/* bounded: 1 s */
		if (us_process_is_stopped(pid))
			return true;
		nanosleep(&step, NULL);
	}
	return false;
}

/* 3.13: each thread's eval breaker takes the new version, its event bits kept. */
static void set_thread_versions(int fd, const struct guard_message *m, uint64_t version)
{
	uint64_t t = 0, breaker, at;
	uint32_t next = (uint32_t)(m->zero_at >> 32), breaker_at = (uint32_t)m->zero_at;

	if (pread(fd, &t, sizeof(t), (off_t)m->original) != sizeof(t))
		return;
	for (int i = 0; i < GUARD_THREADS_MAX && t; i++) {
		at = t + breaker_at;
		if (pread(fd, &breaker, sizeof(breaker), (off_t)at) == sizeof(breaker)) {
			breaker = (breaker & EVAL_EVENT_BITS) | version;
			if (pwrite(fd, &breaker, sizeof(breaker), (off_t)at) != sizeof(breaker))
				return;
		}
		if (pread(fd, &t, sizeof(t), (off_t)(t + next)) != sizeof(t))
			return;
	}
}

/* A counter the target reads to notice the words changed: moved on by
 * `written` (a step), after the words are back; with threads (3.13), with
 * the process stopped for the moment it takes (unless it already was). */
static void bump(const struct guard_message *m)
{
	bool threads = m->original != 0, was_stopped = threads && us_process_is_stopped(m->pid);
	uint64_t value = 0;
	int fd = target_memory(m);

	if (fd < 0)
		return;
	if (threads && !was_stopped && !us_stop_and_wait(m->pid)) {
		kill(m->pid, SIGCONT);
		close(fd);
		return;
	}
	if (pread(fd, &value, sizeof(value), (off_t)m->address) == sizeof(value)) {
		value += m->written;
		if (pwrite(fd, &value, sizeof(value), (off_t)m->address) != sizeof(value))
			fprintf(stderr, "uscope: the guard could not move PID %d's counter on\n",
				(int)m->pid);
		else if (threads)
			set_thread_versions(fd, m, value);
	}
	if (threads && !was_stopped)
		kill(m->pid, SIGCONT);
	close(fd);
}

static void __attribute__((noreturn)) guard_main(int read_fd)
{
	struct guard_message words[GUARD_MAX_WORDS], bumps[GUARD_MAX_BUMPS], m;
	pid_t stopped_by_uscope = 0;
	int n = 0, n_bumps = 0;

	/* only the pipe: no BPF link or ring of uscope's may outlive it here */
	syscall(SYS_close_range, 3, read_fd - 1, 0);
	syscall(SYS_close_range, read_fd + 1, ~0U, 0);
	signal(SIGINT, SIG_IGN);	/* a terminal's Ctrl-C is for uscope */
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	for (;;) {
		ssize_t got = read(read_fd, &m, sizeof(m));

		if (got < 0 && errno == EINTR)
			continue;
		if (got != sizeof(m))
			break;	/* uscope is gone without releasing us */
		if (m.kind == GUARD_RELEASE)
			_exit(0);
		if (m.kind == GUARD_WORD && n < GUARD_MAX_WORDS)
			words[n++] = m;
		if (m.kind == GUARD_BUMP && n_bumps < GUARD_MAX_BUMPS)
			bumps[n_bumps++] = m;
		if (m.kind == GUARD_CONTINUE)
			stopped_by_uscope = m.pid;
	}
	for (int i = 0; i < n; i++)
		put_back(&words[i]);
	for (int i = 0; i < n_bumps; i++)
		bump(&bumps[i]);
	if (stopped_by_uscope)
		kill(stopped_by_uscope, SIGCONT);
	_exit(0);
}

static int start_guard(void)
{
	int fds[2];

	if (pipe2(fds, O_CLOEXEC))
		return -1;
	guard_pid = fork();
	if (guard_pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (guard_pid == 0) {
		close(fds[1]);
		guard_main(fds[0]);
	}
	close(fds[0]);
	guard_fd = fds[1];
	return 0;
}

static int send_to_guard(const struct guard_message *m)
{
	if (guard_fd < 0 && start_guard()) {
		us_warn("cannot start the guard process (%s): if uscope is killed with SIGKILL, "
			"the target keeps uscope's change until the next uscope", strerror(errno));
		return -1;
	}
	return write(guard_fd, m, sizeof(*m)) == sizeof(*m) ? 0 : -1;
}

int us_guard_continue(pid_t pid)
{
	struct guard_message m = { .kind = GUARD_CONTINUE, .pid = pid };

	return send_to_guard(&m);
}

int us_guard_word(pid_t pid, uint64_t address, uint64_t written, uint64_t original)
{
	return us_guard_word_if_zero(pid, address, written, original, 0);
}

int us_guard_word_if_zero(pid_t pid, uint64_t address, uint64_t written, uint64_t original,
			  uint64_t zero_at)
{
	struct guard_message m = {
		.kind = GUARD_WORD, .pid = pid, .address = address, .written = written,
		.original = original, .zero_at = zero_at,
	};

	return send_to_guard(&m);
}

int us_guard_bump(pid_t pid, uint64_t address, uint64_t step)
{
	struct guard_message m = { .kind = GUARD_BUMP, .pid = pid, .address = address,
				   .written = step };

	return send_to_guard(&m);
}

int us_guard_bump_threads(pid_t pid, uint64_t address, uint64_t step, uint64_t first_thread_at,
			  uint32_t next_offset, uint32_t breaker_offset)
{
	struct guard_message m = {
		.kind = GUARD_BUMP, .pid = pid, .address = address, .written = step,
		.original = first_thread_at, .zero_at = (uint64_t)next_offset << 32 | breaker_offset,
	};

	return send_to_guard(&m);
}

void us_guard_release(void)
{
	struct guard_message m = { .kind = GUARD_RELEASE };
	int fd = guard_fd;

	if (fd < 0)
		return;
	guard_fd = -1;
	if (write(fd, &m, sizeof(m)) == sizeof(m))
		waitpid(guard_pid, NULL, 0);
	close(fd);
}
