/*
 * qmp.c - QMP client and HMP text parsers; see qmp.h.
 *
 * The transport is line based: QEMU writes one JSON object per line
 * (terminated by "\r\n") and accepts one per line.  Each call gets a
 * deadline from the connect-time timeout; every wait is a poll() bounded by
 * what is left of it.  After a timeout, an I/O error or a protocol error the
 * stream can no longer be trusted to be in step (a late reply would be taken
 * for the answer to the next command), so the client refuses further use.
 *
 * A relayed client (qmp_new_relayed) has no stream: each command is handed
 * to the relay, which pairs the reply with it; only the reply's meaning
 * (return or error) is read here, the same way for both.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* struct ucred; the autotools build gets it from build-config.h */
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

#include "qmp.h"
#include "json_scan.h"

/* Longest QMP line accepted.  The longest replies libvmi asks for are HMP
 * texts (`info mtree -f` with many devices, `info registers -a` on a big
 * SMP guest): a few MiB at most.  A line without end past this is a broken
 * or hostile peer, not output. */
#define QMP_MAX_LINE (64u * 1024 * 1024)
/* Nobody may be reading events; keep the newest ones and bound memory. */
#define QMP_MAX_EVENTS 1024
/* Bytes per recv(): most messages fit; long HMP texts take a few more
 * calls.  @in grows only by what arrived. */
#define QMP_READ_CHUNK 16384

struct qmp {
    int fd;
    int timeout_ms;
    int pid;
    GString *in;            /* received bytes not yet consumed */
    size_t scanned;         /* prefix of @in known to hold no '\n' */
    GQueue events;          /* JsonObject*, oldest first */
    gint64 next_id;
    char *broken;           /* why the connection is unusable, or NULL */
    int broken_code;        /* QMP_ERROR_GONE when QEMU closed it, else QMP_ERROR_IO */
    qmp_relay_func relay;   /* non-NULL: commands go through it, not @fd */
    void *relay_data;
    GDestroyNotify relay_destroy;
};

G_DEFINE_QUARK(qmp-error-quark, qmp_error)

/* ------------------------------------------------------------ transport */

static gint64 deadline_after(int timeout_ms)
{
    return g_get_monotonic_time() + (gint64)timeout_ms * 1000;
}

/* Milliseconds left until @deadline for poll(), rounded up so that a poll
 * never returns early only to find a zero budget. */
static int ms_left(gint64 deadline)
{
    gint64 us = deadline - g_get_monotonic_time();
    if (us <= 0)
        return 0;
    return (int)MIN((us + 999) / 1000, (gint64)G_MAXINT);
}

/* Records the first fatal error; later calls report it without touching the
 * socket. */
static void mark_broken(qmp_t *q, const GError *why)
{
    if (q->broken)
        return;
    q->broken = g_strdup(why->message);
    q->broken_code = why->domain == QMP_ERROR && why->code == QMP_ERROR_GONE ? QMP_ERROR_GONE
                                                                            : QMP_ERROR_IO;
}

static bool check_usable(qmp_t *q, GError **error)
{
    if (q->broken) {
        g_set_error(error, QMP_ERROR, q->broken_code,
                    "The QMP connection is unusable after an earlier error: %s", q->broken);
        return false;
    }
    return true;
}

/* Fails the call and the connection with one error. */
static bool fail(qmp_t *q, GError **error, int code, const char *fmt, ...) G_GNUC_PRINTF(4, 5);
static bool fail(qmp_t *q, GError **error, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_autoptr(GError) e = g_error_new_literal(QMP_ERROR, code, msg);
    mark_broken(q, e);
    g_propagate_error(error, g_steal_pointer(&e));
    return false;
}

/* Waits for @events on the socket until @deadline. */
static bool wait_fd(qmp_t *q, short events, gint64 deadline, const char *what, GError **error)
{
    for (;;) {
        struct pollfd pfd = { .fd = q->fd, .events = events };
        int n = poll(&pfd, 1, ms_left(deadline));
        if (n > 0)
            return true; /* errors and hangups show up in the read/send that follows */
        if (n == 0)
            return fail(q, error, QMP_ERROR_TIMEOUT,
                        "QEMU did not answer within %d ms (%s)", q->timeout_ms, what);
        if (errno != EINTR)
            return fail(q, error, QMP_ERROR_IO, "poll() on the QMP socket failed: %s",
                        g_strerror(errno));
    }
}

static bool send_all(qmp_t *q, const char *buf, size_t len, gint64 deadline, GError **error)
{
    while (len > 0) {
        ssize_t n = send(q->fd, buf, len, MSG_NOSIGNAL);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!wait_fd(q, POLLOUT, deadline, "sending a command", error))
                return false;
            continue;
        }
        return fail(q, error, QMP_ERROR_IO, "Sending to QEMU's QMP socket failed: %s",
                    n < 0 ? g_strerror(errno) : "nothing written");
    }
    return true;
}

