/*
 * test-helperd-xen.c - vmi-helperd's Xen source, hermetically (no Xen):
 * the xenstore list read from recorded stores (tests/helper/xenstore-*.txt:
 * one recorded in the Xen rig's dom0 with `xenstore-ls -f`, one of odd and
 * hostile entries), the UUID and name checks, the difference between what
 * is published and what is listed (a domain destroyed, created, rebooted
 * under a new domain ID), the recorded store's own parser, and the xen=
 * switch of the configuration file.
 */
#include <string.h>

#include "helperd.h"

/* The daemon's main-loop state lives in vmi-helperd.c, which is not linked. */
Helperd helperd;

static HelperdXenRecorded *load(const char *file)
{
    g_autofree char *path = g_build_filename(SRCDIR, "tests", "helper", file, NULL);
    g_autofree char *text = NULL;
    gsize len = 0;
    g_autoptr(GError) e = NULL;
    g_assert_true(g_file_get_contents(path, &text, &len, &e));
    g_assert_no_error(e);
    return helperd_xen_recorded_new(text, len);
}

static GPtrArray *list_of(HelperdXenRecorded *r, GPtrArray *skipped)
{
    HelperdXenStore st = helperd_xen_recorded_store(r);
    g_autoptr(GError) e = NULL;
    GPtrArray *l = helperd_xen_list(&st, skipped, &e);
    g_assert_no_error(e);
    g_assert_nonnull(l);
    return l;
}

/* The rig's dom0 with its PV and PVH domU: both listed, dom0 not, each
 * with the UUID of its /vm entry. */
static void test_rig_list(void)
{
    HelperdXenRecorded *r = load("xenstore-rig.txt");
    g_autoptr(GPtrArray) skipped = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) l = list_of(r, skipped);
    for (guint i = 0; i < skipped->len; i++)
        g_test_message("skipped: %s", (char *)skipped->pdata[i]);
    g_assert_cmpuint(skipped->len, ==, 0);
    g_assert_cmpuint(l->len, ==, 2);
    HelperdXenDom *pv = l->pdata[0], *pvh = l->pdata[1];
    g_assert_cmpstr(pv->name, ==, "domu-pv");
    g_assert_cmpstr(pvh->name, ==, "domu-pvh");
    /* as recorded: xl created domu-pv first */
    g_assert_cmpuint(pv->domid, ==, 1);
    g_assert_cmpuint(pvh->domid, ==, 2);
    g_assert_cmpstr(pv->uuid, ==, "8a1cc5f0-f019-11f1-ac5a-335bebe0fb93");
    g_assert_cmpstr(pvh->uuid, ==, "8a186550-f019-11f1-8492-c90eaada7953");
    /* the UUID is the one xenstore's /vm/UUID/uuid holds */
    HelperdXenStore st = helperd_xen_recorded_store(r);
    for (guint i = 0; i < l->len; i++) {
        HelperdXenDom *d = l->pdata[i];
        g_autofree char *vp = g_strdup_printf("/local/domain/%u/vm", d->domid);
        g_autofree char *vm = st.read(st.ctx, vp);
        g_autofree char *up = g_strconcat(vm, "/uuid", NULL);
        g_autofree char *u = st.read(st.ctx, up);
        g_assert_cmpstr(d->uuid, ==, u);
        g_autofree char *path = helperd_domain_path(d->uuid);
        g_assert_true(g_str_has_prefix(path, HELPERD_DOMAIN_PREFIX "/_"));
        g_assert_null(strchr(path + strlen(HELPERD_DOMAIN_PREFIX "/_"), '-'));
    }
    helperd_xen_recorded_free(r);
}

