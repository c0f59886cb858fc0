/* agg.c — hash aggregation. Group keys are encoded as bytes (pq_key_encode
 * of each key, so NULLs group together and NaNs with NaNs), hashed with XXH3
 * and interned in an open-addressing table; each group gets a dense id and
 * every aggregate keeps one accumulator array indexed by id, updated batch by
 * batch in tight per-aggregate loops. count(DISTINCT x) interns (id, x)
 * pairs in a second table. For distributed runs the per-group states are
 * serialised, routed by key hash to their owner rank and merged there; a
 * count(DISTINCT) without GROUP BY is first merged by value-hash partition
 * (distinct_partition) so no single rank re-interns every value.
 *
 * Memory: accumulators and tables are counted against memory_limit. Beyond
 * it the table's partial states are written (the same record format as the
 * MPI exchange) to SPILL_P partition files chosen by SPILL_BITS bits of the
 * key hash, and the table starts empty. At the end every partition is merged
 * on its own; a partition that still does not fit is re-partitioned with the
 * next SPILL_BITS bits of the hash (recursively, up to SPILL_MAX_LEVEL).
 * Spill files live in a mkdtemp directory under $TMPDIR and are unlinked as
 * soon as they are opened, so they vanish on exit, error or crash. */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dataset/query/query.h"
#include "util/error.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

/* ---- byte-key hash set: id = insertion order ----
 * Key bytes live in chunks that are never moved (no realloc copies of a
 * growing key buffer, each byte is written once): kp[id] points at them. */
/* One slot: the cached hash next to the id, so a probe touches one cache line. */
typedef struct hslot {
  uint64_t hash;
  uint32_t id1;     /* id + 1, 0 = empty */
  uint32_t len;     /* key length (checked before the key bytes) */
} hslot;

typedef struct hset {
  hslot *slot;
  size_t cap;       /* power of two */
  uint8_t **chunks; /* key storage */
  size_t *csize;    /* chunk sizes */
  size_t nchunks, chunks_cap;
  size_t kbytes;    /* bytes allocated in chunks */
  uint8_t *cur;     /* free space of the last chunk */
  size_t left;
  const uint8_t **kp; /* id -> key bytes */
  uint32_t *len;
  uint64_t *hs;       /* id -> hash, kept only when keep_hash (count(DISTINCT) sets,
                       * which are re-partitioned by hash on several ranks) */
  int keep_hash;
  size_t n, ncap;
} hset;

#define HSET_CHUNK_MIN ((size_t)4 << 10)
#define HSET_CHUNK_MAX ((size_t)4 << 20)

/* Zeroed memory for large tables and key chunks. Above BIG_ALLOC the pages are mapped
 * with MAP_POPULATE: one system call faults them all in instead of one page fault per
 * 4 KiB on first touch (a 305k-value count(DISTINCT) set touched ~16k fresh pages, a
 * quarter of its time). big_free needs the same size. */
#define BIG_ALLOC ((size_t)1 << 20)
static void *big_alloc(size_t n) {
#ifdef MAP_POPULATE
  if (n >= BIG_ALLOC) {
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
                   -1, 0);
    return p == MAP_FAILED ? NULL : p;
  }
#endif
  return calloc(n ? n : 1, 1);
}
static void big_free(void *p, size_t n) {
  if (!p) return;
#ifdef MAP_POPULATE
  if (n >= BIG_ALLOC) {
    munmap(p, n);
    return;
  }
#endif
  free(p);
}

static void hset_free(hset *h) {
  big_free(h->slot, h->cap * sizeof *h->slot);
  for (size_t k = 0; k < h->nchunks; k++) big_free(h->chunks[k], h->csize[k]);
  free(h->csize);
  free(h->chunks);
  free(h->kp);
  free(h->len);
  free(h->hs);
  int keep = h->keep_hash;
  memset(h, 0, sizeof *h);
  h->keep_hash = keep;
}

/* Room for n more key bytes (a new chunk when the current one is full). */
static uint8_t *hset_room(hset *h, size_t n) {
  if (n <= h->left && h->cur) return h->cur;
  if (h->nchunks == h->chunks_cap) {
    size_t nc = h->chunks_cap ? h->chunks_cap * 2 : 16;
    uint8_t **p = realloc(h->chunks, nc * sizeof *p);
    if (!p) return NULL;
    h->chunks = p;
    size_t *cs = realloc(h->csize, nc * sizeof *cs);
    if (!cs) return NULL;
    h->csize = cs;
    h->chunks_cap = nc;
  }
  size_t sz = h->kbytes < HSET_CHUNK_MIN ? HSET_CHUNK_MIN : h->kbytes; /* geometric, capped */
  if (sz > HSET_CHUNK_MAX) sz = HSET_CHUNK_MAX;
  if (sz < n) sz = n;
  uint8_t *c = big_alloc(sz);
  if (!c) return NULL;
  h->csize[h->nchunks] = sz;
  h->chunks[h->nchunks++] = c;
  h->kbytes += sz;
  h->cur = c;
  h->left = sz;
  return c;
}

static int hset_grow(hset *h) {
  size_t nc = h->cap ? h->cap * 2 : 1024;
  hslot *ns = big_alloc(nc * sizeof *ns);
  if (!ns) return -1;
  for (size_t k = 0; k < h->cap; k++) {
    if (!h->slot[k].id1) continue;
    size_t j = h->slot[k].hash & (nc - 1);
    while (ns[j].id1) j = (j + 1) & (nc - 1);
    ns[j] = h->slot[k];
  }
  big_free(h->slot, h->cap * sizeof *h->slot);
  h->slot = ns;
  h->cap = nc;
  return 0;
}

/* Byte equality; short keys (GROUP BY strings such as "CC-MAIN-2023-14") compare
 * with two overlapping word loads instead of a memcmp call. */
static inline int eq_bytes(const uint8_t *x, const void *y, size_t n) {
  if (n >= 8 && n <= 16) {
    uint64_t a0, a1, b0, b1;
    memcpy(&a0, x, 8);
    memcpy(&b0, y, 8);
    memcpy(&a1, x + n - 8, 8);
    memcpy(&b1, (const uint8_t *)y + n - 8, 8);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
  }
  if (n >= 4 && n < 8) { /* the 4-byte group id and 5-byte string header pieces */
    uint32_t a0, a1, b0, b1;
    memcpy(&a0, x, 4);
    memcpy(&b0, y, 4);
    memcpy(&a1, x + n - 4, 4);
    memcpy(&b1, (const uint8_t *)y + n - 4, 4);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
  }
  if (n < 4) {
    const uint8_t *z = y;
    unsigned d = 0;
    for (size_t i = 0; i < n; i++) d |= x[i] ^ z[i];
    return d == 0;
  }
  return !memcmp(x, y, n);
}

/* Find or insert the key made of three pieces a|b|c (any may be empty): the row
 * loops intern a group id or a value without first copying it into a scratch
 * buffer. *id gets the id, returns 1 if new, 0 if found, -1 OOM. */
