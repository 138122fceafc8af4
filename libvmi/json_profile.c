/*
 * json_profile.c - the JSON-profile calls of <libvmi/libvmi_extra.h>.  Their
 * interface is json-c's json_object; this libvmi reads profiles (Volatility 3
 * ISF) with json-glib (os/linux/isf.c) and is not linked with json-c, so the
 * calls that would hand out a json_object fail and say why.  The profile
 * itself is used through vmi_init_os(VMI_CONFIG_JSON_PATH, path) and
 * vmi_get_kernel_struct_offset()/vmi_translate_ksym2v().
 */
#include "private.h"

struct json_object;
typedef struct json_object json_object;

/* The declarations of libvmi_extra.h under LIBVMI_EXTRA_JSON, without
 * json-c's header. */
#pragma GCC visibility push(default)
os_t vmi_init_profile(vmi_instance_t vmi, vmi_config_t config_mode, void *config);
json_object *vmi_get_kernel_json(vmi_instance_t vmi);
status_t vmi_get_symbol_addr_from_json(vmi_instance_t vmi, json_object *json, const char *symbol,
                                       addr_t *addr);
status_t vmi_get_struct_size_from_json(vmi_instance_t vmi, json_object *json,
                                       const char *struct_name, size_t *size);
status_t vmi_get_struct_member_offset_from_json(vmi_instance_t vmi, json_object *json,
                                                const char *struct_name,
                                                const char *struct_member, addr_t *offset);
status_t vmi_get_bitfield_offset_and_size_from_json(vmi_instance_t vmi, json_object *json,
                                                    const char *struct_name,
                                                    const char *struct_member, addr_t *offset,
                                                    size_t *start_bit, size_t *end_bit);
status_t vmi_get_struct_field_type_name_from_json(vmi_instance_t vmi, json_object *json,
                                                  const char *struct_name,
                                                  const char *struct_member,
                                                  const char **member_type_name);
#pragma GCC visibility pop

static status_t no_json_c(vmi_instance_t vmi)
{
    if (vmi)
        vmi_errorc(vmi, VMI_ERR_UNSUPPORTED, "json-c objects are not available: this libvmi reads "
                   "JSON profiles with json-glib; use vmi_init_os(VMI_CONFIG_JSON_PATH) and "
                   "vmi_get_kernel_struct_offset()/vmi_translate_ksym2v() instead");
    return VMI_FAILURE;
}

os_t vmi_init_profile(vmi_instance_t vmi, vmi_config_t config_mode, void *config)
{
    /* the profile is loaded with the OS layer: vmi_init_os does both */
    return vmi_init_os(vmi, config_mode, config, NULL);
}

json_object *vmi_get_kernel_json(vmi_instance_t vmi)
{
    no_json_c(vmi);
    return NULL;
}

status_t vmi_get_symbol_addr_from_json(vmi_instance_t vmi, json_object *json, const char *symbol,
                                       addr_t *addr)
{
    return no_json_c(vmi);
}

status_t vmi_get_struct_size_from_json(vmi_instance_t vmi, json_object *json,
                                       const char *struct_name, size_t *size)
{
    return no_json_c(vmi);
}

status_t vmi_get_struct_member_offset_from_json(vmi_instance_t vmi, json_object *json,
                                                const char *struct_name,
                                                const char *struct_member, addr_t *offset)
{
    return no_json_c(vmi);
}

status_t vmi_get_bitfield_offset_and_size_from_json(vmi_instance_t vmi, json_object *json,
                                                    const char *struct_name,
                                                    const char *struct_member, addr_t *offset,
                                                    size_t *start_bit, size_t *end_bit)
{
    return no_json_c(vmi);
}

status_t vmi_get_struct_field_type_name_from_json(vmi_instance_t vmi, json_object *json,
                                                  const char *struct_name,
                                                  const char *struct_member,
                                                  const char **member_type_name)
{
    return no_json_c(vmi);
}
