/* Private to data/: a data file read whole. */
#ifndef TG_DATA_READ_FILE_H
#define TG_DATA_READ_FILE_H

#include <stddef.h>

/* The whole file into a malloc'd buffer (*text, *len); zlib reads plain
 * files as they are and inflates gzip ones. -1 and tg_last_error() naming
 * the file when it cannot. */
int tg_read_whole_file(const char *path, char **text, size_t *len);
/* The same, refusing content longer than `limit` bytes (tg_read_whole_file's
 * limit is TG_DATA_FILE_LIMIT): a small gzip file can inflate a thousandfold,
 * and a hostile one must not make the loader allocate gigabytes. */
#define TG_DATA_FILE_LIMIT ((size_t)1 << 31)
int tg_read_whole_file_limited(const char *path, size_t limit, char **text, size_t *len);

#endif