/* Returns the next line without its "\n" (and "\r"), newly allocated. */
static char *read_line(qmp_t *q, gint64 deadline, const char *what, GError **error)
{
    for (;;) {
        char *nl = memchr(q->in->str + q->scanned, '\n', q->in->len - q->scanned);
        if (nl) {
            size_t len = (size_t)(nl - q->in->str);
            char *line = g_strndup(q->in->str, len);
            if (len > 0 && line[len - 1] == '\r')
                line[len - 1] = '\0';
            g_string_erase(q->in, 0, (gssize)(len + 1));
            q->scanned = 0;
            return line;
        }
        q->scanned = q->in->len;
        if (q->in->len > QMP_MAX_LINE) {
            fail(q, error, QMP_ERROR_PROTOCOL,
                 "QEMU sent a QMP line longer than %u bytes (%s)", QMP_MAX_LINE, what);
            return NULL;
        }

        if (!wait_fd(q, POLLIN, deadline, what, error))
            return NULL;
        size_t old = q->in->len;
        char chunk[QMP_READ_CHUNK];
        ssize_t n = recv(q->fd, chunk, sizeof(chunk), 0);
        if (n > 0) {
            g_string_append_len(q->in, chunk, n);
            continue;
        }
        if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
            continue;
        if (n == 0) {
            fail(q, error, QMP_ERROR_GONE, "QEMU closed the QMP connection%s (%s)",
                 old > 0 ? " in the middle of a message" : "", what);
            return NULL;
        }
        fail(q, error, QMP_ERROR_IO, "Reading from QEMU's QMP socket failed: %s (%s)",
             g_strerror(errno), what);
        return NULL;
    }
}

/* Reads the next message; an object, else a protocol error. */
static JsonObject *read_message(qmp_t *q, gint64 deadline, const char *what, GError **error)
{
    for (;;) {
        g_autofree char *line = read_line(q, deadline, what, error);
        if (!line)
            return NULL;
        /* A blank line carries nothing; QEMU never sends one, but it is
         * harmless and not worth a broken connection. */
        if (line[strspn(line, " \t")] == '\0')
            continue;

        vmi_json_scan_t scan;
        vmi_json_scan(line, strlen(line), QMP_MAX_JSON_DEPTH, &scan);
        if (scan.depth > QMP_MAX_JSON_DEPTH) {
            fail(q, error, QMP_ERROR_PROTOCOL, "QEMU sent a QMP message nested deeper than %d "
                 "levels: refused (%s)", QMP_MAX_JSON_DEPTH, what);
            return NULL;
        }
        if (scan.values > 1) {
            fail(q, error, QMP_ERROR_PROTOCOL, "QEMU sent a QMP line that is not JSON: it holds "
                 "more than one value (%s)", what);
            return NULL;
        }
        g_autoptr(JsonParser) parser = json_parser_new_immutable();
        g_autoptr(GError) perr = NULL;
        if (!json_parser_load_from_data(parser, line, -1, &perr)) {
            fail(q, error, QMP_ERROR_PROTOCOL, "QEMU sent a QMP line that is not JSON: %s (%s)",
                 perr->message, what);
            return NULL;
        }
        JsonNode *root = json_parser_get_root(parser);
        if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
            fail(q, error, QMP_ERROR_PROTOCOL,
                 "QEMU sent a QMP message that is not a JSON object (%s)", what);
            return NULL;
        }
        return json_object_ref(json_node_get_object(root));
    }
}

static void queue_event(qmp_t *q, JsonObject *ev)
{
    g_queue_push_tail(&q->events, json_object_ref(ev));
    while (q->events.length > QMP_MAX_EVENTS)
        json_object_unref(g_queue_pop_head(&q->events));
}

static bool id_matches(JsonObject *msg, gint64 id)
{
    JsonNode *n = json_object_get_member(msg, "id");
    return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64 &&
           json_node_get_int(n) == id;
}

static const char *member_string(JsonObject *o, const char *name)
{
    JsonNode *n = json_object_get_member(o, name);
    if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
        return NULL;
    return json_node_get_string(n);
}

/* @s as a JSON string literal. */
static void append_json_string(GString *out, const char *s)
{
    g_string_append_c(out, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            g_string_append_printf(out, "\\%c", c);
        else if (c < 0x20)
            g_string_append_printf(out, "\\u%04x", c);
        else
            g_string_append_c(out, (char)c);
    }
    g_string_append_c(out, '"');
}

/* One line: {"execute": ..., "arguments": ..., "id": ...}.  @id < 0: no
 * "id" member (a relay numbers the commands itself and refuses one that
 * already has an id).  Only the arguments go through json-glib's
 * generator, which is not cheap for the few bytes of a command. */
static char *build_request(const char *command, JsonObject *args, gint64 id)
{
    GString *out = g_string_new("{\"execute\": ");
    append_json_string(out, command);
    if (args) {
        JsonNode *n = json_node_alloc();
        json_node_init_object(n, args); /* takes its own reference: @args is not consumed */
        /* not pretty: the request must stay on one line */
        g_autofree char *text = json_to_string(n, FALSE);
        json_node_unref(n);
        g_string_append(out, ", \"arguments\": ");
        g_string_append(out, text);
    }
    if (id >= 0)
        g_string_append_printf(out, ", \"id\": %" G_GINT64_FORMAT, id);
    g_string_append(out, "}\n");
    return g_string_free(out, FALSE);
}

