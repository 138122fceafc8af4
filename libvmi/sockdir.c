/*
 * sockdir.c - a directory for sockets that only trusted users can reach
 * (the rules are in sockdir.h).
 *
 * The path is opened from "/" one component at a time with O_NOFOLLOW
 * and every check is made on the descriptor's fstat(), so what is checked
 * is what the next step stands on: nobody untrusted can swap a component
 * after it was checked, because nobody untrusted can write to the
 * directory that holds it.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "sockdir.h"

/* ------------------------------------------------------------ users */

void sockdir_trust_init(sockdir_trust_t *t)
{
    t->n = 1;
    t->uid[0] = 0;
}

bool sockdir_trust_has(const sockdir_trust_t *t, uid_t uid)
{
    for (unsigned i = 0; i < t->n; i++)
        if (t->uid[i] == uid)
            return true;
    return false;
}

bool sockdir_trust_add(sockdir_trust_t *t, uid_t uid)
{
    if (sockdir_trust_has(t, uid))
        return true;
    if (t->n >= SOCKDIR_MAX_TRUSTED)
        return false;
    t->uid[t->n++] = uid;
    return true;
}

/* The user database's answers need a buffer of a size it does not say
 * for sure: start with what sysconf suggests, grow on ERANGE. */
#define NSS_BUF_MAX (1u << 20)

static char *user_name(uid_t uid)
{
    struct passwd pw, *res = NULL;
    size_t size = 1024;
    for (;;) {
        g_autofree char *buf = g_malloc(size);
        int e = getpwuid_r(uid, &pw, buf, size, &res);
        if (e == ERANGE && size < NSS_BUF_MAX) {
            size *= 2;
            continue;
        }
        if (e == 0 && res)
            return g_strdup(pw.pw_name);
        return g_strdup_printf("uid %u", (unsigned)uid);
    }
}

static bool user_uid(const char *name, uid_t *uid)
{
    struct passwd pw, *res = NULL;
    size_t size = 1024;
    for (;;) {
        g_autofree char *buf = g_malloc(size);
        int e = getpwnam_r(name, &pw, buf, size, &res);
        if (e == ERANGE && size < NSS_BUF_MAX) {
            size *= 2;
            continue;
        }
        if (e == 0 && res) {
            *uid = pw.pw_uid;
            return true;
        }
        return false;
    }
}

static char *group_name(gid_t gid)
{
    struct group gr, *res = NULL;
    size_t size = 1024;
    for (;;) {
        g_autofree char *buf = g_malloc(size);
        int e = getgrgid_r(gid, &gr, buf, size, &res);
        if (e == ERANGE && size < NSS_BUF_MAX) {
            size *= 2;
            continue;
        }
        if (e == 0 && res)
            return g_strdup(gr.gr_name);
        return g_strdup_printf("gid %u", (unsigned)gid);
    }
}

char *sockdir_trust_describe(const sockdir_trust_t *t, const char *conj)
{
    GString *s = g_string_new(NULL);
    for (unsigned i = 0; i < t->n; i++) {
        g_autofree char *name = user_name(t->uid[i]);
        if (i > 0 && i + 1 < t->n)
            g_string_append(s, ", ");
        else if (i > 0)
            g_string_append_printf(s, " %s ", conj);
        g_string_append(s, name);
    }
    return g_string_free(s, FALSE);
}

/* "alice (uid 1000)", or "uid 1000" when the user has no name */
static char *user_label(uid_t uid)
{
    g_autofree char *name = user_name(uid);
    if (g_str_has_prefix(name, "uid "))
        return g_steal_pointer(&name);
    return g_strdup_printf("%s (uid %u)", name, (unsigned)uid);
}

/* The user database is enumerated with getpwent_r(), whose position is
 * one per process: one enumeration at a time. */
static GMutex pwent_lock;

/* Whether every member of group @gid is trusted; if not, *@who names one
 * that is not.  Members are the names the group lists and the users whose
 * primary group it is.  A listed name that is no user counts as untrusted
 * (it may become one). */
