// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `uscope run` and `uscope attach`: target -> plan -> bpf -> collect ->
 * record, then record -> model -> report like `uscope report`. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "probe_session.h"
#include "collect.h"
#include "commands.h"
#include "print_report.h"
#include "trace_plan.h"
#include "log.h"
#include "model_load.h"
#include "model_program.h"
#include "options.h"
#include "record.h"
#include "signals.h"
#include "plan_python.h"
#include "target.h"
#include "target_guard.h"
#include "target_python.h"
#include "trace_session.h"
#include "util.h"

static int describe_plan(const struct us_plan *plan, const struct us_python *py)
{
	size_t slow = 0, refused = 0;

	if (py->object)
		us_info("tracing Python calls of CPython 3.%d in %s%s", py->minor, py->object,
			py->eval_emulated ? "" : " (its first instruction is single-stepped: slow)");
	if (plan->count == 0)
		return 0;

	for (size_t i = 0; i < plan->count; i++) {
		const struct us_site *s = &plan->sites[i];

		if (!s->probeable) {
			us_warn("cannot trace %s in %s: the kernel does not probe its first instruction (%s)",
				s->function, s->object, s->insn);
			refused++;
		}
		slow += s->probeable && !s->emulated;
	}
	if (refused == plan->count) {
		us_error("no function of the pattern can be probed");
		return -1;
	}
	us_info("tracing %zu function%s", plan->count - refused,
		plan->count - refused == 1 ? "" : "s");
	if (slow)
		us_info("%zu of them start with an instruction the kernel single-steps (~13 us a hit "
			"instead of ~1 us); `uscope probes` lists them", slow);
	return 0;
}

static void fill_metadata(struct us_recording *rec, const char *mode, pid_t pid,
			  char **argv, int argc, const struct us_filters *filters)
{
	struct utsname u;

	rec->uscope_version = us_strdup(USCOPE_VERSION);
	rec->mode = us_strdup(mode);
	rec->pid = pid;
	rec->argv = us_calloc((size_t)argc + 1, sizeof(*rec->argv));
	for (int i = 0; i < argc; i++)
		rec->argv[rec->argc++] = us_strdup(argv[i]);
	rec->kernel = us_strdup(uname(&u) == 0 ? u.release : "unknown");
	if (filters)
		us_filters_merge(&rec->filters, filters);
}

/* What the target runs, as the report names its program: its command line
 * once it has exec'd (attach, or a followed shim), or the command itself. */
static void note_program(struct us_recording *rec, const struct us_target *t)
{
	bool execd = !t->spawned || t->stopped;

	rec->cwd = us_process_cwd(t->pid);
	if (execd)
		rec->exec_argv = us_process_cmdline(t->pid, &rec->exec_argc);
	if (rec->exec_argv)
		return;
	rec->exec_argv = us_calloc(rec->argc + 1, sizeof(*rec->exec_argv));
	for (size_t i = 0; i < rec->argc; i++)
		rec->exec_argv[rec->exec_argc++] = us_strdup(i == 0 ? t->exe_path : rec->argv[i]);
}

/* Where the recording is kept (-o, or the request's), or NULL: a
 * temporary file, removed after the report. */
static const char *kept_recording(const struct trace_session *s, const struct us_options *o)
{
	return s->req && s->req->recording ? s->req->recording : o->output;
}

static char *recording_path(const struct trace_session *s, const struct us_options *o)
{
	const char *tmpdir = getenv("TMPDIR");
	char *path;
	int fd;

	if (kept_recording(s, o))
		return us_strdup(kept_recording(s, o));
	path = us_asprintf("%s/uscope-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0) {
		us_error("cannot create a temporary recording in %s: %s (set TMPDIR or use -o)",
			 tmpdir && *tmpdir ? tmpdir : "/tmp", strerror(errno));
		free(path);
		return NULL;
	}
	close(fd);
	return path;
}

