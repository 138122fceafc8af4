/*
 * fuzz-common.h - what every libFuzzer target of fuzz/ shares: GLib's
 * slice allocator off (G_SLICE=always-malloc, see fuzz_init), quiet
 * logging (the parsers log at debug level; printing it would slow the
 * fuzzer), criticals made fatal (a g_return_if_fail() reached from hostile
 * input is a bug), and helpers to turn the input into a C string.
 */
#ifndef VMI_FUZZ_COMMON_H
#define VMI_FUZZ_COMMON_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static GLogWriterOutput fuzz_log_writer(GLogLevelFlags level, const GLogField *fields,
                                        gsize n_fields, gpointer user_data)
{
    (void)user_data;
    if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL)) {
        g_log_writer_standard_streams(level, fields, n_fields, NULL);
        abort();
    }
    return G_LOG_WRITER_HANDLED;
}

static void fuzz_log_handler(const gchar *domain, GLogLevelFlags level, const gchar *message,
                             gpointer user_data)
{
    (void)user_data;
    if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL)) {
        g_printerr("%s: %s\n", domain ? domain : "", message);
        abort();
    }
}

static inline void fuzz_init_logging(void)
{
    g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
    g_log_set_default_handler(fuzz_log_handler, NULL);
    g_log_set_writer_func(fuzz_log_writer, NULL, NULL);
}

/* GLib (2.74, Debian 12) hands out g_slice_new() blocks (hash tables,
 * GErrors, GStrings, json-glib nodes) from slabs it keeps: ASan cannot see
 * an overflow from one block into the next, LeakSanitizer counts a leaked
 * block as reachable from its slab, and every new slab makes libFuzzer
 * suspect a leak and run a full leak scan, which made the config target
 * 10 times slower.  G_SLICE=always-malloc gives each block its own
 * malloc(); GLib reads it when it starts, before LLVMFuzzerInitialize, so
 * the target executes itself again with it set (once: a child of -fork
 * or -jobs inherits it).  A G_SLICE set by the caller is left alone. */
static inline void fuzz_init(int *argc, char ***argv)
{
    (void)argc;
    if (!getenv("G_SLICE") && argv && *argv && (*argv)[0]) {
        setenv("G_SLICE", "always-malloc", 1);
        execv("/proc/self/exe", *argv);
        /* no /proc: go on with the slices */
    }
    fuzz_init_logging();
}

/* A NUL-terminated copy of the input (free with g_free). */
static inline char *fuzz_strdup(const uint8_t *data, size_t size)
{
    char *s = g_malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* A number picked by the input (its size and three of its bytes, not a
 * pass over all of it): for the choices a target makes per input, such as
 * sizes or which of two costly paths to take as well. */
static inline uint32_t fuzz_pick(const uint8_t *data, size_t size)
{
    uint32_t h = (uint32_t)size * 2654435761u;
    if (size)
        h ^= data[size - 1] * 16777619u ^ data[size / 2] * 40503u ^ data[0] * 2246822519u;
    return h ^ (h >> 15);
}

/* A fatal check of a property the fuzzed code documents. */
#define FUZZ_CHECK(cond)                                                         \
    do {                                                                         \
        if (!(cond)) {                                                           \
            g_printerr("%s:%d: property violated: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                             \
        }                                                                        \
    } while (0)

#endif