/* ------------------------------------------------------------ client */

static bool connect_socket(qmp_t *q, const char *path, gint64 deadline, GError **error)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof(sa.sun_path)) {
        g_set_error(error, QMP_ERROR, QMP_ERROR_IO,
                    "The QMP socket path '%s' is too long for a unix socket", path);
        return false;
    }
    strcpy(sa.sun_path, path);

    q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (q->fd < 0) {
        g_set_error(error, QMP_ERROR, QMP_ERROR_IO, "Cannot create a unix socket: %s",
                    g_strerror(errno));
        return false;
    }
    for (;;) {
        if (connect(q->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
            break;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN && ms_left(deadline) > 0) {
            /* A full listen backlog: unix sockets refuse instead of queueing,
             * and poll() cannot tell when there is room again. */
            g_usleep(10000);
            continue;
        }
        if (errno == EINPROGRESS) {
            int soerr = 0;
            socklen_t len = sizeof(soerr);
            if (!wait_fd(q, POLLOUT, deadline, "connecting", error))
                return false;
            if (getsockopt(q->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
                soerr = errno;
            if (soerr == 0)
                break;
            errno = soerr;
        }
        g_set_error(error, QMP_ERROR, errno == EAGAIN ? QMP_ERROR_TIMEOUT : QMP_ERROR_IO,
                    "Cannot connect to the QMP socket '%s': %s", path, g_strerror(errno));
        return false;
    }

    return true;
}

/* QEMU's pid, from the socket's peer credentials. */
static void learn_peer_pid(qmp_t *q)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);
    q->pid = getsockopt(q->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 ? cred.pid : -1;
}

static qmp_t *client_new(int timeout_ms)
{
    qmp_t *q = g_new0(qmp_t, 1);
    q->fd = -1;
    q->pid = -1;
    q->timeout_ms = timeout_ms;
    q->in = g_string_new(NULL);
    q->next_id = 1;
    g_queue_init(&q->events);
    return q;
}

/* Reads the greeting and negotiates capabilities on the connected @q;
 * frees @q on failure.  @peer names it in messages. */
static qmp_t *start_session(qmp_t *q, const char *peer, gint64 deadline, GError **error)
{
    /* QEMU serves one QMP client per socket at a time; a second one is
     * accepted by the kernel but gets no greeting until the first leaves,
     * which ends here as a timeout. */
    g_autoptr(JsonObject) greeting =
        read_message(q, deadline, "waiting for the QMP greeting", error);
    if (!greeting) {
        qmp_free(q);
        return NULL;
    }
    JsonNode *qmp = json_object_get_member(greeting, "QMP");
    if (!qmp || !JSON_NODE_HOLDS_OBJECT(qmp)) {
        g_set_error(error, QMP_ERROR, QMP_ERROR_PROTOCOL,
                    "The peer at '%s' did not greet like a QMP server", peer);
        qmp_free(q);
        return NULL;
    }

    g_autoptr(JsonNode) ret = qmp_execute(q, "qmp_capabilities", NULL, error);
    if (!ret) {
        qmp_free(q);
        return NULL;
    }
    return q;
}

qmp_t *qmp_connect(const char *socket_path, int timeout_ms, GError **error)
{
    g_return_val_if_fail(socket_path != NULL, NULL);
    g_return_val_if_fail(timeout_ms > 0, NULL);

    qmp_t *q = client_new(timeout_ms);
    gint64 deadline = deadline_after(timeout_ms);
    if (!connect_socket(q, socket_path, deadline, error)) {
        qmp_free(q);
        return NULL;
    }
    learn_peer_pid(q);
    return start_session(q, socket_path, deadline, error);
}

qmp_t *qmp_new_from_fd(int fd, const char *name, int timeout_ms, GError **error)
{
    g_return_val_if_fail(fd >= 0 && name != NULL, NULL);
    g_return_val_if_fail(timeout_ms > 0, NULL);

    qmp_t *q = client_new(timeout_ms);
    q->fd = fd;
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        g_set_error(error, QMP_ERROR, QMP_ERROR_IO, "Cannot use the QMP socket of '%s': %s",
                    name, g_strerror(errno));
        qmp_free(q);
        return NULL;
    }
    learn_peer_pid(q);
    return start_session(q, name, deadline_after(timeout_ms), error);
}

qmp_t *qmp_new_relayed(qmp_relay_func relay, void *data, GDestroyNotify destroy)
{
    g_return_val_if_fail(relay != NULL, NULL);

    qmp_t *q = g_new0(qmp_t, 1);
    q->fd = -1;
    q->pid = -1;
    q->in = g_string_new(NULL);
    g_queue_init(&q->events);
    q->relay = relay;
    q->relay_data = data;
    q->relay_destroy = destroy;
    return q;
}

