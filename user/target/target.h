/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * target: the process being traced. `run` spawns it held before exec until
 * the probes are in place; `attach` takes a running PID. Either way the target
 * lists the ELF objects it has (or will have) mapped, for the plan.
 */
#ifndef USCOPE_TARGET_H
#define USCOPE_TARGET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "objects.h"

struct us_target {
	pid_t pid;
	bool spawned;		/* true: our child (run); false: attached */
	int release_fd;		/* run: write end of the pipe the child waits on */
	int exec_error_fd;	/* run: read end; the child writes errno if exec fails */
	int pidfd;		/* readable when the process has exited */
	char *exe_path;		/* the executable, as the target sees it */
	struct us_object_list objects;
	bool exited;
	bool stopped;		/* run: stopped after an exec, see us_target_follow_exec */
	int wait_status;	/* wait(2) status once exited (run only) */
};

/* Where execvp would find `command`; NULL when it would not (exit 127). */
char *us_resolve_command(const char *command);
/* The same, with the errno execve would give when it would not: ENOENT
 * (not found), EACCES (not executable), EISDIR. */
char *us_find_command(const char *command, int *error);

/* Forks the command, held before exec. Returns 0, or the exit status a shell
 * would give (127 not found, 126 not executable) after saying why. Until it
 * execs, the child is held; once it does, it asks the kernel to continue it
 * (SIGCONT) if uscope dies, so a stop of uscope's never outlives uscope. */
int us_target_spawn(struct us_target *t, char *const argv[]);
/* Lets the held child exec. Returns 0, or -1 if exec failed (said why). */
int us_target_release(struct us_target *t);
/* True when the command is not an ELF file (a script: a shim, a wrapper). */
bool us_target_is_script(const struct us_target *t);
/* Releases the held child and follows its execs (stop_after_exec stops it at
 * each) through shells and env to the program they run; that program is left
 * stopped before its first instruction, with t->exe_path naming it. Returns
 * 0, or -1 after saying why (exec failed, or it exited first). */
int us_target_follow_exec(struct us_target *t);
/* `run` cannot trace the command as asked: a held child exits unexec'd, a
 * stopped or running one is killed. Returns what happened to it ("was not
 * run", "has been killed"), or NULL when it had already exited. */
const char *us_target_abandon(struct us_target *t);
/* Lets a target stopped after its exec run. */
void us_target_continue(struct us_target *t);
/* Takes a running process. Returns 0, or -1 after saying why. */
int us_target_attach(struct us_target *t, pid_t pid);
/* Fills t->objects: mapped objects (attach) or the executable and the
 * libraries the dynamic loader will map (run). */
int us_target_list_objects(struct us_target *t);
/* The ELF objects live process `pid` has mapped now, its executable first.
 * Returns 0, or -1 with errno (no such process, no permission). */
int us_process_objects(pid_t pid, struct us_object_list *out);
/* Lists the objects of an executable file, as `run` would see them. */
int us_objects_of_executable(const char *exe, struct us_object_list *out);

/* True once the target process is gone; reaps it when it is our child. */
bool us_target_poll_exit(struct us_target *t);
/* Blocks until our child exits; returns its wait status. */
int us_target_wait(struct us_target *t);
/* Waits for our child to exit, unless a stop signal beyond the first
 * `stops_seen` arrives: then returns false, the child left running. */
bool us_target_wait_unless_stopped(struct us_target *t, unsigned stops_seen);
/* The exit code `run` returns for a wait status: the code, or 128+signal. */
int us_exit_code_of(int wait_status);
/* Resident size of a live process in bytes (/proc/PID/statm), 0 unknown. */
uint64_t us_process_rss_bytes(pid_t pid);
/* Name (comm) of a live thread, or false. */
bool us_thread_name(pid_t pid, pid_t tid, char *buf, size_t len);
/* A live process's command line (a new array of *argc strings), or NULL. */
char **us_process_cmdline(pid_t pid, size_t *argc);
/* Its working directory, or NULL. */
char *us_process_cwd(pid_t pid);
void us_target_close(struct us_target *t);
/* The target stopped itself where its stack unwinder starts or where it
 * caught an exception: writes to[i] at addresses[i] where that slot still
 * holds from[i] (a return address and the uretprobe trampoline, one way or
 * the other); address 0 is skipped. Returns how many were written, or -1
 * when the target's memory cannot be opened. */
int us_swap_return_slots(pid_t pid, const uint64_t *addresses, const uint64_t *from,
			 const uint64_t *to, size_t n);

#endif
