/*
 * replay.c: runs a libFuzzer entry point over saved inputs, without libFuzzer,
 * so that every compiler (and the sanitizer build) replays the seed corpora
 * and past crashes as an ordinary test.
 *
 *   replay_<name> PATH...
 *
 * Each PATH is a file or a directory; a directory's files run in name order
 * (hidden files and subdirectories are skipped, as libFuzzer does). Each file
 * is copied into a buffer of exactly its size, so that a sanitizer catches a
 * read past the end. Exits 0 after running every input, 1 if a PATH cannot be
 * read, 2 on bad usage; a crash in the entry point ends the run as it would.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional in a fuzz target, as in libFuzzer. */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

static int s_run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        fprintf(stderr, "replay: cannot stat %s: %s\n", path, strerror(errno));
        fclose(f);
        return -1;
    }
    size_t size = (size_t)st.st_size;
    /* malloc(0) may return NULL; libFuzzer passes a valid pointer for an empty input. */
    uint8_t *data = malloc(size ? size : 1);
    if (!data) {
        fprintf(stderr, "replay: out of memory for %s (%zu bytes)\n", path, size);
        fclose(f);
        return -1;
    }
    if (size && fread(data, 1, size, f) != size) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        free(data);
        fclose(f);
        return -1;
    }
    fclose(f);

    /* Named before it runs, so a crash report says which input caused it. */
    printf("replay: %s (%zu bytes)\n", path, size);
    fflush(stdout);
    LLVMFuzzerTestOneInput(data, size);
    free(data);
    return 0;
}

static int s_skip_entry(const struct dirent *entry)
{
    return entry->d_name[0] != '.';
}

static int s_run_path(const char *path, long *run_count)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "replay: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        if (s_run_file(path) != 0)
            return -1;
        (*run_count)++;
        return 0;
    }

    struct dirent **entries = NULL;
    int n = scandir(path, &entries, s_skip_entry, alphasort);
    if (n < 0) {
        fprintf(stderr, "replay: cannot list %s: %s\n", path, strerror(errno));
        return -1;
    }
    int rc = 0;
    for (int i = 0; i < n; i++) {
        size_t len = strlen(path) + 1 + strlen(entries[i]->d_name) + 1;
        char *file = malloc(len);
        if (!file) {
            fprintf(stderr, "replay: out of memory\n");
            rc = -1;
        } else {
            snprintf(file, len, "%s/%s", path, entries[i]->d_name);
            if (stat(file, &st) == 0 && S_ISREG(st.st_mode)) {
                if (s_run_file(file) == 0)
                    (*run_count)++;
                else
                    rc = -1;
            }
            free(file);
        }
        free(entries[i]);
    }
    free(entries);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE_OR_DIRECTORY...\n", argv[0]);
        return 2;
    }
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);

    long run_count = 0;
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        if (s_run_path(argv[i], &run_count) != 0)
            rc = 1;
    }
    printf("replay: ran %ld input%s\n", run_count, run_count == 1 ? "" : "s");
    return rc;
}
