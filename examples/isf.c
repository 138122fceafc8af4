/*
 * vmi-isf - a Volatility 3 symbol file (ISF) made from the guest itself:
 * types from the kernel's BTF and symbols from its kallsyms, both read from
 * guest memory, and the banner Volatility matches the file by.  No debug
 * kernel, no dwarf2json.
 *
 * Built against the library's internals (the Linux OS layer's state, the
 * kallsyms decoder and the BTF reader), as vmi-kernel-info is.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "common.h"
#include "os/linux/linux.h"
#include "os/linux/kallsyms.h"
#include "os/linux/btf.h"
#include "os/linux/isf_write.h"
#ifdef HAVE_LZMA
#include <lzma.h>
#endif

#define BANNER_MAX 1024

typedef struct {
    linux_data_t *ld;
} syms_ctx_t;

/* kallsyms -> link-time addresses: the KASLR slide taken off what lies in
 * the kernel's image range (per-CPU offsets are not relocated), as in a
 * System.map and a dwarf2json file; Volatility finds the slide itself. */
static bool get_sym(void *ctx, uint32_t i, char *name, size_t size, uint64_t *addr, char *type)
{
    syms_ctx_t *c = ctx;
    addr_t a;
    if (!ksyms_get(c->ld->ksyms, i, name, size, &a, type))
        return false;
    if (a >= X86_64_START_KERNEL_MAP)
        a -= c->ld->slide;
    *addr = a;
    return true;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static gboolean quiet;
static bool tty;    /* stderr is a terminal: progress in place */

static void progress(void *ctx, const char *stage, uint64_t done, uint64_t total)
{
    (void)ctx;
    if (!quiet && tty && total)
        fprintf(stderr, "\r%s: writing %s: %3u%%", g_get_prgname(), stage,
                (unsigned)(done * 100 / total));
}

/* linux_banner's bytes up to and with its NUL (Volatility scans memory for
 * exactly these bytes). */
static uint8_t *read_banner(vmi_instance_t vmi, linux_data_t *ld, size_t *len)
{
    addr_t va;
    if (!linux_sym(ld, "linux_banner", &va))
        return NULL;
    uint8_t *buf = g_malloc0(BANNER_MAX);
    for (size_t n = 0; n < BANNER_MAX; n += 64) {
        if (!linux_kread(vmi, va + n, buf + n, 64))
            break;
        uint8_t *nul = memchr(buf + n, 0, 64);
        if (nul) {
            *len = (size_t)(nul - buf) + 1;
            return buf;
        }
    }
    g_free(buf);
    return NULL;
}

static bool write_all(int fd, const void *data, size_t len)
{
    const uint8_t *p = data;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

#ifdef HAVE_LZMA
static bool write_xz(int fd, const GString *s, GError **error)
{
    lzma_stream strm = LZMA_STREAM_INIT;
    if (lzma_easy_encoder(&strm, 6, LZMA_CHECK_CRC64) != LZMA_OK) {
        g_set_error_literal(error, VMI_ERROR, VMI_ERROR_IO, "cannot start the xz encoder");
        return false;
    }
    uint8_t buf[1 << 16];
    strm.next_in = (const uint8_t *)s->str;
    strm.avail_in = s->len;
    lzma_ret r;
    do {
        strm.next_out = buf;
        strm.avail_out = sizeof(buf);
        r = lzma_code(&strm, LZMA_FINISH);
        if (r != LZMA_OK && r != LZMA_STREAM_END) {
            lzma_end(&strm);
            g_set_error(error, VMI_ERROR, VMI_ERROR_IO, "xz compression failed (%d)", (int)r);
            return false;
        }
        if (!write_all(fd, buf, sizeof(buf) - strm.avail_out)) {
            lzma_end(&strm);
            g_set_error(error, VMI_ERROR, VMI_ERROR_IO, "write: %s", g_strerror(errno));
            return false;
        }
    } while (r != LZMA_STREAM_END);
    lzma_end(&strm);
    return true;
}
#endif

/* Writes @s to @path ("-" or NULL: stdout) through a temporary file and a
 * rename, so that a failed run leaves no half file under the name. */
static bool output(const char *path, const GString *s, bool compress, GError **error)
{
    bool to_stdout = !path || strcmp(path, "-") == 0;
    g_autofree char *tmp = to_stdout ? NULL : g_strdup_printf("%s.tmp-%d", path, (int)getpid());
    int fd = to_stdout ? STDOUT_FILENO : open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_IO, "cannot write %s: %s", tmp, g_strerror(errno));
        return false;
    }
    bool ok;
    if (compress) {
#ifdef HAVE_LZMA
        ok = write_xz(fd, s, error);
#else
        g_set_error_literal(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                            "--compress: built without liblzma");
        ok = false;
#endif
    } else {
        ok = write_all(fd, s->str, s->len);
        if (!ok)
            g_set_error(error, VMI_ERROR, VMI_ERROR_IO, "write: %s", g_strerror(errno));
    }
    if (to_stdout)
        return ok;
    if (close(fd) != 0 && ok) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_IO, "cannot write %s: %s", path, g_strerror(errno));
        ok = false;
    }
    if (ok && rename(tmp, path) != 0) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_IO, "cannot rename %s to %s: %s", tmp, path,
                    g_strerror(errno));
        ok = false;
    }
    if (!ok)
        unlink(tmp);
    return ok;
}

