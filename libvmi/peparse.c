/*
 * peparse.c - PE images in guest memory: header validation, data
 * directories and the export table (vmi_translate_sym2v/v2sym on images).
 * Every offset comes from the guest: each is checked against what was read
 * before it is used, sizes in 64 bits so that no sum wraps.
 */
#include <string.h>
#include "private.h"
#include "peparse.h"

/* Headers are read in one piece of this size (they fit in the first page
 * of every image the loaders produce). */
#define PE_HEADERS_MAX  4096
#define PE_NAME_MAX     256
#define PE_EXPORTS_MAX  (1u << 16)

status_t peparse_validate_pe_image(const uint8_t *const image, size_t len)
{
    const struct dos_header *dos = (const struct dos_header *)image;
    if (!image || len < sizeof(*dos) || dos->signature != IMAGE_DOS_HEADER)
        return VMI_FAILURE;
    uint64_t pe_off = dos->offset_to_pe;
    if (pe_off + sizeof(struct pe_header) + sizeof(uint16_t) > len)
        return VMI_FAILURE;
    const struct pe_header *pe = (const struct pe_header *)(image + pe_off);
    if ((uint32_t)pe->signature != IMAGE_NT_SIGNATURE)
        return VMI_FAILURE;
    uint64_t opt_off = pe_off + sizeof(*pe);
    uint16_t magic;
    memcpy(&magic, image + opt_off, sizeof(magic));
    size_t need = magic == IMAGE_PE32_MAGIC ? sizeof(struct optional_header_pe32)
                  : magic == IMAGE_PE32_PLUS_MAGIC ? sizeof(struct optional_header_pe32plus) : 0;
    if (!need || opt_off + need > len)
        return VMI_FAILURE;
    return VMI_SUCCESS;
}

void peparse_assign_headers(const uint8_t *const image, struct dos_header **dos_header,
                            struct pe_header **pe_header, uint16_t *optional_header_type,
                            void **optional_pe_header, struct optional_header_pe32 **oh_pe32,
                            struct optional_header_pe32plus **oh_pe32plus)
{
    struct dos_header *dos = (struct dos_header *)image;
    struct pe_header *pe = (struct pe_header *)(image + dos->offset_to_pe);
    uint8_t *opt = (uint8_t *)pe + sizeof(*pe);
    uint16_t magic;
    memcpy(&magic, opt, sizeof(magic));
    if (dos_header)
        *dos_header = dos;
    if (pe_header)
        *pe_header = pe;
    if (optional_header_type)
        *optional_header_type = magic;
    if (optional_pe_header)
        *optional_pe_header = opt;
    if (oh_pe32)
        *oh_pe32 = magic == IMAGE_PE32_MAGIC ? (struct optional_header_pe32 *)opt : NULL;
    if (oh_pe32plus)
        *oh_pe32plus = magic == IMAGE_PE32_PLUS_MAGIC ? (struct optional_header_pe32plus *)opt : NULL;
}

/* The data directory @entry_id of the optional header, NULL when absent. */
static const struct image_data_directory *idd(uint32_t entry_id, const uint16_t *type,
                                              const void *opt,
                                              const struct optional_header_pe32 *oh32,
                                              const struct optional_header_pe32plus *oh64)
{
    uint16_t magic = type ? *type : opt ? *(const uint16_t *)opt : 0;
    if (!oh32 && magic == IMAGE_PE32_MAGIC)
        oh32 = opt;
    if (!oh64 && magic == IMAGE_PE32_PLUS_MAGIC)
        oh64 = opt;
    if (entry_id >= 16)
        return NULL;
    if (magic == IMAGE_PE32_MAGIC && oh32 && entry_id < oh32->number_of_rva_and_sizes)
        return &oh32->idd[entry_id];
    if (magic == IMAGE_PE32_PLUS_MAGIC && oh64 && entry_id < oh64->number_of_rva_and_sizes)
        return &oh64->idd[entry_id];
    return NULL;
}