void qmp_free(qmp_t *q)
{
    if (!q)
        return;
    if (q->relay_destroy)
        q->relay_destroy(q->relay_data);
    if (q->fd >= 0)
        close(q->fd);
    g_string_free(q->in, TRUE);
    g_queue_clear_full(&q->events, (GDestroyNotify)json_object_unref);
    g_free(q->broken);
    g_free(q);
}

/* The "return" member of reply @msg, or NULL with the "error" member as
 * @error. */
static JsonNode *reply_value(JsonObject *msg, const char *command, GError **error)
{
    JsonNode *err = json_object_get_member(msg, "error");
    if (err) {
        JsonObject *eo = JSON_NODE_HOLDS_OBJECT(err) ? json_node_get_object(err) : NULL;
        const char *desc = eo ? member_string(eo, "desc") : NULL;
        const char *cls = eo ? member_string(eo, "class") : NULL;
        g_set_error(error, QMP_ERROR, QMP_ERROR_COMMAND, "QMP command '%s' failed: %s (%s)",
                    command, desc ? desc : "no description", cls ? cls : "no class");
        return NULL;
    }
    return json_object_dup_member(msg, "return");
}

/* A command through the relay.  Nothing here can put later replies out of
 * step, so no failure makes the client unusable. */
static JsonNode *execute_relayed(qmp_t *q, const char *command, JsonObject *args, GError **error)
{
    g_autofree char *request = build_request(command, args, -1);
    g_autofree char *text = q->relay(q->relay_data, g_strchomp(request), error);
    if (!text)
        return NULL;
    vmi_json_scan_t scan;
    vmi_json_scan(text, strlen(text), QMP_MAX_JSON_DEPTH, &scan);
    if (scan.depth > QMP_MAX_JSON_DEPTH) {
        g_set_error(error, QMP_ERROR, QMP_ERROR_PROTOCOL, "The reply to QMP command '%s' is "
                    "nested deeper than %d levels: refused", command, QMP_MAX_JSON_DEPTH);
        return NULL;
    }
    if (scan.values > 1) {
        g_set_error(error, QMP_ERROR, QMP_ERROR_PROTOCOL, "The reply to QMP command '%s' is "
                    "not JSON: it holds more than one value", command);
        return NULL;
    }
    g_autoptr(JsonParser) parser = json_parser_new_immutable();
    g_autoptr(GError) perr = NULL;
    if (!json_parser_load_from_data(parser, text, -1, &perr)) {
        g_set_error(error, QMP_ERROR, QMP_ERROR_PROTOCOL,
                    "The reply to QMP command '%s' is not JSON: %s", command, perr->message);
        return NULL;
    }
    JsonNode *root = json_parser_get_root(parser);
    JsonObject *msg = root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
    if (!msg || (!json_object_has_member(msg, "return") && !json_object_has_member(msg, "error"))) {
        g_set_error(error, QMP_ERROR, QMP_ERROR_PROTOCOL,
                    "The reply to QMP command '%s' is neither a return nor an error", command);
        return NULL;
    }
    return reply_value(msg, command, error);
}

JsonNode *qmp_execute(qmp_t *q, const char *command, JsonObject *args, GError **error)
{
    g_return_val_if_fail(q != NULL && command != NULL, NULL);
    if (q->relay)
        return execute_relayed(q, command, args, error);
    if (!check_usable(q, error))
        return NULL;

    gint64 deadline = deadline_after(q->timeout_ms);
    gint64 id = q->next_id++;
    g_autofree char *request = build_request(command, args, id);
    g_autofree char *what = g_strdup_printf("waiting for the reply to '%s'", command);
    if (!send_all(q, request, strlen(request), deadline, error))
        return NULL;

    for (;;) {
        g_autoptr(JsonObject) msg = read_message(q, deadline, what, error);
        if (!msg)
            return NULL;
        if (json_object_has_member(msg, "event")) {
            queue_event(q, msg);
            continue;
        }
        bool has_return = json_object_has_member(msg, "return");
        JsonNode *err = json_object_get_member(msg, "error");
        if (!has_return && !err) {
            fail(q, error, QMP_ERROR_PROTOCOL,
                 "QEMU sent a QMP message that is neither a reply nor an event (%s)", what);
            return NULL;
        }
        if (!id_matches(msg, id)) {
            /* QEMU leaves out the id only when it could not read the request;
             * either way the replies are no longer in step with requests. */
            fail(q, error, QMP_ERROR_PROTOCOL, "QEMU sent a QMP reply for another request (%s)",
                 what);
            return NULL;
        }
        return reply_value(msg, command, error);
    }
}

