/*
 * test-sysmap.c - the System.map reader: lookups by name and by address,
 * and a map read from a file answering exactly as the same text held in
 * memory, whatever the read size and however long the lines.
 */
#include <string.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>
#include "sysmap.h"

static const char map_text[] =
    "ffffffff81000000 T _text\n"
    "ffffffff81000000 T startup_64\n"
    "ffffffff81000040 t secondary_startup_64\r\n"
    "ffffffff82000000 D init_task\tvmlinux\n"
    "not a symbol line\n"
    "ffffffff82000000 D init_task_again_at_same_address\n"
    "ffffffff82a00000 D init_task\n"                   /* a second init_task: the first wins */
    "00000000 A zero\n"
    "ffffffff83000000 R linux_banner   \n"
    "ffffffff84000000 B __bss_start";                  /* no newline at the end */

static char *write_tmp(const char *text, size_t len)
{
    char *path = NULL;
    int fd = g_file_open_tmp("test-sysmap-XXXXXX", &path, NULL);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(write(fd, text, len), ==, (ssize_t)len);
    close(fd);
    return path;
}

static void test_lookups(void)
{
    sysmap_t *m = sysmap_new_from_text(map_text, strlen(map_text));
    const char *names[] = { "init_task", "_text", "linux_banner", "__bss_start", "zero", "nosuch" };
    addr_t a[6];
    bool f[6];
    g_assert_cmpuint(sysmap_lookup_many(m, names, 6, a, f), ==, 5);
    g_assert_cmphex(a[0], ==, 0xffffffff82000000ull);
    g_assert_cmphex(a[1], ==, 0xffffffff81000000ull);
    g_assert_cmphex(a[2], ==, 0xffffffff83000000ull);
    g_assert_cmphex(a[3], ==, 0xffffffff84000000ull);
    g_assert_cmphex(a[4], ==, 0);
    g_assert_false(f[5]);
    addr_t at;
    g_autofree char *n1 = sysmap_nearest(m, 0xffffffff81000041ull, &at);
    g_assert_cmpstr(n1, ==, "secondary_startup_64");
    g_assert_cmphex(at, ==, 0xffffffff81000040ull);
    /* the first symbol at an address wins */
    g_autofree char *n2 = sysmap_nearest(m, 0xffffffff81000001ull, &at);
    g_assert_cmpstr(n2, ==, "_text");
    sysmap_free(m);
}

/* Every answer of @file and @mem agree for the names and addresses of
 * map_text and a few more. */
static void assert_same(const sysmap_t *file, const sysmap_t *mem, const char *what)
{
    const char *names[] = { "init_task", "_text", "linux_banner", "__bss_start", "zero",
                            "evil", "startup_64", "init_task_again_at_same_address" };
    enum { N = G_N_ELEMENTS(names) };
    addr_t fa[N], ma[N];
    bool ff[N], mf[N];
    size_t fn = sysmap_lookup_many(file, names, N, fa, ff);
    size_t mn = sysmap_lookup_many(mem, names, N, ma, mf);
    if (fn != mn)
        g_error("%s: the file map finds %zu names, the memory map %zu", what, fn, mn);
    for (size_t i = 0; i < N; i++)
        if (ff[i] != mf[i] || (ff[i] && fa[i] != ma[i]))
            g_error("%s: '%s' differs", what, names[i]);
    addr_t probes[] = { 0, 0x1000, 0xffffffff81000040ull, 0xffffffff82100000ull,
                        0xffffffff90000000ull, ~(addr_t)0 };
    for (size_t i = 0; i < G_N_ELEMENTS(probes); i++) {
        addr_t fat = 0, mat = 0;
        g_autofree char *fs = sysmap_nearest(file, probes[i], &fat);
        g_autofree char *ms = sysmap_nearest(mem, probes[i], &mat);
        if (g_strcmp0(fs, ms) != 0 || fat != mat)
            g_error("%s: nearest to 0x%" G_GINT64_MODIFIER "x: '%s' in the file, '%s' in memory",
                    what, probes[i], fs ? fs : "(none)", ms ? ms : "(none)");
    }
}

/* A line longer than the 256 KiB read buffer whose tail reads like a
 * symbol: the file reader used to drop the first 256 KiB of it and then
 * take the rest as a line of its own, where the memory map skips the
 * whole line. */
