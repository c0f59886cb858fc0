/* names.c — the public codec / encoding name helpers declared in parq.h.
 *
 * Parsing is case-insensitive and treats '-' like '_' (CLI friendliness). Names
 * printed are Parquet's own enum spellings, e.g. "LZ4_RAW", "RLE_DICTIONARY". */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "parq.h"

/* Compare text[0..len) with a lowercase name, ignoring case and '-' vs '_'. */
static int name_eq(const char *text, size_t len, const char *name) {
  size_t i = 0;
  for (; i < len && name[i]; i++) {
    char ch = (char)tolower((unsigned char)text[i]);
    if (ch == '-') ch = '_';
    if (ch != name[i]) return 0;
  }
  return i == len && name[i] == '\0';
}

typedef struct codec_name {
  const char *name;
  parq_codec codec;
} codec_name;

static const codec_name codec_names[] = {
    {"none", PARQ_CODEC_UNCOMPRESSED},
    {"uncompressed", PARQ_CODEC_UNCOMPRESSED},
    {"snappy", PARQ_CODEC_SNAPPY},
    {"gzip", PARQ_CODEC_GZIP},
    {"lzo", PARQ_CODEC_LZO},
    {"brotli", PARQ_CODEC_BROTLI},
    /* Bare "lz4" means LZ4_RAW: it is what modern writers mean by LZ4. */
    {"lz4", PARQ_CODEC_LZ4_RAW},
    {"lz4_raw", PARQ_CODEC_LZ4_RAW},
    {"lz4raw", PARQ_CODEC_LZ4_RAW},
    {"lz4_hadoop", PARQ_CODEC_LZ4},
    {"zstd", PARQ_CODEC_ZSTD},
};

/* Strict decimal integer (optional sign), no trailing junk. */
static int parse_int(const char *s, int *out) {
  if (!*s || isspace((unsigned char)*s)) return 0;
  char *end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || *end || v < -1000 || v > 1000) return 0;
  *out = (int)v;
  return 1;
}

static int level_ok(parq_codec c, int level) {
  switch (c) {
    case PARQ_CODEC_ZSTD: return (level >= 1 && level <= 22) || (level >= -7 && level <= -1);
    case PARQ_CODEC_GZIP: return level >= 1 && level <= 12; /* libdeflate's range */
    case PARQ_CODEC_BROTLI: return level >= 0 && level <= 11;
    default: return 0; /* no levels */
  }
}

parq_status parq_codec_parse(const char *text, parq_codec *codec, int *level) {
  if (!text || !codec) return PARQ_EINVAL;
  const char *colon = strchr(text, ':');
  size_t len = colon ? (size_t)(colon - text) : strlen(text);
  for (size_t i = 0; i < sizeof codec_names / sizeof codec_names[0]; i++) {
    if (!name_eq(text, len, codec_names[i].name)) continue;
    parq_codec c = codec_names[i].codec;
    int lv = 0;
    if (colon && (!parse_int(colon + 1, &lv) || !level_ok(c, lv))) return PARQ_EINVAL;
    *codec = c;
    if (level) *level = lv;
    return PARQ_OK;
  }
  return PARQ_EINVAL;
}

const char *parq_codec_name(parq_codec c) {
  switch (c) {
    case PARQ_CODEC_UNCOMPRESSED: return "UNCOMPRESSED";
    case PARQ_CODEC_SNAPPY: return "SNAPPY";
    case PARQ_CODEC_GZIP: return "GZIP";
    case PARQ_CODEC_LZO: return "LZO";
    case PARQ_CODEC_BROTLI: return "BROTLI";
    case PARQ_CODEC_LZ4: return "LZ4";
    case PARQ_CODEC_ZSTD: return "ZSTD";
    case PARQ_CODEC_LZ4_RAW: return "LZ4_RAW";
  }
  return "UNKNOWN";
}

typedef struct enc_name {
  const char *name;
  parq_encoding enc;
} enc_name;

static const enc_name enc_names[] = {
    {"default", PARQ_ENC_DEFAULT},
    {"plain", PARQ_ENC_PLAIN},
    {"plain_dictionary", PARQ_ENC_PLAIN_DICTIONARY},
    {"rle", PARQ_ENC_RLE},
    {"bit_packed", PARQ_ENC_BIT_PACKED},
    {"delta_binary_packed", PARQ_ENC_DELTA_BINARY_PACKED},
    {"delta_length_byte_array", PARQ_ENC_DELTA_LENGTH_BYTE_ARRAY},
    {"delta_byte_array", PARQ_ENC_DELTA_BYTE_ARRAY},
    {"rle_dictionary", PARQ_ENC_RLE_DICTIONARY},
    {"dictionary", PARQ_ENC_RLE_DICTIONARY},
    {"byte_stream_split", PARQ_ENC_BYTE_STREAM_SPLIT},
};

parq_status parq_encoding_parse(const char *text, parq_encoding *enc) {
  if (!text || !enc) return PARQ_EINVAL;
  size_t len = strlen(text);
  for (size_t i = 0; i < sizeof enc_names / sizeof enc_names[0]; i++) {
    if (name_eq(text, len, enc_names[i].name)) {
      *enc = enc_names[i].enc;
      return PARQ_OK;
    }
  }
  return PARQ_EINVAL;
}

const char *parq_encoding_name(parq_encoding e) {
  switch (e) {
    case PARQ_ENC_DEFAULT: return "DEFAULT";
    case PARQ_ENC_PLAIN: return "PLAIN";
    case PARQ_ENC_PLAIN_DICTIONARY: return "PLAIN_DICTIONARY";
    case PARQ_ENC_RLE: return "RLE";
    case PARQ_ENC_BIT_PACKED: return "BIT_PACKED";
    case PARQ_ENC_DELTA_BINARY_PACKED: return "DELTA_BINARY_PACKED";
    case PARQ_ENC_DELTA_LENGTH_BYTE_ARRAY: return "DELTA_LENGTH_BYTE_ARRAY";
    case PARQ_ENC_DELTA_BYTE_ARRAY: return "DELTA_BYTE_ARRAY";
    case PARQ_ENC_RLE_DICTIONARY: return "RLE_DICTIONARY";
    case PARQ_ENC_BYTE_STREAM_SPLIT: return "BYTE_STREAM_SPLIT";
  }
  return "UNKNOWN";
}
