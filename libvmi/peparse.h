/*
 * peparse.h - PE (Portable Executable) images in guest memory: the headers,
 * the data directories and the export table, as in LibVMI's <libvmi/peparse.h>.
 * Include <libvmi/libvmi.h> first (it is included here too).
 */
#ifndef LIBVMI_PEPARSE_H
#define LIBVMI_PEPARSE_H

#include <libvmi/libvmi.h>

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

#define IMAGE_DOS_HEADER      0x5A4D      /* "MZ" */
#define IMAGE_NT_SIGNATURE    0x00004550  /* "PE\0\0" */
#define IMAGE_PE32_MAGIC      0x10b
#define IMAGE_PE32_PLUS_MAGIC 0x20b

/* Indexes of the data directories (optional header's idd[]). */
#define IMAGE_DIRECTORY_ENTRY_EXPORT        0
#define IMAGE_DIRECTORY_ENTRY_IMPORT        1
#define IMAGE_DIRECTORY_ENTRY_RESOURCE      2
#define IMAGE_DIRECTORY_ENTRY_EXCEPTION     3
#define IMAGE_DIRECTORY_ENTRY_CERTIFICATE   4
#define IMAGE_DIRECTORY_ENTRY_BASERELOC     5
#define IMAGE_DIRECTORY_ENTRY_DEBUG         6
#define IMAGE_DIRECTORY_ENTRY_ARCHITECTURE  7
#define IMAGE_DIRECTORY_ENTRY_GLOBALPTR     8
#define IMAGE_DIRECTORY_ENTRY_TLS           9
#define IMAGE_DIRECTORY_ENTRY_LOAD_CONFIG   10
#define IMAGE_DIRECTORY_ENTRY_BOUND_IMPORT  11
#define IMAGE_DIRECTORY_ENTRY_IAT           12
#define IMAGE_DIRECTORY_ENTRY_DELAY_IMPORT  13
#define IMAGE_DIRECTORY_ENTRY_CLR_RUNTIME   14
#define IMAGE_DIRECTORY_ENTRY_RESERVED      15

struct image_data_directory {
    uint32_t virtual_address;
    uint32_t size;
} __attribute__ ((packed));

/** COFF file header, after the "PE\0\0" signature. */
struct pe_header {
    int32_t signature;
    uint16_t machine;
    uint16_t number_of_sections;
    uint32_t time_date_stamp;
    uint32_t pointer_to_symbol_table;
    uint32_t number_of_symbols;
    uint16_t size_of_optional_header;
    uint16_t characteristics;
} __attribute__ ((packed));

/** MS-DOS header at the start of the image. */
struct dos_header {
    uint16_t signature;
    uint16_t bytes_in_last_block;
    uint16_t blocks_in_file;
    uint16_t reloc_ct;
    uint16_t header_size;
    uint16_t min_mem;
    uint16_t max_mem;
    uint16_t ss;
    uint16_t sp;
    uint16_t chksum;
    uint16_t ip;
    uint16_t cs;
    uint16_t reloc_tbl_ofs;
    uint16_t overlay;
    uint8_t reserved[32];
    uint32_t offset_to_pe;
} __attribute__ ((packed));

struct optional_header_pe32 {
    uint16_t magic;             /* 0x10b */
    uint8_t major_linker_version;
    uint8_t minor_linker_version;
    uint32_t size_of_code;
    uint32_t size_of_initialized_data;
    uint32_t size_of_uninitialized_data;
    uint32_t address_of_entry_point;
    uint32_t base_of_code;
    uint32_t base_of_data;
    uint32_t image_base;
    uint32_t section_alignment;
    uint32_t file_alignment;
    uint16_t major_os_version;
    uint16_t minor_os_version;
    uint16_t major_image_version;
    uint16_t minor_image_version;
    uint16_t major_subsystem_version;
    uint16_t minor_subsystem_version;
    uint32_t win32_version_value;
    uint32_t size_of_image;
    uint32_t size_of_headers;
    uint32_t checksum;
    uint16_t subsystem;
    uint16_t dll_characteristics;
    uint32_t size_of_stack_reserve;
    uint32_t size_of_stack_commit;
    uint32_t size_of_heap_reserve;
    uint32_t size_of_heap_commit;
    uint32_t loader_flags;
    uint32_t number_of_rva_and_sizes;
    struct image_data_directory idd[16];
} __attribute__ ((packed));

