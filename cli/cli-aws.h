/* What lamb deploy and lamb delete share: the AWS options (--profile,
 * --endpoint-url; --region is the template option's), the Ctrl-C flag that
 * stops following a stack, and how change sets and stack events print. */
#ifndef LAMB_CLI_AWS_H
#define LAMB_CLI_AWS_H

#include "aws/deploy.h"

#include <signal.h>
#include <stdbool.h>

struct cli_aws_opts {
	struct lamb_aws_opts aws;
	double max_poll_s; /* $LAMB_POLL_DELAY, else 0 (the default) */
};

/* Zero, and max_poll_s from $LAMB_POLL_DELAY (seconds). */
void cli_aws_opts_init(struct cli_aws_opts *o);
/* Consumes --profile and --endpoint-url: 1; 0 when it is not one; -1
 * after a usage error. */
int cli_aws_opts_parse(struct cli_aws_opts *o, const char *cmd, int argc, char **argv, int *i);
/* Loads the credentials and the region; EXIT_OK, or EXIT_FAIL printed. */
int cli_aws_config_load(struct lamb_aws_config *c, const struct cli_aws_opts *o);

/* Set by SIGINT once cli_aws_catch_interrupt ran. */
extern volatile sig_atomic_t cli_aws_interrupted;
void cli_aws_catch_interrupt(void);

/* Hooks printing on stderr: notes, the change set's table, each event
 * (columns sized for stack_name, the change set, and a delete's statuses
 * when deleting). */
struct lamb_deploy_hooks cli_aws_hooks(const char *stack_name, bool deleting);
/* The wait settings: max poll from o, stop flag cli_aws_interrupted. */
struct lamb_deploy_wait cli_aws_wait(const struct cli_aws_opts *o);
/* The failing events again, after a failure. */
void cli_aws_print_failures(const struct lamb_deploy_result *r);
/* Says the stack operation goes on without us; returns 130. */
int cli_aws_interrupt_exit(const char *stack_name);

#endif
