#include "core/msgpool.h"

#include <pthread.h>

/* In front of every block: its capacity. 16 bytes keep the caller's
 * alignment what the backing allocator gave (psc_msg wants 16). */
typedef struct block_head {
    size_t cap;
    size_t pad;
} block_head;

struct psc__msgpool {
    uint32_t refs; /* the owner's, plus one per block handed out */
    psc__alloc backing;
    pthread_mutex_t lock;
    block_head *spare[PSC__MSGPOOL_SPARES]; /* [lock] */
    uint64_t hits, misses;                  /* [lock] */
};

psc_err psc__msgpool_new(const psc__alloc *backing, psc__msgpool **out)
{
    psc__msgpool *p = psc__calloc(backing, 1, sizeof *p);
    if (!p)
        return PSC_ERR_NOMEM;
    if (pthread_mutex_init(&p->lock, NULL) != 0) {
        psc__free(backing, p);
        return PSC_ERR_NOMEM;
    }
    p->refs = 1;
    p->backing = *backing;
    *out = p;
    return PSC_OK;
}

static void pool_unref(psc__msgpool *p)
{
    if (__atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    for (size_t i = 0; i < PSC__MSGPOOL_SPARES; i++)
        psc__free(&p->backing, p->spare[i]);
    pthread_mutex_destroy(&p->lock);
    psc__alloc a = p->backing;
    psc__free(&a, p);
}

void psc__msgpool_release(psc__msgpool *pool)
{
    if (pool)
        pool_unref(pool);
}

/* A spare that fits n: at least n, and not more than twice n (a block far
 * too big would pin memory the host no longer needs). Spares that are too
 * big are dropped on the way; ones merely too small stay for others. */
static block_head *take_spare(psc__msgpool *p, size_t n, block_head **drop)
{
    block_head *found = NULL;
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < PSC__MSGPOOL_SPARES && !found; i++) {
        block_head *b = p->spare[i];
        if (!b || b->cap < n)
            continue;
        p->spare[i] = NULL;
        if (b->cap / 2 > n) {
            *drop = b;
            continue;
        }
        found = b;
    }
    if (found)
        p->hits++;
    else if (n >= PSC__MSGPOOL_MIN_BLOCK)
        p->misses++;
    pthread_mutex_unlock(&p->lock);
    return found;
}

static void *pool_alloc(void *user, size_t n)
{
    psc__msgpool *p = user;
    if (n > SIZE_MAX - sizeof(block_head) - n / 8)
        return NULL;
    block_head *b = NULL, *drop = NULL;
    if (n >= PSC__MSGPOOL_MIN_BLOCK)
        b = take_spare(p, n, &drop);
    psc__free(&p->backing, drop);
    if (!b) {
        /* room to grow: the next state is rarely exactly as big */
        size_t cap = n >= PSC__MSGPOOL_MIN_BLOCK ? n + n / 8 : n;
        b = psc__malloc(&p->backing, sizeof *b + cap);
        if (!b)
            return NULL;
        b->cap = cap;
    }
    __atomic_fetch_add(&p->refs, 1, __ATOMIC_RELAXED);
    return b + 1;
}

static void pool_free(void *user, void *ptr)
{
    psc__msgpool *p = user;
    block_head *b = (block_head *)ptr - 1;
    if (b->cap >= PSC__MSGPOOL_MIN_BLOCK) {
        /* keep the newest; an older spare makes room when all slots are full */
        pthread_mutex_lock(&p->lock);
        block_head *out = p->spare[PSC__MSGPOOL_SPARES - 1];
        for (size_t i = PSC__MSGPOOL_SPARES - 1; i > 0; i--)
            p->spare[i] = p->spare[i - 1];
        p->spare[0] = b;
        pthread_mutex_unlock(&p->lock);
        b = out;
    }
    psc__free(&p->backing, b);
    pool_unref(p);
}

void psc__msgpool_alloc(psc__msgpool *pool, psc__alloc *out)
{
    out->alloc = pool_alloc;
    out->free = pool_free;
    out->user = pool;
}

void psc__msgpool_get_stats(psc__msgpool *pool, psc__msgpool_stats *out)
{
    psc__msgpool_stats st = {0, 0, 0};
    pthread_mutex_lock(&pool->lock);
    st.hits = pool->hits;
    st.misses = pool->misses;
    for (size_t i = 0; i < PSC__MSGPOOL_SPARES; i++)
        if (pool->spare[i])
            st.spare_bytes += pool->spare[i]->cap;
    pthread_mutex_unlock(&pool->lock);
    *out = st;
}
