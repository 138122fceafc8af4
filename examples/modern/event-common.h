/*
 * event-common.h - what the event examples share: opening a domain with
 * events through the modern API, and stopping on a signal.
 */
#ifndef EVENT_COMMON_H
#define EVENT_COMMON_H

#include <signal.h>
#include <stdio.h>
#include <libvmi/libvmi.h>
#include <libvmi/events.h>

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    interrupted = sig;
}

static void catch_signals(void)
{
    struct sigaction act = { .sa_handler = on_signal };
    sigemptyset(&act.sa_mask);
    sigaction(SIGHUP, &act, NULL);
    sigaction(SIGTERM, &act, NULL);
    sigaction(SIGINT, &act, NULL);
    sigaction(SIGALRM, &act, NULL);
}

/* The domain @name from the global configuration file, with events. */
static vmi_instance_t open_domain(const char *name)
{
    vmi_instance_t vmi = NULL;
    vmi_init_error_t error = VMI_INIT_ERROR_NONE;
    if (vmi_init_complete(&vmi, (void *)name, VMI_INIT_DOMAINNAME | VMI_INIT_EVENTS, NULL,
                          VMI_CONFIG_GLOBAL_FILE_ENTRY, NULL, &error) == VMI_FAILURE) {
        fprintf(stderr, "cannot open %s (error %d): %s\n", name, (int)error,
                vmi_get_last_error(NULL));
        return NULL;
    }
    return vmi;
}

#endif
