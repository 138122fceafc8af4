/*
 * flood-client.c - two callers of one domain of vmi-helperd, for
 * tests/dbus/test-daemon.sh (starvation, defect 9):
 *
 *   flood-client ADDRESS OBJECT_PATH PA N
 *
 * Connection A (the flooder) sends N ListProcesses calls, keeping
 * WINDOW of them unanswered all along (each reply, Busy included, sends
 * the next; WINDOW stays below the system bus's 128 pending replies per
 * connection).  Once A has WINDOW successful replies, connection B (a
 * second unique name) sends one ReadPhysical.  Prints, in calls (not
 * time): how many of A's calls had succeeded when B sent and when B's
 * reply came, how many of A's calls sent before B's were answered ok
 * after B sent and before B's reply (a_ok_ahead: those a FIFO queue would
 * serve first), how many of A's were refused Busy, and B's outcome:
 *
 *   a_ok_at_b_send=X a_ok_at_b_reply=Y a_ok_ahead=U a_ok=Z a_busy=W a_other=V b=ok|ERROR
 *   [a_other_error=THE FIRST OTHER ERROR]
 *
 * Exit 0 once every reply came, 1 on a setup error.
 *
 *   flood-client ADDRESS OBJECT_PATH PA N TERM_PID
 *
 * (defect 11) Four connections send N ListProcesses calls each at once
 * (N at most 32: none refused Busy), and once the first is answered send
 * SIGTERM to TERM_PID (the daemon): the others wait queued on the
 * domain's worker, or in the daemon's main loop, or on the way; then wait
 * for every reply and print how they ended (sent: 4 N):
 *
 *   term: sent=N ok=X stopping=Y other=Z [other_error=THE FIRST OTHER]
 *
 * stopping: org.libvmi.helper1.Error.Failed saying the helper stops;
 * other: anything else, e.g. org.freedesktop.DBus.Error.NoReply, a call
 * the daemon dropped when it left the bus.
 */
#include <signal.h>
#include <sys/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gio/gio.h>

#define DOMAIN_IFACE "org.libvmi.helper1.Domain"

static GDBusConnection *a, *b;
static const char *path;
static guint64 pa;
#define WINDOW 100

static guint n, a_sent, a_replies, a_ok, a_busy, a_other;
static guint a_ok_at_b_send, a_ok_at_b_reply;
static guint a_sent_at_b, a_ok_ahead;  /* A's calls sent before B's, answered ok before B's */
static gboolean b_sent, b_done;
static char *b_result, *a_other_error;
static GMainLoop *loop;

static void a_reply(GObject *src, GAsyncResult *res, gpointer data);
#define a_reply_cb a_reply

static void maybe_quit(void)
{
    if (a_replies == a_sent && a_sent == n && b_done)
        g_main_loop_quit(loop);
}

static void b_reply(GObject *src, GAsyncResult *res, gpointer data)
{
    GError *e = NULL;
    GVariant *r = g_dbus_connection_call_finish(G_DBUS_CONNECTION(src), res, &e);
    a_ok_at_b_reply = a_ok;
    b_result = r ? g_strdup("ok") : g_strdup_printf("%s", g_dbus_error_get_remote_error(e)
                                                         ? g_dbus_error_get_remote_error(e)
                                                         : e->message);
    if (r)
        g_variant_unref(r);
    g_clear_error(&e);
    b_done = TRUE;
    maybe_quit();
}

static void read_call(GDBusConnection *c, GAsyncReadyCallback cb, guint seq)
{
    g_dbus_connection_call(c, "org.libvmi.helper1", path, DOMAIN_IFACE, "ReadPhysical",
                           g_variant_new("(tu)", pa, 8u), G_VARIANT_TYPE("(ay)"),
                           G_DBUS_CALL_FLAGS_NONE, 120000, NULL, cb, GUINT_TO_POINTER(seq));
}

/* The flooder's calls walk the guest's task list: each costs the worker
 * more than the main loop's taking it, so the worker's queue, not the
 * socket, is where calls wait (what the order of service is about). */
static void flood_call(guint seq)
{
    g_dbus_connection_call(a, "org.libvmi.helper1", path, DOMAIN_IFACE, "ListProcesses", NULL,
                           NULL, G_DBUS_CALL_FLAGS_NONE, 120000, NULL, a_reply_cb,
                           GUINT_TO_POINTER(seq));
}

