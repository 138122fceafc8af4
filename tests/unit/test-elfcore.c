/*
 * test-elfcore.c - the ELF core parser against cores built in memory, cut
 * and corrupted copies of them, random byte flips, and the headers of a
 * real QEMU 7.2 dump.
 *
 * Every input is handed to the parser in an allocation of exactly its
 * size, so AddressSanitizer catches a read one byte past the end.
 */
#include "elfcore.h"

#include <elf.h>
#include <string.h>

/* ---- a tiny ELF core writer ------------------------------------------- */

#define NOTE_HDR        12
#define PRSTATUS64_SIZE 336     /* what QEMU writes */
#define PRSTATUS32_SIZE 144
#define QCS_SIZE_V1     432
#define QCS_SIZE_KGS    440

typedef struct {
    uint64_t pa, filesz, memsz;
} t_load;

/* One vCPU in QEMUCPUState terms. */
typedef struct {
    uint64_t gpr[18];           /* rax rbx rcx rdx rsi rdi rsp rbp r8..r15 rip rflags */
    uint32_t sel[10], limit[10], flags[10];
    uint64_t base[10];
    uint64_t cr[5];
    uint64_t kernel_gs_base;
} t_cpu;

enum { G_RAX, G_RBX, G_RCX, G_RDX, G_RSI, G_RDI, G_RSP, G_RBP, G_R8, G_R9, G_R10,
       G_R11, G_R12, G_R13, G_R14, G_R15, G_RIP, G_RFLAGS };

typedef struct {
    bool is64;
    uint16_t machine;
    const t_load *loads;
    size_t nloads;
    size_t ncpus;
    bool prstatus;              /* write NT_PRSTATUS notes */
    bool qemu;                  /* write QEMU notes */
    uint32_t qemu_size;         /* QEMUCPUState size: 432 or 440 */
    bool interleave;            /* CORE, QEMU per vCPU instead of QEMU's grouping */
    bool vmcoreinfo;            /* a trailing guest note the parser must skip */
    uint64_t prstatus_xor;      /* make prstatus GPRs differ from the QEMU note */
    bool pn_xnum;               /* e_phnum = PN_XNUM, count in section header 0 */
} t_spec;

typedef struct {
    uint8_t *data;
    size_t size;
    size_t phoff, phentsize;
    size_t note_off, note_len;
    size_t note_at[8];          /* file offset of each note header */
    size_t nnotes;
} t_core;