addr_t peparse_get_idd_rva(uint32_t entry_id, uint16_t *optional_header_type,
                           void *optional_header, struct optional_header_pe32 *oh_pe32,
                           struct optional_header_pe32plus *oh_pe32plus)
{
    const struct image_data_directory *d = idd(entry_id, optional_header_type, optional_header,
                                               oh_pe32, oh_pe32plus);
    return d ? d->virtual_address : 0;
}

size_t peparse_get_idd_size(uint32_t entry_id, uint16_t *optional_header_type,
                            void *optional_header, struct optional_header_pe32 *oh_pe32,
                            struct optional_header_pe32plus *oh_pe32plus)
{
    const struct image_data_directory *d = idd(entry_id, optional_header_type, optional_header,
                                               oh_pe32, oh_pe32plus);
    return d ? d->size : 0;
}

/* ------------------------------------------------------------ through a target */

static bool rd(vmi_instance_t vmi, const vmi_target_t *t, addr_t addr, void *buf, size_t n)
{
    return vmi_access(vmi, t, addr, buf, n, false) == n;
}

/* Reads and checks the headers of the image at @base; the export
 * directory's RVA and size. */
static bool export_dir(vmi_instance_t vmi, const vmi_target_t *t, addr_t base,
                       struct export_table *et, uint32_t *rva, uint32_t *size)
{
    uint8_t hdr[PE_HEADERS_MAX];
    size_t got = vmi_access(vmi, t, base, hdr, sizeof(hdr), false);
    if (peparse_validate_pe_image(hdr, got) != VMI_SUCCESS) {
        vmi_errorc(vmi, VMI_ERR_CORRUPT, "no valid PE image at 0x%" G_GINT64_MODIFIER "x (%zu "
                   "header bytes readable)", (guint64)base, got);
        return false;
    }
    uint16_t type;
    void *opt;
    peparse_assign_headers(hdr, NULL, NULL, &type, &opt, NULL, NULL);
    *rva = (uint32_t)peparse_get_idd_rva(IMAGE_DIRECTORY_ENTRY_EXPORT, &type, opt, NULL, NULL);
    *size = (uint32_t)peparse_get_idd_size(IMAGE_DIRECTORY_ENTRY_EXPORT, &type, opt, NULL, NULL);
    if (!*rva || *size < sizeof(*et)) {
        vmi_errorc(vmi, VMI_ERR_NOT_FOUND, "the PE image at 0x%" G_GINT64_MODIFIER "x exports "
                   "nothing", (guint64)base);
        return false;
    }
    if (!rd(vmi, t, base + *rva, et, sizeof(*et)))
        return false;
    if (et->number_of_names > PE_EXPORTS_MAX || et->number_of_functions > PE_EXPORTS_MAX) {
        vmi_errorc(vmi, VMI_ERR_CORRUPT, "the export table at 0x%" G_GINT64_MODIFIER "x claims %u "
                   "names and %u functions (at most %u)", (guint64)(base + *rva),
                   et->number_of_names, et->number_of_functions, PE_EXPORTS_MAX);
        return false;
    }
    return true;
}