char *qmp_hmp(qmp_t *q, const char *command_line, GError **error)
{
    g_autoptr(JsonObject) args = json_object_new();
    json_object_set_string_member(args, "command-line", command_line);
    g_autoptr(JsonNode) ret = qmp_execute(q, "human-monitor-command", args, error);
    if (!ret)
        return NULL;
    if (!JSON_NODE_HOLDS_VALUE(ret) || json_node_get_value_type(ret) != G_TYPE_STRING) {
        g_set_error(error, QMP_ERROR, QMP_ERROR_PROTOCOL,
                    "The reply to HMP command '%s' is not a string", command_line);
        return NULL;
    }
    return g_strdup(json_node_get_string(ret));
}

GList *qmp_take_events(qmp_t *q)
{
    GList *events = q->events.head;
    g_queue_init(&q->events);
    return events;
}

bool qmp_query_running(qmp_t *q, bool *running, GError **error)
{
    g_autoptr(JsonNode) ret = qmp_execute(q, "query-status", NULL, error);
    if (!ret)
        return false;
    const char *status = JSON_NODE_HOLDS_OBJECT(ret)
                             ? member_string(json_node_get_object(ret), "status") : NULL;
    if (!status) {
        g_set_error_literal(error, QMP_ERROR, QMP_ERROR_PROTOCOL,
                            "The reply to 'query-status' has no status");
        return false;
    }
    /* Only "running" executes guest code; "paused", "debug", "inmigrate",
     * "suspended" and the rest all leave memory still. */
    *running = strcmp(status, "running") == 0;
    return true;
}

bool qmp_stop(qmp_t *q, GError **error)
{
    g_autoptr(JsonNode) ret = qmp_execute(q, "stop", NULL, error);
    return ret != NULL;
}

bool qmp_cont(qmp_t *q, GError **error)
{
    g_autoptr(JsonNode) ret = qmp_execute(q, "cont", NULL, error);
    return ret != NULL;
}

int qmp_peer_pid(qmp_t *q)
{
    return q->pid;
}

/* ------------------------------------------------------------ HMP parsers */

/* Reads 1..16 hex digits at *@p that are not followed by a letter or digit
 * (a 17th digit, "0x", "12g" are malformed); advances *@p past them. */
static bool scan_hex(const char **p, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    int n = 0;
    while (n < 16 && g_ascii_isxdigit(s[n])) {
        v = v << 4 | (uint64_t)g_ascii_xdigit_value(s[n]);
        n++;
    }
    if (n == 0 || g_ascii_isalnum(s[n]))
        return false;
    *out = v;
    *p = s + n;
    return true;
}

static const char *skip_spaces(const char *p)
{
    while (*p == ' ')
        p++;
    return p;
}

/* The next space-separated hex field. */
static bool scan_hex_field(const char **p, uint64_t *out)
{
    *p = skip_spaces(*p);
    return scan_hex(p, out);
}

/* Splits @text into lines without their "\r\n", as g_strsplit would (no
 * line for ""), but in one block that g_free() releases: the NULL-ended
 * pointers, then a copy of the text cut at each '\n'.  (g_strsplit makes
 * a string per line, and its strstr per line rescans the rest of the text
 * under ASan: quadratic in the fuzz targets.) */
static char **split_lines(const char *text)
{
    size_t len = strlen(text), n = 0;
    for (const char *l = text; *text && l; n++) {
        l = memchr(l, '\n', len - (size_t)(l - text));
        if (l)
            l++;
    }
    char **lines = g_malloc((n + 1) * sizeof(char *) + len + 1);
    char *copy = memcpy((char *)(lines + n + 1), text, len + 1);
    for (size_t i = 0; i < n; i++) {
        lines[i] = copy;
        char *nl = strchr(copy, '\n');
        if (nl) {
            *nl = '\0';
            copy = nl + 1;
        }
        size_t l = strlen(lines[i]);
        if (l > 0 && lines[i][l - 1] == '\r')
            lines[i][l - 1] = '\0';
    }
    lines[n] = NULL;
    return lines;
}

static gint cmp_range(gconstpointer a, gconstpointer b)
{
    const qmp_ram_range_t *x = a, *y = b;
    return x->gpa < y->gpa ? -1 : x->gpa > y->gpa;
}

/* One range line of a flat view, as QEMU 7.2's mtree_print_flatview()
 * prints it:
 *   "  START-END (prio P, TYPE): NAME[ @OFFSET]"
 * START and END are inclusive; TYPE is "ram", "rom", "romd", "ramd", "i/o"
 * ("nv-" in front when non-volatile); OFFSET is the offset inside NAME. */