static void
t_core_clear(t_core *c)
{
    g_free(c->data);
    memset(c, 0, sizeof(*c));
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(t_core, t_core_clear)

static void
put(uint8_t *p, uint64_t v, size_t width)
{
    for (size_t i = 0; i < width; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t
get(const uint8_t *p, size_t width)
{
    uint64_t v = 0;

    for (size_t i = width; i > 0; i--)
        v = (v << 8) | p[i - 1];
    return v;
}

/* Byte stored at guest-physical @pa: varies with pa so a wrong offset shows. */
static uint8_t
pattern(uint64_t pa)
{
    return (uint8_t)(pa * 7 + (pa >> 8) * 13 + (pa >> 16) + 1);
}

/* Distinct, full 64-bit values per vCPU and register. */
static void
t_cpu_fill(t_cpu *c, size_t k)
{
    memset(c, 0, sizeof(*c));
    for (size_t i = 0; i < G_N_ELEMENTS(c->gpr); i++)
        c->gpr[i] = ((uint64_t)(0xa0 + k) << 56) | ((uint64_t)i << 40) | (0x10000 * (k + 1)) | (i << 4);
    c->gpr[G_RIP] = 0xffffffff81000000ULL + 0x1000 * k + 0x123;
    c->gpr[G_RSP] = 0xffffc90000004000ULL + 0x100 * k;
    c->gpr[G_RFLAGS] = 0x246 + k;
    for (size_t s = 0; s < 10; s++) {
        c->sel[s] = (uint32_t)(0x08 * (s + 1) + k);
        c->limit[s] = 0xfffff - (uint32_t)s;
        c->flags[s] = 0xa09b00 + (uint32_t)(s << 4) + (uint32_t)k;
        c->base[s] = 0x7f0000000000ULL + (s << 20) + (k << 12);
    }
    c->cr[0] = 0x80050033 + k;
    c->cr[2] = 0xdead0000 + k;
    c->cr[3] = 0x1aa000 + 0x1000 * k;
    c->cr[4] = 0x3606f0 + k;
    c->kernel_gs_base = 0xffff888007c00000ULL + (k << 16);
}

static void
note_append(GByteArray *a, const char *name, uint32_t type, const uint8_t *desc, uint32_t descsz)
{
    uint32_t namesz = (uint32_t)strlen(name) + 1;
    uint8_t hdr[NOTE_HDR];
    static const uint8_t zero[4];

    put(hdr, namesz, 4);
    put(hdr + 4, descsz, 4);
    put(hdr + 8, type, 4);
    g_byte_array_append(a, hdr, sizeof(hdr));
    g_byte_array_append(a, (const uint8_t *)name, namesz);
    g_byte_array_append(a, zero, (4 - namesz % 4) % 4);
    g_byte_array_append(a, desc, descsz);
    g_byte_array_append(a, zero, (4 - descsz % 4) % 4);
}

/* Linux elf_prstatus layouts as QEMU's target/i386/arch_dump.c fills them. */
static void
note_prstatus(GByteArray *a, const t_spec *s, const t_cpu *c, size_t k)
{
    uint8_t d[PRSTATUS64_SIZE] = { 0 };
    uint64_t g[18];

    for (size_t i = 0; i < 18; i++)
        g[i] = c->gpr[i] ^ s->prstatus_xor;
    if (s->machine == EM_X86_64) {
        uint64_t r[27] = {
            g[G_R15], g[G_R14], g[G_R13], g[G_R12], g[G_RBP], g[G_RBX], g[G_R11], g[G_R10],
            g[G_R9], g[G_R8], g[G_RAX], g[G_RCX], g[G_RDX], g[G_RSI], g[G_RDI], 0,
            g[G_RIP], c->sel[ELFCORE_SEG_CS], g[G_RFLAGS], g[G_RSP], c->sel[ELFCORE_SEG_SS],
            c->base[ELFCORE_SEG_FS], c->base[ELFCORE_SEG_GS],
            c->sel[ELFCORE_SEG_DS], c->sel[ELFCORE_SEG_ES], c->sel[ELFCORE_SEG_FS],
            c->sel[ELFCORE_SEG_GS],
        };

        put(d + 32, k + 1, 4);          /* pr_pid */
        for (size_t i = 0; i < 27; i++)
            put(d + 112 + 8 * i, r[i], 8);
        note_append(a, "CORE", NT_PRSTATUS, d, PRSTATUS64_SIZE);
    } else {
        uint64_t r[17] = {
            g[G_RBX], g[G_RCX], g[G_RDX], g[G_RSI], g[G_RDI], g[G_RBP], g[G_RAX],
            c->sel[ELFCORE_SEG_DS], c->sel[ELFCORE_SEG_ES], c->sel[ELFCORE_SEG_FS],
            c->sel[ELFCORE_SEG_GS], 0, g[G_RIP], c->sel[ELFCORE_SEG_CS], g[G_RFLAGS],
            g[G_RSP], c->sel[ELFCORE_SEG_SS],
        };

        put(d + 24, k + 1, 4);
        for (size_t i = 0; i < 17; i++)
            put(d + 72 + 4 * i, r[i], 4);
        /* selectors are u16 with a u16 pad after them: fill the pads so a
         * reader of 32 bits would show */
        for (size_t i = 0; i < 17; i++)
            if (i == 7 || i == 8 || i == 9 || i == 10 || i == 13 || i == 16)
                put(d + 72 + 4 * i + 2, 0xdead, 2);
        note_append(a, "CORE", NT_PRSTATUS, d, PRSTATUS32_SIZE);
    }
}

static void
note_qemu(GByteArray *a, const t_spec *s, const t_cpu *c)
{
    uint8_t d[QCS_SIZE_KGS] = { 0 };

    put(d, 1, 4);
    put(d + 4, s->qemu_size, 4);
    for (size_t i = 0; i < 18; i++)
        put(d + 8 + 8 * i, c->gpr[i], 8);
    for (size_t i = 0; i < 10; i++) {
        uint8_t *seg = d + 152 + 24 * i;

        put(seg, c->sel[i], 4);
        put(seg + 4, c->limit[i], 4);
        put(seg + 8, c->flags[i], 4);
        put(seg + 16, c->base[i], 8);
    }
    for (size_t i = 0; i < 5; i++)
        put(d + 392 + 8 * i, c->cr[i], 8);
    put(d + 432, c->kernel_gs_base, 8);
    note_append(a, "QEMU", 0, d, s->qemu_size);
}

/* Layout as QEMU writes it: Ehdr, Phdrs (PT_NOTE first), [Shdr 0], notes,
 * memory.  Memory holds pattern(pa) for each backed byte. */
static void
build(const t_spec *s, t_core *out)
{
    g_autoptr(GByteArray) notes = g_byte_array_new();
    size_t ehsize = s->is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
    size_t phsize = s->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
    size_t shsize = s->is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
    size_t phnum = 1 + s->nloads;
    size_t shoff, data_off, off;
    uint8_t *b;

    memset(out, 0, sizeof(*out));
    g_assert_cmpuint(s->ncpus, <=, 3);
    for (size_t k = 0; k < s->ncpus; k++) {
        t_cpu c;

        t_cpu_fill(&c, k);
        if (s->prstatus) {
            out->note_at[out->nnotes++] = notes->len;
            note_prstatus(notes, s, &c, k);
        }
        if (s->qemu && s->interleave) {
            out->note_at[out->nnotes++] = notes->len;
            note_qemu(notes, s, &c);
        }
    }
    for (size_t k = 0; s->qemu && !s->interleave && k < s->ncpus; k++) {
        t_cpu c;

        t_cpu_fill(&c, k);
        out->note_at[out->nnotes++] = notes->len;
        note_qemu(notes, s, &c);
    }
    if (s->vmcoreinfo) {
        static const char info[] = "OSRELEASE=6.1.0\nPAGESIZE=4096\n";

        out->note_at[out->nnotes++] = notes->len;
        note_append(notes, "VMCOREINFO", 0, (const uint8_t *)info, sizeof(info) - 1);
    }

    out->phoff = ehsize;
    out->phentsize = phsize;
    shoff = ehsize + phnum * phsize;
    out->note_off = shoff + (s->pn_xnum ? shsize : 0);
    out->note_len = notes->len;
    for (size_t i = 0; i < out->nnotes; i++)
        out->note_at[i] += out->note_off;
    data_off = out->note_off + notes->len;
    out->size = data_off;
    for (size_t i = 0; i < s->nloads; i++)
        out->size += s->loads[i].filesz;
    out->data = b = g_malloc0(out->size);

    memcpy(b, ELFMAG, SELFMAG);
    b[EI_CLASS] = s->is64 ? ELFCLASS64 : ELFCLASS32;
    b[EI_DATA] = ELFDATA2LSB;
    b[EI_VERSION] = EV_CURRENT;
#define EH(field, v) (s->is64 ? put(b + offsetof(Elf64_Ehdr, field), v, sizeof(((Elf64_Ehdr *)0)->field)) \
                              : put(b + offsetof(Elf32_Ehdr, field), v, sizeof(((Elf32_Ehdr *)0)->field)))
    EH(e_type, ET_CORE);
    EH(e_machine, s->machine);
    EH(e_version, EV_CURRENT);
    EH(e_phoff, out->phoff);
    EH(e_ehsize, ehsize);
    EH(e_phentsize, phsize);
    EH(e_phnum, s->pn_xnum ? PN_XNUM : phnum);
    if (s->pn_xnum) {
        EH(e_shoff, shoff);
        EH(e_shentsize, shsize);
        EH(e_shnum, 1);
        if (s->is64)
            put(b + shoff + offsetof(Elf64_Shdr, sh_info), phnum, 4);
        else
            put(b + shoff + offsetof(Elf32_Shdr, sh_info), phnum, 4);
    }
#undef EH

    if (notes->len)
        memcpy(b + out->note_off, notes->data, notes->len);
    off = data_off;
    for (size_t i = 0; i < phnum; i++) {
        uint8_t *ph = b + out->phoff + i * phsize;
        uint32_t type = i == 0 ? PT_NOTE : PT_LOAD;
        uint64_t offset = i == 0 ? out->note_off : off;
        uint64_t pa = 0, filesz = notes->len, memsz = notes->len;

        if (i > 0) {
            const t_load *l = &s->loads[i - 1];

            pa = l->pa;
            filesz = l->filesz;
            memsz = l->memsz;
            for (uint64_t j = 0; j < filesz; j++)
                b[off + j] = pattern(pa + j);
            off += filesz;
        }
#define PH(field, v) (s->is64 ? put(ph + offsetof(Elf64_Phdr, field), v, sizeof(((Elf64_Phdr *)0)->field)) \
                              : put(ph + offsetof(Elf32_Phdr, field), v, sizeof(((Elf32_Phdr *)0)->field)))
        PH(p_type, type);
        PH(p_offset, offset);
        PH(p_vaddr, pa);
        PH(p_paddr, pa);
        PH(p_filesz, filesz);
        PH(p_memsz, memsz);
#undef PH
    }
}

/* PT_LOADs out of pa order, a hole between the first two, a zero-filled
 * tail (filesz < memsz), and a load QEMU leaves out of a filtered dump. */
static const t_load loads_std[] = {
    { 0x100000, 0x1000, 0x2000 },
    { 0x0, 0x3000, 0x3000 },
    { 0x5000, 0x2000, 0x2000 },
    { 0x200000, 0, 0x1000 },
};

static const t_spec spec64 = {
    .is64 = true, .machine = EM_X86_64, .loads = loads_std, .nloads = G_N_ELEMENTS(loads_std),
    .ncpus = 2, .prstatus = true, .qemu = true, .qemu_size = QCS_SIZE_KGS,
};

static const t_spec spec32 = {
    .is64 = false, .machine = EM_386, .loads = loads_std, .nloads = G_N_ELEMENTS(loads_std),
    .ncpus = 2, .prstatus = true, .qemu = true, .qemu_size = QCS_SIZE_V1,
};

/* ---- helpers ----------------------------------------------------------- */

static bool
parse_copy(const uint8_t *data, size_t size, elfcore_t *core, GError **error)
{
    g_autofree uint8_t *copy = size ? g_memdup2(data, size) : NULL;

    return elfcore_parse(copy, size, core, error);
}

static void
expect_error(const uint8_t *data, size_t size, int code, const char *fragment)
{
    g_autoptr(GError) error = NULL;
    elfcore_t core;

    g_assert_false(parse_copy(data, size, &core, &error));
    g_assert_nonnull(error);
    if (g_test_verbose())
        g_test_message("expected error: %s", error->message);
    g_assert_error(error, ELFCORE_ERROR, code);
    if (fragment && !strstr(error->message, fragment))
        g_error("error '%s' lacks '%s'", error->message, fragment);
    g_assert_null(core.ranges);
    g_assert_null(core.cpus);
    g_assert_cmpuint(core.nranges, ==, 0);
    elfcore_clear(&core);
}

static void
parse_ok(const t_core *c, elfcore_t *core)
{
    g_autoptr(GError) error = NULL;

    if (!parse_copy(c->data, c->size, core, &error))
        g_error("parse failed: %s", error->message);
}

static uint8_t *
ph_at(const t_core *c, size_t i)
{
    return c->data + c->phoff + i * c->phentsize;
}

/* Set field @f of program header @i (or the ELF header with i == -1). */
#define SET_PH(c, is64, i, field, v) \
    ((is64) ? put(ph_at(c, i) + offsetof(Elf64_Phdr, field), v, sizeof(((Elf64_Phdr *)0)->field)) \
            : put(ph_at(c, i) + offsetof(Elf32_Phdr, field), v, sizeof(((Elf32_Phdr *)0)->field)))
#define SET_EH(c, is64, field, v) \
    ((is64) ? put((c)->data + offsetof(Elf64_Ehdr, field), v, sizeof(((Elf64_Ehdr *)0)->field)) \
            : put((c)->data + offsetof(Elf32_Ehdr, field), v, sizeof(((Elf32_Ehdr *)0)->field)))

static void
check_ranges(const elfcore_t *core, const uint8_t *data)
{
    /* sorted, zero-size load dropped */
    static const struct { uint64_t pa, size, memsize; } want[] = {
        { 0x0, 0x3000, 0x3000 }, { 0x5000, 0x2000, 0x2000 }, { 0x100000, 0x1000, 0x2000 },
    };

    g_assert_cmpuint(core->nranges, ==, G_N_ELEMENTS(want));
    for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
        const elfcore_range_t *r = &core->ranges[i];

        g_assert_cmphex(r->pa, ==, want[i].pa);
        g_assert_cmphex(r->size, ==, want[i].size);
        g_assert_cmphex(r->memsize, ==, want[i].memsize);
        /* the offset leads to the bytes of that pa */
        g_assert_cmpuint(data[r->offset], ==, pattern(r->pa));
        g_assert_cmpuint(data[r->offset + r->size - 1], ==, pattern(r->pa + r->size - 1));
    }
}

