// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `uscope profile`: target -> sampler (bpf) -> collect, each raw sample
 * unwound into profile records -> record; then record -> model -> report
 * like `uscope report`. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <poll.h>
#include <termios.h>
#include <time.h>
#include "collect.h"
#include "commands.h"
#include "log.h"
#include "model.h"
#include "print_report.h"
#include "report_formats.h"
#include "report_profile.h"
#include "report_push.h"
#include "probe_session.h"
#include "profile_stacks.h"
#include "record.h"
#include "signals.h"
#include "target.h"
#include "util.h"

#define DEFAULT_FREQUENCY_HZ 99
#define DEFAULT_PUSH_INTERVAL_NS (10 * 1000000000ULL)
#define TOP_REFRESH_NS 1000000000ULL

struct profile_session {
	struct us_target target;	/* pid 0 with -a */
	struct us_probe_session probes;
	struct us_profile_options sampling;
	struct us_profile_stacks *stacks;
	struct us_record_writer writer;
	struct us_recording rec;
	char *recording;
	bool temporary;			/* no -o: removed after the report */
	/* --push and top: the profile so far, modelled as it comes */
	bool live;
	struct us_plan no_plan;
	struct us_model model;
	uint64_t last_tick_ns;
	uint64_t interval_start_s;	/* --push: Unix time the pending samples start */
	struct us_push push;
	char *push_name;
	uint64_t push_interval_ns;
	unsigned push_failures;
	bool top;			/* uscope top: the live table, no report */
	const struct us_options *options;
};

static void record_derived(void *ctx, const struct us_event_header *ev)
{
	struct profile_session *s = ctx;

	us_record_append(&s->writer, ev);
	if (s->live)
		us_model_add_event(&s->model, ev);
}

static uint64_t unix_seconds(void)
{
	return (uint64_t)time(NULL);
}

/* The samples since the last push go out; the frames and stacks stay. */
static void push_pending(struct profile_session *s)
{
	struct us_profile *p = &s->model.profile;
	uint64_t until = unix_seconds();
	char err[512];

	if (!p->n_samples)
		return;
	p->totals.frequency_hz = s->sampling.frequency_hz;
	p->totals.kinds = (s->sampling.on_cpu ? 1u << US_SAMPLE_ON_CPU : 0) |
			  (s->sampling.off_cpu ? 1u << US_SAMPLE_OFF_CPU : 0);
	p->has_totals = true;
	if (us_push_pprof(&s->push, s->interval_start_s, until > s->interval_start_s ? until :
			  s->interval_start_s + 1, &s->rec, p, err, sizeof(err))) {
		if (s->push_failures++ < 3)
			us_warn("--push: %s; the profile goes on (this interval's samples are kept "
				"in the recording only)", err);
	} else {
		us_debug("pushed %zu stacks' samples to %s", p->n_samples, s->push.url);
	}
	free(p->samples);
	p->samples = NULL;
	p->n_samples = p->samples_cap = 0;
	us_map_free(&p->sample_index);
	memset(p->count, 0, sizeof(p->count));
	memset(p->weight_ns, 0, sizeof(p->weight_ns));
	s->interval_start_s = until;
}

/* ---- top ---------------------------------------------------------------- */

static struct termios saved_terminal;
static bool terminal_changed;

static void restore_terminal(void)
{
	if (terminal_changed)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_terminal);
	terminal_changed = false;
}

/* Keys arrive one at a time, unechoed: q quits. */
static void keys_unbuffered(void)
{
	struct termios t;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_terminal) != 0)
		return;
	t = saved_terminal;
	t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	terminal_changed = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
	us_signals_on_fatal(restore_terminal);
	atexit(restore_terminal);
}

static bool quit_pressed(void)
{
	struct pollfd in = { .fd = STDIN_FILENO, .events = POLLIN };
	char key;

	if (!terminal_changed || poll(&in, 1, 0) <= 0 || read(STDIN_FILENO, &key, 1) != 1)
		return false;
	return key == 'q' || key == 'Q';
}

static int terminal_rows(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 4)
		return ws.ws_row;
	return 0;
}