/* Under sudo, a kept recording belongs to the invoking user. */
static void give_to_sudo_user(const char *path)
{
	const char *uid = getenv("SUDO_UID"), *gid = getenv("SUDO_GID");

	if (geteuid() == 0 && uid && gid && chown(path, (uid_t)atoi(uid), (gid_t)atoi(gid)) != 0)
		us_warn("cannot give %s to SUDO_UID %s: %s", path, uid, strerror(errno));
}

static void session_close(struct trace_session *s, const struct us_options *o)
{
	us_python_restore();
	us_probe_session_destroy(&s->probes);
	us_python_free(&s->python);
	us_memory_plan_free(&s->memory);
	us_record_writer_abandon(&s->writer);
	us_recording_free(&s->rec);
	us_plan_free(&s->plan);
	us_follow_free(s);
	if (s->recording && !kept_recording(s, o))
		unlink(s->recording);
	free(s->recording);
}

static int find_python(struct trace_session *s)
{
	char err[1024];
	int found = us_python_detect(&s->target.objects, &s->python, err, sizeof(err));

	if (found < 0)
		us_error("%s", err);
	if (found > 0)
		us_python_place_inline_getitem(&s->python);
	return found < 0 ? -1 : 0;
}

/* --lines on 3.12: sys.monitoring's line events on, before the program's
 * first Python call (run) or now (attach: code already running gets them
 * from its next start). */
static void monitor_lines(struct trace_session *s, uint64_t load_delta, bool stopped)
{
	struct us_line_monitor_slot slot = us_python_line_monitor_slot(&s->python);
	struct us_py_sampling walk;

	if (!us_python_sampling_layout(&s->python, load_delta, &walk) ||
	    us_python_monitor_lines(s->target.pid, &slot, &walk, load_delta, stopped))
		us_warn("no lines will be recorded");
}

/* 3.11+ inlines Python-to-Python calls unless eval_frame is set. `run` sets it
 * at the first Python call (the target stops itself there); `attach` now. */
static bool deinline_at_first_call(const struct trace_session *s, const struct us_options *o)
{
	return s->python.object && s->python.inlines_calls && !o->no_deinline && s->target.spawned;
}

static int deinline_running_target(struct trace_session *s, const struct us_options *o)
{
	struct us_eval_frame_slot slot;
	uint64_t delta;

	if (!s->python.object || !s->python.inlines_calls || s->target.spawned || o->no_deinline)
		return 0;
	slot = us_python_eval_frame_slot(&s->python);
	if (us_python_load_delta(s->target.pid, &slot, &delta)) {
		us_error("%s is not mapped in PID %d", s->python.object, (int)s->target.pid);
		return -1;
	}
	return us_python_deinline(s->target.pid, &slot, delta);
}

static int load_python_probes(struct trace_session *s, const struct us_options *o)
{
	struct us_python_options popts = {
		.capture_args = o->python_args || (s->req && s->req->python_args),
		.stop_at_first_call = deinline_at_first_call(s, o),
		.aggregate = o->aggregate,
		.lines = o->lines,
		.locals = o->locals != US_LOCALS_NONE,
		.globals = o->globals,
	};

	if (!s->python.object) {
		if (o->lines)
			us_error("--lines records the lines of Python code: %s is not a CPython "
				 "program", s->target.objects.count ? s->target.objects.items[0].path
								   : "the target");
		return o->lines ? -1 : 0;
	}
	if (o->lines && us_bpf_python_line_source(&s->python) == US_LINES_NONE) {
		us_error("--lines: %s", s->python.minor >= 12
			 ? "this CPython has no symbols _Py_call_instrumentation_line/_jump (a "
			   "build with its symbols, as pyenv's, has them)"
			 : "this interpreter has neither the symbol trace_trampoline (a build with "
			   "its symbols, as pyenv's), nor a sys_settrace to find it from");
		return -1;
	}
	if (o->lines && o->no_deinline && us_bpf_python_line_source(&s->python) == US_LINES_MONITOR) {
		us_error("--lines on CPython 3.12+ turns its line events on at the first Python "
			 "call, where uscope stops only to deinline: drop --no-deinline");
		return -1;
	}
	if (o->no_deinline && s->python.inlines_calls)
		us_warn("--no-deinline: CPython 3.%d runs most Python-to-Python calls inline, where "
			"no probe sees them; only calls from C (and generator resumes) are traced",
			s->python.minor);
	/* CPython gh-104405, fixed in 3.11.4: counted where the place is found */
	if (s->python.minor == 11 && s->python.micro >= 0 && s->python.micro < 4 &&
	    !s->python.inline_getitem_probe_offset)
		us_warn("CPython 3.11.%d runs a Python __getitem__ called by obj[i] inline once it "
			"has specialised the subscript, whatever uscope sets (fixed in 3.11.4, CPython "
			"gh-104405): those calls of __getitem__ are not counted",
			s->python.micro);
	return us_probe_session_load_python(&s->probes, &s->python, s->target.pid, o->ring_bytes, &popts);
}