static bool parse_range_line(const char *line, unsigned lineno, qmp_ram_range_t *r, bool *is_ram,
                             GError **error)
{
    const char *p = line + 2;
    uint64_t start, end;
    if (!g_ascii_isxdigit(*p) || !scan_hex(&p, &start) || *p != '-')
        goto bad;
    p++;
    if (!scan_hex(&p, &end) || end < start || (start == 0 && end == UINT64_MAX))
        goto bad;
    if (!g_str_has_prefix(p, " (prio "))
        goto bad;
    const char *type = strchr(p, ',');
    const char *type_end = type ? strstr(type, "): ") : NULL;
    if (!type || type[1] != ' ' || !type_end)
        goto bad;
    type += 2;

    const char *name = type_end + 3;
    const char *name_end = name + strlen(name);
    uint64_t offset = 0;
    const char *at = g_strrstr(name, " @");
    if (at) {
        const char *q = at + 2;
        if (!scan_hex(&q, &offset) || *q != '\0')
            goto bad;
        name_end = at;
    }
    if (name_end == name)
        goto bad;
    if ((size_t)(name_end - name) >= sizeof(r->name)) {
        g_set_error(error, QMP_ERROR, QMP_ERROR_PROTOCOL,
                    "info mtree line %u: memory region name '%.*s' is longer than %zu bytes",
                    lineno, (int)(name_end - name), name, sizeof(r->name) - 1);
        return false;
    }

    memset(r, 0, sizeof(*r));
    r->gpa = start;
    r->size = end - start + 1;
    r->offset = offset;
    memcpy(r->name, name, (size_t)(name_end - name));
    *is_ram = (size_t)(type_end - type) == 3 && memcmp(type, "ram", 3) == 0;
    return true;

bad:
    g_set_error(error, QMP_ERROR, QMP_ERROR_PROTOCOL,
                "info mtree line %u is not a memory range: '%s'", lineno, line);
    return false;
}

GArray *qmp_parse_mtree(const char *text, GError **error)
{
    g_autofree char **lines = split_lines(text);
    g_autoptr(GArray) ranges = g_array_new(FALSE, FALSE, sizeof(qmp_ram_range_t));
    bool in_memory_view = false, found = false;

    for (unsigned i = 0; lines[i]; i++) {
        const char *l = lines[i];
        unsigned lineno = i + 1;
        if (g_str_has_prefix(l, "FlatView #")) {
            if (in_memory_view)
                break; /* the view of "memory" is complete */
            continue;
        }
        if (g_str_has_prefix(l, " AS \"")) {
            /* " AS "NAME", root: REGION" - a view lists every address space
             * that renders to it; "memory" is the system address space. */
            const char *name = l + 5;
            const char *close = strstr(name, "\", root: ");
            if (close && close - name == 6 && memcmp(name, "memory", 6) == 0) {
                if (found) {
                    g_set_error(error, QMP_ERROR, QMP_ERROR_PROTOCOL,
                                "info mtree line %u: address space \"memory\" appears twice",
                                lineno);
                    return NULL;
                }
                in_memory_view = found = true;
            }
            continue;
        }
        if (!in_memory_view || !g_str_has_prefix(l, "  ") || l[2] == ' ')
            continue;
        if (g_str_has_prefix(l, "  No rendered FlatView"))
            continue;

        qmp_ram_range_t r;
        bool is_ram;
        if (!parse_range_line(l, lineno, &r, &is_ram, error))
            return NULL;
        if (!is_ram)
            continue;
        /* Guest memory ends at a 64-bit number (the memory size), and the
         * range's bytes in its block, at offset .. offset + size, too. */
        if (r.gpa + (r.size - 1) == UINT64_MAX || r.offset > UINT64_MAX - r.size) {
            g_set_error(error, QMP_ERROR, QMP_ERROR_PROTOCOL,
                        "info mtree line %u: RAM range 0x%" G_GINT64_MODIFIER "x+0x%"
                        G_GINT64_MODIFIER "x @0x%" G_GINT64_MODIFIER "x wraps around 2^64",
                        lineno, r.gpa, r.size, r.offset);
            return NULL;
        }
        g_array_append_val(ranges, r);
    }

    if (!found) {
        g_set_error_literal(error, QMP_ERROR, QMP_ERROR_PROTOCOL,
                            "info mtree -f shows no flat view of address space \"memory\"");
        return NULL;
    }
    if (ranges->len == 0) {
        g_set_error_literal(error, QMP_ERROR, QMP_ERROR_PROTOCOL,
                            "The flat view of address space \"memory\" has no RAM");
        return NULL;
    }
    g_array_sort(ranges, cmp_range);
    for (guint i = 1; i < ranges->len; i++) {
        const qmp_ram_range_t *a = &g_array_index(ranges, qmp_ram_range_t, i - 1);
        const qmp_ram_range_t *b = &g_array_index(ranges, qmp_ram_range_t, i);
        if (b->gpa - a->gpa < a->size) {
            g_set_error(error, QMP_ERROR, QMP_ERROR_PROTOCOL,
                        "info mtree: RAM ranges at 0x%" G_GINT64_MODIFIER "x and 0x%"
                        G_GINT64_MODIFIER "x overlap", a->gpa, b->gpa);
            return NULL;
        }
    }
    return g_steal_pointer(&ranges);
}

size_t qmp_json_depth(const char *text, size_t len)
{
    vmi_json_scan_t scan;
    vmi_json_scan(text, len, QMP_MAX_JSON_DEPTH, &scan);
    return scan.depth;
}

