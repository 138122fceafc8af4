/*
 * virt-vmi-cmd.c - the commands of virt-vmi, one function each, and the
 * table that names them. Output formats are part of the interface
 * (doc/virt-vmi.1, OUTPUT): change them only together with the man page.
 */
#include <errno.h>
#include <glib-unix.h>
#include <signal.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "virt-vmi.h"
#include "virt-vmi-libvirt.h"

/* D-Bus timeouts: reads may cross a slow gdbstub; a dump may take minutes. */
#define CALL_TIMEOUT_MS  (120 * 1000)
#define NO_TIMEOUT       G_MAXINT

#define ADDR_FMT "0x%016" G_GINT64_MODIFIER "x"

static char *
addr_string(guint64 addr)
{
    return g_strdup_printf(ADDR_FMT, addr);
}

static const char *
arg(const vv_args_t *args, guint i)
{
    return g_ptr_array_index(args->args, i);
}

/* Calls Domain.@method on @dom; on failure prints the error (naming the
 * domain) and sets *@code. */
static GVariant *
call(vv_ctx_t *ctx, vv_domain_t *dom, const char *method, GVariant *params,
     const char *reply_type, int timeout_ms, int *code)
{
    g_autoptr(GError) error = NULL;
    GVariant *reply;

    reply = ctx->backend->ops->call(ctx->backend, dom, method, params,
                                    G_VARIANT_TYPE(reply_type), timeout_ms, &error);
    if (reply == NULL)
        *code = vv_report(error, dom->name);
    return reply;
}

/* ------------------------------------------------------------------- ps */

static int
cmd_ps(vv_ctx_t *ctx, const vv_command_t *cmd, vv_args_t *args)
{
    g_autoptr(vv_domain_t) dom = NULL;
    g_autoptr(GVariant) reply = NULL;
    g_autoptr(GVariantIter) iter = NULL;
    g_autoptr(JsonBuilder) b = json_builder_new();
    int code;
    gint32 pid;
    const char *name;
    guint64 dtb;

    if ((code = vv_open_domain(ctx, cmd, arg(args, 0), &dom)) != VV_EXIT_OK)
        return code;
    reply = call(ctx, dom, "ListProcesses", NULL, "(a(ist))", CALL_TIMEOUT_MS, &code);
    if (reply == NULL)
        return code;
    g_variant_get(reply, "(a(ist))", &iter);
    if (ctx->json)
        json_builder_begin_array(b);
    else
        printf("%6s %-16s %s\n", "PID", "NAME", "DTB");
    while (g_variant_iter_next(iter, "(i&st)", &pid, &name, &dtb)) {
        if (ctx->json) {
            g_autofree char *d = addr_string(dtb);

            json_builder_begin_object(b);
            json_builder_set_member_name(b, "pid");
            json_builder_add_int_value(b, pid);
            json_builder_set_member_name(b, "name");
            json_builder_add_string_value(b, name);
            json_builder_set_member_name(b, "dtb");
            json_builder_add_string_value(b, d);
            json_builder_end_object(b);
        } else {
            /* a guest's process names are its own choice: no terminal escapes */
            g_autofree char *safe = vv_escape(name);

            printf("%6d %-16s " ADDR_FMT "\n", pid, safe, dtb);
        }
    }
    if (ctx->json) {
        json_builder_end_array(b);
        vv_print_json(json_builder_get_root(b));
    }
    return VV_EXIT_OK;
}

/* ----------------------------------------------------------------- read */

static const vv_option_t read_options[] = {
    { "pa", 0, VV_OPT_VALUE, "ADDR", "Read guest physical memory at ADDR" },
    { "va", 0, VV_OPT_VALUE, "ADDR", "Read guest virtual memory at ADDR (kernel, or --pid)" },
    { "pid", 'p', VV_OPT_VALUE, "PID", "With --va: the process whose address space to read (0: kernel)" },
    { "symbol", 's', VV_OPT_VALUE, "NAME", "Read at the kernel symbol NAME (KASLR slide applied)" },
    { "len", 'l', VV_OPT_VALUE, "N", "Number of bytes to read (required; at most the helper's limit, 16 MiB)" },
    { "raw", 'r', VV_OPT_FLAG, NULL, "Write the bytes to stdout as they are, no dump" },
    { NULL },
};

static int
cmd_read(vv_ctx_t *ctx, const vv_command_t *cmd, vv_args_t *args)
{
    const char *pa = vv_args_get(args, "pa"), *va = vv_args_get(args, "va");
    const char *sym = vv_args_get(args, "symbol"), *len_text = vv_args_get(args, "len");
    const char *pid_text = vv_args_get(args, "pid");
    gboolean raw = vv_args_has(args, "raw");
    g_autoptr(vv_domain_t) dom = NULL;
    g_autoptr(GVariant) reply = NULL;
    g_autoptr(GVariant) data = NULL;
    guint64 addr = 0, len = 0;
    gint32 pid = 0;
    const guint8 *bytes;
    gsize n;
    int code;

    if ((pa != NULL) + (va != NULL) + (sym != NULL) != 1)
        return vv_usage_error(cmd, "give exactly one of --pa ADDR, --va ADDR and --symbol NAME");
    if (pid_text != NULL && va == NULL)
        return vv_usage_error(cmd, "--pid goes with --va only");
    if (len_text == NULL)
        return vv_usage_error(cmd, "--len N is required");
    if (!vv_parse_u64_max(len_text, G_MAXUINT32, &len) || len == 0)
        return vv_usage_error(cmd, "--len '%s' is not a length from 1 to %u", len_text, G_MAXUINT32);
    if ((pa != NULL && !vv_parse_u64(pa, &addr)) || (va != NULL && !vv_parse_u64(va, &addr)))
        return vv_usage_error(cmd, "'%s' is not an address (decimal or 0x...)", pa != NULL ? pa : va);
    if (pid_text != NULL && !vv_parse_pid(pid_text, &pid))
        return vv_usage_error(cmd, "'%s' is not a process id", pid_text);
    if (raw && ctx->json)
        return vv_usage_error(cmd, "--raw and --json exclude each other");
    if (raw && isatty(STDOUT_FILENO) && ctx->stderr_tty)
        fprintf(stderr, "virt-vmi: note: --raw writes binary data to the terminal\n");

    if ((code = vv_open_domain(ctx, cmd, arg(args, 0), &dom)) != VV_EXIT_OK)
        return code;
    if (pa != NULL) {
        reply = call(ctx, dom, "ReadPhysical", g_variant_new("(tu)", addr, (guint32)len),
                     "(ay)", CALL_TIMEOUT_MS, &code);
    } else if (va != NULL) {
        reply = call(ctx, dom, "ReadVirtual", g_variant_new("(tiu)", addr, pid, (guint32)len),
                     "(ay)", CALL_TIMEOUT_MS, &code);
    } else {
        g_autoptr(GVariant) where = NULL;

        /* Only for the address column: ReadSymbol is the read itself. */
        if (!raw) {
            where = call(ctx, dom, "LookupSymbol", g_variant_new("(s)", sym), "(t)",
                         CALL_TIMEOUT_MS, &code);
            if (where == NULL)
                return code;
            g_variant_get(where, "(t)", &addr);
        }
        reply = call(ctx, dom, "ReadSymbol", g_variant_new("(su)", sym, (guint32)len),
                     "(ay)", CALL_TIMEOUT_MS, &code);
    }
    if (reply == NULL)
        return code;
    data = g_variant_get_child_value(reply, 0);
    bytes = g_variant_get_fixed_array(data, &n, 1);

    if (raw) {
        if (!vv_write_all(STDOUT_FILENO, bytes, n)) {
            fprintf(stderr, "virt-vmi: domain '%s': cannot write to stdout: %s\n", dom->name,
                    g_strerror(errno));
            return VV_EXIT_FAILED;
        }
    } else if (ctx->json) {
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autofree char *a = addr_string(addr);
        g_autofree char *hex = vv_hex_string(bytes, n);
        g_autofree char *b64 = g_base64_encode(bytes, n);

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "domain");
        json_builder_add_string_value(b, dom->name);
        json_builder_set_member_name(b, "space");
        json_builder_add_string_value(b, pa != NULL ? "physical" : "virtual");
        json_builder_set_member_name(b, "address");
        json_builder_add_string_value(b, a);
        if (va != NULL) {
            json_builder_set_member_name(b, "pid");
            json_builder_add_int_value(b, pid);
        }
        if (sym != NULL) {
            json_builder_set_member_name(b, "symbol");
            json_builder_add_string_value(b, sym);
        }
        json_builder_set_member_name(b, "length");
        json_builder_add_int_value(b, (gint64)n);
        json_builder_set_member_name(b, "hex");
        json_builder_add_string_value(b, hex);
        json_builder_set_member_name(b, "base64");
        json_builder_add_string_value(b, b64);
        json_builder_end_object(b);
        vv_print_json(json_builder_get_root(b));
    } else {
        g_autoptr(GString) out = g_string_new(NULL);

        vv_hexdump(out, addr, bytes, n);
        fputs(out->str, stdout);
    }
    return VV_EXIT_OK;
}

