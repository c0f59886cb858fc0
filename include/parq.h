/*
 * parq.h — the one public header of libparq.
 *
 * parq reads and writes Apache Parquet files in pure C. In-memory data is
 * exchanged through the Arrow C Data Interface (struct ArrowSchema,
 * struct ArrowArray, struct ArrowArrayStream), defined below from the
 * published ABI, so parq needs no Arrow library.
 *
 * Conventions
 *  - Every exported name starts with parq_ (or PARQ_ for macros).
 *  - Functions that can fail return a parq_status; PARQ_OK is 0. When a
 *    parq_error* is passed (it may be NULL), it receives a message naming
 *    the file, row group, column and byte offset where that is known.
 *  - Handles are opaque. Whoever calls *_open owns the handle and frees it
 *    with the matching *_close / *_abort. Close/free functions accept NULL.
 *  - Arrow structs filled by parq are owned by the caller afterwards, who
 *    releases them by calling their ->release callback (Arrow rules).
 *  - The library never prints, never exits, and keeps no mutable globals:
 *    distinct handles may be used from distinct threads at once.
 */
#ifndef PARQ_H
#define PARQ_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define PARQ_API __attribute__((visibility("default")))
#else
#define PARQ_API
#endif

#define PARQ_VERSION_STRING "0.1.0"

/* ------------------------------------------------------------------ */
/* Arrow C Data Interface (ABI-stable; see arrow.apache.org/docs/format/CDataInterface.html) */
#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE
#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4

struct ArrowSchema {
  const char *format;
  const char *name;
  const char *metadata;
  int64_t flags;
  int64_t n_children;
  struct ArrowSchema **children;
  struct ArrowSchema *dictionary;
  void (*release)(struct ArrowSchema *);
  void *private_data;
};

struct ArrowArray {
  int64_t length;
  int64_t null_count;
  int64_t offset;
  int64_t n_buffers;
  int64_t n_children;
  const void **buffers;
  struct ArrowArray **children;
  struct ArrowArray *dictionary;
  void (*release)(struct ArrowArray *);
  void *private_data;
};
#endif /* ARROW_C_DATA_INTERFACE */

#ifndef ARROW_C_STREAM_INTERFACE
#define ARROW_C_STREAM_INTERFACE
struct ArrowArrayStream {
  int (*get_schema)(struct ArrowArrayStream *, struct ArrowSchema *out);
  int (*get_next)(struct ArrowArrayStream *, struct ArrowArray *out);
  const char *(*get_last_error)(struct ArrowArrayStream *);
  void (*release)(struct ArrowArrayStream *);
  void *private_data;
};
#endif /* ARROW_C_STREAM_INTERFACE */

/* ------------------------------------------------------------------ */
/* Status codes and errors */
typedef enum parq_status {
  PARQ_OK = 0,
  PARQ_DONE = 1,          /* end of data: not an error */
  PARQ_EINVAL = -1,       /* bad argument or option (usage error) */
  PARQ_EIO = -2,          /* operating-system I/O error (errno in message) */
  PARQ_ECORRUPT = -3,     /* input is not valid Parquet / JSON / CSV */
  PARQ_ENOMEM = -4,       /* allocation failed or a size limit was exceeded */
  PARQ_EUNSUPPORTED = -5, /* valid input using a feature parq does not implement */
  PARQ_ECHECKSUM = -6,    /* a page CRC did not match */
  PARQ_ESCHEMA = -7,      /* schema mismatch (missing column, incompatible type) */
  PARQ_ECONFLICT = -8,    /* concurrent modification lost a race; retry or give up */
  PARQ_EINTERNAL = -9     /* a bug in parq */
} parq_status;

#define PARQ_ERROR_MSG_MAX 512
typedef struct parq_error {
  parq_status code;
  char message[PARQ_ERROR_MSG_MAX];
} parq_error;

/* A static English description of a status code. */
PARQ_API const char *parq_strerror(parq_status st);
/* The library version, e.g. "0.1.0". */
PARQ_API const char *parq_version(void);

/* ------------------------------------------------------------------ */
/* Compression codecs and encodings (values are Parquet's own numbers) */
typedef enum parq_codec {
  PARQ_CODEC_UNCOMPRESSED = 0,
  PARQ_CODEC_SNAPPY = 1,
  PARQ_CODEC_GZIP = 2,
  PARQ_CODEC_LZO = 3, /* read: not supported */
  PARQ_CODEC_BROTLI = 4,
  PARQ_CODEC_LZ4 = 5, /* Hadoop-framed LZ4 (deprecated; read only) */
  PARQ_CODEC_ZSTD = 6,
  PARQ_CODEC_LZ4_RAW = 7
} parq_codec;

