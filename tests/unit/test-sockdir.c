/*
 * test-sockdir.c - the socket-directory rules (libvmi/sockdir.c) on real
 * directories under /tmp: a good one; one with a bad owner, mode 0777, a
 * group with other members; a symbolic link as the directory, above it and
 * as the socket; a loose parent (and a sticky one of root's, which is
 * fine); making a directory (modes whatever the umask, owner, nothing made
 * under an unsafe parent, an unsafe one never repaired); and the socket
 * itself.
 *
 * The cases that change owners need root: without it they are skipped, and
 * the program then exits 77 (a skip is never a pass).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>
#include "libvmi.h"
#include "sockdir.h"

static char *base;           /* a fresh 0700 directory under /tmp */
static int skipped;
static sockdir_trust_t trust; /* root and the caller */

static bool need_root(void)
{
    if (geteuid() == 0)
        return true;
    g_test_skip("needs root (changes owners)");
    skipped++;
    return false;
}

/* A user other than root, and a group with a member that is not root: the
 * group database and user database read here directly, not through the
 * code under test. */
static bool other_user(uid_t *uid, gid_t *gid)
{
    struct passwd *pw = getpwnam("nobody");
    if (!pw || pw->pw_uid == 0) {
        g_test_skip("no user 'nobody'");
        skipped++;
        return false;
    }
    *uid = pw->pw_uid;
    *gid = pw->pw_gid;    /* nobody's primary group: it has a member besides root */
    return true;
}

/* Group root has no member but root here (else the case is skipped). */
static bool root_group_private(void)
{
    struct group *gr = getgrgid(0);
    bool ok = gr && (!gr->gr_mem || !gr->gr_mem[0] ||
                     (strcmp(gr->gr_mem[0], "root") == 0 && !gr->gr_mem[1]));
    struct passwd *pw;
    setpwent();
    while (ok && (pw = getpwent()))
        if (pw->pw_gid == 0 && pw->pw_uid != 0)
            ok = false;
    endpwent();
    if (!ok) {
        g_test_skip("group root has members other than root here");
        skipped++;
    }
    return ok;
}

static char *path(const char *rel)
{
    return g_build_filename(base, rel, NULL);
}

static char *mkdir_mode(const char *rel, mode_t mode)
{
    char *p = path(rel);
    g_assert_cmpint(g_mkdir(p, 0700), ==, 0);
    g_assert_cmpint(chmod(p, mode), ==, 0);
    return p;
}

/* Checks @dir and expects a refusal whose message has @part. */
static void expect_unsafe(const char *dir, const sockdir_trust_t *t, const char *part)
{
    g_autoptr(GError) error = NULL;
    bool missing = false;
    g_assert_false(sockdir_check("gdbstub socket", dir, t, &missing, &error));
    g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_PERM);
    g_test_message("%s", error->message);
    g_assert_nonnull(strstr(error->message, dir));
    g_assert_nonnull(strstr(error->message, part));
    g_assert_nonnull(strstr(error->message, "is not safe"));
}

static void expect_safe(const char *dir, const sockdir_trust_t *t)
{
    g_autoptr(GError) error = NULL;
    bool missing = true;
    g_assert_true(sockdir_check("gdbstub socket", dir, t, &missing, &error));
    g_assert_no_error(error);
    g_assert_false(missing);
}

static void test_good(void)
{
    g_autofree char *d = mkdir_mode("good", 0700);
    g_autofree char *slash = g_strconcat(d, "//", NULL);
    expect_safe(d, &trust);
    expect_safe(slash, &trust);
    /* making one that is there changes nothing */
    bool created = true;
    g_autoptr(GError) error = NULL;
    g_assert_true(sockdir_make("gdbstub socket", d, &trust, (uid_t)-1, (gid_t)-1, &created,
                               &error));
    g_assert_no_error(error);
    g_assert_false(created);
}

static void test_mode_0777(void)
{
    g_autofree char *d = mkdir_mode("open", 0777);
    expect_unsafe(d, &trust, "gives every user access (mode 0777)");
    g_autofree char *d2 = mkdir_mode("enterable", 0701);
    expect_unsafe(d2, &trust, "gives every user access (mode 0701)");
}

