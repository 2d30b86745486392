/* zombie_leader READYFILE: the main thread starts a thread that ignores SIGTERM and SIGHUP
 * and runs forever, writes READYFILE, and calls pthread_exit: the leader shows state Z while
 * the process lives on in its other thread. */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

static void *run(void *arg) { (void)arg; for (;;) pause(); return NULL; }

int main(int argc, char **argv) {
    if (argc != 2) return 64;
    signal(SIGTERM, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    pthread_t thread;
    if (pthread_create(&thread, NULL, run, NULL) != 0) return 1;
    int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) { (void)write(fd, "ready\n", 6); close(fd); }
    pthread_exit(NULL);
}
