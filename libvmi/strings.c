/*
 * strings.c - NUL-terminated guest strings, Windows UNICODE_STRINGs and
 * encoding conversion (iconv through GLib).  Strings handed to the caller
 * come from malloc(), as the classic API documents ("caller frees").
 */
#include <stdlib.h>
#include <string.h>
#include "private.h"

/* Reads bytes until a NUL, at most VMI_MAX_STRING, one page piece at a
 * time.  @reader reads a piece at @addr; returns bytes read. */
typedef size_t (*piece_reader_t)(vmi_instance_t vmi, addr_t addr, vmi_pid_t pid, void *buf,
                                 size_t count);

static size_t read_pa_piece(vmi_instance_t vmi, addr_t addr, vmi_pid_t pid, void *buf, size_t count)
{
    return vmi_read_pa(vmi, addr, buf, count);
}

static char *read_str_held(vmi_instance_t vmi, addr_t addr, vmi_pid_t pid, piece_reader_t reader);

static char *read_str(vmi_instance_t vmi, addr_t addr, vmi_pid_t pid, piece_reader_t reader)
{
    vmi_hold(vmi);
    char *s = read_str_held(vmi, addr, pid, reader);
    vmi_release(vmi);
    return s;
}

static char *read_str_held(vmi_instance_t vmi, addr_t addr, vmi_pid_t pid, piece_reader_t reader)
{
    GByteArray *acc = g_byte_array_new();
    uint8_t piece[VMI_PAGE_SIZE];
    while (acc->len < VMI_MAX_STRING) {
        size_t want = VMI_PAGE_SIZE - ((addr + acc->len) & ~VMI_PAGE_MASK);
        size_t n = reader(vmi, addr + acc->len, pid, piece, want);
        const uint8_t *nul = n ? memchr(piece, 0, n) : NULL;
        if (nul) {
            g_byte_array_append(acc, piece, nul - piece);
            char *out = malloc(acc->len + 1);
            if (out) {
                memcpy(out, acc->data, acc->len);
                out[acc->len] = '\0';
            }
            g_byte_array_unref(acc);
            return out;
        }
        if (n < want) {
            /* the reader recorded why */
            g_byte_array_unref(acc);
            return NULL;
        }
        g_byte_array_append(acc, piece, n);
    }
    vmi_errorc(vmi, VMI_ERR_CORRUPT, "string at 0x%" G_GINT64_MODIFIER "x has no terminator within %d bytes",
               (guint64)addr, VMI_MAX_STRING);
    g_byte_array_unref(acc);
    return NULL;
}

char *vmi_read_str_pa(vmi_instance_t vmi, addr_t paddr)
{
    return vmi ? read_str(vmi, paddr, 0, read_pa_piece) : NULL;
}

char *vmi_read_str_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid)
{
    return vmi ? read_str(vmi, vaddr, pid, vmi_read_va__5) : NULL;
}

char *vmi_read_str_ksym(vmi_instance_t vmi, char *sym)
{
    addr_t va = vmi_translate_ksym2v(vmi, sym);
    return va ? vmi_read_str_va(vmi, va, 0) : NULL;
}

unicode_string_t *vmi_read_unicode_str_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid)
{
    uint16_t length = 0;
    addr_t buffer = 0;
    if (!vmi)
        return NULL;
    /* UNICODE_STRING { USHORT Length; USHORT MaximumLength; PVOID Buffer; },
     * Buffer aligned to the pointer size. */
    size_t width = vmi->address_width ? vmi->address_width : 8;
    if (vmi_read_16_va(vmi, vaddr, pid, &length) != VMI_SUCCESS ||
        vmi_read_addr_va(vmi, vaddr + width, pid, &buffer) != VMI_SUCCESS)
        return NULL;
    if (length % 2) {
        vmi_errorc(vmi, VMI_ERR_CORRUPT, "UNICODE_STRING at 0x%" G_GINT64_MODIFIER "x has an odd length %u",
                   (guint64)vaddr, length);
        return NULL;
    }
    unicode_string_t *us = calloc(1, sizeof(*us));
    if (!us)
        return NULL;
    us->contents = calloc(1, (size_t)length + 2);
    if (!us->contents) {
        free(us);
        return NULL;
    }
    if (length && vmi_read_va__5(vmi, buffer, pid, us->contents, length) != length) {
        free(us->contents);
        free(us);
        return NULL;
    }
    us->length = length;
    us->encoding = "UTF-16";
    return us;
}

status_t vmi_convert_str_encoding(const unicode_string_t *in, unicode_string_t *out,
                                  const char *outencoding)
{
    if (!in || !out || !outencoding || !in->encoding || (!in->contents && in->length))
        return VMI_FAILURE;
    gsize written = 0;
    GError *error = NULL;
    /* UTF-16 without a byte order mark is little-endian on x86 guests. */
    const char *from = g_ascii_strcasecmp(in->encoding, "UTF-16") == 0 ? "UTF-16LE" : in->encoding;
    char *conv = g_convert((const char *)in->contents, in->length, outencoding, from, NULL,
                           &written, &error);
    if (!conv) {
        vmi_set_error(NULL, error);
        return VMI_FAILURE;
    }
    out->contents = malloc(written + 4);
    if (!out->contents) {
        g_free(conv);
        return VMI_FAILURE;
    }
    memcpy(out->contents, conv, written);
    memset(out->contents + written, 0, 4);
    g_free(conv);
    out->length = written;
    out->encoding = outencoding;
    return VMI_SUCCESS;
}

void vmi_free_unicode_str(unicode_string_t *p_us)
{
    if (!p_us)
        return;
    free(p_us->contents);
    free(p_us);
}
