/*
 * test-qmp.c - the QMP client against a fake peer (a thread on a unix socket
 * in a temporary directory) that replays a transcript recorded from QEMU 7.2,
 * or misbehaves on purpose; and the HMP text parsers against outputs
 * recorded from real guests (tests/data/qmp/README.md says how).  Expected
 * values were copied by hand from the recorded files.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* accept4, pipe2 */
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>
#include "qmp.h"
#include "json_scan.h"
#include "config.h"
#ifdef ENABLE_LIBVIRT
#include "kvm_libvirt.h"
#endif

/* ------------------------------------------------------------ data files */

static char *data_path(const char *name)
{
    const char *top = g_getenv("top_srcdir");
    if (top && *top)
        return g_build_filename(top, "tests", "data", "qmp", name, NULL);
    /* standalone build: relative to this source file */
    g_autofree char *here = g_path_get_dirname(__FILE__);
    return g_build_filename(here, "..", "data", "qmp", name, NULL);
}

static char *load(const char *name)
{
    g_autofree char *path = data_path(name);
    g_autoptr(GError) error = NULL;
    char *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, &error))
        g_error("cannot read test data: %s", error->message);
    return text;
}

/* The recorded transcript: lines "S <server line>\r\n" and "C <client line>\n". */
static char **transcript_lines(void)
{
    g_autofree char *text = load("session.txt");
    return g_strsplit(text, "\n", -1);
}

/* The recorded server line of the transcript that contains @needle,
 * with its "\r\n". */
static char *recorded_server_line(const char *needle)
{
    g_auto(GStrv) lines = transcript_lines();
    for (char **l = lines; *l; l++)
        if (g_str_has_prefix(*l, "S ") && strstr(*l, needle))
            return g_strconcat(*l + 2, "\n", NULL);
    g_error("no server line with '%s' in session.txt", needle);
}

/* ------------------------------------------------------------ fake peer */

typedef enum {
    PEER_SEND,      /* send data as is */
    PEER_EXPECT,    /* read one request line; it must equal data as JSON */
    PEER_CLOSE,     /* close the connection now */
    PEER_STALL,     /* say nothing until the test ends (bounded: 10 s) */
    PEER_FLOOD,     /* send len bytes without a newline, until the client leaves */
    PEER_TRICKLE,   /* send data a byte every 20 ms, until the client leaves */
} peer_op_t;

typedef struct {
    peer_op_t op;
    char *data;
    gsize len;
} peer_step_t;

typedef struct {
    char *dir, *path;
    int listen_fd, conn_fd;
    int quit[2];            /* a byte here ends stalls and waits */
    GArray *steps;
    GThread *thread;
    char *failure;          /* the first thing that went wrong in the peer */
    GString *in;
} peer_t;

#define PEER_WAIT_MS 10000

