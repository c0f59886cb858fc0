/* gencorpus.c — deterministic FineWeb-like corpus generator (JSON Lines or CSV).
 *
 *   gencorpus --bytes N | --rows N [--seed S] [--out FILE|-] [--avg-chars 3000]
 *             [--format jsonl|csv]
 *
 * Each row mimics a FineWeb record: {"text", "id", "dump", "url", "date", "file_path",
 * "language", "language_score", "token_count", "score", "int_score"}. The text is
 * English-like prose drawn from a fixed vocabulary (real function words at the top
 * ranks, ~5000 generated words below, Zipf-distributed) with numbers, paragraphs,
 * quotes and occasional non-ASCII characters, so it compresses like real web text
 * (zstd -3 about 3x). Same arguments => identical bytes on every machine: the
 * vocabulary comes from a fixed internal seed and only libc is used.
 *
 * Speed matters (benchmarks generate gigabytes): words are pre-rendered into
 * fixed 16-byte slots and copied with one memcpy; Zipf sampling is one table lookup. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOT 16                 /* bytes per pre-rendered word (longest word < 16) */
#define N_GEN_WORDS 5000        /* generated vocabulary beside the function words */
#define ZIPF_BITS 16
#define ZIPF_Q 2.7        /* Zipf-Mandelbrot offset: tuned for zstd -3 ratio ~3 */
#define OUTBUF (1u << 20)
#define ROW_MAX_SLACK (1u << 16) /* flush when less than this is left for the fields */

/* ---- PRNG: wyrand (tiny, fast, good enough for synthetic text). ---- */
typedef struct { uint64_t s; } rng;
static inline uint64_t rnext(rng *r) {
  r->s += 0xa0761d6478bd642full;
  __uint128_t m = (__uint128_t)r->s * (r->s ^ 0xe7037ed1a0b428dbull);
  return (uint64_t)(m >> 64) ^ (uint64_t)m;
}
static inline uint32_t rbelow(rng *r, uint32_t n) {
  return (uint32_t)(((rnext(r) & 0xffffffffull) * n) >> 32);
}
static inline double runit(rng *r) { return (double)(rnext(r) >> 11) * 0x1.0p-53; }

/* ---- Fixed vocabulary ---- */
/* The most frequent English words, most frequent first (real text's top ranks). */
static const char *const k_common[] = {
  "the", "of", "and", "to", "a", "in", "is", "that", "for", "it", "as", "was", "with", "be",
  "by", "on", "not", "he", "this", "are", "or", "his", "from", "at", "which", "but", "have",
  "an", "had", "they", "you", "were", "their", "one", "all", "we", "can", "her", "has",
  "there", "been", "if", "more", "when", "will", "would", "who", "so", "no", "she", "other",
  "its", "may", "these", "about", "them", "than", "some", "out", "into", "any", "what",
  "time", "only", "also", "our", "new", "after", "do", "your", "first", "how", "most",
  "people", "over", "such", "like", "just", "many", "then", "well", "make", "each", "use",
  "where", "work", "year", "very", "through", "good", "me", "because", "those", "should",
  "even", "could", "way", "both", "made", "while", "here", "must", "between", "home",
  "information", "world", "life", "help", "different", "best", "data", "system", "business",
  "water", "school", "service", "family", "health", "online", "design", "company",
};
#define N_COMMON (sizeof k_common / sizeof k_common[0])

static const char *const k_onsets[] = {
  "b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w",
  "br", "cl", "cr", "dr", "fl", "gr", "pl", "pr", "sh", "st", "th", "tr", "ch", "sp", "str",
};
static const char *const k_vowels[] = {
  "a", "e", "i", "o", "u", "ea", "ou", "io", "ai", "ee", "y",
};
static const char *const k_codas[] = {
  "", "", "", "", "n", "r", "s", "t", "l", "nd", "st", "ng", "ck", "m", "rt", "ll",
};
static const char *const k_suffixes[] = {
  "", "", "", "", "", "s", "ed", "ing", "er", "ly", "tion", "ment", "al", "ness", "ity",
};