int main(int argc, char **argv)
{
    common_opts_t opts = { 0 };
    char *out_path = NULL;
    gboolean compress = FALSE;
    GOptionEntry entries[] = {
        { "output", 'o', 0, G_OPTION_ARG_FILENAME, &out_path,
          "Write the ISF to FILE instead of stdout (written whole, then renamed)", "FILE" },
        { "compress", 'z', 0, G_OPTION_ARG_NONE, &compress,
          "Compress with xz (name the file *.json.xz: Volatility and libvmi read it)", NULL },
        { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "No progress and summary on stderr", NULL },
        { NULL }
    };
    GOptionContext *ctx = g_option_context_new("NAME - a Volatility 3 symbol file (ISF) "
                                               "made from the guest's own BTF and kallsyms");
    g_option_context_set_description(ctx,
        "NAME is a domain name or the path of a memory snapshot.  The kernel's types come\n"
        "from its BTF (CONFIG_DEBUG_INFO_BTF) and its symbols from its kallsyms tables, both\n"
        "read from guest memory; linux_banner is in the file, so Volatility 3 picks it for\n"
        "this kernel.  Symbol addresses are link-time ones (the KASLR slide taken off), as\n"
        "dwarf2json writes them; Volatility finds the slide itself.\n\n"
        "  vmi-isf web1 -o /var/lib/vol-symbols/linux/web1.json\n"
        "  vol -s /var/lib/vol-symbols -f web1.raw linux.pslist\n\n"
        "Exit status: 0 success, 1 failure, 2 usage error.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    common_add_options(ctx, &opts, false);
    common_parse(ctx, &argc, &argv, 1, 1);
    g_option_context_free(ctx);
#ifndef HAVE_LZMA
    if (compress) {
        fprintf(stderr, "%s: --compress: built without liblzma\n", g_get_prgname());
        return EXIT_USAGE;
    }
#endif

    tty = isatty(STDERR_FILENO);
    double t0 = now();
    vmi_instance_t vmi = common_open_linux(argv[1], &opts);
    if (!vmi)
        return EXIT_FAILED;
    linux_data_t *ld = linux_data(vmi);
    if (ld->syms_kind != LINUX_SYMS_KALLSYMS || !ld->ksyms) {
        fprintf(stderr, "%s: '%s': the symbols must come from the guest's kallsyms, but they "
                "come from %s (remove the sysmap/isf key from its configuration entry)\n",
                g_get_prgname(), argv[1], linux_syms_name(ld));
        vmi_destroy(vmi);
        return EXIT_FAILED;
    }
    uint64_t dummy;
    /* the BTF is read when first needed: ask for an offset */
    linux_struct_offset(vmi, ld, "task_struct", "comm", &dummy, NULL);
    if (!ld->btf) {
        fprintf(stderr, "%s: '%s': no BTF, so no types for the ISF: %s\n", g_get_prgname(),
                argv[1], ld->btf_error ? ld->btf_error : "the kernel's BTF could not be read");
        vmi_destroy(vmi);
        return EXIT_FAILED;
    }
    size_t banner_len = 0;
    g_autofree uint8_t *banner = read_banner(vmi, ld, &banner_len);
    if (!banner)
        fprintf(stderr, "%s: warning: linux_banner not readable: Volatility will not match "
                "the file by itself\n", g_get_prgname());
    double t_read = now();

    syms_ctx_t sc = { ld };
    isf_write_input_t in = {
        .btf = ld->btf,
        .nsyms = ksyms_count(ld->ksyms),
        .sym = get_sym,
        .sym_ctx = &sc,
        .banner = banner,
        .banner_len = banner_len,
        .producer = "vmi-isf",
        .producer_version = PACKAGE_VERSION,
        .progress = progress,
    };
    isf_write_stats_t st;
    GError *error = NULL;
    GString *json = isf_write_json(&in, &st, &error);
    if (!quiet && tty)
        fprintf(stderr, "\r\033[K");
    int rc = EXIT_OK;
    if (!json) {
        fprintf(stderr, "%s: %s\n", g_get_prgname(), error->message);
        g_clear_error(&error);
        rc = EXIT_FAILED;
    } else if (!output(out_path, json, compress, &error)) {
        fprintf(stderr, "%s: %s\n", g_get_prgname(), error->message);
        g_clear_error(&error);
        rc = EXIT_FAILED;
    } else if (!quiet) {
        g_autofree char *b = banner ? text_escape((const char *)banner) : g_strdup("(none)");
        g_strchomp(b);
        fprintf(stderr, "%s: %u user types, %u enums, %u base types, %u symbols (%u typed), "
                "%zu bytes of JSON%s; read %.2f s, written %.2f s\n"
                "%s: banner: %s\n", g_get_prgname(), st.user_types, st.enums, st.base_types,
                st.symbols, st.typed_symbols, json->len, compress ? " (before xz)" : "",
                t_read - t0, now() - t_read, g_get_prgname(), b);
        if (st.renamed || st.dropped || st.cut)
            fprintf(stderr, "%s: %u types renamed (name taken), %u duplicates left out, %u type "
                    "chains cut at depth %d\n", g_get_prgname(), st.renamed, st.dropped, st.cut,
                    ISF_WRITE_MAX_DEPTH);
    }
    if (json)
        g_string_free(json, TRUE);
    vmi_destroy(vmi);
    g_free(out_path);
    return rc;
}
