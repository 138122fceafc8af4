/*
 * elfcore.c - parser for ELF cores of guest-physical memory (QEMU
 * dump-guest-memory, `virsh dump --memory-only`).
 *
 * The file is hostile input: every field is read with explicit bounds and
 * little-endian decoding, never by casting the buffer to a struct, so the
 * code is the same on any host and never reads past @size.
 *
 * What QEMU 7.2 writes (dump/dump.c, target/i386/arch_dump.c):
 *
 *   Ehdr | Shdr null, .shstrtab | Phdr PT_NOTE | Phdr PT_LOAD ... | notes
 *   | memory | .shstrtab
 *
 * (before 7.2 there were no section headers unless needed for PN_XNUM, and
 * they came after the program headers: offsets are always taken from the
 * headers, never assumed.)  QEMU 7.2 also writes e_ehsize = 8, so that field
 * is not checked.
 * The note segment holds one "CORE"/NT_PRSTATUS note per vCPU, then one
 * "QEMU"/type-0 note per vCPU (all of the first kind before any of the
 * second, each group in vCPU order), then possibly a guest "VMCOREINFO"
 * note.  Name and desc are padded to 4 bytes in both ELF classes.  The
 * machine, not the class, selects the prstatus layout: QEMU picks EM_386
 * whenever vCPU 0 is not in long mode, but ELFCLASS64 as soon as any memory
 * ends above 0xffffffff -- and the PC BIOS ends exactly at 4 GiB, so a
 * guest outside long mode gives ELF64 + EM_386 + i386 prstatus in practice.
 * With 65535 or more program headers e_phnum is PN_XNUM and the real count
 * is in sh_info of section header 0, which QEMU then writes.
 */
#include "elfcore.h"

#include <elf.h>
#include <inttypes.h>
#include <string.h>

G_DEFINE_QUARK(vmi-elfcore-error-quark, elfcore_error)

/* QEMU writes 4-byte aligned notes whatever the class. */
#define NOTE_ALIGN          4
#define NOTE_HDR_SIZE       12      /* n_namesz, n_descsz, n_type: 3 x u32 in both classes */

/* struct elf_prstatus of the Linux x86_64 ABI: pr_reg (27 x u64
 * user_regs_struct) follows siginfo, cursig, sigpend/sighold, four pids
 * and four 16-byte timevals. */
#define PRSTATUS64_REG          112
#define PRSTATUS64_NREGS        27
/* 328 bytes; QEMU writes 336 (pr_fpvalid and padding follow) */
#define PRSTATUS64_MIN_SIZE     (PRSTATUS64_REG + PRSTATUS64_NREGS * 8)

/* The same for i386: 8-byte timevals put pr_reg at 72; 17 x u32 slots,
 * selectors in the low 16 bits of theirs. */
#define PRSTATUS32_REG          72
#define PRSTATUS32_NREGS        17
/* 140 bytes; QEMU writes 144 */
#define PRSTATUS32_MIN_SIZE     (PRSTATUS32_REG + PRSTATUS32_NREGS * 4)

/* QEMUCPUState, version 1.  Fields after cr[5] are appended without a
 * version bump; the 'size' field says which are present. */
#define QCS_VERSION             0       /* u32 */
#define QCS_SIZE                4       /* u32 */
#define QCS_GPR                 8       /* rax rbx rcx rdx rsi rdi rsp rbp r8..r15 rip rflags */
#define QCS_SEG                 152     /* 10 x {u32 selector, limit, flags, pad; u64 base} */
#define QCS_SEG_SIZE            24
#define QCS_CR                  392     /* u64 cr[5] */
#define QCS_V1_SIZE             432
#define QCS_KERNEL_GS_BASE      432     /* u64, if size >= 440 */
#define QCS_SUPPORTED_VERSION   1

