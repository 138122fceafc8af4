/*
 * helperd-util.c - vmi-helperd: logging, D-Bus errors, and files created
 * with a caller's identity.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libvirt/virterror.h>

#include "helperd.h"

/* ------------------------------------------------------------ errors */

static const GDBusErrorEntry error_entries[] = {
    { HELPERD_ERROR_NOT_INTROSPECTABLE, "org.libvmi.helper1.Error.NotIntrospectable" },
    { HELPERD_ERROR_WRITES_DISABLED, "org.libvmi.helper1.Error.WritesDisabled" },
    { HELPERD_ERROR_DOMAIN_GONE, "org.libvmi.helper1.Error.DomainGone" },
    { HELPERD_ERROR_INVALID_ARGUMENT, "org.libvmi.helper1.Error.InvalidArgument" },
    { HELPERD_ERROR_TOO_LARGE, "org.libvmi.helper1.Error.TooLarge" },
    { HELPERD_ERROR_ACCESS_DENIED, "org.libvmi.helper1.Error.AccessDenied" },
    { HELPERD_ERROR_BUSY, "org.libvmi.helper1.Error.Busy" },
    { HELPERD_ERROR_FAILED, "org.libvmi.helper1.Error.Failed" },
};

G_STATIC_ASSERT(G_N_ELEMENTS(error_entries) == HELPERD_ERROR_FAILED + 1);

/* The one place where the kind of a failure becomes a D-Bus error: libvmi's
 * kinds (vmi_get_last_error_code) and libvirt's codes (virErrorNumber).
 * Nothing in the daemon reads the words of a message to classify it.
 *
 * A libvmi kind has two answers: one for a step that looked up a value the
 * caller gave (an address, a pid, a symbol, a vCPU: the value is at fault),
 * one for a step that did not (a process listing, opening the domain: the
 * guest's or the hypervisor's side failed).  A guest gone is DomainGone
 * either way; I/O, timeouts and corrupt answers are never the caller's. */
static const struct {
    vmi_error_code_t kind;
    HelperdError value;         /* the step used a caller's value */
    HelperdError other;
} vmi_kinds[] = {
    { VMI_ERR_NONE, HELPERD_ERROR_INVALID_ARGUMENT, HELPERD_ERROR_FAILED },
    { VMI_ERR_FAILED, HELPERD_ERROR_INVALID_ARGUMENT, HELPERD_ERROR_FAILED },
    { VMI_ERR_UNSUPPORTED, HELPERD_ERROR_INVALID_ARGUMENT, HELPERD_ERROR_FAILED },
    { VMI_ERR_INVALID, HELPERD_ERROR_INVALID_ARGUMENT, HELPERD_ERROR_FAILED },
    { VMI_ERR_NOT_FOUND, HELPERD_ERROR_INVALID_ARGUMENT, HELPERD_ERROR_FAILED },
    { VMI_ERR_IO, HELPERD_ERROR_FAILED, HELPERD_ERROR_FAILED },
    { VMI_ERR_CORRUPT, HELPERD_ERROR_FAILED, HELPERD_ERROR_FAILED },
    { VMI_ERR_GONE, HELPERD_ERROR_DOMAIN_GONE, HELPERD_ERROR_DOMAIN_GONE },
    { VMI_ERR_PERMISSION, HELPERD_ERROR_FAILED, HELPERD_ERROR_FAILED },
    { VMI_ERR_TIMEOUT, HELPERD_ERROR_FAILED, HELPERD_ERROR_FAILED },
};
G_STATIC_ASSERT(G_N_ELEMENTS(vmi_kinds) == VMI_ERR_TIMEOUT + 1);

/* libvirt's codes that say more than "libvirt failed"; any other is the
 * call's own code (Failed, unless the call says otherwise). */
