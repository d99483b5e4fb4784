/* test_ring.c - the ring buffer: iovec shapes across the wrap, real
 * readv/writev through a pipe, and a randomized run against a reference. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ring.h"

Test(ring, capacity_rules)
{
    cr_assert(ring_valid_capacity(1));
    cr_assert(ring_valid_capacity(16384));
    cr_assert(ring_valid_capacity(1UL << 31));
    cr_assert_not(ring_valid_capacity(0));
    cr_assert_not(ring_valid_capacity(3));
    cr_assert_not(ring_valid_capacity(16385));
    cr_assert_not(ring_valid_capacity(1UL << 32));
}

Test(ring, detached_ring_is_empty_and_has_no_space)
{
    struct ring r = { 0 };
    struct iovec iov[2];

    cr_assert(ring_empty(&r));
    cr_assert_not(ring_full(&r));
    cr_assert_eq(ring_free(&r), 0);
    cr_assert_eq(ring_free_iov(&r, iov), 0);
    cr_assert_eq(ring_push(&r, "x", 1), 0);
}

Test(ring, iovecs_split_exactly_at_the_wrap)
{
    uint8_t mem[8];
    struct ring r = { 0 };
    struct iovec iov[2];

    ring_attach(&r, mem, sizeof(mem));
    cr_assert_eq(ring_free_iov(&r, iov), 1);
    cr_assert_eq(iov[0].iov_base, mem);
    cr_assert_eq(iov[0].iov_len, 8);

    cr_assert_eq(ring_push(&r, "abcdef", 6), 6);
    cr_assert_eq(ring_pop(&r, (char[4]){0}, 4), 4);   /* tail at 4, head at 6 */
    cr_assert_eq(ring_free_iov(&r, iov), 2);          /* [6,8) then [0,4) */
    cr_assert_eq(iov[0].iov_base, mem + 6);
    cr_assert_eq(iov[0].iov_len, 2);
    cr_assert_eq(iov[1].iov_base, mem);
    cr_assert_eq(iov[1].iov_len, 4);

    cr_assert_eq(ring_push(&r, "ghijkl", 6), 6);      /* fills it, wraps */
    cr_assert(ring_full(&r));
    cr_assert_eq(ring_free_iov(&r, iov), 0);
    cr_assert_eq(ring_data_iov(&r, iov), 2);          /* [4,8) then [0,4) */
    cr_assert_eq(iov[0].iov_base, mem + 4);
    cr_assert_eq(iov[0].iov_len, 4);
    cr_assert_eq(iov[1].iov_len, 4);

    char out[9] = { 0 };
    cr_assert_eq(ring_pop(&r, out, 8), 8);
    cr_assert_str_eq(out, "efghijkl");
    cr_assert(ring_empty(&r));
    cr_assert_eq(ring_detach(&r), mem);
    cr_assert_eq(ring_capacity(&r), 0);
}

Test(ring, indices_survive_32bit_wraparound)
{
    uint8_t mem[16];
    struct ring r = { 0 };
    char out[16];

    ring_attach(&r, mem, sizeof(mem));
    r.head = r.tail = UINT32_MAX - 5;   /* as after 4 GiB of traffic */
    cr_assert_eq(ring_push(&r, "0123456789", 10), 10);
    cr_assert_eq(ring_used(&r), 10);
    cr_assert_eq(ring_free(&r), 6);
    cr_assert_eq(ring_pop(&r, out, 10), 10);
    cr_assert_eq(memcmp(out, "0123456789", 10), 0);
    cr_assert(ring_empty(&r));
}

