/*
 * vmi-process-list - list the processes of a guest or memory snapshot.
 */
#include <inttypes.h>
#include <stdlib.h>
#include "common.h"

static int by_pid(const void *a, const void *b)
{
    const vmi_process_t *x = a, *y = b;
    return (x->pid > y->pid) - (x->pid < y->pid);
}

int main(int argc, char **argv)
{
    common_opts_t opts = { 0 };
    gboolean sort = FALSE;
    GOptionEntry entries[] = {
        { "sort", 's', 0, G_OPTION_ARG_NONE, &sort, "Sort by pid (default: kernel list order)", NULL },
        { NULL }
    };
    GOptionContext *ctx = g_option_context_new("NAME - list the processes of a guest");
    g_option_context_set_description(ctx,
        "NAME is a domain name or the path of a memory snapshot (raw or ELF core).\n"
        "The guest's entry in libvmi.conf (named after the domain, or the snapshot's base\n"
        "name) gives ostype, sysmap and the linux_* offsets; the KASLR slide is found\n"
        "automatically.\n\nExit status: 0 success, 1 failure, 2 usage error.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    common_add_options(ctx, &opts, true);
    common_parse(ctx, &argc, &argv, 1, 1);
    g_option_context_free(ctx);

    vmi_instance_t vmi = common_open(argv[1], &opts);
    if (!vmi)
        return EXIT_FAILED;
    vmi_process_t *list = NULL;
    size_t n = 0;
    if (vmi_get_processes(vmi, &list, &n) == VMI_FAILURE) {
        fprintf(stderr, "%s: cannot list processes: %s\n", g_get_prgname(), vmi_get_last_error(vmi));
        vmi_destroy(vmi);
        return EXIT_FAILED;
    }
    if (sort)
        qsort(list, n, sizeof(*list), by_pid);
    if (opts.json) {
        printf("[");
        for (size_t i = 0; i < n; i++) {
            printf("%s\n  {\"pid\": %d, \"name\": ", i ? "," : "", list[i].pid);
            json_string(stdout, list[i].name);
            printf(", \"task\": \"0x%" PRIx64 "\", \"dtb\": \"0x%" PRIx64 "\"}",
                   list[i].task, list[i].dtb);
        }
        printf("\n]\n");
    } else {
        printf("%7s  %-16s %-18s %s\n", "PID", "NAME", "TASK", "DTB");
        for (size_t i = 0; i < n; i++) {
            g_autofree char *name = text_escape(list[i].name);
            printf("%7d  %-16s 0x%016" PRIx64 " 0x%" PRIx64 "\n", list[i].pid, name,
                   list[i].task, list[i].dtb);
        }
    }
    free(list);
    vmi_destroy(vmi);
    return EXIT_OK;
}