static void test_group(void)
{
    uid_t uid;
    gid_t gid;
    if (!need_root() || !other_user(&uid, &gid))
        return;
    /* group-enterable, by a group that has nobody in it */
    g_autofree char *d = mkdir_mode("group", 0750);
    g_assert_cmpint(chown(d, 0, gid), ==, 0);
    expect_unsafe(d, &trust, "gives group nogroup access (mode 0750), which has members other "
                  "than root (");
    /* group root: only root in it */
    if (!root_group_private())
        return;
    g_autofree char *r = mkdir_mode("rootgroup", 0750);
    g_assert_cmpint(chown(r, 0, 0), ==, 0);
    expect_safe(r, &trust);
}

static void test_owner(void)
{
    uid_t uid;
    gid_t gid;
    if (!need_root() || !other_user(&uid, &gid))
        return;
    g_autofree char *d = mkdir_mode("owned", 0700);
    g_assert_cmpint(chown(d, uid, gid), ==, 0);
    expect_unsafe(d, &trust, "it is owned by nobody (uid");
    /* QEMU's user, when it is the owner and trusted */
    sockdir_trust_t t = trust;
    sockdir_trust_add(&t, uid);
    expect_safe(d, &t);
    /* an owner above it that is not trusted */
    g_autofree char *under = g_build_filename(d, "sub", NULL);
    g_assert_cmpint(g_mkdir(under, 0700), ==, 0);
    expect_unsafe(under, &trust, "(on its path) is owned by nobody");
    expect_safe(under, &t);
}

static void test_symlink(void)
{
    g_autofree char *d = mkdir_mode("target", 0700);
    g_autofree char *link = path("link");
    g_assert_cmpint(symlink(d, link), ==, 0);
    expect_unsafe(link, &trust, "it is a symbolic link");
    /* a link above it */
    g_autofree char *sub = g_build_filename(d, "sub", NULL);
    g_assert_cmpint(g_mkdir(sub, 0700), ==, 0);
    g_autofree char *via = g_build_filename(link, "sub", NULL);
    expect_unsafe(via, &trust, "link' (on its path) is a symbolic link");
    /* making a directory through a link makes nothing */
    g_autoptr(GError) error = NULL;
    g_autofree char *made = g_build_filename(link, "new", NULL);
    g_autofree char *real = g_build_filename(d, "new", NULL);
    g_assert_false(sockdir_make("gdbstub socket", made, &trust, (uid_t)-1, (gid_t)-1, NULL,
                                &error));
    g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_PERM);
    g_assert_false(g_file_test(real, G_FILE_TEST_EXISTS));
}

static void test_parent(void)
{
    g_autofree char *loose = mkdir_mode("loose", 0777);
    g_autofree char *d = g_build_filename(loose, "socks", NULL);
    g_assert_cmpint(g_mkdir(d, 0700), ==, 0);
    expect_unsafe(d, &trust, "loose' (on its path) is writable by every user (mode 0777)");
    /* not even made there */
    g_autofree char *d2 = g_build_filename(loose, "new", NULL);
    g_autoptr(GError) error = NULL;
    g_assert_false(sockdir_make("gdbstub socket", d2, &trust, (uid_t)-1, (gid_t)-1, NULL,
                                &error));
    g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_PERM);
    g_assert_false(g_file_test(d2, G_FILE_TEST_EXISTS));

    /* sticky and root's, as /tmp: fine, the entry's owner is checked */
    if (!need_root())
        return;
    g_autofree char *sticky = mkdir_mode("sticky", 01777);
    g_autofree char *s = g_build_filename(sticky, "socks", NULL);
    g_assert_cmpint(g_mkdir(s, 0700), ==, 0);
    expect_safe(s, &trust);
    /* sticky, but not root's */
    uid_t uid;
    gid_t gid;
    if (!other_user(&uid, &gid))
        return;
    g_assert_cmpint(chown(sticky, uid, gid), ==, 0);
    expect_unsafe(s, &trust, "sticky' (on its path) is owned by nobody");
    /* ... even when its owner is trusted: only root's sticky bit counts */
    sockdir_trust_t t = trust;
    sockdir_trust_add(&t, uid);
    expect_unsafe(s, &t, "sticky' (on its path) is writable by every user (mode 1777) and is not "
                  "a sticky directory owned by root");
    /* writable by a group with other members */
    g_autofree char *grp = mkdir_mode("groupw", 0775);
    g_assert_cmpint(chown(grp, 0, gid), ==, 0);
    g_autofree char *g = g_build_filename(grp, "socks", NULL);
    g_assert_cmpint(g_mkdir(g, 0700), ==, 0);
    expect_unsafe(g, &trust, "groupw' (on its path) is writable by group");
}