/* --------------------------------------------------------------- symbol */

static int
cmd_symbol(vv_ctx_t *ctx, const vv_command_t *cmd, vv_args_t *args)
{
    const char *sym = arg(args, 1);
    g_autoptr(vv_domain_t) dom = NULL;
    g_autoptr(GVariant) va_reply = NULL;
    g_autoptr(GVariant) pa_reply = NULL;
    guint64 va, pa;
    int code;

    if ((code = vv_open_domain(ctx, cmd, arg(args, 0), &dom)) != VV_EXIT_OK)
        return code;
    va_reply = call(ctx, dom, "LookupSymbol", g_variant_new("(s)", sym), "(t)",
                    CALL_TIMEOUT_MS, &code);
    if (va_reply == NULL)
        return code;
    g_variant_get(va_reply, "(t)", &va);
    pa_reply = call(ctx, dom, "TranslateKernel", g_variant_new("(t)", va), "(t)",
                    CALL_TIMEOUT_MS, &code);
    if (pa_reply == NULL)
        return code;
    g_variant_get(pa_reply, "(t)", &pa);
    if (ctx->json) {
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autofree char *v = addr_string(va);
        g_autofree char *p = addr_string(pa);

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "name");
        json_builder_add_string_value(b, sym);
        json_builder_set_member_name(b, "va");
        json_builder_add_string_value(b, v);
        json_builder_set_member_name(b, "pa");
        json_builder_add_string_value(b, p);
        json_builder_end_object(b);
        vv_print_json(json_builder_get_root(b));
    } else {
        printf("%s " ADDR_FMT " " ADDR_FMT "\n", sym, va, pa);
    }
    return VV_EXIT_OK;
}

/* ----------------------------------------------------------------- regs */

static const vv_option_t regs_options[] = {
    { "vcpu", 'v', VV_OPT_VALUE, "N", "The vCPU to read, from 0 (default 0)" },
    { NULL },
};

/* The order of the plain listing: the usual x86 order, then the rest by name. */
static const char *const register_order[] = {
    "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
    "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
    "rip", "rflags",
    "eax", "ebx", "ecx", "edx", "esi", "edi", "ebp", "esp", "eip", "eflags",
    "cs", "ds", "es", "fs", "gs", "ss",
    "cs_base", "ds_base", "es_base", "fs_base", "gs_base", "ss_base",
    "cr0", "cr2", "cr3", "cr4", "efer",
};

static gint
register_rank(const char *name)
{
    for (gsize i = 0; i < G_N_ELEMENTS(register_order); i++) {
        if (g_str_equal(register_order[i], name))
            return (gint)i;
    }
    return G_N_ELEMENTS(register_order);
}

static gint
compare_registers(gconstpointer a, gconstpointer b)
{
    const char *na = *(const char *const *)a, *nb = *(const char *const *)b;
    gint ra = register_rank(na), rb = register_rank(nb);

    return ra != rb ? ra - rb : strcmp(na, nb);
}

static int
cmd_regs(vv_ctx_t *ctx, const vv_command_t *cmd, vv_args_t *args)
{
    const char *vcpu_text = vv_args_get(args, "vcpu");
    g_autoptr(vv_domain_t) dom = NULL;
    g_autoptr(GVariant) reply = NULL;
    g_autoptr(GVariant) regs = NULL;
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(JsonBuilder) b = json_builder_new();
    GVariantIter iter;
    const char *name;
    char *owned;
    guint64 vcpu = 0, value;
    int code;

    if (vcpu_text != NULL && !vv_parse_u64_max(vcpu_text, G_MAXUINT32, &vcpu))
        return vv_usage_error(cmd, "'%s' is not a vCPU number", vcpu_text);
    if ((code = vv_open_domain(ctx, cmd, arg(args, 0), &dom)) != VV_EXIT_OK)
        return code;
    reply = call(ctx, dom, "GetRegisters", g_variant_new("(u)", (guint32)vcpu), "(a{st})",
                 CALL_TIMEOUT_MS, &code);
    if (reply == NULL)
        return code;
    regs = g_variant_get_child_value(reply, 0);
    g_variant_iter_init(&iter, regs);
    while (g_variant_iter_next(&iter, "{st}", &owned, &value))
        g_ptr_array_add(names, owned);
    g_ptr_array_sort(names, compare_registers);

    if (ctx->json) {
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "vcpu");
        json_builder_add_int_value(b, (gint64)vcpu);
        json_builder_set_member_name(b, "registers");
        json_builder_begin_object(b);
    }
    for (guint i = 0; i < names->len; i++) {
        name = g_ptr_array_index(names, i);
        g_variant_lookup(regs, name, "t", &value);
        if (ctx->json) {
            g_autofree char *v = addr_string(value);

            json_builder_set_member_name(b, name);
            json_builder_add_string_value(b, v);
        } else {
            printf("%-8s " ADDR_FMT "\n", name, value);
        }
    }
    if (ctx->json) {
        json_builder_end_object(b);
        json_builder_end_object(b);
        vv_print_json(json_builder_get_root(b));
    }
    return VV_EXIT_OK;
}

