/* --resolve-s3: the managed stack holding lamb's artifacts bucket, found by
 * its output or created once. Its template is SAM CLI's managed stack's
 * (versioned, KMS-encrypted, public access blocked, plain HTTP refused), so
 * the bucket is named by the same rule, <stack>-samclisourcebucket-<random>,
 * and a user can point SAM at it or back. */
#include "aws/deploy.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

static const char managed_template[] =
	"AWSTemplateFormatVersion: '2010-09-09'\n"
	"Description: Managed Stack for lamb (the artifacts bucket of lamb deploy --resolve-s3)\n"
	"Resources:\n"
	"  SamCliSourceBucket:\n"
	"    Type: AWS::S3::Bucket\n"
	"    Properties:\n"
	"      PublicAccessBlockConfiguration:\n"
	"        BlockPublicPolicy: true\n"
	"        BlockPublicAcls: true\n"
	"        IgnorePublicAcls: true\n"
	"        RestrictPublicBuckets: true\n"
	"      BucketEncryption:\n"
	"        ServerSideEncryptionConfiguration:\n"
	"          - ServerSideEncryptionByDefault:\n"
	"              SSEAlgorithm: aws:kms\n"
	"      VersioningConfiguration:\n"
	"        Status: Enabled\n"
	"      Tags:\n"
	"        - Key: ManagedStackSource\n"
	"          Value: Lamb\n"
	"  SamCliSourceBucketBucketPolicy:\n"
	"    Type: AWS::S3::BucketPolicy\n"
	"    Properties:\n"
	"      Bucket: !Ref SamCliSourceBucket\n"
	"      PolicyDocument:\n"
	"        Statement:\n"
	"          - Action: ['s3:*']\n"
	"            Effect: Deny\n"
	"            Principal: '*'\n"
	"            Resource:\n"
	"              - !Sub 'arn:${AWS::Partition}:s3:::${SamCliSourceBucket}/*'\n"
	"              - !Sub 'arn:${AWS::Partition}:s3:::${SamCliSourceBucket}'\n"
	"            Condition:\n"
	"              Bool:\n"
	"                aws:SecureTransport: false\n"
	"Outputs:\n"
	"  SourceBucket:\n"
	"    Value: !Ref SamCliSourceBucket\n";

static char *output_of(const struct lamb_cfn_stack *s)
{
	for (size_t i = 0; i < s->noutputs; i++)
		if (str_eq(s->outputs[i].key, LAMB_MANAGED_OUTPUT) && s->outputs[i].value)
			return xstrdup(s->outputs[i].value);
	return NULL;
}

static int create(const struct lamb_aws_config *aws, const struct lamb_deploy_wait *w,
		  const struct lamb_deploy_hooks *hooks, char **bucket, struct lamb_err *err)
{
	struct lamb_deploy_opts o = { .stack_name = LAMB_MANAGED_STACK, .wait = *w };
	struct lamb_deploy_result res;
	if (hooks)
		o.hooks = *hooks;
	if (o.hooks.note)
		o.hooks.note("creating the managed stack " LAMB_MANAGED_STACK " for the artifacts bucket", o.hooks.data);
	lamb_deploy_result_init(&res);
	int rc = lamb_deploy_body(managed_template, aws, &o, &res, err);
	if (rc == 0 && res.outcome != LAMB_DEPLOY_DONE)
		rc = lamb_err_set(err, "cannot create the managed stack '%s': %s%s%s", LAMB_MANAGED_STACK,
				  res.stack.status ? res.stack.status : "not created", res.reason ? ": " : "",
				  res.reason ? res.reason : "");
	if (rc == 0 && !(*bucket = output_of(&res.stack)))
		rc = lamb_err_set(err, "the managed stack '%s' has no output '%s'", LAMB_MANAGED_STACK,
				  LAMB_MANAGED_OUTPUT);
	lamb_deploy_result_release(&res);
	return rc;
}

int lamb_deploy_managed_bucket(const struct lamb_aws_config *aws, const struct lamb_deploy_wait *w,
			       const struct lamb_deploy_hooks *hooks, char **bucket, struct lamb_err *err)
{
	struct lamb_cfn_stack s;
	lamb_cfn_stack_init(&s);
	*bucket = NULL;
	int rc = lamb_cfn_describe_stack(aws, LAMB_MANAGED_STACK, &s, err);
	if (rc == 1) {
		rc = create(aws, w, hooks, bucket, err);
	} else if (rc == 0 && (lamb_cfn_status_in_progress(s.status) || lamb_cfn_status_failed(s.status) ||
			       !(*bucket = output_of(&s)))) {
		rc = lamb_err_set(err, "the managed stack '%s' is in %s state without its bucket: see its events, "
				  "or delete it with 'lamb delete --stack-name %s' to have it made again",
				  LAMB_MANAGED_STACK, s.status ? s.status : "an unknown", LAMB_MANAGED_STACK);
	}
	lamb_cfn_stack_release(&s);
	return rc < 0 ? lamb_err_prefix(err, "--resolve-s3") : 0;
}