static const char *const memory_mode_names[] = {
	[US_MEMORY_OFF] = "off", [US_MEMORY_LIBC] = "libc", [US_MEMORY_OBJECTS] = "objects",
};

/* --memory: which allocator functions, and what they will cost. */
static int plan_memory(struct trace_session *s, const struct us_options *o)
{
	size_t slow = 0;
	char err[1024];

	if (!o->memory.mode)
		return 0;
	if (us_memory_plan_build(&s->memory, &s->target.objects, o->memory.mode, s->python.object,
				 s->python.open_path, err, sizeof(err))) {
		us_error("%s", err);
		return -1;
	}
	if (o->memory.mode == US_MEMORY_OBJECTS && !s->python.object)
		us_warn("--memory=objects: the target is not CPython; recording its libc "
			"allocations only");
	if (o->memory.mode == US_MEMORY_OBJECTS && s->memory.objects_inlined)
		us_warn("--memory=objects: %s has no symbol for pymalloc itself, and an optimised "
			"build inlines it into its callers: many objects are not seen. Run the "
			"program with PYTHONMALLOC=malloc to see every object as a malloc",
			s->python.object);
	for (size_t i = 0; i < s->memory.count; i++)
		slow += !s->memory.sites[i].emulated;
	us_info("recording memory: %zu allocator functions in %s%s%s", s->memory.count,
		s->memory.libc, o->memory.mode == US_MEMORY_OBJECTS && s->python.object
			? " and CPython's object allocator" : "",
		o->memory.sample_one_in > 1 ? ", sampled" : "");
	if (slow)
		us_info("%zu of them start with an instruction the kernel single-steps (~13 us a "
			"call); `uscope probes --memory` lists them", slow);
	s->rec.memory = us_strdup(memory_mode_names[o->memory.mode]);
	s->rec.memory_sample_one_in = o->memory.sample_one_in;
	s->rec.memory_sample_min_bytes = o->memory.sample_min_bytes;
	return 0;
}

/* Before any return probe is armed: the target's stack unwinders get the
 * real return addresses back (C++ exceptions, pthread_cancel, backtrace()). */
static int guard_unwinders(struct trace_session *s)
{
	struct us_unwinder_entries entries = { 0 };
	int err;

	us_plan_unwinder_entries(&s->target.objects, &entries);
	err = us_bpf_calls_guard_unwinders(&s->probes.calls, &entries, s->target.pid);
	/* a `run` target is continued by the kernel if uscope dies (target.h) */
	if (!err && entries.count && !s->target.spawned &&
	    s->probes.calls.unwinder_guard == US_UNWINDER_STOPPED)
		us_guard_continue(s->target.pid);
	us_unwinder_entries_free(&entries);
	return err;
}

