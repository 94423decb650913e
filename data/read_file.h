/* Private to data/: a data file read whole. */
#ifndef TG_DATA_READ_FILE_H
#define TG_DATA_READ_FILE_H

#include <stddef.h>

/* The whole file into a malloc'd buffer (*text, *len); zlib reads plain
 * files as they are and inflates gzip ones. -1 and tg_last_error() naming
 * the file when it cannot. */
int tg_read_whole_file(const char *path, char **text, size_t *len);

#endif
