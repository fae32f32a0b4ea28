/* The keys of the template's own structures, which no resource schema
 * describes: top-level sections, a resource's attributes, a parameter's and
 * an output's keys (and its Export's), Globals blocks and their properties,
 * a parameter's Type. CloudFormation refuses an unknown one ("Invalid
 * template resource property 'Propertes'", "Invalid template parameter
 * property 'Defualt'"); each comes with the closest valid name. SAM's
 * transform drops an unknown attribute of an AWS::Serverless:: resource
 * instead (cfn-lint W3001), so there it is a warning. */
#include "base/util.h"
#include "model/model-build.h"
#include "model/validate-int.h"
#include "template/globals.h"

#include <string.h>

static const char *const param_keys[] = {
	"Type", "Default", "AllowedValues", "AllowedPattern", "ConstraintDescription", "Description",
	"MaxLength", "MaxValue", "MinLength", "MinValue", "NoEcho", NULL,
};

static const char *const output_keys[] = { "Value", "Description", "Export", "Condition", NULL };

static const char *const param_types[] = {
	"String", "Number", "List<Number>", "CommaDelimitedList", "AWS::EC2::AvailabilityZone::Name",
	"AWS::EC2::Image::Id", "AWS::EC2::Instance::Id", "AWS::EC2::KeyPair::KeyName",
	"AWS::EC2::SecurityGroup::GroupName", "AWS::EC2::SecurityGroup::Id", "AWS::EC2::Subnet::Id",
	"AWS::EC2::Volume::Id", "AWS::EC2::VPC::Id", "AWS::Route53::HostedZone::Id",
	"AWS::SSM::Parameter::Name", "AWS::SSM::Parameter::Value<String>", NULL,
};

static bool listed(const char *const *names, const char *name)
{
	for (; *names; names++)
		if (strcmp(*names, name) == 0)
			return true;
	return false;
}

static const char *closest(const char *const *names, const char *word)
{
	size_t n = 0;
	while (names[n])
		n++;
	return lamb_validate_suggest(word, names, n);
}

/* Each key of map not among names: an error (or a warning) naming the
 * closest: "unknown WHAT 'KEY' in OWNER" (fmt_owner takes owner's name). */
static void keys_of(struct vctx *c, const struct lamb_node *map, const char *const *names,
		    enum lamb_severity sev, const char *what, const char *fmt_owner, const char *owner)
{
	for (size_t i = 0; map && map->kind == LAMB_MAP && i < map->len; i++) {
		const struct lamb_node *k = map->pairs[i].key;
		if (listed(names, k->str))
			continue;
		if (sev == LAMB_ERROR)
			v_drop_warning(c, &k->mark);
		char in[300];
		snprintf(in, sizeof(in), fmt_owner, owner);
		v_report(c, sev, &k->mark, R_PROP, closest(names, k->str), "unknown %s '%s' in %s", what, k->str, in);
	}
}

static void resources(struct vctx *c)
{
	for (size_t i = 0; c->resources && c->resources->kind == LAMB_MAP && i < c->resources->len; i++) {
		const struct lamb_pair *p = &c->resources->pairs[i];
		if (p->value->kind != LAMB_MAP || str_starts(p->key->str, "Fn::ForEach::"))
			continue;
		const char *type = lamb_node_str(lamb_node_get(p->value, "Type"));
		bool sam = type && str_starts(type, "AWS::Serverless::");
		/* the loader has warned at each: it stays for SAM (gaining the
		 * rule), an error replaces it for CloudFormation */
		keys_of(c, p->value, model_resource_keys, sam ? LAMB_WARNING : LAMB_ERROR, "attribute",
			sam ? "resource '%s' (SAM's transform drops it)" : "resource '%s'", p->key->str);
	}
}

static void parameters(struct vctx *c)
{
	for (size_t i = 0; c->params && c->params->kind == LAMB_MAP && i < c->params->len; i++) {
		const struct lamb_pair *p = &c->params->pairs[i];
		keys_of(c, p->value, param_keys, LAMB_ERROR, "key", "parameter '%s'", p->key->str);
		const struct lamb_node *type = lamb_node_get(p->value, "Type");
		const char *t = lamb_node_str(type);
		if (t && !listed(param_types, t)) /* the loader's error gains the name meant */
			v_join_value(c, &type->mark, t, R_VALUE, closest(param_types, t));
	}
}

static void outputs(struct vctx *c)
{
	static const char *const export_keys[] = { "Name", NULL };
	const struct lamb_node *outs = lamb_node_get(c->root, "Outputs");
	for (size_t i = 0; outs && outs->kind == LAMB_MAP && i < outs->len; i++) {
		const struct lamb_pair *p = &outs->pairs[i];
		keys_of(c, p->value, output_keys, LAMB_ERROR, "key", "output '%s'", p->key->str);
		const struct lamb_node *exp = lamb_node_get(p->value, "Export");
		if (!exp || exp->kind != LAMB_MAP || lamb_node_intrinsic(exp))
			continue;
		keys_of(c, exp, export_keys, LAMB_ERROR, "key", "the Export of output '%s'", p->key->str);
		if (!lamb_node_get(exp, "Name"))
			v_error(c, &exp->mark, R_REQUIRED, NULL, "the Export of output '%s' has no Name", p->key->str);
	}
}

/* The loader reports these; its errors gain the rule and the name meant. */
static void sections_and_globals(struct vctx *c)
{
	for (size_t i = 0; i < c->root->len; i++) {
		const struct lamb_node *k = c->root->pairs[i].key;
		if (!listed(model_sections, k->str))
			v_error(c, &k->mark, R_PROP, closest(model_sections, k->str), "unknown top-level section '%s'",
				k->str);
	}
	const char *blocks[16];
	size_t nblocks = 0;
	while (nblocks < ARRAY_SIZE(blocks) && (blocks[nblocks] = lamb_globals_block(nblocks)))
		nblocks++;
	for (size_t i = 0; c->globals && c->globals->kind == LAMB_MAP && i < c->globals->len; i++) {
		const struct lamb_pair *g = &c->globals->pairs[i];
		const char *const *props = lamb_globals_props(g->key->str);
		if (!props) {
			v_error(c, &g->key->mark, R_PROP, lamb_validate_suggest(g->key->str, blocks, nblocks),
				"unknown Globals section '%s'", g->key->str);
			continue;
		}
		for (size_t k = 0; g->value->kind == LAMB_MAP && k < g->value->len; k++) {
			const struct lamb_node *key = g->value->pairs[k].key;
			if (!listed(props, key->str))
				v_error(c, &key->mark, R_PROP, closest(props, key->str),
					"'%s' is not allowed in Globals.%s", key->str, g->key->str);
		}
	}
}

void v_check_sections(struct vctx *c)
{
	sections_and_globals(c);
	resources(c);
	parameters(c);
	outputs(c);
}