/* Odd entries: skipped each with its reason, the good one listed. */
static void test_odd_list(void)
{
    HelperdXenRecorded *r = load("xenstore-odd.txt");
    g_autoptr(GPtrArray) skipped = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) l = list_of(r, skipped);
    g_assert_cmpuint(l->len, ==, 1);
    HelperdXenDom *d = l->pdata[0];
    g_assert_cmpuint(d->domid, ==, 9);
    g_assert_cmpstr(d->name, ==, "good \"quoted\" name");
    g_assert_cmpstr(d->uuid, ==, "9a1b2c3d-0000-4000-8000-00000000aaaa");
    g_ptr_array_add(skipped, NULL);
    g_autofree char *all = g_strjoinv("\n", (char **)skipped->pdata);
    g_test_message("%s", all);
    const char *expect[] = {
        "domain 3 has no name",
        "domain 4 has a name that is too long, not UTF-8 or has control characters",
        "domain 5 ('novm') has no UUID",
        "domain 10 ('twin') has the UUID 9a1b2c3d-0000-4000-8000-00000000aaaa of another",
        "/local/domain/007 is not a domain ID",
        "/local/domain/abc is not a domain ID",
    };
    for (guint i = 0; i < G_N_ELEMENTS(expect); i++)
        g_assert_nonnull(strstr(all, expect[i]));
    /* the domain that is not introduced (12) is not listed, silently */
    g_assert_null(strstr(all, "dying"));
    helperd_xen_recorded_free(r);
}

static void test_no_store(void)
{
    HelperdXenRecorded *r = helperd_xen_recorded_new("/other = \"x\"\n", 12);
    HelperdXenStore st = helperd_xen_recorded_store(r);
    g_autoptr(GError) e = NULL;
    g_assert_null(helperd_xen_list(&st, NULL, &e));
    g_assert_error(e, HELPERD_XEN_ERROR, HELPERD_XEN_ERROR_NO_STORE);
    helperd_xen_recorded_free(r);
    /* an empty /local/domain: nothing, no error */
    r = helperd_xen_recorded_new("/local/domain = \"\"\n", 20);
    st = helperd_xen_recorded_store(r);
    g_autoptr(GPtrArray) l = helperd_xen_list(&st, NULL, NULL);
    g_assert_nonnull(l);
    g_assert_cmpuint(l->len, ==, 0);
    helperd_xen_recorded_free(r);
}

static void test_uuid_parse(void)
{
    const char *u = "6d1c34a0-5b5e-4a4f-8a1c-6c3b8f0b1e01";
    struct { const char *vm, *value, *want; } cases[] = {
        { "/vm/6d1c34a0-5b5e-4a4f-8a1c-6c3b8f0b1e01", NULL, u },
        { "/vm/6D1C34A0-5B5E-4A4F-8A1C-6C3B8F0B1E01", NULL, u },
        { "/vm/6d1c34a0-5b5e-4a4f-8a1c-6c3b8f0b1e01-12", NULL, u },
        { NULL, " 6d1c34a0-5b5e-4a4f-8a1c-6c3b8f0b1e01\n", u },
        { NULL, "6D1C34A0-5B5E-4A4F-8A1C-6C3B8F0B1E01", u },
        /* the uuid entry wins over the path */
        { "/vm/00000000-0000-0000-0000-000000000000", u, u },
        /* a bad uuid entry: the path */
        { "/vm/6d1c34a0-5b5e-4a4f-8a1c-6c3b8f0b1e01", "garbage", u },
        { "/vm/6d1c34a0-5b5e-4a4f-8a1c-6c3b8f0b1e0", NULL, NULL },
        { "/vm/6d1c34a0-5b5e-4a4f-8a1c-6c3b8f0b1e01-", NULL, NULL },
        { "/vm/6d1c34a0-5b5e-4a4f-8a1c-6c3b8f0b1e01-1x", NULL, NULL },
        { "/vm/6d1c34a0_5b5e-4a4f-8a1c-6c3b8f0b1e01", NULL, NULL },
        { "/vm/6d1c34a0-5b5e-4a4f-8a1c-6c3b8f0b1eg1", NULL, NULL },
        { "/x/6d1c34a0-5b5e-4a4f-8a1c-6c3b8f0b1e01", NULL, NULL },
        { "", "", NULL },
        { NULL, NULL, NULL },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *got = helperd_xen_uuid_parse(cases[i].vm, cases[i].value);
        g_assert_cmpstr(got, ==, cases[i].want);
    }
}

