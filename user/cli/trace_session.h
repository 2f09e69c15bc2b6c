/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* cli: one run or attach, from the plan to the report (cmd_trace.c), and
 * the processes it follows (follow.c). */
#ifndef USCOPE_TRACE_SESSION_H
#define USCOPE_TRACE_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include "commands.h"
#include "options.h"
#include "plan_memory.h"
#include "plan_python.h"
#include "probe_session.h"
#include "record.h"
#include "target.h"

struct trace_session {
	struct us_target target;
	struct us_plan plan;
	struct us_python python;	/* object == NULL: not a Python target */
	struct us_memory_plan memory;	/* --memory: the allocator probes */
	struct us_probe_session probes;
	uint64_t live_rss_bytes;	/* the target's resident size when tracing stopped */
	struct us_record_writer writer;
	struct us_recording rec;
	char *recording;
	const struct us_run_request *req;	/* run; NULL for attach */
	const struct us_options *options;
	bool following;			/* --follow: new processes are traced */
	struct us_attached { pid_t pid; char *open_path; } *attached;	/* links made, per process */
	size_t n_attached, attached_cap;
	uint64_t last_snapshot_ns;	/* --aggregate: the counters' last record */
};

/* --follow: a traced process made a process (stopped until its probes are
 * in) or exec'd a program: its probes go in, it goes on. */
void us_follow_new_process(struct trace_session *s, const struct us_task_event *ev);
void us_follow_exec(struct trace_session *s, const struct us_process_exec_event *ev);
/* The objects of the plan the target's own links cover (made at the start). */
void us_follow_note_attached(struct trace_session *s, pid_t pid);
void us_follow_free(struct trace_session *s);
/* A process's command line into the recording (US_EV_PROCESS_INFO). */
void us_follow_note_process(struct trace_session *s, pid_t pid, pid_t parent_pid);

#endif