static int hset_put3(hset *h, const void *a, size_t an, const void *b, size_t bn, const void *c,
                     size_t cn, uint64_t hv, uint32_t *id) {
  if ((h->n + 1) * 4 > h->cap * 3 && hset_grow(h)) return -1;
  size_t n = an + bn + cn;
  size_t j = hv & (h->cap - 1);
  while (h->slot[j].id1) {
    uint32_t i = h->slot[j].id1 - 1;
    if (h->slot[j].hash == hv && h->slot[j].len == n) { /* cached hash first, bytes on a match */
      const uint8_t *k = h->kp[i];
      if (eq_bytes(k, a, an) && eq_bytes(k + an, b, bn) && eq_bytes(k + an + bn, c, cn)) {
        *id = i;
        return 0;
      }
    }
    j = (j + 1) & (h->cap - 1);
  }
  if (h->n == UINT32_MAX - 1) return -1;
  if (h->n == h->ncap) {
    size_t nc = h->ncap ? h->ncap * 2 : 1024;
    const uint8_t **no = realloc(h->kp, nc * sizeof *no);
    if (!no) return -1;
    h->kp = no;
    uint32_t *nl = realloc(h->len, nc * sizeof *nl);
    if (!nl) return -1;
    h->len = nl;
    if (h->keep_hash) {
      uint64_t *nh = realloc(h->hs, nc * sizeof *nh);
      if (!nh) return -1;
      h->hs = nh;
    }
    h->ncap = nc;
  }
  if (h->keep_hash) h->hs[h->n] = hv;
  uint8_t *d = hset_room(h, n);
  if (!d) return -1;
  h->kp[h->n] = d;
  h->len[h->n] = (uint32_t)n;
  if (an) memcpy(d, a, an);
  if (bn) memcpy(d + an, b, bn);
  if (cn) memcpy(d + an + bn, c, cn);
  h->cur = d + n;
  h->left -= n;
  h->slot[j].id1 = (uint32_t)h->n + 1;
  h->slot[j].hash = hv;
  h->slot[j].len = (uint32_t)n;
  *id = (uint32_t)h->n++;
  return 1;
}

/* 1 when the key a|b is in the table, 0 when not (a probe that never inserts). */
static int hset_has2(const hset *h, const void *a, size_t an, const void *b, size_t bn,
                     uint64_t hv) {
  if (!h->cap) return 0;
  size_t n = an + bn;
  for (size_t j = hv & (h->cap - 1); h->slot[j].id1; j = (j + 1) & (h->cap - 1))
    if (h->slot[j].hash == hv && h->slot[j].len == n) {
      const uint8_t *k = h->kp[h->slot[j].id1 - 1];
      if (eq_bytes(k, a, an) && eq_bytes(k + an, b, bn)) return 1;
    }
  return 0;
}

static int hset_put(hset *h, const uint8_t *k, size_t n, uint64_t hv, uint32_t *id) {
  return hset_put3(h, k, n, NULL, 0, NULL, 0, hv, id);
}

/* Table hashes. A string key's encoding is tag 1, u32 length, bytes; in tables
 * whose keys are single strings the hash covers only the bytes (length in the
 * seed), so the row loops hash the raw qstr once and never encode it. Both
 * forms are functions of the key bytes alone, so lookups from encoded keys
 * (merge, spill read-back) and from raw strings agree. */
static inline uint64_t str_hash(const char *p, uint32_t n, uint64_t seed) {
  return XXH3_64bits_withSeed(p, n, seed ^ ((uint64_t)n * 0x9E3779B97F4A7C15ull));
}
static inline uint64_t enc_hash(const uint8_t *k, size_t n, int str, uint64_t seed) {
  if (str && n >= 5 && k[0] == 1) {
    uint32_t l;
    memcpy(&l, k + 1, 4);
    if (l == n - 5) return str_hash((const char *)k + 5, l, seed);
  }
  return XXH3_64bits_withSeed(k, n, seed);
}
/* count(DISTINCT) keys are (group id, value): the id goes into the seed. */
static inline uint64_t gid_seed(uint32_t gid) {
  return ((uint64_t)gid + 1) * 0xC2B2AE3D27D4EB4Full;
}

static size_t hset_bytes(const hset *h) {
  return h->cap * sizeof(hslot) + h->kbytes + h->ncap * (h->keep_hash ? 20 : 12);
}

/* ---- accumulators ---- */
typedef struct acc {
  int fn;       /* qfunc */
  int distinct, star;
  qtype t;      /* argument type */
  int64_t *cnt; /* non-NULL inputs seen (count / has-value) */
  int64_t *si;  /* integer sum, or int min/max */
  double *sd;   /* double sum, or double min/max */
  double *sc;   /* Neumaier compensation of the double sum: results do not
                 * depend on the order rows (or ranks) were added in practice */
  char **ss;    /* string min/max (malloc'ed) */
  uint32_t *sl;
  hset dset;    /* DISTINCT: (group id, value) pairs */
  size_t sbytes; /* bytes held by ss */
} acc;

#define SPILL_BITS 5
#define SPILL_P (1 << SPILL_BITS)
#define SPILL_MAX_LEVEL 11 /* 12 levels x 5 bits of the 64-bit hash */
/* A table with fewer groups is never written out: below this the limit is
 * smaller than the engine's working floor, and spilling tiny tables would only
 * multiply files (and recursion) without freeing memory. */
#define SPILL_MIN_GROUPS 4096

/* One set of partition files. */
typedef struct spill {
  FILE *f[SPILL_P];
} spill;

#define AGG_CHUNK_MAX 8192 /* = AGG_CHUNK below */

/* Pointer cache: within one chunk of rows, strings at the same address with the same
 * length are the same value. Dictionary-encoded columns read as views point every row
 * of a dictionary entry at that entry's bytes in the dictionary page, so a hit skips
 * hashing and probing (GROUP BY dump, count(DISTINCT dump)) at one compare per row.
 * Only strings longer than a view's 12 inline bytes qualify (shorter ones live in each
 * row's own view). Entries are dropped at every chunk: pointers are only stable while
 * the frame lives, and group ids change when the table spills. */
#define PC_N 256
typedef struct pcache {
  const char *p;
  uint32_t n, id;
} pcache;
static inline size_t pc_slot(const char *p) {
  uintptr_t u = (uintptr_t)p;
  return (u ^ (u >> 9)) & (PC_N - 1);
}

struct pq_agg {
  const pq_query *q;
  hset groups;
  size_t gcap; /* capacity of accumulator arrays */
  acc *accs;
  int nacc;
  int64_t memory_limit;
  int str1;          /* one GROUP BY key of type string: string-keyed table hash */
  parq_buf kb;
  uint32_t *gids;
  size_t gids_cap;
  uint64_t hv[AGG_CHUNK_MAX]; /* per-chunk value hashes (count(DISTINCT) prefetch) */
  uint8_t seen[AGG_CHUNK_MAX]; /* count(DISTINCT): row repeats a pair of this chunk */
  pcache pc[PC_N];   /* string GROUP BY key -> group id, this chunk */
  spill *top;        /* level-0 partitions (NULL until the first spill) */
  char dir[4096];    /* spill directory ("" until created) */
  unsigned nfiles;   /* spill files created (for unique names) */
  int64_t nspills;   /* tables written out */
  int dpart;         /* count(DISTINCT) without GROUP BY was merged by value partition:
                      * each rank's cnt[0] is its partition's count (summed on merge) */
};

static void acc_free(acc *a, size_t n) {
  free(a->cnt);
  free(a->si);
  free(a->sd);
  free(a->sc);
  if (a->ss)
    for (size_t k = 0; k < n; k++) free(a->ss[k]);
  free(a->ss);
  free(a->sl);
  hset_free(&a->dset);
}

static void spill_close(spill *s) {
  if (!s) return;
  for (int p = 0; p < SPILL_P; p++)
    if (s->f[p]) fclose(s->f[p]);
  free(s);
}

void pq_agg_free(pq_agg *g) {
  if (!g) return;
  spill_close(g->top);
  if (g->dir[0]) rmdir(g->dir);
  for (int k = 0; k < g->nacc; k++) acc_free(&g->accs[k], g->gcap);
  free(g->accs);
  hset_free(&g->groups);
  parq_buf_free(&g->kb);
  free(g->gids);
  free(g);
}

static int grow_arr(void **p, size_t old, size_t nc, size_t sz) {
  void *n = realloc(*p, nc * sz);
  if (!n) return -1;
  memset((char *)n + old * sz, 0, (nc - old) * sz);
  *p = n;
  return 0;
}