/* The type letter comes with the address; nearest lookups pass over
 * absolute ('A') symbols, which are no place in the image. */
static void test_types(void)
{
    static const char text[] = "0000000000006000 A cpu_tss_rw\n"
                               "ffffffff81000000 T _text\n"
                               "ffffffff82000000 D init_task\n";
    sysmap_t *m = sysmap_new_from_text(text, sizeof(text) - 1);
    const char *names[] = { "init_task", "cpu_tss_rw", "nope" };
    addr_t a[3];
    char t[3] = { 0 };
    bool f[3];
    g_assert_cmpuint(sysmap_lookup_many_typed(m, names, 3, a, t, f), ==, 2);
    g_assert_true(f[0] && f[1] && !f[2]);
    g_assert_cmpint(t[0], ==, 'D');
    g_assert_cmpint(t[1], ==, 'A');
    g_assert_cmphex(a[1], ==, 0x6000);
    addr_t one = 0;
    char ty = 0;
    g_assert_true(sysmap_lookup_typed(m, "_text", &one, &ty));
    g_assert_cmpint(ty, ==, 'T');
    addr_t at = 1;
    char *near = sysmap_nearest(m, 0x7000, &at);
    g_assert_null(near);
    near = sysmap_nearest(m, 0xffffffff81000010ULL, &at);
    g_assert_cmpstr(near, ==, "_text");
    g_free(near);
    sysmap_free(m);
}

static void test_long_line(void)
{
    GString *t = g_string_new("ffffffff81000000 T _text\n");
    for (int i = 0; i < 256 * 1024; i++)
        g_string_append_c(t, 'x');
    g_string_append(t, "ffffffff8f000000 T evil\nffffffff83000000 R linux_banner\n");
    g_autofree char *path = write_tmp(t->str, t->len);
    g_autoptr(GError) err = NULL;
    sysmap_t *file = sysmap_open(path, &err);
    g_assert_no_error(err);
    sysmap_t *mem = sysmap_new_from_text(t->str, t->len);
    addr_t a;
    g_assert_false(sysmap_lookup(mem, "evil", &a));
    g_assert_false(sysmap_lookup(file, "evil", &a));
    g_assert_true(sysmap_lookup(file, "linux_banner", &a));
    assert_same(file, mem, "256 KiB line");
    sysmap_free(file);
    sysmap_free(mem);
    g_unlink(path);
    g_string_free(t, TRUE);
}

/* Reads of every size from 1 byte, with the line limit at its default and
 * below the length of some lines: the file answers as memory does. */
static void test_chunks(void)
{
    /* a line longer than the default limit before map_text */
    GString *longer = g_string_new("ffffffff81000000 T _text\n");
    for (int i = 0; i < 5000; i++)
        g_string_append_c(longer, 'y');
    g_string_append(longer, "ffffffff8f000000 T evil\n");
    g_string_append(longer, map_text);
    g_autofree char *path = write_tmp(longer->str, longer->len);
    size_t limits[] = { 4096, 64, 30, 24, 1 };
    for (size_t l = 0; l < G_N_ELEMENTS(limits); l++) {
        sysmap_t *mem = sysmap_new_from_text(longer->str, longer->len);
        sysmap_set_sizes(mem, 256 * 1024, limits[l]);
        for (size_t chunk = 1; chunk <= 300; chunk += chunk < 80 ? 1 : 37) {
            g_autoptr(GError) err = NULL;
            sysmap_t *file = sysmap_open(path, &err);
            g_assert_no_error(err);
            sysmap_set_sizes(file, chunk, limits[l]);
            g_autofree char *what = g_strdup_printf("chunk %zu, lines up to %zu", chunk, limits[l]);
            assert_same(file, mem, what);
            sysmap_free(file);
        }
        sysmap_free(mem);
    }
    g_unlink(path);
    g_string_free(longer, TRUE);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sysmap/lookups", test_lookups);
    g_test_add_func("/sysmap/types", test_types);
    g_test_add_func("/sysmap/long-line", test_long_line);
    g_test_add_func("/sysmap/chunks", test_chunks);
    return g_test_run();
}
