/* The netlink proc connector: fork and exit events of every process on the host. */
#include "overseer_sys.h"
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/connector.h>
#include <linux/cn_proc.h>

int ov_proc_events_open(int rcvbuf) {
    int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR);
    if (fd < 0) return -errno;
    if (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0)
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    struct sockaddr_nl address;
    memset(&address, 0, sizeof address);
    address.nl_family = AF_NETLINK;
    address.nl_groups = CN_IDX_PROC;
    address.nl_pid = 0; /* the kernel assigns a port id */
    if (bind(fd, (struct sockaddr *)&address, sizeof address) != 0) { int e = errno; close(fd); return -e; }

    struct {
        struct nlmsghdr header;
        struct cn_msg message;
        enum proc_cn_mcast_op op;
    } __attribute__((packed)) request;
    memset(&request, 0, sizeof request);
    request.header.nlmsg_len = sizeof request;
    request.header.nlmsg_type = NLMSG_DONE;
    request.message.id.idx = CN_IDX_PROC;
    request.message.id.val = CN_VAL_PROC;
    request.message.len = sizeof request.op;
    request.op = PROC_CN_MCAST_LISTEN;
    if (send(fd, &request, sizeof request, 0) < 0) { int e = errno; close(fd); return -e; }
    return fd;
}

int ov_proc_events_read(int fd, int timeout_ms, ov_proc_event *out, int max) {
    struct pollfd waiting = { .fd = fd, .events = POLLIN };
    int ready = poll(&waiting, 1, timeout_ms);
    if (ready < 0) return errno == EINTR ? 0 : -errno;
    if (ready == 0) return 0;
    union { struct nlmsghdr header; char bytes[16384]; } buffer;
    ssize_t length = recv(fd, buffer.bytes, sizeof buffer.bytes, MSG_DONTWAIT);
    if (length < 0) return (errno == EAGAIN || errno == EINTR) ? 0 : -errno;
    int count = 0;
    for (struct nlmsghdr *header = &buffer.header; NLMSG_OK(header, (size_t)length) && count < max;
         header = NLMSG_NEXT(header, length)) {
        if (header->nlmsg_type == NLMSG_NOOP || header->nlmsg_type == NLMSG_ERROR) continue;
        struct cn_msg *message = NLMSG_DATA(header);
        if (message->id.idx != CN_IDX_PROC || message->id.val != CN_VAL_PROC) continue;
        struct proc_event *event = (struct proc_event *)message->data;
        ov_proc_event *decoded = &out[count];
        memset(decoded, 0, sizeof *decoded);
        if (event->what == PROC_EVENT_FORK) {
            decoded->kind = OV_PROC_EVENT_FORK;
            decoded->parent_pid = event->event_data.fork.parent_pid;
            decoded->parent_tgid = event->event_data.fork.parent_tgid;
            decoded->pid = event->event_data.fork.child_pid;
            decoded->tgid = event->event_data.fork.child_tgid;
            count++;
        } else if (event->what == PROC_EVENT_EXIT) {
            decoded->kind = OV_PROC_EVENT_EXIT;
            decoded->pid = event->event_data.exit.process_pid;
            decoded->tgid = event->event_data.exit.process_tgid;
            decoded->exit_code = (int32_t)event->event_data.exit.exit_code;
            count++;
        }
        if (header->nlmsg_type == NLMSG_DONE) break;
    }
    return count;
}
