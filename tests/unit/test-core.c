/*
 * test-core.c - the public API on hermetic inputs: init from every config
 * source, and bad input (empty file, corrupt ELF, bad config) that must give
 * a clear error and no crash.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <elf.h>
#include <string.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
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

/* ---- the libvmi additions for vmi-helperd ------------------------------ */

static void test_read_entry_good(void)
{
    static const char conf[] =
        "# a comment\n"
        "other { ostype = \"Windows\"; }\n"
        "web1 {\n"
        "    ostype = \"Linux\";\n"
        "    sysmap = \"/boot/System.map-{6.1}\";   /* braces inside a string */\n"
        "    linux_tasks = 0x4c8;\n"
        "    linux_pid = 1240;\n"
        "    odd = \"a \\\"quoted\\\" back\\\\slash\";\n"
        "}\n"
        "\"name with spaces\" { ostype = \"Linux\" }\n";
    g_autofree char *path = write_file("entries.conf", conf, sizeof(conf) - 1);
    char *e = vmi_config_read_entry(path, "web1");
    g_assert_nonnull(e);
    /* sorted keys, numbers in hex, strings re-escaped */
    g_assert_cmpstr(e, ==,
                    "linux_pid = 0x4d8;\n"
                    "linux_tasks = 0x4c8;\n"
                    "odd = \"a \\\"quoted\\\" back\\\\slash\";\n"
                    "ostype = \"Linux\";\n"
                    "sysmap = \"/boot/System.map-{6.1}\";\n");
    /* what it returns is valid config text that means the same */
    g_autofree char *conf2 = g_strdup_printf("web1 {\n%s}\n", e);
    free(e);
    g_autofree char *path2 = write_file("entries2.conf", conf2, strlen(conf2));
    char *e2 = vmi_config_read_entry(path2, "web1");
    g_assert_nonnull(e2);
    g_assert_cmpstr(e2, ==,
                    "linux_pid = 0x4d8;\n"
                    "linux_tasks = 0x4c8;\n"
                    "odd = \"a \\\"quoted\\\" back\\\\slash\";\n"
                    "ostype = \"Linux\";\n"
                    "sysmap = \"/boot/System.map-{6.1}\";\n");
    free(e2);
    /* a quoted entry name */
    e = vmi_config_read_entry(path, "name with spaces");
    g_assert_cmpstr(e, ==, "ostype = \"Linux\";\n");
    free(e);
}

static void test_read_entry_missing(void)
{
    static const char conf[] = "web1 { ostype = \"Linux\"; }\n";
    g_autofree char *path = write_file("one.conf", conf, sizeof(conf) - 1);
    g_assert_null(vmi_config_read_entry(path, "web2"));
    g_assert_nonnull(strstr(vmi_get_last_error(NULL), "no entry for 'web2'"));
    g_assert_nonnull(strstr(vmi_get_last_error(NULL), path));
    g_assert_null(vmi_config_read_entry(path, ""));
    g_assert_null(vmi_config_read_entry(path, NULL));
    g_assert_nonnull(strstr(vmi_get_last_error(NULL), "no entry name"));
}

static void test_read_entry_missing_file(void)
{
    g_assert_null(vmi_config_read_entry("/nonexistent/libvmi.conf", "web1"));
    g_assert_nonnull(strstr(vmi_get_last_error(NULL), "/nonexistent/libvmi.conf"));
    g_assert_nonnull(strstr(vmi_get_last_error(NULL), "No such file"));
    /* NULL: the file vmi_init() reads; $LIBVMI_CONF points nowhere here */
    g_assert_null(vmi_config_read_entry(NULL, "web1"));
}

