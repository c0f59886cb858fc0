/* fuzz_reader.c — libFuzzer target: any byte string given to the reader must
 * produce batches or an error, never a crash, leak or huge allocation.
 * Seeds: the parquet-testing corpus (see .ci/run). */
#include <stddef.h>
#include <stdint.h>

#include "parq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  parq_read_options o;
  parq_read_options_init(&o);
  o.batch_rows = 97;
  o.verify_checksums = size & 1;
  o.string_views = (size >> 1) & 1; /* half the inputs take the zero-copy view path */
  o.max_memory = 64 << 20;
  parq_reader *r = NULL;
  parq_error e;
  if (parq_reader_open_memory(data, size, "fuzz", &o, &r, &e)) return 0;
  char *s = NULL;
  if (!parq_reader_describe_json(r, 0, &s, &e)) parq_free(s);
  struct ArrowSchema sch;
  if (!parq_reader_schema(r, &sch, &e)) sch.release(&sch);
  struct ArrowArray a;
  for (int i = 0; i < 1000 && parq_reader_next(r, &a, &e) == PARQ_OK; i++) a.release(&a);
  parq_reader_close(r);
  return 0;
}