static const struct {
    int code;
    HelperdError error;
} virt_codes[] = {
    { VIR_ERR_NO_DOMAIN, HELPERD_ERROR_DOMAIN_GONE },       /* undefined meanwhile */
    { VIR_ERR_OPERATION_INVALID, HELPERD_ERROR_FAILED },    /* e.g. no longer running: the
                                                             * caller asks whether it still
                                                             * runs (helperd_worker_fail) */
    { VIR_ERR_OPERATION_TIMEOUT, HELPERD_ERROR_FAILED },
    { VIR_ERR_SYSTEM_ERROR, HELPERD_ERROR_FAILED },
    { VIR_ERR_NO_CONNECT, HELPERD_ERROR_FAILED },
};

HelperdError helperd_error_from_vmi(vmi_error_code_t kind, gboolean callers_value)
{
    for (size_t i = 0; i < G_N_ELEMENTS(vmi_kinds); i++)
        if (vmi_kinds[i].kind == kind)
            return callers_value ? vmi_kinds[i].value : vmi_kinds[i].other;
    /* a kind newer than this table */
    return HELPERD_ERROR_FAILED;
}

HelperdError helperd_error_from_virt_code(int code, HelperdError call)
{
    for (size_t i = 0; i < G_N_ELEMENTS(virt_codes); i++)
        if (virt_codes[i].code == code)
            return virt_codes[i].error == HELPERD_ERROR_FAILED ? call : virt_codes[i].error;
    return call;
}

HelperdError helperd_error_from_virt(HelperdError call)
{
    virErrorPtr e = virGetLastError();
    return e ? helperd_error_from_virt_code(e->code, call) : call;
}

GQuark helperd_error_quark(void)
{
    static gsize quark;
    g_dbus_error_register_error_domain("vmi-helperd-error-quark", &quark, error_entries,
                                       G_N_ELEMENTS(error_entries));
    return (GQuark)quark;
}

void helperd_return_error(GDBusMethodInvocation *inv, HelperdError code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    /* libvmi's and libvirt's messages may carry bytes of the guest or of a
     * file name: a D-Bus string must be valid UTF-8 */
    if (!g_utf8_validate(msg, -1, NULL)) {
        char *valid = g_utf8_make_valid(msg, -1);
        g_free(msg);
        msg = valid;
    }
    helperd_debug("reply %s.%s from %s: error %d: %s",
                  g_dbus_method_invocation_get_interface_name(inv),
                  g_dbus_method_invocation_get_method_name(inv),
                  g_dbus_method_invocation_get_sender(inv) ? g_dbus_method_invocation_get_sender(inv) : "?",
                  (int)code, msg);
    g_dbus_method_invocation_return_error_literal(inv, HELPERD_ERROR, code, msg);
}

/* Answers org.freedesktop.DBus.Properties Get/GetAll/Set on @iface from
 * @all (a{sv}, floating or not; consumed). */
void helperd_return_properties(GDBusMethodInvocation *inv, const char *iface, GVariant *all)
{
    const char *method = g_dbus_method_invocation_get_method_name(inv);
    GVariant *params = g_dbus_method_invocation_get_parameters(inv);
    g_autoptr(GVariant) props = g_variant_ref_sink(all);
    const char *asked = NULL;
    if (g_variant_n_children(params) > 0)
        g_variant_get_child(params, 0, "&s", &asked);
    if (!asked || strcmp(asked, iface) != 0) {
        g_dbus_method_invocation_return_error(inv, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_INTERFACE,
                                              "No interface %s here", asked ? asked : "");
        return;
    }
    if (strcmp(method, "GetAll") == 0) {
        g_dbus_method_invocation_return_value(inv, g_variant_new("(@a{sv})", props));
    } else if (strcmp(method, "Get") == 0) {
        const char *name;
        g_variant_get_child(params, 1, "&s", &name);
        g_autoptr(GVariant) v = g_variant_lookup_value(props, name, NULL);
        if (v)
            g_dbus_method_invocation_return_value(inv, g_variant_new("(v)", v));
        else
            g_dbus_method_invocation_return_error(inv, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY,
                                                  "No property %s", name);
    } else {
        g_dbus_method_invocation_return_error(inv, G_DBUS_ERROR, G_DBUS_ERROR_PROPERTY_READ_ONLY,
                                              "The properties of %s are read-only", iface);
    }
}

