/*
 * fuzz-qmp.c - the QMP client (qmp.c) against a hostile QEMU: the input is
 * everything QEMU sends on the socket (greeting, replies, events, one JSON
 * object a line).  After the handshake the client runs what the kvm
 * driver runs: query-status, stop/cont, the HMP commands whose text it
 * parses (info mtree -f, info registers -a, gpa2hva), and takes the events.
 * The same lines are then played through a relay (qmp_new_relayed, the
 * libvirt path): one line per command, for a quarter of the inputs (picked
 * by the input).  Nothing may crash or leak, and nothing can wait for the
 * 1 s timeout: the input is queued on a socketpair before the client
 * starts, then the end of the stream (tests/common/fake-peer.h, the
 * preloaded peer).
 */
#include <unistd.h>
#include "fuzz-common.h"
#include "fake-peer.h"
#include "qmp.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init(argc, argv);
    return 0;
}

/* Success or an error, consistently; never a timeout: the peer's bytes
 * are all there, then the end of the stream, and the client's sends fit. */
static void expect(bool ok, GError **err)
{
    FUZZ_CHECK(ok == (*err == NULL));
    if (*err) {
        FUZZ_CHECK((*err)->message != NULL);
        FUZZ_CHECK(!g_error_matches(*err, QMP_ERROR, QMP_ERROR_TIMEOUT));
    }
    g_clear_error(err);
}

static void session(qmp_t *q)
{
    GError *err = NULL;
    bool running = false;
    expect(qmp_query_running(q, &running, &err), &err);
    expect(qmp_stop(q, &err), &err);
    expect(qmp_cont(q, &err), &err);
    const char *hmp[] = { "info mtree -f", "info registers -a", "gpa2hva 0x1000" };
    for (size_t i = 0; i < G_N_ELEMENTS(hmp); i++) {
        char *text = qmp_hmp(q, hmp[i], &err);
        expect(text != NULL, &err);
        if (text && i == 0) {
            GArray *r = qmp_parse_mtree(text, &err);
            expect(r != NULL, &err);
            if (r)
                g_array_unref(r);
        }
        g_free(text);
    }
    JsonObject *args = json_object_new();
    json_object_set_string_member(args, "path", "/machine");
    JsonNode *n = qmp_execute(q, "qom-list", args, &err);
    expect(n != NULL, &err);
    if (n)
        json_node_unref(n);
    json_object_unref(args);
    g_list_free_full(qmp_take_events(q), (GDestroyNotify)json_object_unref);
}

typedef struct {
    char **lines;
    guint next;
} relay_t;

static char *relay(void *data, const char *request, GError **error)
{
    relay_t *r = data;
    (void)request;
    if (!r->lines[r->next]) {
        g_set_error_literal(error, QMP_ERROR, QMP_ERROR_IO, "the relay has no more replies");
        return NULL;
    }
    return g_strdup(r->lines[r->next++]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    GError *err = NULL;

    if (size > FAKE_PEER_PRELOAD_MAX)
        return 0;
    /* the pieces the input arrives in, and whether the relay runs too */
    uint32_t pick = fuzz_pick(data, size);
    qmp_t *q = qmp_new_from_fd(fake_peer_preload(data, size, pick, 16), "fuzz", 1000, &err);
    expect(q != NULL, &err);
    if (q) {
        FUZZ_CHECK(qmp_peer_pid(q) == (int)getpid());
        session(q);
        qmp_free(q);
    }
    fake_peer_preload_end();

    /* the relay's own code is small: a quarter of the inputs is enough */
    if (pick >> 30 != 0)
        return 0;
    char *text = fuzz_strdup(data, size);
    relay_t r = { .lines = g_strsplit(text, "\n", 64) };
    q = qmp_new_relayed(relay, &r, NULL);
    FUZZ_CHECK(q != NULL);
    session(q);
    qmp_free(q);
    g_strfreev(r.lines);
    g_free(text);
    return 0;
}