/* The register state as the QEMU note carries it. */
static void
check_cpu_qemu(const elfcore_cpu_t *cpu, size_t k, bool kgs)
{
    t_cpu w;

    t_cpu_fill(&w, k);
    g_assert_true(cpu->has_qemu);
    g_assert_cmphex(cpu->rax, ==, w.gpr[G_RAX]);
    g_assert_cmphex(cpu->rbx, ==, w.gpr[G_RBX]);
    g_assert_cmphex(cpu->rcx, ==, w.gpr[G_RCX]);
    g_assert_cmphex(cpu->rdx, ==, w.gpr[G_RDX]);
    g_assert_cmphex(cpu->rsi, ==, w.gpr[G_RSI]);
    g_assert_cmphex(cpu->rdi, ==, w.gpr[G_RDI]);
    g_assert_cmphex(cpu->rsp, ==, w.gpr[G_RSP]);
    g_assert_cmphex(cpu->rbp, ==, w.gpr[G_RBP]);
    g_assert_cmphex(cpu->r8, ==, w.gpr[G_R8]);
    g_assert_cmphex(cpu->r11, ==, w.gpr[G_R11]);
    g_assert_cmphex(cpu->r15, ==, w.gpr[G_R15]);
    g_assert_cmphex(cpu->rip, ==, w.gpr[G_RIP]);
    g_assert_cmphex(cpu->rflags, ==, w.gpr[G_RFLAGS]);
    for (size_t s = 0; s < 10; s++) {
        g_assert_cmphex(cpu->seg[s].selector, ==, w.sel[s]);
        g_assert_cmphex(cpu->seg[s].limit, ==, w.limit[s]);
        g_assert_cmphex(cpu->seg[s].flags, ==, w.flags[s]);
        g_assert_cmphex(cpu->seg[s].base, ==, w.base[s]);
    }
    for (size_t i = 0; i < 5; i++)
        g_assert_cmphex(cpu->cr[i], ==, w.cr[i]);
    g_assert_cmpint(cpu->has_kernel_gs_base, ==, kgs);
    g_assert_cmphex(cpu->kernel_gs_base, ==, kgs ? w.kernel_gs_base : 0);
}

/* The register state as NT_PRSTATUS alone carries it. */
static void
check_cpu_prstatus(const elfcore_cpu_t *cpu, size_t k, bool x64, uint64_t xor)
{
    uint64_t mask = x64 ? UINT64_MAX : UINT32_MAX;
    t_cpu w;

    t_cpu_fill(&w, k);
    g_assert_true(cpu->has_prstatus);
    g_assert_false(cpu->has_qemu);
    g_assert_cmphex(cpu->rax, ==, (w.gpr[G_RAX] ^ xor) & mask);
    g_assert_cmphex(cpu->rbx, ==, (w.gpr[G_RBX] ^ xor) & mask);
    g_assert_cmphex(cpu->rcx, ==, (w.gpr[G_RCX] ^ xor) & mask);
    g_assert_cmphex(cpu->rdx, ==, (w.gpr[G_RDX] ^ xor) & mask);
    g_assert_cmphex(cpu->rsi, ==, (w.gpr[G_RSI] ^ xor) & mask);
    g_assert_cmphex(cpu->rdi, ==, (w.gpr[G_RDI] ^ xor) & mask);
    g_assert_cmphex(cpu->rbp, ==, (w.gpr[G_RBP] ^ xor) & mask);
    g_assert_cmphex(cpu->rsp, ==, (w.gpr[G_RSP] ^ xor) & mask);
    g_assert_cmphex(cpu->rip, ==, (w.gpr[G_RIP] ^ xor) & mask);
    g_assert_cmphex(cpu->rflags, ==, (w.gpr[G_RFLAGS] ^ xor) & mask);
    g_assert_cmphex(cpu->r8, ==, x64 ? w.gpr[G_R8] ^ xor : 0);
    g_assert_cmphex(cpu->r9, ==, x64 ? w.gpr[G_R9] ^ xor : 0);
    g_assert_cmphex(cpu->r10, ==, x64 ? w.gpr[G_R10] ^ xor : 0);
    g_assert_cmphex(cpu->r12, ==, x64 ? w.gpr[G_R12] ^ xor : 0);
    g_assert_cmphex(cpu->r13, ==, x64 ? w.gpr[G_R13] ^ xor : 0);
    g_assert_cmphex(cpu->r14, ==, x64 ? w.gpr[G_R14] ^ xor : 0);
    g_assert_cmphex(cpu->r15, ==, x64 ? w.gpr[G_R15] ^ xor : 0);
    for (size_t s = ELFCORE_SEG_CS; s <= ELFCORE_SEG_SS; s++)
        g_assert_cmphex(cpu->seg[s].selector, ==, w.sel[s] & (x64 ? UINT32_MAX : 0xffff));
    g_assert_cmphex(cpu->seg[ELFCORE_SEG_FS].base, ==, x64 ? w.base[ELFCORE_SEG_FS] : 0);
    g_assert_cmphex(cpu->seg[ELFCORE_SEG_GS].base, ==, x64 ? w.base[ELFCORE_SEG_GS] : 0);
    g_assert_cmphex(cpu->cr[3], ==, 0);
}

/* ---- good files -------------------------------------------------------- */

static void
test_parse64(void)
{
    g_auto(t_core) c;
    elfcore_t core;

    build(&spec64, &c);
    parse_ok(&c, &core);
    g_assert_cmpint(core.elf_class, ==, 64);
    g_assert_cmpuint(core.machine, ==, EM_X86_64);
    check_ranges(&core, c.data);
    g_assert_cmpuint(core.ncpus, ==, 2);
    for (size_t k = 0; k < 2; k++) {
        g_assert_true(core.cpus[k].has_prstatus);
        check_cpu_qemu(&core.cpus[k], k, true);
    }
    /* spot checks in plain numbers, independent of t_cpu_fill */
    g_assert_cmphex(core.cpus[0].cr[3], ==, 0x1aa000);
    g_assert_cmphex(core.cpus[1].cr[3], ==, 0x1ab000);
    g_assert_cmphex(core.cpus[1].rip, ==, 0xffffffff81001123ULL);
    g_assert_cmphex(core.cpus[0].rsp, ==, 0xffffc90000004000ULL);
    g_assert_cmphex(core.cpus[1].seg[ELFCORE_SEG_CS].selector, ==, 0x09);
    elfcore_clear(&core);
    g_assert_null(core.ranges);
}