static void a_reply(GObject *src, GAsyncResult *res, gpointer data)
{
    GError *e = NULL;
    GVariant *r = g_dbus_connection_call_finish(G_DBUS_CONNECTION(src), res, &e);
    a_replies++;
    if (r) {
        a_ok++;
        if (b_sent && !b_done && GPOINTER_TO_UINT(data) < a_sent_at_b)
            a_ok_ahead++;
        g_variant_unref(r);
    } else {
        char *remote = g_dbus_error_get_remote_error(e);
        if (remote && strcmp(remote, "org.libvmi.helper1.Error.Busy") == 0)
            a_busy++;
        else if (a_other++ == 0)
            a_other_error = g_strdup(remote ? remote : e->message);
        g_free(remote);
        g_clear_error(&e);
    }
    if (a_sent < n) {
        flood_call(a_sent);
        a_sent++;
    }
    if (a_ok == WINDOW && !b_sent) {
        b_sent = TRUE;
        a_ok_at_b_send = a_ok;
        a_sent_at_b = a_sent;
        read_call(b, b_reply, 0);
    }
    maybe_quit();
}

static pid_t term_pid;
static guint t_ok, t_stopping, t_other, t_replies;
static char *t_other_error;

static void term_reply(GObject *src, GAsyncResult *res, gpointer data)
{
    GError *e = NULL;
    GVariant *r = g_dbus_connection_call_finish(G_DBUS_CONNECTION(src), res, &e);
    if (t_replies++ == 0)
        kill(term_pid, SIGTERM);
    if (r) {
        t_ok++;
        g_variant_unref(r);
    } else {
        char *remote = g_dbus_error_get_remote_error(e);
        if (remote && strcmp(remote, "org.libvmi.helper1.Error.Failed") == 0 &&
            strstr(e->message, "vmi-helperd is stopping"))
            t_stopping++;
        else if (t_other++ == 0)
            t_other_error = g_strdup_printf("%s: %s", remote ? remote : "local", e->message);
        g_free(remote);
        g_clear_error(&e);
    }
    if (t_replies == 4 * n)
        g_main_loop_quit(loop);
}

static GDBusConnection *connect_bus(const char *address)
{
    GError *e = NULL;
    GDBusConnection *c = g_dbus_connection_new_for_address_sync(
        address, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                 G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION, NULL, NULL, &e);
    if (!c) {
        fprintf(stderr, "flood-client: cannot connect to %s: %s\n", address, e->message);
        exit(1);
    }
    return c;
}

int main(int argc, char **argv)
{
    if (argc != 5 && argc != 6) {
        fprintf(stderr, "usage: flood-client ADDRESS OBJECT_PATH PA N [TERM_PID]\n");
        return 1;
    }
    path = argv[2];
    pa = g_ascii_strtoull(argv[3], NULL, 0);
    n = (guint)g_ascii_strtoull(argv[4], NULL, 0);
    if (argc == 6) {
        term_pid = (pid_t)g_ascii_strtoull(argv[5], NULL, 0);
        if (n == 0 || n > 32 || term_pid <= 1)
            return 1;
        GDBusConnection *c[4];
        for (int k = 0; k < 4; k++)
            c[k] = connect_bus(argv[1]);
        loop = g_main_loop_new(NULL, FALSE);
        for (guint i = 0; i < n; i++)
            for (int k = 0; k < 4; k++)
                g_dbus_connection_call(c[k], "org.libvmi.helper1", path, DOMAIN_IFACE,
                                       "ListProcesses", NULL, NULL, G_DBUS_CALL_FLAGS_NONE,
                                       120000, NULL, term_reply, NULL);
        g_main_loop_run(loop);
        printf("term: sent=%u ok=%u stopping=%u other=%u%s%s\n", 4 * n, t_ok, t_stopping, t_other,
               t_other_error ? " other_error=" : "", t_other_error ? t_other_error : "");
        return 0;
    }
    if (n <= WINDOW)
        return 1;
    a = connect_bus(argv[1]);
    b = connect_bus(argv[1]);
    /* one call each first: the daemon knows both callers before the flood
     * (it refuses more than 64 calls of a caller it is still checking) */
    for (int i = 0; i < 2; i++) {
        GError *e = NULL;
        GVariant *r = g_dbus_connection_call_sync(i ? b : a, "org.libvmi.helper1", path,
                                                  DOMAIN_IFACE, "ReadPhysical",
                                                  g_variant_new("(tu)", pa, 8u), NULL,
                                                  G_DBUS_CALL_FLAGS_NONE, 30000, NULL, &e);
        if (!r) {
            fprintf(stderr, "flood-client: the first call failed: %s\n", e->message);
            return 1;
        }
        g_variant_unref(r);
    }
    loop = g_main_loop_new(NULL, FALSE);
    for (; a_sent < MIN(n, WINDOW); a_sent++)
        flood_call(a_sent);
    g_main_loop_run(loop);
    printf("a_ok_at_b_send=%u a_ok_at_b_reply=%u a_ok_ahead=%u a_ok=%u a_busy=%u a_other=%u "
           "b=%s%s%s\n", a_ok_at_b_send, a_ok_at_b_reply, a_ok_ahead, a_ok, a_busy, a_other, b_result ? b_result : "none",
           a_other_error ? " a_other_error=" : "", a_other_error ? a_other_error : "");
    return 0;
}