static size_t agg_bytes(const pq_agg *g) {
  size_t b = hset_bytes(&g->groups) + g->gcap * (size_t)g->nacc * 24;
  for (int k = 0; k < g->nacc; k++) b += hset_bytes(&g->accs[k].dset) + g->accs[k].sbytes;
  return b;
}

static int over_limit(const pq_agg *g) {
  return g->memory_limit > 0 && agg_bytes(g) > (size_t)g->memory_limit;
}

/* min / max over an integer-like type (BOOL, INT, DATE, TS): branch-free row loop. */
static inline int int_minmax(const acc *a) {
  return (a->fn == QF_MIN || a->fn == QF_MAX) && !a->distinct &&
         (a->t == QT_BOOL || a->t == QT_INT || a->t == QT_DATE || a->t == QT_TS);
}

/* Make room for group id `id`. */
static parq_status ensure_groups(pq_agg *g, size_t id, parq_error *err) {
  if (id < g->gcap) return PARQ_OK;
  size_t nc = g->gcap ? g->gcap * 2 : 1024;
  while (nc <= id) nc *= 2;
  for (int k = 0; k < g->nacc; k++) {
    acc *a = &g->accs[k];
    if (grow_arr((void **)&a->cnt, g->gcap, nc, sizeof *a->cnt) ||
        grow_arr((void **)&a->si, g->gcap, nc, sizeof *a->si) ||
        grow_arr((void **)&a->sd, g->gcap, nc, sizeof *a->sd) ||
        grow_arr((void **)&a->sc, g->gcap, nc, sizeof *a->sc))
      return parq_err_set(err, PARQ_ENOMEM, "out of memory growing GROUP BY state");
    if (int_minmax(a)) /* start from the identity: the row loop needs no first-value test */
      for (size_t i = g->gcap; i < nc; i++) a->si[i] = a->fn == QF_MAX ? INT64_MIN : INT64_MAX;
    if (a->t == QT_STR && (a->fn == QF_MIN || a->fn == QF_MAX) &&
        (grow_arr((void **)&a->ss, g->gcap, nc, sizeof *a->ss) ||
         grow_arr((void **)&a->sl, g->gcap, nc, sizeof *a->sl)))
      return parq_err_set(err, PARQ_ENOMEM, "out of memory growing GROUP BY state");
  }
  g->gcap = nc;
  return PARQ_OK;
}

static parq_status init_accs(pq_agg *g, parq_error *err) {
  const pq_query *q = g->q;
  g->nacc = q->naggs;
  g->accs = calloc((size_t)(q->naggs ? q->naggs : 1), sizeof *g->accs);
  if (!g->accs) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  for (int k = 0; k < q->naggs; k++) {
    acc *a = &g->accs[k];
    a->fn = q->aggs[k]->op;
    a->distinct = q->aggs[k]->distinct;
    a->star = q->aggs[k]->star;
    a->t = q->aggs[k]->nargs ? q->aggs[k]->args[0]->type : QT_NULL;
    /* without GROUP BY, several ranks split the set by hash (distinct_partition) */
    a->dset.keep_hash = a->distinct && q->ngroup == 0;
  }
  return PARQ_OK;
}

/* Group id of the encoded key (inserting it). */
static parq_status group_id(pq_agg *g, const uint8_t *k, size_t n, uint32_t *id,
                            parq_error *err) {
  int r = hset_put(&g->groups, k, n, enc_hash(k, n, g->str1, 0), id);
  if (r < 0) return parq_err_set(err, PARQ_ENOMEM, "out of memory in GROUP BY table");
  if (r == 1) PARQ_TRY(ensure_groups(g, *id, err));
  return PARQ_OK;
}

parq_status pq_agg_new(const pq_query *q, int64_t memory_limit, pq_agg **out, parq_error *err) {
  pq_agg *g = calloc(1, sizeof *g);
  if (!g) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  g->q = q;
  g->memory_limit = memory_limit;
  g->str1 = q->ngroup == 1 && q->group[0]->type == QT_STR;
  parq_status st = init_accs(g, err);
  if (st == PARQ_OK && q->ngroup == 0) { /* global aggregate: one group even with no rows */
    uint32_t id;
    st = group_id(g, (const uint8_t *)"", 0, &id, err);
  }
  if (st != PARQ_OK) {
    pq_agg_free(g);
    return st;
  }
  *out = g;
  return PARQ_OK;
}

static inline int vnul(const qvec *v, int64_t r) { return v->nul && v->nul[r]; }

static inline void nsum(double *s, double *c, double x) {
  double a = *s, t = a + x;
  /* both corrections, then a select: no unpredictable branch per row */
  double c1 = (a - t) + x, c2 = (x - t) + a;
  *c += fabs(a) >= fabs(x) ? c1 : c2;
  *s = t;
}

static int set_str(acc *a, uint32_t gid, const qstr *s) {
  char *p = realloc(a->ss[gid], s->n ? s->n : 1);
  if (!p) return -1;
  a->sbytes = a->sbytes - a->sl[gid] + s->n;
  if (s->n) memcpy(p, s->p, s->n);
  a->ss[gid] = p;
  a->sl[gid] = s->n;
  return 0;
}
static int str_cmp(const char *a, uint32_t an, const char *b, uint32_t bn) {
  uint32_t n = an < bn ? an : bn;
  int c = n ? memcmp(a, b, n) : 0;
  return c ? c : (an > bn) - (an < bn);
}
static inline int dless(double a, double b) { /* NaN largest */
  return isnan(b) ? !isnan(a) : a < b;
}

/* Fold one non-NULL value (row r of v) into group gid's accumulator. */
static int acc_value(acc *a, uint32_t gid, const qvec *v, int64_t r) {
  int64_t c = a->cnt[gid]++;
  switch (a->fn) {
    case QF_SUM: case QF_AVG:
      if (v->t == QT_DBL) nsum(&a->sd[gid], &a->sc[gid], v->d[r]);
      else a->si[gid] = (int64_t)((uint64_t)a->si[gid] + (uint64_t)v->i[r]);
      break;
    case QF_MIN: case QF_MAX: {
      int mx = a->fn == QF_MAX;
      if (v->t == QT_DBL) {
        double x = v->d[r];
        if (!c || (mx ? dless(a->sd[gid], x) : dless(x, a->sd[gid]))) a->sd[gid] = x;
      } else if (v->t == QT_STR) {
        const qstr *s = &v->s[r];
        if (!c) return set_str(a, gid, s);
        int k = str_cmp(s->p, s->n, a->ss[gid], a->sl[gid]);
        if (mx ? k > 0 : k < 0) return set_str(a, gid, s);
      } else {
        int64_t x = v->i[r];
        if (!c || (mx ? x > a->si[gid] : x < a->si[gid])) a->si[gid] = x;
      }
      break;
    }
    default: break;
  }
  return 0;
}

/* count(DISTINCT): intern (gid, encoded value); counts new pairs. */
static parq_status distinct_put(acc *a, uint32_t gid, const uint8_t *enc, size_t n,
                                parq_error *err) {
  uint32_t id;
  uint64_t hv = enc_hash(enc, n, a->t == QT_STR, gid_seed(gid));
  int r = hset_put3(&a->dset, &gid, 4, enc, n, NULL, 0, hv, &id);
  if (r < 0) return parq_err_set(err, PARQ_ENOMEM, "out of memory in count(DISTINCT)");
  a->cnt[gid] += r;
  return PARQ_OK;
}

static parq_status maybe_spill(pq_agg *g, parq_error *err);

/* Rows the table takes between memory checks: bounds how far the state can
 * overshoot --memory-limit before it is spilled. */
#define AGG_CHUNK AGG_CHUNK_MAX

/* String key encoding header: tag 1 (non-NULL), u32 length. */
static inline void str_head(uint8_t h[5], uint32_t n) {
  h[0] = 1;
  memcpy(h + 1, &n, 4);
}