static void test_name_valid(void)
{
    g_assert_true(helperd_xen_name_valid("domu-pv"));
    g_assert_true(helperd_xen_name_valid("gäst 1"));
    g_assert_false(helperd_xen_name_valid(NULL));
    g_assert_false(helperd_xen_name_valid(""));
    g_assert_false(helperd_xen_name_valid("a\nb"));
    g_assert_false(helperd_xen_name_valid("a\x7f"));
    g_assert_false(helperd_xen_name_valid("\xff\xfe"));
    char longname[HELPERD_XEN_NAME_MAX + 2];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    g_assert_false(helperd_xen_name_valid(longname));
    longname[HELPERD_XEN_NAME_MAX] = '\0';
    g_assert_true(helperd_xen_name_valid(longname));
}

static GPtrArray *doms(const char *spec)
{
    /* "ID:NAME:UUIDSUFFIX ..." */
    GPtrArray *a = g_ptr_array_new_with_free_func((GDestroyNotify)helperd_xen_dom_free);
    g_auto(GStrv) items = g_strsplit(spec, " ", -1);
    for (char **i = items; *i; i++) {
        if (!**i)
            continue;
        g_auto(GStrv) f = g_strsplit(*i, ":", 3);
        g_autofree char *uuid = g_strdup_printf("00000000-0000-4000-8000-0000000000%s", f[2]);
        g_ptr_array_add(a, helperd_xen_dom_new((guint32)atoi(f[0]), f[1], uuid));
    }
    return a;
}

static char *names(GPtrArray *a)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < a->len; i++) {
        HelperdXenDom *d = a->pdata[i];
        g_string_append_printf(s, "%s%u:%s", i ? " " : "", d->domid, d->name);
    }
    return g_string_free(s, FALSE);
}

static void check_diff(const char *published, const char *listed, const char *want_removed,
                       const char *want_added)
{
    g_autoptr(GPtrArray) p = doms(published), l = doms(listed);
    g_autoptr(GPtrArray) removed = g_ptr_array_new(), added = g_ptr_array_new();
    helperd_xen_diff(p, l, removed, added);
    g_autofree char *r = names(removed), *a = names(added);
    g_assert_cmpstr(r, ==, want_removed);
    g_assert_cmpstr(a, ==, want_added);
}

static void test_diff(void)
{
    /* the start: everything is new */
    check_diff("", "1:pv:01 2:pvh:02", "", "1:pv 2:pvh");
    /* nothing changed */
    check_diff("1:pv:01 2:pvh:02", "1:pv:01 2:pvh:02", "", "");
    /* xl destroy pv */
    check_diff("1:pv:01 2:pvh:02", "2:pvh:02", "1:pv", "");
    /* xl create of a third */
    check_diff("2:pvh:02", "2:pvh:02 3:new:03", "", "3:new");
    /* xl reboot: same UUID, new domain ID: a new domain */
    check_diff("1:pv:01 2:pvh:02", "2:pvh:02 4:pv:01", "1:pv", "4:pv");
    /* everything gone */
    check_diff("1:pv:01 2:pvh:02", "", "1:pv 2:pvh", "");
}

/* The recorded store's parser on what it was not made for: never a crash,
 * paths only absolute, escapes undone. */