/* ---------------------------------------------------------- pause/resume */

static int
simple_action(vv_ctx_t *ctx, const vv_command_t *cmd, vv_args_t *args, const char *method,
              const char *done)
{
    g_autoptr(vv_domain_t) dom = NULL;
    g_autoptr(GVariant) reply = NULL;
    int code;

    if ((code = vv_open_domain(ctx, cmd, arg(args, 0), &dom)) != VV_EXIT_OK)
        return code;
    reply = call(ctx, dom, method, NULL, "()", CALL_TIMEOUT_MS, &code);
    if (reply == NULL)
        return code;
    if (ctx->json) {
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "domain");
        json_builder_add_string_value(b, dom->name);
        json_builder_set_member_name(b, "state");
        json_builder_add_string_value(b, done);
        json_builder_end_object(b);
        vv_print_json(json_builder_get_root(b));
    } else {
        printf("Domain '%s' %s.\n", dom->name, done);
    }
    return VV_EXIT_OK;
}

static const vv_option_t pause_options[] = {
    { "hold", 0, VV_OPT_FLAG, NULL,
      "Stay connected until stdin ends (or SIGINT/SIGTERM): vmi-helperd resumes a domain "
      "when the caller that paused it leaves the bus, so a one-shot pause lasts only as long as "
      "this command" },
    { NULL },
};

static gboolean
hold_stop(gpointer loop)
{
    g_main_loop_quit(loop);
    return G_SOURCE_REMOVE;
}

static gboolean
hold_stdin(GIOChannel *ch, GIOCondition cond, gpointer loop)
{
    char buf[256];
    gsize n = 0;
    if ((cond & (G_IO_HUP | G_IO_ERR)) ||
        g_io_channel_read_chars(ch, buf, sizeof(buf), &n, NULL) != G_IO_STATUS_NORMAL || n == 0) {
        g_main_loop_quit(loop);
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

static int
cmd_pause(vv_ctx_t *ctx, const vv_command_t *cmd, vv_args_t *args)
{
    int code = simple_action(ctx, cmd, args, "Pause", "paused");
    if (code != VV_EXIT_OK || !vv_args_has(args, "hold"))
        return code;
    fflush(stdout);
    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    g_autoptr(GIOChannel) ch = g_io_channel_unix_new(0);
    g_io_channel_set_encoding(ch, NULL, NULL);
    g_io_add_watch(ch, G_IO_IN | G_IO_HUP | G_IO_ERR, hold_stdin, loop);
    g_unix_signal_add(SIGINT, hold_stop, loop);
    g_unix_signal_add(SIGTERM, hold_stop, loop);
    g_main_loop_run(loop);
    return VV_EXIT_OK;
}

static int
cmd_resume(vv_ctx_t *ctx, const vv_command_t *cmd, vv_args_t *args)
{
    return simple_action(ctx, cmd, args, "Resume", "resumed");
}

/* ----------------------------------------------------------------- dump */

/* The Snapshot call runs on a thread so that the main thread can tell a
 * person at a terminal that it is still going. */
typedef struct {
    vv_ctx_t *ctx;
    vv_domain_t *dom;
    const char *path;
    GMutex lock;
    GCond cond;
    gboolean done;
    GVariant *reply;
    GError *error;
} dump_job_t;

static gpointer
dump_thread(gpointer data)
{
    dump_job_t *job = data;
    GError *error = NULL;
    GVariant *reply;

    reply = job->ctx->backend->ops->call(job->ctx->backend, job->dom, "Snapshot",
                                         g_variant_new("(s)", job->path), G_VARIANT_TYPE("()"),
                                         NO_TIMEOUT, &error);
    g_mutex_lock(&job->lock);
    job->reply = reply;
    job->error = error;
    job->done = TRUE;
    g_cond_signal(&job->cond);
    g_mutex_unlock(&job->lock);
    return NULL;
}

static int
cmd_dump(vv_ctx_t *ctx, const vv_command_t *cmd, vv_args_t *args)
{
    g_autofree char *path = g_canonicalize_filename(arg(args, 1), NULL);
    g_autoptr(vv_domain_t) dom = NULL;
    dump_job_t job = { 0 };
    GThread *thread;
    gint64 start = g_get_monotonic_time();
    GStatBuf st;
    int code;

    if ((code = vv_open_domain(ctx, cmd, arg(args, 0), &dom)) != VV_EXIT_OK)
        return code;
    job.ctx = ctx;
    job.dom = dom;
    job.path = path;
    g_mutex_init(&job.lock);
    g_cond_init(&job.cond);
    thread = g_thread_new("snapshot", dump_thread, &job);
    g_mutex_lock(&job.lock);
    while (!job.done) {
        gint64 now = g_get_monotonic_time();

        if (ctx->stderr_tty)
            fprintf(stderr, "\rvirt-vmi: dumping the memory of domain '%s' to %s ... %" G_GINT64_FORMAT " s",
                    dom->name, path, (now - start) / G_USEC_PER_SEC);
        g_cond_wait_until(&job.cond, &job.lock, now + G_USEC_PER_SEC);
    }
    g_mutex_unlock(&job.lock);
    g_thread_join(thread);
    if (ctx->stderr_tty)
        fputc('\n', stderr);
    g_mutex_clear(&job.lock);
    g_cond_clear(&job.cond);

    if (job.reply == NULL) {
        code = vv_report(job.error, dom->name);
        g_error_free(job.error);
        return code;
    }
    g_variant_unref(job.reply);
    if (ctx->json) {
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "domain");
        json_builder_add_string_value(b, dom->name);
        json_builder_set_member_name(b, "file");
        json_builder_add_string_value(b, path);
        if (g_stat(path, &st) == 0) {
            json_builder_set_member_name(b, "size");
            json_builder_add_int_value(b, (gint64)st.st_size);
        }
        json_builder_end_object(b);
        vv_print_json(json_builder_get_root(b));
    } else if (g_stat(path, &st) == 0) {
        printf("Domain '%s': memory dumped to %s (%" G_GINT64_FORMAT " bytes).\n", dom->name, path,
               (gint64)st.st_size);
    } else {
        printf("Domain '%s': memory dumped to %s.\n", dom->name, path);
    }
    return VV_EXIT_OK;
}

/* ---------------------------------------------------------------- watch */

static const vv_option_t watch_options[] = {
    { "access", 'a', VV_OPT_VALUE, "r|w|rw|x", "Accesses to report (default w)" },
    { "count", 'n', VV_OPT_VALUE, "N", "Stop after N events" },
    { "timeout", 't', VV_OPT_VALUE, "S", "Stop after S seconds" },
    { NULL },
};

typedef struct {
    vv_ctx_t *ctx;
    const char *domain_path;
    guint32 id;
    guint64 count, max_count;   /* max_count 0: no limit */
    gboolean gone;
    char *lost;                 /* WatchLost's reason */
    guint timer;                /* --timeout source; 0 once it fired */
    GMainLoop *loop;
} watch_t;

static void
on_memory_event(GDBusConnection *conn G_GNUC_UNUSED, const char *sender G_GNUC_UNUSED,
                const char *path G_GNUC_UNUSED, const char *iface G_GNUC_UNUSED,
                const char *signal G_GNUC_UNUSED, GVariant *params, gpointer data)
{
    watch_t *w = data;
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autofree char *when = g_date_time_format(now, "%Y-%m-%dT%H:%M:%S.%fZ");
    g_autofree char *gla_text = NULL;
    g_autofree char *gpa_text = NULL;
    const char *access;
    guint32 id, vcpu;
    guint64 gla, gpa;

    if (!g_variant_is_of_type(params, G_VARIANT_TYPE("(uttsu)")))
        return;
    g_variant_get(params, "(utt&su)", &id, &gla, &gpa, &access, &vcpu);
    if (id != w->id)
        return;
    /* signals already queued when the count was reached are dispatched in
     * the same main-loop iteration as the quit: --count N prints N */
    if (w->max_count != 0 && w->count >= w->max_count)
        return;
    gla_text = addr_string(gla);
    gpa_text = gpa == G_MAXUINT64 ? NULL : addr_string(gpa);
    if (w->ctx->json) {
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "time");
        json_builder_add_string_value(b, when);
        json_builder_set_member_name(b, "id");
        json_builder_add_int_value(b, id);
        json_builder_set_member_name(b, "vcpu");
        json_builder_add_int_value(b, vcpu);
        json_builder_set_member_name(b, "access");
        json_builder_add_string_value(b, access);
        json_builder_set_member_name(b, "gla");
        json_builder_add_string_value(b, gla_text);
        json_builder_set_member_name(b, "gpa");
        if (gpa_text != NULL)
            json_builder_add_string_value(b, gpa_text);
        else
            json_builder_add_null_value(b);
        json_builder_end_object(b);
        vv_print_json(json_builder_get_root(b));
    } else {
        printf("%s watch=%u vcpu=%u access=%s gla=%s gpa=%s\n", when, id, vcpu, access,
               gla_text, gpa_text != NULL ? gpa_text : "-");
        fflush(stdout);
    }
    if (w->max_count != 0 && ++w->count >= w->max_count)
        g_main_loop_quit(w->loop);
}