typedef enum parq_encoding {
  PARQ_ENC_DEFAULT = -1, /* writer picks: dictionary if enabled, else PLAIN */
  PARQ_ENC_PLAIN = 0,
  PARQ_ENC_PLAIN_DICTIONARY = 2,
  PARQ_ENC_RLE = 3,
  PARQ_ENC_BIT_PACKED = 4,
  PARQ_ENC_DELTA_BINARY_PACKED = 5,
  PARQ_ENC_DELTA_LENGTH_BYTE_ARRAY = 6,
  PARQ_ENC_DELTA_BYTE_ARRAY = 7,
  PARQ_ENC_RLE_DICTIONARY = 8,
  PARQ_ENC_BYTE_STREAM_SPLIT = 9
} parq_encoding;

/* Parse "zstd", "zstd:5", "snappy", "gzip", "lz4" (= LZ4_RAW), "lz4_raw",
 * "brotli", "none"/"uncompressed". *level is set to the level or 0 (default). */
PARQ_API parq_status parq_codec_parse(const char *text, parq_codec *codec, int *level);
PARQ_API const char *parq_codec_name(parq_codec c);
/* Parse "plain", "rle", "delta_binary_packed", "delta_length_byte_array",
 * "delta_byte_array", "byte_stream_split", "rle_dictionary"/"dictionary". */
PARQ_API parq_status parq_encoding_parse(const char *text, parq_encoding *enc);
PARQ_API const char *parq_encoding_name(parq_encoding e);

/* ------------------------------------------------------------------ */
/* Reader */
typedef struct parq_reader parq_reader;

/* A simple comparison for predicate pushdown: row groups (and pages, via the
 * page index) whose statistics prove that no row can satisfy ALL predicates
 * are skipped. Rows inside surviving groups are NOT filtered: pushdown is a
 * pruning hint, callers still evaluate their filter. */
typedef enum parq_cmp {
  PARQ_CMP_EQ, PARQ_CMP_NE, PARQ_CMP_LT, PARQ_CMP_LE, PARQ_CMP_GT, PARQ_CMP_GE,
  PARQ_CMP_IS_NULL, PARQ_CMP_IS_NOT_NULL
} parq_cmp;

typedef enum parq_value_kind {
  PARQ_VALUE_NULL, PARQ_VALUE_INT, PARQ_VALUE_DOUBLE, PARQ_VALUE_STRING
} parq_value_kind;

typedef struct parq_predicate {
  const char *column; /* dotted path of a leaf column, e.g. "meta.lang" */
  parq_cmp op;
  parq_value_kind kind;
  int64_t i;          /* PARQ_VALUE_INT */
  double d;           /* PARQ_VALUE_DOUBLE */
  const char *s;      /* PARQ_VALUE_STRING */
  size_t s_len;
} parq_predicate;

typedef struct parq_read_options {
  /* Projection: top-level names or dotted paths ("a", "b.c"). NULL = all. */
  const char *const *columns;
  size_t n_columns;
  /* Row-group selection: indexes into the file's row groups. NULL = all. */
  const int64_t *row_groups;
  size_t n_row_groups;
  int64_t batch_rows;       /* rows per batch; <= 0 means 65536 */
  int verify_checksums;     /* verify page CRC32 where present */
  const parq_predicate *predicates; /* AND of these; may be NULL */
  size_t n_predicates;
  int64_t max_memory;       /* refuse a column chunk or page larger than this (0 = 2 GiB) */
  /* String / binary columns as Arrow large_utf8 "U" / large_binary "Z"
   * (int64 offsets) instead of "u" / "z". 0 (default): only columns whose
   * chunk in some selected row group exceeds 1.5 GiB uncompressed (values
   * that could not fit int32 offsets); > 0: all of them; < 0: none. Decided
   * at open, so parq_reader_schema and every batch agree. */
  int large_strings;
  /* Non-zero: string / binary columns as Arrow string views "vu" / binary
   * views "vz" (16-byte views pointing into the decompressed pages, which
   * the arrays keep alive) instead of "u" / "z": the value bytes are never
   * copied, so text scans run at decompression speed. Overrides
   * large_strings (views have no 2 GiB limit). Off by default because not
   * every Arrow consumer accepts views (DuckDB >= 1.1, Polars and pyarrow
   * >= 16 do). */
  int string_views;
} parq_read_options;

