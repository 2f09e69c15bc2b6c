// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "elf_symbols.h"
#include "log.h"
#include "signals.h"
#include "target.h"
#include "util.h"

extern char **environ;

/* 0 when `path` can be executed, else the errno execve would give. */
static int exec_error_of(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return errno;
	if (S_ISDIR(st.st_mode))
		return EISDIR;
	if (!S_ISREG(st.st_mode) || access(path, X_OK) != 0)
		return EACCES;
	return 0;
}

char *us_find_command(const char *command, int *error)
{
	const char *path_env = getenv("PATH");
	char *paths, *dir, *save = NULL, *found = NULL;
	int first_error = ENOENT;

	if (strchr(command, '/')) {
		*error = exec_error_of(command);
		return *error ? NULL : realpath(command, NULL);
	}
	paths = us_strdup(path_env && *path_env ? path_env : "/usr/local/bin:/usr/bin:/bin");
	for (dir = strtok_r(paths, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		char *candidate = us_asprintf("%s/%s", *dir ? dir : ".", command);
		int err = exec_error_of(candidate);

		if (!err)
			found = realpath(candidate, NULL);
		else if (err != ENOENT && first_error == ENOENT)
			first_error = err;	/* as a shell: found, but not runnable */
		free(candidate);
	}
	free(paths);
	*error = found ? 0 : first_error;
	return found;
}

char *us_resolve_command(const char *command)
{
	int error;

	return us_find_command(command, &error);
}

static int open_pidfd(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* Under sudo, the command runs as the user who invoked sudo, not as root. */
static void drop_to_sudo_user(void)
{
	const char *uid_s = getenv("SUDO_UID"), *gid_s = getenv("SUDO_GID");
	const char *user = getenv("SUDO_USER");
	uint64_t uid, gid;

	if (geteuid() != 0 || !uid_s || !gid_s || !us_parse_uint(uid_s, 0xfffffffe, &uid) ||
	    !us_parse_uint(gid_s, 0xfffffffe, &gid) || uid == 0)
		return;
	if ((user && initgroups(user, (gid_t)gid) != 0) || setgid((gid_t)gid) != 0 ||
	    setuid((uid_t)uid) != 0) {
		fprintf(stderr, "uscope: error: cannot drop privileges to SUDO_UID %s: %s\n", uid_s,
			strerror(errno));
		_exit(126);
	}
}

/* execve(2) as a bare system call: the probes are in by then, and a libc
 * function called here would be counted as the target's. Returns -errno. */
static long raw_execve(const char *path, char *const argv[], char *const envp[])
{
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"(59L /* __NR_execve, x86-64 */), "D"(path), "S"(argv), "d"(envp)
			 : "rcx", "r11", "memory");
	return ret;
}

static long raw_read(int fd, void *buf, unsigned long len)
{
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"(0L /* __NR_read */), "D"((long)fd), "S"(buf), "d"(len)
			 : "rcx", "r11", "memory");
	return ret;
}

/* The held child. Everything it needs is done before it waits; once the
 * parent lets it go (its probes attached), it runs no libc code before the
 * program's own: nothing of uscope's is counted as the target's. */
static void __attribute__((noreturn)) child_exec(int release_rd, int error_wr, const char *path,
						 char *const argv[])
{
	sigset_t none;
	char go = 0;
	long err;
	int code;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	drop_to_sudo_user();
	/* uscope may stop the program (at an exec, at its first Python call);
	 * if uscope dies meanwhile, the kernel sends this and it runs on */
	prctl(PR_SET_PDEATHSIG, SIGCONT);
	/* wait until the parent has attached the probes (or closed the pipe) */
	while ((err = raw_read(release_rd, &go, 1)) == -EINTR)
		;
	if (err != 1 || go != 'g')
		_exit(126);
	err = raw_execve(path, argv, environ);	/* the pipes are O_CLOEXEC */
	if (err == -ENOEXEC)	/* no #! line: as a shell would, with sh (counted, rare) */
		execvp(argv[0], argv);
	code = (int)-err;
	if (write(error_wr, &code, sizeof(code)) < 0)
		_exit(127);
	_exit(127);
}