static bool group_trusted(gid_t gid, const sockdir_trust_t *t, char **who)
{
    struct group gr, *gres = NULL;
    size_t size = 1024;
    g_autofree char *buf = NULL;
    int e;
    for (;;) {
        g_free(buf);
        buf = g_malloc(size);
        e = getgrgid_r(gid, &gr, buf, size, &gres);
        if (e == ERANGE && size < NSS_BUF_MAX) {
            size *= 2;
            continue;
        }
        break;
    }
    if (e == 0 && gres && gr.gr_mem) {
        for (char **m = gr.gr_mem; *m; m++) {
            uid_t uid;
            if (!user_uid(*m, &uid) || !sockdir_trust_has(t, uid)) {
                *who = g_strdup(*m);
                return false;
            }
        }
    }

    /* an entry that cannot be read, or a database that cannot be read to
     * its end, may hide a member */
    bool trusted = true;
    struct passwd pw, *pres = NULL;
    g_autofree char *pbuf = g_malloc(16384);
    g_mutex_lock(&pwent_lock);
    setpwent();
    for (;;) {
        e = getpwent_r(&pw, pbuf, 16384, &pres);
        if (e != 0 || !pres) {
            if (e != ENOENT && e != 0) {
                *who = g_strdup_printf("unknown: the user database cannot be read to its end: %s",
                                       g_strerror(e));
                trusted = false;
            }
            break;
        }
        if (pw.pw_gid == gid && !sockdir_trust_has(t, pw.pw_uid)) {
            *who = g_strdup(pw.pw_name);
            trusted = false;
            break;
        }
    }
    endpwent();
    g_mutex_unlock(&pwent_lock);
    return trusted;
}

/* ------------------------------------------------------------ paths */

/* The components of @path, or NULL with @error set when it is not an
 * absolute path without "." and "..". */
static char **split_path(const char *what, const char *path, GError **error)
{
    if (!path || !g_path_is_absolute(path)) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "the %s '%s' is not an absolute path",
                    what, path ? path : "");
        return NULL;
    }
    g_auto(GStrv) parts = g_strsplit(path, "/", -1);
    GPtrArray *names = g_ptr_array_new();
    for (char **p = parts; *p; p++) {
        if (!**p)
            continue;
        if (strcmp(*p, ".") == 0 || strcmp(*p, "..") == 0) {
            g_ptr_array_free(names, TRUE);
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "the %s '%s' has a '.' or '..' in it: give a plain absolute path", what,
                        path);
            return NULL;
        }
        g_ptr_array_add(names, *p);
    }
    g_ptr_array_add(names, NULL);
    char **out = g_strdupv((char **)names->pdata);
    g_ptr_array_free(names, TRUE);
    return out;
}

/* What a check is about, for its messages. */
typedef struct {
    const char *what;           /* "gdbstub socket" */
    const char *path;           /* as the caller gave it */
    bool of_socket;             /* the path is a socket's, not a directory's */
    const sockdir_trust_t *t;
    GArray *groups;             /* group_verdict_t: each group looked up once */
    char *final_why;            /* of_socket: why the socket directory is not private */
    char *final_dir;            /* ... and which it is */
} check_t;

typedef struct {
    gid_t gid;
    bool trusted;
    char *who;
} group_verdict_t;

static void check_clear(check_t *c)
{
    g_clear_pointer(&c->final_why, g_free);
    g_clear_pointer(&c->final_dir, g_free);
    if (!c->groups)
        return;
    for (guint i = 0; i < c->groups->len; i++)
        g_free(g_array_index(c->groups, group_verdict_t, i).who);
    g_array_unref(c->groups);
    c->groups = NULL;
}

static bool check_group(check_t *c, gid_t gid, const char **who)
{
    if (!c->groups)
        c->groups = g_array_new(FALSE, FALSE, sizeof(group_verdict_t));
    for (guint i = 0; i < c->groups->len; i++) {
        group_verdict_t *v = &g_array_index(c->groups, group_verdict_t, i);
        if (v->gid == gid) {
            *who = v->who;
            return v->trusted;
        }
    }
    group_verdict_t v = { .gid = gid };
    v.trusted = group_trusted(gid, c->t, &v.who);
    g_array_append_val(c->groups, v);
    *who = g_array_index(c->groups, group_verdict_t, c->groups->len - 1).who;
    return v.trusted;
}

