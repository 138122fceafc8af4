/*
 * vmifs - a guest's memory as files: FUSE 3 over libvmi.
 *
 *   vmifs NAME|SNAPSHOT MOUNTPOINT [options]
 *
 * Lifecycle: the command line is checked, then (unless -f) the process
 * forks: the parent waits until the child has opened the guest and
 * mounted, prints nothing more and exits with the child's status, so that
 * errors reach the terminal and scripts get an honest exit code.  The
 * child detaches.  A probe thread notices a guest that went away and ends
 * the FUSE loop (exit code VMIFS_EXIT_GONE).
 */
#define FUSE_USE_VERSION 35
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <fuse_lowlevel.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "vmifs.h"

#define PROBE_INTERVAL_US (500 * 1000)

typedef struct {
    char *name;
    char *mountpoint;
    char *config;
    int writable;
    int verbose;
    int help;
    int version;
    unsigned list_ttl_ms;
    unsigned lookup_ttl_ms;
} options_t;

enum { KEY_HELP, KEY_VERSION, KEY_WRITABLE, KEY_RW };

#define OPT(t, p) { t, offsetof(options_t, p), 1 }
static const struct fuse_opt option_spec[] = {
    OPT("--config=%s", config),
    OPT("-c %s", config),
    OPT("--verbose", verbose),
    OPT("-v", verbose),
    OPT("list_ttl=%u", list_ttl_ms),
    OPT("lookup_ttl=%u", lookup_ttl_ms),
    FUSE_OPT_KEY("--writable", KEY_WRITABLE),
    FUSE_OPT_KEY("-w", KEY_WRITABLE),
    FUSE_OPT_KEY("rw", KEY_RW),
    FUSE_OPT_KEY("-h", KEY_HELP),
    FUSE_OPT_KEY("--help", KEY_HELP),
    FUSE_OPT_KEY("-V", KEY_VERSION),
    FUSE_OPT_KEY("--version", KEY_VERSION),
    FUSE_OPT_END
};

static int opt_proc(void *data, const char *arg, int key, struct fuse_args *outargs)
{
    options_t *o = data;
    switch (key) {
    case KEY_WRITABLE:
        o->writable = 1;
        return 0;
    case KEY_RW:
        o->writable = 1;
        return 1;           /* and the kernel gets "rw" */
    case KEY_HELP:
        o->help = 1;
        return 0;
    case KEY_VERSION:
        o->version = 1;
        return 0;
    case FUSE_OPT_KEY_NONOPT:
        if (!o->name) {
            o->name = strdup(arg);
            return 0;
        }
        if (!o->mountpoint) {
            o->mountpoint = strdup(arg);
            return 1;       /* fuse_parse_cmdline takes it from there */
        }
        fprintf(stderr, "vmifs: too many arguments ('%s')\nTry 'vmifs --help'.\n", arg);
        return -1;
    default:
        return 1;
    }
}

static void usage(void)
{
    printf("Usage: vmifs NAME|SNAPSHOT MOUNTPOINT [options]\n"
           "\n"
           "Mounts the memory of a guest (a libvmi domain name, or the path of a memory\n"
           "snapshot) as files:\n"
           "  MOUNTPOINT/mem               guest physical memory (offset = physical address)\n"
           "  MOUNTPOINT/proc/PID/mem      virtual memory of process PID (offset = address)\n"
           "  MOUNTPOINT/proc/PID/cmdline  its argv, NUL separated\n"
           "  MOUNTPOINT/proc/PID/comm     its name\n"
           "  MOUNTPOINT/proc/PID/maps     its memory areas, as in Linux's /proc/PID/maps\n"
           "\n"
           "vmifs options:\n"
           "  -c FILE, --config=FILE  read the guest's entry from FILE, not the global libvmi.conf\n"
           "  -w, --writable, -o rw   allow writes to mem and proc/PID/mem (default: read-only)\n"
           "  -v, --verbose           say how the guest was reached\n"
           "  -o list_ttl=MS          process list for a directory listing at most MS old (1000)\n"
           "  -o lookup_ttl=MS        process list for a PID lookup at most MS old (0: always fresh)\n"
           "  -h, --help              this text\n"
           "  -V, --version           version\n"
           "\n"
           "Exit status: 0 unmounted (fusermount3 -u, SIGINT/SIGTERM), 1 failure, 2 usage\n"
           "error, 3 the guest went away (vmifs unmounted itself).  See vmifs(1).\n"
           "\n"
           "FUSE options:\n");
    fuse_cmdline_help();
}

/* ------------------------------------------------------------- probe */

typedef struct {
    vmifs_t *c;
    struct fuse *fuse;
    pthread_t main_thread;
    int stop_pipe[2];
} probe_t;

static void wake_handler(int sig)
{
    (void)sig;      /* only interrupts the FUSE loop's wait */
}