static void test_read_entry_syntax_error(void)
{
    static const char conf[] =
        "web1 {\n"
        "    ostype = \"Linux\";\n"
        "    inner { linux_pid = 1; }\n"     /* no nested entries */
        "}\n";
    g_autofree char *path = write_file("nested.conf", conf, sizeof(conf) - 1);
    g_assert_null(vmi_config_read_entry(path, "web1"));
    g_autofree char *want = g_strdup_printf("%s:3:", path);
    g_assert_nonnull(strstr(vmi_get_last_error(NULL), want));

    static const char bad_string[] = "web1 {\n\n ostype = \"Linux;\n}\n";
    g_autofree char *path2 = write_file("unterminated.conf", bad_string, sizeof(bad_string) - 1);
    g_assert_null(vmi_config_read_entry(path2, "web1"));
    g_autofree char *want2 = g_strdup_printf("%s:3:", path2);
    g_assert_nonnull(strstr(vmi_get_last_error(NULL), want2));

    /* a valid syntax with a value of the wrong type, in the entry asked for */
    static const char bad_type[] = "web1 {\n  ostype = \"Linux\";\n  linux_pid = \"x\";\n}\n";
    g_autofree char *path3 = write_file("badtype.conf", bad_type, sizeof(bad_type) - 1);
    g_assert_null(vmi_config_read_entry(path3, "web1"));
    g_autofree char *want3 = g_strdup_printf("%s:3:", path3);
    g_assert_nonnull(strstr(vmi_get_last_error(NULL), want3));
    g_assert_nonnull(strstr(vmi_get_last_error(NULL), "linux_pid"));
}

/* A minimal x86-64 ELF core as QEMU's dump-guest-memory writes it: one
 * NT_PRSTATUS note per vCPU and one PT_LOAD of @pages pages at 0. */
static char *write_elf_core(const char *name, unsigned ncpus, unsigned pages)
{
    const size_t prstatus = 336, note = 12 + 8 + prstatus;     /* "CORE\0" padded to 8 */
    const size_t phoff = sizeof(Elf64_Ehdr), noff = phoff + 2 * sizeof(Elf64_Phdr);
    const size_t moff = (noff + ncpus * note + 4095) & ~(size_t)4095;
    const size_t size = moff + (size_t)pages * 4096;
    guint8 *b = g_malloc0(size);
    Elf64_Ehdr *eh = (Elf64_Ehdr *)b;
    memcpy(eh->e_ident, ELFMAG, SELFMAG);
    eh->e_ident[EI_CLASS] = ELFCLASS64;
    eh->e_ident[EI_DATA] = ELFDATA2LSB;
    eh->e_ident[EI_VERSION] = EV_CURRENT;
    eh->e_type = ET_CORE;
    eh->e_machine = EM_X86_64;
    eh->e_version = EV_CURRENT;
    eh->e_phoff = phoff;
    eh->e_ehsize = sizeof(Elf64_Ehdr);
    eh->e_phentsize = sizeof(Elf64_Phdr);
    eh->e_phnum = 2;
    Elf64_Phdr *ph = (Elf64_Phdr *)(b + phoff);
    ph[0].p_type = PT_NOTE;
    ph[0].p_offset = noff;
    ph[0].p_filesz = ph[0].p_memsz = ncpus * note;
    ph[1].p_type = PT_LOAD;
    ph[1].p_offset = moff;
    ph[1].p_paddr = 0;
    ph[1].p_filesz = ph[1].p_memsz = (Elf64_Xword)pages * 4096;
    for (unsigned i = 0; i < ncpus; i++) {
        guint8 *n = b + noff + i * note;
        guint32 hdr[3] = { 5, (guint32)prstatus, NT_PRSTATUS };
        memcpy(n, hdr, sizeof(hdr));
        memcpy(n + 12, "CORE", 5);
        /* pr_pid, so that the vCPUs differ */
        guint32 pid = i + 1;
        memcpy(n + 20 + 32, &pid, sizeof(pid));
    }
    memcpy(b + moff + 4096 + 16, "elf guest", 10);
    char *path = write_file(name, b, size);
    g_free(b);
    return path;
}

static void test_ram_file_and_vcpus(void)
{
    for (unsigned ncpus = 1; ncpus <= 3; ncpus++) {
        g_autofree char *name = g_strdup_printf("core%u.elf", ncpus);
        g_autofree char *path = write_elf_core(name, ncpus, 4);
        vmi_instance_t vmi = NULL;
        g_assert_cmpint(vmi_init(&vmi, VMI_FILE | VMI_INIT_PARTIAL | VMI_CONFIG_NONE, path), ==,
                        VMI_SUCCESS);
        g_assert_cmpstr(vmi_get_access_path(vmi), ==, "file-elf");
        char *s = vmi_read_str_pa(vmi, 4096 + 16);
        g_assert_cmpstr(s, ==, "elf guest");
        free(s);
        /* the vCPUs are the NT_PRSTATUS notes */
        g_assert_cmpuint(vmi_get_num_vcpus(vmi), ==, ncpus);
        /* a snapshot is not a shared RAM file */
        g_assert_null(vmi_get_ram_file(vmi));
        vmi_destroy(vmi);
    }
    /* a raw image has no vCPU state at all */
    guint8 *img = g_malloc0(2 * 4096);
    g_autofree char *raw = write_file("vcpus.raw", img, 2 * 4096);
    g_free(img);
    vmi_instance_t vmi = NULL;
    g_assert_cmpint(vmi_init(&vmi, VMI_FILE | VMI_INIT_PARTIAL | VMI_CONFIG_NONE, raw), ==,
                    VMI_SUCCESS);
    g_assert_cmpuint(vmi_get_num_vcpus(vmi), ==, 0);
    g_assert_null(vmi_get_ram_file(vmi));
    vmi_destroy(vmi);
    /* no instance */
    g_assert_cmpuint(vmi_get_num_vcpus(NULL), ==, 0);
    g_assert_null(vmi_get_ram_file(NULL));
}