static void peer_fail(peer_t *p, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void peer_fail(peer_t *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (!p->failure)
        p->failure = g_strdup_vprintf(fmt, ap);
    va_end(ap);
}

/* Waits for @fd to become readable (or writable); false on quit or after
 * PEER_WAIT_MS. */
static bool peer_wait(peer_t *p, int fd, short events)
{
    struct pollfd pfd[2] = {
        { .fd = fd, .events = events },
        { .fd = p->quit[0], .events = POLLIN },
    };
    int n;
    do
        n = poll(pfd, 2, PEER_WAIT_MS);
    while (n < 0 && errno == EINTR);
    return n > 0 && !pfd[1].revents;
}

/* Sends @len bytes; false when the client has gone (which some tests expect). */
static bool peer_send(peer_t *p, const char *buf, gsize len)
{
    while (len > 0) {
        if (!peer_wait(p, p->conn_fd, POLLOUT))
            return false;
        ssize_t n = send(p->conn_fd, buf, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        buf += n;
        len -= (gsize)n;
    }
    return true;
}

static char *peer_read_line(peer_t *p)
{
    for (;;) {
        char *nl = memchr(p->in->str, '\n', p->in->len);
        if (nl) {
            char *line = g_strndup(p->in->str, (gsize)(nl - p->in->str));
            g_string_erase(p->in, 0, nl - p->in->str + 1);
            return line;
        }
        char buf[4096];
        if (!peer_wait(p, p->conn_fd, POLLIN))
            return NULL;
        ssize_t n = recv(p->conn_fd, buf, sizeof(buf), 0);
        if (n <= 0)
            return NULL;
        g_string_append_len(p->in, buf, n);
    }
}

static JsonNode *parse_json(const char *text)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    if (!json_parser_load_from_data(parser, text, -1, NULL))
        return NULL;
    return json_node_copy(json_parser_get_root(parser));
}

static bool peer_expect(peer_t *p, const char *want)
{
    g_autofree char *line = peer_read_line(p);
    if (!line) {
        peer_fail(p, "peer: no request arrived (expected %s)", want);
        return false;
    }
    g_autoptr(JsonNode) got_node = parse_json(line);
    g_autoptr(JsonNode) want_node = parse_json(want);
    g_assert_nonnull(want_node);
    if (!got_node || !json_node_equal(got_node, want_node)) {
        peer_fail(p, "peer: expected request %s, got %s", want, line);
        return false;
    }
    return true;
}

static gpointer peer_thread(gpointer data)
{
    peer_t *p = data;
    if (!peer_wait(p, p->listen_fd, POLLIN)) {
        peer_fail(p, "peer: nobody connected");
        return NULL;
    }
    p->conn_fd = accept4(p->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (p->conn_fd < 0) {
        peer_fail(p, "peer: accept: %s", g_strerror(errno));
        return NULL;
    }

    for (guint i = 0; i < p->steps->len; i++) {
        peer_step_t *s = &g_array_index(p->steps, peer_step_t, i);
        switch (s->op) {
        case PEER_SEND:
            if (!peer_send(p, s->data, s->len)) {
                peer_fail(p, "peer: could not send step %u", i);
                goto out;
            }
            break;
        case PEER_EXPECT:
            if (!peer_expect(p, s->data))
                goto out;
            break;
        case PEER_CLOSE:
            goto out;
        case PEER_STALL:
            goto drain;
        case PEER_FLOOD: {
            g_autofree char *chunk = g_malloc(1 << 20);
            memset(chunk, 'x', 1 << 20);
            for (gsize sent = 0; sent < s->len; sent += 1 << 20)
                if (!peer_send(p, chunk, MIN((gsize)1 << 20, s->len - sent)))
                    goto out;
            break;
        }
        case PEER_TRICKLE:
            for (gsize k = 0; k < s->len; k++) {
                if (!peer_send(p, s->data + k, 1))
                    goto out;
                g_usleep(20000);
            }
            break;
        }
    }
drain:
    /* Stay connected until the client leaves, so that it sees only what
     * the script did. */
    for (;;) {
        char buf[4096];
        if (!peer_wait(p, p->conn_fd, POLLIN) || recv(p->conn_fd, buf, sizeof(buf), 0) <= 0)
            break;
    }
out:
    close(p->conn_fd);
    p->conn_fd = -1;
    return NULL;
}

static peer_t *peer_new(void)
{
    peer_t *p = g_new0(peer_t, 1);
    g_autoptr(GError) error = NULL;
    p->dir = g_dir_make_tmp("test-qmp-XXXXXX", &error);
    g_assert_no_error(error);
    p->path = g_build_filename(p->dir, "qmp.sock", NULL);
    p->steps = g_array_new(FALSE, TRUE, sizeof(peer_step_t));
    p->in = g_string_new(NULL);
    p->conn_fd = -1;
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

static void peer_add(peer_t *p, peer_op_t op, const char *data, gsize len)
{
    peer_step_t s = { .op = op, .data = data ? g_memdup2(data, len + 1) : NULL, .len = len };
    g_array_append_val(p->steps, s);
}

static void peer_say(peer_t *p, const char *text)
{
    peer_add(p, PEER_SEND, text, strlen(text));
}

static void peer_await(peer_t *p, const char *request)
{
    peer_add(p, PEER_EXPECT, request, strlen(request));
}

/* The recorded greeting and the reply to qmp_capabilities (id 1). */
static void peer_handshake(peer_t *p)
{
    g_autofree char *greeting = recorded_server_line("\"QMP\"");
    g_autofree char *caps = recorded_server_line("{\"return\": {}, \"id\": 1}");
    peer_say(p, greeting);
    peer_await(p, "{\"execute\": \"qmp_capabilities\", \"id\": 1}");
    peer_say(p, caps);
}

static void peer_start(peer_t *p)
{
    p->thread = g_thread_new("fake-qmp-peer", peer_thread, p);
}

/* Ends the peer and checks it saw what it expected. */
static void peer_finish(peer_t *p)
{
    g_assert_cmpint(write(p->quit[1], "q", 1), ==, 1);
    g_thread_join(p->thread);
    g_assert_cmpstr(p->failure, ==, NULL);
    for (guint i = 0; i < p->steps->len; i++)
        g_free(g_array_index(p->steps, peer_step_t, i).data);
    g_array_free(p->steps, TRUE);
    g_string_free(p->in, TRUE);
    close(p->listen_fd);
    close(p->quit[0]);
    close(p->quit[1]);
    g_unlink(p->path);
    g_rmdir(p->dir);
    g_free(p->path);
    g_free(p->dir);
    g_free(p);
}

static const char *event_name(JsonObject *ev)
{
    return json_object_get_string_member(ev, "event");
}

/* ------------------------------------------------------------ client tests */

/* The whole recorded session: every client line must be what qmp.c sends,
 * every server line is replayed byte for byte (CRLF included). */
static void test_replay_session(void)
{
    peer_t *p = peer_new();
    g_auto(GStrv) lines = transcript_lines();
    for (char **l = lines; *l; l++) {
        if (g_str_has_prefix(*l, "S ")) {
            g_autofree char *line = g_strconcat(*l + 2, "\n", NULL);
            peer_say(p, line);
        } else if (g_str_has_prefix(*l, "C ")) {
            peer_await(p, *l + 2);
        } else {
            g_assert_cmpstr(*l, ==, "");
        }
    }
    peer_start(p);

    g_autoptr(GError) error = NULL;
    qmp_t *q = qmp_connect(p->path, 5000, &error);
    g_assert_no_error(error);
    g_assert_nonnull(q);
    g_assert_cmpint(qmp_peer_pid(q), ==, getpid()); /* the peer is a thread of ours */

    bool running = false;
    g_assert_true(qmp_query_running(q, &running, &error));
    g_assert_no_error(error);
    g_assert_true(running);

    g_assert_null(qmp_take_events(q));
    /* QEMU sent the STOP event before the reply to "stop" */
    g_assert_true(qmp_stop(q, &error));
    g_assert_no_error(error);
    GList *events = qmp_take_events(q);
    g_assert_cmpuint(g_list_length(events), ==, 1);
    g_assert_cmpstr(event_name(events->data), ==, "STOP");
    g_list_free_full(events, (GDestroyNotify)json_object_unref);

    g_assert_true(qmp_query_running(q, &running, &error));
    g_assert_false(running);

    g_assert_true(qmp_cont(q, &error));
    g_assert_true(qmp_query_running(q, &running, &error));
    g_assert_true(running);
    events = qmp_take_events(q);
    g_assert_cmpuint(g_list_length(events), ==, 1);
    g_assert_cmpstr(event_name(events->data), ==, "RESUME");
    JsonObject *ts = json_object_get_object_member(events->data, "timestamp");
    g_assert_cmpint(json_object_get_int_member(ts, "seconds"), ==, 1795327958);
    g_assert_cmpint(json_object_get_int_member(ts, "microseconds"), ==, 247305);
    g_list_free_full(events, (GDestroyNotify)json_object_unref);

    g_autofree char *text = qmp_hmp(q, "gpa2hva 0x1000", &error);
    g_assert_no_error(error);
    g_assert_cmpstr(text, ==, "Host virtual address for 0x1000 (ram0) is 0x7fa290000000\r\n");

    g_autoptr(JsonNode) none = qmp_execute(q, "no-such-command", NULL, &error);
    g_assert_null(none);
    g_assert_error(error, QMP_ERROR, QMP_ERROR_COMMAND);
    g_assert_nonnull(strstr(error->message, "The command no-such-command has not been found"));
    g_assert_nonnull(strstr(error->message, "CommandNotFound"));
    g_clear_error(&error);

    /* a refused command leaves the connection usable */
    g_autofree char *text2 = qmp_hmp(q, "gpa2hva 0x40000000", &error);
    g_assert_no_error(error);
    g_assert_cmpstr(text2, ==, "No memory is mapped at address 0x40000000\r\n");

    qmp_free(q);
    peer_finish(p);
}

static void test_arguments_object_not_consumed(void)
{
    peer_t *p = peer_new();
    peer_handshake(p);
    peer_await(p, "{\"execute\": \"pmemsave\", \"arguments\": "
                  "{\"val\": 4096, \"size\": 16, \"filename\": \"/tmp/x \\\"q\\\"\"}, \"id\": 2}");
    peer_say(p, "{\"return\": {}, \"id\": 2}\r\n");
    peer_start(p);

    g_autoptr(GError) error = NULL;
    qmp_t *q = qmp_connect(p->path, 5000, &error);
    g_assert_no_error(error);
    g_autoptr(JsonObject) args = json_object_new();
    json_object_set_int_member(args, "val", 4096);
    json_object_set_int_member(args, "size", 16);
    json_object_set_string_member(args, "filename", "/tmp/x \"q\"");
    g_autoptr(JsonNode) ret = qmp_execute(q, "pmemsave", args, &error);
    g_assert_no_error(error);
    g_assert_true(JSON_NODE_HOLDS_OBJECT(ret));
    g_assert_cmpuint(json_object_get_size(json_node_get_object(ret)), ==, 0);
    /* still ours */
    g_assert_cmpint(json_object_get_int_member(args, "size"), ==, 16);
    qmp_free(q);
    peer_finish(p);
}

static void test_events_before_reply(void)
{
    g_autofree char *stop = recorded_server_line("\"event\": \"STOP\"");
    g_autofree char *resume = recorded_server_line("\"event\": \"RESUME\"");
    peer_t *p = peer_new();
    peer_handshake(p);
    peer_await(p, "{\"execute\": \"query-status\", \"id\": 2}");
    peer_say(p, stop);
    peer_say(p, resume);
    peer_say(p, "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, "
                "\"event\": \"POWERDOWN\"}\r\n");
    peer_say(p, "{\"return\": {\"status\": \"paused\", \"singlestep\": false, "
                "\"running\": false}, \"id\": 2}\r\n");
    peer_start(p);

    g_autoptr(GError) error = NULL;
    qmp_t *q = qmp_connect(p->path, 5000, &error);
    g_assert_no_error(error);
    bool running = true;
    g_assert_true(qmp_query_running(q, &running, &error));
    g_assert_false(running);

    GList *events = qmp_take_events(q);
    g_assert_cmpuint(g_list_length(events), ==, 3);
    g_assert_cmpstr(event_name(g_list_nth_data(events, 0)), ==, "STOP");
    g_assert_cmpstr(event_name(g_list_nth_data(events, 1)), ==, "RESUME");
    g_assert_cmpstr(event_name(g_list_nth_data(events, 2)), ==, "POWERDOWN");
    g_list_free_full(events, (GDestroyNotify)json_object_unref);
    g_assert_null(qmp_take_events(q));
    qmp_free(q);
    peer_finish(p);
}

/* One request answered with @reply; the call must fail with @code and the
 * client must then refuse further use without waiting. */
static void check_bad_reply(const char *reply, int code, const char *in_message)
{
    peer_t *p = peer_new();
    peer_handshake(p);
    peer_await(p, "{\"execute\": \"query-status\", \"id\": 2}");
    if (reply)
        peer_say(p, reply);
    peer_add(p, PEER_CLOSE, NULL, 0);
    peer_start(p);

    g_autoptr(GError) error = NULL;
    qmp_t *q = qmp_connect(p->path, 5000, &error);
    g_assert_no_error(error);
    bool running;
    g_assert_false(qmp_query_running(q, &running, &error));
    g_assert_error(error, QMP_ERROR, code);
    if (in_message && !strstr(error->message, in_message))
        g_error("'%s' not in '%s'", in_message, error->message);
    g_clear_error(&error);

    g_assert_false(qmp_stop(q, &error));
    /* a QEMU that closed the monitor stays gone; "unusable": refused
     * before any I/O (no timing assert: a loaded machine is slow) */
    int later = code == QMP_ERROR_GONE ? QMP_ERROR_GONE : QMP_ERROR_IO;
    g_assert_error(error, QMP_ERROR, later);
    g_assert_nonnull(strstr(error->message, "unusable"));
    qmp_free(q);
    peer_finish(p);
}

/* Nesting deeper than QMP_MAX_JSON_DEPTH is refused before json-glib
 * (which recurses without a limit) sees it. */
static void test_deep_json(void)
{
    GString *deep = g_string_new("{\"return\": ");
    for (int i = 0; i < 100; i++)
        g_string_append(deep, "[");
    for (int i = 0; i < 100; i++)
        g_string_append(deep, "]");
    g_string_append(deep, ", \"id\": 2}\r\n");
    check_bad_reply(deep->str, QMP_ERROR_PROTOCOL, "nested deeper than 64");
    g_string_free(deep, TRUE);
}

static void test_json_depth(void)
{
    g_assert_cmpuint(qmp_json_depth("", 0), ==, 0);
    g_assert_cmpuint(qmp_json_depth("{\"a\": [1, {\"b\": []}]}", 21), ==, 4);
    /* brackets in strings, escaped quotes */
    const char *s1 = "{\"a\": \"[[[[\\\"[[[\"}";
    g_assert_cmpuint(qmp_json_depth(s1, strlen(s1)), ==, 1);
    /* counted up to the limit + 1, whatever the input */
    GString *g = g_string_new(NULL);
    for (int i = 0; i < 1000000; i++)
        g_string_append_c(g, '[');
    g_assert_cmpuint(qmp_json_depth(g->str, g->len), ==, QMP_MAX_JSON_DEPTH + 1);
    g_string_free(g, TRUE);
    /* exactly the limit is fine */
    g = g_string_new(NULL);
    for (int i = 0; i < QMP_MAX_JSON_DEPTH; i++)
        g_string_append_c(g, '{');
    g_assert_cmpuint(qmp_json_depth(g->str, g->len), ==, QMP_MAX_JSON_DEPTH);
    g_string_free(g, TRUE);
}

/* json-glib 1.6 reads a line of several values as several roots and leaks
 * all but the last, so a hostile QEMU could grow the daemon line by line;
 * worse, the last one would be taken as the reply. */
static void test_two_values(void)
{
    check_bad_reply("{\"return\": {}, \"id\": 1}{\"return\": {\"status\": \"running\"}, "
                    "\"id\": 2}\r\n", QMP_ERROR_PROTOCOL, "more than one value");
    check_bad_reply("0{\"return\": {\"status\": \"running\"}, \"id\": 2}\r\n",
                    QMP_ERROR_PROTOCOL, "more than one value");
}

static char *relay_two_values(void *data, const char *request, GError **error)
{
    (void)data; (void)request; (void)error;
    return g_strdup("{\"return\": {}} {\"return\": {}}");
}

static void test_relayed_two_values(void)
{
    qmp_t *q = qmp_new_relayed(relay_two_values, NULL, NULL);
    g_autoptr(GError) error = NULL;
    g_assert_false(qmp_stop(q, &error));
    g_assert_error(error, QMP_ERROR, QMP_ERROR_PROTOCOL);
    g_assert_nonnull(strstr(error->message, "more than one value"));
    qmp_free(q);
}

static void test_json_values(void)
{
    static const struct {
        const char *text;
        size_t values;
    } cases[] = {
        { "", 0 }, { " \r\n", 0 }, { "{}", 1 }, { " {\"a\": [1, 2]}\r\n", 1 }, { "[1,2,3]", 1 },
        { "\"running\"", 1 }, { "-12.5e3", 1 }, { "{\"a\": \"}{\"}", 1 },
        { "{}{}", 2 }, { "{} {}", 2 }, { "0{}", 2 }, { "\"x\"{}", 2 }, { "true false", 2 },
        { "{}}", 2 }, { "{},", 2 }, { "this is not json", 2 },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        vmi_json_scan_t scan;
        vmi_json_scan(cases[i].text, strlen(cases[i].text), QMP_MAX_JSON_DEPTH, &scan);
        if (scan.values != cases[i].values)
            g_error("'%s': %zu values, not %zu", cases[i].text, scan.values, cases[i].values);
    }
}

static void test_garbage_line(void)
{
    check_bad_reply("this is not json\r\n", QMP_ERROR_PROTOCOL, "not JSON");
}

static void test_non_object(void)
{
    check_bad_reply("[1, 2, 3]\r\n", QMP_ERROR_PROTOCOL, "not a JSON object");
}

static void test_non_object_scalar(void)
{
    check_bad_reply("\"running\"\r\n", QMP_ERROR_PROTOCOL, "not a JSON object");
}

static void test_neither_reply_nor_event(void)
{
    check_bad_reply("{\"status\": \"running\", \"id\": 2}\r\n", QMP_ERROR_PROTOCOL, "neither");
}

static void test_wrong_id(void)
{
    check_bad_reply("{\"return\": {\"status\": \"running\"}, \"id\": 99}\r\n", QMP_ERROR_PROTOCOL,
                    "another request");
}

static void test_close_mid_line(void)
{
    check_bad_reply("{\"return\": {\"status\": \"runn", QMP_ERROR_GONE, "middle of a message");
}

static void test_close_before_reply(void)
{
    check_bad_reply(NULL, QMP_ERROR_GONE, "closed");
}

static void test_stall(void)
{
    peer_t *p = peer_new();
    peer_handshake(p);
    peer_await(p, "{\"execute\": \"query-status\", \"id\": 2}");
    peer_add(p, PEER_STALL, NULL, 0);
    peer_start(p);

    g_autoptr(GError) error = NULL;
    qmp_t *q = qmp_connect(p->path, 300, &error);
    g_assert_no_error(error);
    gint64 t0 = g_get_monotonic_time();
    bool running;
    g_assert_false(qmp_query_running(q, &running, &error));
    gint64 took = g_get_monotonic_time() - t0;
    /* TIMEOUT, and not before the timeout: the peer stalls until the test
     * ends, so a client that ignored its timeout would see the close */
    g_assert_error(error, QMP_ERROR, QMP_ERROR_TIMEOUT);
    g_assert_cmpint(took, >=, 290000);
    g_clear_error(&error);

    /* a late reply would answer the wrong call: no further use */
    g_assert_false(qmp_query_running(q, &running, &error));
    g_assert_error(error, QMP_ERROR, QMP_ERROR_IO);
    qmp_free(q);
    peer_finish(p);
}

/* A peer that keeps sending, slowly, must not extend the call. */
static void test_trickle(void)
{
    const char *reply = "{\"return\": {\"status\": \"running\", \"singlestep\": false, "
                        "\"running\": true}, \"id\": 2}\r\n";
    peer_t *p = peer_new();
    peer_handshake(p);
    peer_await(p, "{\"execute\": \"query-status\", \"id\": 2}");
    peer_add(p, PEER_TRICKLE, reply, strlen(reply)); /* ~1.8 s at 20 ms a byte */
    peer_start(p);

    g_autoptr(GError) error = NULL;
    qmp_t *q = qmp_connect(p->path, 300, &error);
    g_assert_no_error(error);
    bool running;
    /* the whole reply takes ~1.8 s to trickle in: a call that let each
     * byte extend its 300 ms would end with the answer, not TIMEOUT */
    g_assert_false(qmp_query_running(q, &running, &error));
    g_assert_error(error, QMP_ERROR, QMP_ERROR_TIMEOUT);
    qmp_free(q);
    peer_finish(p);
}

static void test_no_greeting(void)
{
    peer_t *p = peer_new();
    peer_add(p, PEER_STALL, NULL, 0);
    peer_start(p);
    g_autoptr(GError) error = NULL;
    /* TIMEOUT, not the close the stalled peer makes when the test ends */
    qmp_t *q = qmp_connect(p->path, 300, &error);
    g_assert_null(q);
    g_assert_error(error, QMP_ERROR, QMP_ERROR_TIMEOUT);
    peer_finish(p);
}

static void test_not_a_qmp_greeting(void)
{
    peer_t *p = peer_new();
    peer_say(p, "{\"hello\": {}}\r\n");
    peer_start(p);
    g_autoptr(GError) error = NULL;
    qmp_t *q = qmp_connect(p->path, 5000, &error);
    g_assert_null(q);
    g_assert_error(error, QMP_ERROR, QMP_ERROR_PROTOCOL);
    peer_finish(p);
}

static void test_capabilities_refused(void)
{
    g_autofree char *greeting = recorded_server_line("\"QMP\"");
    peer_t *p = peer_new();
    peer_say(p, greeting);
    peer_await(p, "{\"execute\": \"qmp_capabilities\", \"id\": 1}");
    peer_say(p, "{\"id\": 1, \"error\": {\"class\": \"CommandNotFound\", \"desc\": "
                "\"Capabilities negotiation is already complete, command ignored\"}}\r\n");
    peer_start(p);
    g_autoptr(GError) error = NULL;
    qmp_t *q = qmp_connect(p->path, 5000, &error);
    g_assert_null(q);
    g_assert_error(error, QMP_ERROR, QMP_ERROR_COMMAND);
    g_assert_nonnull(strstr(error->message, "negotiation is already complete"));
    peer_finish(p);
}

static void test_no_socket(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = g_dir_make_tmp("test-qmp-XXXXXX", &error);
    g_autofree char *path = g_build_filename(dir, "nobody.sock", NULL);
    qmp_t *q = qmp_connect(path, 1000, &error);
    g_assert_null(q);
    g_assert_error(error, QMP_ERROR, QMP_ERROR_IO);
    g_assert_nonnull(strstr(error->message, path));
    g_rmdir(dir);
}

static void test_huge_line(void)
{
    peer_t *p = peer_new();
    peer_handshake(p);
    peer_await(p, "{\"execute\": \"human-monitor-command\", \"arguments\": "
                  "{\"command-line\": \"info mtree -f\"}, \"id\": 2}");
    peer_say(p, "{\"return\": \"");
    peer_add(p, PEER_FLOOD, NULL, (gsize)65 << 20); /* past the 64 MiB cap, no newline */
    peer_start(p);

    g_autoptr(GError) error = NULL;
    qmp_t *q = qmp_connect(p->path, 20000, &error);
    g_assert_no_error(error);
    g_autofree char *text = qmp_hmp(q, "info mtree -f", &error);
    g_assert_null(text);
    g_assert_error(error, QMP_ERROR, QMP_ERROR_PROTOCOL);
    g_assert_nonnull(strstr(error->message, "longer than"));
    qmp_free(q);
    peer_finish(p);
}

/* Long output below the cap is fine (info mtree -f of a big machine). */
static void test_long_line(void)
{
    gsize n = (gsize)4 << 20;
    GString *reply = g_string_new("{\"return\": \"");
    for (gsize i = 0; i < n / 8; i++)
        g_string_append(reply, "abcdef\\n"); /* 8 bytes of JSON, 7 of text */
    g_string_append(reply, "\", \"id\": 2}\r\n");

    peer_t *p = peer_new();
    peer_handshake(p);
    peer_await(p, "{\"execute\": \"human-monitor-command\", \"arguments\": "
                  "{\"command-line\": \"info registers -a\"}, \"id\": 2}");
    peer_add(p, PEER_SEND, reply->str, reply->len);
    peer_start(p);
    g_string_free(reply, TRUE);

    g_autoptr(GError) error = NULL;
    qmp_t *q = qmp_connect(p->path, 20000, &error);
    g_assert_no_error(error);
    g_autofree char *text = qmp_hmp(q, "info registers -a", &error);
    g_assert_no_error(error);
    g_assert_cmpuint(strlen(text), ==, n / 8 * 7);
    g_assert_true(g_str_has_prefix(text, "abcdef\nabcdef\n"));
    qmp_free(q);
    peer_finish(p);
}

static void test_hmp_not_a_string(void)
{
    peer_t *p = peer_new();
    peer_handshake(p);
    peer_await(p, "{\"execute\": \"human-monitor-command\", \"arguments\": "
                  "{\"command-line\": \"info status\"}, \"id\": 2}");
    peer_say(p, "{\"return\": {}, \"id\": 2}\r\n");
    peer_start(p);
    g_autoptr(GError) error = NULL;
    qmp_t *q = qmp_connect(p->path, 5000, &error);
    g_assert_no_error(error);
    g_autofree char *text = qmp_hmp(q, "info status", &error);
    g_assert_null(text);
    g_assert_error(error, QMP_ERROR, QMP_ERROR_PROTOCOL);
    qmp_free(q);
    peer_finish(p);
}

/* ------------------------------------------------------------ mtree */

static void assert_range(GArray *a, guint i, guint64 gpa, guint64 size, const char *name,
                         guint64 offset)
{
    g_assert_cmpuint(i, <, a->len);
    const qmp_ram_range_t *r = &g_array_index(a, qmp_ram_range_t, i);
    g_assert_cmphex(r->gpa, ==, gpa);
    g_assert_cmphex(r->size, ==, size);
    g_assert_cmpstr(r->name, ==, name);
    g_assert_cmphex(r->offset, ==, offset);
}

/* 512 MiB on memory-backend ram0, PAM set up by the firmware: the BIOS
 * shadow areas c3000-e7fff and f0000-fffff are read-only ("rom") aliases
 * of ram0 and are left out. */
static void test_mtree_512m(void)
{
    g_autofree char *text = load("mtree-512m-memory-backend.txt");
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) a = qmp_parse_mtree(text, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(a->len, ==, 3);
    assert_range(a, 0, 0x0, 0xc3000, "ram0", 0);
    assert_range(a, 1, 0xe8000, 0x8000, "ram0", 0xe8000);
    assert_range(a, 2, 0x100000, 0x1ff00000, "ram0", 0x100000);
}

/* 5 GiB, pc.ram, not booted: the view of "memory" is printed after the SMM
 * view (whose root region is called "memory" too); RAM above 3 GiB
 * continues at 4 GiB. */
static void test_mtree_5g(void)
{
    g_autofree char *text = load("mtree-5g.txt");
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) a = qmp_parse_mtree(text, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(a->len, ==, 3);
    assert_range(a, 0, 0x0, 0xa0000, "pc.ram", 0);
    assert_range(a, 1, 0x100000, 0xbff00000, "pc.ram", 0x100000);
    assert_range(a, 2, 0x100000000, 0x80000000, "pc.ram", 0xc0000000);
}

/* @text with the first @from after @anchor (or after the start) made @to. */
static char *replace_after(const char *text, const char *anchor, const char *from, const char *to)
{
    const char *start = anchor ? strstr(text, anchor) : text;
    g_assert_nonnull(start);
    const char *at = strstr(start, from);
    g_assert_nonnull(at);
    return g_strdup_printf("%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
}

static char *replace(const char *text, const char *from, const char *to)
{
    return replace_after(text, NULL, from, to);
}

/* The 5 GiB file has an identical SMM view before the one of "memory". */
static char *replace_in_memory_view(const char *text, const char *from, const char *to)
{
    return replace_after(text, "AS \"memory\"", from, to);
}

static void expect_mtree_error(const char *text, const char *in_message)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) a = qmp_parse_mtree(text, &error);
    g_assert_null(a);
    g_assert_error(error, QMP_ERROR, QMP_ERROR_PROTOCOL);
    if (!strstr(error->message, in_message))
        g_error("'%s' not in '%s'", in_message, error->message);
}

static void test_mtree_bad(void)
{
    g_autofree char *text = load("mtree-5g.txt");

    g_autofree char *no_as = replace(text, "AS \"memory\"", "AS \"memory2\"");
    expect_mtree_error(no_as, "no flat view");

    g_autofree char *bad_hex =
        replace_in_memory_view(text, "0000000100000000-", "00000001000z0000-");
    expect_mtree_error(bad_hex, "line 115");

    g_autofree char *reversed =
        replace_in_memory_view(text, "0000000000100000-00000000bfffffff",
                               "00000000bfffffff-0000000000100000");
    expect_mtree_error(reversed, "not a memory range");

    g_autofree char *bad_offset = replace_in_memory_view(text, "@00000000c0000000", "@c0000000zz");
    expect_mtree_error(bad_offset, "not a memory range");

    g_autofree char *long_name =
        replace_in_memory_view(text, "(prio 0, ram): pc.ram @00000000c0000000",
                               "(prio 0, ram): a-memory-region-name-that-is-far-"
                               "too-long-to-fit-in-sixty-four-bytes @0");
    expect_mtree_error(long_name, "longer than 63");

    g_autofree char *overlap =
        replace_in_memory_view(text, "0000000100000000-000000017fffffff",
                               "00000000bffff000-000000017fffffff");
    expect_mtree_error(overlap, "overlap");

    g_autofree char *no_ram =
        replace_in_memory_view(text, "(prio 0, ram): pc.ram\r", "(prio 0, rom): pc.ram\r");
    g_autofree char *no_ram2 =
        replace_in_memory_view(no_ram, "(prio 0, ram): pc.ram @0000000000100000",
                               "(prio 0, i/o): pc.ram @0000000000100000");
    g_autofree char *no_ram3 =
        replace_in_memory_view(no_ram2, "(prio 0, ram): pc.ram @00000000c0000000",
                               "(prio 0, romd): pc.ram @00000000c0000000");
    expect_mtree_error(no_ram3, "no RAM");

    expect_mtree_error("", "no flat view");

    /* a huge @offset: offset + size wraps around 2^64 (it would place the
     * range's host pointer before the mapping) */
    g_autofree char *wrap_offset =
        replace_in_memory_view(text, "@00000000c0000000", "@ffffffffc0000000");
    expect_mtree_error(wrap_offset, "wraps around 2^64");
    /* RAM at the very top: its end, the memory size, would be 0 */
    g_autofree char *top =
        replace_in_memory_view(text, "0000000100000000-000000017fffffff",
                               "ffffffff80000000-ffffffffffffffff");
    expect_mtree_error(top, "wraps around 2^64");
}

/* The RAM-file check of every range: offset + size <= the file's size, also
 * where the sum would wrap (kvm.c points a range into the mapping only when
 * this holds). */
static void test_range_fits(void)
{
    const uint64_t file = 0x140000000ull;  /* 5 GiB */
    qmp_ram_range_t r = { .gpa = 0x100000000ull, .size = 0x80000000ull, .offset = 0xc0000000ull };
    g_assert_true(qmp_range_fits(&r, file));
    r.offset = 0xc0000001ull;       /* one byte past the end */
    g_assert_false(qmp_range_fits(&r, file));
    r.offset = UINT64_MAX - 0x7fffffffull + 1;   /* offset + size == 2^64: wraps to 0 */
    g_assert_false(qmp_range_fits(&r, file));
    r.offset = UINT64_MAX;          /* wraps to size - 1, below the file size */
    g_assert_false(qmp_range_fits(&r, file));
    r.offset = 0;
    r.size = file + 1;
    g_assert_false(qmp_range_fits(&r, file));
    r.size = file;
    g_assert_true(qmp_range_fits(&r, file));
    g_assert_false(qmp_range_fits(&r, 0));
}

/* Ranges come out sorted whatever the order of the lines. */
static void test_mtree_sorted(void)
{
    const char *text =
        "FlatView #0\n"
        " AS \"cpu-memory-0\", root: system\n"
        " AS \"memory\", root: system\n"
        " Root memory region: system\n"
        "  0000000100000000-000000017fffffff (prio 0, ram): pc.ram @00000000c0000000\n"
        "  00000000fffc0000-00000000ffffffff (prio 0, rom): pc.bios\n"
        "  0000000000000000-000000000009ffff (prio 0, ram): pc.ram\n"
        "\n"
        "FlatView #1\n"
        " AS \"I/O\", root: io\n"
        " Root memory region: io\n"
        "  0000000000000000-0000000000000007 (prio 0, ram): not-this-one\n";
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) a = qmp_parse_mtree(text, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(a->len, ==, 2);
    assert_range(a, 0, 0x0, 0xa0000, "pc.ram", 0);
    assert_range(a, 1, 0x100000000, 0x80000000, "pc.ram", 0xc0000000);
}

/* Cut and damaged copies of the real output: a clean answer either way. */
static void test_mtree_mutations(void)
{
    g_autofree char *text = load("mtree-512m-memory-backend.txt");
    gsize len = strlen(text);
    GRand *rand = g_rand_new_with_seed(42);
    for (int i = 0; i < 2000; i++) {
        g_autofree char *m = g_strdup(text);
        if (i % 2)
            m[g_rand_int_range(rand, 0, (gint32)len)] = '\0';
        for (int k = 0; k < 3; k++)
            m[g_rand_int_range(rand, 0, (gint32)len)] = (char)g_rand_int_range(rand, 1, 256);
        g_autoptr(GError) error = NULL;
        g_autoptr(GArray) a = qmp_parse_mtree(m, &error);
        g_assert_true((a == NULL) != (error == NULL));
    }
    g_rand_free(rand);
}

/* ------------------------------------------------------------ registers */

static void test_registers_amd64(void)
{
    g_autofree char *text = load("registers-amd64.txt");
    g_autoptr(GError) error = NULL;
    qmp_regs_t r;
    memset(&r, 0xa5, sizeof(r));
    g_assert_true(qmp_parse_registers(text, &r, &error));
    g_assert_no_error(error);
    g_assert_true(r.long_mode);
    g_assert_cmphex(r.rax, ==, 0x1ad40);
    g_assert_cmphex(r.rbx, ==, 0);
    g_assert_cmphex(r.rcx, ==, 0x20);
    g_assert_cmphex(r.rdx, ==, 0x4000000000000000);
    g_assert_cmphex(r.rsi, ==, 0x83);
    g_assert_cmphex(r.rdi, ==, 0x1374);
    g_assert_cmphex(r.rbp, ==, 0xffffffff9e41aa40);
    g_assert_cmphex(r.rsp, ==, 0xffffffff9e403e98);
    g_assert_cmphex(r.r8, ==, 0xffff8a6c1f423000);
    g_assert_cmphex(r.r9, ==, 0x3457f0c2);
    g_assert_cmphex(r.r10, ==, 0xfffffffb);
    g_assert_cmphex(r.r11, ==, 0);
    g_assert_cmphex(r.r15, ==, 0x14790);
    g_assert_cmphex(r.rip, ==, 0xffffffff9d4592eb);
    g_assert_cmphex(r.rflags, ==, 0x246);
    g_assert_cmphex(r.cr0, ==, 0x80050033);
    g_assert_cmphex(r.cr2, ==, 0x5d2d000);
    g_assert_cmphex(r.cr3, ==, 0x1062000);
    g_assert_cmphex(r.cr4, ==, 0x6f0);
    g_assert_cmphex(r.efer, ==, 0xd01);
    g_assert_cmphex(r.dr[0], ==, 0);
    g_assert_cmphex(r.dr[6], ==, 0xffff0ff0);
    g_assert_cmphex(r.dr[7], ==, 0x400);
    /* es cs ss ds fs gs ldt tr */
    g_assert_cmphex(r.seg[1].selector, ==, 0x10);
    g_assert_cmphex(r.seg[1].base, ==, 0);
    g_assert_cmphex(r.seg[1].limit, ==, 0xffffffff);
    g_assert_cmphex(r.seg[1].flags, ==, 0x00af9b00);
    g_assert_cmphex(r.seg[2].selector, ==, 0x18);
    g_assert_cmphex(r.seg[2].flags, ==, 0x00cf9300);
    g_assert_cmphex(r.seg[5].base, ==, 0xffff8a6c1f400000);
    g_assert_cmphex(r.seg[6].flags, ==, 0x8200);
    g_assert_cmphex(r.seg[7].selector, ==, 0x40);
    g_assert_cmphex(r.seg[7].base, ==, 0xfffffe0000003000);
    g_assert_cmphex(r.seg[7].limit, ==, 0x4087);
    g_assert_cmphex(r.seg[7].flags, ==, 0x8900);
    g_assert_cmphex(r.gdt_base, ==, 0xfffffe0000001000);
    g_assert_cmphex(r.gdt_limit, ==, 0x7f);
    g_assert_cmphex(r.idt_base, ==, 0xfffffe0000000000);
    g_assert_cmphex(r.idt_limit, ==, 0xfff);
}

static void test_registers_i386(void)
{
    g_autofree char *text = load("registers-i386.txt");
    g_autoptr(GError) error = NULL;
    qmp_regs_t r;
    memset(&r, 0xa5, sizeof(r));
    g_assert_true(qmp_parse_registers(text, &r, &error));
    g_assert_no_error(error);
    g_assert_false(r.long_mode);
    g_assert_cmphex(r.rax, ==, 0xdd917b70);
    g_assert_cmphex(r.rbx, ==, 0xddc444c0);
    g_assert_cmphex(r.rcx, ==, 0xddc444c0);
    g_assert_cmphex(r.rdx, ==, 0xdf9ccdc0);
    g_assert_cmphex(r.rsi, ==, 0);
    g_assert_cmphex(r.rbp, ==, 0xddc3bf28);
    g_assert_cmphex(r.rsp, ==, 0xddc3bf28);
    g_assert_cmphex(r.r8, ==, 0);
    g_assert_cmphex(r.r15, ==, 0);
    g_assert_cmphex(r.rip, ==, 0xdd917b83);
    g_assert_cmphex(r.rflags, ==, 0x00200202);
    g_assert_cmphex(r.cr0, ==, 0x80050033);
    g_assert_cmphex(r.cr2, ==, 0x08949004);
    g_assert_cmphex(r.cr3, ==, 0x01017000);
    g_assert_cmphex(r.cr4, ==, 0x690);
    g_assert_cmphex(r.efer, ==, 0);
    g_assert_cmphex(r.dr[7], ==, 0x400);
    g_assert_cmphex(r.seg[0].selector, ==, 0x7b);
    g_assert_cmphex(r.seg[0].flags, ==, 0x00cff300);
    g_assert_cmphex(r.seg[1].selector, ==, 0x60);
    g_assert_cmphex(r.seg[1].limit, ==, 0xffffffff);
    g_assert_cmphex(r.seg[1].flags, ==, 0x00cf9a00);
    g_assert_cmphex(r.seg[4].selector, ==, 0xd8);
    g_assert_cmphex(r.seg[4].base, ==, 0x01b67000);
    g_assert_cmphex(r.seg[7].selector, ==, 0x80);
    g_assert_cmphex(r.seg[7].base, ==, 0xff406000);
    g_assert_cmphex(r.seg[7].limit, ==, 0x407b);
    g_assert_cmphex(r.gdt_base, ==, 0xff401000);
    g_assert_cmphex(r.gdt_limit, ==, 0xff);
    g_assert_cmphex(r.idt_base, ==, 0xff400000);
    g_assert_cmphex(r.idt_limit, ==, 0x7ff);
}

static void test_registers_smp2(void)
{
    g_autofree char *text = load("registers-smp2.txt");
    g_autoptr(GPtrArray) cpus = qmp_split_cpus(text);
    g_assert_cmpuint(cpus->len, ==, 2);
    g_assert_true(g_str_has_prefix(cpus->pdata[0], "CPU#0\r\n"));
    g_assert_true(g_str_has_prefix(cpus->pdata[1], "CPU#1\r\n"));

    g_autoptr(GError) error = NULL;
    qmp_regs_t r0, r1;
    g_assert_true(qmp_parse_registers(cpus->pdata[0], &r0, &error));
    g_assert_true(qmp_parse_registers(cpus->pdata[1], &r1, &error));
    g_assert_no_error(error);
    g_assert_cmphex(r0.rip, ==, 0xffffffffa60592eb);
    g_assert_cmphex(r1.rip, ==, 0xffffffffa60592eb);
    g_assert_cmphex(r0.cr3, ==, 0x19202000);
    g_assert_cmphex(r1.cr3, ==, 0x24ce000);
    g_assert_cmphex(r0.cr4, ==, 0x6f0);
    g_assert_cmphex(r1.cr4, ==, 0x6e0);
    g_assert_cmphex(r0.rdi, ==, 0x47ac);
    g_assert_cmphex(r1.rdi, ==, 0xc304);
    g_assert_cmphex(r1.rsp, ==, 0xffffd2e4c009bed8);
    g_assert_cmphex(r0.seg[5].base, ==, 0xffff8ce6df400000);
    g_assert_cmphex(r1.seg[5].base, ==, 0xffff8ce6df500000);
    g_assert_cmphex(r1.seg[7].base, ==, 0xfffffe000003e000);
    g_assert_cmphex(r1.gdt_base, ==, 0xfffffe000003c000);

    /* the whole -a output is two CPUs, not one */
    qmp_regs_t all;
    g_assert_false(qmp_parse_registers(text, &all, &error));
    g_assert_error(error, QMP_ERROR, QMP_ERROR_PROTOCOL);
}

static void test_split_cpus_edges(void)
{
    g_autoptr(GPtrArray) none = qmp_split_cpus("");
    g_assert_cmpuint(none->len, ==, 0);
    g_autoptr(GPtrArray) one = qmp_split_cpus("RAX=0000000000000001\n");
    g_assert_cmpuint(one->len, ==, 1);
    g_assert_cmpstr(one->pdata[0], ==, "RAX=0000000000000001\n");
    /* "CPU#" only counts at the start of a line */
    g_autoptr(GPtrArray) two = qmp_split_cpus("CPU#0\nX CPU#1\nCPU#2");
    g_assert_cmpuint(two->len, ==, 2);
    g_assert_cmpstr(two->pdata[0], ==, "CPU#0\nX CPU#1\n");
    g_assert_cmpstr(two->pdata[1], ==, "CPU#2");
}

static void expect_registers_error(const char *text, const char *in_message)
{
    g_autoptr(GError) error = NULL;
    qmp_regs_t r;
    g_assert_false(qmp_parse_registers(text, &r, &error));
    g_assert_error(error, QMP_ERROR, QMP_ERROR_PROTOCOL);
    if (!strstr(error->message, in_message))
        g_error("'%s' not in '%s'", in_message, error->message);
}

static void test_registers_bad(void)
{
    g_autofree char *text = load("registers-amd64.txt");
    g_autofree char *no_rip = replace(text, "RIP=", "XIP=");
    expect_registers_error(no_rip, "no RIP");
    g_autofree char *no_cr3 = replace(text, "CR3=", "CRX=");
    expect_registers_error(no_cr3, "no CR3");
    g_autofree char *bad_rax = replace(text, "RAX=000000000001ad40", "RAX=00000000zz01ad40");
    expect_registers_error(bad_rax, "line 3");
    g_autofree char *long_rax = replace(text, "RAX=000000000001ad40", "RAX=0000000000001ad400");
    expect_registers_error(long_rax, "RAX");
    g_autofree char *short_seg = replace(text, "CS =0010 0000000000000000 ffffffff 00af9b00",
                                         "CS =0010 0000000000000000 ffffffff");
    expect_registers_error(short_seg, "CS");
    g_autofree char *mixed = replace(text, "RBX=", "EBX=");
    expect_registers_error(mixed, "mixes");
    expect_registers_error("", "no RIP");
}

static void test_registers_mutations(void)
{
    g_autofree char *text = load("registers-smp2.txt");
    gsize len = strlen(text);
    GRand *rand = g_rand_new_with_seed(7);
    for (int i = 0; i < 2000; i++) {
        g_autofree char *m = g_strdup(text);
        if (i % 2)
            m[g_rand_int_range(rand, 0, (gint32)len)] = '\0';
        for (int k = 0; k < 3; k++)
            m[g_rand_int_range(rand, 0, (gint32)len)] = (char)g_rand_int_range(rand, 1, 256);
        g_autoptr(GPtrArray) cpus = qmp_split_cpus(m);
        for (guint c = 0; c < cpus->len; c++) {
            g_autoptr(GError) error = NULL;
            qmp_regs_t r;
            bool ok = qmp_parse_registers(cpus->pdata[c], &r, &error);
            g_assert_true(ok == (error == NULL));
        }
    }
    g_rand_free(rand);
}

/* ------------------------------------------------------------ gpa2hva */

static void test_gpa2hva(void)
{
    g_autofree char *text = load("gpa2hva.txt");
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    g_assert_cmpuint(g_strv_length(lines), ==, 7); /* six replies and the empty tail */
    static const guint64 want[] = {
        0x7fa290000000, 0x7fa2900ff000, 0x7fa2afffefff, 0x7fa2900c2000,
    };
    for (guint i = 0; i < G_N_ELEMENTS(want); i++) {
        g_autoptr(GError) error = NULL;
        guint64 hva = 0;
        g_assert_true(qmp_parse_gpa2hva(lines[i], &hva, &error));
        g_assert_no_error(error);
        g_assert_cmphex(hva, ==, want[i]);
    }
    for (guint i = 4; i < 6; i++) {
        g_autoptr(GError) error = NULL;
        guint64 hva = 0;
        g_assert_false(qmp_parse_gpa2hva(lines[i], &hva, &error));
        g_assert_error(error, QMP_ERROR, QMP_ERROR_COMMAND);
        g_assert_cmphex(hva, ==, 0);
    }
    static const char *const bad[] = {
        "", "unknown command: 'gpa2hva'", "Host virtual address for 0x1000 (ram0) is ",
        "Host virtual address for 0x1000 (ram0) is 0x",
        "Host virtual address for 0x1000 (ram0) is 0x12345678901234567",
        "Host virtual address for 0x1000 (ram0) is 0x7fzz",
        "Host virtual address for 0x1000 (ram0) was 0x7f00",
    };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        guint64 hva = 0;
        g_assert_false(qmp_parse_gpa2hva(bad[i], &hva, &error));
        g_assert_error(error, QMP_ERROR, QMP_ERROR_PROTOCOL);
    }
}

#ifdef ENABLE_LIBVIRT
/* The /proc fallback's test of a process: a QEMU executable with the
 * domain's -uuid and -name, not any process with `-uuid X` in its
 * arguments. */
static void test_is_qemu_of(void)
{
    const char *uuid = "9a7b1c3e-0000-4000-8000-123456789abc";
#define CMD(lit) lit, sizeof(lit) - 1
    /* libvirt's command line */
    g_assert_true(kvm_libvirt_is_qemu_of("/usr/bin/qemu-system-x86_64",
        CMD("/usr/bin/qemu-system-x86_64\0-name\0guest=web1,debug-threads=on\0-uuid\0"
            "9A7B1C3E-0000-4000-8000-123456789ABC\0-m\0512\0"), uuid, "web1"));
    g_assert_true(kvm_libvirt_is_qemu_of("/usr/libexec/qemu-kvm (deleted)",
        CMD("qemu-kvm\0-name\0we,,b1\0-uuid\09a7b1c3e-0000-4000-8000-123456789abc\0"), uuid,
        "we,b1"));
    /* not a QEMU: a script that names the UUID */
    g_assert_false(kvm_libvirt_is_qemu_of("/usr/bin/python3",
        CMD("python3\0-name\0guest=web1\0-uuid\09a7b1c3e-0000-4000-8000-123456789abc\0"), uuid,
        "web1"));
    g_assert_false(kvm_libvirt_is_qemu_of("/tmp/qemu-system-x86_64-not/sleep",
        CMD("sleep\0-name\0guest=web1\0-uuid\09a7b1c3e-0000-4000-8000-123456789abc\0"), uuid,
        "web1"));
    /* a QEMU of another domain, or without -name */
    g_assert_false(kvm_libvirt_is_qemu_of("/usr/bin/qemu-system-x86_64",
        CMD("q\0-name\0guest=web2\0-uuid\09a7b1c3e-0000-4000-8000-123456789abc\0"), uuid,
        "web1"));
    g_assert_false(kvm_libvirt_is_qemu_of("/usr/bin/qemu-system-x86_64",
        CMD("q\0-uuid\09a7b1c3e-0000-4000-8000-123456789abc\0"), uuid, "web1"));
    /* -uuid as the last word, or the value cut */
    g_assert_false(kvm_libvirt_is_qemu_of("/usr/bin/qemu-system-x86_64",
        CMD("q\0-name\0guest=web1\0-uuid\0"), uuid, "web1"));
    g_assert_false(kvm_libvirt_is_qemu_of("/usr/bin/qemu-system-x86_64",
        "q\0-name\0guest=web1\0-uuid\09a7b", 28, uuid, "web1"));
    /* the executable cannot be read: cannot tell, so no */
    g_assert_false(kvm_libvirt_is_qemu_of(NULL,
        CMD("q\0-name\0guest=web1\0-uuid\09a7b1c3e-0000-4000-8000-123456789abc\0"), uuid,
        "web1"));
#undef CMD
}

/* The gdbstub of a libvirt domain, from the -gdb argument of its
 * <qemu:commandline> (as virt-vmi enable writes it, or by hand). */
static void test_gdb_from_xml(void)
{
    static const struct {
        const char *xml, *want;
    } cases[] = {
        /* as virt-vmi enable --mode gdbstub writes it */
        { "<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>"
          "<name>a</name><devices/><qemu:commandline><qemu:arg value='-gdb'/>"
          "<qemu:arg value='unix:/var/lib/libvirt/qemu/libvmi/x.gdb.sock,server=on,wait=off'/>"
          "</qemu:commandline></domain>",
          "/var/lib/libvirt/qemu/libvmi/x.gdb.sock" },
        /* another prefix for the same namespace; other args around */
        { "<?xml version='1.0'?><domain xmlns:q='http://libvirt.org/schemas/domain/qemu/1.0'>"
          "<q:commandline><q:arg value='-d'/><q:arg value='int'/><q:arg value='-gdb'/>"
          "<q:arg value='tcp::4321'/></q:commandline></domain>",
          "tcp:127.0.0.1:4321" },
        { "<domain xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'><qemu:commandline>"
          "<qemu:arg value='-s'/></qemu:commandline></domain>",
          "tcp:127.0.0.1:1234" },
        { "<domain xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'><qemu:commandline>"
          "<qemu:arg value='-gdb'/><qemu:arg value='tcp:10.0.0.1:99,server=on'/>"
          "</qemu:commandline></domain>",
          "tcp:10.0.0.1:99" },
        /* not a socket: not used */
        { "<domain xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'><qemu:commandline>"
          "<qemu:arg value='-gdb'/><qemu:arg value='stdio'/></qemu:commandline></domain>", NULL },
        /* -gdb as the last argument; the prefix bound to another namespace */
        { "<domain xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'><qemu:commandline>"
          "<qemu:arg value='-gdb'/></qemu:commandline></domain>", NULL },
        { "<domain xmlns:qemu='urn:other'><qemu:commandline><qemu:arg value='-s'/>"
          "</qemu:commandline></domain>", NULL },
        /* a commandline elsewhere than under <domain> */
        { "<domain xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'><metadata>"
          "<qemu:commandline><qemu:arg value='-s'/></qemu:commandline></metadata></domain>", NULL },
        { "<domain><name>plain</name></domain>", NULL },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) err = NULL;
        g_autofree char *got = kvm_libvirt_gdb_from_xml(cases[i].xml, &err);
        g_assert_no_error(err);
        g_assert_cmpstr(got, ==, cases[i].want);
    }
    /* not XML at all: an error, not a crash */
    static const char *bad[] = { "", "<domain>", "<domain><qemu:commandline></domain>", "\x01\xff" };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) err = NULL;
        g_autofree char *got = kvm_libvirt_gdb_from_xml(bad[i], &err);
        g_assert_null(got);
        g_assert_nonnull(err);
        g_assert_nonnull(strstr(err->message, "not well-formed"));
    }
}
#endif

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    alarm(300);     /* a hang guard for the whole run, not a timing assert */
    g_test_add_func("/qmp/client/replay-session", test_replay_session);
