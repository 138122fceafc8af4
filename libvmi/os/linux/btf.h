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

/* ------------------------------------------------------------ iteration
 * Every type record, for a tool that converts the whole BTF (vmi-isf).
 * The ids are validated by btf_parse(): every id these return (a member's
 * type, an array's element) is below btf_type_count(). */

/* The kinds (include/uapi/linux/btf.h numbering). */
enum {
    BTF_K_VOID = 0, BTF_K_INT = 1, BTF_K_PTR = 2, BTF_K_ARRAY = 3, BTF_K_STRUCT = 4,
    BTF_K_UNION = 5, BTF_K_ENUM = 6, BTF_K_FWD = 7, BTF_K_TYPEDEF = 8, BTF_K_VOLATILE = 9,
    BTF_K_CONST = 10, BTF_K_RESTRICT = 11, BTF_K_FUNC = 12, BTF_K_FUNC_PROTO = 13,
    BTF_K_VAR = 14, BTF_K_DATASEC = 15, BTF_K_FLOAT = 16, BTF_K_DECL_TAG = 17,
    BTF_K_TYPE_TAG = 18, BTF_K_ENUM64 = 19,
};

/* BTF_K_INT encoding flags (btf_info_t.int_encoding) */
#define BTF_INT_ENC_SIGNED 0x1u
#define BTF_INT_ENC_CHAR   0x2u
#define BTF_INT_ENC_BOOL   0x4u

typedef struct btf_info {
    uint32_t id;
    uint32_t kind;          /* BTF_K_* (BTF_K_VOID for id 0) */
    const char *name;       /* "" when anonymous; owned by the BTF */
    uint32_t vlen;          /* members, enumerators, parameters */
    bool kflag;             /* struct/union: bitfield sizes in the offsets; fwd: a union;
                             * enum: signed values */
    uint32_t size;          /* int/float/struct/union/enum/datasec: bytes, else 0 */
    uint32_t ref;           /* ptr/typedef/qualifiers/func/var/tags: the type referred to */
    uint32_t int_encoding;  /* int: BTF_INT_ENC_* */
    uint32_t int_bits;      /* int: width in bits */
    uint32_t int_offset;    /* int: bit offset (old bitfield encoding) */
    uint32_t array_elem;    /* array: element type */
    uint32_t array_nelems;  /* array: element count */
} btf_info_t;

/* The record of type @id; false (and @out zeroed) for an id out of range. */
bool btf_type_info(const btf_t *btf, uint32_t id, btf_info_t *out);

/* Member @i of the struct or union @id: name ("" for an anonymous member),
 * type id, offset in bits and bitfield width (0 if not a bitfield; the old
 * encoding, a bitfield told by its int type, is folded in as btf_member_*
 * do).  false when @id is not a struct/union or @i >= vlen. */
bool btf_member_at(const btf_t *btf, uint32_t id, uint32_t i, const char **name,
                   uint32_t *type, uint64_t *bit_offset, uint32_t *bitfield);

/* Enumerator @i of the enum or enum64 @id: its name and value (sign
 * extended for a signed enum, kflag set). */
bool btf_enum_at(const btf_t *btf, uint32_t id, uint32_t i, const char **name, int64_t *value);

/* Variable @i of the data section @id: its VAR type id, offset, size. */
bool btf_datasec_at(const btf_t *btf, uint32_t id, uint32_t i, uint32_t *var, uint32_t *offset,
                    uint32_t *size);

/* Size of a pointer (the kernel's long), 0 if unknown. */
uint32_t btf_pointer_size(const btf_t *btf);

/* Size in bytes of type @id, through typedefs, qualifiers and arrays. */
bool btf_id_size(const btf_t *btf, uint32_t id, uint64_t *size, GError **error);

#endif
