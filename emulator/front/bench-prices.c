/* The costing half of lamb local bench: Lambda's price table, a JSON data
 * file (data/prices.json, installed with lamb), and the monthly cost of a
 * traffic shape: requests, plus GB-seconds (MemorySize x Billed Duration)
 * priced by tier. Leaves out the free tier, ephemeral storage, data
 * transfer and provisioned concurrency. */
#include "base/util.h"
#include "front/bench.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <string.h>

static char *string_of(const cJSON *o, const char *key, const char *dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return xstrdup(cJSON_IsString(v) ? v->valuestring : dflt);
}

static int load_arch(struct lamb_bench_arch *a, const cJSON *j, struct lamb_err *err)
{
	const cJSON *tiers = cJSON_GetObjectItemCaseSensitive(j, "tiers"), *t;
	a->name = xstrdup(j->string);
	if (!cJSON_IsArray(tiers) || cJSON_GetArraySize(tiers) == 0)
		return lamb_err_set(err, "architecture '%s' has no \"tiers\" list", a->name);
	cJSON_ArrayForEach(t, tiers) {
		const cJSON *price = cJSON_GetObjectItemCaseSensitive(t, "per_gb_second");
		const cJSON *upto = cJSON_GetObjectItemCaseSensitive(t, "up_to_gb_seconds");
		if (a->ntiers == LAMB_BENCH_MAX_TIERS)
			return lamb_err_set(err, "architecture '%s' has more than %d tiers", a->name,
					    LAMB_BENCH_MAX_TIERS);
		if (!cJSON_IsNumber(price) || price->valuedouble < 0)
			return lamb_err_set(err, "a tier of '%s' has no \"per_gb_second\" price", a->name);
		if (upto && (!cJSON_IsNumber(upto) || upto->valuedouble <= 0))
			return lamb_err_set(err, "a tier of '%s' has a bad \"up_to_gb_seconds\"", a->name);
		a->tiers[a->ntiers].per_gb_s = price->valuedouble;
		a->tiers[a->ntiers++].up_to_gb_s = upto ? upto->valuedouble : 0;
	}
	return 0;
}

static int load(struct lamb_bench_prices *p, const cJSON *j, struct lamb_err *err)
{
	const cJSON *req = cJSON_GetObjectItemCaseSensitive(j, "requests");
	const cJSON *per = cJSON_GetObjectItemCaseSensitive(req, "per_million");
	const cJSON *archs = cJSON_GetObjectItemCaseSensitive(j, "architectures"), *a;
	if (!cJSON_IsObject(j))
		return lamb_err_set(err, "not a JSON object");
	p->date = string_of(j, "date", "undated");
	p->region = string_of(j, "region", "");
	p->currency = string_of(j, "currency", "USD");
	p->source = string_of(j, "source", "");
	if (!cJSON_IsNumber(per) || per->valuedouble < 0)
		return lamb_err_set(err, "no \"requests\": {\"per_million\": PRICE}");
	p->per_million_requests = per->valuedouble;
	if (!cJSON_IsObject(archs) || !archs->child)
		return lamb_err_set(err, "no \"architectures\" object");
	cJSON_ArrayForEach(a, archs) {
		if (p->narchs == LAMB_BENCH_MAX_ARCHS)
			return lamb_err_set(err, "more than %d architectures", LAMB_BENCH_MAX_ARCHS);
		if (load_arch(&p->archs[p->narchs++], a, err) < 0)
			return -1;
	}
	return 0;
}

int lamb_bench_prices_load(struct lamb_bench_prices *p, const char *path, struct lamb_err *err)
{
	size_t len;
	memset(p, 0, sizeof(*p));
	cleanup_free char *text = lamb_read_file(path, &len);
	if (!text)
		return lamb_err_set(err, "cannot read price table '%s': %s", path, strerror(errno));
	cJSON *j = cJSON_ParseWithLength(text, len);
	int rc = j ? load(p, j, err) : lamb_err_set(err, "not valid JSON");
	cJSON_Delete(j);
	if (rc < 0) {
		lamb_bench_prices_release(p);
		return lamb_err_prefix(err, "price table '%s'", path);
	}
	return 0;
}

void lamb_bench_prices_release(struct lamb_bench_prices *p)
{
	if (!p)
		return;
	free(p->date);
	free(p->region);
	free(p->currency);
	free(p->source);
	for (size_t i = 0; i < p->narchs; i++)
		free(p->archs[i].name);
	memset(p, 0, sizeof(*p));
}

const struct lamb_bench_arch *lamb_bench_prices_arch(const struct lamb_bench_prices *p, const char *name)
{
	for (size_t i = 0; i < p->narchs; i++)
		if (strcmp(p->archs[i].name, name) == 0)
			return &p->archs[i];
	return NULL;
}

/* The price of gb_s GB-seconds in one month, tier by tier. */
static double compute_cost(const struct lamb_bench_arch *a, double gb_s)
{
	double cost = 0, below = 0;
	for (size_t i = 0; i < a->ntiers && gb_s > below; i++) {
		const struct lamb_bench_tier *t = &a->tiers[i];
		double top = t->up_to_gb_s > 0 && i + 1 < a->ntiers ? t->up_to_gb_s : gb_s;
		double in = (gb_s < top ? gb_s : top) - below;
		if (in > 0)
			cost += in * t->per_gb_s;
		below = top > below ? top : below;
	}
	return cost;
}

void lamb_bench_prices_cost(const struct lamb_bench_prices *p, const struct lamb_bench_arch *a,
			    double requests, double billed_ms, long memory_mb, struct lamb_bench_cost *c)
{
	c->gb_seconds = requests * (billed_ms / 1000.0) * ((double)memory_mb / 1024.0);
	c->requests = requests / 1e6 * p->per_million_requests;
	c->compute = compute_cost(a, c->gb_seconds);
	c->total = c->requests + c->compute;
}
