#define _GNU_SOURCE
#include "overseer_sys.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

int ov_pty_open(char *slave_path, size_t slave_path_len, unsigned short rows, unsigned short cols) {
    int fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return -errno;
    if (grantpt(fd) != 0 || unlockpt(fd) != 0) {
        int err = errno;
        close(fd);
        return -err;
    }
    int rc = ptsname_r(fd, slave_path, slave_path_len);
    if (rc != 0) {
        close(fd);
        return -rc;
    }
    if (rows > 0 && cols > 0) {
        int err = ov_pty_set_size(fd, rows, cols);
        if (err != 0) {
            close(fd);
            return err;
        }
    }
    return fd;
}

int ov_pty_set_size(int fd, unsigned short rows, unsigned short cols) {
    struct winsize ws;
    memset(&ws, 0, sizeof ws);
    ws.ws_row = rows;
    ws.ws_col = cols;
    return ioctl(fd, TIOCSWINSZ, &ws) == 0 ? 0 : -errno;
}

int ov_pty_get_size(int fd, unsigned short *rows, unsigned short *cols) {
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) != 0) return -errno;
    *rows = ws.ws_row;
    *cols = ws.ws_col;
    return 0;
}

int ov_pty_line_discipline(int fd, int *flags, int *foreground) {
    struct termios t;
    if (tcgetattr(fd, &t) != 0) return -errno;
    *flags = ((t.c_lflag & ICANON) ? 1 : 0) | ((t.c_lflag & ECHO) ? 2 : 0);
    pid_t group = tcgetpgrp(fd);
    *foreground = group > 0 ? (int)group : 0;
    return 0;
}

size_t ov_termios_size(void) { return sizeof(struct termios); }

int ov_tty_make_raw(int fd, void *saved) {
    struct termios t;
    if (tcgetattr(fd, &t) != 0) return -errno;
    memcpy(saved, &t, sizeof t);
    cfmakeraw(&t);
    return tcsetattr(fd, TCSANOW, &t) == 0 ? 0 : -errno;
}

int ov_tty_restore(int fd, const void *saved) {
    struct termios t;
    memcpy(&t, saved, sizeof t);
    return tcsetattr(fd, TCSANOW, &t) == 0 ? 0 : -errno;
}

int ov_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
             const char *tty_path, int stdin_fd, int stdout_fd, int stderr_fd, int flags,
             pid_t *pid_out) {
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    int rc = posix_spawn_file_actions_init(&fa);
    if (rc != 0) return -rc;
    rc = posix_spawnattr_init(&attr);
    if (rc != 0) {
        posix_spawn_file_actions_destroy(&fa);
        return -rc;
    }

    short spawn_flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    if (flags & OV_SPAWN_SETSID) spawn_flags |= POSIX_SPAWN_SETSID;
    sigset_t empty, all;
    sigemptyset(&empty);
    sigfillset(&all);
    sigdelset(&all, SIGKILL);
    sigdelset(&all, SIGSTOP);
    if ((rc = posix_spawnattr_setflags(&attr, spawn_flags)) != 0) goto out;
    if ((rc = posix_spawnattr_setsigmask(&attr, &empty)) != 0) goto out;
    if ((rc = posix_spawnattr_setsigdefault(&attr, &all)) != 0) goto out;

    /* glibc runs setsid before the file actions, so opening the slave here (no O_NOCTTY)
     * makes it the new session's controlling terminal. */
    if (cwd != NULL) {
        if ((rc = posix_spawn_file_actions_addchdir_np(&fa, cwd)) != 0) goto out;
    }
    if (tty_path != NULL) {
        if ((rc = posix_spawn_file_actions_addopen(&fa, 0, tty_path, O_RDWR, 0)) != 0) goto out;
        if ((rc = posix_spawn_file_actions_adddup2(&fa, 0, 1)) != 0) goto out;
        if ((rc = posix_spawn_file_actions_adddup2(&fa, 0, 2)) != 0) goto out;
    } else {
        if (stdin_fd >= 0 && (rc = posix_spawn_file_actions_adddup2(&fa, stdin_fd, 0)) != 0) goto out;
        if (stdout_fd >= 0 && (rc = posix_spawn_file_actions_adddup2(&fa, stdout_fd, 1)) != 0) goto out;
        if (stderr_fd >= 0 && (rc = posix_spawn_file_actions_adddup2(&fa, stderr_fd, 2)) != 0) goto out;
    }
    if ((rc = posix_spawn_file_actions_addclosefrom_np(&fa, 3)) != 0) goto out;

    pid_t pid = 0;
    rc = posix_spawn(&pid, path, &fa, &attr, argv, envp);
    if (rc == 0) *pid_out = pid;
out:
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    return rc == 0 ? 0 : -rc;
}

