/*
 * fuzz-peer.h - a scripted peer on a unix socket for the fuzz targets of
 * the socket clients (gdb_client.c, qmp.c): the fuzz input is everything
 * the peer (a hostile gdbstub or QEMU) sends.  A thread accepts one
 * connection, sends the input while it reads and drops what the client
 * sends, then shuts its sending side: the client sees the end of the
 * stream, never a stall.
 */
#ifndef VMI_FUZZ_PEER_H
#define VMI_FUZZ_PEER_H

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "fuzz-common.h"

typedef struct fuzz_peer {
    int listen_fd;
    char *dir, *path;
    const uint8_t *data;
    size_t size;
    GThread *thread;
} fuzz_peer_t;

static void fuzz_peer_listen(fuzz_peer_t *p, const char *name)
{
    p->dir = g_dir_make_tmp("libvmi-fuzz-XXXXXX", NULL);
    if (!p->dir)
        abort();
    p->path = g_build_filename(p->dir, name, NULL);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(p->path) >= sizeof(sa.sun_path))
        abort();
    strcpy(sa.sun_path, p->path);
    p->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (p->listen_fd < 0 || bind(p->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(p->listen_fd, 4) < 0)
        abort();
}

static gpointer fuzz_peer_main(gpointer data)
{
    fuzz_peer_t *p = data;
    int fd = accept4(p->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t sent = 0;
    bool shut = false;
    char sink[4096];
    for (;;) {
        if (!shut && sent == p->size) {
            shutdown(fd, SHUT_WR);
            shut = true;
        }
        struct pollfd pfd = { .fd = fd, .events = POLLIN | (shut ? 0 : POLLOUT) };
        /* 10 s: far beyond any client timeout used here */
        int r = poll(&pfd, 1, 10000);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = recv(fd, sink, sizeof(sink), MSG_DONTWAIT);
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
                break;      /* the client closed */
        }
        if (!shut && (pfd.revents & POLLOUT)) {
            ssize_t n = send(fd, p->data + sent, p->size - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n > 0)
                sent += (size_t)n;
            else if (n < 0 && errno != EAGAIN && errno != EINTR)
                break;
        }
    }
    close(fd);
    return NULL;
}

/* Starts serving @data to the next client. */
static void fuzz_peer_start(fuzz_peer_t *p, const uint8_t *data, size_t size)
{
    p->data = data;
    p->size = size;
    p->thread = g_thread_new("fuzz-peer", fuzz_peer_main, p);
}

/* Waits for the peer (after the client has closed its socket). */
static void fuzz_peer_join(fuzz_peer_t *p)
{
    g_thread_join(p->thread);
    p->thread = NULL;
}

#endif