static void test_missing(void)
{
    g_autofree char *d = path("none/deeper");
    bool missing = false;
    g_autoptr(GError) error = NULL;
    g_assert_true(sockdir_check("gdbstub socket", d, &trust, &missing, &error));
    g_assert_true(missing);
    g_assert_false(sockdir_check("gdbstub socket", d, &trust, NULL, &error));
    g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
    g_clear_error(&error);
    /* not a directory */
    g_autofree char *file = path("file");
    g_assert_true(g_file_set_contents(file, "x", 1, NULL));
    g_assert_false(sockdir_check("gdbstub socket", file, &trust, &missing, &error));
    g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_PERM);
    g_assert_nonnull(strstr(error->message, "is not a directory"));
    g_clear_error(&error);
    /* not a plain absolute path */
    const char *bad[] = { "relative/dir", "/tmp/../tmp", "/tmp/./x", "", NULL };
    for (const char **b = bad; *b; b++) {
        g_assert_false(sockdir_check("gdbstub socket", *b, &trust, &missing, &error));
        g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL);
        g_clear_error(&error);
    }
    g_assert_false(sockdir_check("gdbstub socket", NULL, &trust, &missing, &error));
    g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL);
}

static void test_make(void)
{
    g_autofree char *d = path("made/a/socks");
    g_autofree char *mid = path("made/a");
    struct stat st;
    bool created = false;
    g_autoptr(GError) error = NULL;
    uid_t uid = (uid_t)-1;
    gid_t gid = (gid_t)-1;
    sockdir_trust_t t = trust;
    if (geteuid() == 0 && other_user(&uid, &gid))
        sockdir_trust_add(&t, uid);     /* as QEMU's user */
    /* a umask that would take every bit */
    mode_t old = umask(0777);
    bool ok = sockdir_make("gdbstub socket", d, &t, uid, gid, &created, &error);
    umask(old);
    g_assert_no_error(error);
    g_assert_true(ok);
    g_assert_true(created);
    g_assert_cmpint(lstat(d, &st), ==, 0);
    g_assert_true(S_ISDIR(st.st_mode));
    g_assert_cmpint(st.st_mode & 07777, ==, 0700);
    g_assert_cmpuint(st.st_uid, ==, uid == (uid_t)-1 ? geteuid() : uid);
    g_assert_cmpint(lstat(mid, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 07777, ==, 0755);
    g_assert_cmpuint(st.st_uid, ==, geteuid());
    expect_safe(d, &t);
    /* again: there already */
    g_assert_true(sockdir_make("gdbstub socket", d, &t, uid, gid, &created, &error));
    g_assert_false(created);

    /* an unsafe one is refused, not repaired */
    g_autofree char *open = mkdir_mode("open-made", 0777);
    g_assert_false(sockdir_make("gdbstub socket", open, &t, uid, gid, &created, &error));
    g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_PERM);
    g_assert_false(created);
    g_assert_cmpint(lstat(open, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 07777, ==, 0777);
}

/* A listening unix socket at @p (the descriptor is returned). */
static int make_socket(const char *p)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    g_assert_cmpuint(strlen(p), <, sizeof(sa.sun_path));
    strcpy(sa.sun_path, p);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    g_assert_cmpint(listen(fd, 1), ==, 0);
    return fd;
}

static void expect_socket(const char *p, const sockdir_trust_t *t, bool owner_trusted,
                          int code, const char *part)
{
    g_autoptr(GError) error = NULL;
    bool ok = sockdir_check_socket("gdbstub socket", p, t, owner_trusted, &error);
    if (!part) {
        g_assert_no_error(error);
        g_assert_true(ok);
        return;
    }
    g_assert_false(ok);
    g_assert_error(error, G_FILE_ERROR, code);
    g_test_message("%s", error->message);
    g_assert_nonnull(strstr(error->message, p));
    g_assert_nonnull(strstr(error->message, part));
}

