/* bl_synpkt.h - one TCP SYN with its IPv4 header, built byte by byte for a
 * raw socket (IPPROTO_RAW, which implies IP_HDRINCL): what syn-flood sends
 * from spoofed source addresses.  Both checksums are computed here (RFC
 * 1071), the TCP one over the pseudo-header of RFC 793, so a receiver
 * that checks them in software accepts the segment.
 *
 * Addresses and ports are given in host byte order; the packet is written
 * in network byte order.
 */
#ifndef BL_SYNPKT_H
#define BL_SYNPKT_H

#include <stddef.h>
#include <stdint.h>

#define BL_SYNPKT_IP_LEN 20
#define BL_SYNPKT_TCP_LEN 24               /* 20 + the MSS option */
#define BL_SYNPKT_LEN (BL_SYNPKT_IP_LEN + BL_SYNPKT_TCP_LEN)
#define BL_SYNPKT_MSS 1460

struct bl_synpkt {
    uint32_t src, dst;       /* IPv4 addresses */
    uint16_t sport, dport;
    uint32_t seq;            /* the initial sequence number */
    uint16_t ip_id;
};

/* The Internet checksum of len bytes, started from sum (the folded 16-bit
 * one's-complement sum of whatever came before, e.g. a pseudo-header):
 * the value to store, already complemented. */
uint16_t bl_synpkt_csum(const void *data, size_t len, uint32_t sum);

/* Writes the SYN described by p into out (BL_SYNPKT_LEN bytes): IPv4
 * header (TTL 64, DF), TCP header with SYN, window 64240, MSS option. */
void bl_synpkt_build(const struct bl_synpkt *p, uint8_t out[BL_SYNPKT_LEN]);

/* The TCP checksum out's TCP header should carry, computed over its
 * pseudo-header and segment with the checksum field taken as zero. */
uint16_t bl_synpkt_tcp_csum(const uint8_t pkt[BL_SYNPKT_LEN]);

#endif
