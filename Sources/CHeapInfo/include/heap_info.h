#ifndef OVERSEER_HEAP_INFO_H
#define OVERSEER_HEAP_INFO_H
#include <stddef.h>

/// Bytes of heap in use, mmapped blocks included (glibc mallinfo2), for memory benchmarks.
size_t ov_heap_in_use(void);

#endif