static void
on_watch_lost(GDBusConnection *conn G_GNUC_UNUSED, const char *sender G_GNUC_UNUSED,
              const char *path G_GNUC_UNUSED, const char *iface G_GNUC_UNUSED,
              const char *signal G_GNUC_UNUSED, GVariant *params, gpointer data)
{
    watch_t *w = data;
    const char *reason;
    guint32 id;

    if (!g_variant_is_of_type(params, G_VARIANT_TYPE("(us)")))
        return;
    g_variant_get(params, "(u&s)", &id, &reason);
    if (id != w->id || w->lost != NULL)
        return;
    w->lost = vv_escape(reason);
    g_main_loop_quit(w->loop);
}

static void
on_domain_removed(GDBusConnection *conn G_GNUC_UNUSED, const char *sender G_GNUC_UNUSED,
                  const char *path G_GNUC_UNUSED, const char *iface G_GNUC_UNUSED,
                  const char *signal G_GNUC_UNUSED, GVariant *params, gpointer data)
{
    watch_t *w = data;
    const char *removed = NULL;

    if (g_variant_is_of_type(params, G_VARIANT_TYPE("(os)")))
        g_variant_get(params, "(&o&s)", &removed, NULL);
    if (g_strcmp0(removed, w->domain_path) == 0) {
        w->gone = TRUE;
        g_main_loop_quit(w->loop);
    }
}

static void
on_closed(GDBusConnection *conn G_GNUC_UNUSED, gboolean vanished G_GNUC_UNUSED,
          GError *error G_GNUC_UNUSED, gpointer data)
{
    watch_t *w = data;

    w->gone = TRUE;
    g_main_loop_quit(w->loop);
}

/* SIGINT/SIGTERM: stop watching (the sources stay until removed). */
static gboolean
on_stop_signal(gpointer data)
{
    g_main_loop_quit(((watch_t *)data)->loop);
    return G_SOURCE_CONTINUE;
}

static gboolean
on_timeout(gpointer data)
{
    watch_t *w = data;

    w->timer = 0;
    g_main_loop_quit(w->loop);
    return G_SOURCE_REMOVE;
}

