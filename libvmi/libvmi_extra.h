/*
 * libvmi_extra.h - calls whose types come from other libraries, as in
 * LibVMI's <libvmi/libvmi_extra.h>:
 *   -DLIBVMI_EXTRA_GLIB  vmi_get_va_pages() and vmi_get_nested_va_pages()
 *                        (GLib's GSList)
 *   -DLIBVMI_EXTRA_JSON  the JSON profile calls (json-c's json_object)
 * Include <libvmi/libvmi.h> first (it is included here too).
 */
#ifndef LIBVMI_EXTRA_H
#define LIBVMI_EXTRA_H

#include <libvmi/libvmi.h>
#ifdef LIBVMI_EXTRA_GLIB
#include <glib.h>
#endif
#ifdef LIBVMI_EXTRA_JSON
#include <json-c/json.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

#ifdef LIBVMI_EXTRA_GLIB
/** Every mapped page of the address space with page table @pt, in the
 *  guest's paging mode: a GSList of page_info_t (ascending addresses; the
 *  kernel half sign-extended).  Free the list and its elements with
 *  g_slist_free_full(list, g_free).  NULL on error (vmi_get_last_error());
 *  an address space of more than 4M pages or 262144 tables is refused as
 *  corrupt. */
GSList *vmi_get_va_pages(vmi_instance_t vmi, addr_t pt) VMI__NOEXCEPT;
/** The same through nested page table @npt (refused unless @npt is 0:
 *  no SLAT walker here) for page table @pt in mode @pm. */
GSList *vmi_get_nested_va_pages(vmi_instance_t vmi, addr_t npt, page_mode_t npm, addr_t pt,
                                page_mode_t pm) VMI__NOEXCEPT;
#endif

#ifdef LIBVMI_EXTRA_JSON
#ifndef LIBVMI_API_2013
/** Load the JSON profile of @config_mode/@config without the rest of
 *  vmi_init_os(); the OS it describes. */
os_t vmi_init_profile(vmi_instance_t vmi, vmi_config_t config_mode, void *config) VMI__NOEXCEPT;
#endif
/** The kernel's JSON profile (Volatility 3 ISF), parsed by json-c; owned
 *  by the instance.  NULL when there is none, or libvmi was built without
 *  json-c. */
json_object *vmi_get_kernel_json(vmi_instance_t vmi) VMI__NOEXCEPT;
/** Address of @symbol in @json (an ISF: symbols.NAME.address, without the
 *  KASLR slide). */
status_t vmi_get_symbol_addr_from_json(vmi_instance_t vmi, json_object *json, const char *symbol,
                                       addr_t *addr) VMI__NOEXCEPT;
/** Size of @struct_name (user_types.NAME.size). */
status_t vmi_get_struct_size_from_json(vmi_instance_t vmi, json_object *json,
                                       const char *struct_name, size_t *size) VMI__NOEXCEPT;
/** Offset of @struct_member in @struct_name. */
status_t vmi_get_struct_member_offset_from_json(vmi_instance_t vmi, json_object *json,
                                                const char *struct_name,
                                                const char *struct_member,
                                                addr_t *offset) VMI__NOEXCEPT;
/** Offset and bit range of the bitfield @struct_member. */
status_t vmi_get_bitfield_offset_and_size_from_json(vmi_instance_t vmi, json_object *json,
                                                    const char *struct_name,
                                                    const char *struct_member, addr_t *offset,
                                                    size_t *start_bit,
                                                    size_t *end_bit) VMI__NOEXCEPT;
/** Name of the type of @struct_member (owned by @json). */
status_t vmi_get_struct_field_type_name_from_json(vmi_instance_t vmi, json_object *json,
                                                  const char *struct_name,
                                                  const char *struct_member,
                                                  const char **member_type_name) VMI__NOEXCEPT;
#endif

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* LIBVMI_EXTRA_H */
