/* Spawning straight into a cgroup: clone3(CLONE_INTO_CGROUP) makes the child a member of
 * the target cgroup from its first instruction, so no code of the agent ever runs outside
 * it and a cgroup.kill can never miss it. Only async-signal-safe calls run in the child;
 * no Swift code runs between the clone and the exec. */
#define _GNU_SOURCE
#include "overseer_sys.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#define OV_CLONE_INTO_CGROUP 0x200000000ULL

/* The kernel's struct clone_args (CLONE_ARGS_SIZE_VER2: with the cgroup field). */
struct ov_clone_args {
    uint64_t flags;
    uint64_t pidfd;
    uint64_t child_tid;
    uint64_t parent_tid;
    uint64_t exit_signal;
    uint64_t stack;
    uint64_t stack_size;
    uint64_t tls;
    uint64_t set_tid;
    uint64_t set_tid_size;
    uint64_t cgroup;
};

struct ov_child_plan {
    const char *path;
    char *const *argv;
    char *const *envp;
    const char *cwd;
    const char *tty_path;
    int stdio[3];
    int flags;
    int procs_fd; /* >= 0: the child writes "0" here to move itself (fallback without clone3) */
    int err_fd;
};

__attribute__((noreturn)) static void ov_child_fail(int err_fd, int err) {
    ssize_t ignored = write(err_fd, &err, sizeof err);
    (void)ignored;
    _exit(127);
}

static int ov_dup_onto(int from, int to) {
    if (from == to) return fcntl(to, F_SETFD, 0) == 0 ? 0 : -1; /* keep it across exec */
    return dup2(from, to) < 0 ? -1 : 0;
}

static void ov_close_above(int low, int keep) {
    /* Close every fd >= low except `keep` (the error pipe, which is close-on-exec). */
    if (keep > low && syscall(SYS_close_range, (unsigned)low, (unsigned)(keep - 1), 0) != 0) {
        for (int fd = low; fd < keep; fd++) close(fd);
    }
    if (syscall(SYS_close_range, (unsigned)(keep + 1), ~0U, 0) != 0) {
        long max = sysconf(_SC_OPEN_MAX);
        for (long fd = keep + 1; fd < max; fd++) close((int)fd);
    }
}

__attribute__((noreturn)) static void ov_child(const struct ov_child_plan *plan) {
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < _NSIG; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &dfl, NULL); /* EINVAL for glibc's own: fine */
    }
    if (plan->procs_fd >= 0 && write(plan->procs_fd, "0", 1) != 1) ov_child_fail(plan->err_fd, errno);
    if ((plan->flags & OV_SPAWN_SETSID) && setsid() < 0) ov_child_fail(plan->err_fd, errno);
    if (plan->cwd != NULL && chdir(plan->cwd) != 0) ov_child_fail(plan->err_fd, errno);
    if (plan->tty_path != NULL) {
        /* A session leader without a terminal acquires the first one it opens; TIOCSCTTY
         * says so explicitly. */
        int tty = open(plan->tty_path, O_RDWR);
        if (tty < 0) ov_child_fail(plan->err_fd, errno);
        if ((plan->flags & OV_SPAWN_SETSID) && ioctl(tty, TIOCSCTTY, 0) != 0 && errno != EPERM) ov_child_fail(plan->err_fd, errno);
        for (int fd = 0; fd < 3; fd++) {
            if (ov_dup_onto(tty, fd) != 0) ov_child_fail(plan->err_fd, errno);
        }
    } else {
        for (int fd = 0; fd < 3; fd++) {
            if (plan->stdio[fd] >= 0 && ov_dup_onto(plan->stdio[fd], fd) != 0) ov_child_fail(plan->err_fd, errno);
        }
    }
    ov_close_above(3, plan->err_fd);
    sigset_t empty;
    sigemptyset(&empty);
    sigprocmask(SIG_SETMASK, &empty, NULL);
    execve(plan->path, plan->argv, plan->envp);
    ov_child_fail(plan->err_fd, errno);
}

/* clone3 as vfork: the child shares the parent's memory (CLONE_VM) and the parent sleeps
 * until it has exec'd or exited (CLONE_VFORK), so the spawn copies no page tables and the
 * parent takes no copy-on-write faults afterwards (with a thousand agents' buffers mapped,
 * those were most of a spawn's cost). The child runs `child(plan)` on `stack` (memory the
 * sleeping parent does not touch) and never returns; the parent gets the pid or -1/errno.
 * x86-64 only: elsewhere this returns -1/ENOSYS and the caller clones without CLONE_VM. */
