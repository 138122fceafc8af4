/*
 * fuzz-isf-write.c - libFuzzer target for the ISF writer
 * (libvmi/os/linux/isf_write.c): the input is a BTF (as a guest's memory
 * holds it); when btf_parse() takes it, the writer must produce ASCII JSON
 * that json-glib parses and libvmi's own ISF reader (isf.c) accepts, and
 * the BTF's member offsets and type sizes must read back the same.  The
 * symbols' names are cut from the input's tail, so names with quotes,
 * control bytes and high bytes are written too.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <json-glib/json-glib.h>
#include "../libvmi/os/linux/btf.h"
#include "../libvmi/os/linux/isf.h"
#include "../libvmi/os/linux/isf_write.h"
#include "fuzz-common.h"

typedef struct {
    const uint8_t *d;
    size_t n;
} in_t;

/* symbol i: 1..16 bytes of the input's last 256 (NULs stop the name) */
static bool get_sym(void *ctx, uint32_t i, char *name, size_t size, uint64_t *addr, char *type)
{
    in_t *in = ctx;
    size_t tail = in->n < 256 ? in->n : 256;
    const uint8_t *t = in->d + in->n - tail;
    size_t start = tail ? (i * 7) % tail : 0, len = 1 + i % 16;
    size_t k = 0;
    for (; k < len && start + k < tail && k + 1 < size && t[start + k]; k++)
        name[k] = (char)t[start + k];
    name[k] = '\0';
    *addr = 0xffffffff81000000ull + (uint64_t)i * 64;
    *type = 'T';
    return true;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init(argc, argv);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    btf_t *btf = btf_parse(copy, size, NULL);
    if (!btf) {
        free(copy);
        return 0;
    }
    in_t in = { data, size };
    static const uint8_t banner[] = "Linux version fuzz\n";
    isf_write_input_t wi = {
        .btf = btf, .nsyms = 40, .sym = get_sym, .sym_ctx = &in,
        .banner = banner, .banner_len = sizeof(banner), .producer_version = "0.0.1",
    };
    isf_write_stats_t st;
    GError *err = NULL;
    GString *json = isf_write_json(&wi, &st, &err);
    if (!json) {
        /* only a BTF without a 'long' is refused */
        if (btf_pointer_size(btf) != 0)
            abort();
        g_clear_error(&err);
        btf_free(btf);
        free(copy);
        return 0;
    }
    for (gsize i = 0; i < json->len; i++)
        if ((unsigned char)json->str[i] >= 0x80)
            abort();
    JsonParser *p = json_parser_new();
    if (!json_parser_load_from_data(p, json->str, (gssize)json->len, NULL))
        abort();
    g_object_unref(p);
    isf_t *isf = isf_new_from_data(json->str, json->len, &err);
    if (!isf) {
        g_printerr("isf reader refused the writer's output: %s\n", err->message);
        abort();
    }
    /* a named struct's first members read back the same, by BTF and by ISF */
    for (uint32_t id = 1; id < btf_type_count(btf) && id < 64; id++) {
        btf_info_t t;
        const char *name;
        uint32_t type, bits;
        uint64_t bit, a, b, sz;
        if (!btf_type_info(btf, id, &t) || t.kind != BTF_K_STRUCT || !*t.name)
            continue;
        if (!btf_member_at(btf, id, 0, &name, &type, &bit, &bits) || !*name || bits)
            continue;
        /* only where the name is unique in the BTF is the answer one */
        g_autofree char *q = g_strdup_printf("struct %s", t.name);
        if (btf_member_offset(btf, q, name, &a, NULL) && isf_member_offset(isf, t.name, name, &b, NULL) &&
            isf_type_size(isf, t.name, &sz, NULL) && sz == t.size && a != b)
            abort();
    }
    isf_free(isf);
    g_string_free(json, TRUE);
    btf_free(btf);
    free(copy);
    return 0;
}