/* ------------------------------------------------------------ logging */

gboolean helperd_verbose;
gboolean helperd_bench_keep_caches;
static GMutex log_lock;

/* One log line whatever the message holds: control characters (a caller's
 * path with a newline would forge a line) are escaped as \xNN, and bytes
 * that are not UTF-8 replaced. */
static char *log_safe(const char *msg)
{
    g_autofree char *valid = g_utf8_make_valid(msg, -1);
    GString *out = g_string_sized_new(strlen(valid));
    for (const unsigned char *p = (const unsigned char *)valid; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            g_string_append_printf(out, "\\x%02x", *p);
        else
            g_string_append_c(out, (char)*p);
    }
    return g_string_free(out, FALSE);
}

static void log_line(const char *raw)
{
    g_autofree char *msg = log_safe(raw);
    g_autoptr(GDateTime) now = g_date_time_new_now_local();
    g_autofree char *stamp = g_date_time_format(now, "%Y-%m-%d %H:%M:%S");
    g_mutex_lock(&log_lock);
    fprintf(stderr, "%s.%03d vmi-helperd[%d]: %s\n", stamp,
            g_date_time_get_microsecond(now) / 1000, (int)getpid(), msg);
    fflush(stderr);
    g_mutex_unlock(&log_lock);
}

void helperd_log(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    log_line(msg);
}

void helperd_debug(const char *fmt, ...)
{
    if (!helperd_verbose)
        return;
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    log_line(msg);
}

static void glib_log_handler(const gchar *domain, GLogLevelFlags level, const gchar *message,
                             gpointer data)
{
    /* debug messages: libvmi's (with --verbose), not the event loop's */
    if ((level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO)) &&
        (!helperd_verbose || g_strcmp0(domain, "libvmi") != 0))
        return;
    /* GLib's own words, so that "CRITICAL" in the log means what it does
     * on a terminal */
    const char *what = (level & G_LOG_LEVEL_ERROR) ? "ERROR" :
                       (level & G_LOG_LEVEL_CRITICAL) ? "CRITICAL" :
                       (level & G_LOG_LEVEL_WARNING) ? "WARNING" :
                       (level & G_LOG_LEVEL_MESSAGE) ? "Message" :
                       (level & G_LOG_LEVEL_INFO) ? "INFO" : "DEBUG";
    helperd_log("%s %s: %s", domain ? domain : "glib", what, message);
}

void helperd_log_init(void)
{
    g_log_set_default_handler(glib_log_handler, NULL);
}

/* ------------------------------------------------------------ files */

char *helperd_config_quote(const char *s)
{
    GString *out = g_string_new(NULL);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            g_string_append_c(out, '\\');
        g_string_append_c(out, *s);
    }
    return g_string_free(out, FALSE);
}

/* The child: only async-signal-safe calls from here on (the parent has
 * threads).  Reports an errno value or sends the descriptor. */
G_GNUC_NORETURN static void create_child(int sock, uid_t uid, gid_t gid, const gid_t *groups,
                                         int ngroups, const char *path)
{
    int err = 0;
    if (setgroups((size_t)ngroups, groups) < 0 || setresgid(gid, gid, gid) < 0 ||
        setresuid(uid, uid, uid) < 0) {
        err = errno ? errno : EPERM;
        goto report;
    }
    umask(077);
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
    if (fd < 0) {
        err = errno;
        goto report;
    }
    {
        char byte = 0;
        struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
        union {
            char buf[CMSG_SPACE(sizeof(int))];
            struct cmsghdr align;
        } u;
        memset(&u, 0, sizeof(u));
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                              .msg_controllen = sizeof(u.buf) };
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
        _exit(sendmsg(sock, &msg, MSG_NOSIGNAL) == 1 ? 0 : 1);
    }