static void test_socket(void)
{
    g_autofree char *d = mkdir_mode("sock", 0700);
    g_autofree char *s = g_build_filename(d, "g.sock", NULL);
    int fd = make_socket(s);
    expect_socket(s, &trust, false, 0, NULL);

    /* a link to it */
    g_autofree char *link = g_build_filename(d, "link.sock", NULL);
    g_assert_cmpint(symlink(s, link), ==, 0);
    expect_socket(link, &trust, false, G_FILE_ERROR_PERM, "it is a symbolic link");
    /* not a socket */
    g_autofree char *file = g_build_filename(d, "file", NULL);
    g_assert_true(g_file_set_contents(file, "", 0, NULL));
    expect_socket(file, &trust, false, G_FILE_ERROR_INVAL, "is not a socket");
    /* not there */
    g_autofree char *none = g_build_filename(d, "none.sock", NULL);
    expect_socket(none, &trust, false, G_FILE_ERROR_NOENT, "does not exist");
    g_autofree char *nodir = path("nodir/g.sock");
    expect_socket(nodir, &trust, false, G_FILE_ERROR_NOENT, "does not exist");

    /* in a directory everyone can enter: the socket's own mode decides
     * (connecting needs write permission on it) */
    g_autofree char *od = mkdir_mode("opensock", 0755);
    g_autofree char *os = g_build_filename(od, "g.sock", NULL);
    int ofd = make_socket(os);
    g_assert_cmpint(chmod(os, 0755), ==, 0);
    expect_socket(os, &trust, false, 0, NULL);
    g_assert_cmpint(chmod(os, 0777), ==, 0);
    expect_socket(os, &trust, false, G_FILE_ERROR_PERM,
                  "its directory '");
    expect_socket(os, &trust, false, G_FILE_ERROR_PERM, "gives every user access (mode 0755), "
                  "and the socket lets every user connect (mode 0777): make the directory mode "
                  "0700");
    g_assert_cmpint(chmod(os, 0702), ==, 0);
    expect_socket(os, &trust, false, G_FILE_ERROR_PERM, "lets every user connect (mode 0702)");
    /* ... a directory that is private makes the socket's mode irrelevant */
    g_autofree char *ps = g_build_filename(d, "p.sock", NULL);
    int pfd = make_socket(ps);
    g_assert_cmpint(chmod(ps, 0777), ==, 0);
    expect_socket(ps, &trust, false, 0, NULL);
    /* in a directory everyone can write: refused whatever the socket's mode
     * (anyone can put another in its place) */
    g_autofree char *wd = mkdir_mode("writesock", 0777);
    g_autofree char *ws = g_build_filename(wd, "g.sock", NULL);
    int wfd = make_socket(ws);
    g_assert_cmpint(chmod(ws, 0700), ==, 0);
    expect_socket(ws, &trust, false, G_FILE_ERROR_PERM, "its directory '");
    expect_socket(ws, &trust, false, G_FILE_ERROR_PERM, "is writable by every user (mode 0777)");
    /* in a directory under a loose parent */
    g_autofree char *lp = mkdir_mode("looseparent", 0777);
    g_autofree char *ld = g_build_filename(lp, "d", NULL);
    g_assert_cmpint(g_mkdir(ld, 0700), ==, 0);
    g_autofree char *ls = g_build_filename(ld, "g.sock", NULL);
    int lfd = make_socket(ls);
    expect_socket(ls, &trust, false, G_FILE_ERROR_PERM, "(on its path) is writable by every user");
    /* through a link to its directory */
    g_autofree char *dl = path("dirlink");
    g_assert_cmpint(symlink(d, dl), ==, 0);
    g_autofree char *vs = g_build_filename(dl, "g.sock", NULL);
    expect_socket(vs, &trust, false, G_FILE_ERROR_PERM, "its directory '");
    expect_socket(vs, &trust, false, G_FILE_ERROR_PERM, "is a symbolic link");

    uid_t uid;
    gid_t gid;
    if (need_root() && other_user(&uid, &gid)) {
        /* owned by someone untrusted */
        g_assert_cmpint(lchown(s, uid, gid), ==, 0);
        expect_socket(s, &trust, false, G_FILE_ERROR_PERM, "it is owned by nobody");
        /* the socket's owner as QEMU's user (no pid known) */
        expect_socket(s, &trust, true, 0, NULL);
        /* ... which does not make an open directory and socket fine */
        g_assert_cmpint(lchown(os, uid, gid), ==, 0);
        g_assert_cmpint(chmod(os, 0777), ==, 0);
        expect_socket(os, &trust, true, G_FILE_ERROR_PERM, "lets every user connect");
        /* group-writable, by a group with other members */
        g_assert_cmpint(lchown(os, 0, gid), ==, 0);
        g_assert_cmpint(chmod(os, 0775), ==, 0);
        expect_socket(os, &trust, false, G_FILE_ERROR_PERM, "and the socket lets group nogroup "
                      "connect (mode 0775), which has members other than root (");
    }
    close(fd);
    close(ofd);
    close(lfd);
    close(pfd);
    close(wfd);
}