static int
cmd_watch(vv_ctx_t *ctx, const vv_command_t *cmd, vv_args_t *args)
{
    const char *access = vv_args_get(args, "access");
    const char *count_text = vv_args_get(args, "count");
    const char *timeout_text = vv_args_get(args, "timeout");
    g_autoptr(vv_domain_t) dom = NULL;
    g_autoptr(GVariant) reply = NULL;
    g_autoptr(GVariant) unwatch = NULL;
    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    watch_t w = { .ctx = ctx, .loop = loop };
    guint64 addr, timeout = 0;
    guint sub_event, sub_lost, sub_removed, sig_int, sig_term;
    gulong closed;
    int code;

    if (access == NULL)
        access = "w";
    if (!g_str_equal(access, "r") && !g_str_equal(access, "w") && !g_str_equal(access, "rw") &&
        !g_str_equal(access, "x"))
        return vv_usage_error(cmd, "--access '%s' is not one of r, w, rw, x", access);
    if (!vv_parse_u64(arg(args, 1), &addr))
        return vv_usage_error(cmd, "'%s' is not an address (decimal or 0x...)", arg(args, 1));
    if (count_text != NULL && (!vv_parse_u64(count_text, &w.max_count) || w.max_count == 0))
        return vv_usage_error(cmd, "--count '%s' is not a positive number", count_text);
    if (timeout_text != NULL && (!vv_parse_u64_max(timeout_text, G_MAXUINT32 / 1000, &timeout) || timeout == 0))
        return vv_usage_error(cmd, "--timeout '%s' is not a positive number of seconds", timeout_text);

    if ((code = vv_open_domain(ctx, cmd, arg(args, 0), &dom)) != VV_EXIT_OK)
        return code;
    w.domain_path = dom->path;
    /* Subscribe first: an event may follow the Watch reply at once. */
    /* From the helper only: anyone on the bus may send us a signal. */
    sub_event = g_dbus_connection_signal_subscribe(ctx->backend->conn, VV_BUS_NAME, VV_DOMAIN_IFACE,
                                                   "MemoryEvent", dom->path, NULL,
                                                   G_DBUS_SIGNAL_FLAGS_NONE, on_memory_event, &w, NULL);
    sub_lost = g_dbus_connection_signal_subscribe(ctx->backend->conn, VV_BUS_NAME, VV_DOMAIN_IFACE,
                                                  "WatchLost", dom->path, NULL,
                                                  G_DBUS_SIGNAL_FLAGS_NONE, on_watch_lost, &w, NULL);
    sub_removed = g_dbus_connection_signal_subscribe(ctx->backend->conn, VV_BUS_NAME,
                                                     VV_MANAGER_IFACE, "DomainRemoved",
                                                     VV_MANAGER_PATH, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                                     on_domain_removed, &w, NULL);
    closed = g_signal_connect(ctx->backend->conn, "closed", G_CALLBACK(on_closed), &w);
    reply = call(ctx, dom, "Watch", g_variant_new("(ts)", addr, access), "(u)", CALL_TIMEOUT_MS, &code);
    if (reply != NULL) {
        g_variant_get(reply, "(u)", &w.id);
        if (ctx->stderr_tty)
            fprintf(stderr, "virt-vmi: watching " ADDR_FMT " (%s) in domain '%s' as watch %u; "
                    "Ctrl-C to stop\n", addr, access, dom->name, w.id);
        sig_int = g_unix_signal_add(SIGINT, on_stop_signal, &w);
        sig_term = g_unix_signal_add(SIGTERM, on_stop_signal, &w);
        if (timeout != 0)
            w.timer = g_timeout_add_seconds((guint)timeout, on_timeout, &w);
        g_main_loop_run(loop);
        g_source_remove(sig_int);
        g_source_remove(sig_term);
        if (w.timer != 0)
            g_source_remove(w.timer);
        if (w.lost) {
            fprintf(stderr, "virt-vmi: watch %u in domain '%s' was dropped by vmi-helperd: %s\n",
                    w.id, dom->name, w.lost);
            code = VV_EXIT_FAILED;
        } else if (w.gone) {
            fprintf(stderr, "virt-vmi: domain '%s' stopped, or vmi-helperd went away\n", dom->name);
            code = VV_EXIT_NO_DOMAIN;
        } else {
            unwatch = call(ctx, dom, "Unwatch", g_variant_new("(u)", w.id), "()",
                           CALL_TIMEOUT_MS, &code);
            if (unwatch != NULL)
                code = VV_EXIT_OK;
        }
    }
    g_signal_handler_disconnect(ctx->backend->conn, closed);
    g_dbus_connection_signal_unsubscribe(ctx->backend->conn, sub_event);
    g_dbus_connection_signal_unsubscribe(ctx->backend->conn, sub_lost);
    g_dbus_connection_signal_unsubscribe(ctx->backend->conn, sub_removed);
    g_free(w.lost);
    return code;
}

/* ----------------------------------------------------------------- info */

/* The properties in the order of Domain.xml; others follow by name. */
static const char *const property_order[] = {
    "Name", "UUID", "Hypervisor", "State", "Introspectable", "IntrospectableReason",
    "AccessPath", "OSType", "PageMode", "MemorySize", "KernelVersion", "WritesEnabled",
};

static gint
property_rank(const char *name)
{
    for (gsize i = 0; i < G_N_ELEMENTS(property_order); i++) {
        if (g_str_equal(property_order[i], name))
            return (gint)i;
    }
    return G_N_ELEMENTS(property_order);
}

static gint
compare_properties(gconstpointer a, gconstpointer b)
{
    const char *na = *(const char *const *)a, *nb = *(const char *const *)b;
    gint ra = property_rank(na), rb = property_rank(nb);

    return ra != rb ? ra - rb : strcmp(na, nb);
}

static void
json_add_variant(JsonBuilder *b, GVariant *value)
{
    if (g_variant_is_of_type(value, G_VARIANT_TYPE_BOOLEAN))
        json_builder_add_boolean_value(b, g_variant_get_boolean(value));
    else if (g_variant_is_of_type(value, G_VARIANT_TYPE_STRING))
        json_builder_add_string_value(b, g_variant_get_string(value, NULL));
    else if (g_variant_is_of_type(value, G_VARIANT_TYPE_UINT64))
        json_builder_add_int_value(b, (gint64)g_variant_get_uint64(value));
    else if (g_variant_is_of_type(value, G_VARIANT_TYPE_INT32))
        json_builder_add_int_value(b, g_variant_get_int32(value));
    else if (g_variant_is_of_type(value, G_VARIANT_TYPE_UINT32))
        json_builder_add_int_value(b, g_variant_get_uint32(value));
    else
        json_builder_add_value(b, json_gvariant_serialize(value));
}

static char *
plain_value(const char *name, GVariant *value)
{
    if (g_variant_is_of_type(value, G_VARIANT_TYPE_BOOLEAN))
        return g_strdup(g_variant_get_boolean(value) ? "yes" : "no");
    if (g_variant_is_of_type(value, G_VARIANT_TYPE_STRING)) {
        const char *s = g_variant_get_string(value, NULL);
        return s[0] != '\0' ? vv_one_line(s) : g_strdup("-");
    }
    if (g_str_equal(name, "MemorySize") && g_variant_is_of_type(value, G_VARIANT_TYPE_UINT64))
        return g_strdup_printf("%" G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT " MiB)",
                               g_variant_get_uint64(value), g_variant_get_uint64(value) >> 20);
    return g_variant_print(value, FALSE);
}

