/*
 * strings.c - NUL-terminated guest strings (bytes and UTF-16), Windows
 * UNICODE_STRINGs and encoding conversion (iconv through GLib).  Strings
 * handed to the caller come from malloc(), as both API generations document
 * ("caller frees").
 */
#include <stdlib.h>
#include <string.h>
#include "private.h"

/* Reads units of @unit bytes (1 or 2) until a zero unit, at most
 * VMI_MAX_STRING bytes, one page piece at a time.  The result has a zero
 * unit at its end. */
static void *read_terminated(vmi_instance_t vmi, const vmi_target_t *t, addr_t addr, size_t unit)
{
    GByteArray *acc = g_byte_array_new();
    uint8_t piece[VMI_PAGE_SIZE];
    void *out = NULL;
    vmi_hold(vmi);
    while (acc->len < VMI_MAX_STRING) {
        size_t want = VMI_PAGE_SIZE - ((addr + acc->len) & ~VMI_PAGE_MASK);
        size_t n = vmi_access(vmi, t, addr + acc->len, piece, want, false);
        size_t end = n;
        bool found = false;
        /* a unit may straddle two pieces: look only at whole units */
        for (size_t i = (unit - acc->len % unit) % unit; i + unit <= n; i += unit) {
            if (piece[i] == 0 && (unit == 1 || piece[i + 1] == 0)) {
                end = i;
                found = true;
                break;
            }
        }
        if (found) {
            g_byte_array_append(acc, piece, end);
            out = malloc(acc->len + unit);
            if (out) {
                if (acc->len)   /* an empty array has no data (NULL) */
                    memcpy(out, acc->data, acc->len);
                memset((uint8_t *)out + acc->len, 0, unit);
            }
            break;
        }
        if (n < want)
            break;      /* the access recorded why */
        g_byte_array_append(acc, piece, n);
    }
    if (!out && acc->len >= VMI_MAX_STRING)
        vmi_errorc(vmi, VMI_ERR_CORRUPT, "string at 0x%" G_GINT64_MODIFIER "x has no terminator "
                   "within %d bytes", (guint64)addr, VMI_MAX_STRING);
    vmi_release(vmi);
    g_byte_array_unref(acc);
    return out;
}

static const vmi_target_t physical = { .virt = false };

char *vmi_read_str_pa(vmi_instance_t vmi, addr_t paddr)
{
    return vmi ? read_terminated(vmi, &physical, paddr, 1) : NULL;
}

uint16_t *vmi_read_wstr_pa(vmi_instance_t vmi, addr_t paddr)
{
    return vmi ? read_terminated(vmi, &physical, paddr, 2) : NULL;
}

char *vmi_read_str_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid)
{
    vmi_target_t t;
    return vmi && vmi_target_pid(vmi, pid, &t) ? read_terminated(vmi, &t, vaddr, 1) : NULL;
}

uint16_t *vmi_read_wstr_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid)
{
    vmi_target_t t;
    return vmi && vmi_target_pid(vmi, pid, &t) ? read_terminated(vmi, &t, vaddr, 2) : NULL;
}

char *vmi_read_str_ksym(vmi_instance_t vmi, const char *sym)
{
    addr_t va = vmi_translate_ksym2v__2(vmi, sym);
    return va ? vmi_read_str_va(vmi, va, 0) : NULL;
}

char *vmi_read_str(vmi_instance_t vmi, const access_context_t *ctx)
{
    vmi_target_t t;
    addr_t addr;
    return vmi && vmi_target_ctx(vmi, ctx, &t, &addr) ? read_terminated(vmi, &t, addr, 1) : NULL;
}

uint16_t *vmi_read_wstr(vmi_instance_t vmi, const access_context_t *ctx)
{
    vmi_target_t t;
    addr_t addr;
    return vmi && vmi_target_ctx(vmi, ctx, &t, &addr) ? read_terminated(vmi, &t, addr, 2) : NULL;
}

/* UNICODE_STRING { USHORT Length; USHORT MaximumLength; PVOID Buffer; },
 * Buffer aligned to the pointer size @width. */
static unicode_string_t *read_unicode(vmi_instance_t vmi, const vmi_target_t *t, addr_t addr,
                                      size_t width)
{
    uint8_t hdr[16] = { 0 };
    if (width != 4 && width != 8) {
        vmi_errorc(vmi, VMI_ERR_INVALID, "the guest's address width is unknown (paging mode not set up)");
        return NULL;
    }
    if (vmi_access(vmi, t, addr, hdr, 2 * width, false) != 2 * width)
        return NULL;
    uint16_t length = (uint16_t)(hdr[0] | hdr[1] << 8);
    addr_t buffer = 0;
    memcpy(&buffer, hdr + width, width);    /* little-endian guest and host */
    if (length % 2) {
        vmi_errorc(vmi, VMI_ERR_CORRUPT, "UNICODE_STRING at 0x%" G_GINT64_MODIFIER "x has an odd length %u",
                   (guint64)addr, length);
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
    if (length && vmi_access(vmi, t, buffer, us->contents, length, false) != length) {
        free(us->contents);
        free(us);
        return NULL;
    }
    us->length = length;
    us->encoding = "UTF-16";
    return us;
}

unicode_string_t *vmi_read_unicode_str_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid)
{
    vmi_target_t t;
    if (!vmi || !vmi_target_pid(vmi, pid, &t))
        return NULL;
    return read_unicode(vmi, &t, vaddr, vmi->address_width ? vmi->address_width : 8);
}

unicode_string_t *vmi_read_unicode_str(vmi_instance_t vmi, const access_context_t *ctx)
{
    vmi_target_t t;
    addr_t addr;
    if (!vmi || !vmi_target_ctx(vmi, ctx, &t, &addr))
        return NULL;
    return read_unicode(vmi, &t, addr, t.pt ? t.pt->address_width : vmi->address_width);
}

unicode_string_t *vmi_read_unicode_str_pm(vmi_instance_t vmi, const access_context_t *ctx,
                                          page_mode_t mode)
{
    vmi_target_t t;
    addr_t addr;
    if (!vmi || !vmi_target_ctx(vmi, ctx, &t, &addr))
        return NULL;
    const pt_mode_ops_t *ops = pt_mode_ops(mode);
    if (!ops) {
        vmi_errorc(vmi, VMI_ERR_INVALID, "vmi_read_unicode_str_pm: paging mode %u is not an x86 "
                   "mode", mode);
        return NULL;
    }
    /* @mode gives the structure's pointer width (a 32-bit process on a
     * 64-bit kernel); the translation stays the context's. */
    return read_unicode(vmi, &t, addr, ops->address_width);
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
