/* test_ringtab.c - ring headers by handle: 0 is never a handle, handles
 * are reused LIFO and clean, and headers stay put while the table grows. */
#include <criterion/criterion.h>
#include <stdint.h>

#include "ringtab.h"

Test(ringtab, handles_are_never_zero_and_start_empty)
{
    struct ringtab t;

    ringtab_init(&t);
    uint32_t a = ringtab_get(&t), b = ringtab_get(&t);
    cr_assert(a != 0 && b != 0 && a != b);
    cr_assert_eq(a, 1, "slot 0 is kept for 'no ring'");
    struct ring *r = ringtab_at(&t, a);
    cr_assert_null(r->data);
    cr_assert(ring_empty(r));
    cr_assert_eq(t.in_use, 2);
    ringtab_put(&t, a);
    ringtab_put(&t, b);
    cr_assert_eq(t.in_use, 0);
    ringtab_destroy(&t);
}

Test(ringtab, freed_handles_are_reused_lifo_and_clean)
{
    struct ringtab t;
    static uint8_t mem[64];

    ringtab_init(&t);
    uint32_t a = ringtab_get(&t);
    ring_attach(ringtab_at(&t, a), mem, sizeof(mem));
    ring_push(ringtab_at(&t, a), "xyz", 3);
    ring_pop(ringtab_at(&t, a), mem, 3);
    ring_detach(ringtab_at(&t, a));
    ringtab_put(&t, a);
    uint32_t again = ringtab_get(&t);
    cr_assert_eq(again, a);
    struct ring *r = ringtab_at(&t, again);
    cr_assert(r->data == NULL && r->head == 0 && r->tail == 0 && r->mask == 0);
    ringtab_put(&t, again);
    ringtab_destroy(&t);
}

Test(ringtab, headers_stay_put_across_chunks)
{
    struct ringtab t;
    enum { N = 3 * RINGTAB_CHUNK };
    static uint32_t h[N];

    ringtab_init(&t);
    for (int i = 0; i < N; i++) {
        h[i] = ringtab_get(&t);
        cr_assert_neq(h[i], 0);
        ringtab_at(&t, h[i])->head = (uint32_t)i + 7; /* a mark */
    }
    struct ring *first = ringtab_at(&t, h[0]);
    cr_assert_eq(t.nchunks, 4, "%u chunks for %d handles (slot 0 unused)", t.nchunks, N);
    for (int i = 0; i < N; i++)
        cr_assert_eq(ringtab_at(&t, h[i])->head, (uint32_t)i + 7, "handle %u kept", h[i]);
    cr_assert_eq(first, ringtab_at(&t, h[0]), "no header moved");
    for (int i = 0; i < N; i++)
        ringtab_put(&t, h[i]);
    ringtab_destroy(&t);
}