/* Fails the check: "the WHAT [directory] 'PATH' is not safe: REASON". */
static bool G_GNUC_PRINTF(3, 4) unsafe(const check_t *c, GError **error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *reason = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_PERM, "the %s%s '%s' is not safe: %s", c->what,
                c->of_socket ? "" : " directory", c->path, reason);
    return false;
}

/* How a message names the directory @sub: the socket directory itself
 * ("it", or "its directory 'X'" for a socket), or one above it. */
static char *subject(const check_t *c, const char *sub, bool final)
{
    if (final)
        return c->of_socket ? g_strdup_printf("its directory '%s'", sub) : g_strdup("it");
    return g_strdup_printf("'%s' (on its path)", sub);
}

/* Whether @mode (group @gid) gives nobody untrusted the bits @other
 * (for others) or @group (for the group, unless all its members are
 * trusted).  If it does, *@whom is "every user" or "group kvm", and
 * *@which is "" or ", which has members other than root and
 * libvirt-qemu (bob)". */
static bool private_mode(check_t *c, mode_t mode, mode_t other, mode_t group, gid_t gid,
                         char **whom, char **which)
{
    const char *member = NULL;
    if (mode & other) {
        *whom = g_strdup("every user");
        *which = g_strdup("");
        return false;
    }
    if ((mode & group) && !check_group(c, gid, &member)) {
        g_autofree char *name = group_name(gid);
        g_autofree char *trusted = sockdir_trust_describe(c->t, "and");
        *whom = g_strdup_printf("group %s", name);
        *which = g_strdup_printf(", which has members other than %s (%s)", trusted, member);
        return false;
    }
    return true;
}

/* The rules for a directory @sub with @st: @final for the socket
 * directory, else one above it.  Every directory: not a symbolic link, a
 * directory, a trusted owner, and nobody else may rename, remove or
 * replace what is in it (a sticky directory of root's lets each user do
 * that only to their own entries, and the next component's owner is
 * checked).  The socket directory of sockdir_check() is also private: the
 * barrier against everyone else.  That of sockdir_check_socket() may
 * leave the barrier to the socket's own mode: why it is not private is
 * kept in c->final_why for the caller to weigh. */
static bool check_dir(check_t *c, const char *sub, const struct stat *st, bool final,
                      GError **error)
{
    g_autofree char *who = subject(c, sub, final);
    g_autofree char *whom = NULL;
    g_autofree char *which = NULL;
    mode_t mode = st->st_mode & 07777;

    if (S_ISLNK(st->st_mode))
        return unsafe(c, error, "%s is a symbolic link (give the path without symbolic links)",
                      who);
    if (!S_ISDIR(st->st_mode))
        return unsafe(c, error, "%s is not a directory", who);
    if (!sockdir_trust_has(c->t, st->st_uid)) {
        g_autofree char *owner = user_label(st->st_uid);
        g_autofree char *trusted = sockdir_trust_describe(c->t, "or");
        return unsafe(c, error, "%s is owned by %s, not by %s", who, owner, trusted);
    }
    if (final && !private_mode(c, mode, S_IRWXO, S_IRWXG, st->st_gid, &whom, &which)) {
        if (!c->of_socket)
            return unsafe(c, error, "%s gives %s access (mode %04o)%s: make it mode 0700 "
                          "(chmod 0700 '%s')", who, whom, (unsigned)mode, which, sub);
        c->final_why = g_strdup_printf("%s gives %s access (mode %04o)%s", who, whom,
                                       (unsigned)mode, which);
        c->final_dir = g_strdup(sub);
    }
    g_clear_pointer(&whom, g_free);
    g_clear_pointer(&which, g_free);
    bool sticky_root = (mode & S_ISVTX) && st->st_uid == 0;
    if (!sticky_root && !private_mode(c, mode, S_IWOTH, S_IWGRP, st->st_gid, &whom, &which)) {
        if (g_str_equal(whom, "every user"))
            return unsafe(c, error, "%s is writable by every user (mode %04o) and is not a "
                          "sticky directory owned by root", who, (unsigned)mode);
        return unsafe(c, error, "%s is writable by %s (mode %04o)%s", who, whom, (unsigned)mode,
                      which);
    }
    return true;
}