static long ov_clone3_vfork(struct ov_clone_args *args, void (*child)(const struct ov_child_plan *),
                            const struct ov_child_plan *plan) {
#if defined(__x86_64__)
    long rax = SYS_clone3;
    __asm__ volatile(
        "syscall\n\t"
        "test %%rax, %%rax\n\t"
        "jnz 1f\n\t"
        /* the child: on its own stack (the kernel set rsp to stack + stack_size, 16-aligned) */
        "xor %%ebp, %%ebp\n\t"
        "mov %[plan], %%rdi\n\t"
        "call *%[child]\n\t"
        "ud2\n"
        "1:\n\t"
        : "+a"(rax)
        : "D"(args), "S"(sizeof *args), [child] "r"(child), [plan] "r"(plan)
        : "rcx", "r11", "memory");
    if (rax < 0) {
        errno = (int)-rax;
        return -1;
    }
    return rax;
#else
    (void)args; (void)child; (void)plan;
    errno = ENOSYS;
    return -1;
#endif
}

int ov_spawn_into_cgroup(const char *path, char *const argv[], char *const envp[], const char *cwd,
                         const char *tty_path, int stdin_fd, int stdout_fd, int stderr_fd, int flags,
                         int cgroup_fd, pid_t *pid_out) {
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) return -errno;
    struct ov_child_plan plan = {
        .path = path, .argv = argv, .envp = envp, .cwd = cwd, .tty_path = tty_path,
        .stdio = {stdin_fd, stdout_fd, stderr_fd}, .flags = flags, .procs_fd = -1, .err_fd = pipe_fds[1],
    };

    /* Block every signal so that no handler of ours runs in the child before it resets them. */
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);

    /* The vfork child's stack: on ours, below everything this frame uses; we sleep while it runs. */
    _Alignas(16) unsigned char child_stack[32 * 1024];
    struct ov_clone_args args;
    memset(&args, 0, sizeof args);
    args.flags = CLONE_VM | CLONE_VFORK | OV_CLONE_INTO_CGROUP;
    args.exit_signal = SIGCHLD;
    args.cgroup = (uint64_t)cgroup_fd;
    args.stack = (uint64_t)(uintptr_t)child_stack;
    args.stack_size = sizeof child_stack;
    long pid = ov_clone3_vfork(&args, ov_child, &plan);
    if (pid < 0 && errno == ENOSYS) {
        /* Not x86-64, or clone3 filtered: clone3 without CLONE_VM (copying the address space). */
        memset(&args, 0, sizeof args);
        args.flags = OV_CLONE_INTO_CGROUP;
        args.exit_signal = SIGCHLD;
        args.cgroup = (uint64_t)cgroup_fd;
        pid = syscall(SYS_clone3, &args, sizeof args);
    }
    if (pid < 0 && errno == ENOSYS) {
        /* clone3 filtered (old seccomp profiles): fork, and the child joins the cgroup
         * itself before it runs anything else. */
        plan.procs_fd = openat(cgroup_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
        if (plan.procs_fd >= 0) pid = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
    }
    if (pid == 0) ov_child(&plan);
    int clone_errno = errno;

    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    close(pipe_fds[1]);
    if (plan.procs_fd >= 0) close(plan.procs_fd);
    if (pid < 0) {
        close(pipe_fds[0]);
        return -clone_errno;
    }
    int child_errno = 0;
    ssize_t got;
    do {
        got = read(pipe_fds[0], &child_errno, sizeof child_errno);
    } while (got < 0 && errno == EINTR);
    close(pipe_fds[0]);
    if (got == (ssize_t)sizeof child_errno) {
        /* The exec failed: collect the child (unless a process-wide reaper already did). */
        while (waitpid((pid_t)pid, NULL, 0) < 0 && errno == EINTR) {}
        return -child_errno;
    }
    *pid_out = (pid_t)pid;
    return 0;
}

ssize_t ov_get_xattr(const char *path, const char *name, void *value, size_t size) {
    ssize_t got = getxattr(path, name, value, size);
    return got < 0 ? -errno : got;
}

int ov_set_xattr(const char *path, const char *name, const void *value, size_t size) {
    return setxattr(path, name, value, size, 0) == 0 ? 0 : -errno;
}