/* Fill *opt with defaults (all columns, all row groups, 65536-row batches). */
PARQ_API void parq_read_options_init(parq_read_options *opt);

/* Open a Parquet file. opt may be NULL for defaults. */
PARQ_API parq_status parq_reader_open(const char *path, const parq_read_options *opt,
                                      parq_reader **out, parq_error *err);
/* Open a Parquet file held in memory (the buffer must outlive the reader). */
PARQ_API parq_status parq_reader_open_memory(const void *data, size_t size, const char *name,
                                             const parq_read_options *opt, parq_reader **out,
                                             parq_error *err);
PARQ_API void parq_reader_close(parq_reader *r);

PARQ_API int64_t parq_reader_num_rows(const parq_reader *r);       /* whole file */
PARQ_API int64_t parq_reader_num_row_groups(const parq_reader *r);
PARQ_API int64_t parq_reader_row_group_num_rows(const parq_reader *r, int64_t rg);
/* Row groups surviving row-group selection and predicate pruning, in order. */
PARQ_API int64_t parq_reader_num_selected_row_groups(const parq_reader *r);

/* The (projected) schema as an Arrow struct schema ("+s"). Caller releases. */
PARQ_API parq_status parq_reader_schema(parq_reader *r, struct ArrowSchema *out, parq_error *err);

/* Next batch of up to batch_rows rows as an Arrow struct array ("+s") whose
 * children follow parq_reader_schema. Returns PARQ_DONE (and leaves *out
 * released/zeroed) at the end. Batches never span row groups. */
PARQ_API parq_status parq_reader_next(parq_reader *r, struct ArrowArray *out, parq_error *err);

/* Position the reader at the start of selected row group `index` (an index
 * into the selected list) and `row` rows into it. */
PARQ_API parq_status parq_reader_seek(parq_reader *r, int64_t selected_index, int64_t row,
                                      parq_error *err);

/* Read one whole row group (file index) of the projected columns as one
 * batch. Independent of the batch cursor; thread-safe only per reader. */
PARQ_API parq_status parq_reader_read_row_group(parq_reader *r, int64_t rg, struct ArrowArray *out,
                                                parq_error *err);

/* Wrap the reader as an ArrowArrayStream. The stream takes ownership of the
 * reader: releasing the stream closes it. */
PARQ_API parq_status parq_reader_to_stream(parq_reader *r, struct ArrowArrayStream *out,
                                           parq_error *err);

/* File metadata described as JSON (the `parq meta --json` document; with
 * schema_only, the `parq schema --json` document). *out is malloc'ed; the
 * caller frees it with parq_free(). */
PARQ_API parq_status parq_reader_describe_json(parq_reader *r, int schema_only, char **out,
                                               parq_error *err);
/* Human-readable text form of the same. */
PARQ_API parq_status parq_reader_describe_text(parq_reader *r, int schema_only, char **out,
                                               parq_error *err);
/* Key/value metadata lookup; returns NULL when absent. Owned by the reader. */
PARQ_API const char *parq_reader_kv(const parq_reader *r, const char *key);

/* Free memory the library returned (strings from *_describe_*, etc.). */
PARQ_API void parq_free(void *p);

/* ------------------------------------------------------------------ */
/* Writer */
typedef struct parq_writer parq_writer;

typedef struct parq_column_options {
  const char *path;        /* dotted leaf path, or top-level name (applies to all its leaves) */
  int codec;               /* parq_codec, or -1 = inherit */
  int level;               /* codec level, 0 = codec default, INT32_MIN = inherit */
  int encoding;            /* parq_encoding, PARQ_ENC_DEFAULT = inherit */
  int dictionary;          /* 1 on, 0 off, -1 inherit */
  int statistics;          /* 1 on, 0 off, -1 inherit */
} parq_column_options;

