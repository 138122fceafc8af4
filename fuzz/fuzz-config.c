/*
 * fuzz-config.c - the configuration grammar (config_lexer.l,
 * config_parser.y, config.c) on arbitrary bytes, both as a whole file and
 * as one entry (what vmi_init_custom's VMI_CONFIG_STRING takes), then the
 * type checks of every entry.  Checks what config.h promises: an error
 * has the VMI_CONFIG_ERROR domain and a readable (UTF-8) message; values
 * are well formed.
 */
#include "fuzz-common.h"
#include "config.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init(argc, argv);
    return 0;
}

static void check_error(GError *err)
{
    FUZZ_CHECK(err != NULL && err->domain == VMI_CONFIG_ERROR);
    FUZZ_CHECK(err->message && g_utf8_validate(err->message, -1, NULL));
    g_error_free(err);
}

static void check_entry(GHashTable *entry)
{
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, entry);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        const config_value_t *cv = v;
        FUZZ_CHECK(k != NULL && cv != NULL);
        FUZZ_CHECK(cv->type == CONFIG_NUM || (cv->type == CONFIG_STR && cv->str));
        if (cv->type == CONFIG_STR)
            FUZZ_CHECK(strlen(cv->str) <= CONFIG_MAX_STRING);
    }
    GError *err = NULL;
    if (!config_validate_entry(entry, "fuzz", &err))
        check_error(err);
    else
        FUZZ_CHECK(err == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    GError *err = NULL;
    GHashTable *first = NULL;
    /* an exact-size copy (no NUL: the parser is told the length) */
    char *text = g_memdup2(data, size);

    GHashTable *all = config_parse_bytes(text, size, "fuzz", NULL, &err);
    if (!all) {
        check_error(err);
        err = NULL;
    } else {
        FUZZ_CHECK(g_hash_table_size(all) <= CONFIG_MAX_ENTRIES);
        GHashTableIter it;
        gpointer k, v;
        g_hash_table_iter_init(&it, all);
        while (g_hash_table_iter_next(&it, &k, &v))
            check_entry(v);
        g_hash_table_unref(all);
    }

    all = config_parse_bytes(text, size, "fuzz", &first, &err);
    if (!all) {
        check_error(err);
    } else {
        FUZZ_CHECK(first != NULL);
        check_entry(first);
        g_hash_table_unref(first);  /* a reference of its own (config_parse_bytes) */
        g_hash_table_unref(all);
    }
    g_free(text);
    return 0;
}
