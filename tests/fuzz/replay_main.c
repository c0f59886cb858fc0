/* replay_main.c — runs the fuzz target (fuzz_reader.c) over every file of a
 * directory without libFuzzer: the inputs that once crashed it stay in
 * tests/fuzz/regressions and are replayed by CTest, so in the sanitizer build
 * a regression fails the suite instead of waiting for the fuzzer to find it
 * again. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

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
    long len = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    uint8_t *buf = len >= 0 ? malloc((size_t)len + 1) : NULL;
    int ok = buf && fseek(f, 0, SEEK_SET) == 0 && fread(buf, 1, (size_t)len, f) == (size_t)len;
    fclose(f);
    if (!ok) {
      fprintf(stderr, "%s: cannot read\n", path);
      free(buf);
      bad++;
      continue;
    }
    LLVMFuzzerTestOneInput(buf, (size_t)len);
    free(buf);
    n++;
  }
  closedir(d);
  printf("replayed %d fuzz regression input%s\n", n, n == 1 ? "" : "s");
  return bad ? 1 : 0;
}
