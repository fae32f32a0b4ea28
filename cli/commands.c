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
	  "  -t, --template FILE        template (default: template.yaml, .yml or .json here)\n"
	  "      --parameter-overrides  K=V ... | ParameterKey=K,ParameterValue=V ... | file://F.json\n"
	  "  -h, --help                 this text\n",
	  cmd_local_invoke },
	{ "local start-api", "serve the template's API Gateway routes over warm functions",
	  "usage: lamb local start-api [-p PORT] [--host HOST] [-s DIR] [-l LOGFILE]\n"
	  "                            [--max-concurrency N] [--idle-timeout S] [--integration-timeout S]\n"
	  "                            [-t FILE] [--parameter-overrides ...]\n"
	  "\n"
	  "Serves every Api (REST, payload 1.0) and HttpApi (payload 2.0 or 1.0) route of the\n"
	  "template at the root of http://HOST:PORT, invoking functions through warm instances:\n"
	  "a request that finds no idle instance starts a new one. Stops on Ctrl-C.\n"
	  "\n"
	  "  -p, --port PORT            port to listen on (default 3000; 0 picks a free one)\n"
	  "      --host HOST            address to listen on (default 127.0.0.1)\n"
	  "  -s, --static-dir DIR       files served at / when no route matches (default: public/)\n"
	  "  -l, --log-file FILE        access lines, function logs and REPORT lines go there\n"
	  "      --max-concurrency N    instances per function (default 10)\n"
	  "      --idle-timeout S       idle instances stop after S seconds (default 600)\n"
	  "      --integration-timeout S  answer 504 after S seconds (default 29, as API Gateway)\n"
	  "  -t, --template FILE        template (default: template.yaml, .yml or .json here)\n"
	  "      --parameter-overrides  K=V ... | ParameterKey=K,ParameterValue=V ... | file://F.json\n"
	  "  -h, --help                 this text\n",
	  cmd_local_start_api },
	{ "local start-lambda", "serve the Lambda Invoke API for the AWS CLI and SDKs",
	  "usage: lamb local start-lambda [LOGICAL_ID ...] [-p PORT] [--host HOST] [-l LOGFILE]\n"
	  "                               [--max-concurrency N] [--idle-timeout S]\n"
	  "                               [-t FILE] [--parameter-overrides ...]\n"
	  "\n"
	  "Serves POST /2015-03-31/functions/NAME/invocations for the template's functions (or\n"
	  "only those named), so that 'aws lambda invoke --endpoint-url http://127.0.0.1:3001'\n"
	  "and the SDKs call them. NAME is a logical id, a FunctionName or an ARN.\n"
	  "X-Amz-Invocation-Type RequestResponse (200), Event (202) and DryRun (204).\n"
	  "\n"
	  "  -p, --port PORT            port to listen on (default 3001; 0 picks a free one)\n"
	  "      --host HOST            address to listen on (default 127.0.0.1)\n"
	  "  -l, --log-file FILE        access lines, function logs and REPORT lines go there\n"
	  "      --max-concurrency N    instances per function (default 10); beyond: 429\n"
	  "      --idle-timeout S       idle instances stop after S seconds (default 600)\n"
	  "  -t, --template FILE        template (default: template.yaml, .yml or .json here)\n"
	  "      --parameter-overrides  K=V ... | ParameterKey=K,ParameterValue=V ... | file://F.json\n"
	  "  -h, --help                 this text\n",
	  cmd_local_start_lambda },
	{ NULL, NULL, NULL, NULL },
};
