/*
 * btf.h - reader of the kernel's BTF (BPF Type Format, the vmlinux .BTF
 * section, in guest memory between __start_BTF and __stop_BTF): structure
 * member offsets and type sizes by name.
 *
 * Pure: works on a byte buffer that the guest controls.  btf_parse()
 * validates the whole type section once (every record's length, every
 * name offset, every type id referenced), so the lookups never read
 * outside the buffer; the lookups are still bounded in depth and work,
 * since a valid-looking BTF can hold typedef cycles or structures that
 * contain themselves.
 *
 * Errors: domain VMI_ERROR (private.h); VMI_ERROR_CORRUPT for a malformed
 * buffer (the message names the byte offset or type id), VMI_ERROR_NOT_FOUND
 * for a name that is not there, VMI_ERROR_INVALID for a question without an
 * answer (a bitfield's byte offset, the size of a function), and
 * VMI_ERROR_UNSUPPORTED for a big-endian BTF.
 *
 * Little-endian BTF only (x86 guests).
 */
#ifndef VMI_BTF_H
#define VMI_BTF_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct btf btf_t;

/* Bounds on what a hostile BTF can make a lookup do. */
#define BTF_MAX_DEPTH   32          /* typedef/const/volatile chain, struct nesting */
#define BTF_MAX_VISITS  (1u << 13)  /* members looked at by one lookup (task_struct: ~300) */
#define BTF_MAX_PATH    512         /* longest dotted member path accepted */

/* Parses and validates @data[0..@len); @data is not copied and must outlive
 * the result.  NULL with @error set when the buffer is not a valid BTF. */
btf_t *btf_parse(const void *data, size_t len, GError **error);

/* As btf_parse(), but takes ownership of @data (g_malloc'd): it is freed by
 * btf_free(), or at once when parsing fails. */
btf_t *btf_parse_take(void *data, size_t len, GError **error);

void btf_free(btf_t *btf);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(btf_t, btf_free)

/* Number of type ids, counting id 0 (void): valid ids are 0..count-1. */
uint32_t btf_type_count(const btf_t *btf);

/* Bytes kept beside the buffer (the record offsets and the name index). */
size_t btf_memory_size(const btf_t *btf);

/* Offset in bits of @member in the struct or union @type ("task_struct",
 * "struct task_struct", "union x", or a typedef of one).  @member may be a
 * dotted path ("thread.sp"); members of anonymous structs and unions are
 * found as if they were direct members, as in C; typedefs and qualifiers in
 * the way are followed.  A bitfield's offset is that of its first bit. */
bool btf_member_bit_offset(const btf_t *btf, const char *type, const char *member,
                           uint64_t *bit_offset, GError **error);

/* The same in bytes; VMI_ERROR_INVALID for a bitfield that does not start
 * at a byte boundary. */
bool btf_member_offset(const btf_t *btf, const char *type, const char *member,
                       uint64_t *offset, GError **error);

/* Size in bytes of the named struct, union, typedef, int, float or enum
 * ("struct x", "union x", "enum x", or a bare name). */
bool btf_type_size(const btf_t *btf, const char *type, uint64_t *size, GError **error);

/* Size in bytes of the type of @member (task_struct.comm: 16; a bitfield:
 * the size of its declared type, as pahole shows it). */
bool btf_member_size(const btf_t *btf, const char *type, const char *member,
                     uint64_t *size, GError **error);

/* Width in bits of @member when it is a bitfield, 0 otherwise. */
bool btf_member_bitfield_size(const btf_t *btf, const char *type, const char *member,
                              uint32_t *bits, GError **error);

#endif
