#include "util/arena.h"

#include <stdlib.h>
#include <string.h>

struct parq_arena_block {
  parq_arena_block *next;
  size_t cap, used;
  _Alignas(16) unsigned char data[];
};

void *parq_arena_alloc(parq_arena *a, size_t n) {
  n = (n + 15) & ~(size_t)15;
  if (n == 0) n = 16;
  if (a->limit && (n > a->limit || a->used_total > a->limit - n)) return NULL;
  parq_arena_block *b = a->head;
  if (!b || b->cap - b->used < n) {
    size_t cap = n > 16384 ? n : 16384;
    b = malloc(sizeof *b + cap);
    if (!b) return NULL;
    b->cap = cap;
    b->used = 0;
    b->next = a->head;
    a->head = b;
  }
  void *p = b->data + b->used;
  b->used += n;
  a->used_total += n;
  memset(p, 0, n);
  return p;
}

void *parq_arena_calloc(parq_arena *a, size_t n, size_t size) {
  if (size && n > SIZE_MAX / size) return NULL;
  return parq_arena_alloc(a, n * size);
}

char *parq_arena_strndup(parq_arena *a, const char *s, size_t n) {
  char *p = parq_arena_alloc(a, n + 1);
  if (!p) return NULL;
  memcpy(p, s, n);
  p[n] = 0;
  return p;
}

void parq_arena_free(parq_arena *a) {
  parq_arena_block *b = a->head;
  while (b) {
    parq_arena_block *n = b->next;
    free(b);
    b = n;
  }
  a->head = NULL;
  a->used_total = 0;
}