status_t peparse_get_image(vmi_instance_t vmi, const access_context_t *ctx, size_t len,
                           uint8_t *image)
{
    if (!vmi || !image)
        return VMI_FAILURE;
    if (vmi_read(vmi, ctx, len, image, NULL) != VMI_SUCCESS)
        return VMI_FAILURE;
    if (peparse_validate_pe_image(image, len) != VMI_SUCCESS) {
        vmi_errorc(vmi, VMI_ERR_CORRUPT, "no valid PE image in the %zu bytes read", len);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

status_t peparse_get_export_table(vmi_instance_t vmi, const access_context_t *ctx,
                                  struct export_table *et, addr_t *export_table_rva,
                                  size_t *export_table_size)
{
    vmi_target_t t;
    addr_t base;
    uint32_t rva, size;
    if (!vmi || !et || !vmi_target_ctx(vmi, ctx, &t, &base))
        return VMI_FAILURE;
    vmi_hold(vmi);
    bool ok = export_dir(vmi, &t, base, et, &rva, &size);
    vmi_release(vmi);
    if (!ok)
        return VMI_FAILURE;
    if (export_table_rva)
        *export_table_rva = rva;
    if (export_table_size)
        *export_table_size = size;
    return VMI_SUCCESS;
}

/* The name of export-name index @i; false when it cannot be read. */
static bool export_name(vmi_instance_t vmi, const vmi_target_t *t, addr_t base,
                        const struct export_table *et, uint32_t i, char name[PE_NAME_MAX])
{
    uint32_t name_rva;
    if (!rd(vmi, t, base + et->address_of_names + (addr_t)i * 4, &name_rva, 4))
        return false;
    memset(name, 0, PE_NAME_MAX);
    /* a name may end near the end of the mapping: read what is there */
    size_t n = vmi_access(vmi, t, base + name_rva, name, PE_NAME_MAX - 1, false);
    name[n] = '\0';
    return n > 0 && memchr(name, '\0', n) != NULL;
}

bool vmi_pe_export_rva(vmi_instance_t vmi, const vmi_target_t *t, addr_t base, const char *name,
                       addr_t *rva)
{
    struct export_table et;
    uint32_t dir_rva, dir_size;
    char cur[PE_NAME_MAX];
    bool found = false;
    vmi_hold(vmi);
    if (!export_dir(vmi, t, base, &et, &dir_rva, &dir_size))
        goto out;
    for (uint32_t i = 0; i < et.number_of_names && !found; i++) {
        if (!export_name(vmi, t, base, &et, i, cur) || strcmp(cur, name) != 0)
            continue;
        uint16_t ordinal;
        uint32_t fn;
        if (!rd(vmi, t, base + et.address_of_name_ordinals + (addr_t)i * 2, &ordinal, 2))
            break;
        if (ordinal >= et.number_of_functions) {
            vmi_errorc(vmi, VMI_ERR_CORRUPT, "export '%s' has ordinal %u of %u", name, ordinal,
                       et.number_of_functions);
            break;
        }
        if (!rd(vmi, t, base + et.address_of_functions + (addr_t)ordinal * 4, &fn, 4))
            break;
        *rva = fn;
        found = true;
    }
    if (!found && vmi_get_last_error_code(vmi) != VMI_ERR_CORRUPT)
        vmi_errorc(vmi, VMI_ERR_NOT_FOUND, "the PE image at 0x%" G_GINT64_MODIFIER "x exports no "
                   "'%s'", (guint64)base, name);
out:
    vmi_release(vmi);
    return found;
}

bool vmi_pe_export_name(vmi_instance_t vmi, const vmi_target_t *t, addr_t base, addr_t rva,
                        char **name)
{
    struct export_table et;
    uint32_t dir_rva, dir_size;
    char cur[PE_NAME_MAX];
    bool found = false;
    vmi_hold(vmi);
    if (!export_dir(vmi, t, base, &et, &dir_rva, &dir_size))
        goto out;
    for (uint32_t i = 0; i < et.number_of_names && !found; i++) {
        uint16_t ordinal;
        uint32_t fn;
        if (!rd(vmi, t, base + et.address_of_name_ordinals + (addr_t)i * 2, &ordinal, 2) ||
            ordinal >= et.number_of_functions ||
            !rd(vmi, t, base + et.address_of_functions + (addr_t)ordinal * 4, &fn, 4) ||
            fn != rva)
            continue;
        if (export_name(vmi, t, base, &et, i, cur)) {
            *name = g_strdup(cur);
            found = true;
        }
    }
    if (!found)
        vmi_errorc(vmi, VMI_ERR_NOT_FOUND, "the PE image at 0x%" G_GINT64_MODIFIER "x exports "
                   "nothing at RVA 0x%" G_GINT64_MODIFIER "x", (guint64)base, (guint64)rva);
out:
    vmi_release(vmi);
    return found;
}
