/* A main() for the fuzz targets where libFuzzer is not linked in (gcc
 * builds, meson test): feeds each file named on the command line, and each
 * file in each directory named, to LLVMFuzzerTestOneInput once. Under
 * ASan/UBSan (build-asan) this replays the seeds and any saved crash inputs
 * as ordinary regression tests. A directory that does not exist is empty. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Like libFuzzer's -timeout: an input that takes longer is a finding (a
 * hang, or work that grows out of proportion to the input). */
#define INPUT_SECONDS 5
static const char *current;

static void on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "replay: input took longer than 5 s: ";
	if (write(2, msg, sizeof(msg) - 1) < 0 || write(2, current, strlen(current)) < 0 ||
	    write(2, "\n", 1) < 0)
		_exit(1);
	_exit(1);
}

static int replay(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "replay: cannot open '%s': %s\n", path, strerror(errno));
		return -1;
	}
	size_t cap = 4096, len = 0;
	uint8_t *buf = malloc(cap);
	size_t n;
	while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap)
			buf = realloc(buf, cap *= 2);
	}
	int bad = !buf || ferror(f);
	fclose(f);
	if (bad) {
		fprintf(stderr, "replay: cannot read '%s'\n", path);
		free(buf);
		return -1;
	}
	current = path;
	alarm(INPUT_SECONDS);
	LLVMFuzzerTestOneInput(buf, len);
	alarm(0);
	free(buf);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file in dir, in name order so that runs compare. */
static int replay_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -1;
	char **names = NULL;
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		names = realloc(names, (n + 1) * sizeof(*names));
		if (!names || !(names[n] = malloc(strlen(dir) + strlen(e->d_name) + 2)))
			abort();
		sprintf(names[n++], "%s/%s", dir, e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	int status = 0;
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
			fprintf(stderr, "replay: %s\n", names[i]);
			if (replay(names[i]) < 0)
				status = -1;
		}
		free(names[i]);
	}
	free(names);
	return status;
}

int main(int argc, char **argv)
{
	int status = 0;
	signal(SIGALRM, on_alarm);
	for (int i = 1; i < argc; i++) {
		struct stat st;
		int r;
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			r = replay_dir(argv[i]);
		} else if (errno == ENOENT) {
			r = 0; /* an empty crashes/ is not in git */
		} else {
			fprintf(stderr, "replay: %s\n", argv[i]);
			r = replay(argv[i]);
		}
		if (r < 0)
			status = 1;
	}
	return status;
}