/* Group ids of rows [r0, r1) for one string key: the raw string is hashed once
 * and compared against the table's cached hash before any bytes. */
static parq_status gids_str(pq_agg *g, const qvec *v, int64_t r0, int64_t r1, uint32_t *gids,
                            parq_error *err) {
  for (int64_t r = r0; r < r1; r++) {
    int k;
    if (vnul(v, r)) {
      static const uint8_t nulkey[1] = {0};
      k = hset_put(&g->groups, nulkey, 1, enc_hash(nulkey, 1, 1, 0), &gids[r]);
    } else {
      const qstr *s = &v->s[r];
      size_t pj = pc_slot(s->p);
      if (s->n > 12 && g->pc[pj].p == s->p && g->pc[pj].n == s->n) {
        gids[r] = g->pc[pj].id;
        continue;
      }
      uint64_t hv = str_hash(s->p, s->n, 0);
      /* inline probe for the common hit (few distinct keys, cached table); inserts and
       * anything unusual go through hset_put3 */
      const hset *t = &g->groups;
      size_t j = hv & (t->cap - 1);
      if (t->cap)
        while (t->slot[j].id1 && (t->slot[j].hash != hv || t->slot[j].len != 5 + (size_t)s->n))
          j = (j + 1) & (t->cap - 1);
      if (t->cap && t->slot[j].id1) {
        uint32_t i = t->slot[j].id1 - 1;
        const uint8_t *key = t->kp[i];
        uint32_t l;
        memcpy(&l, key + 1, 4);
        if (key[0] == 1 && l == s->n && eq_bytes(key + 5, s->p, s->n)) {
          gids[r] = i;
          if (s->n > 12) g->pc[pj] = (pcache){s->p, s->n, i};
          continue;
        }
      }
      uint8_t h[5];
      str_head(h, s->n);
      k = hset_put3(&g->groups, h, 5, s->p, s->n, NULL, 0, hv, &gids[r]);
      if (k >= 0 && s->n > 12) g->pc[pj] = (pcache){s->p, s->n, gids[r]};
    }
    if (k < 0) return parq_err_set(err, PARQ_ENOMEM, "out of memory in GROUP BY table");
    if (k == 1) PARQ_TRY(ensure_groups(g, gids[r], err));
  }
  return PARQ_OK;
}

/* count(DISTINCT) over rows [r0, r1). Strings (high-cardinality ids, URLs) are
 * hashed for the whole chunk first so the table slot of a row a few rows ahead
 * can be prefetched: the set outgrows the caches and every probe would miss. */
#define DISTINCT_AHEAD 8
static parq_status add_distinct(acc *a, const qvec *v, const uint32_t *gids, int64_t r0,
                                int64_t r1, uint64_t *hv, uint8_t *seen, parq_buf *enc,
                                parq_error *err) {
  if (v->t == QT_STR && a->t == QT_STR) {
    /* a (group, string) pair already met in this chunk at the same address (see pcache)
     * is in the set: skip it without hashing */
    pcache pc[PC_N];
    memset(pc, 0, sizeof pc);
    for (int64_t r = r0; r < r1; r++) {
      const qstr *s = &v->s[r];
      uint8_t dup = 0;
      if (s->n > 12 && !vnul(v, r)) {
        pcache *e = &pc[pc_slot(s->p)];
        dup = e->p == s->p && e->n == s->n && e->id == gids[r];
        if (!dup) *e = (pcache){s->p, s->n, gids[r]};
      }
      seen[r - r0] = dup;
      hv[r - r0] = dup ? 0 : str_hash(s->p, s->n, gid_seed(gids[r]));
    }
    for (int64_t r = r0; r < r1; r++) {
      if (r + DISTINCT_AHEAD < r1 && a->dset.cap)
        __builtin_prefetch(&a->dset.slot[hv[r + DISTINCT_AHEAD - r0] & (a->dset.cap - 1)]);
      if (seen[r - r0] || vnul(v, r)) continue;
      uint32_t gid = gids[r], id;
      const qstr *s = &v->s[r];
      uint8_t h[5];
      str_head(h, s->n);
      int k = hset_put3(&a->dset, &gid, 4, h, 5, s->p, s->n, hv[r - r0], &id);
      if (k < 0) return parq_err_set(err, PARQ_ENOMEM, "out of memory in count(DISTINCT)");
      a->cnt[gid] += k;
    }
    return PARQ_OK;
  }
  for (int64_t r = r0; r < r1; r++) {
    if (vnul(v, r)) continue;
    uint32_t gid = gids[r], id;
    parq_buf_clear(enc);
    if (pq_key_encode(v, r, enc)) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
    int k = hset_put3(&a->dset, &gid, 4, enc->data, enc->len, NULL, 0,
                      enc_hash(enc->data, enc->len, a->t == QT_STR, gid_seed(gid)), &id);
    if (k < 0) return parq_err_set(err, PARQ_ENOMEM, "out of memory in count(DISTINCT)");
    a->cnt[gid] += k;
  }
  return PARQ_OK;
}

/* Fold rows [r0, r1) into the table (key and argument vectors are evaluated).
 * Group ids are computed for the whole chunk first; every aggregate is then a
 * tight loop over (gid, value) with its function and type hoisted out. */
