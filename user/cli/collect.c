// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <pthread.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "collect.h"
#include "log.h"
#include "signals.h"

uint64_t us_monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t us_realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

struct collector {
	bool (*consume)(void *ctx, const struct us_event_header *ev);
	us_event_fn on_event;
	void *ctx;
	struct us_record_writer *writer;
	struct us_recording *rec;
	int last_thread_exit_code;
	bool saw_thread_exit;
	uint64_t main_exit_ns;		/* the target's main thread exited then */
};

static int on_ring_event(void *ctx, void *data, size_t size)
{
	struct collector *c = ctx;
	const struct us_event_header *ev = data;

	if (size < sizeof(*ev) || ev->size > size)
		return 0;
	if (c->consume && c->consume(c->ctx, ev))
		return 0;
	us_record_append(c->writer, ev);
	if (c->on_event)
		c->on_event(c->ctx, ev);
	if (ev->type == US_EV_THREAD_EXIT) {
		const struct us_thread_event *te = data;
		char name[US_COMM_LEN + 1];

		memcpy(name, te->comm, US_COMM_LEN);
		name[US_COMM_LEN] = '\0';
		us_recording_set_thread_name(c->rec, te->hdr.tid, name);
		c->last_thread_exit_code = te->exit_code;
		c->saw_thread_exit = true;
		if (te->hdr.tid == te->pid)
			c->main_exit_ns = te->hdr.ts_ns;
	}
	return 0;
}

/* Names of the threads still alive, before the probes go. */
static void name_live_threads(const struct us_target *t, struct us_recording *rec)
{
	char path[64];
	struct dirent *entry;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)t->pid);
	dir = opendir(path);
	if (!dir)
		return;
	while ((entry = readdir(dir))) {
		char name[64];
		int tid = atoi(entry->d_name);

		if (tid > 0 && us_thread_name(t->pid, tid, name, sizeof(name)))
			us_recording_set_thread_name(rec, (uint32_t)tid, name);
	}
	closedir(dir);
}

struct detach_job {
	struct us_probe_session *probes;
	pthread_mutex_t lock;
	pthread_cond_t finished;
	bool done;
};

static void *run_detach(void *arg)
{
	struct detach_job *job = arg;

	us_probe_session_detach(job->probes);
	pthread_mutex_lock(&job->lock);
	job->done = true;
	pthread_cond_signal(&job->finished);
	pthread_mutex_unlock(&job->lock);
	return NULL;
}

/* Waits for the job up to `ms`; true when it is done. */
static bool wait_for_detach(struct detach_job *job, int ms)
{
	struct timespec until;
	bool done;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&job->lock);
	while (!job->done && pthread_cond_timedwait(&job->finished, &job->lock, &until) == 0)
		;
	done = job->done;
	pthread_mutex_unlock(&job->lock);
	return done;
}

/* Removes every probe. The kernel synchronises once per link, which takes
 * ~0.1 s, or longer while another tracer's return probes are pending on a
 * running thread; a removal that takes more than a second says so. */
static void detach_saying_so(struct us_probe_session *b)
{
	struct detach_job job = { .probes = b, .lock = PTHREAD_MUTEX_INITIALIZER,
				  .finished = PTHREAD_COND_INITIALIZER };
	size_t links = us_probe_session_link_count(b);
	pthread_t thread;
	int waited_s = 1;

	us_probe_session_stop(b);	/* at once: no more records, no more return probes */
	if (pthread_create(&thread, NULL, run_detach, &job) != 0) {
		us_probe_session_detach(b);
		return;
	}
	if (!wait_for_detach(&job, 1000)) {
		us_info("detaching… (the kernel removes %zu probe link%s)", links,
			links == 1 ? "" : "s");
		while (!wait_for_detach(&job, 10000)) {
			waited_s += 10;
			us_warn("still detaching after %d s: the kernel waits for return probes "
				"pending on a running thread (another tracer's?)", waited_s);
		}
	}
	pthread_join(thread, NULL);
}

static bool should_stop(struct us_target *t, uint64_t deadline_ns)
{
	if (us_stop_signal())
		return true;
	if (deadline_ns && us_monotonic_ns() >= deadline_ns)
		return true;
	return t->pid > 0 && us_target_poll_exit(t);
}

int us_collect(struct us_target *t, struct us_probe_session *b, struct us_record_writer *w,
	       struct us_recording *rec, uint64_t duration_ns, const struct us_collect_hooks *hooks)
{
	struct collector c = { .consume = hooks->consume, .on_event = hooks->on_event,
			       .ctx = hooks->ctx, .writer = w,
			       .rec = rec };
	uint64_t deadline = duration_ns ? us_monotonic_ns() + duration_ns : 0;
	bool failed = false;
	int err;

	if (us_bpf_calls_open_ring(&b->calls, on_ring_event, &c))
		return -1;
	while (!should_stop(t, deadline)) {
		err = us_bpf_calls_drain(&b->calls, US_DRAIN_PERIOD_MS);
		if (err) {
			us_error("reading the ring buffer failed: %s", strerror(-err));
			failed = true;
			break;
		}
		if (us_record_flush_due(w)) {
			failed = true;	/* said; stop at once, leave the target alone */
			break;
		}
		if (hooks->on_tick)
			hooks->on_tick(hooks->ctx);
	}
	rec->end_ns = us_monotonic_ns();
	rec->program_end_ns = rec->end_ns;
	if (!t->exited && t->pid > 0)
		name_live_threads(t, rec);
	us_probe_session_stop(b);
	if (hooks->on_stopped)
		hooks->on_stopped(hooks->ctx);	/* before the slow part: detach */
	rec->detach_start_ns = us_monotonic_ns();
	detach_saying_so(b);
	rec->detach_end_ns = us_monotonic_ns();
	us_bpf_calls_drain(&b->calls, 0);
	if (c.main_exit_ns)
		rec->program_end_ns = c.main_exit_ns;
	rec->lost_events = us_bpf_calls_lost(&b->calls);
	if (hooks->on_drained)
		hooks->on_drained(hooks->ctx);
	if (t->exited) {
		rec->exited = true;
		rec->exit_status = t->spawned ? us_exit_code_of(t->wait_status)
			: (c.saw_thread_exit ? us_exit_code_of(c.last_thread_exit_code) : 0);
	}
	if (us_stop_signal() && us_stop_sent_by_process() && t->spawned && !t->exited) {
		/* pass a kill(2) on to the command; a stopped command would only
		 * act on it when continued, and uscope then waits for its exit */
		kill(t->pid, us_stop_signal());
		kill(t->pid, SIGCONT);
	}
	if (us_record_writer_check(w))
		failed = true;
	return failed ? -1 : 0;
}
