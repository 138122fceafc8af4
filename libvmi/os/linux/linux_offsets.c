/*
 * linux_offsets.c - the offsets source: structure layouts from the
 * configuration keys (always first), an ISF file, or the kernel's own BTF
 * read from guest memory between __start_BTF and __stop_BTF.
 */
#include <string.h>
#include "linux.h"
#include "btf.h"
#include "isf.h"

#define MAX_BTF_SIZE (64u << 20)    /* Debian's kernels carry 4-6 MiB */

const char *const linux_off_keys[LINUX_OFF_N] = { "linux_tasks", "linux_mm", "linux_pid",
                                                  "linux_name", "linux_pgd" };
const char *const linux_off_type[LINUX_OFF_N] = { "task_struct", "task_struct", "task_struct",
                                                  "task_struct", "mm_struct" };
const char *const linux_off_member[LINUX_OFF_N] = { "tasks", "mm", "pid", "comm", "pgd" };

const char *linux_src_name(linux_src_t src)
{
    switch (src) {
    case LINUX_SRC_CONFIG:
        return "config";
    case LINUX_SRC_BTF:
        return "BTF";
    case LINUX_SRC_ISF:
        return "ISF";
    default:
        return "none";
    }
}

/* Reads the BTF once; remembers why when there is none. */
static bool load_btf(vmi_instance_t vmi, linux_data_t *ld)
{
    if (ld->btf)
        return true;
    if (ld->btf_error)
        return false;
    addr_t a[2];
    bool found[2];
    static const char *const names[2] = { "__start_BTF", "__stop_BTF" };
    GError *err = NULL;
    linux_sym_many(ld, names, 2, a, found);
    if (!found[0] || !found[1]) {
        ld->btf_error = g_strdup_printf("the kernel has no BTF (no __start_BTF/__stop_BTF in %s: "
                                        "built without CONFIG_DEBUG_INFO_BTF)",
                                        linux_syms_name(ld));
        return false;
    }
    if (a[1] <= a[0] || a[1] - a[0] > MAX_BTF_SIZE) {
        ld->btf_error = g_strdup_printf("the kernel's BTF bounds are implausible (0x%"
                                        G_GINT64_MODIFIER "x..0x%" G_GINT64_MODIFIER "x)",
                                        (guint64)a[0], (guint64)a[1]);
        return false;
    }
    size_t len = a[1] - a[0];
    uint8_t *data = g_try_malloc(len);
    if (!data || !linux_kread(vmi, a[0], data, len)) {
        g_free(data);
        ld->btf_error = g_strdup_printf("cannot read the kernel's BTF (%zu bytes at 0x%"
                                        G_GINT64_MODIFIER "x)", len, (guint64)a[0]);
        return false;
    }
    ld->btf = btf_parse(data, len, &err);
    if (!ld->btf) {
        ld->btf_error = g_strdup_printf("the kernel's BTF is not usable: %s", err->message);
        g_error_free(err);
        g_free(data);
        return false;
    }
    ld->btf_data = data;
    ld->btf_len = len;
    return true;
}

bool linux_struct_offset(vmi_instance_t vmi, linux_data_t *ld, const char *type,
                         const char *member, uint64_t *off, GError **error)
{
    /* the configured keys answer for the structures they name */
    for (int i = 0; i < LINUX_OFF_N; i++) {
        if (ld->off_src[i] == LINUX_SRC_CONFIG && strcmp(type, linux_off_type[i]) == 0 &&
            strcmp(member, linux_off_member[i]) == 0) {
            *off = ld->off[i];
            return true;
        }
    }
    if (ld->isf)
        return isf_member_offset(ld->isf, type, member, off, error);
    if (!load_btf(vmi, ld)) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND, "%s.%s: %s", type, member,
                    ld->btf_error);
        return false;
    }
    return btf_member_offset(ld->btf, type, member, off, error);
}

bool linux_find_offsets(vmi_instance_t vmi, linux_data_t *ld, GHashTable *config, GError **error)
{
    unsigned have = 0;
    for (int i = 0; i < LINUX_OFF_N; i++) {
        ld->off_src[i] = LINUX_SRC_NONE;
        if (vmi_config_get_num(config, linux_off_keys[i], &ld->off[i])) {
            ld->off_src[i] = LINUX_SRC_CONFIG;
            have++;
        }
    }
    GString *why = g_string_new(NULL);
    for (int i = 0; i < LINUX_OFF_N && have < LINUX_OFF_N; i++) {
        if (ld->off_src[i] != LINUX_SRC_NONE)
            continue;
        GError *err = NULL;
        if (ld->isf) {
            if (isf_member_offset(ld->isf, linux_off_type[i], linux_off_member[i], &ld->off[i], &err)) {
                ld->off_src[i] = LINUX_SRC_ISF;
                have++;
                continue;
            }
            g_string_append_printf(why, "%s%s", why->len ? "; " : "", err->message);
            g_clear_error(&err);
        }
        if (load_btf(vmi, ld)) {
            if (btf_member_offset(ld->btf, linux_off_type[i], linux_off_member[i], &ld->off[i], &err)) {
                ld->off_src[i] = LINUX_SRC_BTF;
                have++;
                continue;
            }
            g_string_append_printf(why, "%s%s", why->len ? "; " : "", err->message);
            g_clear_error(&err);
        } else if (!strstr(why->str, ld->btf_error)) {
            g_string_append_printf(why, "%s%s", why->len ? "; " : "", ld->btf_error);
        }
    }
    ld->has_offsets = have == LINUX_OFF_N;
    if (!ld->has_offsets) {
        GString *missing = g_string_new(NULL);
        for (int i = 0; i < LINUX_OFF_N; i++)
            if (ld->off_src[i] == LINUX_SRC_NONE)
                g_string_append_printf(missing, "%s%s (%s.%s)", missing->len ? ", " : "",
                                       linux_off_keys[i], linux_off_type[i], linux_off_member[i]);
        g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND,
                    "%s: incomplete Linux offsets, missing %s: %s. Give them in the configuration "
                    "(pahole -C task_struct,mm_struct on the kernel's vmlinux prints them), or an "
                    "ISF file (isf = \"/path/kernel.json\")",
                    vmi->config_origin ? vmi->config_origin : vmi->name, missing->str, why->str);
        g_string_free(missing, TRUE);
        g_string_free(why, TRUE);
        return false;
    }
    g_string_free(why, TRUE);
    return true;
}