/* Words containing non-ASCII, with their JSON \u-escaped spelling. The generator uses
 * either spelling (both are valid JSON for the same string); CSV always gets UTF-8. */
typedef struct { const char *utf8, *escaped; } special_word;
static const special_word k_special[] = {
  {"café", "caf\\u00e9"},
  {"naïve", "na\\u00efve"},
  {"résumé", "r\\u00e9sum\\u00e9"},
  {"über", "\\u00fcber"},
  {"São Paulo", "S\\u00e3o Paulo"},
  {"Zürich", "Z\\u00fcrich"},
  {"façade", "fa\\u00e7ade"},
  {"€20", "\\u20ac20"},
  {"—", "\\u2014"},
  {"😀", "\\ud83d\\ude00"},
  {"👍", "\\ud83d\\udc4d"},
  {"🚀", "\\ud83d\\ude80"},
  {"日本", "\\u65e5\\u672c"},
  {"Ελλάδα", "\\u0395\\u03bb\\u03bb\\u03ac\\u03b4\\u03b1"},
};
#define N_SPECIAL (sizeof k_special / sizeof k_special[0])

static const char *const k_dumps[] = {
  "CC-MAIN-2013-20", "CC-MAIN-2014-15", "CC-MAIN-2015-22", "CC-MAIN-2016-07",
  "CC-MAIN-2017-13", "CC-MAIN-2018-05", "CC-MAIN-2018-43", "CC-MAIN-2019-09",
  "CC-MAIN-2019-35", "CC-MAIN-2020-10", "CC-MAIN-2020-45", "CC-MAIN-2021-04",
  "CC-MAIN-2021-31", "CC-MAIN-2022-05", "CC-MAIN-2022-33", "CC-MAIN-2023-06",
  "CC-MAIN-2023-23", "CC-MAIN-2023-50", "CC-MAIN-2024-10", "CC-MAIN-2024-18",
};
#define N_DUMPS (sizeof k_dumps / sizeof k_dumps[0])
static const char *const k_tlds[] = {".com", ".org", ".net", ".co.uk", ".io", ".info", ".edu", ".de"};
#define N_TLDS (sizeof k_tlds / sizeof k_tlds[0])

typedef struct {
  char *words;      /* N slots of SLOT bytes: lower-case forms */
  char *caps;       /* the same, capitalised (sentence starts) */
  uint8_t *len;     /* byte length of each */
  uint16_t *zipf;   /* 2^ZIPF_BITS entries: uniform bits -> word index by frequency */
  uint32_t n;
} vocab;

static void put_word(vocab *v, uint32_t i, const char *w) {
  size_t l = strlen(w);
  if (l > SLOT - 1) l = SLOT - 1;
  memcpy(v->words + (size_t)i * SLOT, w, l);
  memcpy(v->caps + (size_t)i * SLOT, w, l);
  char *c = v->caps + (size_t)i * SLOT;
  if (c[0] >= 'a' && c[0] <= 'z') c[0] = (char)(c[0] - 'a' + 'A');
  v->len[i] = (uint8_t)l;
}

