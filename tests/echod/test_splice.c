/* test_splice.c - a worker's pipe pool: the pipes it opens and their size,
 * lending at most the pool, finding a connection's pipe, giving back in
 * any order, bytes through a pipe unchanged, and a pipe taken back full
 * that is empty for its next borrower. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "splice.h"
#include "support.h"

static void open_pool(struct splice_pool *p, unsigned n)
{
    const char *failed = NULL;

    cr_assert_eq(splice_pool_init(p, n, SPLICE_PIPE_BYTES, &failed), 0, "%s: %s",
                 failed ? failed : "?", strerror(errno));
}

/* Bytes queued in a pipe's read end. */
static int queued(const struct splice_pipe *q)
{
    int n = -1;

    cr_assert_eq(ioctl(q->rd, FIONREAD, &n), 0);
    return n;
}

Test(splice, opens_two_descriptors_per_pipe_sized_to_the_read_unit)
{
    struct splice_pool p;
    int before = sup_count_fds();

    open_pool(&p, 5);
    cr_assert_eq(sup_count_fds() - before, 10, "two descriptors per pipe, all at init");
    cr_assert_eq(p.count, 5);
    cr_assert_eq(p.lent, 0);
    cr_assert_geq(p.capacity, SPLICE_PIPE_BYTES);
    splice_pool_destroy(&p);
    cr_assert_eq(sup_count_fds(), before, "destroy closes them all");
}

Test(splice, lends_at_most_the_pool_and_finds_each_by_descriptor)
{
    struct splice_pool p;

    open_pool(&p, 3);
    cr_assert_null(splice_find(&p, 7), "nothing lent yet");
    struct splice_pipe *a = splice_take(&p, 7);
    struct splice_pipe *b = splice_take(&p, 9);
    struct splice_pipe *c = splice_take(&p, 11);
    cr_assert(a != NULL && b != NULL && c != NULL);
    cr_assert_null(splice_take(&p, 13), "all 3 lent: none for a fourth");
    cr_assert_eq(p.lent, 3);
    cr_assert_eq(splice_find(&p, 9)->owner, 9);
    int rd9 = splice_find(&p, 9)->rd;
    splice_give(&p, splice_find(&p, 7)); /* the first: the others move */
    cr_assert_null(splice_find(&p, 7));
    cr_assert_eq(splice_find(&p, 9)->rd, rd9, "9 keeps its own pipe");
    cr_assert_eq(splice_find(&p, 11)->owner, 11);
    cr_assert_not_null(splice_take(&p, 13), "the pipe given back is lent again");
    cr_assert_eq(p.lent, 3);
    splice_give(&p, splice_find(&p, 13));
    splice_give(&p, splice_find(&p, 11));
    splice_give(&p, splice_find(&p, 9));
    cr_assert_eq(p.lent, 0);
    splice_pool_destroy(&p);
}

Test(splice, moves_bytes_socket_to_pipe_to_socket_unchanged)
{
    enum { LEN = 100000 };
    static uint8_t out[LEN], back[LEN];
    struct splice_pool p;
    int in[2], to[2];

    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, in), 0);
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, to), 0);
    open_pool(&p, 1);
    struct splice_pipe *q = splice_take(&p, in[1]);
    errno = 0;
    cr_assert_eq(splice_in(q, in[1], p.capacity), -1, "nothing queued yet");
    cr_assert_eq(errno, EAGAIN);
    sup_pattern(out, LEN, 42, 0);
    size_t moved = 0;
    ssize_t w = send(in[0], out, LEN, 0);
    cr_assert_gt(w, 0);
    while (moved < (size_t)w) {
        ssize_t n = splice_in(q, in[1], p.capacity);
        cr_assert_gt(n, 0, "splice_in: %s", strerror(errno));
        cr_assert_eq(q->held, (uint32_t)n);
        cr_assert_eq(queued(q), n);
        cr_assert_eq(splice_out(q, to[0]), n);
        cr_assert_eq(q->held, 0);
        cr_assert_eq(sup_read_n(to[1], back + moved, (size_t)n, 2000), n);
        moved += (size_t)n;
    }
    cr_assert_eq(memcmp(out, back, moved), 0, "byte for byte");
    cr_assert_eq(shutdown(in[0], SHUT_WR), 0);
    cr_assert_eq(splice_in(q, in[1], p.capacity), 0, "the peer's FIN");
    splice_give(&p, q);
    splice_pool_destroy(&p);
    close(in[0]), close(in[1]), close(to[0]), close(to[1]);
}

Test(splice, a_pipe_taken_back_full_is_empty_for_the_next)
{
    static uint8_t buf[4096], scratch[1000];
    struct splice_pool p;
    int sv[2];

    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    open_pool(&p, 2);
    struct splice_pipe *q = splice_take(&p, sv[1]);
    cr_assert_eq(send(sv[0], buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
    cr_assert_eq(splice_in(q, sv[1], p.capacity), (ssize_t)sizeof(buf));
    int rd = q->rd;
    cr_assert_eq(splice_release(&p, q, scratch, sizeof(scratch)), 0,
                 "dropped through a scratch buffer smaller than what it held");
    cr_assert_eq(p.lent, 0);
    cr_assert_eq(p.count, 2, "still in the pool");
    struct splice_pipe *r = splice_take(&p, 5);
    if (r->rd != rd)
        r = splice_take(&p, 6);
    cr_assert_eq(r->rd, rd);
    cr_assert_eq(r->held, 0);
    cr_assert_eq(queued(r), 0, "nothing left of the last borrower's bytes");
    splice_pool_destroy(&p);
    close(sv[0]), close(sv[1]);
}

Test(splice, release_of_an_empty_pipe_only_gives_it_back)
{
    static uint8_t scratch[64];
    struct splice_pool p;

    open_pool(&p, 1);
    struct splice_pipe *q = splice_take(&p, 3);
    cr_assert_eq(splice_release(&p, q, scratch, sizeof(scratch)), 0);
    cr_assert_eq(p.lent, 0);
    q = splice_take(&p, 4);
    cr_assert_not_null(q);
    splice_give(&p, q);
    splice_pool_destroy(&p);
}