static char *join(const char *parent, const char *name)
{
    return g_strdup_printf("%s%s%s", parent, g_str_has_suffix(parent, "/") ? "" : "/", name);
}

/* fstat() of @fd; a failure is an error naming @sub. */
static bool stat_fd(int fd, const char *sub, struct stat *st, GError **error)
{
    if (fstat(fd, st) == 0)
        return true;
    int e = errno;
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "cannot look at '%s': %s", sub,
                g_strerror(e));
    return false;
}

/* Walks @names from "/", checking each directory; returns an O_PATH
 * descriptor of the deepest one that exists (its path in *@deepest) and
 * in *@found how many of @names exist; -1 with @error set when one is
 * unsafe or cannot be opened.  @final_index is the index in @names of the
 * socket directory (-1: "/" is it). */
static int walk(check_t *c, char **names, int final_index, guint *found, char **deepest,
                GError **error)
{
    struct stat st;
    g_autofree char *sub = g_strdup("/");
    int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || !stat_fd(fd, sub, &st, error) || !check_dir(c, sub, &st, final_index < 0, error)) {
        if (fd < 0)
            g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot open '/': %s",
                        g_strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    guint i = 0;
    for (; names[i]; i++) {
        g_autofree char *next = join(sub, names[i]);
        /* no O_DIRECTORY: a symbolic link is then opened as itself, and
         * said to be one */
        int nfd = openat(fd, names[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (nfd < 0) {
            int e = errno;
            if (e == ENOENT)
                break;
            g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e),
                        "cannot check the %s%s '%s': cannot open '%s': %s", c->what,
                        c->of_socket ? "" : " directory", c->path, next, g_strerror(e));
            close(fd);
            return -1;
        }
        close(fd);
        fd = nfd;
        g_free(sub);
        sub = g_steal_pointer(&next);
        if (!stat_fd(fd, sub, &st, error) || !check_dir(c, sub, &st, (int)i == final_index, error)) {
            close(fd);
            return -1;
        }
    }
    *found = i;
    *deepest = g_steal_pointer(&sub);
    return fd;
}

static bool check_or_make(const char *what, const char *dir, const sockdir_trust_t *t, bool make,
                          uid_t owner, gid_t group, bool *missing, bool *created, GError **error)
{
    g_auto(GStrv) names = split_path(what, dir, error);
    if (!names)
        return false;
    check_t c = { .what = what, .path = dir, .t = t };
    guint n = g_strv_length(names), found = 0;
    g_autofree char *sub = NULL;
    int fd = walk(&c, names, (int)n - 1, &found, &sub, error);
    if (fd < 0) {
        check_clear(&c);
        return false;
    }
    bool ok = true;
    if (found < n && !make) {
        if (missing)
            *missing = true;
        else {
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "the %s directory '%s' does not "
                        "exist", what, dir);
            ok = false;
        }
    }
    for (guint i = found; make && i < n; i++) {
        bool last = i + 1 == n;
        mode_t mode = last ? 0700 : 0755;
        g_autofree char *next = join(sub, names[i]);
        bool made = mkdirat(fd, names[i], mode) == 0;
        int e = errno;
        if (!made && e != EEXIST) {
            g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "cannot create the %s "
                        "directory '%s': mkdir '%s': %s", what, dir, next, g_strerror(e));
            ok = false;
            break;
        }
        /* a real descriptor (not O_PATH): fchmod and fchown need one */
        int nfd = openat(fd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (nfd < 0) {
            e = errno;
            if (fstatat(fd, names[i], &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode)) {
                ok = check_dir(&c, next, &st, last, error);
            } else {
                g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "cannot create the %s "
                            "directory '%s': cannot open '%s': %s", what, dir, next, g_strerror(e));
                ok = false;
            }
            break;
        }
        close(fd);
        fd = nfd;
        g_free(sub);
        sub = g_steal_pointer(&next);
        if (!stat_fd(fd, sub, &st, error)) {
            ok = false;
            break;
        }
        if (made) {
            /* ours, as made: nobody could have put another in its place
             * (the parent is checked), but say so if it is not */
            if (st.st_uid != geteuid() || !S_ISDIR(st.st_mode)) {
                g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_PERM, "cannot create the %s "
                            "directory '%s': '%s' changed while it was made", what, dir, sub);
                ok = false;
                break;
            }
            /* the umask may have taken bits that QEMU's user needs */
            bool give = last && (owner != (uid_t)-1 || group != (gid_t)-1);
            if (fchmod(fd, mode) < 0 || (give && fchown(fd, owner, group) < 0)) {
                e = errno;
                g_autofree char *to = last && owner != (uid_t)-1 ? user_name(owner) : NULL;
                g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "made the %s directory "
                            "'%s' but cannot %s it%s%s: %s", what, sub,
                            to ? "give" : "set the mode of", to ? " to " : "", to ? to : "",
                            g_strerror(e));
                ok = false;
                break;
            }
            if (last && created)
                *created = true;
            if (!stat_fd(fd, sub, &st, error)) {
                ok = false;
                break;
            }
        }
        if (!check_dir(&c, sub, &st, last, error)) {
            ok = false;
            break;
        }
    }
    close(fd);
    check_clear(&c);
    return ok;
}

