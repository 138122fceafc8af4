/*
 * live-checks.h - what the live-guest check programs share (check-live.c,
 * check-events.c): TAP lines ("ok N - ...", failures counted), a monotonic
 * clock, and the guest's serial console (console_path, set by main) with
 * its latest VMI-TICK uptime.
 */
#ifndef LIVE_CHECKS_H
#define LIVE_CHECKS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <glib.h>

static int failures, checks;
static const char *console_path;

static void check(bool ok, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void check(bool ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    printf("%s %d - %s\n", ok ? "ok" : "not ok", ++checks, msg);
    fflush(stdout);
    if (!ok)
        failures++;
    g_free(msg);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static char *console(void)
{
    char *text = NULL;
    if (!g_file_get_contents(console_path, &text, NULL, NULL))
        return g_strdup("");
    return text;
}

/* The guest's latest uptime (VMI-TICK), or -1. */
static double last_tick(void)
{
    g_autofree char *text = console();
    const char *p = text, *last = NULL;
    while ((p = strstr(p, "VMI-TICK ")) != NULL)
        last = p++;
    return last ? g_ascii_strtod(last + 9, NULL) : -1;
}

#endif
