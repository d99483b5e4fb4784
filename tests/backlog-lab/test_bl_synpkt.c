/* test_bl_synpkt.c - the SYN built for the raw socket (bl_synpkt.c): the
 * checksum against RFC 1071's worked example, every header field where
 * RFC 791 and RFC 793 put it, and both checksums verifying as a receiver
 * checks them (the sum over the header, checksum included, folds to
 * 0xffff). */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <string.h>

#include "bl_synpkt.h"

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static const struct bl_synpkt example = {
    .src = 0x0ad60102, .dst = 0x0ad50001, /* 10.214.1.2 -> 10.213.0.1 */
    .sport = 40001, .dport = 8100, .seq = 0xdeadbeef, .ip_id = 0x1234,
};

Test(bl_synpkt, checksum_of_rfc1071_example)
{
    static const uint8_t words[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

    /* RFC 1071 section 3: the folded sum is 0xddf2 */
    cr_assert_eq(bl_synpkt_csum(words, sizeof(words), 0), (uint16_t)~0xddf2);
    cr_assert_eq(bl_synpkt_csum(words, 3, 0), (uint16_t)~(0x0001 + 0xf200));
}

Test(bl_synpkt, header_fields_in_place)
{
    uint8_t p[BL_SYNPKT_LEN];

    bl_synpkt_build(&example, p);
    cr_assert_eq(p[0], 0x45);
    cr_assert_eq(get16(p + 2), BL_SYNPKT_LEN);
    cr_assert_eq(get16(p + 4), 0x1234);
    cr_assert_eq(get16(p + 6), 0x4000, "DF, no fragment offset");
    cr_assert_eq(p[8], 64);
    cr_assert_eq(p[9], IPPROTO_TCP);
    cr_assert_eq(get32(p + 12), example.src);
    cr_assert_eq(get32(p + 16), example.dst);
    const uint8_t *t = p + BL_SYNPKT_IP_LEN;
    cr_assert_eq(get16(t), 40001);
    cr_assert_eq(get16(t + 2), 8100);
    cr_assert_eq(get32(t + 4), 0xdeadbeef);
    cr_assert_eq(get32(t + 8), 0, "no ACK number on a SYN");
    cr_assert_eq(t[12] >> 4, BL_SYNPKT_TCP_LEN / 4);
    cr_assert_eq(t[13], 0x02, "SYN only");
    cr_assert_eq(t[20], 2);
    cr_assert_eq(t[21], 4);
    cr_assert_eq(get16(t + 22), BL_SYNPKT_MSS);
}

Test(bl_synpkt, both_checksums_verify)
{
    uint8_t p[BL_SYNPKT_LEN], pseudo[12 + BL_SYNPKT_TCP_LEN];

    bl_synpkt_build(&example, p);
    cr_assert_eq(bl_synpkt_csum(p, BL_SYNPKT_IP_LEN, 0), 0, "IP header sum not 0xffff");
    memcpy(pseudo, p + 12, 8);
    pseudo[8] = 0;
    pseudo[9] = IPPROTO_TCP;
    pseudo[10] = 0;
    pseudo[11] = BL_SYNPKT_TCP_LEN;
    memcpy(pseudo + 12, p + BL_SYNPKT_IP_LEN, BL_SYNPKT_TCP_LEN);
    cr_assert_eq(bl_synpkt_csum(pseudo, sizeof(pseudo), 0), 0, "TCP sum not 0xffff");
    cr_assert_eq(get16(p + BL_SYNPKT_IP_LEN + 16), bl_synpkt_tcp_csum(p));
}

Test(bl_synpkt, checksum_changes_with_the_source)
{
    uint8_t a[BL_SYNPKT_LEN], b[BL_SYNPKT_LEN];
    struct bl_synpkt other = example;

    other.src++;
    bl_synpkt_build(&example, a);
    bl_synpkt_build(&other, b);
    cr_assert_neq(get16(a + 10), get16(b + 10));
    cr_assert_neq(get16(a + BL_SYNPKT_IP_LEN + 16), get16(b + BL_SYNPKT_IP_LEN + 16));
}