report:
    {
        unsigned char code[2] = { 1, (unsigned char)(err > 255 ? 255 : err) };
        if (write(sock, code, sizeof(code)) < 0)
            _exit(2);
        _exit(0);
    }
}

int helperd_create_file_as(uid_t uid, const char *path, HelperdError *code, char **message)
{
    if (!g_path_is_absolute(path)) {
        *code = HELPERD_ERROR_INVALID_ARGUMENT;
        *message = g_strdup_printf("The path '%s' is not absolute.", path);
        return -1;
    }
    if (strlen(path) >= 4096) {
        *code = HELPERD_ERROR_INVALID_ARGUMENT;
        *message = g_strdup("The path is longer than 4095 bytes.");
        return -1;
    }
    /* the user's groups, looked up before fork */
    struct passwd pw, *pwp = NULL;
    char pwbuf[4096];
    if (getpwuid_r(uid, &pw, pwbuf, sizeof(pwbuf), &pwp) != 0 || !pwp) {
        *code = HELPERD_ERROR_ACCESS_DENIED;
        *message = g_strdup_printf("The calling user (uid %u) is unknown on this host.",
                                   (unsigned)uid);
        return -1;
    }
    gid_t groups[256];
    int ngroups = G_N_ELEMENTS(groups);
    if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &ngroups) < 0)
        ngroups = G_N_ELEMENTS(groups);     /* truncated: the first 256 */
    gid_t gid = pw.pw_gid;

    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        *code = HELPERD_ERROR_FAILED;
        *message = g_strdup_printf("socketpair failed: %s", g_strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(sv[0]);
        close(sv[1]);
        *code = HELPERD_ERROR_FAILED;
        *message = g_strdup_printf("fork failed: %s", g_strerror(e));
        return -1;
    }
    if (pid == 0) {
        close(sv[0]);
        create_child(sv[1], uid, gid, groups, ngroups, path);
    }
    close(sv[1]);
    char buf[2] = { 0 };
    struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    memset(&u, 0, sizeof(u));
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                          .msg_controllen = sizeof(u.buf) };
    ssize_t n;
    do
        n = recvmsg(sv[0], &msg, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    int fd = -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); n > 0 && c; c = CMSG_NXTHDR(&msg, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
            c->cmsg_len == CMSG_LEN(sizeof(int)))
            memcpy(&fd, CMSG_DATA(c), sizeof(int));
    if (fd < 0 && n == 1) {
        /* the error code may come in a second read */
        ssize_t m = read(sv[0], buf + 1, 1);
        n = m == 1 ? 2 : n;
    }
    close(sv[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (fd >= 0)
        return fd;
    int err = n == 2 && buf[0] == 1 ? (unsigned char)buf[1] : EIO;
    switch (err) {
    case EEXIST:
        *code = HELPERD_ERROR_INVALID_ARGUMENT;
        *message = g_strdup_printf("The file '%s' exists already; Snapshot creates a new file.",
                                   path);
        break;
    case ELOOP:
        *code = HELPERD_ERROR_INVALID_ARGUMENT;
        *message = g_strdup_printf("The path '%s' is a symbolic link; Snapshot does not follow it.",
                                   path);
        break;
    case ENOENT:
    case ENOTDIR:
        *code = HELPERD_ERROR_INVALID_ARGUMENT;
        *message = g_strdup_printf("The directory of '%s' does not exist.", path);
        break;
    case EACCES:
    case EPERM:
    case EROFS:
        *code = HELPERD_ERROR_ACCESS_DENIED;
        *message = g_strdup_printf("The calling user (%s, uid %u) cannot create '%s': %s.",
                                   pw.pw_name, (unsigned)uid, path, g_strerror(err));
        break;
    default:
        *code = HELPERD_ERROR_FAILED;
        *message = g_strdup_printf("Creating '%s' as user %s failed: %s.", path, pw.pw_name,
                                   g_strerror(err));
        break;
    }
    return -1;
}