/* plan, load and attach, open the recording: everything before events flow. */
static int session_prepare(struct trace_session *s, const struct us_options *o)
{
	const struct us_calls_options calls_options = {
		.aggregate = o->aggregate, .follow = s->following,
	};

	s->rec.setup_start_ns = us_monotonic_ns();
	note_program(&s->rec, &s->target);
	if (us_target_list_objects(&s->target) || find_python(s) ||
	    us_build_plan(&s->plan, o, &s->target.objects, s->python.object != NULL,
			  s->following))
		return -1;
	if (describe_plan(&s->plan, &s->python) || plan_memory(s, o))
		return -1;
	if (s->python.object)
		s->rec.python = us_asprintf("3.%d %s", s->python.minor, s->python.object);
	s->rec.aggregate = o->aggregate;
	if (!us_probe_session_loaded(&s->probes) &&
	    us_probe_session_load(&s->probes, s->target.pid, o->ring_bytes, &calls_options))
		return -1;
	if (load_python_probes(s, o))
		return -1;
	if (o->memory.mode &&
	    us_probe_session_load_memory(&s->probes, s->target.pid, o->ring_bytes, &o->memory))
		return -1;
	s->recording = recording_path(s, o);
	if (!s->recording)
		return -1;
	s->rec.plan = s->plan;
	memset(&s->plan, 0, sizeof(s->plan));	/* the recording owns it now */
	s->rec.start_ns = us_monotonic_ns();
	s->rec.start_realtime_ns = us_realtime_ns();
	if (guard_unwinders(s) || us_bpf_calls_attach(&s->probes.calls, &s->rec.plan, s->target.pid))
		return -1;
	if (s->python.object &&
	    us_bpf_python_attach(&s->probes.python, &s->python, s->target.pid))
		return -1;
	if (o->memory.mode && us_bpf_memory_attach(&s->probes.memory, &s->memory, s->target.pid))
		return -1;
	if (deinline_running_target(s, o))
		return -1;
	if (!s->target.spawned && s->probes.python.lines == US_LINES_MONITOR) {
		uint64_t delta = 0;
		struct us_eval_frame_slot slot = us_python_eval_frame_slot(&s->python);

		if (!us_python_load_delta(s->target.pid, &slot, &delta))
			monitor_lines(s, delta, false);
	}
	if (us_record_writer_open(&s->writer, s->recording, &s->rec))
		return -1;
	if (s->following) {
		if (us_bpf_calls_follow(&s->probes.calls))
			return -1;
		us_follow_note_attached(s, s->target.pid);
		us_follow_note_process(s, s->target.pid, getppid());
	}
	if (kept_recording(s, o))
		give_to_sudo_user(s->recording);
	s->rec.program_start_ns = us_monotonic_ns();	/* run: let go right after */
	return 0;
}

/* The target stopped itself where its stack unwinder starts, or where it
 * caught an exception (a kernel in lockdown: bpf/calls.bpf.c): the real
 * return addresses go back, or the trampoline does; it goes on. */
static void swap_return_slots(struct trace_session *s, const struct us_unwind_stop_event *ev)
{
	uint64_t addresses[US_UNWIND_MAX_SLOTS], trampoline[US_UNWIND_MAX_SLOTS],
		reals[US_UNWIND_MAX_SLOTS];
	size_t n = ev->count < US_UNWIND_MAX_SLOTS ? ev->count : US_UNWIND_MAX_SLOTS;
	int err;

	for (size_t i = 0; i < n; i++) {
		addresses[i] = ev->slots[i].address;
		reals[i] = ev->slots[i].real;
		trampoline[i] = ev->trampoline;
	}
	/* the thread's process (a followed one, maybe): /proc/TID/mem, kill(TID) */
	if (ev->rearm)
		err = us_swap_return_slots((pid_t)ev->hdr.tid, addresses, reals, trampoline, n);
	else
		err = us_swap_return_slots((pid_t)ev->hdr.tid, addresses, trampoline, reals, n);
	if (err < 0)
		us_warn("cannot write the target's memory to let its stack unwinder pass "
			"traced frames: %s", strerror(errno));
	kill((pid_t)ev->hdr.tid, SIGCONT);
}

/* 3.12+: a thread of the target spent its C recursion budget and stopped
 * itself: it gets back what tracing spent (target_python.h), and goes on. */