static parq_status add_rows(pq_agg *g, const qvec *kv, const qvec *av, int64_t r0, int64_t r1,
                            parq_buf *enc, pq_query_error *err) {
  const pq_query *q = g->q;
  uint32_t *gids = g->gids;
  if (q->ngroup == 0) {
    memset(gids + r0, 0, (size_t)(r1 - r0) * sizeof *gids);
  } else if (g->str1 && kv[0].t == QT_STR) {
    memset(g->pc, 0, sizeof g->pc);
    parq_error e2 = {0};
    parq_status st = gids_str(g, &kv[0], r0, r1, gids, &e2);
    if (st != PARQ_OK) return pq_qerr(err, st, -1, "%s", e2.message);
  } else if (q->ngroup == 1 && kv[0].t != QT_STR && kv[0].t != QT_DBL) {
    /* common case: one integer-like key; encode inline */
    const qvec *v = &kv[0];
    uint8_t key[9];
    for (int64_t r = r0; r < r1; r++) {
      size_t kl = 1;
      key[0] = !vnul(v, r);
      if (key[0]) {
        memcpy(key + 1, &v->i[r], 8);
        kl = 9;
      }
      parq_status st = group_id(g, key, kl, &gids[r], &err->e);
      if (st != PARQ_OK) return pq_qerr(err, st, -1, "%s", err->e.message);
    }
  } else {
    for (int64_t r = r0; r < r1; r++) {
      parq_buf_clear(&g->kb);
      for (int k = 0; k < q->ngroup; k++)
        if (pq_key_encode(&kv[k], r, &g->kb)) return pq_qerr(err, PARQ_ENOMEM, -1, "out of memory");
      parq_error e2 = {0};
      parq_status st = group_id(g, g->kb.data, g->kb.len, &gids[r], &e2);
      if (st != PARQ_OK) return pq_qerr(err, st, -1, "%s", e2.message);
    }
  }
  for (int k = 0; k < g->nacc; k++) {
    acc *a = &g->accs[k];
    int64_t *cnt = a->cnt;
    if (a->star) {
      for (int64_t r = r0; r < r1; r++) cnt[gids[r]]++;
      continue;
    }
    const qvec *v = &av[k];
    if (v->t == QT_NULL) continue;
    const uint8_t *nul = v->nul;
    if (a->distinct) {
      parq_error e2 = {0};
      parq_status st = add_distinct(a, v, gids, r0, r1, g->hv, g->seen, enc, &e2);
      if (st != PARQ_OK) return pq_qerr(err, st, -1, "%s", e2.message);
      continue;
    }
    if (a->fn == QF_COUNT) {
      if (nul)
        for (int64_t r = r0; r < r1; r++) cnt[gids[r]] += !nul[r];
      else
        for (int64_t r = r0; r < r1; r++) cnt[gids[r]]++;
      continue;
    }
    int sum = a->fn == QF_SUM || a->fn == QF_AVG, mx = a->fn == QF_MAX;
    if (sum && v->t == QT_DBL) { /* hot loop */
      for (int64_t r = r0; r < r1; r++)
        if (!nul || !nul[r]) cnt[gids[r]]++, nsum(&a->sd[gids[r]], &a->sc[gids[r]], v->d[r]);
      continue;
    }
    if (sum && v->t != QT_STR) {
      int64_t *si = a->si;
      for (int64_t r = r0; r < r1; r++)
        if (!nul || !nul[r]) {
          uint32_t gi = gids[r];
          cnt[gi]++;
          si[gi] = (int64_t)((uint64_t)si[gi] + (uint64_t)v->i[r]);
        }
      continue;
    }
    if ((a->fn == QF_MIN || mx) && v->t == QT_DBL) {
      double *sd = a->sd;
      for (int64_t r = r0; r < r1; r++) {
        if (nul && nul[r]) continue;
        uint32_t gi = gids[r];
        double x = v->d[r];
        if (!cnt[gi]++ || (mx ? dless(sd[gi], x) : dless(x, sd[gi]))) sd[gi] = x;
      }
      continue;
    }
    if (int_minmax(a) && v->t == a->t) {
      int64_t *si = a->si;
      const int64_t *vi = v->i;
      if (mx)
        for (int64_t r = r0; r < r1; r++) {
          if (nul && nul[r]) continue;
          uint32_t gi = gids[r];
          int64_t x = vi[r], y = si[gi];
          cnt[gi]++;
          si[gi] = x > y ? x : y;
        }
      else
        for (int64_t r = r0; r < r1; r++) {
          if (nul && nul[r]) continue;
          uint32_t gi = gids[r];
          int64_t x = vi[r], y = si[gi];
          cnt[gi]++;
          si[gi] = x < y ? x : y;
        }
      continue;
    }
    if ((a->fn == QF_MIN || mx) && v->t != QT_STR) {
      int64_t *si = a->si;
      for (int64_t r = r0; r < r1; r++) {
        if (nul && nul[r]) continue;
        uint32_t gi = gids[r];
        int64_t x = v->i[r];
        if (!cnt[gi]++ || (mx ? x > si[gi] : x < si[gi])) si[gi] = x;
      }
      continue;
    }
    for (int64_t r = r0; r < r1; r++)
      if (!vnul(v, r) && acc_value(a, gids[r], v, r))
        return pq_qerr(err, PARQ_ENOMEM, -1, "out of memory");
  }
  return PARQ_OK;
}

parq_status pq_agg_add(pq_agg *g, const qframe *f, parq_arena *ar, pq_query_error *err) {
  const pq_query *q = g->q;
  int64_t n = f->n;
  if (n == 0) return PARQ_OK;
  if ((size_t)n > g->gids_cap) {
    uint32_t *ng = realloc(g->gids, (size_t)n * sizeof *ng);
    if (!ng) return pq_qerr(err, PARQ_ENOMEM, -1, "out of memory");
    g->gids = ng;
    g->gids_cap = (size_t)n;
  }
  if (q->ngroup > 64) return pq_qerr(err, PARQ_EUNSUPPORTED, -1, "more than 64 GROUP BY keys");
  qvec kv[64];
  for (int k = 0; k < q->ngroup; k++) PARQ_TRY(pq_eval(q->group[k], f, ar, &kv[k], err));
  qvec *av = parq_arena_calloc(ar, (size_t)(g->nacc ? g->nacc : 1), sizeof *av);
  if (!av) return pq_qerr(err, PARQ_ENOMEM, -1, "out of memory");
  for (int k = 0; k < g->nacc; k++) {
    av[k].t = QT_NULL;
    if (!g->accs[k].star) PARQ_TRY(pq_eval(q->aggs[k]->args[0], f, ar, &av[k], err));
  }
  parq_buf enc = PARQ_BUF_INIT;
  parq_status st = PARQ_OK;
  for (int64_t r0 = 0; r0 < n && st == PARQ_OK; r0 += AGG_CHUNK) {
    int64_t r1 = n - r0 > AGG_CHUNK ? r0 + AGG_CHUNK : n;
    st = add_rows(g, kv, av, r0, r1, &enc, err);
    if (st == PARQ_OK) {
      parq_error e2 = {0};
      if ((st = maybe_spill(g, &e2)) != PARQ_OK) pq_qerr(err, st, -1, "%s", e2.message);
    }
  }
  parq_buf_free(&enc);
  return st;
}

/* ---- finalisation ---- */

static parq_status decode_keys(pq_agg *g, parq_arena *a, qvec *kv, parq_error *err) {
  const pq_query *q = g->q;
  int64_t n = (int64_t)g->groups.n;
  for (int k = 0; k < q->ngroup; k++) {
    if (pq_vec_alloc(&kv[k], q->group[k]->type, n, a)) goto oom;
    kv[k].nul = parq_arena_calloc(a, (size_t)(n ? n : 1), 1);
    if (!kv[k].nul) goto oom;
  }
  for (int64_t r = 0; r < n; r++) {
    const uint8_t *p = g->groups.kp[r];
    for (int k = 0; k < q->ngroup; k++) {
      qvec *v = &kv[k];
      if (*p++ == 0) {
        v->nul[r] = 1;
        continue;
      }
      if (v->t == QT_DBL) memcpy(&v->d[r], p, 8), p += 8;
      else if (v->t == QT_STR) {
        uint32_t l;
        memcpy(&l, p, 4);
        v->s[r].p = (const char *)p + 4;
        v->s[r].n = l;
        p += 4 + l;
      } else memcpy(&v->i[r], p, 8), p += 8;
    }
  }
  return PARQ_OK;
oom:
  return parq_err_set(err, PARQ_ENOMEM, "out of memory");
}

parq_status pq_agg_frame(pq_agg *g, parq_arena *a, qframe *out, parq_error *err) {
  const pq_query *q = g->q;
  int nc = q->ngroup + q->naggs;
  int64_t n = (int64_t)g->groups.n;
  qvec *cols = parq_arena_calloc(a, (size_t)(nc ? nc : 1), sizeof *cols);
  if (!cols) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  PARQ_TRY(decode_keys(g, a, cols, err));
  for (int k = 0; k < g->nacc; k++) {
    acc *ac = &g->accs[k];
    qvec *v = &cols[q->ngroup + k];
    if (pq_vec_alloc(v, q->aggs[k]->type, n, a)) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
    if (ac->fn != QF_COUNT) {
      v->nul = parq_arena_calloc(a, (size_t)(n ? n : 1), 1);
      if (!v->nul) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
    }
    for (int64_t r = 0; r < n; r++) {
      int64_t c = ac->cnt[r];
      if (ac->fn == QF_COUNT) {
        v->i[r] = c;
        continue;
      }
      if (c == 0 || v->t == QT_NULL) {
        v->nul[r] = 1;
        continue;
      }
      switch (ac->fn) {
        case QF_AVG:
          v->d[r] = (ac->t == QT_DBL ? ac->sd[r] + ac->sc[r] : (double)ac->si[r]) / (double)c;
          break;
        case QF_SUM:
          if (v->t == QT_DBL) v->d[r] = ac->sd[r] + ac->sc[r];
          else v->i[r] = ac->si[r];
          break;
        default: /* min / max */
          if (v->t == QT_DBL) v->d[r] = ac->sd[r];
          else if (v->t == QT_STR) v->s[r].p = ac->ss[r], v->s[r].n = ac->sl[r];
          else v->i[r] = ac->si[r];
      }
    }
  }
  out->cols = cols;
  out->ncols = nc;
  out->n = n;
  return PARQ_OK;
}

