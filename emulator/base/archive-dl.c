/* libarchive, opened on first use (base/lazy.h): only a zip CodeUri, a build
 * and a package need it, yet linked the usual way it and the 16 libraries it
 * pulls in (libxml2 and ICU, libstdc++, lzma, zstd, lz4, bz2, acl) cost every
 * lamb command about 5 ms of CPU before main (bench/README). An entry point
 * new to lamb fails the link until it has its line below. */
#include "base/lazy.h"

#include <archive.h>
#include <archive_entry.h>

#define ARCHIVE_ENTRY_POINTS(F, V) \
	F(struct archive_entry *, archive_entry_clear, (struct archive_entry *e), (e)) \
	V(archive_entry_free, (struct archive_entry *e), (e)) \
	F(struct archive_entry *, archive_entry_new, (void), ()) \
	F(const char *, archive_entry_pathname, (struct archive_entry *e), (e)) \
	V(archive_entry_set_gid, (struct archive_entry *e, la_int64_t v), (e, v)) \
	V(archive_entry_set_mode, (struct archive_entry *e, __LA_MODE_T v), (e, v)) \
	V(archive_entry_set_mtime, (struct archive_entry *e, time_t t, long ns), (e, t, ns)) \
	V(archive_entry_set_pathname, (struct archive_entry *e, const char *s), (e, s)) \
	V(archive_entry_set_size, (struct archive_entry *e, la_int64_t v), (e, v)) \
	V(archive_entry_set_symlink, (struct archive_entry *e, const char *s), (e, s)) \
	V(archive_entry_set_uid, (struct archive_entry *e, la_int64_t v), (e, v)) \
	F(const char *, archive_error_string, (struct archive *a), (a)) \
	F(la_int64_t, archive_filter_bytes, (struct archive *a, int n), (a, n)) \
	F(int, archive_read_data_block, (struct archive *a, const void **b, size_t *s, la_int64_t *o), \
	  (a, b, s, o)) \
	F(int, archive_read_free, (struct archive *a), (a)) \
	F(struct archive *, archive_read_new, (void), ()) \
	F(int, archive_read_next_header, (struct archive *a, struct archive_entry **e), (a, e)) \
	F(int, archive_read_open_filename, (struct archive *a, const char *f, size_t b), (a, f, b)) \
	F(int, archive_read_support_format_zip, (struct archive *a), (a)) \
	F(int, archive_write_close, (struct archive *a), (a)) \
	F(la_ssize_t, archive_write_data, (struct archive *a, const void *b, size_t n), (a, b, n)) \
	F(la_ssize_t, archive_write_data_block, (struct archive *a, const void *b, size_t n, la_int64_t o), \
	  (a, b, n, o)) \
	F(struct archive *, archive_write_disk_new, (void), ()) \
	F(int, archive_write_disk_set_options, (struct archive *a, int f), (a, f)) \
	F(int, archive_write_finish_entry, (struct archive *a), (a)) \
	F(int, archive_write_free, (struct archive *a), (a)) \
	F(int, archive_write_header, (struct archive *a, struct archive_entry *e), (a, e)) \
	F(struct archive *, archive_write_new, (void), ()) \
	F(int, archive_write_open_fd, (struct archive *a, int fd), (a, fd)) \
	F(int, archive_write_set_bytes_per_block, (struct archive *a, int n), (a, n)) \
	F(int, archive_write_set_format_zip, (struct archive *a), (a)) \
	F(int, archive_write_zip_set_compression_deflate, (struct archive *a), (a)) \
	F(int, archive_write_zip_set_compression_store, (struct archive *a), (a))

LAMB_LAZY_LIB("libarchive.so.13", ARCHIVE_ENTRY_POINTS)
