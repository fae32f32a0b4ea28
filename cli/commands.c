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
	{ "build", "build functions and layers into zips and a template pointing at them",
	  "usage: lamb build [LOGICAL_ID] [-t FILE] [-b DIR] [--cached|--no-cached] [--parallel] [-q]\n"
	  "                  [--parameter-overrides ...]\n"
	  "\n"
	  "Builds every function and layer of the template (or LOGICAL_ID, with the layers it\n"
	  "uses) into DIR/<LogicalId>/, zips each into DIR/artifacts/<LogicalId>.zip and writes\n"
	  "DIR/template.yaml pointing at the zips. python and nodejs runtimes install\n"
	  "requirements.txt / package.json; BuildMethod makefile runs 'make build-<LogicalId>'.\n"
	  "What is unchanged is not rebuilt. Progress on stderr.\n"
	  "\n"
	  "  -t, --template FILE        template (default: template.yaml, .yml or .json here)\n"
	  "  -b, --build-dir DIR        where to build (default: .lamb/build beside the template)\n"
	  "      --cached               reuse what is up to date (the default)\n"
	  "      --no-cached            rebuild everything asked for\n"
	  "  -p, --parallel             build independent artifacts at once\n"
	  "  -q, --quiet                only errors and warnings\n"
	  "      --parameter-overrides  K=V ... | ParameterKey=K,ParameterValue=V ... | file://F.json\n"
	  "  -h, --help                 this text\n",
	  cmd_build },
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
	  "      --no-build             run the sources as they are (default: build what needs pip/npm/make)\n"
	  "  -h, --help                 this text\n",
	  cmd_local_invoke },
	{ "local start-api", "serve the template's API Gateway routes over warm functions",
	  "usage: lamb local start-api [-p PORT] [--host HOST] [-s DIR] [-l LOGFILE]\n"
	  "                            [--max-concurrency N] [--idle-timeout S] [--integration-timeout S]\n"
	  "                            [--warm-containers EAGER|LAZY] [--no-watch] [--disable-authorizer]\n"
	  "                            [--debug] [-t FILE] [--parameter-overrides ...]\n"
	  "\n"
	  "Serves every Api (REST, payload 1.0) and HttpApi (payload 2.0 or 1.0) route of the\n"
	  "template at the root of http://HOST:PORT, invoking functions through warm instances:\n"
	  "a request that finds no idle instance starts a new one. Lambda authorizers of the\n"
	  "template run before their routes. An edit to a function's code or layer directory\n"
	  "retires its instances: the next request runs the new code. Stops on Ctrl-C.\n"
	  "\n"
	  "  -p, --port PORT            port to listen on (default 3000; 0 picks a free one)\n"
	  "      --host HOST            address to listen on (default 127.0.0.1)\n"
	  "  -s, --static-dir DIR       files served at / when no route matches (default: public/)\n"
	  "  -l, --log-file FILE        access lines, function logs and REPORT lines go there\n"
	  "      --max-concurrency N    instances per function (default 10)\n"
	  "      --idle-timeout S       idle instances stop after S seconds (default 600)\n"
	  "      --integration-timeout S  answer 504 after S seconds (default 29, as API Gateway)\n"
	  "      --warm-containers MODE LAZY (default): instances start on first use and stay warm;\n"
	  "                             EAGER: one instance of every routed function starts at launch\n"
	  "      --no-watch             do not reload functions whose code changes on disk\n"
	  "      --disable-authorizer   serve every route without running its Lambda authorizer\n"
	  "      --debug                print the Runtime API traffic (/next, /response, /error)\n"
	  "  -t, --template FILE        template (default: template.yaml, .yml or .json here)\n"
	  "      --parameter-overrides  K=V ... | ParameterKey=K,ParameterValue=V ... | file://F.json\n"
	  "      --no-build             serve the sources as they are (default: build what needs it first)\n"
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
	  "X-Amz-Invocation-Type RequestResponse (200), Event (202) and DryRun (204);\n"
	  "X-Amz-Log-Type: Tail answers the last 4 KB of the log in X-Amz-Log-Result.\n"
	  "\n"
	  "  -p, --port PORT            port to listen on (default 3001; 0 picks a free one)\n"
	  "      --host HOST            address to listen on (default 127.0.0.1)\n"
	  "  -l, --log-file FILE        access lines, function logs and REPORT lines go there\n"
	  "      --max-concurrency N    instances per function (default 10); beyond: 429\n"
	  "      --idle-timeout S       idle instances stop after S seconds (default 600)\n"
	  "  -t, --template FILE        template (default: template.yaml, .yml or .json here)\n"
	  "      --parameter-overrides  K=V ... | ParameterKey=K,ParameterValue=V ... | file://F.json\n"
	  "      --no-build             serve the sources as they are (default: build what needs it first)\n"
	  "  -h, --help                 this text\n",
	  cmd_local_start_lambda },
	{ "local bench", "measure a function: cold starts, latency, throughput, memory, monthly cost",
	  "usage: lamb local bench [LOGICAL_ID] [-e FILE|-] [-n N] [-c C] [--duration S] [--json]\n"
	  "                        [--prices FILE] [--requests-per-month N] [-l LOGFILE]\n"
	  "                        [-t FILE] [--parameter-overrides ...]\n"
	  "\n"
	  "Invokes the function (LOGICAL_ID may be left out when the template has one) N\n"
	  "times with C callers at once, each starting its next invocation when the last is\n"
	  "answered, then prints cold starts, warm and cold latency percentiles, REPORT\n"
	  "durations, throughput, peak memory per instance, and what N requests a month\n"
	  "would cost at Lambda's prices (MemorySize x billed duration, plus requests) on\n"
	  "x86_64 and arm64. Exits 1 when an invocation failed.\n"
	  "\n"
	  "  -e, --event FILE|-         the event (- reads stdin); default {}\n"
	  "  -n, --invocations N        how many (default 100; no limit with --duration alone)\n"
	  "  -c, --concurrency C        callers at once, and instances at most (default 1)\n"
	  "      --duration S           stop starting invocations after S seconds\n"
	  "      --json                 the figures as JSON on stdout\n"
	  "      --prices FILE          price table (default: the one installed with lamb)\n"
	  "      --requests-per-month N the traffic to price (default 1,000,000)\n"
	  "  -l, --log-file FILE        keep the function's logs and REPORT lines there\n"
	  "  -t, --template FILE        template (default: template.yaml, .yml or .json here)\n"
	  "      --parameter-overrides  K=V ... | ParameterKey=K,ParameterValue=V ... | file://F.json\n"
	  "  -h, --help                 this text\n",
	  cmd_local_bench },
	{ NULL, NULL, NULL, NULL },
};