typedef struct parq_write_options {
  parq_codec codec;        /* default ZSTD */
  int level;               /* 0 = codec default (zstd 3) */
  int64_t row_group_rows;  /* close a row group after this many rows (default 1048576) */
  int64_t row_group_bytes; /* ...or once its encoded size reaches this (default 128 MiB):
                            uncompressed page bodies + dictionary, never compressed
                            sizes, so the cut is the same for any `threads` */
  int64_t page_bytes;      /* data page target, uncompressed (default 1 MiB) */
  int64_t page_rows;       /* max rows per page (default 20000) */
  int page_version;        /* 1 or 2 (default 1) */
  int dictionary;          /* default 1 */
  int64_t dictionary_page_bytes; /* fall back to plain beyond this (default 1 MiB) */
  int statistics;          /* default 1 */
  int page_index;          /* write ColumnIndex/OffsetIndex (default 1) */
  int write_crc;           /* page CRC32 (default 1) */
  int bloom_filter;        /* write split-block bloom filters (default 0) */
  int64_t stats_truncate;  /* max bytes of a binary min/max (default 64) */
  const parq_column_options *columns; /* per-column overrides */
  size_t n_columns;
  const char *const *kv;   /* key/value metadata: kv[2i]=key, kv[2i+1]=value */
  size_t n_kv;
  const char *created_by;  /* default "parq version 0.1.0" */
  int fsync;               /* fsync before rename (default 1) */
  int threads;             /* compression threads (default 1; at most 64 are used). Pages
                            are compressed in the background and up to `threads`
                            closed row groups wait for them; the file is
                            byte-identical for any value */
  /* Content-defined chunking (see docs). 0 = off. */
  int cdc;
  int64_t cdc_min_bytes;   /* default 256 KiB */
  int64_t cdc_max_bytes;   /* default 1 MiB */
  int cdc_norm_level;      /* default 0 */
  /* With cdc: also cut row groups by content (default 1), on the first
   * column's bytes: a group closes at the first record after row_group_rows/2
   * rows whose key hash matches, or after 4 x cdc_max_bytes of first-column
   * bytes at a key byte match (~4 x cdc_max_bytes apart); at most 2 x row_group_rows
   * rows (docs/CDC.md). 0: cut by counts only. */
  int cdc_row_groups;
} parq_write_options;

PARQ_API void parq_write_options_init(parq_write_options *opt);

/* Create a writer for `path` with the given Arrow schema (a "+s" struct; the
 * writer copies what it needs and does not take ownership). The file is
 * written to a temporary name beside `path` and renamed on close. */
PARQ_API parq_status parq_writer_open(const char *path, const struct ArrowSchema *schema,
                                      const parq_write_options *opt, parq_writer **out,
                                      parq_error *err);
/* Append a batch (a "+s" struct array matching the schema). The writer does
 * not take ownership; the caller still releases the array. */
PARQ_API parq_status parq_writer_write(parq_writer *w, const struct ArrowArray *batch,
                                       parq_error *err);
/* Close the current row group now (no-op if empty). */
PARQ_API parq_status parq_writer_flush_row_group(parq_writer *w, parq_error *err);
/* Finish: write the footer, fsync, rename into place, free the writer. The
 * writer is freed whatever the result; on error nothing is left behind. */
PARQ_API parq_status parq_writer_close(parq_writer *w, parq_error *err);
/* Abandon the file: remove the temporary, free the writer. NULL is fine. */
PARQ_API void parq_writer_abort(parq_writer *w);
/* Bytes written so far (including buffered row group estimate). */
PARQ_API int64_t parq_writer_bytes(const parq_writer *w);
PARQ_API int64_t parq_writer_rows(const parq_writer *w);

/* ------------------------------------------------------------------ */
/* Streaming (dataset) */
/* A parq_stream delivers the rows of a set of Parquet shards to one rank of a
 * data-parallel job: rank R of W receives global row groups R, R+W, R+2W, ...
 * (row group k of the concatenation of the files, in manifest order), in
 * fixed-size batches, for one or more epochs, with bounded memory (one
 * decoded row group plus a prefetch window) and exact resume. */
typedef struct parq_stream parq_stream;

typedef struct parq_stream_options {
  /* Shard directories (manifest.json order, else *.parquet sorted by name),
   * files, or glob(3) patterns, in this order. */
  const char *const *paths;
  size_t n_paths;
  int rank, world;            /* default: env RANK / WORLD_SIZE, else 0 / 1 */
  const char *const *columns; /* projection (NULL = all) */
  size_t n_columns;
  int64_t batch_rows;         /* rows per batch (default 128); the last of an epoch may be short */
  int epochs;                 /* default 1 */
  uint64_t seed;              /* permutation seed (default 0) */
  int shuffle_row_groups;     /* also permute the first epoch (later ones always are) */
  int prefetch;               /* row groups decoded ahead on a thread (default 1; 0 = synchronous) */
  int64_t memory_limit;       /* bytes per decoded row group (0 = none) */
  const char *resume_state;   /* JSON from parq_stream_state, or NULL */
  /* Strings as Arrow views "vu"/"vz" pointing into the decompressed pages
   * (see parq_read_options.string_views): no value bytes are copied. */
  int string_views;
} parq_stream_options;