static int
cmd_info(vv_ctx_t *ctx, const vv_command_t *cmd, vv_args_t *args)
{
    g_autoptr(vv_domain_t) dom = NULL;
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(JsonBuilder) b = json_builder_new();
    GVariantIter iter;
    const char *name;
    char *owned;
    GVariant *value;
    int code;

    if ((code = vv_open_domain(ctx, cmd, arg(args, 0), &dom)) != VV_EXIT_OK)
        return code;
    g_variant_iter_init(&iter, dom->props);
    while (g_variant_iter_next(&iter, "{sv}", &owned, &value)) {
        g_ptr_array_add(names, owned);
        g_variant_unref(value);
    }
    g_ptr_array_sort(names, compare_properties);
    if (ctx->json) {
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "Path");
        if (dom->path != NULL)
            json_builder_add_string_value(b, dom->path);
        else
            json_builder_add_null_value(b);
    } else if (dom->path != NULL) {
        printf("%-21s %s\n", "Path:", dom->path);
    }
    for (guint i = 0; i < names->len; i++) {
        g_autoptr(GVariant) v = NULL;

        name = g_ptr_array_index(names, i);
        v = g_variant_lookup_value(dom->props, name, NULL);
        if (ctx->json) {
            json_builder_set_member_name(b, name);
            json_add_variant(b, v);
        } else {
            g_autofree char *label = g_strconcat(name, ":", NULL);
            g_autofree char *text = plain_value(name, v);

            printf("%-21s %s\n", label, text);
        }
    }
    if (ctx->json) {
        json_builder_end_object(b);
        vv_print_json(json_builder_get_root(b));
    }
    return VV_EXIT_OK;
}

/* ----------------------------------------------------------------- list */

typedef struct {
    const vv_domain_t *helper;           /* NULL: not published by the helper */
    const vv_libvirt_domain_t *libvirt;  /* NULL: not seen through libvirt */
} list_row_t;

static const char *
row_name(const list_row_t *r)
{
    return r->helper != NULL ? r->helper->name : r->libvirt->name;
}

static gint
compare_rows(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(row_name(a), row_name(b));
}

static const char *
helper_string(const list_row_t *r, const char *prop)
{
    const char *s = NULL;

    if (r->helper == NULL || !g_variant_lookup(r->helper->props, prop, "&s", &s))
        return NULL;
    return s;
}

static int
helper_bool(const list_row_t *r, const char *prop)
{
    gboolean v;

    if (r->helper == NULL || !g_variant_lookup(r->helper->props, prop, "b", &v))
        return -1;
    return v;
}

static void
json_member_string(JsonBuilder *b, const char *member, const char *value)
{
    json_builder_set_member_name(b, member);
    if (value != NULL)
        json_builder_add_string_value(b, value);
    else
        json_builder_add_null_value(b);
}

static void
json_member_bool(JsonBuilder *b, const char *member, int value)
{
    json_builder_set_member_name(b, member);
    if (value >= 0)
        json_builder_add_boolean_value(b, value);
    else
        json_builder_add_null_value(b);
}

static const char *
dash(const char *s)
{
    return s != NULL && s[0] != '\0' ? s : "-";
}

static int
cmd_list(vv_ctx_t *ctx, const vv_command_t *cmd G_GNUC_UNUSED, vv_args_t *args G_GNUC_UNUSED)
{
    g_autoptr(GError) helper_error = NULL;
    g_autoptr(GError) libvirt_error = NULL;
    g_autoptr(GPtrArray) helper = NULL;
    g_autoptr(GPtrArray) libvirt = NULL;
    g_autoptr(GArray) rows = g_array_new(FALSE, TRUE, sizeof(list_row_t));
    g_autoptr(JsonBuilder) b = json_builder_new();

    ctx->backend = vv_bus_backend_new(ctx->bus, ctx->address, &helper_error);
    if (ctx->backend != NULL)
        helper = ctx->backend->ops->list(ctx->backend, &helper_error);
    libvirt = vv_libvirt_list(ctx->uri, &libvirt_error);
    if (helper == NULL && libvirt == NULL) {
        /* Neither answered: the helper's reason decides the exit code. */
        fprintf(stderr, "virt-vmi: libvirt: %s\n", libvirt_error->message);
        return vv_report(helper_error, NULL);
    }
    if (helper == NULL) {
        g_autofree char *message = vv_error_message(helper_error, NULL);

        fprintf(stderr, "virt-vmi: warning: %s; listing libvirt's domains only\n", message);
    }
    if (libvirt == NULL)
        fprintf(stderr, "virt-vmi: warning: %s; listing vmi-helperd's domains only\n",
                libvirt_error->message);

    /* One row per domain: libvirt's, joined with the helper's by UUID. */
    for (guint i = 0; libvirt != NULL && i < libvirt->len; i++) {
        list_row_t r = { .libvirt = g_ptr_array_index(libvirt, i) };

        for (guint j = 0; helper != NULL && j < helper->len; j++) {
            const vv_domain_t *h = g_ptr_array_index(helper, j);

            if (h->uuid != NULL && r.libvirt->uuid != NULL &&
                g_ascii_strcasecmp(h->uuid, r.libvirt->uuid) == 0)
                r.helper = h;
        }
        g_array_append_val(rows, r);
    }
    for (guint j = 0; helper != NULL && j < helper->len; j++) {
        list_row_t r = { .helper = g_ptr_array_index(helper, j) };
        gboolean seen = FALSE;

        for (guint i = 0; i < rows->len; i++)
            seen |= g_array_index(rows, list_row_t, i).helper == r.helper;
        if (!seen)
            g_array_append_val(rows, r);
    }
    g_array_sort(rows, compare_rows);

    if (ctx->json)
        json_builder_begin_array(b);
    else
        printf("%-20s %-11s %-14s %-8s %-8s %-7s %s\n", "NAME", "STATE", "INTROSPECTABLE",
               "ACCESS", "OS", "PAGING", "XML");
    for (guint i = 0; i < rows->len; i++) {
        const list_row_t *r = &g_array_index(rows, list_row_t, i);
        const char *state = helper_string(r, "State");
        const char *xml = NULL;
        int introspectable = helper_bool(r, "Introspectable");

        if (state == NULL && r->libvirt != NULL)
            state = r->libvirt->state;
        if (r->libvirt != NULL && r->libvirt->persistent)
            xml = r->libvirt->xml_mode != 0 ? vmi_domxml_mode_to_string(r->libvirt->xml_mode) : "no";
        if (ctx->json) {
            guint64 mem = 0;

            json_builder_begin_object(b);
            json_member_string(b, "name", row_name(r));
            json_member_string(b, "uuid", r->helper != NULL ? r->helper->uuid : r->libvirt->uuid);
            json_member_string(b, "state", state);
            json_member_string(b, "path", r->helper != NULL ? r->helper->path : NULL);
            json_member_bool(b, "introspectable", introspectable);
            json_member_string(b, "reason", helper_string(r, "IntrospectableReason"));
            json_member_string(b, "access_path", helper_string(r, "AccessPath"));
            json_member_string(b, "os_type", helper_string(r, "OSType"));
            json_member_string(b, "page_mode", helper_string(r, "PageMode"));
            json_member_string(b, "kernel_version", helper_string(r, "KernelVersion"));
            json_builder_set_member_name(b, "memory_size");
            if (r->helper != NULL && g_variant_lookup(r->helper->props, "MemorySize", "t", &mem))
                json_builder_add_int_value(b, (gint64)mem);
            else
                json_builder_add_null_value(b);
            json_member_bool(b, "persistent", r->libvirt != NULL ? r->libvirt->persistent : -1);
            json_member_string(b, "xml_introspection",
                               r->libvirt != NULL && r->libvirt->xml_mode != 0
                               ? vmi_domxml_mode_to_string(r->libvirt->xml_mode) : NULL);
            json_builder_end_object(b);
        } else {
            printf("%-20s %-11s %-14s %-8s %-8s %-7s %s\n", row_name(r), dash(state),
                   introspectable < 0 ? "-" : introspectable ? "yes" : "no",
                   dash(helper_string(r, "AccessPath")), dash(helper_string(r, "OSType")),
                   dash(helper_string(r, "PageMode")), dash(xml));
        }
    }
    if (ctx->json) {
        json_builder_end_array(b);
        vv_print_json(json_builder_get_root(b));
    }
    return VV_EXIT_OK;
}