/* ---- distributed merge ----
 * Record: u32 key length, key bytes, then per aggregate: i64 count and the
 * value (i64 / f64 / u32 length + bytes); count(DISTINCT) sends u32 m and m
 * encoded values (u32 length + bytes) instead. */

static int put(parq_buf *b, const void *p, size_t n) { return parq_buf_append(b, p, n) != PARQ_OK; }

/* count(DISTINCT) record marker: an i64 partial count follows instead of values. */
#define DPART_COUNT UINT32_MAX

static parq_status serialize_group(pq_agg *g, uint32_t gid, uint32_t **dlist, uint32_t **dhead,
                                   parq_buf *b) {
  uint32_t kl = g->groups.len[gid];
  if (put(b, &kl, 4) || put(b, g->groups.kp[gid], kl)) return PARQ_ENOMEM;
  for (int k = 0; k < g->nacc; k++) {
    acc *a = &g->accs[k];
    if (a->distinct && a->fn == QF_COUNT && g->dpart) { /* a partial count, not the values */
      uint32_t m = DPART_COUNT;
      if (put(b, &m, 4) || put(b, &a->cnt[gid], 8)) return PARQ_ENOMEM;
      continue;
    }
    if (a->distinct) {
      uint32_t m = (uint32_t)a->cnt[gid];
      if (put(b, &m, 4)) return PARQ_ENOMEM;
      for (uint32_t id = dhead[k][gid]; id; id = dlist[k][id - 1]) {
        uint32_t l = a->dset.len[id - 1] - 4;
        if (put(b, &l, 4) || put(b, a->dset.kp[id - 1] + 4, l))
          return PARQ_ENOMEM;
      }
      continue;
    }
    if (put(b, &a->cnt[gid], 8)) return PARQ_ENOMEM;
    if (a->fn == QF_COUNT) continue;
    if (a->t == QT_DBL) {
      if (put(b, &a->sd[gid], 8)) return PARQ_ENOMEM;
      if ((a->fn == QF_SUM || a->fn == QF_AVG) && put(b, &a->sc[gid], 8)) return PARQ_ENOMEM;
    } else if (a->t == QT_STR && a->ss) {
      uint32_t l = a->cnt[gid] ? a->sl[gid] : 0;
      if (put(b, &l, 4) || (l && put(b, a->ss[gid], l))) return PARQ_ENOMEM;
    } else {
      if (put(b, &a->si[gid], 8)) return PARQ_ENOMEM;
    }
  }
  return PARQ_OK;
}

typedef struct rd {
  const uint8_t *p, *end;
} rd;
static int take(rd *r, void *out, size_t n) {
  if ((size_t)(r->end - r->p) < n) return -1;
  if (out) memcpy(out, r->p, n);
  r->p += n;
  return 0;
}

static parq_status merge_record(pq_agg *g, rd *r, parq_buf *tmp, parq_error *err) {
  (void)tmp;
  uint32_t kl, gid;
  if (take(r, &kl, 4) || (size_t)(r->end - r->p) < kl) goto bad;
  const uint8_t *key = r->p;
  r->p += kl;
  PARQ_TRY(group_id(g, key, kl, &gid, err));
  for (int k = 0; k < g->nacc; k++) {
    acc *a = &g->accs[k];
    if (a->distinct) {
      uint32_t m;
      if (take(r, &m, 4)) goto bad;
      if (m == DPART_COUNT) {
        int64_t c;
        if (take(r, &c, 8)) goto bad;
        a->cnt[gid] += c;
        continue;
      }
      for (uint32_t j = 0; j < m; j++) {
        uint32_t l;
        if (take(r, &l, 4) || (size_t)(r->end - r->p) < l) goto bad;
        PARQ_TRY(distinct_put(a, gid, r->p, l, err));
        r->p += l;
      }
      continue;
    }
    int64_t c;
    if (take(r, &c, 8)) goto bad;
    if (a->fn == QF_COUNT) {
      a->cnt[gid] += c;
      continue;
    }
    qvec v;
    memset(&v, 0, sizeof v);
    v.t = a->t;
    int64_t iv;
    double dv, dc = 0;
    qstr sv;
    if (a->t == QT_DBL) {
      if (take(r, &dv, 8)) goto bad;
      if ((a->fn == QF_SUM || a->fn == QF_AVG) && take(r, &dc, 8)) goto bad;
      v.d = &dv;
    } else if (a->t == QT_STR && a->ss) {
      uint32_t l;
      if (take(r, &l, 4) || (size_t)(r->end - r->p) < l) goto bad;
      sv.p = (const char *)r->p;
      sv.n = l;
      r->p += l;
      v.s = &sv;
    } else {
      if (take(r, &iv, 8)) goto bad;
      v.i = &iv;
    }
    if (c == 0) continue;
    if (a->fn == QF_SUM || a->fn == QF_AVG) {
      a->cnt[gid] += c;
      if (a->t == QT_DBL) {
        nsum(&a->sd[gid], &a->sc[gid], dv);
        a->sc[gid] += dc;
      } else a->si[gid] = (int64_t)((uint64_t)a->si[gid] + (uint64_t)iv);
    } else {
      if (acc_value(a, gid, &v, 0)) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
      a->cnt[gid] += c - 1;
    }
  }
  return PARQ_OK;
bad:
  return parq_err_set(err, PARQ_ECORRUPT, "aggregate exchange: truncated record");
}

/* ---- spilling ---- */

/* Drop every group: free the accumulators and the table, start empty. */
static parq_status reset_table(pq_agg *g, parq_error *err) {
  for (int k = 0; k < g->nacc; k++) acc_free(&g->accs[k], g->gcap);
  free(g->accs);
  g->accs = NULL;
  hset_free(&g->groups);
  g->gcap = 0;
  return init_accs(g, err);
}

/* Per aggregate, chains of the count(DISTINCT) pairs of each group (dhead[k][gid] -> first
 * pair id + 1, dlist[k][id] -> next), so a group's distinct values can be serialised. */
static void free_dlists(pq_agg *g, uint32_t **dlist, uint32_t **dhead) {
  for (int k = 0; k < g->nacc && dlist; k++) {
    free(dlist[k]);
    free(dhead[k]);
  }
  free(dlist);
  free(dhead);
}

static parq_status build_dlists(pq_agg *g, uint32_t ***dl, uint32_t ***dh, parq_error *err) {
  uint32_t **dlist = calloc((size_t)g->nacc + 1, sizeof *dlist);
  uint32_t **dhead = calloc((size_t)g->nacc + 1, sizeof *dhead);
  *dl = dlist;
  *dh = dhead;
  if (!dlist || !dhead) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  for (int k = 0; k < g->nacc; k++) {
    acc *a = &g->accs[k];
    if (!a->distinct) continue;
    dlist[k] = calloc(a->dset.n + 1, sizeof **dlist);
    dhead[k] = calloc(g->groups.n + 1, sizeof **dhead);
    if (!dlist[k] || !dhead[k]) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
    for (size_t id = 0; id < a->dset.n; id++) {
      uint32_t gid;
      memcpy(&gid, a->dset.kp[id], 4);
      dlist[k][id] = dhead[k][gid];
      dhead[k][gid] = (uint32_t)id + 1;
    }
  }
  return PARQ_OK;
}

/* A fresh set of SPILL_P partition files (unlinked at once: they live as long as
 * their FILE*). */