PARQ_API void parq_stream_options_init(parq_stream_options *opt);
PARQ_API parq_status parq_stream_open(const parq_stream_options *opt, parq_stream **out,
                                      parq_error *err);
/* Next batch ("+s" struct array following parq_stream_schema); PARQ_DONE at
 * the end of the last epoch. A batch inside one row group is a zero-copy
 * slice of it (mind ArrowArray.offset); the row group's memory is freed
 * when its last batch is released. */
PARQ_API parq_status parq_stream_next(parq_stream *s, struct ArrowArray *out, parq_error *err);
PARQ_API parq_status parq_stream_schema(parq_stream *s, struct ArrowSchema *out, parq_error *err);
/* Resume state as JSON: the position after the last batch returned.
 * *json_out is freed with parq_free(). */
PARQ_API parq_status parq_stream_state(parq_stream *s, char **json_out, parq_error *err);
PARQ_API void parq_stream_close(parq_stream *s);
/* Wrap as an ArrowArrayStream; the stream takes ownership of s (releasing
 * it closes s, also on failure of this call). */
PARQ_API parq_status parq_stream_to_arrow_stream(parq_stream *s, struct ArrowArrayStream *out,
                                                 parq_error *err);


/* ------------------------------------------------------------------ */
/* Repack (dataset)
 *
 * parq_repack() turns many JSONL / CSV / Parquet inputs (one schema) into
 * DIR/shard_00000.parquet, ... plus DIR/manifest.json. Rows are shuffled
 * globally and deterministically (an external, disk-backed shuffle bounded by
 * memory_limit), shards close at a size target on a row-group boundary, and a
 * killed run resumes exactly: rerunning the same call yields byte-identical
 * shards. The output depends only on the inputs and the options recorded in
 * the manifest (not on threads or memory_limit). */
typedef enum parq_repack_phase {
  PARQ_REPACK_SCAN,   /* inputs checked; rows_total may still be -1 */
  PARQ_REPACK_SPILL,  /* pass 1: bytes_done / bytes_total of input distributed */
  PARQ_REPACK_WRITE,  /* a row group was written into the current shard */
  PARQ_REPACK_SHARD,  /* a shard was completed (path, shard_* fields) */
  PARQ_REPACK_DONE    /* everything complete */
} parq_repack_phase;

typedef struct parq_repack_progress {
  parq_repack_phase phase;
  const char *path;         /* SHARD: path of the shard just completed */
  int64_t shard;            /* index of the current / completed shard */
  int64_t shard_rows;       /* documents in it (so far) */
  int64_t shard_chars;      /* text characters (UTF-8 code points) in it */
  int64_t shard_bytes;      /* SHARD: file size */
  double shard_seconds;     /* SHARD: time spent on it */
  int64_t rows_done;        /* documents emitted to shards (all shards) */
  int64_t rows_total;       /* -1 when not known yet (no-shuffle mode) */
  int64_t bytes_done, bytes_total; /* input bytes (SPILL, and no-shuffle WRITE) */
  int64_t shards_resumed;   /* shards found complete from an earlier run */
  double elapsed;           /* seconds since the call started */
  double eta;               /* seconds left (average time per document); -1 unknown */
} parq_repack_progress;