static void widen_recursion_budget(struct trace_session *s, const struct us_py_recursion_event *ev)
{
	struct us_eval_frame_slot slot = us_python_eval_frame_slot(&s->python);
	struct us_py_sampling walk;
	uint64_t delta = 0;
	pid_t pid = (pid_t)ev->hdr.tid;	/* its thread: /proc/TID and kill(TID) reach the process */
	size_t calls;
	int added = -1;

	if (!us_python_load_delta(pid, &slot, &delta) &&
	    us_python_sampling_layout(&s->python, delta, &walk)) {
		calls = us_python_eval_calls(pid, &walk, ev->tstate);
		added = us_python_widen_c_budget(pid, &walk, s->python.c_recursion_offset,
						 ev->tstate, calls);
		us_debug("thread %u: C recursion budget spent in %zu eval calls: %d units added",
			 ev->hdr.tid, calls, added);
	}
	if (added < 0)
		us_warn("cannot widen the C recursion budget of thread %u: it may raise "
			"RecursionError sooner than untraced", ev->hdr.tid);
	kill(pid, SIGCONT);
}

/* --lines: the thread `tid` stopped at a Python call; the line hook goes
 * into its thread state (0: the one holding the GIL, read now). */
static void hook_stopped_thread(struct trace_session *s, uint32_t tid, uint64_t tstate)
{
	struct us_eval_frame_slot eval = us_python_eval_frame_slot(&s->python);
	struct us_line_hook_slot slot = us_python_line_hook_slot(&s->python);
	struct us_py_sampling walk;
	pid_t pid = (pid_t)tid;	/* its thread: /proc/TID reaches the process */
	uint64_t delta = 0;

	if (us_python_load_delta(pid, &eval, &delta) ||
	    !us_python_sampling_layout(&s->python, delta, &walk)) {
		us_warn("cannot find CPython in thread %u: its lines are not recorded", tid);
		return;
	}
	if (!tstate)	/* _PyRuntime.gilstate.tstate_current (<= 3.11) */
		tstate = us_python_read_word(pid, s->python.layout.runtime_vaddr + delta +
						  (uint64_t)s->python.layout.runtime_tstate_current);
	if (tstate)
		us_python_hook_lines(pid, &slot, &walk, delta, tstate);
	else
		us_warn("thread %u holds no Python thread state: its lines are not recorded", tid);
}

/* The target stopped itself for uscope: at its first Python call
 * (deinline), where its stack unwinder starts, where its C recursion budget
 * ran out, or --follow: a new process or an exec. */
static void on_event(void *ctx, const struct us_event_header *ev)
{
	struct trace_session *s = ctx;
	struct us_eval_frame_slot slot;

	switch (ev->type) {
	case US_EV_UNWIND_STOP:
		swap_return_slots(s, (const struct us_unwind_stop_event *)ev);
		break;
	case US_EV_PY_RECURSION_STOP:
		widen_recursion_budget(s, (const struct us_py_recursion_event *)ev);
		break;
	case US_EV_TASK_NEW:
		us_follow_new_process(s, (const struct us_task_event *)ev);
		break;
	case US_EV_PROCESS_EXEC:
		us_follow_exec(s, (const struct us_process_exec_event *)ev);
		break;
	case US_EV_PY_STOPPED:
		slot = us_python_eval_frame_slot(&s->python);
		us_python_deinline(s->target.pid, &slot,
				   ((const struct us_py_stopped_event *)ev)->load_delta);
		if (s->probes.python.lines == US_LINES_HOOK)	/* the thread stopped: hooked too */
			hook_stopped_thread(s, ev->tid, 0);
		if (s->probes.python.lines == US_LINES_MONITOR)
			monitor_lines(s, ((const struct us_py_stopped_event *)ev)->load_delta, true);
		kill(s->target.pid, SIGCONT);
		break;
	case US_EV_PY_LINE_HOOK:
		hook_stopped_thread(s, ev->tid, ((const struct us_py_line_hook_event *)ev)->tstate);
		kill((pid_t)ev->tid, SIGCONT);
		break;
	default:
		break;
	}
}

/* Tracing stopped: the target gets its own eval_frame back before the
 * probes come off (the slow part). */
static void on_stopped(void *ctx)
{
	struct trace_session *s = ctx;

	us_bpf_python_close_line_hook(&s->probes.python);
	us_python_restore();
	if (s->following)
		us_bpf_calls_continue_followed(&s->probes.calls);
	if (!s->target.exited)
		s->live_rss_bytes = us_process_rss_bytes(s->target.pid);
}