static void
test_parse32(void)
{
    g_auto(t_core) c;
    elfcore_t core;

    build(&spec32, &c);
    parse_ok(&c, &core);
    g_assert_cmpint(core.elf_class, ==, 32);
    g_assert_cmpuint(core.machine, ==, EM_386);
    check_ranges(&core, c.data);
    g_assert_cmpuint(core.ncpus, ==, 2);
    for (size_t k = 0; k < 2; k++) {
        g_assert_true(core.cpus[k].has_prstatus);
        check_cpu_qemu(&core.cpus[k], k, false);
    }
    g_assert_cmphex(core.cpus[1].cr[3], ==, 0x1ab000);
    elfcore_clear(&core);
}

/* QEMU writes ELF64 with EM_386 and i386 prstatus for a 32-bit guest with
 * RAM above 4 GiB; the machine, not the class, picks the layout. */
static void
test_elf64_i386(void)
{
    static const t_load loads[] = { { 0x0, 0x1000, 0x1000 }, { 0x100000000ULL, 0x1000, 0x1000 } };
    t_spec s = spec32;
    g_auto(t_core) c;
    elfcore_t core;

    s.is64 = true;
    s.loads = loads;
    s.nloads = G_N_ELEMENTS(loads);
    s.qemu = false;
    build(&s, &c);
    parse_ok(&c, &core);
    g_assert_cmpint(core.elf_class, ==, 64);
    g_assert_cmpuint(core.nranges, ==, 2);
    g_assert_cmphex(core.ranges[1].pa, ==, 0x100000000ULL);
    g_assert_cmpuint(core.ncpus, ==, 2);
    for (size_t k = 0; k < 2; k++)
        check_cpu_prstatus(&core.cpus[k], k, false, 0);
    elfcore_clear(&core);
}

static void
test_prstatus_only(void)
{
    for (int is64 = 0; is64 <= 1; is64++) {
        t_spec s = is64 ? spec64 : spec32;
        g_auto(t_core) c;
        elfcore_t core;

        s.qemu = false;
        s.prstatus_xor = 0x5a5a;
        build(&s, &c);
        parse_ok(&c, &core);
        g_assert_cmpuint(core.ncpus, ==, 2);
        for (size_t k = 0; k < 2; k++)
            check_cpu_prstatus(&core.cpus[k], k, is64, s.prstatus_xor);
        /* spot check: i386 eip is the low half */
        g_assert_cmphex(core.cpus[1].rip, ==, is64 ? 0xffffffff81001123ULL ^ 0x5a5a : 0x81001123 ^ 0x5a5a);
        elfcore_clear(&core);
    }
}

/* Where both notes carry a register the QEMU note wins; the pairing also
 * holds for interleaved notes, and foreign notes are skipped. */
static void
test_precedence_interleaved(void)
{
    t_spec s = spec64;
    g_auto(t_core) c;
    elfcore_t core;

    s.prstatus_xor = 0xffff0000ffff;
    s.interleave = true;
    s.vmcoreinfo = true;
    s.ncpus = 3;
    build(&s, &c);
    parse_ok(&c, &core);
    g_assert_cmpuint(core.ncpus, ==, 3);
    for (size_t k = 0; k < 3; k++) {
        g_assert_true(core.cpus[k].has_prstatus);
        check_cpu_qemu(&core.cpus[k], k, true);
    }
    elfcore_clear(&core);
}

static void
test_qemu_only(void)
{
    t_spec s = spec64;
    g_auto(t_core) c;
    elfcore_t core;

    s.prstatus = false;
    s.qemu_size = QCS_SIZE_V1;
    build(&s, &c);
    parse_ok(&c, &core);
    g_assert_cmpuint(core.ncpus, ==, 2);
    for (size_t k = 0; k < 2; k++) {
        g_assert_false(core.cpus[k].has_prstatus);
        check_cpu_qemu(&core.cpus[k], k, false);
    }
    elfcore_clear(&core);
}

static void
test_no_notes(void)
{
    t_spec s = spec64;
    g_auto(t_core) c;
    elfcore_t core;

    s.prstatus = s.qemu = false;
    build(&s, &c);
    parse_ok(&c, &core);
    g_assert_cmpuint(core.ncpus, ==, 0);
    g_assert_null(core.cpus);
    g_assert_cmpuint(core.nranges, ==, 3);
    elfcore_clear(&core);
}

static void
test_pn_xnum(void)
{
    for (int is64 = 0; is64 <= 1; is64++) {
        t_spec s = is64 ? spec64 : spec32;
        g_auto(t_core) c;
        elfcore_t core;

        s.pn_xnum = true;
        build(&s, &c);
        parse_ok(&c, &core);
        check_ranges(&core, c.data);
        g_assert_cmpuint(core.ncpus, ==, 2);
        elfcore_clear(&core);

        /* a count beyond the bound in sh_info */
        if (is64)
            put(c.data + c.phoff + 5 * c.phentsize + offsetof(Elf64_Shdr, sh_info), 65537, 4);
        else
            put(c.data + c.phoff + 5 * c.phentsize + offsetof(Elf32_Shdr, sh_info), 65537, 4);
        expect_error(c.data, c.size, ELFCORE_ERROR_INVALID, "65537");
        /* and no section header at all */
        SET_EH(&c, is64, e_shoff, 0);
        expect_error(c.data, c.size, ELFCORE_ERROR_INVALID, "PN_XNUM");
    }
}

static void
test_find(void)
{
    g_auto(t_core) c;
    elfcore_t core;
    static const struct { uint64_t pa; ssize_t idx; } cases[] = {
        { 0x0, 0 }, { 0x1, 0 }, { 0x2fff, 0 },
        { 0x3000, -1 }, { 0x4fff, -1 },                 /* the hole */
        { 0x5000, 1 }, { 0x6fff, 1 }, { 0x7000, -1 },
        { 0xfffff, -1 }, { 0x100000, 2 }, { 0x100fff, 2 },
        { 0x101000, 2 }, { 0x101fff, 2 },               /* zero-filled tail */
        { 0x102000, -1 },
        { 0x200000, -1 },                               /* dropped zero-size load */
        { UINT64_MAX, -1 },
    };

    build(&spec64, &c);
    parse_ok(&c, &core);
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        ssize_t idx = elfcore_find(&core, cases[i].pa);

        if (idx != cases[i].idx)
            g_error("elfcore_find(0x%" G_GINT64_MODIFIER "x) = %zd, want %zd", cases[i].pa, idx, cases[i].idx);
        if (idx >= 0 && cases[i].pa - core.ranges[idx].pa < core.ranges[idx].size) {
            const elfcore_range_t *r = &core.ranges[idx];

            g_assert_cmpuint(c.data[r->offset + (cases[i].pa - r->pa)], ==, pattern(cases[i].pa));
        }
    }
    elfcore_clear(&core);
    g_assert_cmpint(elfcore_find(&core, 0), ==, -1);
    g_assert_cmpint(elfcore_find(NULL, 0), ==, -1);

    /* a range ending one byte below the top of the address space: its
     * end, and so the memory size, is still a 64-bit number */
    {
        static const t_load top[] = { { 0xffffffffffffe000ULL, 0x10, 0x1fff } };
        t_spec s = spec64;
        g_auto(t_core) t;

        s.loads = top;
        s.nloads = 1;
        build(&s, &t);
        parse_ok(&t, &core);
        g_assert_cmpint(elfcore_find(&core, UINT64_MAX - 1), ==, 0);
        g_assert_cmpint(elfcore_find(&core, UINT64_MAX), ==, -1);
        g_assert_cmpint(elfcore_find(&core, 0xffffffffffffdfffULL), ==, -1);
        g_assert_cmphex(core.ranges[0].pa + core.ranges[0].memsize, ==, UINT64_MAX);
        elfcore_clear(&core);
    }
    /* a range ending at 2^64 would make the memory size wrap to 0: refused */
    {
        static const t_load top[] = { { 0xfffffffffffff000ULL, 0x10, 0x1000 } };
        t_spec s = spec64;
        g_auto(t_core) t;

        s.loads = top;
        s.nloads = 1;
        build(&s, &t);
        expect_error(t.data, t.size, ELFCORE_ERROR_INVALID, "wraps around");
    }
}