Test(ring, readv_and_writev_through_a_pipe_across_the_wrap)
{
    uint8_t mem[64], src[100], dst[100];
    struct ring r = { 0 };
    struct iovec iov[2];
    int in[2], out[2];
    size_t sent = 0, got = 0;

    for (size_t i = 0; i < sizeof(src); i++)
        src[i] = (uint8_t)(i * 7 + 1);
    cr_assert_eq(pipe(in), 0);
    cr_assert_eq(pipe(out), 0);
    ring_attach(&r, mem, sizeof(mem));
    while (got < sizeof(src)) {
        if (sent < sizeof(src)) {
            size_t chunk = sizeof(src) - sent < 37 ? sizeof(src) - sent : 37;
            cr_assert_eq(write(in[1], src + sent, chunk), (ssize_t)chunk);
            sent += chunk;
        }
        int cnt = ring_free_iov(&r, iov);
        ssize_t n = readv(in[0], iov, cnt);
        cr_assert_gt(n, 0);
        ring_produce(&r, (uint32_t)n);
        cnt = ring_data_iov(&r, iov);
        n = writev(out[1], iov, cnt);
        cr_assert_eq(n, (ssize_t)ring_used(&r));
        ring_consume(&r, (uint32_t)n);
        n = read(out[0], dst + got, sizeof(dst) - got);
        cr_assert_gt(n, 0);
        got += (size_t)n;
    }
    cr_assert_eq(memcmp(src, dst, sizeof(src)), 0);
    close(in[0]); close(in[1]); close(out[0]); close(out[1]);
}

/* The reference model: a FIFO of the byte stream whose byte at stream
 * position p is model_byte(p), with m_head bytes produced and m_tail bytes
 * consumed so far.  The value is a hash of p, so a byte from the wrong
 * position never matches by accident of a short period. */
static uint8_t model_byte(uint64_t p)
{
    p *= 0x9E3779B97F4A7C15ULL;
    return (uint8_t)(p >> 56);
}

/* Random pushes and pops of random sizes, mixing the copy calls with the
 * iovec calls, checked byte for byte against the reference model. */
Test(ring, randomized_against_reference_model)
{
    enum { CAP = 128, OPS = 200000 };
    uint8_t mem[CAP], buf[CAP * 2];
    uint64_t m_head = 0, m_tail = 0;
    struct ring r = { 0 };

    srand(12345);
    ring_attach(&r, mem, CAP);
    for (int op = 0; op < OPS; op++) {
        uint32_t len = (uint32_t)(rand() % (CAP + 40));
        int kind = rand() % 4;
        if (kind < 2) {              /* produce */
            for (uint32_t i = 0; i < len; i++)
                buf[i] = model_byte(m_head + i);
            uint32_t want = len < ring_free(&r) ? len : ring_free(&r), done;
            if (kind == 0) {
                done = ring_push(&r, buf, len);
            } else {
                struct iovec iov[2];
                int cnt = ring_free_iov(&r, iov);
                done = 0;
                for (int i = 0; i < cnt && done < want; i++) {
                    size_t n = iov[i].iov_len < want - done ? iov[i].iov_len : want - done;
                    memcpy(iov[i].iov_base, buf + done, n);
                    done += (uint32_t)n;
                }
                ring_produce(&r, done);
            }
            cr_assert_eq(done, want);
            m_head += done;
        } else {                     /* consume */
            uint32_t want = len < ring_used(&r) ? len : ring_used(&r), done;
            if (kind == 2) {
                done = ring_pop(&r, buf, len);
            } else {
                struct iovec iov[2];
                int cnt = ring_data_iov(&r, iov);
                done = 0;
                for (int i = 0; i < cnt && done < want; i++) {
                    size_t n = iov[i].iov_len < want - done ? iov[i].iov_len : want - done;
                    memcpy(buf + done, iov[i].iov_base, n);
                    done += (uint32_t)n;
                }
                ring_consume(&r, done);
            }
            cr_assert_eq(done, want);
            for (uint32_t j = 0; j < done; j++)
                cr_assert_eq(buf[j], model_byte(m_tail + j), "op %d byte %u", op, j);
            m_tail += done;
        }
        cr_assert_eq(ring_used(&r), m_head - m_tail);
        cr_assert_eq(ring_used(&r) + ring_free(&r), CAP);
    }
}
