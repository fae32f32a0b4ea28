/* lamb validate's checks on top of loading: the template against the
 * resource schemas of data/schemas.txt (types, properties at any depth,
 * values, required properties, GetAtt attributes), names that lead nowhere
 * (Ref, Sub, GetAtt, DependsOn, conditions, mappings), schedule expressions,
 * OpenAPI integrations, and the warnings (unused names, deprecated runtimes
 * once each, what lamb local does not emulate). Each finding carries a rule
 * id; names come with the closest valid one. */
#ifndef LAMB_VALIDATE_H
#define LAMB_VALIDATE_H

#include "model/model.h"
#include "model/validate-schema.h"

/* Checks m's document; schemas may be NULL (the schema checks are skipped).
 * Findings go to diags beside the loader's: one already reported at the same
 * place by the loader gains the rule id and the suggestion instead. */
void lamb_validate(const struct lamb_model *m, struct lamb_schemas *schemas, struct lamb_diags *diags);

/* The closest of cands to word (a one-letter typo, a transposition, another
 * case), or NULL when none is close enough. */
const char *lamb_validate_suggest(const char *word, const char *const *cands, size_t n);

#endif