static int vocab_init(vocab *v) {
  v->n = (uint32_t)(N_COMMON + N_GEN_WORDS);
  v->words = calloc(v->n, SLOT);
  v->caps = calloc(v->n, SLOT);
  v->len = calloc(v->n, 1);
  v->zipf = malloc(sizeof(uint16_t) << ZIPF_BITS);
  if (!v->words || !v->caps || !v->len || !v->zipf) return -1;
  for (uint32_t i = 0; i < N_COMMON; i++) put_word(v, i, k_common[i]);
  /* Generated words: fixed seed, so the vocabulary never depends on --seed. Lower ranks
   * get more syllables, as rarer real words tend to be longer. */
  rng r = {0x5eed0f0cab1a7e5ull};
  for (uint32_t i = 0; i < N_GEN_WORDS; i++) {
    char w[64];
    size_t l = 0;
    uint32_t syl = 1 + (i > 300) + (i > 1500) + rbelow(&r, 2);
    for (uint32_t s = 0; s < syl; s++) {
      /* Separate statements: argument/initialiser evaluation order is unspecified,
       * and the output must not depend on the compiler. */
      const char *parts[3];
      parts[0] = k_onsets[rbelow(&r, sizeof k_onsets / sizeof *k_onsets)];
      parts[1] = k_vowels[rbelow(&r, sizeof k_vowels / sizeof *k_vowels)];
      parts[2] = s + 1 == syl ? k_codas[rbelow(&r, sizeof k_codas / sizeof *k_codas)] : "";
      for (int p = 0; p < 3; p++) {
        size_t pl = strlen(parts[p]);
        memcpy(w + l, parts[p], pl);
        l += pl;
      }
    }
    const char *suf = k_suffixes[rbelow(&r, sizeof k_suffixes / sizeof *k_suffixes)];
    size_t sl = strlen(suf);
    if (l + sl < SLOT - 1) {
      memcpy(w + l, suf, sl);
      l += sl;
    }
    w[l] = 0;
    put_word(v, (uint32_t)N_COMMON + i, w);
  }
  /* Zipf-Mandelbrot weights 1/(rank + ZIPF_Q) (exponent 1, as in natural language);
   * table slot j maps to the rank whose cumulative weight covers (j + 0.5) / 2^ZIPF_BITS.
   * Plain divisions and a fixed summation order keep the table bit-identical everywhere. */
  double total = 0;
  for (uint32_t i = 0; i < v->n; i++) total += 1.0 / (i + ZIPF_Q);
  double cum = 0;
  uint32_t rank = 0;
  for (uint32_t j = 0; j < (1u << ZIPF_BITS); j++) {
    double target = (j + 0.5) / (double)(1u << ZIPF_BITS) * total;
    while (rank + 1 < v->n && cum + 1.0 / (rank + ZIPF_Q) < target) {
      cum += 1.0 / (rank + ZIPF_Q);
      rank++;
    }
    v->zipf[j] = (uint16_t)rank;
  }
  return 0;
}

static void vocab_free(vocab *v) {
  free(v->words);
  free(v->caps);
  free(v->len);
  free(v->zipf);
}

/* ---- Output ---- */
typedef struct {
  FILE *f;
  char *buf;
  size_t n;
  uint64_t total;
  int csv;
} out_t;

static int out_flush(out_t *o) {
  if (o->n && fwrite(o->buf, 1, o->n, o->f) != o->n) return -1;
  o->total += o->n;
  o->n = 0;
  return 0;
}
static inline void out_mem(out_t *o, const char *s, size_t l) {
  memcpy(o->buf + o->n, s, l);
  o->n += l;
}
static inline void out_str(out_t *o, const char *s) { out_mem(o, s, strlen(s)); }
static inline void out_ch(out_t *o, char c) { o->buf[o->n++] = c; }

/* A string field in the row's format: JSON string or CSV field (none of the
 * non-text fields needs quoting or escaping). */
static void field_begin(out_t *o, const char *name, int first) {
  if (o->csv) {
    if (!first) out_ch(o, ',');
  } else {
    out_str(o, first ? "{\"" : ",\"");
    out_str(o, name);
    out_str(o, "\":");
  }
}

/* ---- Text body ---- */
/* Emits about `target` bytes of prose straight into the buffer (caller guarantees room:
 * target is capped far below the buffer slack). Returns the UTF-8 length of the text;
 * lengths are counted unescaped so JSONL and CSV give the same texts for a seed. */
