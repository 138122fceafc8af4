/*
 * synth-guest.c - writes a synthetic Linux guest (tests/unit/synth.c) for
 * the API-generation tests: DIR/guest.raw, DIR/System.map, DIR/libvmi.conf
 * (entry "guest"), and DIR/truth with what the generator placed there,
 * one "key value" per line, known without asking the library:
 *   banner_va, banner, user_pid, user_text_va, user_text (first string
 *   there), user_mapped (bytes mapped from user_text_va on).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "synth.h"

int main(int argc, char **argv)
{
    GError *error = NULL;
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    const char *dir = argv[1];
    synth_t *g = synth_new(SYNTH_IA32E, 12);
    g_autofree char *image = g_build_filename(dir, "guest.raw", NULL);
    g_autofree char *map = g_build_filename(dir, "System.map", NULL);
    g_autofree char *conf = g_build_filename(dir, "libvmi.conf", NULL);
    g_autofree char *truth = g_build_filename(dir, "truth", NULL);
    g_autofree char *maptext = synth_sysmap(g, 0);
    if (!synth_write_image(g, image, &error) || !g_file_set_contents(map, maptext, -1, &error)) {
        fprintf(stderr, "synth-guest: %s\n", error->message);
        return 1;
    }
    const synth_offsets_t *o = &g->off;
    g_autofree char *conftext = g_strdup_printf(
        "guest {\n    ostype = \"Linux\";\n    sysmap = \"%s\";\n"
        "    linux_tasks = 0x%" PRIx64 ";\n    linux_mm = 0x%" PRIx64 ";\n"
        "    linux_pid = 0x%" PRIx64 ";\n    linux_name = 0x%" PRIx64 ";\n"
        "    linux_pgd = 0x%" PRIx64 ";\n}\n",
        map, o->tasks, o->mm, o->pid, o->name, o->pgd);
    /* the first task with an address space: its text holds "argv-marker-PID" */
    const synth_task_t *u = NULL;
    for (size_t i = 0; i < g->ntasks && !u; i++)
        if (g->tasks[i].user)
            u = &g->tasks[i];
    if (!u) {
        fprintf(stderr, "synth-guest: no user task\n");
        return 1;
    }
    g_autofree char *trtext = g_strdup_printf(
        "banner_va 0x%" PRIx64 "\nbanner %s\nuser_pid %d\nuser_text_va 0x%" PRIx64
        "\nuser_text argv-marker-%d\nuser_mapped 8192\n",
        synth_sym_va(g, "linux_banner"), g->banner, u->pid, g->user_text_va, u->pid);
    if (!g_file_set_contents(conf, conftext, -1, &error) ||
        !g_file_set_contents(truth, trtext, -1, &error)) {
        fprintf(stderr, "synth-guest: %s\n", error->message);
        return 1;
    }
    synth_free(g);
    return 0;
}
