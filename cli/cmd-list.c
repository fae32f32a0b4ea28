/* lamb list functions|endpoints|resources */
#include "cli.h"
#include "cli-template.h"

int cmd_list(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return fail("list: not written yet");
}
