/* What the commands share about building: the progress lines of lamb build,
 * and building what a function needs before it runs (local invoke,
 * start-api, start-lambda). */
#ifndef LAMB_CLI_BUILD_H
#define LAMB_CLI_BUILD_H

#include "build/build.h"
#include "model/model.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cli_build_progress {
	bool quiet;     /* no line for built or up-to-date artifacts */
	bool quiet_cached; /* no line for up-to-date artifacts only */
	bool live;      /* stderr is a terminal: a line that says what is being built */
	bool line_shown;
	size_t built, cached, failed;
	size_t problems; /* the native-code doctor's */
};

/* A build tool's output on stderr, each line indented; nothing for NULL or "". */
void cli_build_print_output(const char *out);
/* v bytes as "366 B", "1.3 KiB" or "11.2 MiB" into buf (n bytes). */
void cli_size_str(char *buf, size_t n, uint64_t v);
/* A lamb_build_progress_fn: one line per artifact on stderr. */
void cli_build_on_progress(const struct lamb_build_report *r, void *data);

/* Sets o's doctor fields: the base image list from lamb's data folder, and
 * each problem printed as an error line (o->data must be a
 * struct cli_build_progress). */
void cli_build_doctor_opts(struct lamb_build_opts *o);

/* Builds (incrementally) every function of m that needs a build (pip, npm,
 * make: lamb_build_needed), or only fn when fn is not NULL, and points the
 * model at the built trees, so that what runs is never older than its
 * source. EXIT_OK, or EXIT_FAIL after printing why. */
int cli_build_for_run(struct lamb_model *m, const struct lamb_function *fn);

#endif
