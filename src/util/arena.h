/* arena.h — bump allocator for objects that live and die together
 * (a file's metadata, a page header). One parq_arena_free() releases all. */
#ifndef PARQ_UTIL_ARENA_H
#define PARQ_UTIL_ARENA_H
#include <stddef.h>
#include <stdint.h>

typedef struct parq_arena_block parq_arena_block;
typedef struct parq_arena {
  parq_arena_block *head;
  size_t used_total;   /* bytes handed out, for limits */
  size_t limit;        /* 0 = unlimited; allocations beyond return NULL */
} parq_arena;

#define PARQ_ARENA_INIT {NULL, 0, 0}
/* Zeroed, 16-byte-aligned memory; NULL on failure or when over the limit. */
void *parq_arena_alloc(parq_arena *a, size_t n);
/* n*size with overflow check. */
void *parq_arena_calloc(parq_arena *a, size_t n, size_t size);
char *parq_arena_strndup(parq_arena *a, const char *s, size_t n);
void parq_arena_free(parq_arena *a);
#endif
