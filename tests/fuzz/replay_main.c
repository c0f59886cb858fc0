/* replay_main.c — runs the fuzz target (fuzz_reader.c) over every file of a
 * directory without libFuzzer: the inputs that once crashed it stay in
 * tests/fuzz/regressions and are replayed by CTest, so in the sanitizer build
 * a regression fails the suite instead of waiting for the fuzzer to find it
 * again. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  DIR *d = opendir(argv[1]);
  if (!d) {
    perror(argv[1]);
    return 1;
  }
  int n = 0, bad = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", argv[1], e->d_name);
    FILE *f = fopen(path, "rb");
    if (!f) {
      perror(path);
      bad++;
      continue;
    }
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0, k;
    uint8_t chunk[65536];
    while ((k = fread(chunk, 1, sizeof chunk, f)) > 0) {
      if (len + k > cap) {
        cap = (len + k) * 2;
        uint8_t *nb = realloc(buf, cap);
        if (!nb) {
          free(buf);
          fclose(f);
          fprintf(stderr, "out of memory\n");
          return 1;
        }
        buf = nb;
      }
      memcpy(buf + len, chunk, k);
      len += k;
    }
    fclose(f);
    LLVMFuzzerTestOneInput(buf ? buf : (const uint8_t *)"", len);
    free(buf);
    n++;
  }
  closedir(d);
  printf("replayed %d fuzz regression input%s\n", n, n == 1 ? "" : "s");
  return bad ? 1 : 0;
}