/* ------------------------------------------------------- enable/disable */

static const vv_option_t enable_options[] = {
    { "mode", 'm', VV_OPT_VALUE, "shm|gdbstub|both", "What to turn on (default shm)" },
    { "socket-dir", 0, VV_OPT_VALUE, "DIR", "Directory of the gdbstub socket (default " VMI_DOMXML_DEFAULT_GDB_DIR "; only root and QEMU's user may reach it)" },
    { NULL },
};

static int
set_introspection(vv_ctx_t *ctx, const vv_command_t *cmd, vv_args_t *args, gboolean enable)
{
    const char *mode_text = vv_args_get(args, "mode");
    const char *socket_dir = vv_args_get(args, "socket-dir");
    g_autoptr(GError) error = NULL;
    g_autoptr(vv_libvirt_change_t) change = NULL;
    vmi_domxml_mode_t mode = VMI_DOMXML_SHM;
    const char *mode_name;

    if (enable && mode_text != NULL && !vmi_domxml_mode_from_string(mode_text, &mode))
        return vv_usage_error(cmd, "--mode '%s' is not one of shm, gdbstub, both", mode_text);
    if (socket_dir != NULL && !g_path_is_absolute(socket_dir))
        return vv_usage_error(cmd, "--socket-dir '%s' is not an absolute path", socket_dir);
    if (enable && (mode & VMI_DOMXML_GDBSTUB)) {
        /* before the XML names it: a directory others can reach gives
         * them the gdbstub (all memory and registers) */
        const char *dir = socket_dir != NULL ? socket_dir : VMI_DOMXML_DEFAULT_GDB_DIR;
        g_autoptr(GError) e = NULL;

        if (!vmi_domxml_check_socket_dir(dir, NULL, &e)) {
            if (!g_error_matches(e, G_FILE_ERROR, G_FILE_ERROR_ACCES)) {
                fprintf(stderr, "virt-vmi: enable: %s\n", e->message);
                return VV_EXIT_FAILED;
            }
            /* not ours to look into: vmi-helperd checks it as root */
            fprintf(stderr, "virt-vmi: note: %s\n", e->message);
        }
    }
    change = vv_libvirt_set_introspection(ctx->uri, arg(args, 0), enable, mode, socket_dir, &error);
    if (change == NULL)
        return vv_report(error, arg(args, 0));

    mode_name = vmi_domxml_mode_to_string(enable ? mode : change->mode_before);
    if (ctx->json) {
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_object(b);
        json_member_string(b, "domain", change->name);
        json_member_string(b, "introspection", enable ? mode_name : NULL);
        json_builder_set_member_name(b, "changed");
        json_builder_add_boolean_value(b, change->changed);
        json_builder_set_member_name(b, "active");
        json_builder_add_boolean_value(b, change->active);
        json_builder_end_object(b);
        vv_print_json(json_builder_get_root(b));
    } else if (!change->changed) {
        if (enable)
            printf("Domain '%s': introspection is already enabled (%s); nothing changed.\n",
                   change->name, mode_name);
        else
            printf("Domain '%s': introspection is not enabled; nothing changed.\n", change->name);
    } else {
        printf("Domain '%s': introspection %s%s%s%s in the persistent XML; it takes effect "
               "the next time the domain starts%s.\n", change->name,
               enable ? "enabled" : "disabled", mode_name != NULL ? " (" : "",
               mode_name != NULL ? mode_name : "", mode_name != NULL ? ")" : "",
               change->active ? " (the running domain is not changed: shut it down and "
                                "start it again)" : "");
    }
    if (enable && (mode & VMI_DOMXML_GDBSTUB) && change->changed) {
        const char *dir = socket_dir != NULL ? socket_dir : VMI_DOMXML_DEFAULT_GDB_DIR;
        g_autoptr(GError) e = NULL;
        gboolean missing = FALSE;

        /* (a caller that cannot look into it has been told so above) */
        if (vmi_domxml_check_socket_dir(dir, &missing, NULL) && missing) {
            gboolean made = FALSE;

            /* QEMU cannot start the domain without it */
            if (geteuid() == 0 && vmi_domxml_ensure_socket_dir(dir, &made, &e)) {
                if (made && !ctx->json)
                    printf("Made the gdbstub socket directory %s for QEMU.\n", dir);
            } else {
                fprintf(stderr, "virt-vmi: note: the gdbstub socket directory %s does not exist "
                        "yet%s%s; vmi-helperd makes it when it sees the domain defined, or "
                        "create it for QEMU's user (" VMI_DOMXML_QEMU_USER "), mode 0700\n",
                        dir, e ? ": " : "", e ? e->message : "");
            }
        }
    }
    return VV_EXIT_OK;
}

static int
cmd_enable(vv_ctx_t *ctx, const vv_command_t *cmd, vv_args_t *args)
{
    return set_introspection(ctx, cmd, args, TRUE);
}

static int
cmd_disable(vv_ctx_t *ctx, const vv_command_t *cmd, vv_args_t *args)
{
    return set_introspection(ctx, cmd, args, FALSE);
}

/* ---------------------------------------------------------------- table */

static const vv_option_t no_options[] = { { NULL } };

static const vv_command_t command_disable = {
    "disable", "DOMAIN", "Turn introspection off in a domain's persistent XML (through libvirt)",
    "Removes exactly what 'virt-vmi enable' added to the persistent XML of DOMAIN\n"
    "(a name or UUID at the libvirt URI of -c) and redefines it; effective the next\n"
    "time the domain starts. A domain that is not enabled is left as it is.\n",
    no_options, 1, 1, FALSE, cmd_disable,
};

