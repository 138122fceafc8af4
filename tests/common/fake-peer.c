/*
 * fake-peer.c - see fake-peer.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include "fake-peer.h"

typedef struct {
    fake_peer_op_t op;
    char *data;
    size_t len;
} step_t;

struct fake_peer {
    char *dir, *path;
    int listen_fd, conn_fd;
    int quit[2];                /* a byte here ends every wait */
    GArray *steps;
    fake_peer_match_fn match;
    fake_peer_script_fn script;
    void *script_data;
    GThread *thread;
    GMutex lock;
    char *failure;              /* the first problem */
    GString *in;                /* received, not yet read as a line */
};

fake_peer_t *fake_peer_new(const char *socket_name)
{
    fake_peer_t *p = g_new0(fake_peer_t, 1);
    g_autoptr(GError) error = NULL;
    p->dir = g_dir_make_tmp("fake-peer-XXXXXX", &error);
    g_assert_no_error(error);
    p->path = g_build_filename(p->dir, socket_name, NULL);
    p->steps = g_array_new(FALSE, TRUE, sizeof(step_t));
    p->in = g_string_new(NULL);
    p->conn_fd = -1;
    g_mutex_init(&p->lock);
    g_assert_cmpint(pipe2(p->quit, O_CLOEXEC), ==, 0);

    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    g_assert_cmpuint(strlen(p->path), <, sizeof(sa.sun_path));
    strcpy(sa.sun_path, p->path);
    p->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(p->listen_fd, >=, 0);
    g_assert_cmpint(bind(p->listen_fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    g_assert_cmpint(listen(p->listen_fd, 1), ==, 0);
    return p;
}

const char *fake_peer_path(const fake_peer_t *p)
{
    return p->path;
}

void fake_peer_add(fake_peer_t *p, fake_peer_op_t op, const void *data, size_t len)
{
    step_t s = { .op = op, .data = data ? g_memdup2(data, len + 1) : NULL, .len = len };
    if (s.data)
        s.data[len] = '\0';
    g_array_append_val(p->steps, s);
}

void fake_peer_say(fake_peer_t *p, const char *text)
{
    fake_peer_add(p, FAKE_PEER_SAY, text, strlen(text));
}

void fake_peer_await(fake_peer_t *p, const char *line)
{
    fake_peer_add(p, FAKE_PEER_AWAIT, line, strlen(line));
}

void fake_peer_set_match(fake_peer_t *p, fake_peer_match_fn match)
{
    p->match = match;
}

void fake_peer_fail(fake_peer_t *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_mutex_lock(&p->lock);
    if (!p->failure)
        p->failure = g_steal_pointer(&msg);
    g_mutex_unlock(&p->lock);
    g_free(msg);
}

/* Waits for @events on @fd: true when they came, even if the test has
 * ended the peer meanwhile (what the client sent last is still read). */
static bool wait_on(fake_peer_t *p, int fd, short events)
{
    struct pollfd pfd[2] = {
        { .fd = fd, .events = events },
        { .fd = p->quit[0], .events = POLLIN },
    };
    int n;
    do
        n = poll(pfd, 2, FAKE_PEER_WAIT_MS);
    while (n < 0 && errno == EINTR);
    return n > 0 && pfd[0].revents;
}

bool fake_peer_wait(fake_peer_t *p, short events)
{
    return p->conn_fd >= 0 && wait_on(p, p->conn_fd, events);
}

bool fake_peer_send(fake_peer_t *p, const void *buf, size_t len)
{
    const char *b = buf;
    while (len > 0) {
        if (!fake_peer_wait(p, POLLOUT))
            return false;
        ssize_t n = send(p->conn_fd, b, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0)
            return false;
        b += n;
        len -= (size_t)n;
    }
    return true;
}

ssize_t fake_peer_recv(fake_peer_t *p, void *buf, size_t len)
{
    for (;;) {
        if (!fake_peer_wait(p, POLLIN))
            return -1;
        ssize_t n = recv(p->conn_fd, buf, len, MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        return n;
    }
}

char *fake_peer_read_line(fake_peer_t *p)
{
    for (;;) {
        char *nl = memchr(p->in->str, '\n', p->in->len);
        if (nl) {
            char *line = g_strndup(p->in->str, (gsize)(nl - p->in->str));
            g_string_erase(p->in, 0, nl - p->in->str + 1);
            return line;
        }
        char buf[4096];
        ssize_t n = fake_peer_recv(p, buf, sizeof(buf));
        if (n <= 0)
            return NULL;
        g_string_append_len(p->in, buf, n);
    }
}

/* Closes the connection (the client sees the end of the stream). */
static void close_conn(fake_peer_t *p)
{
    if (p->conn_fd >= 0)
        close(p->conn_fd);
    p->conn_fd = -1;
}

/* The steps; false when the connection is to be closed at once. */
static bool run_steps(fake_peer_t *p)
{
    for (guint i = 0; i < p->steps->len; i++) {
        step_t *s = &g_array_index(p->steps, step_t, i);
        switch (s->op) {
        case FAKE_PEER_SAY:
            if (!fake_peer_send(p, s->data, s->len)) {
                fake_peer_fail(p, "fake peer: could not send step %u", i);
                return false;
            }
            break;
        case FAKE_PEER_AWAIT: {
            g_autofree char *line = fake_peer_read_line(p);
            if (!line) {
                fake_peer_fail(p, "fake peer: the client sent nothing (expected %s)", s->data);
                return false;
            }
            if (p->match ? !p->match(line, s->data) : strcmp(line, s->data) != 0) {
                fake_peer_fail(p, "fake peer: expected %s, got %s", s->data, line);
                return false;
            }
            break;
        }
        case FAKE_PEER_CLOSE:
            return false;
        case FAKE_PEER_STALL:
            return true;
        case FAKE_PEER_FLOOD: {
            enum { CHUNK = 1 << 20 };
            g_autofree char *chunk = g_malloc(CHUNK);
            memset(chunk, 'x', CHUNK);
            for (size_t sent = 0; sent < s->len; sent += CHUNK)
                if (!fake_peer_send(p, chunk, MIN((size_t)CHUNK, s->len - sent)))
                    return false;
            break;
        }
        case FAKE_PEER_TRICKLE:
            for (size_t k = 0; k < s->len; k++) {
                if (!fake_peer_send(p, s->data + k, 1))
                    return false;
                g_usleep(20000);
            }
            break;
        }
    }
    return true;
}

static gpointer peer_thread(gpointer data)
{
    fake_peer_t *p = data;
    if (!wait_on(p, p->listen_fd, POLLIN)) {
        fake_peer_fail(p, "fake peer: nobody connected");
        return NULL;
    }
    p->conn_fd = accept4(p->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (p->conn_fd < 0) {
        fake_peer_fail(p, "fake peer: accept: %s", g_strerror(errno));
        return NULL;
    }
    bool stay;
    if (p->script) {
        p->script(p, p->script_data);
        stay = p->conn_fd >= 0;
    } else {
        stay = run_steps(p);
    }
    /* Stay connected until the client leaves, so that it sees only what
     * the script did. */
    if (stay) {
        char buf[4096];
        while (fake_peer_recv(p, buf, sizeof(buf)) > 0)
            ;
    }
    close_conn(p);
    return NULL;
}

void fake_peer_close(fake_peer_t *p)
{
    close_conn(p);
}

void fake_peer_start(fake_peer_t *p, fake_peer_script_fn script, void *data)
{
    g_assert_null(p->thread);
    p->script = script;
    p->script_data = data;
    p->thread = g_thread_new("fake-peer", peer_thread, p);
}

char *fake_peer_finish(fake_peer_t *p)
{
    if (p->thread) {
        g_assert_cmpint(write(p->quit[1], "q", 1), ==, 1);
        g_thread_join(p->thread);
    }
    char *failure = p->failure;
    for (guint i = 0; i < p->steps->len; i++)
        g_free(g_array_index(p->steps, step_t, i).data);
    g_array_free(p->steps, TRUE);
    g_string_free(p->in, TRUE);
    close_conn(p);
    close(p->listen_fd);
    close(p->quit[0]);
    close(p->quit[1]);
    g_unlink(p->path);
    g_rmdir(p->dir);
    g_free(p->path);
    g_free(p->dir);
    g_mutex_clear(&p->lock);
    g_free(p);
    return failure;
}

/* ---- the preloaded peer */

static struct {
    GMutex lock;
    GCond cond;
    GThread *thread;
    int fd;             /* the peer's end, or -1 */
    bool reading;       /* the reader has not yet seen the client leave */
} pre = { .fd = -1 };

/* Reads and drops what the client sends on each preloaded socket, until
 * it closes its end. */
static gpointer pre_reader(gpointer unused)
{
    (void)unused;
    for (;;) {
        g_mutex_lock(&pre.lock);
        while (!pre.reading)
            g_cond_wait(&pre.cond, &pre.lock);
        int fd = pre.fd;
        g_mutex_unlock(&pre.lock);

        char buf[4096];
        for (;;) {
            struct pollfd pfd = { .fd = fd, .events = POLLIN };
            if (poll(&pfd, 1, -1) < 0 && errno == EINTR)
                continue;
            ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
            if (n > 0 || (n < 0 && (errno == EINTR || errno == EAGAIN)))
                continue;
            break;      /* the client closed (or the end was shut down) */
        }
        g_mutex_lock(&pre.lock);
        pre.reading = false;
        g_cond_broadcast(&pre.cond);
        g_mutex_unlock(&pre.lock);
    }
    return NULL;
}

/* The client's end, its send buffer as large as the system allows. */
static int grow_sndbuf(int fd)
{
    int want = 64 << 20;
    return setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof(want));
}

/* How many sends of 64 bytes a socket made as fake_peer_preload makes it
 * takes before one would block (each is a buffer of its own). */
static size_t send_capacity(void)
{
    static size_t capacity;
    if (capacity)
        return capacity;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return 1;
    grow_sndbuf(sv[0]);
    char bytes[64] = { 0 };
    size_t n = 0;
    while (n < (1u << 20) && send(sv[0], bytes, sizeof(bytes), MSG_DONTWAIT | MSG_NOSIGNAL) > 0)
        n++;
    close(sv[0]);
    close(sv[1]);
    capacity = n ? n : 1;
    return capacity;
}

/* Sends @len bytes as one piece (a record of the SOCK_SEQPACKET pair). */
static void send_piece(int fd, const char *b, size_t len, size_t total)
{
    for (;;) {
        ssize_t n = send(fd, b, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n != (ssize_t)len) {
            fprintf(stderr, "fake_peer_preload: %zu bytes do not fit: %s\n", total,
                    n < 0 ? g_strerror(errno) : "cut short");
            abort();
        }
        return;
    }
}

int fake_peer_preload(const void *data, size_t len, uint32_t cut, size_t max_sends)
{
    int sv[2];
    bool reader = max_sends >= send_capacity();
    if (len > FAKE_PEER_PRELOAD_MAX || pre.fd >= 0 ||
        socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        fprintf(stderr, "fake_peer_preload: %zu bytes (at most %d), one at a time: %s\n", len,
                FAKE_PEER_PRELOAD_MAX, pre.fd >= 0 ? "busy" : g_strerror(errno));
        abort();
    }
    /* up to three cuts at places @cut picks, sorted */
    size_t cuts[3] = { len, len, len };
    if (cut && len > 1) {
        for (int i = 0; i < 3; i++)
            cuts[i] = 1 + ((cut >> (i * 10)) & 0x3ff) * (len - 1) / 0x400;
        for (int i = 0; i < 3; i++)
            for (int j = i + 1; j < 3; j++)
                if (cuts[j] < cuts[i]) {
                    size_t t = cuts[i];
                    cuts[i] = cuts[j];
                    cuts[j] = t;
                }
    }
    const char *b = data;
    size_t at = 0;
    for (int i = 0; i <= 3; i++) {
        size_t end = i < 3 ? cuts[i] : len;
        while (at < end) {
            size_t n = MIN(end - at, (size_t)FAKE_PEER_PIECE_MAX);
            send_piece(sv[1], b + at, n, len);
            at += n;
        }
    }
    shutdown(sv[1], SHUT_WR);
    grow_sndbuf(sv[0]);

    pre.fd = sv[1];
    if (reader) {
        g_mutex_lock(&pre.lock);
        if (!pre.thread)
            pre.thread = g_thread_new("fake-peer-reader", pre_reader, NULL);
        pre.reading = true;
        g_cond_broadcast(&pre.cond);
        g_mutex_unlock(&pre.lock);
    }
    return sv[0];
}

void fake_peer_preload_end(void)
{
    if (pre.fd < 0)
        return;
    g_mutex_lock(&pre.lock);
    if (pre.reading) {
        /* ends the reader's wait even if the client kept its end open */
        shutdown(pre.fd, SHUT_RDWR);
        while (pre.reading)
            g_cond_wait(&pre.cond, &pre.lock);
    }
    g_mutex_unlock(&pre.lock);
    close(pre.fd);
    pre.fd = -1;
}
