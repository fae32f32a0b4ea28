/* EventBridge's pattern syntax as a matrix: each pattern against events it
 * must and must not match, the examples of EventBridge's documentation. */
#include "unit.h"

#include "front/event-pattern.h"
#include "front/eventbridge.h"

#include <stdio.h>

static const char event[] =
	"{\"source\":\"com.shop\",\"detail-type\":\"Order Placed\",\"resources\":[\"arn:a\",\"arn:b\"],"
	"\"detail\":{\"state\":\"running\",\"total\":120.5,\"count\":3,\"flag\":true,\"none\":null,"
	"\"ip\":\"10.0.0.42\",\"file\":\"reports/2026/q1.csv\",\"tags\":[\"red\",\"big\"],"
	"\"customer\":{\"tier\":\"GOLD\",\"country\":\"FR\"}}}";

static const struct {
	const char *pattern;
	bool match;
} matrix[] = {
	{ "{}", true },
	{ "{\"source\":[\"com.shop\"]}", true },
	{ "{\"source\":[\"com.other\",\"com.shop\"]}", true },
	{ "{\"source\":[\"com.other\"]}", false },
	{ "{\"source\":[\"com.shop\"],\"detail-type\":[\"Order Shipped\"]}", false },
	{ "{\"detail\":{\"customer\":{\"tier\":[\"GOLD\"]}}}", true },
	{ "{\"detail\":{\"customer\":{\"tier\":[\"gold\"]}}}", false },
	{ "{\"detail\":{\"customer\":{\"tier\":[{\"equals-ignore-case\":\"gold\"}]}}}", true },
	{ "{\"resources\":[\"arn:b\"]}", true },
	{ "{\"detail\":{\"tags\":[\"big\"]}}", true },
	{ "{\"detail\":{\"tags\":[\"small\"]}}", false },
	{ "{\"detail\":{\"count\":[3]}}", true },
	{ "{\"detail\":{\"count\":[\"3\"]}}", false },
	{ "{\"detail\":{\"flag\":[true]}}", true },
	{ "{\"detail\":{\"none\":[null]}}", true },
	{ "{\"detail\":{\"state\":[{\"prefix\":\"run\"}]}}", true },
	{ "{\"detail\":{\"state\":[{\"prefix\":\"stop\"}]}}", false },
	{ "{\"detail\":{\"state\":[{\"prefix\":{\"equals-ignore-case\":\"RUN\"}}]}}", true },
	{ "{\"detail\":{\"file\":[{\"suffix\":\".csv\"}]}}", true },
	{ "{\"detail\":{\"file\":[{\"suffix\":\".png\"}]}}", false },
	{ "{\"detail\":{\"file\":[{\"suffix\":{\"equals-ignore-case\":\".CSV\"}}]}}", true },
	{ "{\"detail\":{\"file\":[{\"wildcard\":\"reports/*/q?.csv\"}]}}", false },
	{ "{\"detail\":{\"file\":[{\"wildcard\":\"reports/*.csv\"}]}}", true },
	{ "{\"detail\":{\"file\":[{\"wildcard\":\"*/2027/*\"}]}}", false },
	{ "{\"detail\":{\"state\":[{\"anything-but\":\"stopped\"}]}}", true },
	{ "{\"detail\":{\"state\":[{\"anything-but\":[\"stopped\",\"running\"]}]}}", false },
	{ "{\"detail\":{\"state\":[{\"anything-but\":{\"prefix\":\"run\"}}]}}", false },
	{ "{\"detail\":{\"state\":[{\"anything-but\":{\"suffix\":\"ed\"}}]}}", true },
	{ "{\"detail\":{\"state\":[{\"anything-but\":{\"equals-ignore-case\":[\"RUNNING\"]}}]}}", false },
	{ "{\"detail\":{\"count\":[{\"anything-but\":[1,2]}]}}", true },
	{ "{\"detail\":{\"total\":[{\"numeric\":[\">\",100,\"<=\",200]}]}}", true },
	{ "{\"detail\":{\"total\":[{\"numeric\":[\">\",100,\"<\",120]}]}}", false },
	{ "{\"detail\":{\"count\":[{\"numeric\":[\"=\",3]}]}}", true },
	{ "{\"detail\":{\"state\":[{\"numeric\":[\">\",0]}]}}", false },
	{ "{\"detail\":{\"state\":[{\"exists\":true}]}}", true },
	{ "{\"detail\":{\"missing\":[{\"exists\":false}]}}", true },
	{ "{\"detail\":{\"state\":[{\"exists\":false}]}}", false },
	{ "{\"detail\":{\"missing\":[{\"exists\":true}]}}", false },
	{ "{\"detail\":{\"customer\":[{\"exists\":true}]}}", false }, /* an object is not a leaf */
	{ "{\"detail\":{\"ip\":[{\"cidr\":\"10.0.0.0/24\"}]}}", true },
	{ "{\"detail\":{\"ip\":[{\"cidr\":\"10.0.1.0/24\"}]}}", false },
	{ "{\"detail\":{\"$or\":[{\"state\":[\"stopped\"]},{\"count\":[3]}]}}", true },
	{ "{\"detail\":{\"$or\":[{\"state\":[\"stopped\"]},{\"count\":[4]}]}}", false },
	{ "{\"source\":[\"com.shop\"],\"$or\":[{\"detail\":{\"flag\":[false]}},{\"detail-type\":[{\"prefix\":\"Order\"}]}]}",
	  true },
	{ "{\"detail\":{\"state\":[\"running\"],\"customer\":{\"country\":[\"DE\"]}}}", false },
};

static void test_matrix(void **state)
{
	(void)state;
	cJSON *e = cJSON_Parse(event);
	assert_non_null(e);
	for (size_t i = 0; i < sizeof(matrix) / sizeof(matrix[0]); i++) {
		bool got = lamb_pattern_match_text(matrix[i].pattern, e);
		if (got != matrix[i].match)
			fail_msg("pattern %s: %s, expected %s", matrix[i].pattern, got ? "matches" : "does not match",
				 matrix[i].match ? "a match" : "none");
	}
	assert_false(lamb_pattern_match_text("not json", e));
	cJSON_Delete(e);
}

static void test_template_patterns(void **state)
{
	(void)state;
	struct loaded *l = load("Resources:\n  R:\n    Type: AWS::Events::Rule\n    Properties:\n"
				"      EventPattern:\n        source: [com.shop]\n"
				"        detail:\n          total: [{numeric: ['>', 100]}]\n          flag: [true]\n"
				"          tier: ['3']\n");
	cJSON *p = lamb_node_to_json(lamb_node_get(l->m->sources[0].properties, "EventPattern"));
	char *s = cJSON_PrintUnformatted(p);
	assert_string_equal(s, "{\"source\":[\"com.shop\"],\"detail\":{\"total\":[{\"numeric\":[\">\",100]}],"
			       "\"flag\":[true],\"tier\":[\"3\"]}}");
	free(s);
	cJSON_Delete(p);
	unload(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matrix),
		cmocka_unit_test(test_template_patterns),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
