/* SQS message attributes: checked on send, their MD5 as SQS computes it
 * (names sorted; each name, data type and value length-prefixed, with a
 * transport byte: 1 string, 2 binary), the subset a receive asks for
 * (MessageAttributeNames: All, .*, names, prefix.*) and the shape of the
 * Lambda SQS event's messageAttributes. Attributes are kept in the JSON
 * protocol's shape, binary values as base64. */
#include "front/sqs-int.h"

#include "base/util.h"

#include <nettle/base16.h>
#include <nettle/md5.h>
#include <stdlib.h>
#include <string.h>

static bool is_binary(const cJSON *v)
{
	const char *type = sqs_str(v, "DataType");
	return type && str_starts(type, "Binary");
}

bool sqs_attrs_check(const cJSON *attrs, struct lamb_sqs_error *e)
{
	const cJSON *v;
	if (cJSON_GetArraySize(attrs) > 10)
		return sqs_fail(e, 400, "InvalidParameterValue", "InvalidParameterValue",
				"Number of message attributes [%d] exceeds the allowed maximum [10].", cJSON_GetArraySize(attrs)),
		       false;
	cJSON_ArrayForEach(v, attrs) {
		const char *type = sqs_str(v, "DataType");
		const char *value = sqs_str(v, is_binary(v) ? "BinaryValue" : "StringValue");
		if (!type || !value || (!str_starts(type, "String") && !str_starts(type, "Number") && !is_binary(v)))
			return sqs_fail(e, 400, "InvalidParameterValue", "InvalidParameterValue",
					"The message attribute '%s' must contain a non-empty value of message attribute type '%s'.",
					v->string, type ? type : ""), false;
	}
	return true;
}

static void add_field(struct md5_ctx *c, const void *bytes, size_t len)
{
	uint8_t n[4] = { (uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len };
	md5_update(c, 4, n);
	md5_update(c, len, bytes);
}

static int by_name(const void *a, const void *b)
{
	return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

static void add_attr(struct md5_ctx *c, const cJSON *v)
{
	const char *type = sqs_str(v, "DataType");
	add_field(c, v->string, strlen(v->string));
	add_field(c, type, strlen(type));
	uint8_t transport = is_binary(v) ? 2 : 1;
	md5_update(c, 1, &transport);
	if (transport == 1) {
		add_field(c, sqs_str(v, "StringValue"), strlen(sqs_str(v, "StringValue")));
		return;
	}
	size_t len = 0;
	const char *b64 = sqs_str(v, "BinaryValue");
	void *bytes = lamb_base64_decode(b64, strlen(b64), &len);
	add_field(c, bytes ? bytes : "", bytes ? len : 0);
	free(bytes);
}

/* out: the MD5 of attrs in hex, "" when there are none. */
void sqs_attrs_md5(const cJSON *attrs, char *out)
{
	size_t n = (size_t)cJSON_GetArraySize(attrs), i = 0;
	*out = '\0';
	if (!n)
		return;
	const cJSON **v = xcalloc(n, sizeof(*v)), *a;
	cJSON_ArrayForEach(a, attrs)
		v[i++] = a;
	qsort(v, n, sizeof(*v), by_name);
	struct md5_ctx c;
	uint8_t d[MD5_DIGEST_SIZE];
	md5_init(&c);
	for (i = 0; i < n; i++)
		add_attr(&c, v[i]);
	md5_digest(&c, sizeof(d), d);
	base16_encode_update(out, sizeof(d), d);
	out[2 * MD5_DIGEST_SIZE] = '\0';
	free(v);
}

static bool asked(const cJSON *names, const char *name)
{
	const cJSON *n;
	cJSON_ArrayForEach(n, names) {
		const char *s = cJSON_GetStringValue(n);
		size_t len = s ? strlen(s) : 0;
		if (s && (strcmp(s, "All") == 0 || strcmp(s, ".*") == 0 || strcmp(s, name) == 0 ||
			  (len > 2 && strcmp(s + len - 2, ".*") == 0 && strncmp(name, s, len - 1) == 0)))
			return true;
	}
	return false;
}

/* The attributes names asks for, or NULL when none. */
cJSON *sqs_attrs_select(const cJSON *attrs, const cJSON *names)
{
	cJSON *r = NULL;
	const cJSON *v;
	cJSON_ArrayForEach(v, attrs) {
		if (!asked(names, v->string))
			continue;
		if (!r)
			r = cJSON_CreateObject();
		cJSON_AddItemToObject(r, v->string, cJSON_Duplicate(v, 1));
	}
	return r;
}

/* Lambda's SQS record shape: {"stringValue", "stringListValues": [],
 * "binaryListValues": [], "dataType"} or binaryValue. */
cJSON *sqs_attrs_event(const cJSON *attrs)
{
	cJSON *r = cJSON_CreateObject();
	const cJSON *v;
	cJSON_ArrayForEach(v, attrs) {
		cJSON *o = cJSON_AddObjectToObject(r, v->string);
		if (is_binary(v))
			cJSON_AddStringToObject(o, "binaryValue", sqs_str(v, "BinaryValue"));
		else
			cJSON_AddStringToObject(o, "stringValue", sqs_str(v, "StringValue"));
		cJSON_AddArrayToObject(o, "stringListValues");
		cJSON_AddArrayToObject(o, "binaryListValues");
		cJSON_AddStringToObject(o, "dataType", sqs_str(v, "DataType"));
	}
	return r;
}
