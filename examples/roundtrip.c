/* roundtrip.c — write a small Parquet file from Arrow arrays, then read it back.
 * Build: cc roundtrip.c $(pkg-config --cflags --libs parq) -o roundtrip */
#include <parq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Minimal owned Arrow arrays for the example: one int64 column and one utf8 column. */
static void release_array(struct ArrowArray *a) {
  for (int64_t i = 0; i < a->n_buffers; i++) free((void *)a->buffers[i]);
  free(a->buffers);
  for (int64_t i = 0; i < a->n_children; i++) {
    a->children[i]->release(a->children[i]);
    free(a->children[i]);
  }
  free(a->children);
  a->release = NULL;
}
static void release_schema(struct ArrowSchema *s) {
  for (int64_t i = 0; i < s->n_children; i++) {
    s->children[i]->release(s->children[i]);
    free(s->children[i]);
  }
  free(s->children);
  s->release = NULL;
}

int main(void) {
  const int n = 3;
  const char *words[] = {"alpha", "beta", "gamma"};
  /* schema: struct<id: int64, word: utf8> */
  struct ArrowSchema *fields[2];
  const char *formats[] = {"l", "u"}, *names[] = {"id", "word"};
  for (int i = 0; i < 2; i++) {
    fields[i] = calloc(1, sizeof **fields);
    fields[i]->format = formats[i];
    fields[i]->name = names[i];
    fields[i]->release = release_schema;
  }
  struct ArrowSchema schema = {.format = "+s", .name = "", .n_children = 2, .release = release_schema};
  schema.children = malloc(sizeof fields);
  memcpy(schema.children, fields, sizeof fields);

  int64_t *ids = malloc(n * sizeof *ids);
  int32_t *offsets = malloc((n + 1) * sizeof *offsets);
  char *chars = malloc(64);
  offsets[0] = 0;
  for (int i = 0; i < n; i++) {
    ids[i] = 100 + i;
    size_t l = strlen(words[i]);
    memcpy(chars + offsets[i], words[i], l);
    offsets[i + 1] = offsets[i] + (int32_t)l;
  }
  struct ArrowArray *cols[2];
  for (int i = 0; i < 2; i++) cols[i] = calloc(1, sizeof **cols);
  cols[0]->length = n, cols[0]->n_buffers = 2, cols[0]->buffers = calloc(2, sizeof(void *));
  cols[0]->buffers[1] = ids, cols[0]->release = release_array;
  cols[1]->length = n, cols[1]->n_buffers = 3, cols[1]->buffers = calloc(3, sizeof(void *));
  cols[1]->buffers[1] = offsets, cols[1]->buffers[2] = chars, cols[1]->release = release_array;
  struct ArrowArray batch = {.length = n, .n_buffers = 1, .n_children = 2, .release = release_array};
  batch.buffers = calloc(1, sizeof(void *));
  batch.children = malloc(sizeof cols);
  memcpy(batch.children, cols, sizeof cols);

  parq_error err;
  parq_write_options wo;
  parq_write_options_init(&wo); /* zstd, dictionary, statistics, page index */
  parq_writer *w;
  if (parq_writer_open("example.parquet", &schema, &wo, &w, &err) || parq_writer_write(w, &batch, &err) ||
      parq_writer_close(w, &err)) {
    fprintf(stderr, "write failed: %s\n", err.message);
    return 1;
  }
  batch.release(&batch);
  schema.release(&schema);

  parq_reader *r;
  if (parq_reader_open("example.parquet", NULL, &r, &err)) {
    fprintf(stderr, "open failed: %s\n", err.message);
    return 1;
  }
  struct ArrowArray got;
  while (parq_reader_next(r, &got, &err) == PARQ_OK) {
    const int64_t *id = got.children[0]->buffers[1];
    const int32_t *off = got.children[1]->buffers[1];
    const char *data = got.children[1]->buffers[2];
    for (int64_t i = 0; i < got.length; i++)
      printf("%lld %.*s\n", (long long)id[i], off[i + 1] - off[i], data + off[i]);
    got.release(&got);
  }
  parq_reader_close(r);
  return 0;
}