#ifdef ENABLE_KVM
/* A unix socket at @p that nobody listens on: a connect() is refused at
 * once (no gdbstub to wait for), so an error that says so shows the
 * socket was accepted. */
static void bound_socket(const char *p)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    g_assert_cmpuint(strlen(p), <, sizeof(sa.sun_path));
    strcpy(sa.sun_path, p);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    close(fd);
}

/* vmi_init on the kvm driver with `gdb = @sock` (and @extra keys): fails,
 * with a code of @code and a message that has @part.  libvirt's test
 * driver (in this process) has no QEMU domain: the gdbstub is used alone,
 * whatever a libvirtd on the host runs. */
static void expect_driver(const char *sock, const char *extra, vmi_error_code_t code,
                          const char *part)
{
    g_autofree char *conf = g_strdup_printf("name = \"fake\"; uri = \"test:///default\"; "
                                            "gdb = \"%s\"; %s", sock, extra);
    vmi_instance_t vmi = NULL;
    g_assert_cmpint(vmi_init_custom(&vmi, VMI_KVM | VMI_INIT_PARTIAL | VMI_CONFIG_STRING,
                                    (vmi_config_t)conf), ==, VMI_FAILURE);
    const char *msg = vmi_get_last_error(NULL);
    g_test_message("%s", msg);
    g_assert_nonnull(strstr(msg, part));
    g_assert_cmpint(vmi_get_last_error_code(NULL), ==, code);
}

/* The kvm driver checks a configured gdbstub socket before it connects. */
static void test_driver(void)
{
    g_autofree char *good = mkdir_mode("drv-good", 0700);
    g_autofree char *sock = g_build_filename(good, "g.sock", NULL);
    bound_socket(sock);
    /* accepted: what fails is the connection */
    expect_driver(sock, "", VMI_ERR_IO, "cannot connect to gdbstub socket");

    g_autofree char *open = mkdir_mode("drv-open", 0777);
    g_autofree char *osock = g_build_filename(open, "g.sock", NULL);
    bound_socket(osock);
    expect_driver(osock, "", VMI_ERR_PERMISSION, "is writable by every user (mode 0777)");
    expect_driver(osock, "", VMI_ERR_PERMISSION, osock);

    /* a directory everyone can enter, and a socket everyone can write */
    g_autofree char *enter = mkdir_mode("drv-enter", 0755);
    g_autofree char *esock = g_build_filename(enter, "g.sock", NULL);
    bound_socket(esock);
    g_assert_cmpint(chmod(esock, 0777), ==, 0);
    expect_driver(esock, "", VMI_ERR_PERMISSION, "and the socket lets every user connect");
    /* ... one only its owner may write: accepted */
    g_assert_cmpint(chmod(esock, 0755), ==, 0);
    expect_driver(esock, "", VMI_ERR_IO, "cannot connect to gdbstub socket");

    g_autofree char *link = g_build_filename(good, "link.sock", NULL);
    g_assert_cmpint(symlink(sock, link), ==, 0);
    expect_driver(link, "", VMI_ERR_PERMISSION, "it is a symbolic link");

    g_autofree char *loose = mkdir_mode("drv-loose", 0777);
    g_autofree char *ld = g_build_filename(loose, "d", NULL);
    g_assert_cmpint(g_mkdir(ld, 0700), ==, 0);
    g_autofree char *lsock = g_build_filename(ld, "g.sock", NULL);
    bound_socket(lsock);
    expect_driver(lsock, "", VMI_ERR_PERMISSION, "(on its path) is writable by every user");

    uid_t uid;
    gid_t gid;
    if (!need_root() || !other_user(&uid, &gid))
        return;
    /* QEMU's user unknown (no pid): the socket's owner is taken for it */
    g_assert_cmpint(lchown(sock, uid, gid), ==, 0);
    expect_driver(sock, "", VMI_ERR_IO, "cannot connect to gdbstub socket");
    /* QEMU's pid known, and its user (root, here) is not the socket's owner */
    g_autofree char *pid = g_strdup_printf("pid = %d;", (int)getpid());
    expect_driver(sock, pid, VMI_ERR_PERMISSION, "it is owned by nobody (uid");
}
#endif