int us_target_spawn(struct us_target *t, char *const argv[])
{
	int release[2], exec_error[2], error;

	memset(t, 0, sizeof(*t));
	t->release_fd = t->exec_error_fd = t->pidfd = -1;
	t->exe_path = us_find_command(argv[0], &error);
	if (!t->exe_path) {
		if (error == ENOENT && !strchr(argv[0], '/'))
			us_error("%s: command not found", argv[0]);
		else
			us_error("%s: %s", argv[0], strerror(error));
		return error == ENOENT ? 127 : 126;	/* as a shell says it */
	}
	if (pipe2(release, O_CLOEXEC) || pipe2(exec_error, O_CLOEXEC)) {
		us_error("cannot create a pipe: %s", strerror(errno));
		return 126;
	}
	fflush(NULL);
	t->pid = fork();
	if (t->pid < 0) {
		us_error("cannot fork: %s", strerror(errno));
		return 126;
	}
	if (t->pid == 0) {
		close(release[1]);
		close(exec_error[0]);
		child_exec(release[0], exec_error[1], t->exe_path, argv);
	}
	close(release[0]);
	close(exec_error[1]);
	t->spawned = true;
	t->release_fd = release[1];
	t->exec_error_fd = exec_error[0];
	t->pidfd = open_pidfd(t->pid);
	return 0;
}