bool qmp_range_fits(const qmp_ram_range_t *r, uint64_t file_size)
{
    return r->size <= file_size && r->offset <= file_size - r->size;
}

/* Register names of QEMU's x86_cpu_dump_state(); the 32-bit layout prints
 * E-names for the same slots. */
static uint64_t *gpr_slot(qmp_regs_t *r, const char *key, bool *is64)
{
    static const char *const names64[] = {
        "RAX", "RBX", "RCX", "RDX", "RSI", "RDI", "RBP", "RSP",
        "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15", "RIP", "RFL",
    };
    static const char *const names32[] = {
        "EAX", "EBX", "ECX", "EDX", "ESI", "EDI", "EBP", "ESP", "EIP", "EFL",
    };
    uint64_t *slots64[] = {
        &r->rax, &r->rbx, &r->rcx, &r->rdx, &r->rsi, &r->rdi, &r->rbp, &r->rsp,
        &r->r8, &r->r9, &r->r10, &r->r11, &r->r12, &r->r13, &r->r14, &r->r15, &r->rip, &r->rflags,
    };
    uint64_t *slots32[] = {
        &r->rax, &r->rbx, &r->rcx, &r->rdx, &r->rsi, &r->rdi, &r->rbp, &r->rsp, &r->rip, &r->rflags,
    };
    G_STATIC_ASSERT(G_N_ELEMENTS(names64) == G_N_ELEMENTS(slots64));
    G_STATIC_ASSERT(G_N_ELEMENTS(names32) == G_N_ELEMENTS(slots32));

    for (size_t i = 0; i < G_N_ELEMENTS(names64); i++)
        if (strcmp(key, names64[i]) == 0) {
            *is64 = true;
            return slots64[i];
        }
    for (size_t i = 0; i < G_N_ELEMENTS(names32); i++)
        if (strcmp(key, names32[i]) == 0) {
            *is64 = false;
            return slots32[i];
        }
    return NULL;
}

static uint64_t *other_slot(qmp_regs_t *r, const char *key)
{
    static const struct { const char *name; size_t off; } table[] = {
        { "CR0", G_STRUCT_OFFSET(qmp_regs_t, cr0) },
        { "CR2", G_STRUCT_OFFSET(qmp_regs_t, cr2) },
        { "CR3", G_STRUCT_OFFSET(qmp_regs_t, cr3) },
        { "CR4", G_STRUCT_OFFSET(qmp_regs_t, cr4) },
        { "EFER", G_STRUCT_OFFSET(qmp_regs_t, efer) },
        { "DR0", G_STRUCT_OFFSET(qmp_regs_t, dr[0]) },
        { "DR1", G_STRUCT_OFFSET(qmp_regs_t, dr[1]) },
        { "DR2", G_STRUCT_OFFSET(qmp_regs_t, dr[2]) },
        { "DR3", G_STRUCT_OFFSET(qmp_regs_t, dr[3]) },
        { "DR6", G_STRUCT_OFFSET(qmp_regs_t, dr[6]) },
        { "DR7", G_STRUCT_OFFSET(qmp_regs_t, dr[7]) },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(table); i++)
        if (strcmp(key, table[i].name) == 0)
            return G_STRUCT_MEMBER_P(r, table[i].off);
    return NULL;
}

static int segment_index(const char *key)
{
    static const char *const segs[] = { "ES", "CS", "SS", "DS", "FS", "GS", "LDT", "TR" };
    for (int i = 0; i < (int)G_N_ELEMENTS(segs); i++)
        if (strcmp(key, segs[i]) == 0)
            return i;
    return -1;
}

/* Reads "KEY=" or "KEY =" (QEMU pads short names); KEY is [A-Z0-9]{1,7}. */
static bool scan_key(const char **p, char key[8])
{
    const char *s = *p;
    size_t n = 0;
    while ((g_ascii_isupper(s[n]) || g_ascii_isdigit(s[n])) && n < 7) {
        key[n] = s[n];
        n++;
    }
    if (n == 0 || !g_ascii_isupper(s[0]))
        return false;
    key[n] = '\0';
    s = skip_spaces(s + n);
    if (*s != '=')
        return false;
    *p = s + 1;
    return true;
}