/* Notices a guest that went away: libvmi marks the instance gone when
 * QEMU exits, and every access then fails with VMI_ERR_GONE.  One byte of
 * the first backed page is read every PROBE_INTERVAL_US, under the lock. */
static void *probe_main(void *data)
{
    probe_t *pr = data;
    vmifs_t *c = pr->c;
    for (;;) {
        struct timeval tv = { 0, PROBE_INTERVAL_US };
        fd_set fds;
        FD_ZERO(&fds);
        FD_SET(pr->stop_pipe[0], &fds);
        int n = select(pr->stop_pipe[0] + 1, &fds, NULL, NULL, &tv);
        if (n > 0)
            return NULL;            /* the mount is ending */
        bool gone = g_atomic_int_get(&c->gone);
        if (!gone) {
            pthread_mutex_lock(&c->lock);
            addr_t s = 0, e = 0;
            uint8_t b;
            size_t got = 0;
            if (vmi_get_backed_range(c->vmi, 0, &s, &e) == VMI_SUCCESS)
                vmi_read_pa(c->vmi, s, 1, &b, &got);
            if (got != 1)
                gone = vmifs_check_gone(c);
            pthread_mutex_unlock(&c->lock);
        }
        if (gone) {
            fprintf(stderr, "vmifs: %s: unmounting\n",
                    c->gone_reason ? c->gone_reason : "the guest went away");
            fuse_exit(pr->fuse);
            /* the loop waits in a read or a semaphore: a signal ends the wait */
            pthread_kill(pr->main_thread, SIGUSR1);
            return NULL;
        }
    }
}

/* --------------------------------------------------------------- open */

static vmi_instance_t open_guest(const options_t *o)
{
    vmi_instance_t vmi = NULL;
    if (o->config)
        g_setenv("LIBVMI_CONF", o->config, TRUE);
    if (vmi_init(&vmi, VMI_AUTO | VMI_INIT_COMPLETE, o->name) == VMI_FAILURE) {
        fprintf(stderr, "vmifs: cannot open '%s': %s\n", o->name, vmi_get_last_error(NULL));
        return NULL;
    }
    if (o->verbose)
        fprintf(stderr, "vmifs: '%s' through %s, %" G_GUINT64_FORMAT " MiB of RAM, physical "
                "address space up to 0x%" G_GINT64_MODIFIER "x\n", o->name,
                vmi_get_access_path(vmi), (guint64)(vmi_get_memsize(vmi) >> 20),
                (guint64)vmi_get_max_physical_address(vmi));
    return vmi;
}

/* Daemon: the parent's end of the status pipe; -1 in the foreground. */
static int status_fd = -1;

static void report_status(int code)
{
    if (status_fd >= 0) {
        unsigned char b = (unsigned char)code;
        if (write(status_fd, &b, 1) != 1)
            (void)0;        /* the parent is gone: nobody to tell */
        close(status_fd);
        status_fd = -1;
    }
}

static void detach(void)
{
    if (setsid() < 0)
        (void)0;            /* already a session leader */
    if (chdir("/") < 0)
        (void)0;
    int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
        dup2(fd, STDIN_FILENO);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        if (fd > STDERR_FILENO)
            close(fd);
    }
}