int ov_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags) {
    return syscall(SYS_renameat2, olddirfd, oldpath, newdirfd, newpath, flags) == 0 ? 0 : -errno;
}

int ov_pidfd_open(pid_t pid) {
    long fd = syscall(SYS_pidfd_open, pid, 0);
    if (fd < 0) return -errno;
    return (int)fd;
}

int ov_pidfd_send_signal(int pidfd, int sig) {
    return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) == 0 ? 0 : -errno;
}

int ov_wait_any(int nowait, int nohang, pid_t *pid, int *code, int *status) {
    siginfo_t info;
    memset(&info, 0, sizeof info);
    int options = WEXITED;
    if (nowait) options |= WNOWAIT;
    if (nohang) options |= WNOHANG;
    int rc;
    do {
        rc = waitid(P_ALL, 0, &info, options);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) return -errno;
    *pid = info.si_pid;
    *code = info.si_code;
    *status = info.si_status;
    return 0;
}

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

int ov_pidfd_reap(int pidfd, int *code, int *status) {
    siginfo_t info;
    memset(&info, 0, sizeof info);
    int rc;
    do {
        rc = waitid((idtype_t)P_PIDFD, (id_t)pidfd, &info, WEXITED | WNOHANG);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) return -errno;
    if (info.si_pid == 0) return 0;
    *code = info.si_code;
    *status = info.si_status;
    return 1;
}

int ov_set_child_subreaper(int on) {
    return prctl(PR_SET_CHILD_SUBREAPER, on ? 1 : 0, 0, 0, 0) == 0 ? 0 : -errno;
}

int ov_poll_readable(const int *fds, int count, int timeout_ms, unsigned char *ready) {
    struct pollfd stack[64];
    struct pollfd *pfds = count <= 64 ? stack : calloc((size_t)count, sizeof(struct pollfd));
    if (pfds == NULL) return -ENOMEM;
    for (int i = 0; i < count; i++) {
        pfds[i].fd = fds[i];
        pfds[i].events = POLLIN;
        pfds[i].revents = 0;
    }
    int rc;
    do {
        rc = poll(pfds, (nfds_t)count, timeout_ms);
    } while (rc < 0 && errno == EINTR);
    int result = rc < 0 ? -errno : rc;
    if (rc >= 0) {
        for (int i = 0; i < count; i++) ready[i] = (pfds[i].revents & (POLLIN | POLLHUP | POLLERR)) ? 1 : 0;
    }
    if (pfds != stack) free(pfds);
    return result;
}

int ov_thread_set_idle_priority(void) {
    struct sched_param param = { .sched_priority = 0 };
    /* On Linux a tid names one thread: this leaves the process's other threads alone. */
    pid_t tid = (pid_t)syscall(SYS_gettid);
    return sched_setscheduler(tid, SCHED_IDLE, &param) == 0 ? 0 : -errno;
}

int ov_thread_id(void) {
    return (int)syscall(SYS_gettid);
}

int ov_thread_set_normal_priority(int tid) {
    struct sched_param param = { .sched_priority = 0 };
    return sched_setscheduler((pid_t)tid, SCHED_OTHER, &param) == 0 ? 0 : -errno;
}
