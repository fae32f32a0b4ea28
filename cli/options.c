/* Option parsing helpers shared by the commands: "-x VALUE", "--long VALUE"
 * and "--long=VALUE", and bounded numbers. Messages go through usage_error. */
#include "base/util.h"
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool cli_opt_is(const char *arg, const char *short_name, const char *long_name)
{
	size_t n = strlen(long_name);
	if (short_name && strcmp(arg, short_name) == 0)
		return true;
	return strncmp(arg, long_name, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

const char *cli_opt_value(const char *cmd, int argc, char **argv, int *i)
{
	const char *eq = strchr(argv[*i], '=');
	if (str_starts(argv[*i], "--") && eq)
		return eq + 1;
	if (*i + 1 >= argc) {
		usage_error(cmd, "option '%s' needs a value", argv[*i]);
		return NULL;
	}
	return argv[++*i];
}

int cli_opt_number(const char *cmd, int argc, char **argv, int *i, long min, long max, long *out)
{
	const char *opt = argv[*i];
	const char *v = cli_opt_value(cmd, argc, argv, i);
	char *end;
	if (!v)
		return -1;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < min || n > max) {
		usage_error(cmd, "%.*s needs a number from %ld to %ld, not '%s'", (int)strcspn(opt, "="), opt,
			    min, max, v);
		return -1;
	}
	*out = n;
	return 0;
}
