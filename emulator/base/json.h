/* JSON documents more than one module writes the same way, built on
 * cJSON so that any message text is escaped right. */
#ifndef LAMB_JSON_H
#define LAMB_JSON_H

/* Lambda's error document, {"errorType":type,"errorMessage":message}, as
 * the Invoke API and the Runtime API carry it. Never NULL; caller frees. */
char *lamb_json_error(const char *type, const char *message);

#endif
