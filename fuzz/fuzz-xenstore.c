/*
 * fuzz-xenstore.c - vmi-helperd's Xen lister (helper/helperd-xen-list.c)
 * on arbitrary store contents: the input is read as a recorded store
 * (xenstore-ls -f text, with "@introduced" lines), listed, and diffed
 * against the list itself and against nothing.  xenstore is partly
 * written by guests: whatever it holds, the list must be well formed.
 * Checks: every listed domain has a valid name and a 36-character lower
 * case UUID, domain IDs rise strictly, no UUID twice, dom0 never; the diff
 * of a list with itself is empty, against nothing it adds every domain.
 */
#include "fuzz-common.h"
#include "../helper/helperd-xen.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init(argc, argv);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    HelperdXenRecorded *r = helperd_xen_recorded_new((const char *)data, size);
    HelperdXenStore st = helperd_xen_recorded_store(r);
    GPtrArray *skipped = g_ptr_array_new_with_free_func(g_free);
    GError *e = NULL;
    GPtrArray *l = helperd_xen_list(&st, skipped, &e);
    if (!l) {
        if (!e)
            abort();
        g_error_free(e);
    } else {
        if (e)
            abort();
        GHashTable *uuids = g_hash_table_new(g_str_hash, g_str_equal);
        for (guint i = 0; i < l->len; i++) {
            HelperdXenDom *d = l->pdata[i];
            if (d->domid == 0 || !helperd_xen_name_valid(d->name) || strlen(d->uuid) != 36)
                abort();
            for (const char *c = d->uuid; *c; c++)
                if (g_ascii_isupper(*c))
                    abort();
            if (i > 0 && ((HelperdXenDom *)l->pdata[i - 1])->domid >= d->domid)
                abort();
            if (!g_hash_table_add(uuids, d->uuid))
                abort();
        }
        g_hash_table_unref(uuids);
        GPtrArray *removed = g_ptr_array_new(), *added = g_ptr_array_new();
        helperd_xen_diff(l, l, removed, added);
        if (removed->len || added->len)
            abort();
        GPtrArray *none = g_ptr_array_new();
        helperd_xen_diff(none, l, removed, added);
        if (removed->len || added->len != l->len)
            abort();
        g_ptr_array_unref(none);
        g_ptr_array_unref(removed);
        g_ptr_array_unref(added);
        g_ptr_array_unref(l);
    }
    g_ptr_array_unref(skipped);
    helperd_xen_recorded_free(r);
    return 0;
}
