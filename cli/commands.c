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
	{ "init", "create a new project from a bundled template, offline",
	  "usage: lamb init [--name NAME] [--runtime RUNTIME] [--app-template TEMPLATE] [-o DIR]\n"
	  "                 [--no-interactive]\n"
	  "       lamb init --list\n"
	  "\n"
	  "Writes a new project (template.yaml, a handler, events/event.json, a README and a\n"
	  "test) into DIR/NAME from the templates installed with lamb. On a terminal it asks\n"
	  "for what the options do not say; without one, or with --no-interactive, it takes\n"
	  "the defaults.\n"
	  "\n"
	  "      --name NAME            project name and directory (default: lamb-app)\n"
	  "      --runtime RUNTIME      python3.8-3.14, nodejs18.x-24.x, provided.al2023, ...\n"
	  "      --app-template NAME    template (default: hello-world); see --list\n"
	  "  -o, --output-dir DIR       where the project directory goes (default: .)\n"
	  "      --no-interactive       never ask\n"
	  "      --list                 print the templates with their runtimes\n"
	  "  -h, --help                 this text\n",
	  cmd_init },
	{ "local generate-event", "print a sample event of an AWS service",
	  "usage: lamb local generate-event\n"
	  "       lamb local generate-event SERVICE\n"
	  "       lamb local generate-event SERVICE EVENT [--OPTION VALUE ...]\n"
	  "\n"
	  "Without arguments, lists the services; with a SERVICE, its events; with an EVENT,\n"
	  "prints the event as JSON on stdout, with each --OPTION's value in place, ready for\n"
	  "'lamb local invoke -e -'. 'SERVICE EVENT -h' lists the event's options and defaults.\n"
	  "\n"
	  "  -h, --help                 this text, or the events or options of SERVICE [EVENT]\n",
	  cmd_generate_event },
	{ NULL, NULL, NULL, NULL },
};
