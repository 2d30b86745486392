/* The floor for a /proc scan: read every /proc/PID/stat once. Prints the median seconds
 * over N passes and the number of processes. */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }

int main(int argc, char **argv) {
    int repeats = argc > 1 ? atoi(argv[1]) : 20;
    double *times = calloc(repeats, sizeof(double));
    int count = 0;
    char path[64], buffer[4096];
    for (int r = 0; r < repeats; r++) {
        double t0 = now();
        count = 0;
        DIR *dir = opendir("/proc");
        struct dirent *entry;
        while ((entry = readdir(dir)) != NULL) {
            if (!isdigit((unsigned char)entry->d_name[0])) continue;
            snprintf(path, sizeof path, "/proc/%s/stat", entry->d_name);
            int fd = open(path, O_RDONLY | O_CLOEXEC);
            if (fd < 0) continue;
            if (read(fd, buffer, sizeof buffer) > 0) count++;
            close(fd);
        }
        closedir(dir);
        times[r] = now() - t0;
    }
    qsort(times, repeats, sizeof(double), cmp);
    printf("%.6f %d\n", times[repeats / 2], count);
    return 0;
}