static void test_describe(void)
{
    sockdir_trust_t t;
    sockdir_trust_init(&t);
    g_autofree char *one = sockdir_trust_describe(&t, "or");
    g_assert_cmpstr(one, ==, "root");
    g_assert_true(sockdir_trust_add(&t, 0));
    g_assert_cmpuint(t.n, ==, 1);
    g_assert_true(sockdir_trust_add(&t, 4000000001u));
    g_autofree char *two = sockdir_trust_describe(&t, "or");
    g_assert_cmpstr(two, ==, "root or uid 4000000001");
    g_assert_true(sockdir_trust_add(&t, 4000000002u));
    g_autofree char *three = sockdir_trust_describe(&t, "and");
    g_assert_cmpstr(three, ==, "root, uid 4000000001 and uid 4000000002");
    g_assert_true(sockdir_trust_add(&t, 4000000003u));
    g_assert_false(sockdir_trust_add(&t, 4000000004u));
    g_assert_false(sockdir_trust_has(&t, 4000000004u));
}

static void rm_rf(const char *p)
{
    struct stat st;
    if (lstat(p, &st) < 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        chmod(p, 0700);
        GDir *dir = g_dir_open(p, 0, NULL);
        const char *name;
        while (dir && (name = g_dir_read_name(dir))) {
            g_autofree char *c = g_build_filename(p, name, NULL);
            rm_rf(c);
        }
        if (dir)
            g_dir_close(dir);
        rmdir(p);
    } else {
        unlink(p);
    }
}

int main(int argc, char **argv)
{
    struct stat root, tmp;
    g_test_init(&argc, &argv, NULL);
    /* the cases stand on / and /tmp as a Debian system has them */
    if (lstat("/", &root) < 0 || lstat("/tmp", &tmp) < 0 || root.st_uid != 0 || tmp.st_uid != 0 ||
        !S_ISDIR(tmp.st_mode) || (root.st_mode & 022) ||
        ((tmp.st_mode & 022) && !(tmp.st_mode & S_ISVTX))) {
        g_printerr("SKIP: / or /tmp is not root's, or is writable by others without the sticky bit\n");
        return 77;
    }
    base = g_strdup("/tmp/test-sockdir-XXXXXX");
    g_assert_nonnull(g_mkdtemp_full(base, 0700));
    sockdir_trust_init(&trust);
    sockdir_trust_add(&trust, geteuid());

    g_test_add_func("/sockdir/good", test_good);
    g_test_add_func("/sockdir/mode-0777", test_mode_0777);
    g_test_add_func("/sockdir/group", test_group);
    g_test_add_func("/sockdir/owner", test_owner);
    g_test_add_func("/sockdir/symlink", test_symlink);
    g_test_add_func("/sockdir/parent", test_parent);
    g_test_add_func("/sockdir/missing", test_missing);
    g_test_add_func("/sockdir/make", test_make);
    g_test_add_func("/sockdir/socket", test_socket);
    g_test_add_func("/sockdir/describe", test_describe);
#ifdef ENABLE_KVM
    g_test_add_func("/sockdir/kvm-driver", test_driver);
#endif
    int rc = g_test_run();
    rm_rf(base);
    g_free(base);
    if (rc == 0 && skipped) {
        g_printerr("SKIP: %d case(s) skipped (see above)\n", skipped);
        return 77;
    }
    return rc;
}
