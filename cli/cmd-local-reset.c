/* lamb local reset: empties what lamb local start keeps beside the template
 * (.lamb/sqs/ queues, .lamb/s3/ buckets, .lamb/async/ pending retries), leaving the build cache alone.
 * Run it while lamb local start is stopped. */
#include "base/util.h"
#include "cli-template.h"
#include "cli.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char cmd[] = "local reset";

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

/* Removes dir and everything under it; 0 when it is gone (or was never). */
static int remove_tree(const char *dir)
{
	if (access(dir, F_OK) != 0)
		return 0;
	if (nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS) < 0)
		return fail("cannot remove '%s': %s", dir, strerror(errno)), -1;
	printf("removed %s\n", dir);
	return 0;
}

int cmd_local_reset(int argc, char **argv)
{
	struct template_opts t;
	template_opts_init(&t);
	t.lenient = true;
	for (int i = 1; i < argc; i++) {
		int r = template_opts_parse(&t, cmd, argc, argv, &i);
		if (r < 0 || (r == 0 && strcmp(argv[i], "-h") != 0 && strcmp(argv[i], "--help") != 0)) {
			if (r == 0)
				usage_error(cmd, "unknown argument '%s'", argv[i]);
			template_opts_release(&t);
			return EXIT_USAGE;
		}
		if (r == 0) {
			print_help(lamb_command_find(cmd), stdout);
			template_opts_release(&t);
			return EXIT_OK;
		}
	}
	struct lamb_diags diags;
	lamb_diags_init(&diags);
	struct lamb_model *m = template_opts_load(&t, &diags);
	int status = EXIT_FAIL;
	if (!m || diags.errors) {
		lamb_diags_sort(&diags);
		lamb_diags_print(&diags, stderr);
	} else {
		char *sqs = xasprintf("%s/.lamb/sqs", m->dir), *s3 = xasprintf("%s/.lamb/s3", m->dir);
		char *async = xasprintf("%s/.lamb/async", m->dir);
		status = remove_tree(sqs) == 0 && remove_tree(s3) == 0 && remove_tree(async) == 0 ? EXIT_OK : EXIT_FAIL;
		free(sqs);
		free(s3);
		free(async);
	}
	lamb_model_free(m);
	lamb_diags_release(&diags);
	template_opts_release(&t);
	return cli_flush_stdout() < 0 ? EXIT_FAIL : status;
}
