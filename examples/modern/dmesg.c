/*
 * dmesg.c - the kernel log of a Linux guest (5.10 and later: the lockless
 * printk ring buffer), through the modern LibVMI API.  Every layout comes
 * from vmi_get_kernel_struct_offset (the kernel's BTF, an ISF or the
 * configuration):
 *   prb -> struct printk_ringbuffer { desc_ring { count_bits, descs, infos,
 *          head_id, tail_id }, text_data_ring { size_bits, data } }
 *   descs[id & mask] = struct prb_desc { state_var, text_blk_lpos { begin, next } }
 *   infos[id & mask] = struct printk_info { seq, ts_nsec, text_len, ... }
 *   text at data[begin & size mask] after the block's id (or at data[0]
 *   when the block wraps).
 *
 *   modern-dmesg NAME
 * prints "[SECONDS] TEXT" per record, oldest first.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libvmi/libvmi.h>

#define MAX_RECORDS (1u << 20)
#define DESC_ID_MASK (~(3ULL << 62))    /* state_var: state in the top two bits */
#define DESC_STATE(sv) ((sv) >> 62)
#define STATE_COMMITTED 1
#define STATE_FINALIZED 2

static vmi_instance_t vmi;

static int off(const char *type, const char *member, addr_t *out)
{
    if (vmi_get_kernel_struct_offset(vmi, type, member, out) == VMI_SUCCESS)
        return 1;
    fprintf(stderr, "%s.%s: %s\n", type, member, vmi_get_last_error(vmi));
    return 0;
}

int main(int argc, char **argv)
{
    vmi_init_error_t err;
    addr_t o_count_bits, o_descs, o_infos, o_head, o_tail, o_size_bits, o_data;
    addr_t o_sv, o_lpos, o_seq, o_ts, o_len, o_devinfo;
    addr_t prb, descs, infos, data;
    uint64_t head, tail;
    uint32_t count_bits, size_bits;
    int rc = 1;

    if (argc != 2) {
        fprintf(stderr, "usage: %s NAME\n", argv[0]);
        return 2;
    }
    if (vmi_init_complete(&vmi, argv[1], VMI_INIT_DOMAINNAME, NULL,
                          VMI_CONFIG_GLOBAL_FILE_ENTRY, NULL, &err) == VMI_FAILURE) {
        fprintf(stderr, "vmi_init_complete (error %d): %s\n", err, vmi_get_last_error(NULL));
        return 1;
    }
    if (!off("printk_ringbuffer", "desc_ring.count_bits", &o_count_bits) ||
        !off("printk_ringbuffer", "desc_ring.descs", &o_descs) ||
        !off("printk_ringbuffer", "desc_ring.infos", &o_infos) ||
        !off("printk_ringbuffer", "desc_ring.head_id", &o_head) ||
        !off("printk_ringbuffer", "desc_ring.tail_id", &o_tail) ||
        !off("printk_ringbuffer", "text_data_ring.size_bits", &o_size_bits) ||
        !off("printk_ringbuffer", "text_data_ring.data", &o_data) ||
        !off("prb_desc", "state_var", &o_sv) || !off("prb_desc", "text_blk_lpos", &o_lpos) ||
        !off("printk_info", "seq", &o_seq) || !off("printk_info", "ts_nsec", &o_ts) ||
        !off("printk_info", "text_len", &o_len) || !off("printk_info", "dev_info", &o_devinfo))
        goto out;
    /* the struct sizes: two words of lpos end prb_desc; dev_printk_info
     * (subsystem[16], device[48]) ends printk_info */
    addr_t desc_size = o_lpos + 16, info_size = o_devinfo + 64;

    if (vmi_read_addr_ksym(vmi, "prb", &prb) == VMI_FAILURE ||
        vmi_read_32_va(vmi, prb + o_count_bits, 0, &count_bits) == VMI_FAILURE ||
        vmi_read_addr_va(vmi, prb + o_descs, 0, &descs) == VMI_FAILURE ||
        vmi_read_addr_va(vmi, prb + o_infos, 0, &infos) == VMI_FAILURE ||
        vmi_read_64_va(vmi, prb + o_head, 0, &head) == VMI_FAILURE ||
        vmi_read_64_va(vmi, prb + o_tail, 0, &tail) == VMI_FAILURE ||
        vmi_read_32_va(vmi, prb + o_size_bits, 0, &size_bits) == VMI_FAILURE ||
        vmi_read_addr_va(vmi, prb + o_data, 0, &data) == VMI_FAILURE) {
        fprintf(stderr, "the printk ring buffer: %s\n", vmi_get_last_error(vmi));
        goto out;
    }
    if (count_bits > 24 || size_bits > 32) {
        fprintf(stderr, "the printk ring buffer looks corrupt (count_bits %u, size_bits %u)\n",
                count_bits, size_bits);
        goto out;
    }
    uint64_t count_mask = (1ULL << count_bits) - 1, size_mask = (1ULL << size_bits) - 1;
    unsigned n = 0;
    for (uint64_t id = tail & DESC_ID_MASK;; id = (id + 1) & DESC_ID_MASK) {
        uint64_t sv, begin, next, ts;
        uint16_t len;
        addr_t d = descs + (id & count_mask) * desc_size, i = infos + (id & count_mask) * info_size;
        if (++n > MAX_RECORDS || n > count_mask + 1)
            break;
        if (vmi_read_64_va(vmi, d + o_sv, 0, &sv) == VMI_FAILURE ||
            vmi_read_64_va(vmi, d + o_lpos, 0, &begin) == VMI_FAILURE ||
            vmi_read_64_va(vmi, d + o_lpos + 8, 0, &next) == VMI_FAILURE ||
            vmi_read_64_va(vmi, i + o_ts, 0, &ts) == VMI_FAILURE ||
            vmi_read_16_va(vmi, i + o_len, 0, &len) == VMI_FAILURE) {
            fprintf(stderr, "record %" PRIu64 ": %s\n", id, vmi_get_last_error(vmi));
            goto out;
        }
        uint64_t state = DESC_STATE(sv);
        if ((sv & DESC_ID_MASK) == id && (state == STATE_COMMITTED || state == STATE_FINALIZED)) {
            /* a block that wraps starts again at data[0] */
            bool wraps = (begin >> size_bits) != (next >> size_bits);
            addr_t text = data + (wraps ? 0 : (begin & size_mask)) + 8;
            char buf[1024];
            size_t want = len < sizeof(buf) - 1 ? len : sizeof(buf) - 1, got = 0;
            if (vmi_read_va(vmi, text, 0, want, buf, &got) == VMI_FAILURE) {
                fprintf(stderr, "text of record %" PRIu64 ": %s\n", id, vmi_get_last_error(vmi));
                goto out;
            }
            buf[got] = '\0';
            printf("[%5" PRIu64 ".%06" PRIu64 "] %s\n", ts / 1000000000, ts / 1000 % 1000000, buf);
        }
        if (id == (head & DESC_ID_MASK))
            break;
    }
    rc = 0;
out:
    vmi_destroy(vmi);
    return rc;
}
