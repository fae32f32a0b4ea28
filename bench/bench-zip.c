/* bench-zip ROOT DEST: lamb's zip writer alone on a tree (scan, sort, zip,
 * fsync, rename), for bench/build to time against Info-ZIP and Python. */
#include "build/tree.h"
#include "build/zip.h"

#include <stdio.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: bench-zip ROOT DEST\n");
		return 2;
	}
	struct lamb_tree t;
	struct lamb_err err;
	lamb_tree_init(&t);
	struct lamb_zip_opts o = { .mtime = -1 };
	int r = lamb_tree_scan(&t, argv[1], NULL, &err);
	if (r == 0)
		r = lamb_zip_write(&t, argv[2], &o, NULL, &err);
	if (r < 0)
		fprintf(stderr, "bench-zip: %s\n", err.msg);
	lamb_tree_release(&t);
	return r < 0 ? 1 : 0;
}
