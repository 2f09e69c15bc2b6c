// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * --follow: the processes a traced process makes, and the programs they
 * exec, are traced too. The kernel stops each new process before its first
 * instruction, and each exec before the new program's first instruction
 * (bpf/calls.bpf.c); here its probes go in (links for its own pid), its
 * command line goes into the recording, and it goes on.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "collect.h"
#include "log.h"
#include "plan_unwinders.h"
#include "target_python.h"
#include "trace_plan.h"
#include "trace_session.h"
#include "util.h"

void us_follow_note_process(struct trace_session *s, pid_t pid, pid_t parent_pid)
{
	struct us_process_info_event e = {
		.hdr = { .type = US_EV_PROCESS_INFO, .size = sizeof(e), .tid = (uint32_t)pid,
			 .ts_ns = us_monotonic_ns() },
		.pid = (uint32_t)pid, .parent_pid = (uint32_t)parent_pid,
	};
	char path[64];
	ssize_t n = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, e.cmdline, sizeof(e.cmdline) - 1);
		close(fd);
	}
	for (ssize_t i = 0; i + 1 < n; i++)
		if (!e.cmdline[i])
			e.cmdline[i] = ' ';
	us_record_append(&s->writer, &e.hdr);
}

static void guard_unwinders_of(struct trace_session *s, const struct us_object_list *objects,
			       pid_t pid)
{
	struct us_unwinder_entries entries = { 0 };

	us_plan_unwinder_entries(objects, &entries);
	us_bpf_calls_guard_unwinders(&s->probes.calls, &entries, pid);
	us_unwinder_entries_free(&entries);
}

static bool is_attached(const struct trace_session *s, pid_t pid, const char *open_path)
{
	for (size_t i = 0; i < s->n_attached; i++)
		if (s->attached[i].pid == pid && strcmp(s->attached[i].open_path, open_path) == 0)
			return true;
	return false;
}

static void mark_attached(struct trace_session *s, pid_t pid, const char *open_path)
{
	if (is_attached(s, pid, open_path))
		return;
	us_grow(&s->attached, &s->attached_cap, s->n_attached + 1, sizeof(*s->attached));
	s->attached[s->n_attached++] = (struct us_attached){ pid, us_strdup(open_path) };
}

void us_follow_note_attached(struct trace_session *s, pid_t pid)
{
	for (size_t i = 0; i < s->rec.plan.count; i++)
		mark_attached(s, pid, s->rec.plan.sites[i].open_path);
}

void us_follow_free(struct trace_session *s)
{
	for (size_t i = 0; i < s->n_attached; i++)
		free(s->attached[i].open_path);
	free(s->attached);
	s->attached = NULL;
	s->n_attached = s->attached_cap = 0;
}

/* Probes for `pid`: the plan's sites in `objects` (NULL: all of them) that
 * its links do not cover yet (an exec of the program already traced, as
 * `run`'s own first exec, adds none); its unwinders are those of `mapped`,
 * the objects it runs. */
static int attach_process(struct trace_session *s, pid_t pid, const struct us_object_list *objects,
			  const struct us_object_list *mapped)
{
	struct us_object_list todo = { 0 };
	int err;

	for (size_t i = 0; i < s->rec.plan.count; i++) {
		const char *path = s->rec.plan.sites[i].open_path;
		bool wanted = !objects;

		for (size_t k = 0; objects && k < objects->count; k++)
			wanted |= strcmp(objects->items[k].open_path, path) == 0;
		if (wanted && !is_attached(s, pid, path))
			us_objects_add(&todo, path, path);
	}
	if (!todo.count) {
		us_objects_free(&todo);
		return 0;
	}
	guard_unwinders_of(s, mapped, pid);
	err = us_bpf_calls_attach_for(&s->probes.calls, &s->rec.plan, pid, &todo);
	for (size_t i = 0; !err && i < todo.count; i++)
		mark_attached(s, pid, todo.items[i].open_path);
	us_objects_free(&todo);
	return err;
}

void us_follow_new_process(struct trace_session *s, const struct us_task_event *ev)
{
	pid_t pid = (pid_t)ev->pid;
	struct us_object_list mapped = { 0 };

	if (ev->pid != ev->hdr.tid || !s->following)
		return;	/* a thread: its process's probes are its own */
	/* a copy of its parent (the target, or a program a child exec'd): the
	 * parent's objects, mapped already, and the plan's probes */
	us_process_objects(pid, &mapped);
	if (attach_process(s, pid, NULL, &mapped) ||
	    (s->python.object && us_bpf_python_attach(&s->probes.python, &s->python, pid)))
		us_warn("process %d (made by %d) is not traced: its probes could not be attached",
			(int)pid, (int)ev->parent_pid);
	us_objects_free(&mapped);
	us_follow_note_process(s, pid, (pid_t)ev->parent_pid);
	kill(pid, SIGCONT);
}

/* The program `pid` runs now, and the objects it will have. */
static int objects_after_exec(pid_t pid, struct us_object_list *objects)
{
	char link[64], exe[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	n = readlink(link, exe, sizeof(exe) - 1);
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	return us_objects_of_executable(exe, objects);
}

void us_follow_exec(struct trace_session *s, const struct us_process_exec_event *ev)
{
	pid_t pid = (pid_t)ev->hdr.tid;
	struct us_object_list objects = { 0 };
	size_t before = s->rec.plan.count, added;

	/* BPF stopped the process with this record: whatever uscope makes of
	 * it, the process goes on (an exec `run` followed before tracing, a
	 * shim's, was continued then: once more is harmless) */
	if (!s->following || ev->hdr.ts_ns < s->rec.start_ns) {
		kill(pid, SIGCONT);
		return;
	}
	if (objects_after_exec(pid, &objects)) {
		us_warn("process %d exec'd a program uscope cannot read: it runs untraced",
			(int)pid);
		kill(pid, SIGCONT);
		return;
	}
	/* `run`'s own exec of the command, or a shim's: planned already */
	if (pid == s->target.pid && s->target.objects.count &&
	    strcmp(objects.items[objects.main_index].open_path,
		   s->target.objects.items[s->target.objects.main_index].open_path) == 0)
		added = 0;
	else
		added = us_extend_plan(&s->rec.plan, s->options, &objects);
	us_record_writer_add_sites(&s->writer, &s->rec.plan, before);
	if (attach_process(s, pid, &objects, &objects))
		us_warn("process %d (%s) is not traced: its probes could not be attached", (int)pid,
			objects.items[objects.main_index].path);
	else
		us_debug("process %d execs %s: %zu new probe sites", (int)pid,
			 objects.items[objects.main_index].path, added);
	us_follow_note_process(s, pid, 0);
	us_objects_free(&objects);
	kill(pid, SIGCONT);
}