static void
test_is_elf(void)
{
    g_assert_true(elfcore_is_elf((const uint8_t *)"\177ELF", 4));
    g_assert_false(elfcore_is_elf((const uint8_t *)"\177EL", 3));
    g_assert_false(elfcore_is_elf((const uint8_t *)"\177ELG", 4));
    g_assert_false(elfcore_is_elf(NULL, 0));
}

/* ---- broken files ------------------------------------------------------ */

static void
test_truncated(void)
{
    for (int is64 = 0; is64 <= 1; is64++) {
        g_auto(t_core) c;
        size_t head;

        build(is64 ? &spec64 : &spec32, &c);
        head = c.note_off + c.note_len;
        /* every 7 bytes through headers and notes, then into the memory;
         * the last load ends at the end of the file, so every cut shows */
        for (size_t cut = 0; cut < c.size; cut += cut < head + 64 ? 7 : 0x3ff)
            expect_error(c.data, cut, ELFCORE_ERROR_TRUNCATED, NULL);
        expect_error(c.data, c.size - 1, ELFCORE_ERROR_TRUNCATED, NULL);
    }
}

static void
test_corrupt_header(void)
{
    for (int is64 = 0; is64 <= 1; is64++) {
        const t_spec *s = is64 ? &spec64 : &spec32;

        {
            g_auto(t_core) c;

            build(s, &c);
            c.data[1] = 'F';
            expect_error(c.data, c.size, ELFCORE_ERROR_INVALID, "bad magic");
        }
        {
            g_auto(t_core) c;

            build(s, &c);
            c.data[EI_CLASS] = 3;
            expect_error(c.data, c.size, ELFCORE_ERROR_UNSUPPORTED, "class 3");
            c.data[EI_CLASS] = ELFCLASSNONE;
            expect_error(c.data, c.size, ELFCORE_ERROR_UNSUPPORTED, "class 0");
        }
        {
            g_auto(t_core) c;

            build(s, &c);
            /* the other class misreads every field: must fail, not crash */
            c.data[EI_CLASS] = is64 ? ELFCLASS32 : ELFCLASS64;
            expect_error(c.data, c.size, ELFCORE_ERROR_INVALID, NULL);
        }
        {
            g_auto(t_core) c;

            build(s, &c);
            c.data[EI_DATA] = ELFDATA2MSB;
            expect_error(c.data, c.size, ELFCORE_ERROR_UNSUPPORTED, "byte order");
        }
        {
            g_auto(t_core) c;

            build(s, &c);
            SET_EH(&c, is64, e_type, ET_EXEC);
            expect_error(c.data, c.size, ELFCORE_ERROR_INVALID, "ET_CORE");
        }
        {
            g_auto(t_core) c;

            build(s, &c);
            SET_EH(&c, is64, e_machine, EM_AARCH64);
            expect_error(c.data, c.size, ELFCORE_ERROR_UNSUPPORTED, "machine 183");
        }
        {
            g_auto(t_core) c;

            build(s, &c);
            SET_EH(&c, is64, e_phentsize, c.phentsize + 8);
            expect_error(c.data, c.size, ELFCORE_ERROR_INVALID, "e_phentsize");
        }
        {
            g_auto(t_core) c;

            build(s, &c);
            SET_EH(&c, is64, e_phnum, 0xfffe);
            expect_error(c.data, c.size, ELFCORE_ERROR_TRUNCATED, "program header");
        }
        {
            g_auto(t_core) c;

            build(s, &c);
            SET_EH(&c, is64, e_phoff, c.size + 1);
            expect_error(c.data, c.size, ELFCORE_ERROR_TRUNCATED, "past the end");
            /* phoff + table size wraps in 64 bits */
            SET_EH(&c, is64, e_phoff, is64 ? UINT64_MAX - 8 : UINT32_MAX - 8);
            expect_error(c.data, c.size, ELFCORE_ERROR_TRUNCATED, NULL);
        }
        {
            g_auto(t_core) c;

            build(s, &c);
            /* the header table straddles the end: name the header that does */
            SET_EH(&c, is64, e_phoff, c.size - c.phentsize - 3);
            expect_error(c.data, c.size, ELFCORE_ERROR_TRUNCATED, "program header 1 ends at");
        }
    }
}

static void
test_corrupt_loads(void)
{
    for (int is64 = 0; is64 <= 1; is64++) {
        const t_spec *s = is64 ? &spec64 : &spec32;
        uint64_t max = is64 ? UINT64_MAX : UINT32_MAX;

        {
            g_auto(t_core) c;

            build(s, &c);
            SET_PH(&c, is64, 1, p_filesz, 0x1001 + c.size);
            SET_PH(&c, is64, 1, p_memsz, 0x1001 + c.size);
            expect_error(c.data, c.size, ELFCORE_ERROR_TRUNCATED, "program header 1");
        }
        {
            g_auto(t_core) c;

            build(s, &c);
            SET_PH(&c, is64, 2, p_offset, max);
            expect_error(c.data, c.size, ELFCORE_ERROR_TRUNCATED, "program header 2");
            SET_PH(&c, is64, 2, p_offset, c.size - 0x2fff);
            expect_error(c.data, c.size, ELFCORE_ERROR_TRUNCATED, "program header 2");
        }
        {
            g_auto(t_core) c;

            build(s, &c);
            SET_PH(&c, is64, 3, p_memsz, 0x1fff);
            expect_error(c.data, c.size, ELFCORE_ERROR_INVALID, "larger than p_memsz");
        }
        {
            g_auto(t_core) c;

            build(s, &c);
            /* [0x5000, 0x7000) moved to overlap [0x0, 0x3000) by one byte */
            SET_PH(&c, is64, 3, p_paddr, 0x2fff);
            expect_error(c.data, c.size, ELFCORE_ERROR_INVALID, "overlap");
            /* the zero-filled tail counts too: [0x100000, 0x102000) */
            SET_PH(&c, is64, 3, p_paddr, 0x101fff);
            expect_error(c.data, c.size, ELFCORE_ERROR_INVALID, "overlap");
            SET_PH(&c, is64, 3, p_paddr, 0x102000);
            {
                elfcore_t core;

                parse_ok(&c, &core);
                elfcore_clear(&core);
            }
        }
        if (is64) {
            g_auto(t_core) c;

            build(s, &c);
            SET_PH(&c, is64, 1, p_paddr, UINT64_MAX - 0xfff);
            expect_error(c.data, c.size, ELFCORE_ERROR_INVALID, "wraps");
        }
        {
            g_auto(t_core) c;

            build(s, &c);
            SET_PH(&c, is64, 0, p_offset, c.size - 4);
            expect_error(c.data, c.size, ELFCORE_ERROR_TRUNCATED, "PT_NOTE");
        }
    }
}