/* ------------------------------------------------------------ error kinds */

static void test_error_codes(void)
{
    vmi_instance_t vmi = NULL;
    /* init failures: the thread's code */
    g_assert_cmpint(vmi_init(&vmi, VMI_FILE | VMI_INIT_PARTIAL | VMI_CONFIG_NONE,
                             "/nonexistent/snapshot.raw"), ==, VMI_FAILURE);
    g_assert_cmpint(vmi_get_last_error_code(NULL), ==, VMI_ERR_NOT_FOUND);
    g_autofree char *empty = write_file("codes-empty.raw", "", 0);
    g_assert_cmpint(vmi_init(&vmi, VMI_FILE | VMI_INIT_PARTIAL | VMI_CONFIG_NONE, empty), ==,
                    VMI_FAILURE);
    g_assert_cmpint(vmi_get_last_error_code(NULL), ==, VMI_ERR_CORRUPT);
    g_assert_cmpint(vmi_init(&vmi, VMI_FILE | VMI_INIT_PARTIAL | VMI_CONFIG_NONE, NULL), ==,
                    VMI_FAILURE);
    g_assert_cmpint(vmi_get_last_error_code(NULL), ==, VMI_ERR_INVALID);
    g_assert_cmpint(vmi_init_custom(&vmi, VMI_FILE | VMI_INIT_PARTIAL | VMI_CONFIG_STRING,
                                    (vmi_config_t)"name = \"x\"; ostype = 7;"), ==, VMI_FAILURE);
    g_assert_cmpint(vmi_get_last_error_code(NULL), ==, VMI_ERR_INVALID);

    /* on an instance */
    g_autofree char *path = write_elf_core("codes.elf", 1, 4);
    g_assert_cmpint(vmi_init(&vmi, VMI_FILE | VMI_INIT_PARTIAL | VMI_CONFIG_NONE, path), ==,
                    VMI_SUCCESS);
    g_assert_cmpint(vmi_get_last_error_code(vmi), ==, VMI_ERR_NONE);
    reg_t v;
    g_assert_cmpint(vmi_get_vcpureg(vmi, &v, RIP, 5), ==, VMI_FAILURE);   /* no vCPU 5 */
    g_assert_cmpint(vmi_get_last_error_code(vmi), ==, VMI_ERR_NOT_FOUND);
    /* a vCPU that exists, a register the snapshot does not carry: not a
     * missing vCPU (the helper tells the two apart by the code) */
    g_assert_cmpint(vmi_get_vcpureg(vmi, &v, MSR_LSTAR, 0), ==, VMI_FAILURE);
    g_assert_cmpint(vmi_get_last_error_code(vmi), ==, VMI_ERR_UNSUPPORTED);
    guint32 w = 1;
    g_assert_cmpint(vmi_write_32_pa(vmi, 4096, &w), ==, VMI_FAILURE);      /* read-only */
    g_assert_cmpint(vmi_get_last_error_code(vmi), ==, VMI_ERR_PERMISSION);
    guint8 b[16];
    g_assert_cmpuint(vmi_read_pa(vmi, 1ull << 40, b, sizeof(b)), ==, 0);  /* not backed */
    g_assert_cmpint(vmi_get_last_error_code(vmi), ==, VMI_ERR_NOT_FOUND);
    g_assert_cmpint(vmi_shm_snapshot_create(vmi), ==, VMI_SUCCESS);
    /* a success leaves the last error as it was */
    g_assert_cmpint(vmi_get_last_error_code(vmi), ==, VMI_ERR_NOT_FOUND);
    vmi_destroy(vmi);

    guint8 *img = g_malloc0(2 * 4096);
    g_autofree char *raw = write_file("codes.raw", img, 2 * 4096);
    g_free(img);
    g_assert_cmpint(vmi_init(&vmi, VMI_FILE | VMI_INIT_PARTIAL | VMI_CONFIG_NONE, raw), ==,
                    VMI_SUCCESS);
    g_assert_cmpint(vmi_get_vcpureg(vmi, &v, CR3, 0), ==, VMI_FAILURE);  /* raw: no registers */
    g_assert_cmpint(vmi_get_last_error_code(vmi), ==, VMI_ERR_UNSUPPORTED);
    g_assert_cmpint(vmi_translate_ksym2v(vmi, "init_task"), ==, 0);      /* no OS layer */
    g_assert_cmpint(vmi_get_last_error_code(vmi), ==, VMI_ERR_UNSUPPORTED);
    vmi_destroy(vmi);
}