bool qmp_parse_registers(const char *text, qmp_regs_t *out, GError **error)
{
    g_autofree char **lines = split_lines(text);
    qmp_regs_t r = { 0 };
    bool seen64 = false, seen32 = false, seen_ip = false, seen_cr3 = false;
    unsigned cpus = 0;

    for (unsigned i = 0; lines[i]; i++) {
        const char *p = lines[i];
        unsigned lineno = i + 1;
        char key[8];

        if (g_str_has_prefix(p, "CPU#")) {
            if (++cpus > 1) {
                g_set_error(error, QMP_ERROR, QMP_ERROR_PROTOCOL,
                            "info registers line %u: a second CPU; split the output first",
                            lineno);
                return false;
            }
            continue;
        }
        const char *start = p;
        if (!scan_key(&p, key))
            continue;

        int seg = segment_index(key);
        if (seg >= 0) {
            /* "CS =0010 0000000000000000 ffffffff 00af9b00 DPL=0 CS64 [-RA]" */
            uint64_t sel, base, limit, flags;
            if (!scan_hex(&p, &sel) || !scan_hex_field(&p, &base) ||
                !scan_hex_field(&p, &limit) || !scan_hex_field(&p, &flags) || sel > 0xffff ||
                limit > UINT32_MAX || flags > UINT32_MAX)
                goto bad;
            r.seg[seg].selector = (uint32_t)sel;
            r.seg[seg].base = base;
            r.seg[seg].limit = (uint32_t)limit;
            r.seg[seg].flags = (uint32_t)flags;
            continue;
        }
        if (strcmp(key, "GDT") == 0 || strcmp(key, "IDT") == 0) {
            /* "GDT=     fffffe0000001000 0000007f" */
            uint64_t base, limit;
            if (!scan_hex_field(&p, &base) || !scan_hex_field(&p, &limit) || limit > UINT32_MAX)
                goto bad;
            if (key[0] == 'G') {
                r.gdt_base = base;
                r.gdt_limit = (uint32_t)limit;
            } else {
                r.idt_base = base;
                r.idt_limit = (uint32_t)limit;
            }
            continue;
        }

        /* A line of KEY=HEX pairs, with decimal flags ("CPL=0") and
         * bracketed decodings ("[---Z-P-]") between them on the RIP line. */
        for (p = start; *p; ) {
            const char *tok = p;
            if (!scan_key(&p, key)) {
                p = tok + strcspn(tok, " ");
                p = skip_spaces(p);
                continue;
            }
            bool is64;
            uint64_t *slot = gpr_slot(&r, key, &is64);
            if (!slot)
                slot = other_slot(&r, key);
            else if (is64)
                seen64 = true;
            else
                seen32 = true;
            if (slot) {
                if (!scan_hex(&p, slot))
                    goto bad;
                seen_ip |= strcmp(key, "RIP") == 0 || strcmp(key, "EIP") == 0;
                seen_cr3 |= strcmp(key, "CR3") == 0;
            }
            p = skip_spaces(p + strcspn(p, " "));
        }
        continue;

    bad:
        g_set_error(error, QMP_ERROR, QMP_ERROR_PROTOCOL,
                    "info registers line %u: cannot read %s in '%s'", lineno, key, start);
        return false;
    }

    if (seen64 && seen32) {
        g_set_error_literal(error, QMP_ERROR, QMP_ERROR_PROTOCOL,
                            "info registers mixes the 64-bit and the 32-bit layout");
        return false;
    }
    if (!seen_ip || !seen_cr3) {
        g_set_error(error, QMP_ERROR, QMP_ERROR_PROTOCOL,
                    "info registers output has no %s", !seen_ip ? "RIP/EIP" : "CR3");
        return false;
    }
    r.long_mode = seen64;
    *out = r;
    return true;
}

GPtrArray *qmp_split_cpus(const char *text)
{
    GPtrArray *blocks = g_ptr_array_new_with_free_func(g_free);
    const char *block = NULL;
    for (const char *l = text; *l; ) {
        const char *next = strchr(l, '\n');
        next = next ? next + 1 : l + strlen(l);
        if (g_str_has_prefix(l, "CPU#")) {
            if (block)
                g_ptr_array_add(blocks, g_strndup(block, (gsize)(l - block)));
            block = l;
        }
        l = next;
    }
    if (block)
        g_ptr_array_add(blocks, g_strdup(block));
    else if (*text)
        /* QEMU before 6.0 printed no "CPU#" header for a single CPU */
        g_ptr_array_add(blocks, g_strdup(text));
    return blocks;
}

bool qmp_parse_gpa2hva(const char *text, uint64_t *hva, GError **error)
{
    g_autofree char *t = g_strstrip(g_strdup(text));
    /* "Host virtual address for 0x1000 (ram0) is 0x7fa290000000" */
    const char *is = g_str_has_prefix(t, "Host virtual address for 0x") ? g_strrstr(t, ") is 0x")
                                                                          : NULL;
    if (!is) {
        /* "No memory is mapped at address 0x...", "Memory at address 0x...
         * is not RAM": QEMU answered, the address just has no host page. */
        bool refusal = g_str_has_prefix(t, "No memory is mapped") ||
                       g_str_has_prefix(t, "Memory at address");
        if (refusal)
            g_set_error(error, QMP_ERROR, QMP_ERROR_COMMAND, "gpa2hva: %s", t);
        else
            g_set_error(error, QMP_ERROR, QMP_ERROR_PROTOCOL, "Unexpected gpa2hva output: '%s'", t);
        return false;
    }
    const char *p = is + 7;
    uint64_t v;
    if (!scan_hex(&p, &v) || *p != '\0') {
        g_set_error(error, QMP_ERROR, QMP_ERROR_PROTOCOL, "Unexpected gpa2hva output: '%s'", t);
        return false;
    }
    *hva = v;
    return true;
}
