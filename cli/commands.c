/* The command table: names, one-line summaries and --help texts. The man
 * pages in man/ say the same at length. */
#include "cli.h"

#include <stddef.h>

const struct lamb_command lamb_commands[] = {
	{ "validate", "check a SAM template and report every problem",
	  "usage: lamb validate [-t FILE] [--json] [--parameter-overrides ...]\n"
	  "\n"
	  "Checks the template and prints every problem as FILE:LINE:COLUMN: error|warning: ...\n"
	  "on stderr. Exits 1 when there is an error.\n"
	  "\n"
	  "  -t, --template FILE        template (default: template.yaml, .yml or .json here)\n"
	  "      --parameter-overrides  K=V ... | ParameterKey=K,ParameterValue=V ... | file://F.json\n"
	  "      --json                 print the problems as a JSON list on stdout\n"
	  "  -h, --help                 this text\n",
	  cmd_validate },
	{ "list", "list functions, endpoints or resources of a template",
	  "usage: lamb list functions|endpoints|resources [-t FILE] [--json] [--parameter-overrides ...]\n"
	  "\n"
	  "Prints what the template defines as lamb understands it, after Globals and\n"
	  "intrinsic functions are applied: a table, or JSON with --json.\n"
	  "\n"
	  "  -t, --template FILE        template (default: template.yaml, .yml or .json here)\n"
	  "      --parameter-overrides  K=V ... | ParameterKey=K,ParameterValue=V ... | file://F.json\n"
	  "      --json                 JSON on stdout\n"
	  "  -h, --help                 this text\n",
	  cmd_list },
	{ "local invoke", "run a function once with an event",
	  "usage: lamb local invoke [LOGICAL_ID] [-e FILE|-] [-n ENV] [-l LOGFILE] [--repeat N]\n"
	  "                         [-t FILE] [--parameter-overrides ...]\n"
	  "\n"
	  "Runs the function (LOGICAL_ID may be left out when the template has one function)\n"
	  "with the event and prints the response on stdout, followed by a newline. The\n"
	  "function's logs and START/END/REPORT go to stderr. Exits 1 when the function\n"
	  "fails, times out or crashes.\n"
	  "\n"
	  "  -e, --event FILE|-         the event (- reads stdin); default {}\n"
	  "  -n, --env-vars FILE        {\"Parameters\": {...}, \"LogicalId\": {...}} or a .env file\n"
	  "  -l, --log-file FILE        function logs and REPORT lines go there instead\n"
	  "      --repeat N             N invocations on the same warm instance, one response a line\n"
	  "      --layer-dir ARN=DIR    local content (directory or .zip) for a layer given by ARN\n"
	  "      --sandbox auto|on|off  code at /var/task and layers at /opt through bubblewrap\n"
	  "  -t, --template FILE        template (default: template.yaml, .yml or .json here)\n"
	  "      --parameter-overrides  K=V ... | ParameterKey=K,ParameterValue=V ... | file://F.json\n"
	  "  -h, --help                 this text\n",
	  cmd_local_invoke },
	{ NULL, NULL, NULL, NULL },
};
