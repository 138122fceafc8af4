/*
 * fuzz-kallsyms.c - the kallsyms decoder on hostile memory.  Input: 8 bytes
 * little-endian base address (bit 0 set: 32-bit pointers), then the bytes of
 * memory at that address.  The tables are searched for, and when found,
 * symbols are decoded, looked up and reverse-resolved.
 */
#include <stdint.h>
#include <string.h>
#include "os/linux/kallsyms.h"
#include "fuzz-common.h"

typedef struct region {
    uint64_t base;
    const uint8_t *data;
    size_t len;
} region_t;

static bool region_read(void *ctx, addr_t va, void *buf, size_t len)
{
    const region_t *r = ctx;
    if (va < r->base || va - r->base > r->len || len > r->len - (va - r->base))
        return false;
    memcpy(buf, r->data + (va - r->base), len);
    return true;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init(argc, argv);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8)
        return 0;
    uint64_t b = 0;
    for (int i = 0; i < 8; i++)
        b |= (uint64_t)data[i] << (8 * i);
    unsigned ptr = (b & 1) ? 4 : 8;
    region_t r = {b & ~1ull, data + 8, size - 8};
    if (r.len == 0 || r.len > UINT64_MAX - r.base)
        return 0;
    GError *err = NULL;
    ksyms_t *ks = ksyms_find(region_read, &r, r.base, r.base + r.len, ptr, NULL, &err);
    if (!ks) {
        g_clear_error(&err);
        return 0;
    }
    char name[128], t;
    addr_t a, a2;
    uint32_t n = ksyms_count(ks);
    for (uint32_t i = 0; i < n && i < 64; i++) {
        if (ksyms_get(ks, i, name, sizeof(name), &a, &t)) {
            ksyms_lookup(ks, name, &a2, &t);
            ksyms_nearest(ks, a, name, sizeof(name), &a2, &t);
            ksyms_nearest(ks, a + 1, name, 5, &a2, &t);
        }
    }
    if (n)
        ksyms_get(ks, n - 1, name, sizeof(name), &a, &t);
    const char *names[] = {"_end", "no_such", "init_task"};
    addr_t addrs[3];
    bool found[3];
    ksyms_lookup_many(ks, names, 3, addrs, found);
    (void)ksyms_fingerprint(ks);
    ksyms_free(ks);
    return 0;
}
