/*
 * vmi-dump-memory - write a guest's physical memory as a raw image to a
 * file, a pipe or a device (offset = physical address; unbacked ranges
 * stay holes in a regular file and are zeros elsewhere).  Memory use is
 * one chunk, whatever the guest's size.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common.h"

#define CHUNK (1u << 20)
/* The most zeros written for holes to an output that cannot seek. */
#define MAX_ZERO_FILL (64ull << 30)

/* Writes @len bytes at offset @at of a regular file, or next on anything
 * else (a pipe, a device): all of them, or false with errno set. */
static bool put(int fd, bool seekable, const unsigned char *p, size_t len, uint64_t at)
{
    while (len > 0) {
        ssize_t n = seekable ? pwrite(fd, p, len, (off_t)at) : write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return false;
        }
        p += n;
        len -= (size_t)n;
        at += (uint64_t)n;
    }
    return true;
}

/* Memory stays bounded whatever the guest's size: the pages of the
 * snapshot or RAM file that this chunk mapped into us are dropped from our
 * address space (they stay in the page cache; a later access maps them
 * again).  Drivers without a mapping (process, gdbstub) have nothing to
 * drop. */
static void drop_behind(vmi_instance_t vmi, uint64_t pa, size_t len)
{
    static bool no_mapping;
    long page = sysconf(_SC_PAGESIZE);
    for (size_t off = 0; off < len && !no_mapping;) {
        void *p = NULL;
        size_t n = vmi_get_dgpma(vmi, pa + off, &p, len - off);
        if (n == 0) {
            no_mapping = vmi_get_last_error_code(vmi) == VMI_ERR_UNSUPPORTED;
            off += 4096;        /* a hole: on to the next page */
            continue;
        }
        uintptr_t lo = (uintptr_t)p & ~(uintptr_t)(page - 1);
        uintptr_t hi = (uintptr_t)p + n;
        madvise((void *)lo, hi - lo, MADV_DONTNEED);
        off += n;
    }
}