static size_t gen_text(out_t *o, const vocab *v, rng *r, size_t target) {
  const int csv = o->csv;
  const char *nl = csv ? "\n" : "\\n";
  const size_t nl_len = csv ? 1 : 2;
  const char *quote = csv ? "\"\"" : "\\\"";
  const size_t q_extra = 1, nl_extra = csv ? 0 : 1; /* escape overhead */
  size_t start = o->n, extra = 0;
  uint32_t sent_in_par = 0, par_len = 3 + rbelow(r, 6);
  while (o->n - start - extra < target) {
    /* One sentence. */
    uint32_t words = 4 + rbelow(r, 22);
    int quoted = rbelow(r, 40) == 0;
    if (quoted) out_str(o, quote), extra += q_extra;
    for (uint32_t w = 0; w < words; w++) {
      uint64_t x = rnext(r);
      uint32_t idx = v->zipf[x & ((1u << ZIPF_BITS) - 1)];
      uint32_t kind = (uint32_t)(x >> 16) & 1023; /* 10 bits for rare events */
      if (w) out_ch(o, ' ');
      if (kind < 18 && w) {
        /* Numbers: years, counts, prices, percentages. */
        char num[32];
        uint32_t y = (uint32_t)(x >> 32);
        int nlen;
        switch (kind % 4) {
        case 0: nlen = snprintf(num, sizeof num, "%u", 1900 + y % 130); break;
        case 1: nlen = snprintf(num, sizeof num, "%u", y % 1000); break;
        case 2: nlen = snprintf(num, sizeof num, "$%u.%02u", y % 500, (y >> 10) % 100); break;
        default: nlen = snprintf(num, sizeof num, "%u%%", y % 101); break;
        }
        out_mem(o, num, (size_t)nlen);
        continue;
      }
      if (kind >= 18 && kind < 22 && w) {
        const special_word *sp = &k_special[(x >> 32) % N_SPECIAL];
        if (!csv && ((x >> 40) & 1)) {
          out_str(o, sp->escaped);
          extra += strlen(sp->escaped) - strlen(sp->utf8);
        } else {
          out_str(o, sp->utf8);
        }
        continue;
      }
      const char *src = (w == 0 ? v->caps : v->words) + (size_t)idx * SLOT;
      memcpy(o->buf + o->n, src, SLOT); /* fixed-size copy; only len bytes are kept */
      o->n += v->len[idx];
      if (kind >= 22 && kind < 60 && w + 1 < words) out_ch(o, ',');
    }
    uint32_t end = rbelow(r, 20);
    out_ch(o, end == 0 ? '?' : end == 1 ? '!' : '.');
    if (quoted) out_str(o, quote), extra += q_extra;
    if (++sent_in_par >= par_len) {
      /* Paragraph break: a blank line or a plain line break, like scraped pages. */
      out_mem(o, nl, nl_len);
      extra += nl_extra;
      if (rbelow(r, 3)) out_mem(o, nl, nl_len), extra += nl_extra;
      sent_in_par = 0;
      par_len = 2 + rbelow(r, 7);
    } else {
      out_ch(o, ' ');
    }
  }
  /* Drop a trailing separator so texts end with punctuation. */
  while (o->n > start && (o->buf[o->n - 1] == ' ' || o->buf[o->n - 1] == '\n' ||
                          (!csv && o->n - start >= 2 && o->buf[o->n - 2] == '\\' &&
                           o->buf[o->n - 1] == 'n'))) {
    if (o->buf[o->n - 1] == 'n' && !csv) o->n -= 2, extra -= nl_extra;
    else o->n -= 1;
  }
  return o->n - start - extra;
}

static void gen_word_lower(out_t *o, const vocab *v, rng *r) {
  uint32_t idx = (uint32_t)N_COMMON + rbelow(r, N_GEN_WORDS);
  out_mem(o, v->words + (size_t)idx * SLOT, v->len[idx]);
}

