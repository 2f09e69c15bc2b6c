// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `uscope profile`: target -> sampler (bpf) -> collect, each raw sample
 * unwound into profile records -> record; then record -> model -> report
 * like `uscope report`. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "collect.h"
#include "commands.h"
#include "log.h"
#include "print_report.h"
#include "probe_session.h"
#include "profile_stacks.h"
#include "record.h"
#include "signals.h"
#include "target.h"
#include "util.h"

#define DEFAULT_FREQUENCY_HZ 99

struct profile_session {
	struct us_target target;	/* pid 0 with -a */
	struct us_probe_session probes;
	struct us_profile_options sampling;
	struct us_profile_stacks *stacks;
	struct us_record_writer writer;
	struct us_recording rec;
	char *recording;
	bool temporary;			/* no -o: removed after the report */
};

static void record_derived(void *ctx, const struct us_event_header *ev)
{
	struct profile_session *s = ctx;

	us_record_append(&s->writer, ev);
}

/* Raw samples are unwound, not recorded as they came. */
static bool unwind_raw(void *ctx, const struct us_event_header *ev)
{
	struct profile_session *s = ctx;

	return us_profile_stacks_add(s->stacks, ev);
}

/* The last record: what was sampled, and every loss by cause. */
static void record_totals(void *ctx)
{
	struct profile_session *s = ctx;
	struct us_profile_totals_event totals;

	memset(&totals, 0, sizeof(totals));
	totals.hdr = (struct us_event_header){ .type = US_EV_PROFILE_TOTALS,
					       .size = sizeof(totals), .ts_ns = s->rec.end_ns };
	totals.samples = us_bpf_profile_samples_taken(&s->probes.profile);
	totals.frequency_hz = s->sampling.frequency_hz;
	totals.kinds = (s->sampling.on_cpu ? 1u << US_SAMPLE_ON_CPU : 0) |
		       (s->sampling.off_cpu ? 1u << US_SAMPLE_OFF_CPU : 0);
	totals.losses[US_LOSS_RING_FULL] = us_bpf_calls_lost(&s->probes.calls);
	us_profile_stacks_losses(s->stacks, &totals);
	us_record_append(&s->writer, &totals.hdr);
}

static void fill_metadata(struct profile_session *s, const struct us_options *o)
{
	struct utsname u;

	s->rec.uscope_version = us_strdup(USCOPE_VERSION);
	s->rec.mode = us_strdup("profile");
	s->rec.pid = s->target.pid;
	s->rec.argv = us_calloc((size_t)o->n_rest + 1, sizeof(*s->rec.argv));
	for (int i = 0; i < o->n_rest; i++)
		s->rec.argv[s->rec.argc++] = us_strdup(o->rest[i]);
	s->rec.kernel = us_strdup(uname(&u) == 0 ? u.release : "unknown");
	if (s->target.pid > 0)
		s->rec.cwd = us_process_cwd(s->target.pid);
}

