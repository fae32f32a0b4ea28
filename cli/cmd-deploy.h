/* What lamb deploy's files share: its arguments, and the guided
 * questions (deploy-guided.c) that fill them before a deploy. */
#ifndef LAMB_CMD_DEPLOY_H
#define LAMB_CMD_DEPLOY_H

#include "aws/deploy.h"
#include "cli-aws.h"
#include "cli-template.h"

struct deploy_args {
	struct template_opts t;
	struct cli_aws_opts aws;
	struct lamb_deploy_opts d;
	struct lamb_overrides tags; /* K=V pairs, parsed as overrides are */
	const char **caps;          /* owned, as their strings */
	size_t ncaps, capcap;
	bool fail_on_empty;
	bool guided, resolve_s3, confirm;
	char **owned;               /* answers the options point at */
	size_t nowned, owncap;
};

/* Keeps s until the arguments are released; returns it. */
char *deploy_args_keep(struct deploy_args *a, char *s);
void deploy_args_add_cap(struct deploy_args *a, const char *cap);

/* Asks what sam deploy --guided asks (stack name, region, each parameter
 * with its current value as the default, confirming change sets, IAM
 * capabilities, saving), on stderr and stdin; fills a and writes the
 * answers to the configuration file when asked to. EXIT_OK, or an exit
 * code after printing why. */
int deploy_guided(struct deploy_args *a);

#endif
