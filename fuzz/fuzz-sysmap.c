/*
 * fuzz-sysmap.c - the System.map reader (sysmap.c) on arbitrary text: the
 * lookups libvmi makes at init (a batch of names, one name) and the reverse
 * lookup, with names and addresses taken from the input itself so that the
 * fuzzer can reach the matches.  Checks: a name found by the batch lookup
 * is found alone at the same address; sysmap_nearest() never returns a
 * symbol above the address asked for; the map read from a file answers
 * exactly as the same map held in memory.
 *
 * The file is read in chunks of 1 to 1023 bytes (1 to 64 for a quarter of
 * the inputs) and, for a quarter, lines longer than 1 to 128 bytes are
 * skipped (sysmap_set_sizes;
 * the sizes come from the input): inputs of at most 1 KiB (fuzz/
 * sysmap.options) thus reach every chunk boundary and the long-line skip,
 * which at the real sizes (256 KiB, 4 KiB) would need far larger inputs.
 * The file map answers the batch lookup and one of the reverse lookups
 * (chosen by the input); the memory map answers all of them.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include "fuzz-common.h"
#include "sysmap.h"

/* The map's file: on /dev/shm when there is one (an open there is a plain
 * tmpfs lookup, and relatime spares the atime updates that each read of a
 * memfd makes), removed at exit; one left by a target that crashed is
 * removed by the next. */
#define FILE_PREFIX "libvmi-fuzz-sysmap-"
static int memfd = -1;
static char path[128];

static void remove_file(void)
{
    unlink(path);
}

static void remove_stale(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    if (!d)
        return;
    const char *name;
    while ((name = g_dir_read_name(d))) {
        if (!g_str_has_prefix(name, FILE_PREFIX))
            continue;
        long pid = strtol(name + strlen(FILE_PREFIX), NULL, 10);
        if (pid > 0 && kill((pid_t)pid, 0) < 0 && errno == ESRCH) {
            g_autofree char *stale = g_build_filename(dir, name, NULL);
            unlink(stale);
        }
    }
    g_dir_close(d);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init(argc, argv);
    const char *dir = g_file_test("/dev/shm", G_FILE_TEST_IS_DIR) ? "/dev/shm" : g_get_tmp_dir();
    remove_stale(dir);
    snprintf(path, sizeof(path), "%s/" FILE_PREFIX "%d", dir, (int)getpid());
    memfd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (memfd < 0)
        abort();
    atexit(remove_file);
    return 0;
}

/* The same map as a file (NULL when @size is 0: sysmap_open refuses an
 * empty file). */
static sysmap_t *as_file(const uint8_t *data, size_t size)
{
    if (ftruncate(memfd, 0) < 0 || pwrite(memfd, data, size, 0) != (ssize_t)size)
        abort();
    GError *err = NULL;
    sysmap_t *m = sysmap_open(path, &err);
    FUZZ_CHECK((m == NULL) == (size == 0));
    if (err)
        g_error_free(err);
    return m;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* sizes and the file's reverse lookup, from a few bytes of the input */
    uint32_t h = fuzz_pick(data, size);
    size_t chunk = (h >> 4) % 4 == 0 ? 1 + h % 64 : 64 + h % 960;
    size_t max_line = (h >> 8) % 4 == 0 ? 1 + (h >> 10) % 128 : 4096;
    unsigned file_probe = (h >> 17) % 5;

    sysmap_t *map = sysmap_new_from_text((const char *)data, size);
    sysmap_set_sizes(map, 256 * 1024, max_line);
    sysmap_t *fmap = as_file(data, size);
    if (fmap)
        sysmap_set_sizes(fmap, chunk, max_line);

    /* Names to look up: fixed ones, plus the last word of the input's
     * first line (a name the map may well hold). */
    char *copy = fuzz_strdup(data, size < 256 ? size : 256);
    char *nl = strchr(copy, '\n');
    if (nl)
        *nl = '\0';
    char *sp = strrchr(copy, ' ');
    const char *own = sp ? sp + 1 : copy;
    const char *names[] = { "init_task", "swapper_pg_dir", "_text", "linux_banner", own, "" };
    enum { N = G_N_ELEMENTS(names) };
    addr_t addrs[N] = { 0 };
    bool found[N] = { false };

    size_t n = sysmap_lookup_many(map, names, N, addrs, found);
    if (fmap) {
        addr_t faddrs[N] = { 0 };
        bool ffound[N] = { false };
        FUZZ_CHECK(sysmap_lookup_many(fmap, names, N, faddrs, ffound) == n);
        for (size_t i = 0; i < N; i++)
            FUZZ_CHECK(ffound[i] == found[i] && (!found[i] || faddrs[i] == addrs[i]));
    }
    size_t count = 0;
    for (size_t i = 0; i < N; i++) {
        if (!found[i])
            continue;
        count++;
        addr_t a = 0;
        FUZZ_CHECK(sysmap_lookup(map, names[i], &a));
        FUZZ_CHECK(a == addrs[i]);
    }
    FUZZ_CHECK(n == count);

    addr_t probes[] = { 0, ~(addr_t)0, addrs[0], addrs[4] + 1, 0xffffffff81000000ull };
    for (size_t i = 0; i < G_N_ELEMENTS(probes); i++) {
        addr_t at = 0;
        char *name = sysmap_nearest(map, probes[i], &at);
        if (name)
            FUZZ_CHECK(at <= probes[i]);
        if (fmap && i == file_probe) {
            addr_t fat = 0;
            char *fname = sysmap_nearest(fmap, probes[i], &fat);
            FUZZ_CHECK((fname == NULL) == (name == NULL));
            FUZZ_CHECK(!name || (strcmp(fname, name) == 0 && fat == at));
            g_free(fname);
        }
        g_free(name);
    }
    g_free(copy);
    sysmap_free(map);
    sysmap_free(fmap);
    return 0;
}