int us_target_release(struct us_target *t)
{
	ssize_t n;
	int err = 0;

	if (write(t->release_fd, "g", 1) != 1) {
		us_error("cannot start the command: %s", strerror(errno));
		return -1;
	}
	close(t->release_fd);
	t->release_fd = -1;
	do
		n = read(t->exec_error_fd, &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	close(t->exec_error_fd);
	t->exec_error_fd = -1;
	if (n == sizeof(err)) {
		us_error("cannot execute %s: %s", t->exe_path, strerror(err));
		return -1;
	}
	return 0;
}

bool us_target_is_script(const struct us_target *t)
{
	return !us_is_elf(t->exe_path);
}

/* Programs that only exec another: a shim's interpreter and its helpers. */
static bool is_exec_wrapper(const char *exe)
{
	static const char *const wrappers[] = { "env", "sh", "bash", "dash", "zsh", "ksh", "mksh",
						"busybox", "nice", "nohup", "setsid" };
	const char *base = strrchr(exe, '/');

	base = base ? base + 1 : exe;
	for (size_t i = 0; i < sizeof(wrappers) / sizeof(wrappers[0]); i++)
		if (strcmp(base, wrappers[i]) == 0)
			return true;
	return false;
}

static char *exe_of(pid_t pid)
{
	char path[64], exe[4096];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	return us_strdup(exe);
}

int us_target_follow_exec(struct us_target *t)
{
	int status;

	if (us_target_release(t))
		return -1;
	for (;;) {
		char *exe;

		if (waitpid(t->pid, &status, WUNTRACED) < 0) {
			if (errno == EINTR && !us_stop_signal())
				continue;
			if (errno != EINTR)
				us_error("cannot wait for the command: %s", strerror(errno));
			return -1;
		}
		if (!WIFSTOPPED(status)) {
			t->exited = true;
			t->wait_status = status;
			us_error("%s exited before it ran a program uscope could trace", t->exe_path);
			return -1;
		}
		exe = exe_of(t->pid);
		if (exe && !is_exec_wrapper(exe)) {
			us_debug("following %s: it runs %s", t->exe_path, exe);
			free(t->exe_path);
			t->exe_path = exe;
			t->stopped = true;
			return 0;
		}
		us_debug("following %s through %s", t->exe_path, exe ? exe : "?");
		free(exe);
		kill(t->pid, SIGCONT);
	}
}

const char *us_target_abandon(struct us_target *t)
{
	if (!t->spawned || t->exited)
		return NULL;
	if (t->release_fd >= 0) {
		close(t->release_fd);	/* it sees EOF and exits 126, unexec'd */
		t->release_fd = -1;
		us_target_wait(t);
		return "was not run";
	}
	/* stopped after its exec, before its first instruction, or running */
	kill(t->pid, SIGKILL);
	us_target_wait(t);
	return t->stopped ? "was stopped before its first instruction and has been killed"
			  : "has been killed";
}

void us_target_continue(struct us_target *t)
{
	if (t->stopped)
		kill(t->pid, SIGCONT);
	t->stopped = false;
}

int us_target_attach(struct us_target *t, pid_t pid)
{
	char path[64], exe[4096];
	ssize_t n;

	memset(t, 0, sizeof(*t));
	t->release_fd = t->exec_error_fd = -1;
	t->pid = pid;
	if (pid <= 0 || (kill(pid, 0) != 0 && errno == ESRCH)) {
		us_error("no process with PID %d", (int)pid);
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n < 0) {
		if ((errno == EACCES || errno == EPERM) && geteuid() != 0)
			us_error("no permission to trace PID %d: run uscope as root", (int)pid);
		else if (errno == EACCES || errno == EPERM)
			us_error("cannot inspect PID %d: %s reads as '%s' even to root (a protected or "
				 "foreign-namespace process?)", (int)pid, path, strerror(errno));
		else
			us_error("cannot read %s: %s (is %d a kernel thread?)", path, strerror(errno), (int)pid);
		return -1;
	}
	exe[n] = '\0';
	t->exe_path = us_strdup(exe);
	t->pidfd = open_pidfd(pid);
	if (t->pidfd < 0) {
		us_error("cannot watch PID %d: %s", (int)pid, strerror(errno));
		return -1;
	}
	return 0;
}

/* Adds the libraries the dynamic loader maps for `exe`, as `ld.so --list`
 * resolves them (the same search ldd does, without running the program). */
static void add_loader_dependencies(const char *exe, struct us_object_list *out)
{
	char *interp = us_elf_interpreter(exe);
	char *const argv[] = { interp, "--list", (char *)exe, NULL };
	posix_spawn_file_actions_t actions;
	char line[4096];
	int out_pipe[2];
	pid_t pid;
	FILE *f;

	if (!interp || pipe2(out_pipe, O_CLOEXEC)) {
		free(interp);
		return;
	}
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
	posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
	if (posix_spawn(&pid, interp, &actions, NULL, argv, environ) != 0)
		pid = -1;
	posix_spawn_file_actions_destroy(&actions);
	close(out_pipe[1]);
	f = fdopen(out_pipe[0], "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *path = strstr(line, "=> /");
		char *end;

		path = path ? path + 3 : line + strspn(line, " \t");
		if (*path != '/')
			continue;
		end = strstr(path, " (");
		if (end)
			*end = '\0';
		path[strcspn(path, "\n")] = '\0';
		us_objects_add(out, path, NULL);
	}
	if (f)
		fclose(f);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	free(interp);
}

int us_objects_of_executable(const char *exe, struct us_object_list *out)
{
	us_objects_add(out, exe, NULL);
	out->main_index = 0;
	if (us_is_elf(exe))
		add_loader_dependencies(exe, out);
	return 0;
}

int us_process_objects(pid_t pid, struct us_object_list *out)
{
	char path[64], line[4096], exe[4096];
	ssize_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n < 0)
		return -1;
	exe[n] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	us_objects_add(out, exe, NULL);
	while (fgets(line, sizeof(line), f)) {
		char *file = strchr(line, '/');
		char *open_path;

		if (!file || strstr(line, " (deleted)"))
			continue;
		file[strcspn(file, "\n")] = '\0';
		open_path = us_asprintf("/proc/%d/root%s", (int)pid, file);
		if (us_is_elf(open_path))
			us_objects_add(out, file, open_path);
		free(open_path);
	}
	fclose(f);
	/* the executable itself is opened through /proc/PID/root too */
	free(out->items[0].open_path);
	out->items[0].open_path = us_asprintf("/proc/%d/root%s", (int)pid, exe);
	out->main_index = 0;
	return 0;
}

static int list_mapped_objects(struct us_target *t)
{
	if (us_process_objects(t->pid, &t->objects)) {
		us_error("cannot read the mappings of PID %d: %s", (int)t->pid, strerror(errno));
		return -1;
	}
	return 0;
}