static void
test_corrupt_notes(void)
{
    for (int is64 = 0; is64 <= 1; is64++) {
        const t_spec *s = is64 ? &spec64 : &spec32;

        {
            g_auto(t_core) c;

            build(s, &c);
            put(c.data + c.note_at[1], 0xffffffff, 4);          /* namesz */
            expect_error(c.data, c.size, ELFCORE_ERROR_TRUNCATED, "namesz 0xffffffff");
        }
        {
            g_auto(t_core) c;

            build(s, &c);
            put(c.data + c.note_at[2] + 4, 0xfffffffc, 4);      /* descsz */
            expect_error(c.data, c.size, ELFCORE_ERROR_TRUNCATED, "descsz 0xfffffffc");
        }
        {
            g_auto(t_core) c;

            build(s, &c);
            /* the last note's desc one byte past the segment */
            put(c.data + c.note_at[3] + 4, get(c.data + c.note_at[3] + 4, 4) + 1, 4);
            expect_error(c.data, c.size, ELFCORE_ERROR_TRUNCATED, "segment ends");
        }
        {
            g_auto(t_core) c;
            uint32_t small = is64 ? 327 : 139;

            build(s, &c);
            /* a known note too small is an error, not a silent gap */
            put(c.data + c.note_at[0] + 4, small, 4);
            expect_error(c.data, c.size, ELFCORE_ERROR_INVALID, "NT_PRSTATUS");
        }
        {
            g_auto(t_core) c;

            build(s, &c);
            put(c.data + c.note_at[2] + 4, 431, 4);
            expect_error(c.data, c.size, ELFCORE_ERROR_INVALID, "QEMU CPU state");
        }
        {
            g_auto(t_core) c;

            build(s, &c);
            put(c.data + c.note_at[3] + NOTE_HDR + 8, 2, 4);   /* version */
            expect_error(c.data, c.size, ELFCORE_ERROR_UNSUPPORTED, "version 2");
        }
        {
            g_auto(t_core) c;

            build(s, &c);
            put(c.data + c.note_at[3] + NOTE_HDR + 8 + 4, 0x1000, 4);  /* size > descsz */
            expect_error(c.data, c.size, ELFCORE_ERROR_INVALID, "claims size 0x1000");
            put(c.data + c.note_at[3] + NOTE_HDR + 8 + 4, 8, 4);
            expect_error(c.data, c.size, ELFCORE_ERROR_INVALID, "claims size 0x8");
        }
        {
            g_auto(t_core) c;
            elfcore_t core;

            build(s, &c);
            /* a different type under "CORE" is not a prstatus: skipped */
            put(c.data + c.note_at[1] + 8, NT_PRFPREG, 4);
            parse_ok(&c, &core);
            g_assert_cmpuint(core.ncpus, ==, 2);
            g_assert_true(core.cpus[0].has_prstatus);
            g_assert_false(core.cpus[1].has_prstatus);
            check_cpu_qemu(&core.cpus[1], 1, is64);
            elfcore_clear(&core);
        }
        {
            g_auto(t_core) c;

            build(s, &c);
            /* the segment stops 5 bytes into a note header */
            SET_PH(&c, is64, 0, p_filesz, c.note_at[1] - c.note_off + 5);
            expect_error(c.data, c.size, ELFCORE_ERROR_TRUNCATED, "note header");
        }
    }
}

/* More than ELFCORE_MAX_CPUS notes of one kind. */
static void
test_too_many_cpus(void)
{
    g_autoptr(GByteArray) a = g_byte_array_new();
    uint8_t ehdr[sizeof(Elf64_Ehdr)] = { 0 };
    uint8_t phdr[sizeof(Elf64_Phdr)] = { 0 };
    t_spec s = spec64;
    t_cpu cpu;

    t_cpu_fill(&cpu, 0);
    for (int n = 0; n <= ELFCORE_MAX_CPUS; n++)
        note_qemu(a, &s, &cpu);
    memcpy(ehdr, ELFMAG, SELFMAG);
    ehdr[EI_CLASS] = ELFCLASS64;
    ehdr[EI_DATA] = ELFDATA2LSB;
    ehdr[EI_VERSION] = EV_CURRENT;
    put(ehdr + offsetof(Elf64_Ehdr, e_type), ET_CORE, 2);
    put(ehdr + offsetof(Elf64_Ehdr, e_machine), EM_X86_64, 2);
    put(ehdr + offsetof(Elf64_Ehdr, e_phoff), sizeof(ehdr), 8);
    put(ehdr + offsetof(Elf64_Ehdr, e_phentsize), sizeof(phdr), 2);
    put(ehdr + offsetof(Elf64_Ehdr, e_phnum), 1, 2);
    put(phdr + offsetof(Elf64_Phdr, p_type), PT_NOTE, 4);
    put(phdr + offsetof(Elf64_Phdr, p_offset), sizeof(ehdr) + sizeof(phdr), 8);
    put(phdr + offsetof(Elf64_Phdr, p_filesz), a->len, 8);
    g_byte_array_prepend(a, phdr, sizeof(phdr));
    g_byte_array_prepend(a, ehdr, sizeof(ehdr));
    expect_error(a->data, a->len, ELFCORE_ERROR_INVALID, "more than 1024");

    /* exactly the bound is fine */
    put(a->data + sizeof(ehdr) + offsetof(Elf64_Phdr, p_filesz), a->len - sizeof(ehdr) - sizeof(phdr) - 460, 8);
    {
        g_autoptr(GError) error = NULL;
        elfcore_t core;

        g_assert_true(parse_copy(a->data, a->len, &core, &error));
        g_assert_no_error(error);
        g_assert_cmpuint(core.ncpus, ==, ELFCORE_MAX_CPUS);
        elfcore_clear(&core);
    }
}

static void
test_tiny(void)
{
    static const uint8_t one[] = { 0x7f };

    expect_error(NULL, 0, ELFCORE_ERROR_TRUNCATED, "0x0 bytes");
    expect_error(one, 1, ELFCORE_ERROR_TRUNCATED, "0x1 bytes");
    /* identification only */
    {
        g_auto(t_core) c;

        build(&spec64, &c);
        expect_error(c.data, EI_NIDENT, ELFCORE_ERROR_TRUNCATED, "ELF64 header");
    }
}

/* Random byte flips in a good core: any outcome but a crash or an
 * inconsistent result is fine. */
static void
test_fuzz(void)
{
    g_autoptr(GRand) rnd = g_rand_new_with_seed(0x5eed1e1f);
    static const t_load small[] = { { 0x0, 0x200, 0x200 }, { 0x1000, 0x100, 0x180 } };
    guint accepted = 0;

    for (int is64 = 0; is64 <= 1; is64++) {
        t_spec s = is64 ? spec64 : spec32;
        g_auto(t_core) c;
        size_t head;

        s.loads = small;
        s.nloads = G_N_ELEMENTS(small);
        s.vmcoreinfo = true;
        build(&s, &c);
        head = c.note_off + c.note_len;
        for (int iter = 0; iter < 10000; iter++) {
            g_autofree uint8_t *buf = g_memdup2(c.data, c.size);
            g_autofree uint8_t *exact = NULL;
            g_autoptr(GError) error = NULL;
            int flips = g_rand_int_range(rnd, 1, 9);
            size_t size = c.size;
            elfcore_t core;

            for (int f = 0; f < flips; f++) {
                /* mostly the headers and notes, where the parser looks */
                size_t at = g_rand_int_range(rnd, 0, 10) ? g_rand_int_range(rnd, 0, head)
                                                          : g_rand_int_range(rnd, 0, c.size);
                buf[at] = g_rand_int_range(rnd, 0, 4) ? (uint8_t)g_rand_int(rnd)
                                                      : buf[at] ^ (1u << g_rand_int_range(rnd, 0, 8));
            }
            /* sometimes cut too, into a buffer of exactly the new size */
            if (g_rand_int_range(rnd, 0, 16) == 0)
                size = g_rand_int_range(rnd, 0, c.size);
            exact = size ? g_memdup2(buf, size) : NULL;
            if (elfcore_parse(exact, size, &core, &error)) {
                accepted++;
                g_assert_no_error(error);
                g_assert_cmpuint(core.ncpus, <=, ELFCORE_MAX_CPUS);
                for (size_t i = 0; i < core.nranges; i++) {
                    const elfcore_range_t *r = &core.ranges[i];

                    g_assert_cmpuint(r->size, >, 0);
                    g_assert_cmpuint(r->size, <=, r->memsize);
                    g_assert_cmpuint(r->offset, <=, size);
                    g_assert_cmpuint(r->size, <=, size - r->offset);
                    if (i > 0)
                        g_assert_cmpuint(core.ranges[i - 1].pa + (core.ranges[i - 1].memsize - 1), <, r->pa);
                    g_assert_cmpint(elfcore_find(&core, r->pa), ==, (ssize_t)i);
                    g_assert_cmpint(elfcore_find(&core, r->pa + (r->memsize - 1)), ==, (ssize_t)i);
                }
            } else {
                g_assert_error(error, ELFCORE_ERROR, error->code);
                g_assert_nonnull(error->message);
            }
            elfcore_clear(&core);
        }
    }
    /* the flips must leave some files intact enough to parse */
    g_test_message("%u of 20000 mutated cores parsed", accepted);
    g_assert_cmpuint(accepted, >, 100);
}