static void test_recorded_parser(void)
{
    const char *texts[] = {
        "", "\n\n", "/", "//", "/a/", "/a//b = \"x\"", "= \"x\"", "/a = \"", "/a = \"\\\"",
        "@introduced", "@introduced x 1 99999999999", "/local/domain/1/name = \"a\\\\b\\\"c\"",
    };
    for (guint i = 0; i < G_N_ELEMENTS(texts); i++) {
        HelperdXenRecorded *r = helperd_xen_recorded_new(texts[i], strlen(texts[i]));
        HelperdXenStore st = helperd_xen_recorded_store(r);
        g_autoptr(GPtrArray) l = helperd_xen_list(&st, NULL, NULL);
        if (i == G_N_ELEMENTS(texts) - 1) {
            g_autofree char *v = st.read(st.ctx, "/local/domain/1/name");
            g_assert_cmpstr(v, ==, "a\\b\"c");
            g_auto(GStrv) kids = st.directory(st.ctx, "/local");
            g_assert_cmpstrv(kids, ((const char *[]){ "domain", NULL }));
        }
        helperd_xen_recorded_free(r);
    }
}

static void test_mode(void)
{
    HelperdXenMode m = HELPERD_XEN_OFF;
    g_assert_true(helperd_xen_mode_from_string("auto", &m));
    g_assert_cmpint(m, ==, HELPERD_XEN_AUTO);
    g_assert_true(helperd_xen_mode_from_string("ON", &m));
    g_assert_cmpint(m, ==, HELPERD_XEN_ON);
    g_assert_true(helperd_xen_mode_from_string("off", &m));
    g_assert_cmpint(m, ==, HELPERD_XEN_OFF);
    g_assert_false(helperd_xen_mode_from_string("yes", &m));
    g_assert_false(helperd_xen_mode_from_string(NULL, &m));
    g_assert_cmpstr(helperd_xen_mode_to_string(HELPERD_XEN_ON), ==, "on");
}

static HelperdConfig *config_of(const char *text, GError **error)
{
    g_autofree char *path = NULL;
    int fd = g_file_open_tmp("helperd-xen-XXXXXX.conf", &path, NULL);
    g_assert_cmpint(fd, >=, 0);
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    close(fd);
    HelperdConfig *cfg = helperd_config_load(path, error);
    unlink(path);
    return cfg;
}

static void test_config_switch(void)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(HelperdConfig) a = config_of("[helper]\n", &e);
    g_assert_no_error(e);
    g_assert_cmpint(a->xen, ==, HELPERD_XEN_AUTO);
    g_autoptr(HelperdConfig) on = config_of("[helper]\nxen=on\n", &e);
    g_assert_no_error(e);
    g_assert_cmpint(on->xen, ==, HELPERD_XEN_ON);
    g_autoptr(HelperdConfig) off = config_of("[helper]\nxen = off \n", &e);
    g_assert_no_error(e);
    g_assert_cmpint(off->xen, ==, HELPERD_XEN_OFF);
    /* a Xen dom0 without libvirt: "uris=" empty follows no libvirt URI;
     * no uris key: the default */
    g_assert_cmpstr(a->uris[0], ==, HELPERD_DEFAULT_URI);
    g_autoptr(HelperdConfig) none = config_of("[helper]\nuris=\nxen=on\n", &e);
    g_assert_no_error(e);
    g_assert_nonnull(none->uris);
    g_assert_null(none->uris[0]);
    g_autoptr(HelperdConfig) bad = config_of("[helper]\nxen=maybe\n", &e);
    g_assert_null(bad);
    g_assert_nonnull(e);
    g_assert_nonnull(strstr(e->message, "xen=maybe: use auto, on or off"));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/helperd/xen/rig-list", test_rig_list);
    g_test_add_func("/helperd/xen/odd-list", test_odd_list);
    g_test_add_func("/helperd/xen/no-store", test_no_store);
    g_test_add_func("/helperd/xen/uuid", test_uuid_parse);
    g_test_add_func("/helperd/xen/name", test_name_valid);
    g_test_add_func("/helperd/xen/diff", test_diff);
    g_test_add_func("/helperd/xen/recorded-parser", test_recorded_parser);
    g_test_add_func("/helperd/xen/mode", test_mode);
    g_test_add_func("/helperd/xen/config", test_config_switch);
    return g_test_run();
}
