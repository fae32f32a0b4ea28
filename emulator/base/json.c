/* JSON documents more than one module writes, built and printed by cJSON
 * rather than by printf, so that a message is always escaped. */
#include "base/json.h"

#include <cjson/cJSON.h>

char *lamb_json_error(const char *type, const char *message)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "errorType", type);
	cJSON_AddStringToObject(o, "errorMessage", message);
	char *doc = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return doc;
}
