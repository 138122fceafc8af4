/*
 * xen-test.h - what the programs run in the Xen rig's dom0 share
 * (check-xen.c, xen-probe.c): the "XEN-TEST ok|not ok|skip - DOMU: WHAT"
 * result lines the host reads from the serial log, and the domU console's
 * VMI-TICK lines (counted, timed) for the pause checks.  Each program sets
 * dom_name; failed says whether a check failed.
 */
#ifndef XEN_TEST_H
#define XEN_TEST_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
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


/* The domU console's truth: the kallsyms addresses of linux_banner and
 * _text, the banner, the marker's physical address (VMI-PA, vmi.xen=1) and
 * the first sentinel's argv (VMI-ARGV1). */
static char banner[1024];
static uint64_t ksym_banner, ksym_text, pa_addr, argv1_addr;
static char pa_string[64], argv1[64];
static unsigned argv1_pid;

static int read_truth(const char *path)
{
    char line[1024];
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f)) {
        char name[128], t;
        uint64_t a;
        unsigned pid;
        line[strcspn(line, "\r\n")] = 0;
        if (sscanf(line, "VMI-KSYM %" SCNx64 " %c %127s", &a, &t, name) == 3) {
            if (!strcmp(name, "linux_banner"))
                ksym_banner = a;
            else if (!strcmp(name, "_text"))
                ksym_text = a;
        } else if (!strncmp(line, "VMI-BANNER ", 11) && !banner[0]) {
            snprintf(banner, sizeof banner, "%s", line + 11);
        } else if (sscanf(line, "VMI-PA %u %*x %" SCNx64 " %63s", &pid, &a, pa_string) == 3) {
            pa_addr = a;
        } else if (!argv1_pid && sscanf(line, "VMI-ARGV1 %u %" SCNx64 " %63s", &pid, &a, argv1) == 3) {
            argv1_pid = pid;
            argv1_addr = a;
        }
    }
    fclose(f);
    return 0;
}

#endif
