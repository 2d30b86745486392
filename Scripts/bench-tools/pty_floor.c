/* The floor for PTY drain throughput: run a command on a new PTY and read the master
 * into nothing until the slave side is gone. Prints elapsed seconds. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: pty_floor CMD [ARGS...]\n"); return 2; }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int master;
    pid_t pid = forkpty(&master, NULL, NULL, NULL);
    if (pid < 0) { perror("forkpty"); return 1; }
    if (pid == 0) { execvp(argv[1], argv + 1); _exit(127); }
    static char buffer[65536];
    long long total = 0;
    for (;;) {
        ssize_t n = read(master, buffer, sizeof buffer);
        if (n > 0) { total += n; continue; }
        if (n < 0 && errno == EINTR) continue;
        break; /* EIO: every slave end closed */
    }
    waitpid(pid, NULL, 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("%.6f %lld\n", (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9, total);
    return 0;
}
