/* io/atomic_file.h - replace a file atomically: write a temporary file in
 * the same directory, fsync it, rename it over the target, fsync the
 * directory. A crash at any point leaves either the old file or the new one,
 * never a mix (and at worst a stray "<path>.tmp.<pid>.XXXXXX", which the
 * next save or load of that path removes once its writer is gone). Private
 * to the library: io/, data/, autograd/graph_print.c and plot/ (SVG files)
 * write through it, as any writer of precious files should. */
#ifndef TG_IO_ATOMIC_FILE_H
#define TG_IO_ATOMIC_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct tg_atomic_file {
  FILE *fp;
  char *path, *tmp_path;
  const char *who; /* the public function, for error messages */
  bool failed;
} tg_atomic_file;

/* 0, or -1 with tg_last_error "<who>: <path>: cannot create temporary file: ...". */
int tg_atomic_open(tg_atomic_file *f, const char *path, const char *who);
/* 0, or -1 (error set, and the file is doomed: commit will fail). */
int tg_atomic_write(tg_atomic_file *f, const void *bytes, size_t n);
/* Flush, fsync, rename over the target. Always releases f; on failure the
 * temporary file is removed and the target is untouched. */
int tg_atomic_commit(tg_atomic_file *f);
/* Gives up: closes and removes the temporary file. */
void tg_atomic_abort(tg_atomic_file *f);

/* Removes "<path>.tmp.<pid>.XXXXXX" files that an interrupted save left:
 * ours (same owner), regular, and whose process is gone. */
void tg_atomic_clean_stale(const char *path);

/* Opens an existing file for reading without blocking on a FIFO or a
 * device: opened non-blocking, then refused unless it is a regular file.
 * The descriptor (blocking again), or -1 with tg_last_error
 * "<path>: cannot open: ..." or "<path>: not a regular file ...". */
int tg_open_regular(const char *path);

#endif