int main(int argc, char **argv)
{
    common_opts_t opts = { 0 };
    gboolean progress = FALSE, quiet = FALSE;
    GOptionEntry entries[] = {
        { "progress", 'p', 0, G_OPTION_ARG_NONE, &progress, "Show progress even when stderr is not a terminal", NULL },
        { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "No progress output", NULL },
        { NULL }
    };
    GOptionContext *ctx = g_option_context_new("NAME FILE - dump a guest's physical memory to FILE");
    g_option_context_set_description(ctx,
        "NAME is a domain name or the path of a memory snapshot. FILE receives a raw\n"
        "image: the byte at offset X is the guest-physical byte X; ranges that are not\n"
        "backed by guest RAM are left as holes (sparse) in a regular file, and written\n"
        "as zeros to a pipe or a device. FILE may be '-' (standard output), a pipe or\n"
        "a device such as /dev/null. Progress goes to stderr.\n\n"
        "Exit status: 0 success, 1 failure, 2 usage error.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    common_add_options(ctx, &opts, false);
    common_parse(ctx, &argc, &argv, 2, 2);
    g_option_context_free(ctx);

    opts.partial = TRUE;
    vmi_instance_t vmi = common_open(argv[1], &opts);
    if (!vmi)
        return EXIT_FAILED;
    /* "-" is standard output; any other FILE is opened for writing, created
     * if missing: a regular file gets holes for unbacked ranges, anything
     * else (a pipe, /dev/null, a device) gets the bytes in order, with zeros
     * for the holes. */
    const char *out = argv[2];
    bool to_stdout = strcmp(out, "-") == 0;
    int fd = to_stdout ? STDOUT_FILENO : open(out, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        fprintf(stderr, "%s: cannot open '%s': %s\n", g_get_prgname(), out, strerror(errno));
        vmi_destroy(vmi);
        return EXIT_FAILED;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        fprintf(stderr, "%s: '%s': %s\n", g_get_prgname(), out, strerror(errno));
        vmi_destroy(vmi);
        return EXIT_FAILED;
    }
    bool seekable = S_ISREG(st.st_mode);
    if (seekable && ftruncate(fd, 0) < 0) {
        fprintf(stderr, "%s: cannot truncate '%s': %s\n", g_get_prgname(), out, strerror(errno));
        vmi_destroy(vmi);
        return EXIT_FAILED;
    }
    uint64_t size = vmi_get_max_physical_address(vmi);
    uint64_t ram = MIN((uint64_t)vmi_get_memsize(vmi), size);
    /* Holes cost nothing in a regular file, but a pipe or a device gets
     * them as zeros: an address space far beyond the RAM (an ELF segment
     * at 2^63) would never end there. */
    if (size > (uint64_t)INT64_MAX || (!seekable && size - ram > MAX_ZERO_FILL)) {
        fprintf(stderr, "%s: the guest's physical address space ends at 0x%" PRIx64 " with %" PRIu64
                " MiB of RAM: %s\n", g_get_prgname(), size, ram >> 20,
                size > (uint64_t)INT64_MAX ? "no file can hold that image"
                : "a pipe or device would get the holes as zeros; write to a regular file, where "
                  "they stay holes");
        vmi_destroy(vmi);
        return EXIT_FAILED;
    }
    bool show = !quiet && (progress || isatty(STDERR_FILENO));
    unsigned char *buf = g_malloc(CHUNK);
    uint64_t copied = 0;
    int rc = EXIT_OK, last_pct = -1;
    vmi_pause_vm(vmi);
    for (uint64_t pa = 0; pa < size && rc == EXIT_OK;) {
        /* the next run of memory that holds data; what lies before it is a
         * hole (skipped in a regular FILE, zeros elsewhere) */
        addr_t from = size, to = size;
        if (vmi_get_backed_range(vmi, pa, &from, &to) != VMI_SUCCESS || from > size)
            from = to = size;
        to = MIN(to, size);
        bool failed = false;
        if (!seekable) {
            memset(buf, 0, CHUNK);
            for (uint64_t z = pa; z < from && !failed; z += MIN((uint64_t)CHUNK, from - z))
                failed = !put(fd, false, buf, MIN((uint64_t)CHUNK, from - z), z);
        }
        for (pa = from; pa < to && !failed; pa += MIN((uint64_t)CHUNK, to - pa)) {
            size_t want = MIN((uint64_t)CHUNK, to - pa);
            /* vmi_read_pa stops at the first byte it cannot read: that page
             * is a hole too (a hole in a regular FILE, zeros elsewhere: the
             * chunk then goes out in one write) */
            size_t off = 0;
            while (off < want && !failed) {
                size_t n = vmi_read_pa(vmi, pa + off, buf + off, want - off);
                if (n > 0) {
                    copied += n;
                    if (seekable)
                        failed = !put(fd, true, buf + off, n, pa + off);
                    off += n;
                    continue;
                }
                size_t hole = MIN(4096 - ((pa + off) & 4095), want - off);
                if (!seekable)
                    memset(buf + off, 0, hole);
                off += hole;
            }
            if (!seekable && !failed)
                failed = !put(fd, false, buf, want, pa);
            drop_behind(vmi, pa, want);
            int pct = (int)((double)(pa + want) * 100.0 / (double)size);
            if (show && pct != last_pct) {
                fprintf(stderr, "\r%s: %3d%% (%" PRIu64 " of %" PRIu64 " MiB)", g_get_prgname(), pct,
                        (pa + want) >> 20, size >> 20);
                last_pct = pct;
            }
        }
        if (failed) {
            fprintf(stderr, "%s%s: writing '%s' failed: %s\n", show ? "\n" : "", g_get_prgname(),
                    out, strerror(errno));
            rc = EXIT_FAILED;
        }
        pa = MAX(pa, to);
    }
    vmi_resume_vm(vmi);
    /* a regular file ends where memory ends, even after a trailing hole */
    if (rc == EXIT_OK && seekable && ftruncate(fd, (off_t)size) < 0) {
        fprintf(stderr, "%s: cannot size '%s': %s\n", g_get_prgname(), out, strerror(errno));
        rc = EXIT_FAILED;
    }
    if (show)
        fputc('\n', stderr);
    if (close(fd) < 0 && rc == EXIT_OK) {
        fprintf(stderr, "%s: closing '%s' failed: %s\n", g_get_prgname(), out, strerror(errno));
        rc = EXIT_FAILED;
    }
    if (rc == EXIT_OK && !quiet)
        fprintf(stderr, "%s: wrote %" PRIu64 " bytes of guest memory (%" PRIu64 " bytes of RAM) to %s\n",
                g_get_prgname(), size, copied, to_stdout ? "standard output" : out);
    g_free(buf);
    vmi_destroy(vmi);
    return rc;
}