int main(int argc, char **argv)
{
    struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
    options_t o = { .list_ttl_ms = 1000, .lookup_ttl_ms = 0 };
    g_set_prgname("vmifs");
    if (fuse_opt_parse(&args, &o, option_spec, opt_proc) == -1)
        return VMIFS_EXIT_USAGE;
    if (o.help) {
        usage();
        return VMIFS_EXIT_OK;
    }
    if (o.version) {
        printf("vmifs (libvmi) %s, FUSE %s\n", PACKAGE_VERSION, fuse_pkgversion());
        return VMIFS_EXIT_OK;
    }
    if (!o.name || !o.mountpoint) {
        fprintf(stderr, "vmifs: %s\nUsage: vmifs NAME|SNAPSHOT MOUNTPOINT [options]\n"
                "Try 'vmifs --help'.\n", o.name ? "no mount point given" : "no guest given");
        return VMIFS_EXIT_USAGE;
    }
    struct stat st;
    errno = 0;
    if (stat(o.mountpoint, &st) < 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "vmifs: mount point '%s': %s\n", o.mountpoint,
                errno ? strerror(errno) : "not a directory");
        return VMIFS_EXIT_FAILED;
    }
    /* read-only unless asked: the kernel itself then refuses writes (EROFS) */
    if (!o.writable)
        fuse_opt_add_arg(&args, "-oro");
    fuse_opt_add_arg(&args, "-ofsname=vmifs");
    struct fuse_cmdline_opts fo;
    if (fuse_parse_cmdline(&args, &fo) != 0)
        return VMIFS_EXIT_USAGE;
    if (access("/dev/fuse", R_OK | W_OK) < 0) {
        fprintf(stderr, "vmifs: /dev/fuse: %s (is the fuse module loaded? fuse3 installed?)\n",
                strerror(errno));
        return VMIFS_EXIT_FAILED;
    }

    if (!fo.foreground) {
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0) {
            fprintf(stderr, "vmifs: pipe: %s\n", strerror(errno));
            return VMIFS_EXIT_FAILED;
        }
        pid_t pid = fork();
        if (pid < 0) {
            fprintf(stderr, "vmifs: fork: %s\n", strerror(errno));
            return VMIFS_EXIT_FAILED;
        }
        if (pid > 0) {
            close(p[1]);
            unsigned char b;
            ssize_t n;
            do
                n = read(p[0], &b, 1);
            while (n < 0 && errno == EINTR);
            _exit(n == 1 ? b : VMIFS_EXIT_FAILED);
        }
        close(p[0]);
        status_fd = p[1];
    }

    /* Signals reach the FUSE loop's thread only: the threads libvmi and
     * this program start inherit a mask that blocks them. */
    sigset_t sigs, old;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGHUP);
    sigaddset(&sigs, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &sigs, &old);

    vmifs_t c = { .writable = o.writable != 0 };
    pthread_mutex_init(&c.lock, NULL);
    c.list_ttl_us = (gint64)o.list_ttl_ms * 1000;
    c.lookup_ttl_us = (gint64)o.lookup_ttl_ms * 1000;
    c.vmi = open_guest(&o);
    if (!c.vmi) {
        report_status(VMIFS_EXIT_FAILED);
        return VMIFS_EXIT_FAILED;
    }
    c.live = vmi_get_access_mode(c.vmi) != VMI_FILE;
    c.mem_size = vmi_get_max_physical_address(c.vmi);
    vmifs_load_offsets(&c);
    if (!c.have_mm || !c.have_args)
        fprintf(stderr, "vmifs: warning: %s%s%s unknown for this kernel: processes show no "
                "memory or command line\n", !c.have_mm ? "task_struct.mm" : "",
                !c.have_mm && !c.have_args ? " and " : "",
                !c.have_args ? "mm_struct.arg_start/arg_end" : "");

    struct fuse *fuse = fuse_new(&args, vmifs_operations(), sizeof(struct fuse_operations), &c);
    if (!fuse) {
        fprintf(stderr, "vmifs: bad FUSE options (see vmifs --help)\n");
        vmi_destroy(c.vmi);
        report_status(VMIFS_EXIT_USAGE);
        return VMIFS_EXIT_USAGE;
    }
    if (fuse_mount(fuse, fo.mountpoint) != 0) {
        fprintf(stderr, "vmifs: cannot mount on '%s' (see the message above)\n", fo.mountpoint);
        fuse_destroy(fuse);
        vmi_destroy(c.vmi);
        report_status(VMIFS_EXIT_FAILED);
        return VMIFS_EXIT_FAILED;
    }
    struct fuse_session *se = fuse_get_session(fuse);
    fuse_set_signal_handlers(se);
    struct sigaction sa = { .sa_handler = wake_handler };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);

    probe_t pr = { .c = &c, .fuse = fuse, .main_thread = pthread_self() };
    pthread_t probe;
    bool probing = false;
    if (c.live && pipe2(pr.stop_pipe, O_CLOEXEC) == 0)
        probing = pthread_create(&probe, NULL, probe_main, &pr) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);

    if (o.verbose)
        fprintf(stderr, "vmifs: '%s' mounted on %s (%s, mem %" G_GUINT64_FORMAT " bytes)\n",
                o.name, fo.mountpoint, c.writable ? "writable" : "read-only",
                (guint64)c.mem_size);
    if (!fo.foreground) {
        detach();
        report_status(VMIFS_EXIT_OK);
    }

    int rc;
    if (fo.singlethread) {
        rc = fuse_loop(fuse);
    } else {
        struct fuse_loop_config *lc = fuse_loop_cfg_create();
        fuse_loop_cfg_set_clone_fd(lc, (unsigned)fo.clone_fd);
        fuse_loop_cfg_set_max_threads(lc, fo.max_threads);
        rc = fuse_loop_mt(fuse, lc);
        fuse_loop_cfg_destroy(lc);
    }
    (void)rc;       /* a signal's number, or an error of the loop: ours is below */

    if (probing) {
        if (write(pr.stop_pipe[1], "x", 1) != 1)
            (void)0;
        pthread_join(probe, NULL);
        close(pr.stop_pipe[0]);
        close(pr.stop_pipe[1]);
    }
    int code = g_atomic_int_get(&c.gone) ? VMIFS_EXIT_GONE : VMIFS_EXIT_OK;
    fuse_remove_signal_handlers(se);
    fuse_unmount(fuse);
    fuse_destroy(fuse);
    vmi_destroy(c.vmi);
    g_free(c.procs);
    g_free(c.gone_reason);
    free(fo.mountpoint);
    fuse_opt_free_args(&args);
    free(o.name);
    free(o.mountpoint);
    free(o.config);
    return code;
}