static parq_status spill_open(pq_agg *g, spill **out, parq_error *err) {
  if (!g->dir[0]) {
    const char *t = getenv("TMPDIR");
    if (!t || !*t) t = "/tmp";
    int w = snprintf(g->dir, sizeof g->dir, "%s/parq-sql-spill-XXXXXX", t);
    if (w < 0 || (size_t)w >= sizeof g->dir || !mkdtemp(g->dir)) {
      g->dir[0] = 0;
      return parq_err_set(err, PARQ_EIO, "GROUP BY spill: cannot create a directory under %s", t);
    }
  }
  spill *s = calloc(1, sizeof *s);
  if (!s) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  for (int p = 0; p < SPILL_P; p++) {
    char path[4200];
    snprintf(path, sizeof path, "%s/p%u", g->dir, g->nfiles++);
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) unlink(path);
    if (fd < 0 || !(s->f[p] = fdopen(fd, "w+b"))) {
      if (fd >= 0) close(fd);
      spill_close(s);
      return parq_err_set(err, PARQ_EIO, "GROUP BY spill: cannot create %s", path);
    }
  }
  *out = s;
  return PARQ_OK;
}

/* Partition of a key hash at a recursion level: the next SPILL_BITS high bits
 * (the hash table itself uses the low bits). */
static inline int spill_part(uint64_t h, int level) {
  return (int)((h >> (64 - SPILL_BITS * (level + 1))) & (SPILL_P - 1));
}

/* Write every group's partial state (u32 record length + exchange record) to
 * its partition of s, then empty the table. */
static parq_status spill_table(pq_agg *g, spill *s, int level, parq_error *err) {
  uint32_t **dlist = NULL, **dhead = NULL;
  parq_buf b = PARQ_BUF_INIT;
  parq_status st = build_dlists(g, &dlist, &dhead, err);
  for (size_t gid = 0; gid < g->groups.n && st == PARQ_OK; gid++) {
    const uint8_t *key = g->groups.kp[gid];
    FILE *f = s->f[spill_part(pq_key_hash(key, g->groups.len[gid]), level)];
    parq_buf_clear(&b);
    uint32_t len = 0;
    if (put(&b, &len, 4) || serialize_group(g, (uint32_t)gid, dlist, dhead, &b) != PARQ_OK) {
      st = parq_err_set(err, PARQ_ENOMEM, "out of memory serialising groups");
      break;
    }
    len = (uint32_t)(b.len - 4);
    memcpy(b.data, &len, 4);
    if (fwrite(b.data, 1, b.len, f) != b.len)
      st = parq_err_set(err, PARQ_EIO, "GROUP BY spill: write failed in %s (disk full?)", g->dir);
  }
  free_dlists(g, dlist, dhead);
  parq_buf_free(&b);
  if (st == PARQ_OK) st = reset_table(g, err);
  g->nspills++;
  return st;
}

static parq_status maybe_spill(pq_agg *g, parq_error *err) {
  if (!over_limit(g)) return PARQ_OK;
  if (g->q->ngroup == 0)
    return parq_err_set(err, PARQ_ENOMEM,
                        "aggregate state (%zu bytes of count(DISTINCT) values) exceeds "
                        "--memory-limit %lld; without GROUP BY it cannot be partitioned "
                        "to disk (raise the limit)",
                        agg_bytes(g), (long long)g->memory_limit);
  if (g->groups.n < SPILL_MIN_GROUPS) return PARQ_OK;
  if (!g->top) PARQ_TRY(spill_open(g, &g->top, err));
  return spill_table(g, g->top, 0, err);
}

/* Read the next record of a spill file into b: 1 = got one, 0 = end, < 0 error. */
static int spill_next(FILE *f, parq_buf *b) {
  uint32_t len;
  if (fread(&len, 1, 4, f) != 4) return ferror(f) ? -1 : 0;
  parq_buf_clear(b);
  if (parq_buf_reserve(b, len)) return -2;
  if (fread(b->data, 1, len, f) != len) return -1;
  b->len = len;
  return 1;
}

/* Merge the records of one partition file (written at `level`) into the empty
 * table and emit its groups; re-partition with the next hash bits when it
 * does not fit. */
static parq_status drain(pq_agg *g, FILE *f, int level, pq_agg_emit emit, void *ctx,
                         pq_query_error *err) {
  spill *sub = NULL;
  parq_buf rec = PARQ_BUF_INIT, tmp = PARQ_BUF_INIT;
  parq_status st = PARQ_OK;
  if (fseek(f, 0, SEEK_SET))
    st = parq_err_set(&err->e, PARQ_EIO, "GROUP BY spill: cannot rewind a spill file");
  for (;;) {
    if (st != PARQ_OK) break;
    int r = spill_next(f, &rec);
    if (r == 0) break;
    if (r < 0) {
      st = parq_err_set(&err->e, r == -2 ? PARQ_ENOMEM : PARQ_EIO,
                        "GROUP BY spill: cannot read back a spill file in %s", g->dir);
      break;
    }
    rd rr = {rec.data, rec.data + rec.len};
    st = merge_record(g, &rr, &tmp, &err->e);
    if (st == PARQ_OK && level < SPILL_MAX_LEVEL && g->groups.n >= SPILL_MIN_GROUPS &&
        over_limit(g)) {
      if (!sub) st = spill_open(g, &sub, &err->e);
      if (st == PARQ_OK) st = spill_table(g, sub, level + 1, &err->e);
    }
  }
  if (st == PARQ_OK && ftruncate(fileno(f), 0) != 0) /* consumed: give the disk space back */
    st = parq_err_set(&err->e, PARQ_EIO, "GROUP BY spill: cannot truncate a spill file");
  parq_buf_free(&rec);
  parq_buf_free(&tmp);
  if (st == PARQ_OK && sub) {
    if (g->groups.n) st = spill_table(g, sub, level + 1, &err->e);
    for (int p = 0; p < SPILL_P && st == PARQ_OK; p++)
      st = drain(g, sub->f[p], level + 1, emit, ctx, err);
  } else if (st == PARQ_OK && g->groups.n) {
    parq_arena a = PARQ_ARENA_INIT;
    qframe fr;
    st = pq_agg_frame(g, &a, &fr, &err->e);
    if (st == PARQ_OK) st = emit(ctx, &fr, &a, err);
    parq_arena_free(&a);
    if (st == PARQ_OK) st = reset_table(g, &err->e);
  }
  spill_close(sub);
  return st;
}

parq_status pq_agg_finish(pq_agg *g, pq_agg_emit emit, void *ctx, pq_query_error *err) {
  if (!g->top) {
    parq_arena a = PARQ_ARENA_INIT;
    qframe fr;
    parq_status st = pq_agg_frame(g, &a, &fr, &err->e);
    if (st == PARQ_OK) st = emit(ctx, &fr, &a, err);
    parq_arena_free(&a);
    return st;
  }
  if (g->groups.n) PARQ_TRY(spill_table(g, g->top, 0, &err->e));
  for (int p = 0; p < SPILL_P; p++) PARQ_TRY(drain(g, g->top->f[p], 0, emit, ctx, err));
  return PARQ_OK;
}

int64_t pq_agg_spills(const pq_agg *g) { return g->nspills; }

/* count(DISTINCT) without GROUP BY on several ranks: the one group's value sets would all
 * meet on one rank and be merged there, serially. Instead every value goes to the rank
 * that owns its hash partition (the hash does not depend on the rank: the group id is 0
 * everywhere); each rank adds the values it receives to its own set and counts its
 * partition, and the partial counts (disjoint partitions) are summed by the ordinary
 * exchange that follows. Two ranks only probe: what comes in is one rank's set. */
static inline size_t dpart_of(uint64_t hv, size_t W) {
  return (size_t)(((hv >> 32) * (uint64_t)W) >> 32);
}

