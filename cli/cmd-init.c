/* lamb init: placeholder until the template copier lands. */
#include "cli.h"

int cmd_init(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return fail("lamb init is not written yet");
}
