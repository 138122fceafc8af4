/*
 * vmi-dump-memory - write a guest's physical memory to a raw image file
 * (file offset = physical address; unbacked ranges stay holes).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common.h"

#define CHUNK (1u << 20)

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
        "backed by guest RAM are left as holes (sparse). Progress goes to stderr.\n\n"
        "Exit status: 0 success, 1 failure, 2 usage error.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    common_add_options(ctx, &opts, false);
    common_parse(ctx, &argc, &argv, 2, 2);
    g_option_context_free(ctx);

    opts.partial = TRUE;
    vmi_instance_t vmi = common_open(argv[1], &opts);
    if (!vmi)
        return EXIT_FAILED;
    int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        fprintf(stderr, "%s: cannot create '%s': %s\n", g_get_prgname(), argv[2], strerror(errno));
        vmi_destroy(vmi);
        return EXIT_FAILED;
    }
    uint64_t size = vmi_get_max_physical_address(vmi);
    bool show = !quiet && (progress || isatty(STDERR_FILENO));
    unsigned char *buf = g_malloc(CHUNK);
    uint64_t copied = 0;
    int rc = EXIT_OK, last_pct = -1;
    vmi_pause_vm(vmi);
    for (uint64_t pa = 0; pa < size; pa += CHUNK) {
        size_t want = MIN((uint64_t)CHUNK, size - pa);
        /* page by page so that holes are skipped, not fatal; only pages that
         * were read are written, so holes stay holes in FILE */
        bool whole = true, failed = false;
        for (size_t off = 0; off < want; off += 4096) {
            size_t n = MIN(4096, want - off);
            if (vmi_read_pa(vmi, pa + off, buf + off, n) == n) {
                copied += n;
                if (!whole && pwrite(fd, buf + off, n, pa + off) != (ssize_t)n)
                    failed = true;
            } else if (whole) {
                /* write what came before the first hole of this chunk */
                whole = false;
                if (off && pwrite(fd, buf, off, pa) != (ssize_t)off)
                    failed = true;
            }
        }
        if (whole && pwrite(fd, buf, want, pa) != (ssize_t)want)
            failed = true;
        if (failed) {
            fprintf(stderr, "\n%s: writing '%s' failed: %s\n", g_get_prgname(), argv[2], strerror(errno));
            rc = EXIT_FAILED;
            break;
        }
        int pct = (int)((pa + want) * 100 / size);
        if (show && pct != last_pct) {
            fprintf(stderr, "\r%s: %3d%% (%" PRIu64 " of %" PRIu64 " MiB)", g_get_prgname(), pct,
                    (pa + want) >> 20, size >> 20);
            last_pct = pct;
        }
    }
    vmi_resume_vm(vmi);
    if (rc == EXIT_OK && ftruncate(fd, (off_t)size) < 0) {
        fprintf(stderr, "%s: cannot size '%s': %s\n", g_get_prgname(), argv[2], strerror(errno));
        rc = EXIT_FAILED;
    }
    if (show)
        fputc('\n', stderr);
    if (close(fd) < 0 && rc == EXIT_OK) {
        fprintf(stderr, "%s: closing '%s' failed: %s\n", g_get_prgname(), argv[2], strerror(errno));
        rc = EXIT_FAILED;
    }
    if (rc == EXIT_OK && !quiet)
        fprintf(stderr, "%s: wrote %" PRIu64 " bytes of guest memory (%" PRIu64 " bytes of RAM) to %s\n",
                g_get_prgname(), size, copied, argv[2]);
    g_free(buf);
    vmi_destroy(vmi);
    return rc;
}