#ifdef ENABLE_LIBVIRT
    g_test_add_func("/libvirt/gdb-from-xml", test_gdb_from_xml);
    g_test_add_func("/libvirt/is-qemu-of", test_is_qemu_of);
#endif
    g_test_add_func("/qmp/client/arguments", test_arguments_object_not_consumed);
    g_test_add_func("/qmp/client/events-before-reply", test_events_before_reply);
    g_test_add_func("/qmp/client/garbage-line", test_garbage_line);
    g_test_add_func("/qmp/client/deep-json", test_deep_json);
    g_test_add_func("/qmp/json-depth", test_json_depth);
    g_test_add_func("/qmp/json-values", test_json_values);
    g_test_add_func("/qmp/client/two-values", test_two_values);
    g_test_add_func("/qmp/client/relayed-two-values", test_relayed_two_values);
    g_test_add_func("/qmp/client/non-object", test_non_object);
    g_test_add_func("/qmp/client/non-object-scalar", test_non_object_scalar);
    g_test_add_func("/qmp/client/neither-reply-nor-event", test_neither_reply_nor_event);
    g_test_add_func("/qmp/client/wrong-id", test_wrong_id);
    g_test_add_func("/qmp/client/close-mid-line", test_close_mid_line);
    g_test_add_func("/qmp/client/close-before-reply", test_close_before_reply);
    g_test_add_func("/qmp/client/stall", test_stall);
    g_test_add_func("/qmp/client/trickle", test_trickle);
    g_test_add_func("/qmp/client/no-greeting", test_no_greeting);
    g_test_add_func("/qmp/client/not-a-qmp-greeting", test_not_a_qmp_greeting);
    g_test_add_func("/qmp/client/capabilities-refused", test_capabilities_refused);
    g_test_add_func("/qmp/client/no-socket", test_no_socket);
    g_test_add_func("/qmp/client/huge-line", test_huge_line);
    g_test_add_func("/qmp/client/long-line", test_long_line);
    g_test_add_func("/qmp/client/hmp-not-a-string", test_hmp_not_a_string);
    g_test_add_func("/qmp/mtree/512m-memory-backend", test_mtree_512m);
    g_test_add_func("/qmp/mtree/5g", test_mtree_5g);
    g_test_add_func("/qmp/mtree/range-fits", test_range_fits);
    g_test_add_func("/qmp/mtree/bad", test_mtree_bad);
    g_test_add_func("/qmp/mtree/sorted", test_mtree_sorted);
    g_test_add_func("/qmp/mtree/mutations", test_mtree_mutations);
    g_test_add_func("/qmp/registers/amd64", test_registers_amd64);
    g_test_add_func("/qmp/registers/i386", test_registers_i386);
    g_test_add_func("/qmp/registers/smp2", test_registers_smp2);
    g_test_add_func("/qmp/registers/split-edges", test_split_cpus_edges);
    g_test_add_func("/qmp/registers/bad", test_registers_bad);
    g_test_add_func("/qmp/registers/mutations", test_registers_mutations);
    g_test_add_func("/qmp/gpa2hva", test_gpa2hva);
    return g_test_run();
}