bool sockdir_check(const char *what, const char *dir, const sockdir_trust_t *t, bool *missing,
                   GError **error)
{
    if (missing)
        *missing = false;
    return check_or_make(what, dir, t, false, (uid_t)-1, (gid_t)-1, missing, NULL, error);
}

bool sockdir_make(const char *what, const char *dir, const sockdir_trust_t *t, uid_t owner,
                  gid_t group, bool *created, GError **error)
{
    if (created)
        *created = false;
    return check_or_make(what, dir, t, true, owner, group, NULL, created, error);
}

bool sockdir_check_socket(const char *what, const char *path, const sockdir_trust_t *t,
                          bool socket_owner_trusted, GError **error)
{
    g_auto(GStrv) names = split_path(what, path, error);
    if (!names)
        return false;
    guint n = g_strv_length(names);
    if (n == 0) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "the %s '%s' is not a socket", what,
                    path);
        return false;
    }
    g_autofree char *base = names[n - 1];
    names[n - 1] = NULL;

    sockdir_trust_t trust = *t;
    check_t c = { .what = what, .path = path, .of_socket = true, .t = &trust };
    struct stat st;
    if (socket_owner_trusted) {
        /* learn the owner by the path as given: the walk below checks the
         * path on descriptors and compares the owner again */
        if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
            sockdir_trust_add(&trust, st.st_uid);
    }
    guint found = 0;
    g_autofree char *dir = NULL;
    int fd = walk(&c, names, (int)n - 2, &found, &dir, error);
    if (fd < 0) {
        check_clear(&c);
        return false;
    }
    bool ok = false;
    g_autofree char *parent = NULL;
    if (found < n - 1) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "the %s '%s' does not exist (no "
                    "directory '%s')", what, path, (parent = join(dir, names[found])));
    } else if (fstatat(fd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        int e = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "the %s '%s' %s%s", what, path,
                    e == ENOENT ? "does not exist" : "cannot be looked at: ",
                    e == ENOENT ? "" : g_strerror(e));
    } else if (S_ISLNK(st.st_mode)) {
        unsafe(&c, error, "it is a symbolic link (give the socket's own path)");
    } else if (!S_ISSOCK(st.st_mode)) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "the %s '%s' is not a socket", what,
                    path);
    } else if (!sockdir_trust_has(&trust, st.st_uid)) {
        g_autofree char *owner = user_label(st.st_uid);
        g_autofree char *trusted = sockdir_trust_describe(&trust, "or");
        unsafe(&c, error, "it is owned by %s, not by %s", owner, trusted);
    } else if (c.final_why) {
        /* connecting needs write permission on the socket: one that
         * nobody untrusted may write is a barrier of its own */
        g_autofree char *whom = NULL;
        g_autofree char *which = NULL;
        mode_t mode = st.st_mode & 07777;
        if (private_mode(&c, mode, S_IWOTH, S_IWGRP, st.st_gid, &whom, &which))
            ok = true;
        else
            unsafe(&c, error, "%s, and the socket lets %s connect (mode %04o)%s: make the "
                   "directory mode 0700 (chmod 0700 '%s')", c.final_why, whom, (unsigned)mode,
                   which, c.final_dir);
    } else {
        ok = true;
    }
    close(fd);
    check_clear(&c);
    return ok;
}