static void append_stats(struct trace_session *s, uint64_t code, uint32_t site, bool python,
			 const struct us_call_stats *stats)
{
	struct us_func_stats_event e = {
		.hdr = { .type = US_EV_FUNC_STATS, .size = sizeof(e), .tid = (uint32_t)s->target.pid,
			 .ts_ns = s->rec.end_ns },
		.code = code, .site_id = site, .python = python, .stats = *stats,
	};

	if (stats->calls || stats->timed)
		us_record_append(&s->writer, &e.hdr);
}

static void append_code_stats(void *ctx, uint64_t code, const struct us_call_stats *stats)
{
	append_stats(ctx, code, 0, true, stats);
}

/* --aggregate: the counters BPF kept so far, one record per function
 * (each record holds the totals since the start: a later one replaces it). */
static void append_aggregates(struct trace_session *s)
{
	struct us_call_stats stats;

	for (uint32_t site = 0; site < s->rec.plan.count; site++)
		if (!us_bpf_calls_read_stats(&s->probes.calls, site, &stats))
			append_stats(s, 0, site, false, &stats);
	if (s->probes.python.skel)
		us_bpf_python_each_code_stats(&s->probes.python, append_code_stats, s);
}

/* --aggregate: a snapshot of the counters each second, so a recording cut
 * by a kill keeps them up to its last second. */
#define AGGREGATE_SNAPSHOT_NS 1000000000ull

static void on_tick(void *ctx)
{
	struct trace_session *s = ctx;
	uint64_t now = us_monotonic_ns();

	if (!s->rec.aggregate || now - s->last_snapshot_ns < AGGREGATE_SNAPSHOT_NS)
		return;
	s->last_snapshot_ns = now;
	append_aggregates(s);
}

/* Everything drained: the counters of --aggregate, the memory books' last record. */
static void on_drained(void *ctx)
{
	struct trace_session *s = ctx;
	struct us_mem_totals_event totals;

	if (s->rec.aggregate)
		append_aggregates(s);
	if (!s->probes.memory.skel)
		return;
	us_bpf_memory_totals(&s->probes.memory, (uint32_t)s->target.pid, s->rec.end_ns,
			     s->live_rss_bytes, &totals);
	us_record_append(&s->writer, &totals.hdr);
}

/* collect, then write the trailer and report from the file. */
static int session_finish(struct trace_session *s, const struct us_options *o)
{
	const struct us_collect_hooks hooks = {
		.on_event = on_event, .on_tick = on_tick, .on_stopped = on_stopped,
		.on_drained = on_drained, .ctx = s,
	};
	int err = us_collect(&s->target, &s->probes, &s->writer, &s->rec, o->duration_ns, &hooks);

	us_probe_session_destroy(&s->probes);
	if (us_record_writer_finish(&s->writer, &s->rec))
		err = -1;
	if (err)
		return -1;
	if (s->req && s->req->no_report)
		return 0;
	if (o->output)
		us_info("recording written to %s", o->output);
	return us_print_report(s->recording, o, stderr);
}

/* A script (a pyenv shim, a wrapper) execs the program to trace: let it run
 * to that exec, where it stops before its first instruction. */
static int follow_to_program(struct trace_session *s, const struct us_options *o)
{
	const struct us_calls_options calls_options = {
		.aggregate = o->aggregate, .follow = s->following,
	};

	if (us_probe_session_load(&s->probes, s->target.pid, o->ring_bytes, &calls_options) ||
	    us_bpf_calls_stop_at_exec(&s->probes.calls, true))
		return -1;
	if (us_target_follow_exec(&s->target))
		return -1;
	return us_bpf_calls_stop_at_exec(&s->probes.calls, false);
}

/* `run` cannot trace the command as asked (said why already): it must not
 * stay held or stopped, so it goes, and uscope says how. */