/* Class-independent views of the headers we use. */
typedef struct {
    uint16_t type, machine, phentsize, phnum, shentsize, shnum;
    uint64_t phoff, shoff;
} ehdr_t;

typedef struct {
    uint32_t type;
    uint64_t offset, paddr, filesz, memsz;
} phdr_t;

/* A range and the program header it came from, for error messages after
 * sorting. */
typedef struct {
    elfcore_range_t r;
    size_t phdr;
} load_t;

typedef struct {
    const uint8_t *data;
    size_t size;
    bool is64;
    uint16_t machine;
    /* notes are paired by their rank within their own kind */
    elfcore_cpu_t *prstatus;
    size_t nprstatus;
    elfcore_cpu_t *qemu;
    size_t nqemu;
} parser_t;

static void
parser_clear(parser_t *p)
{
    g_free(p->prstatus);
    g_free(p->qemu);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(parser_t, parser_clear)

static uint64_t
note_align(uint64_t v)
{
    return (v + NOTE_ALIGN - 1) & ~(uint64_t)(NOTE_ALIGN - 1);
}

static uint64_t
get_le(const uint8_t *p, size_t width)
{
    uint64_t v = 0;

    for (size_t i = width; i > 0; i--)
        v = (v << 8) | p[i - 1];
    return v;
}

#define FIELD(base, type, field) \
    get_le((base) + offsetof(type, field), sizeof(((type *)0)->field))

/* Does [off, off + len) lie inside the file?  Written so that no sum can
 * wrap. */
static bool
in_file(const parser_t *p, uint64_t off, uint64_t len)
{
    return off <= p->size && len <= p->size - off;
}

static void
read_ehdr(const uint8_t *b, bool is64, ehdr_t *e)
{
    if (is64) {
        e->type = FIELD(b, Elf64_Ehdr, e_type);
        e->machine = FIELD(b, Elf64_Ehdr, e_machine);
        e->phoff = FIELD(b, Elf64_Ehdr, e_phoff);
        e->shoff = FIELD(b, Elf64_Ehdr, e_shoff);
        e->phentsize = FIELD(b, Elf64_Ehdr, e_phentsize);
        e->phnum = FIELD(b, Elf64_Ehdr, e_phnum);
        e->shentsize = FIELD(b, Elf64_Ehdr, e_shentsize);
        e->shnum = FIELD(b, Elf64_Ehdr, e_shnum);
    } else {
        e->type = FIELD(b, Elf32_Ehdr, e_type);
        e->machine = FIELD(b, Elf32_Ehdr, e_machine);
        e->phoff = FIELD(b, Elf32_Ehdr, e_phoff);
        e->shoff = FIELD(b, Elf32_Ehdr, e_shoff);
        e->phentsize = FIELD(b, Elf32_Ehdr, e_phentsize);
        e->phnum = FIELD(b, Elf32_Ehdr, e_phnum);
        e->shentsize = FIELD(b, Elf32_Ehdr, e_shentsize);
        e->shnum = FIELD(b, Elf32_Ehdr, e_shnum);
    }
}

static void
read_phdr(const uint8_t *b, bool is64, phdr_t *ph)
{
    if (is64) {
        ph->type = FIELD(b, Elf64_Phdr, p_type);
        ph->offset = FIELD(b, Elf64_Phdr, p_offset);
        ph->paddr = FIELD(b, Elf64_Phdr, p_paddr);
        ph->filesz = FIELD(b, Elf64_Phdr, p_filesz);
        ph->memsz = FIELD(b, Elf64_Phdr, p_memsz);
    } else {
        ph->type = FIELD(b, Elf32_Phdr, p_type);
        ph->offset = FIELD(b, Elf32_Phdr, p_offset);
        ph->paddr = FIELD(b, Elf32_Phdr, p_paddr);
        ph->filesz = FIELD(b, Elf32_Phdr, p_filesz);
        ph->memsz = FIELD(b, Elf32_Phdr, p_memsz);
    }
}

bool
elfcore_is_elf(const uint8_t *data, size_t size)
{
    return data && size >= SELFMAG && memcmp(data, ELFMAG, SELFMAG) == 0;
}

static bool
check_ident(const parser_t *p, GError **error)
{
    if (p->size < EI_NIDENT) {
        g_set_error(error, ELFCORE_ERROR, ELFCORE_ERROR_TRUNCATED,
                    "truncated ELF file: identification needs 0x%x bytes, file has 0x%zx bytes",
                    EI_NIDENT, p->size);
        return false;
    }
    if (!elfcore_is_elf(p->data, p->size)) {
        g_set_error(error, ELFCORE_ERROR, ELFCORE_ERROR_INVALID,
                    "not an ELF file: bad magic %02x %02x %02x %02x",
                    p->data[0], p->data[1], p->data[2], p->data[3]);
        return false;
    }
    if (p->data[EI_CLASS] != ELFCLASS32 && p->data[EI_CLASS] != ELFCLASS64) {
        g_set_error(error, ELFCORE_ERROR, ELFCORE_ERROR_UNSUPPORTED,
                    "unsupported ELF class %u (expected 1 for ELF32 or 2 for ELF64)",
                    p->data[EI_CLASS]);
        return false;
    }
    if (p->data[EI_DATA] != ELFDATA2LSB) {
        g_set_error(error, ELFCORE_ERROR, ELFCORE_ERROR_UNSUPPORTED,
                    "unsupported ELF byte order %u (only little-endian x86 cores are read)",
                    p->data[EI_DATA]);
        return false;
    }
    if (p->data[EI_VERSION] != EV_CURRENT) {
        g_set_error(error, ELFCORE_ERROR, ELFCORE_ERROR_INVALID,
                    "unsupported ELF version %u", p->data[EI_VERSION]);
        return false;
    }
    return true;
}

/* The program header count, following PN_XNUM to section header 0. */
static bool
get_phnum(const parser_t *p, const ehdr_t *e, uint64_t *phnum, GError **error)
{
    size_t shdr_size = p->is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
    const uint8_t *sh;

    if (e->phnum != PN_XNUM) {
        *phnum = e->phnum;
        return true;
    }
    if (e->shoff == 0 || e->shentsize != shdr_size) {
        g_set_error(error, ELFCORE_ERROR, ELFCORE_ERROR_INVALID,
                    "e_phnum is PN_XNUM but there is no section header 0 (e_shoff 0x%" PRIx64 ", "
                    "e_shentsize %u)",
                    e->shoff, e->shentsize);
        return false;
    }
    if (!in_file(p, e->shoff, shdr_size)) {
        g_set_error(error, ELFCORE_ERROR, ELFCORE_ERROR_TRUNCATED,
                    "truncated ELF file: section header 0 at 0x%" PRIx64 " needs 0x%zx bytes, "
                    "file has 0x%zx bytes",
                    e->shoff, shdr_size, p->size);
        return false;
    }
    sh = p->data + e->shoff;
    *phnum = p->is64 ? FIELD(sh, Elf64_Shdr, sh_info) : FIELD(sh, Elf32_Shdr, sh_info);
    return true;
}

/* Copy a NT_PRSTATUS desc into @cpu.  The user_regs_struct orders differ
 * from QEMUCPUState, hence the explicit slots. */
static void
prstatus64_regs(const uint8_t *desc, elfcore_cpu_t *cpu)
{
    const uint8_t *r = desc + PRSTATUS64_REG;
#define REG(i) get_le(r + (i) * 8, 8)
    cpu->r15 = REG(0);
    cpu->r14 = REG(1);
    cpu->r13 = REG(2);
    cpu->r12 = REG(3);
    cpu->rbp = REG(4);
    cpu->rbx = REG(5);
    cpu->r11 = REG(6);
    cpu->r10 = REG(7);
    cpu->r9 = REG(8);
    cpu->r8 = REG(9);
    cpu->rax = REG(10);
    cpu->rcx = REG(11);
    cpu->rdx = REG(12);
    cpu->rsi = REG(13);
    cpu->rdi = REG(14);
    /* 15 is orig_rax, which QEMU leaves 0 */
    cpu->rip = REG(16);
    cpu->seg[ELFCORE_SEG_CS].selector = REG(17);
    cpu->rflags = REG(18);
    cpu->rsp = REG(19);
    cpu->seg[ELFCORE_SEG_SS].selector = REG(20);
    cpu->seg[ELFCORE_SEG_FS].base = REG(21);
    cpu->seg[ELFCORE_SEG_GS].base = REG(22);
    cpu->seg[ELFCORE_SEG_DS].selector = REG(23);
    cpu->seg[ELFCORE_SEG_ES].selector = REG(24);
    cpu->seg[ELFCORE_SEG_FS].selector = REG(25);
    cpu->seg[ELFCORE_SEG_GS].selector = REG(26);
#undef REG
}

static void
prstatus32_regs(const uint8_t *desc, elfcore_cpu_t *cpu)
{
    const uint8_t *r = desc + PRSTATUS32_REG;
#define REG(i) get_le(r + (i) * 4, 4)
#define SEL(i) get_le(r + (i) * 4, 2)
    cpu->rbx = REG(0);
    cpu->rcx = REG(1);
    cpu->rdx = REG(2);
    cpu->rsi = REG(3);
    cpu->rdi = REG(4);
    cpu->rbp = REG(5);
    cpu->rax = REG(6);
    cpu->seg[ELFCORE_SEG_DS].selector = SEL(7);
    cpu->seg[ELFCORE_SEG_ES].selector = SEL(8);
    cpu->seg[ELFCORE_SEG_FS].selector = SEL(9);
    cpu->seg[ELFCORE_SEG_GS].selector = SEL(10);
    /* 11 is orig_eax */
    cpu->rip = REG(12);
    cpu->seg[ELFCORE_SEG_CS].selector = SEL(13);
    cpu->rflags = REG(14);
    cpu->rsp = REG(15);
    cpu->seg[ELFCORE_SEG_SS].selector = SEL(16);
#undef SEL
#undef REG
}

static void
qemu_cpustate_regs(const uint8_t *desc, uint32_t size, elfcore_cpu_t *cpu)
{
    uint64_t *gpr[] = {
        &cpu->rax, &cpu->rbx, &cpu->rcx, &cpu->rdx,
        &cpu->rsi, &cpu->rdi, &cpu->rsp, &cpu->rbp,
        &cpu->r8, &cpu->r9, &cpu->r10, &cpu->r11,
        &cpu->r12, &cpu->r13, &cpu->r14, &cpu->r15,
        &cpu->rip, &cpu->rflags,
    };

    for (size_t i = 0; i < G_N_ELEMENTS(gpr); i++)
        *gpr[i] = get_le(desc + QCS_GPR + i * 8, 8);
    for (size_t i = 0; i < G_N_ELEMENTS(cpu->seg); i++) {
        const uint8_t *s = desc + QCS_SEG + i * QCS_SEG_SIZE;

        cpu->seg[i].selector = get_le(s, 4);
        cpu->seg[i].limit = get_le(s + 4, 4);
        cpu->seg[i].flags = get_le(s + 8, 4);
        cpu->seg[i].base = get_le(s + 16, 8);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(cpu->cr); i++)
        cpu->cr[i] = get_le(desc + QCS_CR + i * 8, 8);
    cpu->has_kernel_gs_base = size >= QCS_KERNEL_GS_BASE + 8;
    if (cpu->has_kernel_gs_base)
        cpu->kernel_gs_base = get_le(desc + QCS_KERNEL_GS_BASE, 8);
}

/* Room for one more vCPU in @arr, within ELFCORE_MAX_CPUS. */
static elfcore_cpu_t *
next_cpu(elfcore_cpu_t **arr, size_t *n, const char *kind, GError **error)
{
    if (*n >= ELFCORE_MAX_CPUS) {
        g_set_error(error, ELFCORE_ERROR, ELFCORE_ERROR_INVALID,
                    "too many %s notes: more than %d vCPUs", kind, ELFCORE_MAX_CPUS);
        return NULL;
    }
    /* grow in powers of two; the bound above keeps this small */
    if ((*n & (*n - 1)) == 0)
        *arr = g_renew(elfcore_cpu_t, *arr, *n ? *n * 2 : 1);
    memset(&(*arr)[*n], 0, sizeof(**arr));
    return &(*arr)[(*n)++];
}

static bool
note_name_is(const uint8_t *name, uint32_t namesz, const char *want)
{
    size_t len = strlen(want);

    /* The ELF spec counts the NUL in namesz; tolerate writers that do not. */
    if (namesz == len + 1)
        return memcmp(name, want, len) == 0 && name[len] == '\0';
    return namesz == len && memcmp(name, want, len) == 0;
}

/* One known note.  A known note whose desc is too small or of an unknown
 * version is an error rather than skipped: silently missing registers
 * (CR3 above all) would only fail later and further from the cause. */
static bool
parse_note(parser_t *p, const uint8_t *name, uint32_t namesz, uint32_t type,
           const uint8_t *desc, uint32_t descsz, uint64_t note_off, GError **error)
{
    elfcore_cpu_t *cpu;

    if (note_name_is(name, namesz, "CORE") && type == NT_PRSTATUS) {
        bool x64 = p->machine == EM_X86_64;
        uint32_t need = x64 ? PRSTATUS64_MIN_SIZE : PRSTATUS32_MIN_SIZE;

        if (descsz < need) {
            g_set_error(error, ELFCORE_ERROR, ELFCORE_ERROR_INVALID,
                        "NT_PRSTATUS note at file offset 0x%" PRIx64 " has 0x%x bytes, "
                        "%s needs at least 0x%x",
                        note_off, descsz, x64 ? "x86_64" : "i386", need);
            return false;
        }
        cpu = next_cpu(&p->prstatus, &p->nprstatus, "NT_PRSTATUS", error);
        if (!cpu)
            return false;
        if (x64)
            prstatus64_regs(desc, cpu);
        else
            prstatus32_regs(desc, cpu);
        cpu->has_prstatus = true;
        return true;
    }

    if (note_name_is(name, namesz, "QEMU") && type == 0) {
        uint32_t version, size;

        if (descsz < QCS_V1_SIZE) {
            g_set_error(error, ELFCORE_ERROR, ELFCORE_ERROR_INVALID,
                        "QEMU CPU state note at file offset 0x%" PRIx64 " has 0x%x bytes, "
                        "needs at least 0x%x",
                        note_off, descsz, QCS_V1_SIZE);
            return false;
        }
        version = get_le(desc + QCS_VERSION, 4);
        size = get_le(desc + QCS_SIZE, 4);
        if (version != QCS_SUPPORTED_VERSION) {
            g_set_error(error, ELFCORE_ERROR, ELFCORE_ERROR_UNSUPPORTED,
                        "QEMU CPU state note at file offset 0x%" PRIx64 " has version %u, "
                        "only version %d is known",
                        note_off, version, QCS_SUPPORTED_VERSION);
            return false;
        }
        if (size < QCS_V1_SIZE || size > descsz) {
            g_set_error(error, ELFCORE_ERROR, ELFCORE_ERROR_INVALID,
                        "QEMU CPU state note at file offset 0x%" PRIx64 " claims size 0x%x, "
                        "outside [0x%x, 0x%x]",
                        note_off, size, QCS_V1_SIZE, descsz);
            return false;
        }
        cpu = next_cpu(&p->qemu, &p->nqemu, "QEMU CPU state", error);
        if (!cpu)
            return false;
        qemu_cpustate_regs(desc, size, cpu);
        cpu->has_qemu = true;
        return true;
    }

    /* VMCOREINFO, NT_PRFPREG and the like: not ours to read */
    return true;
}

static bool
parse_note_segment(parser_t *p, size_t phdr, uint64_t off, uint64_t len, GError **error)
{
    uint64_t pos = 0;

    /* The segment itself is known to lie in the file; every note must lie
     * in the segment. */
    while (pos < len) {
        const uint8_t *n = p->data + off + pos;
        uint64_t desc_off, desc_end;
        uint32_t namesz, descsz, type;

        if (len - pos < NOTE_HDR_SIZE) {
            g_set_error(error, ELFCORE_ERROR, ELFCORE_ERROR_TRUNCATED,
                        "truncated note in PT_NOTE (program header %zu): "
                        "0x%" PRIx64 " bytes left at file offset 0x%" PRIx64 ", "
                        "a note header needs 0x%x",
                        phdr, len - pos, off + pos, NOTE_HDR_SIZE);
            return false;
        }
        namesz = get_le(n, 4);
        descsz = get_le(n + 4, 4);
        type = get_le(n + 8, 4);
        /* 64-bit sums of 32-bit sizes and an in-file offset cannot wrap;
         * the desc follows the padded name, so its end bounds both */
        desc_off = pos + NOTE_HDR_SIZE + note_align(namesz);
        desc_end = desc_off + descsz;
        if (desc_end > len) {
            g_set_error(error, ELFCORE_ERROR, ELFCORE_ERROR_TRUNCATED,
                        "truncated note in PT_NOTE (program header %zu) at file offset 0x%" PRIx64 ": "
                        "namesz 0x%x and descsz 0x%x end at 0x%" PRIx64 ", "
                        "the segment ends at 0x%" PRIx64,
                        phdr, off + pos, namesz, descsz, off + desc_end, off + len);
            return false;
        }
        if (!parse_note(p, n + NOTE_HDR_SIZE, namesz, type, p->data + off + desc_off, descsz,
                        off + pos, error))
            return false;
        /* the padding after the last desc may be left out */
        pos = MIN(len, note_align(desc_end));
    }
    return true;
}

static bool
add_load(const parser_t *p, size_t i, const phdr_t *ph, GArray *loads, GError **error)
{
    load_t l;

    if (ph->filesz > ph->memsz) {
        g_set_error(error, ELFCORE_ERROR, ELFCORE_ERROR_INVALID,
                    "PT_LOAD (program header %zu) has p_filesz 0x%" PRIx64 " "
                    "larger than p_memsz 0x%" PRIx64,
                    i, ph->filesz, ph->memsz);
        return false;
    }
    if (ph->filesz == 0)
        return true;
    if (!in_file(p, ph->offset, ph->filesz)) {
        g_set_error(error, ELFCORE_ERROR, ELFCORE_ERROR_TRUNCATED,
                    "truncated ELF file: PT_LOAD (program header %zu) "
                    "at 0x%" PRIx64 " with 0x%" PRIx64 " bytes runs past the end, "
                    "file has 0x%zx bytes",
                    i, ph->offset, ph->filesz, p->size);
        return false;
    }
    /* The end, paddr + memsz, must be a 64-bit number: the memory size
     * (the end of the last range) is one, and a range that ends at 2^64
     * would make it 0.  memsz >= filesz > 0. */
    if (ph->memsz > UINT64_MAX - ph->paddr) {
        g_set_error(error, ELFCORE_ERROR, ELFCORE_ERROR_INVALID,
                    "PT_LOAD (program header %zu) at physical address 0x%" PRIx64 " "
                    "with 0x%" PRIx64 " bytes wraps around the address space",
                    i, ph->paddr, ph->memsz);
        return false;
    }
    l.r.pa = ph->paddr;
    l.r.size = ph->filesz;
    l.r.memsize = ph->memsz;
    l.r.offset = ph->offset;
    l.phdr = i;
    g_array_append_val(loads, l);
    return true;
}

static gint
load_cmp(gconstpointer a, gconstpointer b)
{
    const load_t *x = a, *y = b;

    return (x->r.pa > y->r.pa) - (x->r.pa < y->r.pa);
}

static bool
sort_loads(GArray *loads, GError **error)
{
    g_array_sort(loads, load_cmp);
    for (guint i = 1; i < loads->len; i++) {
        const load_t *a = &g_array_index(loads, load_t, i - 1);
        const load_t *b = &g_array_index(loads, load_t, i);

        if (a->r.pa + (a->r.memsize - 1) >= b->r.pa) {
            /* dump-guest-memory paging=true writes one PT_LOAD per virtual
             * mapping, and aliases share physical pages */
            g_set_error(error, ELFCORE_ERROR, ELFCORE_ERROR_INVALID,
                        "PT_LOAD program headers %zu and %zu overlap: "
                        "physical 0x%" PRIx64 "-0x%" PRIx64 " and 0x%" PRIx64 "-0x%" PRIx64 " "
                        "(a dump taken with paging=true?)",
                        a->phdr, b->phdr, a->r.pa, a->r.pa + (a->r.memsize - 1),
                        b->r.pa, b->r.pa + (b->r.memsize - 1));
            return false;
        }
    }
    return true;
}

/* Pair the i-th NT_PRSTATUS with the i-th QEMU note: QEMU writes each kind
 * in vCPU order, and this also holds for writers that interleave them. */
static void
merge_cpus(parser_t *p, elfcore_t *out)
{
    out->ncpus = MAX(p->nprstatus, p->nqemu);
    out->cpus = g_new0(elfcore_cpu_t, out->ncpus);
    for (size_t i = 0; i < out->ncpus; i++) {
        elfcore_cpu_t *cpu = &out->cpus[i];

        if (i < p->nprstatus)
            *cpu = p->prstatus[i];
        if (i < p->nqemu) {
            bool had_prstatus = cpu->has_prstatus;

            *cpu = p->qemu[i];
            cpu->has_prstatus = had_prstatus;
        }
    }
}

bool
elfcore_parse(const uint8_t *data, size_t size, elfcore_t *out, GError **error)
{
    g_auto(parser_t) p = { .data = data, .size = data ? size : 0 };
    g_autoptr(GArray) loads = g_array_new(FALSE, FALSE, sizeof(load_t));
    size_t ehdr_size, phdr_size;
    uint64_t phnum;
    ehdr_t e;

    g_return_val_if_fail(out != NULL, false);
    memset(out, 0, sizeof(*out));

    if (!check_ident(&p, error))
        return false;
    p.is64 = data[EI_CLASS] == ELFCLASS64;
    ehdr_size = p.is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
    phdr_size = p.is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
    if (size < ehdr_size) {
        g_set_error(error, ELFCORE_ERROR, ELFCORE_ERROR_TRUNCATED,
                    "truncated ELF file: the ELF%d header needs 0x%zx bytes, file has 0x%zx bytes",
                    p.is64 ? 64 : 32, ehdr_size, size);
        return false;
    }
    read_ehdr(data, p.is64, &e);
    if (e.type != ET_CORE) {
        g_set_error(error, ELFCORE_ERROR, ELFCORE_ERROR_INVALID,
                    "not an ELF core file: e_type is %u, expected %u (ET_CORE)", e.type, ET_CORE);
        return false;
    }
    if (e.machine != EM_X86_64 && e.machine != EM_386) {
        g_set_error(error, ELFCORE_ERROR, ELFCORE_ERROR_UNSUPPORTED,
                    "unsupported ELF machine %u: only x86_64 (%u) and i386 (%u) cores are read",
                    e.machine, EM_X86_64, EM_386);
        return false;
    }
    p.machine = e.machine;
    if (e.phentsize != phdr_size) {
        g_set_error(error, ELFCORE_ERROR, ELFCORE_ERROR_INVALID,
                    "e_phentsize is %u, an ELF%d program header has %zu bytes",
                    e.phentsize, p.is64 ? 64 : 32, phdr_size);
        return false;
    }
    if (!get_phnum(&p, &e, &phnum, error))
        return false;
    if (phnum > ELFCORE_MAX_PHDRS) {
        g_set_error(error, ELFCORE_ERROR, ELFCORE_ERROR_INVALID,
                    "too many program headers: %" PRIu64 ", at most %d are read",
                    phnum, ELFCORE_MAX_PHDRS);
        return false;
    }
    /* phnum * phdr_size cannot overflow with phnum bounded */
    if (!in_file(&p, e.phoff, phnum * phdr_size)) {
        if (e.phoff >= size) {
            g_set_error(error, ELFCORE_ERROR, ELFCORE_ERROR_TRUNCATED,
                        "truncated ELF file: the program headers start at 0x%" PRIx64 ", "
                        "past the end, file has 0x%zx bytes",
                        e.phoff, size);
        } else {
            uint64_t first_cut = (size - e.phoff) / phdr_size;

            g_set_error(error, ELFCORE_ERROR, ELFCORE_ERROR_TRUNCATED,
                        "truncated ELF file: program header %" PRIu64 " ends at 0x%" PRIx64 ", "
                        "file has 0x%zx bytes",
                        first_cut, e.phoff + (first_cut + 1) * phdr_size, size);
        }
        return false;
    }

    for (size_t i = 0; i < phnum; i++) {
        phdr_t ph;

        read_phdr(data + e.phoff + i * phdr_size, p.is64, &ph);
        if (ph.type == PT_LOAD) {
            if (!add_load(&p, i, &ph, loads, error))
                return false;
        } else if (ph.type == PT_NOTE) {
            if (!in_file(&p, ph.offset, ph.filesz)) {
                g_set_error(error, ELFCORE_ERROR, ELFCORE_ERROR_TRUNCATED,
                            "truncated ELF file: PT_NOTE (program header %zu) "
                            "at 0x%" PRIx64 " with 0x%" PRIx64 " bytes runs past the end, "
                            "file has 0x%zx bytes",
                            i, ph.offset, ph.filesz, size);
                return false;
            }
            if (!parse_note_segment(&p, i, ph.offset, ph.filesz, error))
                return false;
        }
    }
    if (!sort_loads(loads, error))
        return false;

    out->elf_class = p.is64 ? 64 : 32;
    out->machine = e.machine;
    out->nranges = loads->len;
    out->ranges = g_new(elfcore_range_t, loads->len);
    for (guint i = 0; i < loads->len; i++)
        out->ranges[i] = g_array_index(loads, load_t, i).r;
    merge_cpus(&p, out);
    return true;
}

void
elfcore_clear(elfcore_t *core)
{
    if (!core)
        return;
    g_free(core->ranges);
    g_free(core->cpus);
    memset(core, 0, sizeof(*core));
}

ssize_t
elfcore_find(const elfcore_t *core, uint64_t pa)
{
    size_t lo = 0, hi;

    if (!core)
        return -1;
    /* invariant: every range before lo starts at or below pa ... */
    hi = core->nranges;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (core->ranges[mid].pa <= pa)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* ... so lo - 1 is the last range starting at or below pa */
    if (lo == 0)
        return -1;
    if (pa - core->ranges[lo - 1].pa >= core->ranges[lo - 1].memsize)
        return -1;
    return (ssize_t)(lo - 1);
}