#ifdef ENABLE_KVM
/* A QMP "server" that accepts one client and then closes it at once
 * (@silent false: QEMU went away) or says nothing (@silent true). */
typedef struct {
    int fd;
    bool silent;
    char path[108];
} fake_qmp_t;

static gpointer fake_qmp_main(gpointer data)
{
    fake_qmp_t *f = data;
    int c = accept(f->fd, NULL, NULL);
    if (c >= 0 && f->silent) {
        char buf[256];
        /* until the client gives up */
        while (read(c, buf, sizeof(buf)) > 0)
            ;
    }
    if (c >= 0)
        close(c);
    return NULL;
}

static vmi_error_code_t kvm_init_code(bool silent)
{
    fake_qmp_t f = { .silent = silent };
    g_snprintf(f.path, sizeof(f.path), "%s/qmp-%d.sock", tmpdir, silent);
    f.fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    g_strlcpy(sa.sun_path, f.path, sizeof(sa.sun_path));
    g_assert_cmpint(bind(f.fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    g_assert_cmpint(listen(f.fd, 1), ==, 0);
    GThread *t = g_thread_new("fake-qmp", fake_qmp_main, &f);
    g_autofree char *conf = g_strdup_printf("name = \"fake\"; qmp = \"%s\";", f.path);
    vmi_instance_t vmi = NULL;
    g_assert_cmpint(vmi_init_custom(&vmi, VMI_KVM | VMI_INIT_PARTIAL | VMI_CONFIG_STRING,
                                    (vmi_config_t)conf), ==, VMI_FAILURE);
    if (g_test_verbose())
        g_test_message("%s", vmi_get_last_error(NULL));
    vmi_error_code_t code = vmi_get_last_error_code(NULL);
    g_thread_join(t);
    close(f.fd);
    unlink(f.path);
    return code;
}

static void test_error_codes_kvm(void)
{
    /* QEMU closes the monitor: gone */
    g_assert_cmpint(kvm_init_code(false), ==, VMI_ERR_GONE);
    /* QEMU says nothing: no answer in time (the driver waits 5 s) */
    g_assert_cmpint(kvm_init_code(true), ==, VMI_ERR_TIMEOUT);
    /* no socket at all */
    vmi_instance_t vmi = NULL;
    g_assert_cmpint(vmi_init_custom(&vmi, VMI_KVM | VMI_INIT_PARTIAL | VMI_CONFIG_STRING,
                                    (vmi_config_t)"name = \"fake\"; qmp = \"/nonexistent/q\";"),
                    ==, VMI_FAILURE);
    g_assert_cmpint(vmi_get_last_error_code(NULL), ==, VMI_ERR_IO);
}
#endif

/* ------------------------------------------------------------ shrinking files */

static sigjmp_buf own_jump;
static volatile sig_atomic_t own_calls;

static void own_bus_handler(int sig)
{
    (void)sig;
    own_calls++;
    siglongjmp(own_jump, 1);
}

/* A snapshot truncated under the library's mapping: reads of the vanished
 * part fail with an error for that instance; the process lives on, reads
 * of what is left still work, and a SIGBUS outside the library still
 * reaches the program's own handler. */
static void test_shrinking_file(void)
{
    const size_t size = 1 << 20, cut = 64 << 10;
    guint8 *img = g_malloc(size);
    for (size_t i = 0; i < size; i++)
        img[i] = (guint8)(i * 7 + (i >> 12));
    g_autofree char *path = write_file("shrink.raw", img, size);

    /* the program's own SIGBUS handler, there before libvmi */
    struct sigaction own = { .sa_handler = own_bus_handler }, saved;
    sigemptyset(&own.sa_mask);
    g_assert_cmpint(sigaction(SIGBUS, &own, &saved), ==, 0);

    vmi_instance_t vmi = NULL;
    g_assert_cmpint(vmi_init(&vmi, VMI_FILE | VMI_INIT_PARTIAL | VMI_CONFIG_NONE, path), ==,
                    VMI_SUCCESS);
    guint8 *buf = g_malloc(64 << 10);
    g_assert_cmpuint(vmi_read_pa(vmi, 512 << 10, buf, 64 << 10), ==, 64 << 10);
    g_assert_cmpmem(buf, 64 << 10, img + (512 << 10), 64 << 10);
    g_assert_cmpint(truncate(path, cut), ==, 0);

    /* a large read (through the mapping) of the part that is gone */
    g_assert_cmpuint(vmi_read_pa(vmi, 512 << 10, buf, 64 << 10), ==, 0);
    g_assert_cmpint(vmi_get_last_error_code(vmi), ==, VMI_ERR_IO);
    g_assert_nonnull(strstr(vmi_get_last_error(vmi), "shrank"));
    /* a read across the new end gets the bytes before it */
    g_assert_cmpuint(vmi_read_pa(vmi, cut - 8192, buf, 16384), ==, 8192);
    g_assert_cmpmem(buf, 8192, img + cut - 8192, 8192);
    /* a small read (the copy path) of the vanished part */
    guint64 v = 0;
    g_assert_cmpint(vmi_read_64_pa(vmi, 768 << 10, &v), ==, VMI_FAILURE);
    /* what is left still reads */
    g_assert_cmpuint(vmi_read_pa(vmi, 0, buf, cut), ==, cut);
    g_assert_cmpmem(buf, cut, img, cut);
    own_calls = 0;
    g_assert_cmpint(own_calls, ==, 0);  /* libvmi handled its faults itself */

    /* a fault of the program's own is the program's */
    int fd = open(path, O_RDWR);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(ftruncate(fd, 2 * 4096), ==, 0);
    volatile guint8 *m = mmap(NULL, 4 * 4096, PROT_READ, MAP_SHARED, fd, 0);
    g_assert_true(m != MAP_FAILED);
    g_assert_cmpint(ftruncate(fd, 4096), ==, 0);
    if (sigsetjmp(own_jump, 1) == 0) {
        guint8 x = m[3 * 4096];
        (void)x;
        g_assert_not_reached();
    }
    g_assert_cmpint(own_calls, ==, 1);
    munmap((void *)m, 4 * 4096);
    close(fd);

    /* the instance still answers on what is left */
    g_assert_cmpuint(vmi_read_pa(vmi, 0, buf, 4096), ==, 4096);
    vmi_destroy(vmi);
    g_free(buf);
    g_free(img);
    sigaction(SIGBUS, &saved, NULL);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    tmpdir = g_dir_make_tmp("test-core-XXXXXX", NULL);
    g_setenv("LIBVMI_CONF", "/nonexistent/libvmi.conf", TRUE);
    g_test_add_func("/core/empty-file", test_empty_file);
    g_test_add_func("/core/missing-file", test_missing_file);
    g_test_add_func("/core/raw-partial", test_raw_partial);
    g_test_add_func("/core/config-read-entry/good", test_read_entry_good);
    g_test_add_func("/core/config-read-entry/missing-entry", test_read_entry_missing);
    g_test_add_func("/core/config-read-entry/missing-file", test_read_entry_missing_file);
    g_test_add_func("/core/config-read-entry/syntax-error", test_read_entry_syntax_error);
    g_test_add_func("/core/ram-file-and-vcpus", test_ram_file_and_vcpus);
    g_test_add_func("/core/error-codes", test_error_codes);
#ifdef ENABLE_KVM
    g_test_add_func("/core/error-codes/kvm", test_error_codes_kvm);
#endif
    g_test_add_func("/core/shrinking-file", test_shrinking_file);
    int rc = g_test_run();
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    return rc;
}