static const vv_command_t command_dump = {
    "dump", "DOMAIN FILE", "Dump the guest's memory to FILE (an ELF core)",
    "vmi-helperd writes the dump (Snapshot) to FILE, made absolute here; FILE must\n"
    "not exist and its directory must be writable by you. The guest is paused for\n"
    "the copy. On a terminal, stderr shows that the dump is still running.\n"
    "Output: \"Domain 'NAME': memory dumped to FILE (N bytes).\"\n"
    "--json: {\"domain\":NAME,\"file\":FILE,\"size\":N}\n",
    no_options, 2, 2, FALSE, cmd_dump,
};

static const vv_command_t command_enable = {
    "enable", "DOMAIN [--mode shm|gdbstub|both]",
    "Turn introspection on in a domain's persistent XML (through libvirt)",
    "Reads the persistent XML of DOMAIN (a name or UUID at the libvirt URI of -c),\n"
    "adds what the mode needs (shm: guest RAM in a shared file; gdbstub: a QEMU\n"
    "gdbstub on a unix socket; both) and our <vmi:introspection> metadata, and\n"
    "redefines the domain. Works on a domain that is not running; the change\n"
    "takes effect the next time the domain starts. Enabling again changes nothing.\n"
    "--json: {\"domain\":NAME,\"introspection\":MODE,\"changed\":BOOL,\"active\":BOOL}\n",
    enable_options, 1, 1, FALSE, cmd_enable,
};

static const vv_command_t command_info = {
    "info", "DOMAIN", "Show all properties of a running domain",
    "Output: one \"Property: value\" line per org.libvmi.helper1.Domain property\n"
    "(booleans yes/no, empty strings -), after \"Path:\", the object path.\n"
    "--json: an object with \"Path\" and the properties under their D-Bus names.\n",
    no_options, 1, 1, TRUE, cmd_info,
};

static const vv_command_t command_list = {
    "list", "", "List domains: the running ones from vmi-helperd and the defined ones from libvirt",
    "Columns: NAME, STATE, INTROSPECTABLE (yes/no; - when the helper does not\n"
    "publish the domain), ACCESS (shm, process, gdbstub), OS, PAGING, and XML: what\n"
    "the persistent XML enables (shm, gdbstub, shm+gdbstub, no; - for a transient\n"
    "domain or one libvirt did not list). When only one of vmi-helperd and libvirt\n"
    "answers, its domains are listed with a warning on stderr and the exit status\n"
    "is 0.\n"
    "--json: an array of objects with the keys name, uuid, state, path,\n"
    "introspectable, reason, access_path, os_type, page_mode, kernel_version,\n"
    "memory_size, persistent, xml_introspection (null where unknown).\n",
    no_options, 0, 0, FALSE, cmd_list,
};

static const vv_command_t command_pause = {
    "pause", "DOMAIN", "Pause all vCPUs of a domain",
    "Output: \"Domain 'NAME' paused.\"  --json: {\"domain\":NAME,\"state\":\"paused\"}\n"
    "vmi-helperd resumes the domain when this command has left the bus, unless --hold keeps it.\n",
    pause_options, 1, 1, FALSE, cmd_pause,
};

static const vv_command_t command_ps = {
    "ps", "DOMAIN", "List the guest's processes",
    "Output: a header line \"   PID NAME             DTB\", then one line per process\n"
    "in the kernel's task-list order, printf format \"%6d %-16s 0x%016lx\": pid,\n"
    "name (comm), the physical address of its top-level page table.\n"
    "--json: [{\"pid\":N,\"name\":\"...\",\"dtb\":\"0x%016lx\"}, ...]\n",
    no_options, 1, 1, TRUE, cmd_ps,
};

static const vv_command_t command_read = {
    "read", "DOMAIN (--pa ADDR | --va ADDR [--pid N] | --symbol NAME) --len N [--raw]",
    "Read guest memory and show it as a hex dump",
    "Output: a hex dump in the layout of 'hexdump -C' with guest addresses:\n"
    "\"%016lx  xx xx xx xx xx xx xx xx  xx xx xx xx xx xx xx xx  |................|\",\n"
    "16 bytes a line, the first line at ADDR itself, no lines left out.\n"
    "--raw: the bytes as they are. --json: {\"domain\":NAME,\"space\":\"physical\"|\n"
    "\"virtual\",\"address\":\"0x%016lx\",\"pid\":N (--va),\"symbol\":NAME (--symbol),\n"
    "\"length\":N,\"hex\":\"...\",\"base64\":\"...\"}.\n",
    read_options, 1, 1, TRUE, cmd_read,
};

static const vv_command_t command_regs = {
    "regs", "DOMAIN [--vcpu N]", "Show one vCPU's registers",
    "Output: one line per register, \"%-8s 0x%016lx\", general registers first, then\n"
    "segments, control registers, the rest by name. Registers the access path\n"
    "cannot read are left out.\n"
    "--json: {\"vcpu\":N,\"registers\":{\"rax\":\"0x%016lx\", ...}}\n",
    regs_options, 1, 1, TRUE, cmd_regs,
};

static const vv_command_t command_resume = {
    "resume", "DOMAIN", "Resume a paused domain",
    "Output: \"Domain 'NAME' resumed.\"  --json: {\"domain\":NAME,\"state\":\"resumed\"}\n",
    no_options, 1, 1, FALSE, cmd_resume,
};

static const vv_command_t command_symbol = {
    "symbol", "DOMAIN NAME", "Look up a kernel symbol: virtual and physical address",
    "Output: \"NAME 0x%016lx 0x%016lx\": the symbol, its kernel virtual address (KASLR\n"
    "slide applied) and the physical address it maps to.\n"
    "--json: {\"name\":NAME,\"va\":\"0x...\",\"pa\":\"0x...\"}\n",
    no_options, 2, 2, TRUE, cmd_symbol,
};

static const vv_command_t command_watch = {
    "watch", "DOMAIN ADDR [--access r|w|rw|x] [--count N] [--timeout S]",
    "Report accesses to a kernel virtual address as they happen",
    "Sets a watch on the byte at ADDR (aligned to 8; every access that includes it\n"
    "is seen; needs the gdbstub access path)\n"
    "and prints one line per access until --count events, --timeout seconds, or\n"
    "Ctrl-C (exit status 0); the watch is removed on the way out.\n"
    "Output: \"TIME watch=ID vcpu=N access=A gla=0x%016lx gpa=0x%016lx\" (gpa=- when\n"
    "it could not be translated), TIME in UTC, ISO 8601 with microseconds.\n"
    "--json: one object per line: {\"time\",\"id\",\"vcpu\",\"access\",\"gla\",\"gpa\"}.\n",
    watch_options, 2, 2, FALSE, cmd_watch,
};

const vv_command_t *const vv_commands[] = {
    &command_disable,
    &command_dump,
    &command_enable,
    &command_info,
    &command_list,
    &command_pause,
    &command_ps,
    &command_read,
    &command_regs,
    &command_resume,
    &command_symbol,
    &command_watch,
    NULL,
};
