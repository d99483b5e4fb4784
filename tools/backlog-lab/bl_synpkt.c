/* bl_synpkt.c - an IPv4 TCP SYN built for a raw socket (see bl_synpkt.h). */
#include "bl_synpkt.h"

#include <netinet/in.h>
#include <string.h>

#define TCP_FLAG_SYN 0x02
#define TCP_WINDOW 64240
#define IP_DF 0x4000
#define TCP_CSUM_AT (BL_SYNPKT_IP_LEN + 16)

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

/* The unfolded sum of big-endian 16-bit words (an odd last byte padded). */
static uint32_t sum_words(const uint8_t *p, size_t len, uint32_t sum)
{
    for (; len > 1; p += 2, len -= 2)
        sum += (uint32_t)p[0] << 8 | p[1];
    if (len == 1)
        sum += (uint32_t)p[0] << 8;
    return sum;
}

uint16_t bl_synpkt_csum(const void *data, size_t len, uint32_t sum)
{
    sum = sum_words(data, len, sum);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

uint16_t bl_synpkt_tcp_csum(const uint8_t pkt[BL_SYNPKT_LEN])
{
    uint8_t pseudo[12], seg[BL_SYNPKT_TCP_LEN];

    memcpy(pseudo, pkt + 12, 8);                 /* source, destination */
    pseudo[8] = 0;
    pseudo[9] = IPPROTO_TCP;
    put16(pseudo + 10, BL_SYNPKT_TCP_LEN);
    memcpy(seg, pkt + BL_SYNPKT_IP_LEN, sizeof(seg));
    put16(seg + 16, 0);
    return bl_synpkt_csum(seg, sizeof(seg), sum_words(pseudo, sizeof(pseudo), 0));
}

void bl_synpkt_build(const struct bl_synpkt *p, uint8_t out[BL_SYNPKT_LEN])
{
    uint8_t *ip = out, *tcp = out + BL_SYNPKT_IP_LEN;

    memset(out, 0, BL_SYNPKT_LEN);
    ip[0] = 0x45;                                /* version 4, 5 words */
    put16(ip + 2, BL_SYNPKT_LEN);
    put16(ip + 4, p->ip_id);
    put16(ip + 6, IP_DF);
    ip[8] = 64;
    ip[9] = IPPROTO_TCP;
    put32(ip + 12, p->src);
    put32(ip + 16, p->dst);
    put16(ip + 10, bl_synpkt_csum(ip, BL_SYNPKT_IP_LEN, 0));

    put16(tcp, p->sport);
    put16(tcp + 2, p->dport);
    put32(tcp + 4, p->seq);
    tcp[12] = (BL_SYNPKT_TCP_LEN / 4) << 4;      /* data offset */
    tcp[13] = TCP_FLAG_SYN;
    put16(tcp + 14, TCP_WINDOW);
    tcp[20] = 2;                                 /* MSS option: kind 2, length 4 */
    tcp[21] = 4;
    put16(tcp + 22, BL_SYNPKT_MSS);
    put16(out + TCP_CSUM_AT, bl_synpkt_tcp_csum(out));
}
