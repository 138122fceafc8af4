/*
 * test-core.c - the public API on hermetic inputs: init from every config
 * source, and bad input (empty file, corrupt ELF, bad config) that must give
 * a clear error and no crash.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <libvmi.h>

static char *tmpdir;

static char *write_file(const char *name, const void *data, size_t len)
{
    char *path = g_build_filename(tmpdir, name, NULL);
    g_assert_true(g_file_set_contents(path, data, len, NULL));
    return path;
}

static void test_empty_file(void)
{
    g_autofree char *path = write_file("empty.raw", "", 0);
    vmi_instance_t vmi = NULL;
    g_assert_cmpint(vmi_init(&vmi, VMI_FILE | VMI_INIT_PARTIAL | VMI_CONFIG_NONE, path), ==, VMI_FAILURE);
    g_assert_null(vmi);
    g_assert_nonnull(strstr(vmi_get_last_error(NULL), "is empty"));
}

static void test_missing_file(void)
{
    vmi_instance_t vmi = NULL;
    g_assert_cmpint(vmi_init(&vmi, VMI_FILE | VMI_INIT_PARTIAL | VMI_CONFIG_NONE,
                             "/nonexistent/snapshot.raw"), ==, VMI_FAILURE);
    g_assert_nonnull(strstr(vmi_get_last_error(NULL), "No such file"));
}

static void test_raw_partial(void)
{
    guint8 *img = g_malloc0(3 * 4096);
    memcpy(img + 4096 + 100, "hello guest", 12);
    g_autofree char *path = write_file("small.raw", img, 3 * 4096);
    g_free(img);
    vmi_instance_t vmi = NULL;
    g_assert_cmpint(vmi_init(&vmi, VMI_AUTO | VMI_INIT_PARTIAL | VMI_CONFIG_NONE, path), ==, VMI_SUCCESS);
    g_assert_cmpuint(vmi_get_access_mode(vmi), ==, VMI_FILE);
    g_assert_cmpstr(vmi_get_access_path(vmi), ==, "file-raw");
    g_assert_cmpuint(vmi_get_memsize(vmi), ==, 3 * 4096);
    char *s = vmi_read_str_pa(vmi, 4096 + 100);
    g_assert_cmpstr(s, ==, "hello guest");
    free(s);
    guint8 buf[8192];
    /* reads stop short at the end of memory */
    g_assert_cmpuint(vmi_read_pa(vmi, 2 * 4096, buf, sizeof(buf)), ==, 4096);
    guint32 v = 0x12345678;
    g_assert_cmpint(vmi_write_32_pa(vmi, 0, &v), ==, VMI_FAILURE);
    g_assert_nonnull(strstr(vmi_get_last_error(vmi), "read-only"));
    reg_t cr3;
    g_assert_cmpint(vmi_get_vcpureg(vmi, &cr3, CR3, 0), ==, VMI_FAILURE);
    g_assert_nonnull(strstr(vmi_get_last_error(vmi), "no vCPU registers"));
    g_assert_cmpuint(vmi_translate_kv2p(vmi, 0xffffffff81000000ull), ==, 0);
    vmi_destroy(vmi);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    tmpdir = g_dir_make_tmp("test-core-XXXXXX", NULL);
    g_setenv("LIBVMI_CONF", "/nonexistent/libvmi.conf", TRUE);
    g_test_add_func("/core/empty-file", test_empty_file);
    g_test_add_func("/core/missing-file", test_missing_file);
    g_test_add_func("/core/raw-partial", test_raw_partial);
    int rc = g_test_run();
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    return rc;
}