/* ---- One row ---- */
static void gen_row(out_t *o, const vocab *v, rng *r, double avg_chars) {
  char tmp[256];
  int n;
  /* Text length: many short pages and a long tail, clamped so a row always fits the
   * buffer slack. No libm anywhere: output must be bit-identical across platforms. */
  double len = 4.0 * runit(r) * runit(r) * avg_chars; /* mean avg, skewed short, tail 4x */
  if (len < 40) len = 40 + runit(r) * 60;
  if (len > 40000) len = 40000;
  uint32_t dump = rbelow(r, N_DUMPS);
  const char *dname = k_dumps[dump];
  int year = atoi(dname + 8);

  field_begin(o, "text", 1);
  out_ch(o, '"');
  size_t text_bytes = gen_text(o, v, r, (size_t)len);
  out_ch(o, '"');

  /* id: a version-4 UUID. */
  uint64_t a = rnext(r), b = rnext(r);
  field_begin(o, "id", 0);
  n = snprintf(tmp, sizeof tmp, "\"<urn:uuid:%08x-%04x-4%03x-%04x-%012llx>\"", (unsigned)(a >> 32),
               (unsigned)(a >> 16) & 0xffff, (unsigned)a & 0xfff,
               (unsigned)(0x8000 | ((b >> 48) & 0x3fff)), (unsigned long long)(b & 0xffffffffffffull));
  out_mem(o, tmp, (size_t)n);

  field_begin(o, "dump", 0);
  out_ch(o, '"');
  out_str(o, dname);
  out_ch(o, '"');

  /* url: host from two vocabulary words, path of a few words. */
  field_begin(o, "url", 0);
  out_str(o, "\"https://");
  if (rbelow(r, 2)) out_str(o, "www.");
  gen_word_lower(o, v, r);
  if (rbelow(r, 2)) gen_word_lower(o, v, r);
  out_str(o, k_tlds[rbelow(r, N_TLDS)]);
  if (rbelow(r, 3) == 0) {
    int py = year - (int)rbelow(r, 5);
    uint32_t pm = 1 + rbelow(r, 12);
    n = snprintf(tmp, sizeof tmp, "/%d/%02u", py, pm);
    out_mem(o, tmp, (size_t)n);
  }
  out_ch(o, '/');
  for (uint32_t k = 0, nw = 1 + rbelow(r, 5); k < nw; k++) {
    if (k) out_ch(o, '-');
    gen_word_lower(o, v, r);
  }
  if (rbelow(r, 4) == 0) out_str(o, ".html");
  out_ch(o, '"');

  /* date and file_path consistent with the dump's year. */
  uint32_t month = 1 + rbelow(r, 12), day = 1 + rbelow(r, 28);
  uint32_t hh = rbelow(r, 24), mm = rbelow(r, 60), ss = rbelow(r, 60);
  field_begin(o, "date", 0);
  n = snprintf(tmp, sizeof tmp, "\"%04d-%02u-%02uT%02u:%02u:%02uZ\"", year, month, day, hh, mm, ss);
  out_mem(o, tmp, (size_t)n);

  field_begin(o, "file_path", 0);
  uint32_t seg = 1700000000u + rbelow(r, 10000000), sub = rbelow(r, 100);
  uint32_t part = rbelow(r, 100000);
  n = snprintf(tmp, sizeof tmp,
               "\"s3://commoncrawl/crawl-data/%s/segments/%u.%u/warc/CC-MAIN-%04d%02u%02u%02u%02u%02u-%05u.warc.gz\"",
               dname, seg, sub, year, month, day, hh, mm, ss, part);
  out_mem(o, tmp, (size_t)n);

  field_begin(o, "language", 0);
  out_str(o, "\"en\"");

  double u1 = runit(r), u2 = runit(r);
  double lscore = 0.65 + 0.35 * (u1 > u2 ? u1 : u2); /* max of two uniforms: skewed high */
  field_begin(o, "language_score", 0);
  n = snprintf(tmp, sizeof tmp, "%.17g", lscore);
  out_mem(o, tmp, (size_t)n);

  field_begin(o, "token_count", 0);
  n = snprintf(tmp, sizeof tmp, "%u", (unsigned)(text_bytes * 10 / 45 + rbelow(r, 20)));
  out_mem(o, tmp, (size_t)n);

  double score = 2.5 + runit(r) * 2.2;
  field_begin(o, "score", 0);
  n = snprintf(tmp, sizeof tmp, "%.17g", score);
  out_mem(o, tmp, (size_t)n);

  field_begin(o, "int_score", 0);
  n = snprintf(tmp, sizeof tmp, "%d", (int)(score + 0.5));
  out_mem(o, tmp, (size_t)n);

  if (!o->csv) out_ch(o, '}');
  out_ch(o, '\n');
}