/* ---- a real QEMU 7.2 dump ---------------------------------------------- */

/*
 * The first 0x8a8 bytes (ELF header, 2 section headers, 7 program headers,
 * 4 notes) of `dump-guest-memory paging=false` from QEMU 7.2.22 (Debian
 * 1:7.2+dfsg-7+deb12u18), taken with
 *
 *   qemu-system-x86_64 -accel tcg -machine pc -m 16 -smp 2 -nodefaults
 *       -display none -bios bios.bin -qmp unix:q.sock,server=on,wait=off
 *
 * where bios.bin is a 64 KiB image that goes from the reset vector to long
 * mode (identity-mapped 2 MiB page, PML4 at 0x1000, GDT in the ROM), sets
 * FS_BASE, GS_BASE, KERNEL_GS_BASE and RAX..R15 to marker values, and
 * halts.  vCPU 1 stays in wait-for-SIPI.  The expected values below are
 * from `info registers -a` taken just before the dump.  The memory (16 MiB
 * RAM plus ROMs) is all zero except the bytes in real_mem[].
 *
 * What it showed about QEMU 7.2: section headers come before the program
 * headers (e_phoff 0xc0, e_shoff 0x40), e_ehsize is 8 (wrong, so the
 * parser ignores it), the QEMU note is 0x1b8 bytes (kernel_gs_base
 * included), and notes are CORE, CORE, QEMU, QEMU.
 *
 * The same run started with -S (vCPUs at reset, not in long mode) gave
 * ELFCLASS64 with EM_386 (the BIOS block ends at 4 GiB), 0x90-byte i386
 * prstatus notes with EDX 0x60fb1 in slot 2, EIP 0xfff0 in slot 12 and CS
 * 0xf000 in slot 13 of pr_reg at desc offset 72; the parser read them as
 * `info registers` showed.  That file is not recorded here.
 */
