/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one header shared by the BPF programs and userspace: fixed-width,
 * type-tagged event records. Every record starts with struct us_event_header;
 * `size` lets a reader skip record types it does not know. These structs are
 * also the on-disk event encoding of a recording (docs/format.md), so a change
 * here bumps US_RECORD_VERSION in user/record.h.
 */
#ifndef USCOPE_EVENTS_H
#define USCOPE_EVENTS_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#define US_COMM_LEN 16

enum us_event_type {
	US_EV_CALL_ENTRY = 1,	/* a traced function was entered */
	US_EV_CALL_EXIT = 2,	/* a traced function returned (uretprobe) */
	US_EV_THREAD_EXIT = 3,	/* a thread of the target exited */
};

struct us_event_header {
	__u16 type;		/* enum us_event_type */
	__u16 size;		/* bytes in the whole record, header included */
	__u32 tid;		/* kernel thread id */
	__u64 ts_ns;		/* CLOCK_MONOTONIC, nanoseconds */
};

/* US_EV_CALL_ENTRY and US_EV_CALL_EXIT */
struct us_call_event {
	struct us_event_header hdr;
	__u32 site_id;		/* attach cookie: index into the plan's probe sites */
	__u32 flags;		/* US_CALL_* */
	__u64 sp;		/* user stack pointer when the probe fired */
};

/* Entry flag: the return address slot already holds the uretprobe trampoline,
 * so this function was tail-called (jumped to) by a traced function whose
 * frame it reuses; the kernel reports both returns at once. */
#define US_CALL_TAIL 1u

/* US_EV_THREAD_EXIT */
struct us_thread_event {
	struct us_event_header hdr;
	__u32 pid;		/* thread group id */
	__s32 exit_code;	/* wait(2)-style status of the exiting thread */
	char comm[US_COMM_LEN];	/* thread name at exit */
};

/* At entry the stack pointer points at the return address; the uretprobe
 * fires after `ret` popped it, so a call's exit sp is its entry sp plus this. */
#define US_RETURN_SP_DELTA 8

#endif /* USCOPE_EVENTS_H */