static parq_status distinct_partition(pq_agg *g, const pq_comm *comm, parq_error *err) {
  size_t W = (size_t)comm->size, me = (size_t)comm->rank;
  parq_buf *send = calloc(W, sizeof *send);
  parq_buf recv = PARQ_BUF_INIT;
  parq_status st = PARQ_OK;
  if (!send) return parq_err_set(err, PARQ_ENOMEM, "out of memory");
  for (int k = 0; k < g->nacc && st == PARQ_OK; k++) {
    acc *a = &g->accs[k];
    if (!a->distinct || a->fn != QF_COUNT) continue;
    int64_t mine = 0; /* own values in my partition */
    /* room for every value up front: no doubling copies of buffers this large */
    size_t total = a->dset.n * 8 + (a->dset.kbytes - a->dset.left);
    for (size_t r = 0; r < W && st == PARQ_OK; r++)
      if (r != me && parq_buf_reserve(&send[r], total / W + total / (4 * W) + 64))
        st = parq_err_set(err, PARQ_ENOMEM, "out of memory partitioning count(DISTINCT) values");
    for (size_t id = 0; id < a->dset.n && st == PARQ_OK; id++) {
      const uint8_t *v = a->dset.kp[id] + 4; /* after the group id (0) */
      uint32_t l = a->dset.len[id] - 4;
      uint64_t hv = a->dset.hs[id]; /* = enc_hash(v, l, a->t == QT_STR, gid_seed(0)) */
      size_t p = dpart_of(hv, W);
      if (p == me) {
        mine++;
        continue;
      }
      if (put(&send[p], &hv, 8) || put(&send[p], &l, 4) || put(&send[p], v, l)) {
        st = parq_err_set(err, PARQ_ENOMEM, "out of memory partitioning count(DISTINCT) values");
        break;
      }
    }
    /* every rank takes part in the collective, even after a local failure */
    parq_status cst = comm->alltoallv(comm->ctx, send, &recv, err);
    if (st == PARQ_OK) st = cst;
    for (size_t r = 0; r < W; r++) parq_buf_clear(&send[r]);
    const uint32_t gid = 0;
    const uint8_t *p = recv.data, *end = recv.data + recv.len;
    /* records are walked in blocks: first their positions, then the probes with the
     * slot of a record a few ahead prefetched (the set is far larger than the caches) */
    enum { BLK = 256 };
    const uint8_t *rec[BLK];
    while (st == PARQ_OK && p < end) {
      int nr = 0;
      for (; nr < BLK && p < end; nr++) {
        uint64_t hv;
        uint32_t l;
        if ((size_t)(end - p) < 12) goto bad;
        memcpy(&hv, p, 8);
        memcpy(&l, p + 8, 4);
        if ((size_t)(end - p) - 12 < l || dpart_of(hv, W) != me) goto bad;
        rec[nr] = p;
        p += 12 + (size_t)l;
      }
      for (int i = 0; i < nr && st == PARQ_OK; i++) {
        uint64_t hv;
        uint32_t l, id;
        if (i + DISTINCT_AHEAD < nr && a->dset.cap) {
          memcpy(&hv, rec[i + DISTINCT_AHEAD], 8);
          __builtin_prefetch(&a->dset.slot[hv & (a->dset.cap - 1)]);
        }
        memcpy(&hv, rec[i], 8);
        memcpy(&l, rec[i] + 8, 4);
        if (W == 2) {
          mine += !hset_has2(&a->dset, &gid, 4, rec[i] + 12, l, hv);
        } else {
          int r = hset_put3(&a->dset, &gid, 4, rec[i] + 12, l, NULL, 0, hv, &id);
          if (r < 0) st = parq_err_set(err, PARQ_ENOMEM, "out of memory in count(DISTINCT)");
          mine += r > 0;
        }
      }
    }
    /* the values are counted: the set is no longer needed */
    hset_free(&a->dset);
    a->cnt[0] = mine;
  }
  g->dpart = 1;
  for (size_t r = 0; r < W; r++) parq_buf_free(&send[r]);
  free(send);
  parq_buf_free(&recv);
  return st;
bad:
  for (size_t r = 0; r < W; r++) parq_buf_free(&send[r]);
  free(send);
  parq_buf_free(&recv);
  return parq_err_set(err, PARQ_ECORRUPT, "count(DISTINCT) exchange: bad record");
}

parq_status pq_agg_exchange(pq_agg *g, const pq_comm *comm, int to_rank0, parq_error *err) {
  if (comm->size <= 1) return PARQ_OK;
  int ndist = 0;
  for (int k = 0; k < g->nacc; k++) ndist += g->accs[k].distinct && g->accs[k].fn == QF_COUNT;
  if (ndist && g->q->ngroup == 0 && !g->top) PARQ_TRY(distinct_partition(g, comm, err));
  size_t W = (size_t)comm->size;
  parq_buf *send = calloc(W, sizeof *send);
  uint32_t **dlist = NULL, **dhead = NULL;
  parq_buf recv = PARQ_BUF_INIT, tmp = PARQ_BUF_INIT;
  parq_status st = PARQ_OK;
  if (!send) {
    st = parq_err_set(err, PARQ_ENOMEM, "out of memory");
    goto done;
  }
  /* to rank 0: rank 0's own groups come first in rank order anyway, so it keeps its
   * table (and any spill files) as they are and only merges the other ranks' states */
  int keep = to_rank0 && comm->rank == 0;
  if (!keep && (st = build_dlists(g, &dlist, &dhead, err)) != PARQ_OK) goto done;
  for (size_t gid = 0; gid < g->groups.n && !keep; gid++) {
    const uint8_t *key = g->groups.kp[gid];
    size_t dest = to_rank0 ? 0 : pq_key_hash(key, g->groups.len[gid]) % W;
    if (serialize_group(g, (uint32_t)gid, dlist, dhead, &send[dest]) != PARQ_OK) {
      st = parq_err_set(err, PARQ_ENOMEM, "out of memory serialising groups");
      goto done;
    }
  }
  if (g->top && !keep) {
    /* spilled partial states are exchange records already: route them as they are */
    for (int p = 0; p < SPILL_P && st == PARQ_OK; p++) {
      FILE *f = g->top->f[p];
      if (fseek(f, 0, SEEK_SET)) st = parq_err_set(err, PARQ_EIO, "GROUP BY spill: rewind failed");
      int r;
      while (st == PARQ_OK && (r = spill_next(f, &tmp)) != 0) {
        uint32_t kl;
        if (r < 0 || tmp.len < 4 || (memcpy(&kl, tmp.data, 4), tmp.len - 4 < kl)) {
          st = parq_err_set(err, PARQ_EIO, "GROUP BY spill: cannot read back a spill file");
          break;
        }
        size_t dest = to_rank0 ? 0 : pq_key_hash(tmp.data + 4, kl) % W;
        if (put(&send[dest], tmp.data, tmp.len))
          st = parq_err_set(err, PARQ_ENOMEM, "out of memory routing spilled groups");
      }
    }
    spill_close(g->top);
    g->top = NULL;
    if (st != PARQ_OK) goto done;
  }
  st = comm->alltoallv(comm->ctx, send, &recv, err);
  if (st != PARQ_OK) goto done;
  for (size_t k = 0; k < W; k++) parq_buf_free(&send[k]);
  /* start over with an empty table and merge what this rank owns (spilling again
   * when it does not fit) */
  free_dlists(g, dlist, dhead);
  dlist = dhead = NULL;
  if (!keep && (st = reset_table(g, err)) != PARQ_OK) goto done;
  rd r = {recv.data, recv.data + recv.len};
  while (r.p < r.end && st == PARQ_OK) {
    st = merge_record(g, &r, &tmp, err);
    if (st == PARQ_OK) st = maybe_spill(g, err);
  }
done:
  if (send)
    for (size_t k = 0; k < W; k++) parq_buf_free(&send[k]);
  free(send);
  free_dlists(g, dlist, dhead);
  parq_buf_free(&recv);
  parq_buf_free(&tmp);
  return st;
}