typedef struct parq_repack_options {
  const char *const *inputs;  /* files, directories (their .jsonl/.csv/.parquet..., sorted), globs */
  size_t n_inputs;
  const char *output_dir;
  const char *const *columns; /* keep only these top-level columns (NULL = all) */
  size_t n_columns;
  const char *text_column;    /* counted for shard_chars (default "text") */
  /* Shard target: at most one > 0; all zero means shard_chars = 250,000,000.
   * A shard closes once it reaches the target AND its row count is a multiple
   * of row_group_rows (every row group full; the last shard may be short). */
  int64_t shard_chars;        /* UTF-8 code points of text_column */
  int64_t shard_bytes;        /* uncompressed row bytes (parq's row encoding) */
  int64_t shard_rows;
  int64_t row_group_rows;     /* default 1024 */
  parq_codec codec;           /* default ZSTD */
  int level;                  /* default 3 */
  int dictionary;             /* default 0 */
  int statistics;             /* default 0 */
  int threads;                /* writer compression threads (default 1); output identical */
  int shuffle;                /* default 1; 0 keeps input order */
  uint64_t seed;              /* default 42 */
  int64_t memory_limit;       /* bytes, default 1 GiB: sizes the shuffle buckets */
  int fsync;                  /* default 1 */
  /* Content-defined data pages (parq_write_options.cdc*); row groups stay cut
   * by row_group_rows so shards keep whole row groups. */
  int cdc;                    /* default 0 */
  int64_t cdc_min_bytes;      /* default 256 KiB */
  int64_t cdc_max_bytes;      /* default 1 MiB */
  int cdc_norm_level;         /* default 0 */
  void (*progress)(void *user, const parq_repack_progress *p); /* may be NULL */
  void *progress_user;
  int (*cancel)(void *user);  /* polled; nonzero stops with PARQ_EIO "interrupted" */
  void *cancel_user;
} parq_repack_options;

PARQ_API void parq_repack_options_init(parq_repack_options *opt);
PARQ_API parq_status parq_repack(const parq_repack_options *opt, parq_error *err);

/* ------------------------------------------------------------------ */
/* CDC and dedup
 *
 * An estimator of what content-addressed storage (chunk-level dedup, as in a
 * dataset hub's storage layer) would keep of a set of files: each file's
 * bytes are cut into content-defined chunks (gear hash, 64 KiB target, 8 KiB
 * min, 128 KiB max), chunks are identified by XXH3-128, and a chunk counts as
 * new the first time it is seen. Files are streamed (bounded memory). */
typedef struct parq_dedup parq_dedup;

typedef struct parq_dedup_file_info {
  const char *path;   /* as given; owned by the parq_dedup */
  int64_t bytes;      /* file size */
  int64_t new_bytes;  /* bytes in chunks first seen in this file */
  int64_t chunks, new_chunks;
} parq_dedup_file_info;

typedef struct parq_dedup_totals {
  int64_t total_bytes, unique_bytes;
  int64_t compressed_unique_bytes; /* unique chunks each compressed with zstd level 3 */
  double ratio;                    /* unique / total (0 when empty); lower is better */
  size_t n_files;
} parq_dedup_totals;

PARQ_API parq_status parq_dedup_new(parq_dedup **out, parq_error *err);
PARQ_API void parq_dedup_free(parq_dedup *d);
/* Chunk one more file (read in blocks) / an in-memory buffer named `name`. */
PARQ_API parq_status parq_dedup_add_file(parq_dedup *d, const char *path, parq_error *err);
PARQ_API parq_status parq_dedup_add_memory(parq_dedup *d, const char *name, const void *data,
                                           size_t size, parq_error *err);
PARQ_API void parq_dedup_get_totals(const parq_dedup *d, parq_dedup_totals *out);
/* i < n_files; PARQ_EINVAL otherwise. */
PARQ_API parq_status parq_dedup_file(const parq_dedup *d, size_t i, parq_dedup_file_info *out);
/* Sizes of file i's chunks in order, and whether each was new (1) or shared
 * (0); pointers owned by d, valid until the next add or free. */
PARQ_API parq_status parq_dedup_chunks(const parq_dedup *d, size_t i, const uint32_t **sizes,
                                       const uint8_t **is_new, size_t *n);
/* One horizontal strip per file, chunks in order coloured new (orange) vs
 * shared (blue), with a legend and the figures, as a PNG at `path`. */
PARQ_API parq_status parq_dedup_write_png(const parq_dedup *d, const char *path, parq_error *err);

/* Parquet-level comparison of a new version `b` against an old one `a`: per
 * leaf column (in `b`), how many of b's pages (dictionary and data; page
 * bytes hashed with XXH3-128) do not occur anywhere in the same column of a. */
typedef struct parq_page_diff {
  char *column;            /* dotted path */
  int64_t pages, changed_pages;
  int64_t bytes, changed_bytes; /* page header + body bytes */
} parq_page_diff;

PARQ_API parq_status parq_dedup_pages(const char *a, const char *b, parq_page_diff **out,
                                      size_t *n, parq_error *err);
PARQ_API void parq_page_diff_free(parq_page_diff *d, size_t n);