static int open_recording(struct profile_session *s, const struct us_options *o)
{
	const char *tmpdir = getenv("TMPDIR");
	int fd;

	if (o->output) {
		s->recording = us_strdup(o->output);
	} else {
		s->recording = us_asprintf("%s/uscope-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
		fd = mkstemp(s->recording);
		if (fd < 0) {
			us_error("cannot create a temporary recording in %s: %s (set TMPDIR or use -o)",
				 tmpdir && *tmpdir ? tmpdir : "/tmp", strerror(errno));
			return -1;
		}
		close(fd);
		s->temporary = true;
	}
	s->rec.start_ns = us_monotonic_ns();
	s->rec.start_realtime_ns = us_realtime_ns();
	return us_record_writer_open(&s->writer, s->recording, &s->rec);
}

/* Loads the sampler, opens the recording and starts sampling. */
static int start_sampling(struct profile_session *s, const struct us_options *o)
{
	s->rec.setup_start_ns = us_monotonic_ns();
	if (us_probe_session_load(&s->probes, s->target.pid, o->ring_bytes) ||
	    us_probe_session_load_profile(&s->probes, o->ring_bytes, &s->sampling))
		return -1;
	if (s->target.pid > 0 && us_bpf_profile_add_process(&s->probes.profile, s->target.pid))
		return -1;
	if (open_recording(s, o))
		return -1;
	s->stacks = us_profile_stacks_new(&s->probes.profile, record_derived, s);
	if (s->target.pid > 0 && !s->target.spawned)
		us_profile_stacks_watch(s->stacks, s->target.pid);
	if (us_bpf_profile_attach(&s->probes.profile, &s->sampling))
		return -1;
	s->rec.program_start_ns = us_monotonic_ns();
	return 0;
}

/* -v: what uscope itself took to profile, and what it made of it. */
static void say_own_cost(const struct profile_session *s)
{
	struct us_profile_stacks_counts c;
	struct rusage self;
	double cpu_s, span_s = (double)(s->rec.end_ns - s->rec.start_ns) / 1e9;

	us_profile_stacks_counts(s->stacks, &c);
	getrusage(RUSAGE_SELF, &self);
	cpu_s = (double)self.ru_utime.tv_sec + (double)self.ru_utime.tv_usec / 1e6 +
		(double)self.ru_stime.tv_sec + (double)self.ru_stime.tv_usec / 1e6;
	us_info("unwound %llu samples of %zu process%s (%zu CPython) into %u distinct stacks of "
		"%u frames", (unsigned long long)c.samples, c.processes,
		c.processes == 1 ? "" : "es", us_profile_stacks_python_count(s->stacks), c.stacks,
		c.frames);
	us_info("uscope itself used %.3f s of CPU (%.1f%% of one CPU over %.1f s) and %ld MiB "
		"at most", cpu_s, span_s > 0 ? 100.0 * cpu_s / span_s : 0.0, span_s,
		self.ru_maxrss / 1024);
}

static int finish_sampling(struct profile_session *s, const struct us_options *o)
{
	const struct us_collect_hooks hooks = { .consume = unwind_raw, .on_drained = record_totals,
						.ctx = s };
	int err = us_collect(&s->target, &s->probes, &s->writer, &s->rec, o->duration_ns, &hooks);

	if (s->stacks && us_log_verbosity() > 0)
		say_own_cost(s);
	us_probe_session_destroy(&s->probes);
	if (us_record_writer_finish(&s->writer, &s->rec))
		err = -1;
	if (err)
		return -1;
	if (o->output)
		us_info("recording written to %s", o->output);
	return us_print_report(s->recording, o, stderr);
}

static void session_close(struct profile_session *s)
{
	us_probe_session_destroy(&s->probes);
	us_profile_stacks_free(s->stacks);
	us_record_writer_abandon(&s->writer);
	us_recording_free(&s->rec);
	if (s->recording && s->temporary)
		unlink(s->recording);
	free(s->recording);
	s->recording = NULL;
}

static void sampling_options(struct profile_session *s, const struct us_options *o)
{
	s->sampling = (struct us_profile_options){
		.frequency_hz = o->frequency_hz ? o->frequency_hz : DEFAULT_FREQUENCY_HZ,
		.all_processes = o->all_processes,
		.follow_children = o->subprocesses == US_CHILDREN_FOLLOW ||
				   (o->subprocesses == US_CHILDREN_DEFAULT && o->n_rest > 0),
		.on_cpu = !o->off_cpu,
		.off_cpu = o->off_cpu || o->wall,
	};
}

static int profile_command(struct profile_session *s, const struct us_options *o)
{
	int status = us_target_spawn(&s->target, o->rest);
	bool profiled;

	if (status)
		return status;
	fill_metadata(s, o);
	us_signals_install();
	if (start_sampling(s, o)) {
		session_close(s);
		us_target_abandon(&s->target);
		us_target_close(&s->target);
		return 1;
	}
	if (us_target_release(&s->target)) {
		session_close(s);
		us_target_wait(&s->target);
		us_target_close(&s->target);
		return 127;
	}
	profiled = finish_sampling(s, o) == 0;
	session_close(s);
	if (!s->target.exited && us_stop_signal())
		kill(s->target.pid, us_stop_signal());	/* Ctrl-C: the command stops too */
	status = us_exit_code_of(us_target_wait(&s->target));
	us_target_close(&s->target);
	if (!profiled) {
		us_info("the command exited with status %d; uscope exits %d: profiling failed", status,
			US_EXIT_TRACING_FAILED);
		return US_EXIT_TRACING_FAILED;
	}
	return status;
}

static int profile_running(struct profile_session *s, const struct us_options *o)
{
	int err;

	if (o->pid && us_target_attach(&s->target, o->pid))
		return 1;
	fill_metadata(s, o);
	us_signals_install();
	err = start_sampling(s, o);
	if (!err) {
		if (o->all_processes)
			us_info("sampling every process at %u Hz; Ctrl-C to stop",
				s->sampling.frequency_hz);
		else
			us_info("sampling PID %d at %u Hz; Ctrl-C to stop", (int)o->pid,
				s->sampling.frequency_hz);
		err = finish_sampling(s, o);
	}
	session_close(s);
	if (o->pid)
		us_target_close(&s->target);
	return err ? 1 : 0;
}

int us_cmd_profile(struct us_options *o)
{
	struct profile_session s = { .target = { .pidfd = -1, .release_fd = -1,
						 .exec_error_fd = -1 } };

	if (us_bpf_check_privileges())
		return 1;
	sampling_options(&s, o);
	if (o->n_rest > 0)
		return profile_command(&s, o);
	return profile_running(&s, o);
}