static const uint8_t real_head[] = {
    0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x04, 0x00, 0x3e, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x38, 0x00, 0x07, 0x00, 0x40, 0x00, 0x02, 0x00, 0x01, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xa8, 0x08, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00,
    0x0b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x48, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x60, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x60, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xa8, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xa8, 0x08, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xa8, 0x08, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xa8, 0x08, 0x0f, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0f, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xa8, 0x08, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xa8, 0x08, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x50, 0x01, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x43, 0x4f, 0x52, 0x45, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0f, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0x0e, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0x0d, 0xdd, 0xdd, 0xdd,
    0xdd, 0xdd, 0xdd, 0xdd, 0x0c, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0x07, 0x77, 0x77, 0x77,
    0x77, 0x77, 0x77, 0x77, 0x02, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x0b, 0xbb, 0xbb, 0xbb,
    0xbb, 0xbb, 0xbb, 0xbb, 0x0a, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0x09, 0x99, 0x99, 0x99,
    0x99, 0x99, 0x99, 0x99, 0x08, 0x88, 0x88, 0x88, 0x88, 0x88, 0x88, 0x88, 0x01, 0x11, 0x11, 0x11,
    0x11, 0x11, 0x11, 0x11, 0x03, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x04, 0x44, 0x44, 0x44,
    0x44, 0x44, 0x44, 0x44, 0x05, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x06, 0x66, 0x66, 0x66,
    0x66, 0x66, 0x66, 0x66, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x63, 0x01, 0xff, 0xff,
    0x00, 0x00, 0x00, 0x00, 0x18, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x86, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0xf0, 0x0f, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x70, 0x56, 0x34, 0x12, 0x00, 0x00, 0x00, 0x00, 0x80, 0x67, 0x45,
    0x23, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00,
    0x50, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x43, 0x4f, 0x52, 0x45, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xb1, 0x0f, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xf0, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x05, 0x00, 0x00, 0x00, 0xb8, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x51, 0x45, 0x4d, 0x55,
    0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0xb8, 0x01, 0x00, 0x00, 0x01, 0x11, 0x11, 0x11,
    0x11, 0x11, 0x11, 0x11, 0x02, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x03, 0x33, 0x33, 0x33,
    0x33, 0x33, 0x33, 0x33, 0x04, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x05, 0x55, 0x55, 0x55,
    0x55, 0x55, 0x55, 0x55, 0x06, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0xf0, 0x0f, 0x10, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x07, 0x77, 0x77, 0x77, 0x77, 0x77, 0x77, 0x77, 0x08, 0x88, 0x88, 0x88,
    0x88, 0x88, 0x88, 0x88, 0x09, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x0a, 0xaa, 0xaa, 0xaa,
    0xaa, 0xaa, 0xaa, 0xaa, 0x0b, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0x0c, 0xcc, 0xcc, 0xcc,
    0xcc, 0xcc, 0xcc, 0xcc, 0x0d, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0x0e, 0xee, 0xee, 0xee,
    0xee, 0xee, 0xee, 0xee, 0x0f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x63, 0x01, 0xff, 0xff,
    0x00, 0x00, 0x00, 0x00, 0x86, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x18, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0xff, 0x00, 0x9a, 0xaf, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x00, 0x93, 0xcf, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0xff, 0x00, 0x93, 0xcf, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x00, 0x93, 0xcf, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x70, 0x56, 0x34, 0x12, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0xff, 0x00, 0x93, 0xcf, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x67, 0x45,
    0x23, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x00, 0x93, 0xcf, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0x00, 0x00, 0x00, 0x82, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0x8b, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x1f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x68, 0x01, 0xff, 0xff,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x11, 0x00, 0x00, 0xe0,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x90, 0x78, 0x56, 0x34, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00,
    0xb8, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x51, 0x45, 0x4d, 0x55, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0xb8, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xb1, 0x0f, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00,
    0x00, 0x9b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0x93, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00,
    0x00, 0x93, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0x93, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00,
    0x00, 0x93, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0x93, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00,
    0x00, 0x82, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0x8b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x60, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

#define REAL_FILE_SIZE  16844979
#define REAL_MEM_OFF    0x8a8

/* non-zero memory as recorded: file offset, bytes */
static const struct { size_t off; uint8_t b[4]; size_t n; } real_mem[] = {
    { 0x18a8, { 0x23, 0x20 }, 2 },                  /* pa 0x1000: PML4[0] = 0x2023 */
    { 0x58a0, { 0xa3, 0x00, 0xe0, 0xff }, 4 },      /* pa 0x4ff8: PD[511] = 0xffe000a3 */
    { 0x1010898, { 0xe9, 0x0d, 0x00 }, 3 },         /* pa 0xfffffff0: jmp start16 */
};

static void
test_real_qemu72(void)
{
    static const struct { uint64_t pa, size; } want_ranges[] = {
        { 0x0, 0xc0000 }, { 0xc0000, 0x20000 }, { 0xe0000, 0x10000 }, { 0xf0000, 0x10000 },
        { 0x100000, 0xf00000 }, { 0xffff0000, 0x10000 },
    };
    g_autoptr(GError) error = NULL;
    g_autofree uint8_t *file = g_malloc0(REAL_FILE_SIZE);
    const elfcore_cpu_t *c0, *c1;
    elfcore_t core;
    ssize_t i;

    g_assert_cmpuint(sizeof(real_head), ==, REAL_MEM_OFF);
    memcpy(file, real_head, sizeof(real_head));
    for (size_t m = 0; m < G_N_ELEMENTS(real_mem); m++)
        memcpy(file + real_mem[m].off, real_mem[m].b, real_mem[m].n);
    if (!elfcore_parse(file, REAL_FILE_SIZE, &core, &error))
        g_error("real dump: %s", error->message);

    g_assert_cmpint(core.elf_class, ==, 64);
    g_assert_cmpuint(core.machine, ==, EM_X86_64);
    g_assert_cmpuint(core.nranges, ==, G_N_ELEMENTS(want_ranges));
    for (size_t r = 0; r < core.nranges; r++) {
        g_assert_cmphex(core.ranges[r].pa, ==, want_ranges[r].pa);
        g_assert_cmphex(core.ranges[r].size, ==, want_ranges[r].size);
    }
    /* physical bytes through the ranges */
    i = elfcore_find(&core, 0x1000);
    g_assert_cmpint(i, ==, 0);
    g_assert_cmphex(get(file + core.ranges[i].offset + 0x1000, 8), ==, 0x2023);
    i = elfcore_find(&core, 0x4ff8);
    g_assert_cmphex(get(file + core.ranges[i].offset + 0x4ff8, 8), ==, 0xffe000a3);
    i = elfcore_find(&core, 0xfffffff0);
    g_assert_cmpint(i, ==, 5);
    g_assert_cmphex(get(file + core.ranges[i].offset + 0xfff0, 3), ==, 0x000de9);

    g_assert_cmpuint(core.ncpus, ==, 2);
    c0 = &core.cpus[0];
    c1 = &core.cpus[1];
    g_assert_true(c0->has_prstatus && c0->has_qemu && c1->has_prstatus && c1->has_qemu);
    g_assert_cmphex(c0->rax, ==, 0x1111111111111101ULL);
    g_assert_cmphex(c0->rbx, ==, 0x2222222222222202ULL);
    g_assert_cmphex(c0->rcx, ==, 0x3333333333333303ULL);
    g_assert_cmphex(c0->rdx, ==, 0x4444444444444404ULL);
    g_assert_cmphex(c0->rsi, ==, 0x5555555555555505ULL);
    g_assert_cmphex(c0->rdi, ==, 0x6666666666666606ULL);
    g_assert_cmphex(c0->rbp, ==, 0x7777777777777707ULL);
    g_assert_cmphex(c0->rsp, ==, 0x100ff0);
    g_assert_cmphex(c0->r8, ==, 0x8888888888888808ULL);
    g_assert_cmphex(c0->r9, ==, 0x9999999999999909ULL);
    g_assert_cmphex(c0->r10, ==, 0xaaaaaaaaaaaaaa0aULL);
    g_assert_cmphex(c0->r11, ==, 0xbbbbbbbbbbbbbb0bULL);
    g_assert_cmphex(c0->r12, ==, 0xcccccccccccccc0cULL);
    g_assert_cmphex(c0->r13, ==, 0xdddddddddddddd0dULL);
    g_assert_cmphex(c0->r14, ==, 0xeeeeeeeeeeeeee0eULL);
    g_assert_cmphex(c0->r15, ==, 0xffffffffffffff0fULL);
    g_assert_cmphex(c0->rip, ==, 0xffff0163);
    g_assert_cmphex(c0->rflags, ==, 0x86);
    g_assert_cmphex(c0->seg[ELFCORE_SEG_CS].selector, ==, 0x18);
    g_assert_cmphex(c0->seg[ELFCORE_SEG_CS].limit, ==, 0xffffffff);
    g_assert_cmphex(c0->seg[ELFCORE_SEG_CS].flags, ==, 0xaf9a00);
    g_assert_cmphex(c0->seg[ELFCORE_SEG_SS].selector, ==, 0x10);
    g_assert_cmphex(c0->seg[ELFCORE_SEG_FS].base, ==, 0x1234567000ULL);
    g_assert_cmphex(c0->seg[ELFCORE_SEG_GS].base, ==, 0x2345678000ULL);
    g_assert_cmphex(c0->seg[ELFCORE_SEG_TR].flags, ==, 0x8b00);
    g_assert_cmphex(c0->seg[ELFCORE_SEG_GDT].base, ==, 0xffff0168);
    g_assert_cmphex(c0->seg[ELFCORE_SEG_GDT].limit, ==, 0x1f);
    g_assert_cmphex(c0->cr[0], ==, 0xe0000011);
    g_assert_cmphex(c0->cr[3], ==, 0x1000);
    g_assert_cmphex(c0->cr[4], ==, 0x20);
    g_assert_true(c0->has_kernel_gs_base);
    g_assert_cmphex(c0->kernel_gs_base, ==, 0x3456789000ULL);

    /* vCPU 1 at reset */
    g_assert_cmphex(c1->rip, ==, 0xfff0);
    g_assert_cmphex(c1->rdx, ==, 0x60fb1);
    g_assert_cmphex(c1->rflags, ==, 0x2);
    g_assert_cmphex(c1->seg[ELFCORE_SEG_CS].selector, ==, 0xf000);
    g_assert_cmphex(c1->seg[ELFCORE_SEG_CS].base, ==, 0xffff0000);
    g_assert_cmphex(c1->seg[ELFCORE_SEG_CS].flags, ==, 0x9b00);
    g_assert_cmphex(c1->cr[0], ==, 0x60000010);
    g_assert_cmphex(c1->cr[3], ==, 0);
    elfcore_clear(&core);

    /* the prstatus notes alone agree: hide the QEMU notes by renaming them */
    for (size_t off = REAL_MEM_OFF - 2 * 460; off < REAL_MEM_OFF; off += 460) {
        g_assert_cmpmem(file + off + NOTE_HDR, 4, "QEMU", 4);
        memcpy(file + off + NOTE_HDR, "XEMU", 4);
    }
    if (!elfcore_parse(file, REAL_FILE_SIZE, &core, &error))
        g_error("real dump: %s", error->message);
    g_assert_false(core.cpus[0].has_qemu);
    g_assert_cmphex(core.cpus[0].rax, ==, 0x1111111111111101ULL);
    g_assert_cmphex(core.cpus[0].r15, ==, 0xffffffffffffff0fULL);
    g_assert_cmphex(core.cpus[0].rip, ==, 0xffff0163);
    g_assert_cmphex(core.cpus[0].rsp, ==, 0x100ff0);
    g_assert_cmphex(core.cpus[0].rflags, ==, 0x86);
    g_assert_cmphex(core.cpus[0].seg[ELFCORE_SEG_CS].selector, ==, 0x18);
    g_assert_cmphex(core.cpus[0].seg[ELFCORE_SEG_DS].selector, ==, 0x10);
    g_assert_cmphex(core.cpus[0].seg[ELFCORE_SEG_FS].base, ==, 0x1234567000ULL);
    g_assert_cmphex(core.cpus[0].seg[ELFCORE_SEG_GS].base, ==, 0x2345678000ULL);
    g_assert_cmphex(core.cpus[1].rip, ==, 0xfff0);
    g_assert_cmphex(core.cpus[1].seg[ELFCORE_SEG_CS].selector, ==, 0xf000);
    elfcore_clear(&core);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/elfcore/is-elf", test_is_elf);
    g_test_add_func("/elfcore/parse/elf64", test_parse64);
    g_test_add_func("/elfcore/parse/elf32", test_parse32);
    g_test_add_func("/elfcore/parse/elf64-i386", test_elf64_i386);
    g_test_add_func("/elfcore/parse/prstatus-only", test_prstatus_only);
    g_test_add_func("/elfcore/parse/qemu-only", test_qemu_only);
    g_test_add_func("/elfcore/parse/precedence-interleaved", test_precedence_interleaved);
    g_test_add_func("/elfcore/parse/no-notes", test_no_notes);
    g_test_add_func("/elfcore/parse/pn-xnum", test_pn_xnum);
    g_test_add_func("/elfcore/find", test_find);
    g_test_add_func("/elfcore/bad/tiny", test_tiny);
    g_test_add_func("/elfcore/bad/truncated", test_truncated);
    g_test_add_func("/elfcore/bad/header", test_corrupt_header);
    g_test_add_func("/elfcore/bad/loads", test_corrupt_loads);
    g_test_add_func("/elfcore/bad/notes", test_corrupt_notes);
    g_test_add_func("/elfcore/bad/too-many-cpus", test_too_many_cpus);
    g_test_add_func("/elfcore/fuzz", test_fuzz);
    g_test_add_func("/elfcore/real/qemu-7.2", test_real_qemu72);
    return g_test_run();
}