/* ------------------------------------------------------------------ */
/* Store (dataset)
 *
 * A store is a directory many processes append to at once without locks:
 * every append is one durable, uniquely named increment file; consolidation
 * folds increments into data files (de-duplicating by the store's key, the
 * latest acknowledged version winning) and publishes a new snapshot
 * atomically. See docs/STORE.md for the layout and the guarantees. */

/* Create a store. key: column names (may be empty: all rows kept). schema
 * may be NULL (the first append fixes it). */
PARQ_API parq_status parq_store_init(const char *dir, const char *const *key, size_t n_key,
                                     const struct ArrowSchema *schema, parq_error *err);
/* One increment from batches of `schema`. Returns PARQ_OK only once the
 * increment is durable and visible (acknowledged). *name_out (may be NULL)
 * receives its file name; free with parq_free(). Compatible schema changes
 * (new nullable column, int32->int64, float->double) add a schema version;
 * others fail with PARQ_ESCHEMA naming the column. */
PARQ_API parq_status parq_store_append(const char *dir, const struct ArrowSchema *schema,
                                       const struct ArrowArray *const *batches, size_t n_batches,
                                       char **name_out, parq_error *err);
/* Same from a file: .parquet, .csv/.tsv, .jsonl/.ndjson (else JSONL); "-" = JSONL
 * on stdin. An empty input appends nothing (*name_out NULL). */
PARQ_API parq_status parq_store_append_file(const char *dir, const char *path, char **name_out,
                                            int64_t *rows_out, parq_error *err);
/* Import a JSON store: a JSON array of objects, or JSON Lines. */
PARQ_API parq_status parq_store_import(const char *dir, const char *path, char **name_out,
                                       int64_t *rows_out, parq_error *err);

typedef struct parq_store_consolidate_options {
  int64_t target_file_bytes; /* data file size target (default 128 MiB) */
  int64_t memory_limit;      /* key table cap (default 1 GiB) */
  double grace_seconds;      /* replaced files live at least this long (default 60) */
} parq_store_consolidate_options;
typedef struct parq_store_consolidate_result {
  int ran;                   /* 0: nothing to do, or another consolidation holds the store */
  int64_t snapshot, increments, rows_in, rows_out, files, bytes_written, removed;
  char message[256];
} parq_store_consolidate_result;
PARQ_API void parq_store_consolidate_options_init(parq_store_consolidate_options *o);
PARQ_API parq_status parq_store_consolidate(const char *dir,
                                            const parq_store_consolidate_options *opt,
                                            parq_store_consolidate_result *res, parq_error *err);

/* The current state (data + pending increments, de-duplicated, rows matching
 * ALL predicates), batch by batch in the latest schema. fn is called with
 * batch == NULL once for an empty store. */
typedef parq_status (*parq_store_batch_fn)(void *user, const struct ArrowSchema *schema,
                                           const struct ArrowArray *batch, parq_error *err);
PARQ_API parq_status parq_store_read(const char *dir, const parq_predicate *preds, size_t n_preds,
                                     parq_store_batch_fn fn, void *user, int64_t *rows_out,
                                     parq_error *err);

typedef struct parq_store_health_info {
  int64_t snapshot, key_columns, schema_versions;
  int64_t data_files, data_rows, data_bytes;
  int64_t increments, increment_rows, increment_bytes;
  double oldest_increment_age; /* seconds; -1 when none pending */
} parq_store_health_info;
PARQ_API parq_status parq_store_health(const char *dir, parq_store_health_info *h,
                                       parq_error *err);

/* Merge Parquet files into one. mode: 0 auto (copy column chunks when every
 * input has the first's schema and codecs and its row groups are already >=
 * row_group_bytes/2; else decode + re-encode into well-sized row groups),
 * 1 force copy, 2 force re-encode. Inputs are opened one at a time. */
typedef struct parq_merge_options {
  int64_t row_group_bytes; /* default 128 MiB */
  int mode;
} parq_merge_options;
typedef struct parq_merge_result {
  int copied;              /* 1: chunks were copied, 0: re-encoded */
  int64_t rows, row_groups, bytes;
} parq_merge_result;
PARQ_API parq_status parq_merge(const char *const *inputs, size_t n_inputs, const char *output,
                                const parq_merge_options *opt, parq_merge_result *res,
                                parq_error *err);

#ifdef __cplusplus
}
#endif
#endif /* PARQ_H */