static void usage(FILE *f) {
  fputs("usage: gencorpus --bytes N | --rows N [--seed S] [--out FILE|-] [--avg-chars 3000]\n"
        "                 [--format jsonl|csv]\n"
        "Writes a deterministic FineWeb-like corpus (text,id,dump,url,date,file_path,language,\n"
        "language_score,token_count,score,int_score). N accepts K/M/G suffixes (powers of 1024).\n"
        "--bytes stops after the row that reaches N bytes; same arguments give identical output.\n",
        f);
}

static int parse_u64(const char *s, uint64_t *out) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || end == s || *s == '-') return -1;
  uint64_t mul = 1;
  if (*end == 'k' || *end == 'K') mul = 1ull << 10, end++;
  else if (*end == 'm' || *end == 'M') mul = 1ull << 20, end++;
  else if (*end == 'g' || *end == 'G') mul = 1ull << 30, end++;
  if (*end) return -1;
  if (v > UINT64_MAX / mul) return -1;
  *out = v * mul;
  return 0;
}

int main(int argc, char **argv) {
  uint64_t bytes = 0, rows = 0, seed = 1, avg = 3000;
  int have_bytes = 0, have_rows = 0, csv = 0;
  const char *out_path = "-";
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(stdout);
      return 0;
    }
    if (i + 1 >= argc) {
      fprintf(stderr, "gencorpus: %s needs a value (or is unknown)\n", a);
      usage(stderr);
      return 2;
    }
    const char *val = argv[++i];
    int bad = 0;
    if (!strcmp(a, "--bytes")) bad = parse_u64(val, &bytes), have_bytes = 1;
    else if (!strcmp(a, "--rows")) bad = parse_u64(val, &rows), have_rows = 1;
    else if (!strcmp(a, "--seed")) bad = parse_u64(val, &seed);
    else if (!strcmp(a, "--avg-chars")) bad = parse_u64(val, &avg) || avg == 0 || avg > 20000;
    else if (!strcmp(a, "--out") || !strcmp(a, "-o")) out_path = val;
    else if (!strcmp(a, "--format")) {
      if (!strcmp(val, "jsonl")) csv = 0;
      else if (!strcmp(val, "csv")) csv = 1;
      else bad = 1;
    } else {
      fprintf(stderr, "gencorpus: unknown option %s\n", a);
      usage(stderr);
      return 2;
    }
    if (bad) {
      fprintf(stderr, "gencorpus: bad value for %s: %s\n", a, val);
      return 2;
    }
  }
  if (have_bytes == have_rows) {
    fprintf(stderr, "gencorpus: give exactly one of --bytes N or --rows N\n");
    usage(stderr);
    return 2;
  }

  vocab v;
  if (vocab_init(&v)) {
    fprintf(stderr, "gencorpus: out of memory\n");
    return 1;
  }
  out_t o = {0};
  o.csv = csv;
  o.buf = malloc(OUTBUF + ROW_MAX_SLACK * 4);
  o.f = strcmp(out_path, "-") ? fopen(out_path, "wb") : stdout;
  if (!o.buf || !o.f) {
    fprintf(stderr, "gencorpus: cannot open %s: %s\n", out_path, o.f ? "out of memory" : strerror(errno));
    vocab_free(&v);
    free(o.buf);
    return 1;
  }
  rng r = {seed * 0x9e3779b97f4a7c15ull + 0x2545f4914f6cdd1dull};
  int rc = 0;
  if (csv)
    out_str(&o, "text,id,dump,url,date,file_path,language,language_score,token_count,score,"
                "int_score\n");
  for (uint64_t row = 0;; row++) {
    if (have_rows ? row >= rows : o.total + o.n >= bytes) break;
    gen_row(&o, &v, &r, (double)avg);
    if (o.n >= OUTBUF && out_flush(&o)) {
      rc = 1;
      break;
    }
  }
  if (!rc && out_flush(&o)) rc = 1;
  if (!rc && fflush(o.f)) rc = 1;
  if (rc) fprintf(stderr, "gencorpus: write to %s failed: %s\n", out_path, strerror(errno));
  if (o.f != stdout && fclose(o.f) && !rc) {
    fprintf(stderr, "gencorpus: close %s failed: %s\n", out_path, strerror(errno));
    rc = 1;
  }
  vocab_free(&v);
  free(o.buf);
  return rc;
}