static int abandon_run(struct trace_session *s, const struct us_options *o)
{
	const char *what;

	session_close(s, o);
	what = us_target_abandon(&s->target);
	us_target_close(&s->target);
	if (!what)	/* it exited on its own, before a program uscope could trace */
		return us_exit_code_of(s->target.wait_status);
	us_info("the command (pid %d) %s", (int)s->target.pid, what);
	return us_stop_signal() ? 128 + us_stop_signal() : 1;
}

/* After the report: the command's own exit status, unless it outlives a
 * further stop signal (one that ignores SIGINT, say): then it is left
 * running and uscope ends. */
static int wait_for_command(struct us_target *t)
{
	unsigned stops = us_stop_count();

	for (int i = 0; i < 50 && !us_target_poll_exit(t); i++)
		usleep(10000);
	if (!t->exited && us_stop_signal())
		us_info("the command (pid %d) is still running; waiting for it to exit (signal "
			"uscope again to leave it running)", (int)t->pid);
	if (!us_target_wait_unless_stopped(t, stops)) {
		us_warn("left the command (pid %d) running", (int)t->pid);
		return 128 + us_stop_signal();
	}
	return us_exit_code_of(t->wait_status);
}

int us_cmd_run(struct us_options *o)
{
	const struct us_run_request req = { .argv = o->rest, .argc = o->n_rest };

	return us_run_traced(o, &req);
}

/* A recording that cannot be created is said before anything runs. */
static int check_recording_path(const char *path)
{
	char *dir = path ? us_strdup(path) : NULL;
	char *slash = dir ? strrchr(dir, '/') : NULL;
	int ok = 0;

	if (!dir)
		return 0;
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	if (access(slash ? dir : ".", W_OK) != 0) {
		us_error("cannot write the recording %s: %s", path, strerror(errno));
		ok = -1;
	}
	free(dir);
	return ok;
}

int us_run_traced(const struct us_options *o, const struct us_run_request *req)
{
	struct trace_session s = {
		.req = req, .options = o, .following = o->subprocesses != US_CHILDREN_IGNORE,
	};
	bool traced;
	int status;

	if (us_bpf_check_privileges() || check_recording_path(kept_recording(&s, o)))
		return 1;
	status = us_target_spawn(&s.target, req->argv);
	if (status)
		return status;
	fill_metadata(&s.rec, "run", s.target.pid, req->argv, req->argc,
		      req->unfiltered ? NULL : &o->filters);
	us_signals_install();
	if (us_target_is_script(&s.target) && follow_to_program(&s, o))
		return abandon_run(&s, o);
	if (session_prepare(&s, o))
		return abandon_run(&s, o);
	if (s.target.stopped) {
		us_target_continue(&s.target);
	} else if (us_target_release(&s.target)) {
		session_close(&s, o);
		us_target_wait(&s.target);
		us_target_close(&s.target);
		return 127;
	}
	traced = session_finish(&s, o) == 0;
	if (!traced && !s.target.exited)
		us_info("tracing stopped, no report; the command (pid %d) runs on untraced",
			(int)s.target.pid);
	session_close(&s, o);
	status = wait_for_command(&s.target);
	us_target_close(&s.target);
	if (!traced) {
		us_info("the command exited with status %d; uscope exits %d: tracing failed", status,
			US_EXIT_TRACING_FAILED);
		return US_EXIT_TRACING_FAILED;
	}
	return status;
}

int us_cmd_attach(struct us_options *o)
{
	struct trace_session s = {
		.options = o, .following = o->subprocesses == US_CHILDREN_FOLLOW,
	};
	int err;

	if (us_bpf_check_privileges() || check_recording_path(o->output) ||
	    us_target_attach(&s.target, o->pid))
		return 1;
	fill_metadata(&s.rec, "attach", s.target.pid, NULL, 0, &o->filters);
	us_signals_install();
	err = session_prepare(&s, o);
	if (!err) {
		us_info("attached to PID %d; Ctrl-C to stop", (int)o->pid);
		err = session_finish(&s, o);
		if (err && !s.target.exited)
			us_info("tracing stopped, no report; PID %d runs on, untouched", (int)o->pid);
	}
	session_close(&s, o);
	us_target_close(&s.target);
	return err ? 1 : 0;
}
