/* Syscalls and libc calls that Swift's Glibc module hides or makes awkward.
 * Every function returns 0 (or a file descriptor) on success and -errno on failure,
 * so callers get a typed errno without reading the global. Nothing here runs Swift
 * code between fork and exec: spawning goes through posix_spawn, or clone3 + execve in C. */
#ifndef OVERSEER_SYS_H
#define OVERSEER_SYS_H

#include <sys/types.h>
#include <stdint.h>

/* Open a new PTY pair's master (O_RDWR|O_NOCTTY|O_CLOEXEC), grant and unlock it,
 * set its window size, and write the slave's path into slave_path. Returns the master fd. */
int ov_pty_open(char *slave_path, size_t slave_path_len, unsigned short rows, unsigned short cols);

/* Set / read a terminal's window size (TIOCSWINSZ / TIOCGWINSZ). */
int ov_pty_set_size(int fd, unsigned short rows, unsigned short cols);
int ov_pty_get_size(int fd, unsigned short *rows, unsigned short *cols);
/// The line discipline of the PTY behind `fd` (a master reports its slave's): bit 0 set when
/// ICANON is on, bit 1 when ECHO is on; *foreground gets the terminal's foreground process
/// group (0 when none). Returns 0, or -errno.
int ov_pty_line_discipline(int fd, int *flags, int *foreground);

/* Schedule the calling thread as SCHED_IDLE (it runs only on CPU time no other thread
 * wants). 0, or -errno. */
int ov_thread_set_idle_priority(void);

/* The calling thread's id (gettid). */
int ov_thread_id(void);

/* Schedule thread `tid` of this process as SCHED_OTHER again (lifts a SCHED_IDLE thread).
 * 0, or -errno (EPERM without CAP_SYS_NICE and a RLIMIT_NICE that allows it). */
int ov_thread_set_normal_priority(int tid);

/* Put a terminal into raw mode, saving the old settings into an opaque buffer of at
 * least ov_termios_size() bytes; restore them with ov_tty_restore. */
size_t ov_termios_size(void);
int ov_tty_make_raw(int fd, void *saved);
int ov_tty_restore(int fd, const void *saved);

enum {
    OV_SPAWN_SETSID = 1 /* start a new session (POSIX_SPAWN_SETSID) */
};

/* posix_spawn `path` with argv/envp (NULL-terminated).
 * - cwd: directory to change into first (NULL: inherit).
 * - tty_path: when set, opened read-write (without O_NOCTTY) as fd 0 and dup'ed to 1 and 2;
 *   with OV_SPAWN_SETSID this makes it the controlling terminal of the new session.
 * - otherwise stdin_fd/stdout_fd/stderr_fd (>= 0) are dup'ed onto 0/1/2 (-1: inherit).
 * Signal mask and dispositions are reset to defaults and every fd >= 3 is closed in the child.
 * Returns 0 and stores the pid, or -errno. */
int ov_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
             const char *tty_path, int stdin_fd, int stdout_fd, int stderr_fd, int flags,
             pid_t *pid_out);

/* Like ov_spawn, but the child is born in the cgroup v2 directory open as cgroup_fd
 * (clone3 with CLONE_INTO_CGROUP; where clone3 is filtered, the child moves itself there
 * before it runs anything else). Returns 0 and stores the pid, or -errno (an exec failure
 * reports the exec's errno). */
int ov_spawn_into_cgroup(const char *path, char *const argv[], char *const envp[], const char *cwd,
                         const char *tty_path, int stdin_fd, int stdout_fd, int stderr_fd, int flags,
                         int cgroup_fd, pid_t *pid_out);

/* getxattr(2) / setxattr(2) (cgroup delegation marks); -errno on failure. */
ssize_t ov_get_xattr(const char *path, const char *name, void *value, size_t size);
int ov_set_xattr(const char *path, const char *name, const void *value, size_t size);

enum { OV_RENAME_NOREPLACE = 1 /* RENAME_NOREPLACE: fail with EEXIST instead of replacing */ };

/* renameat2(2) as a plain syscall (glibc's wrapper is recent and Swift's Glibc module hides it).
 * -ENOSYS or -EINVAL where the kernel or the file system lacks it. */
int ov_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags);

/* pidfd_open(2) and pidfd_send_signal(2). */
int ov_pidfd_open(pid_t pid);
int ov_pidfd_send_signal(int pidfd, int sig);

/* Wait (with WNOWAIT: only peek) for any child to exit; stores pid, si_code and status.
 * Returns 0, or -ECHILD when there are no children. Blocks unless nohang is set; with
 * nohang and no exited child, returns 0 with *pid == 0. */
int ov_wait_any(int nowait, int nohang, pid_t *pid, int *code, int *status);

/* Reap the process behind a pidfd if it is our child and has exited (waitid P_PIDFD, WNOHANG).
 * Returns 1 when reaped (code/status stored), 0 when it has not exited yet, -ECHILD when it
 * is not our child (or was reaped already), other -errno on failure. */
int ov_pidfd_reap(int pidfd, int *code, int *status);

/* prctl(PR_SET_CHILD_SUBREAPER). */
int ov_set_child_subreaper(int on);

/* Same layout as struct ucred (which Glibc only shows with _GNU_SOURCE). */
typedef struct { int32_t pid; uint32_t uid; uint32_t gid; } ov_ucred;

/* Poll a set of fds for readability; writes 1/0 per fd into ready. Returns count or -errno. */
int ov_poll_readable(const int *fds, int count, int timeout_ms, unsigned char *ready);

/* The kernel's process events (netlink proc connector, CN_IDX_PROC; needs CAP_NET_ADMIN). */
enum { OV_PROC_EVENT_FORK = 1, OV_PROC_EVENT_EXIT = 2 };
typedef struct {
    int32_t kind;          /* OV_PROC_EVENT_FORK or OV_PROC_EVENT_EXIT */
    int32_t pid;           /* fork: the child thread; exit: the exiting thread */
    int32_t tgid;          /* its thread group (the process) */
    int32_t parent_pid;    /* fork only: the forking thread */
    int32_t parent_tgid;   /* fork only: the forking process */
    int32_t exit_code;     /* exit only */
} ov_proc_event;

/* Opens a socket subscribed to process events, with a receive buffer of rcvbuf bytes
 * (forced when privileged). Returns the descriptor (close-on-exec) or -errno. */
int ov_proc_events_open(int rcvbuf);
/* Waits up to timeout_ms for one datagram and decodes its fork and exit events (others are
 * skipped) into out (at most max). Returns the count (0 on timeout or nothing of interest),
 * -ENOBUFS when the kernel dropped events (the socket stays usable), other -errno on failure. */
int ov_proc_events_read(int fd, int timeout_ms, ov_proc_event *out, int max);

#endif