struct optional_header_pe32plus {
    uint16_t magic;             /* 0x20b */
    uint8_t major_linker_version;
    uint8_t minor_linker_version;
    uint32_t size_of_code;
    uint32_t size_of_initialized_data;
    uint32_t size_of_uninitialized_data;
    uint32_t address_of_entry_point;
    uint32_t base_of_code;
    uint64_t image_base;
    uint32_t section_alignment;
    uint32_t file_alignment;
    uint16_t major_os_version;
    uint16_t minor_os_version;
    uint16_t major_image_version;
    uint16_t minor_image_version;
    uint16_t major_subsystem_version;
    uint16_t minor_subsystem_version;
    uint32_t win32_version_value;
    uint32_t size_of_image;
    uint32_t size_of_headers;
    uint32_t checksum;
    uint16_t subsystem;
    uint16_t dll_characteristics;
    uint64_t size_of_stack_reserve;
    uint64_t size_of_stack_commit;
    uint64_t size_of_heap_reserve;
    uint64_t size_of_heap_commit;
    uint32_t loader_flags;
    uint32_t number_of_rva_and_sizes;
    struct image_data_directory idd[16];
} __attribute__ ((packed));

struct section_header {
    char short_name[8];
    union {
        uint32_t physical_address;
        uint32_t virtual_size;
    } a;
    uint32_t virtual_address;
    uint32_t size_of_raw_data;
    uint32_t pointer_to_raw_data;
    uint32_t pointer_to_relocations;
    uint32_t pointer_to_line_numbers;
    uint16_t number_of_relocations;
    uint16_t number_of_line_numbers;
    uint32_t characteristics;
} __attribute__ ((packed));

/** The export directory. */
struct export_table {
    uint32_t export_flags;
    uint32_t time_date_stamp;
    uint16_t major_version;
    uint16_t minor_version;
    uint32_t name;
    uint32_t base;
    uint32_t number_of_functions;
    uint32_t number_of_names;
    uint32_t address_of_functions;
    uint32_t address_of_names;
    uint32_t address_of_name_ordinals;
} __attribute__ ((packed));

/** Whether the @len bytes at @image start a valid PE image (DOS header, PE
 *  signature and an optional header, all inside @len). */
status_t peparse_validate_pe_image(const uint8_t *const image, size_t len) VMI__NOEXCEPT;
/** Read @len bytes of the image at @ctx into @image and validate them. */
status_t peparse_get_image(vmi_instance_t vmi, const access_context_t *ctx, size_t len,
                           uint8_t *image) VMI__NOEXCEPT;
/** Pointers into a validated @image: each output may be NULL; the optional
 *  header's type is IMAGE_PE32_MAGIC or IMAGE_PE32_PLUS_MAGIC. */
void peparse_assign_headers(const uint8_t *const image, struct dos_header **dos_header,
                            struct pe_header **pe_header, uint16_t *optional_header_type,
                            void **optional_pe_header, struct optional_header_pe32 **oh_pe32,
                            struct optional_header_pe32plus **oh_pe32plus) VMI__NOEXCEPT;
/** RVA of data directory @entry_id (0 when there is none). */
addr_t peparse_get_idd_rva(uint32_t entry_id, uint16_t *optional_header_type,
                           void *optional_header, struct optional_header_pe32 *oh_pe32,
                           struct optional_header_pe32plus *oh_pe32plus) VMI__NOEXCEPT;
/** Size of data directory @entry_id (0 when there is none). */
size_t peparse_get_idd_size(uint32_t entry_id, uint16_t *optional_header_type,
                            void *optional_header, struct optional_header_pe32 *oh_pe32,
                            struct optional_header_pe32plus *oh_pe32plus) VMI__NOEXCEPT;
/** The export table of the image at @ctx, with its RVA and size. */
status_t peparse_get_export_table(vmi_instance_t vmi, const access_context_t *ctx,
                                  struct export_table *et, addr_t *export_table_rva,
                                  size_t *export_table_size) VMI__NOEXCEPT;

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* LIBVMI_PEPARSE_H */