/* The flat report of the profile so far, cut to the screen. */
static void show_top(struct profile_session *s)
{
	struct us_report_options ro;
	int rows = isatty(STDOUT_FILENO) ? terminal_rows() : 0, printed = 0;
	char *text = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);

	if (!mem)
		return;
	us_report_options_for(s->options, stdout, &ro);
	s->model.profile.totals.frequency_hz = s->sampling.frequency_hz;
	s->model.profile.totals.kinds = (s->sampling.on_cpu ? 1u << US_SAMPLE_ON_CPU : 0) |
					(s->sampling.off_cpu ? 1u << US_SAMPLE_OFF_CPU : 0);
	s->model.profile.has_totals = true;
	s->rec.end_ns = us_monotonic_ns();
	us_report_write_profile(mem, US_FORMAT_FLAT, &s->rec, &s->model, &ro);
	fclose(mem);
	if (rows)
		fputs("\033[H\033[2J", stdout);	/* home, clear */
	for (line = strtok_r(text, "\n", &save); line && (!rows || printed < rows - 2);
	     line = strtok_r(NULL, "\n", &save), printed++)
		printf("%s\n", line);
	if (rows)
		printf("(q quits)");
	else
		putchar('\n');
	fflush(stdout);
	free(text);
}

static void on_tick(void *ctx)
{
	struct profile_session *s = ctx;
	uint64_t now = us_monotonic_ns();

	if (s->top && quit_pressed())
		raise(SIGINT);
	if (s->top && now - s->last_tick_ns >= TOP_REFRESH_NS) {
		s->last_tick_ns = now;
		show_top(s);
	}
	if (s->push.url && now - s->last_tick_ns >= s->push_interval_ns) {
		s->last_tick_ns = now;
		push_pending(s);
	}
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

	if (s->push.url)
		push_pending(s);	/* the last interval */
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
	if (us_probe_session_load(&s->probes, s->target.pid, o->ring_bytes, &(struct us_calls_options){ 0 }) ||
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
						.on_tick = on_tick, .ctx = s };
	int err = us_collect(&s->target, &s->probes, &s->writer, &s->rec, o->duration_ns, &hooks);

	if (s->stacks && us_log_verbosity() > 0)
		say_own_cost(s);
	us_probe_session_destroy(&s->probes);
	if (us_record_writer_finish(&s->writer, &s->rec))
		err = -1;
	if (err)
		return -1;
	if (s->top) {
		restore_terminal();
		putchar('\n');
		return 0;
	}
	if (o->output)
		us_info("recording written to %s", o->output);
	return us_print_report(s->recording, o, stderr);
}

static void session_close(struct profile_session *s)
{
	if (s->live)
		us_model_free(&s->model);
	s->live = false;
	free(s->push_name);
	s->push_name = NULL;
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
		.kernel = o->kernel,
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

/* --push and top model the profile as it comes. */
static int start_live(struct profile_session *s, const struct us_options *o, bool top)
{
	char err[512], host[128] = "localhost";
	const char *program = o->n_rest ? us_base_name(o->rest[0]) : o->pid ? "process" : "host";

	s->options = o;
	s->top = top;
	if (o->push_url && us_push_url_check(o->push_url, err, sizeof(err))) {
		us_error("%s", err);
		return -1;
	}
	s->live = top || o->push_url;
	if (!s->live)
		return 0;
	us_model_init(&s->model, &s->no_plan, NULL, NULL);
	s->last_tick_ns = us_monotonic_ns();
	if (o->push_url) {
		gethostname(host, sizeof(host) - 1);
		s->push_name = us_asprintf("uscope.%s{host=%s}", program, host);
		s->push = (struct us_push){ .url = o->push_url, .app_name = s->push_name,
					    .frequency_hz = s->sampling.frequency_hz };
		s->push_interval_ns = o->push_interval_ns ? o->push_interval_ns
							  : DEFAULT_PUSH_INTERVAL_NS;
		s->interval_start_s = unix_seconds();
	}
	if (top)
		keys_unbuffered();
	return 0;
}

static int sample(struct us_options *o, bool top)
{
	struct profile_session s = { .target = { .pidfd = -1, .release_fd = -1,
						 .exec_error_fd = -1 } };

	if (us_bpf_check_privileges())
		return 1;
	sampling_options(&s, o);
	if (start_live(&s, o, top))
		return 1;
	if (o->n_rest > 0)
		return profile_command(&s, o);
	return profile_running(&s, o);
}

int us_cmd_profile(struct us_options *o)
{
	return sample(o, false);
}

int us_cmd_top(struct us_options *o)
{
	return sample(o, true);
}
