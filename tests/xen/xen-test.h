/*
 * xen-test.h - what the programs run in the Xen rig's dom0 share
 * (check-xen.c, xen-probe.c): the "XEN-TEST ok|not ok|skip - DOMU: WHAT"
 * result lines the host reads from the serial log, and the domU console's
 * VMI-TICK lines (counted, timed) for the pause checks.  Each program sets
 * dom_name; failed says whether a check failed.
 */
#ifndef XEN_TEST_H
#define XEN_TEST_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *dom_name;
static int failed;

static void result(int ok, const char *what, const char *fmt, ...)
{
    va_list ap;
    printf("XEN-TEST %s - %s: %s", ok ? "ok" : "not ok", dom_name, what);
    if (fmt) {
        printf(": ");
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
    }
    printf("\n");
    fflush(stdout);
    if (!ok)
        failed = 1;
}

static void skip(const char *what, const char *why)
{
    printf("XEN-TEST skip - %s: %s: %s\n", dom_name, what, why);
    fflush(stdout);
}

static int count_lines(const char *path, const char *prefix, char *last, size_t lastlen)
{
    char line[1024];
    int n = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, prefix, strlen(prefix))) {
            n++;
            if (last) {
                line[strcspn(line, "\r\n")] = 0;
                snprintf(last, lastlen, "%s", line);
            }
        }
    }
    fclose(f);
    return n;
}

static int count_ticks(const char *path)
{
    return count_lines(path, "VMI-TICK ", NULL, 0);
}

/* seconds between two VMI-TICK lines as they arrive now (the guest prints
 * one every 2 s of its time; TCG on a loaded host stretches that a lot);
 * -1 when none come within 300 s */
static double tick_interval(const char *path)
{
    struct timespec t0 = {0}, t1;
    int n0 = count_ticks(path), n, seen = 0, i;
    for (i = 0; i < 3000; i++) {
        usleep(100000);
        n = count_ticks(path);
        if (n > n0) {
            clock_gettime(CLOCK_MONOTONIC, &t1);
            if (seen++)
                return (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
            t0 = t1;
            n0 = n;
        }
    }
    return -1;
}

/* how long a pause must last to show: 3 tick intervals, at least 7 s */
static int pause_hold(double interval)
{
    int h = (int)(3 * interval + 1);
    return h < 7 ? 7 : h > 240 ? 240 : h;
}

#endif
