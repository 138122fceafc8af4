/*
 * vmi-bench-read-va - the C side of bench/python-bench.py: the time of one
 * vmi_read_va() of 4 KiB (warm translations) on a snapshot or a live guest,
 * the figure the Python binding's overhead is measured against.
 *
 *   vmi-bench-read-va NAME [CALLS]
 *
 * NAME is a snapshot path or a configured guest.  Prints one line:
 *   read_va_4k_ns <nanoseconds per call, best of 5 rounds>
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <libvmi.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: vmi-bench-read-va NAME [CALLS]\n");
        return 2;
    }
    long calls = argc == 3 ? atol(argv[2]) : 200000;
    if (calls <= 0) {
        fprintf(stderr, "vmi-bench-read-va: CALLS must be a positive number\n");
        return 2;
    }
    vmi_instance_t vmi = NULL;
    if (vmi_init_complete(&vmi, argv[1], VMI_INIT_DOMAINNAME, NULL, VMI_CONFIG_GLOBAL_FILE_ENTRY,
                          NULL, NULL) != VMI_SUCCESS) {
        fprintf(stderr, "vmi-bench-read-va: %s: %s\n", argv[1], vmi_get_last_error(NULL));
        return 1;
    }
    addr_t text = 0;
    if (vmi_translate_ksym2v(vmi, "_text", &text) != VMI_SUCCESS) {
        fprintf(stderr, "vmi-bench-read-va: _text: %s\n", vmi_get_last_error(vmi));
        vmi_destroy(vmi);
        return 1;
    }
    static char buf[4096];
    size_t n = 0;
    double best = 1e9;
    for (int round = 0; round < 5; round++) {
        double t = now();
        for (long i = 0; i < calls; i++) {
            if (vmi_read_va(vmi, text, 0, sizeof(buf), buf, &n) != VMI_SUCCESS) {
                fprintf(stderr, "vmi-bench-read-va: read: %s\n", vmi_get_last_error(vmi));
                vmi_destroy(vmi);
                return 1;
            }
            __asm__ volatile("" : : "r"(buf) : "memory");
        }
        double per = (now() - t) / calls;
        if (per < best)
            best = per;
    }
    printf("read_va_4k_ns %.1f\n", best * 1e9);
    vmi_destroy(vmi);
    return 0;
}