int us_target_list_objects(struct us_target *t)
{
	if (t->spawned)
		return us_objects_of_executable(t->exe_path, &t->objects);
	return list_mapped_objects(t);
}

bool us_target_poll_exit(struct us_target *t)
{
	int status;

	if (t->exited)
		return true;
	if (t->spawned) {
		pid_t r = waitpid(t->pid, &status, WNOHANG);

		if (r == t->pid) {
			t->exited = true;
			t->wait_status = status;
		}
		return t->exited;
	}
	if (t->pidfd >= 0) {
		struct pollfd p = { .fd = t->pidfd, .events = POLLIN };

		t->exited = poll(&p, 1, 0) > 0;
	} else {
		t->exited = kill(t->pid, 0) != 0 && errno == ESRCH;
	}
	return t->exited;
}

int us_target_wait(struct us_target *t)
{
	int status;

	if (!t->spawned || t->exited)
		return t->wait_status;
	while (waitpid(t->pid, &status, 0) < 0) {
		if (errno != EINTR)
			return t->wait_status;
	}
	t->exited = true;
	t->wait_status = status;
	return status;
}

bool us_target_wait_unless_stopped(struct us_target *t, unsigned stops_seen)
{
	int status;

	if (!t->spawned || t->exited)
		return true;
	while (waitpid(t->pid, &status, 0) < 0) {
		if (errno != EINTR)
			return true;
		if (us_stop_count() > stops_seen)
			return false;
	}
	t->exited = true;
	t->wait_status = status;
	return true;
}

int us_exit_code_of(int wait_status)
{
	if (WIFEXITED(wait_status))
		return WEXITSTATUS(wait_status);
	if (WIFSIGNALED(wait_status))
		return 128 + WTERMSIG(wait_status);
	return 1;
}

uint64_t us_process_rss_bytes(pid_t pid)
{
	char path[64], text[256];
	unsigned long long size, resident;

	snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
	if (!us_read_text_file(path, text, sizeof(text)) ||
	    sscanf(text, "%llu %llu", &size, &resident) != 2)
		return 0;
	return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

bool us_thread_name(pid_t pid, pid_t tid, char *buf, size_t len)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", (int)pid, (int)tid);
	return us_read_text_file(path, buf, len);
}

void us_target_close(struct us_target *t)
{
	if (t->release_fd >= 0)
		close(t->release_fd);	/* a held child sees EOF and exits 126 */
	if (t->exec_error_fd >= 0)
		close(t->exec_error_fd);
	if (t->pidfd >= 0)
		close(t->pidfd);
	free(t->exe_path);
	us_objects_free(&t->objects);
	t->release_fd = t->exec_error_fd = t->pidfd = -1;
	t->exe_path = NULL;
}

char **us_process_cmdline(pid_t pid, size_t *argc)
{
	char path[64], *text = NULL, **argv = NULL;
	size_t len = 0, cap = 0, text_cap = 0;
	ssize_t n;
	int fd;

	*argc = 0;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	for (;;) {
		us_grow(&text, &text_cap, len + 4096, 1);
		n = read(fd, text + len, text_cap - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	for (size_t at = 0; at < len; at += strlen(text + at) + 1) {
		us_grow(&argv, &cap, *argc + 1, sizeof(*argv));
		argv[(*argc)++] = strndup(text + at, len - at);
	}
	free(text);
	return argv;
}

char *us_process_cwd(pid_t pid)
{
	char path[64], dir[4096];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/cwd", (int)pid);
	n = readlink(path, dir, sizeof(dir) - 1);
	if (n <= 0)
		return NULL;
	dir[n] = '\0';
	return us_strdup(dir);
}

int us_swap_return_slots(pid_t pid, const uint64_t *addresses, const uint64_t *from,
			 const uint64_t *to, size_t n)
{
	char path[64];
	int written = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		uint64_t held = 0;

		if (addresses[i] &&
		    pread(fd, &held, sizeof(held), (off_t)addresses[i]) == sizeof(held) &&
		    held == from[i] &&
		    pwrite(fd, &to[i], sizeof(to[i]), (off_t)addresses[i]) == sizeof(to[i]))
			written++;
	}
	close(fd);
	return written;
}
