/* tensorboard/event_file.h - one TensorBoard event file: naming, Event encoding and
 * TFRecord framing. Private to tensorboard/; tg_summary_writer is the public face. */
#ifndef TG_TENSORBOARD_EVENT_FILE_H
#define TG_TENSORBOARD_EVENT_FILE_H

#include <stdint.h>

#include "protobuf.h"

typedef struct tg_event_file tg_event_file;

/* Creates `dir` (and its parents) if needed, then a new file
 * events.out.tfevents.<unix seconds>.<host>.<pid>.<counter> in it, whose
 * first record is the Event {wall_time, file_version "brain.Event:2"}.
 * Returns NULL with tg_last_error set on failure. */
tg_event_file *tg_event_file_open(const char *dir);
const char *tg_event_file_path(const tg_event_file *f);

/* Appends Event {wall_time now, step, summary}. 0 or -1 (tg_last_error). */
int tg_event_file_write(tg_event_file *f, const tg_bytes *summary, int64_t step);
/* Appends Event {wall_time now, graph_def}: a serialized GraphDef. */
int tg_event_file_write_graph(tg_event_file *f, const tg_bytes *graph_def);
/* The GraphDef of one forward of model on input (tensorboard/graph.c). */
struct tg_module;
struct tg_tensor;
int tg_event_file_write_module_graph(tg_event_file *f, struct tg_module *model,
                                     struct tg_tensor *input);
int tg_event_file_flush(tg_event_file *f);
/* Flushes, closes and frees; NULL is fine. 0, or -1 if anything failed. */
int tg_event_file_close(tg_event_file *f);

/* Building blocks, exposed for the tests' byte-level checks. */
/* Event {wall_time, step (omitted when 0, as proto3 does), file_version or
 * summary (whichever is non-NULL)} appended to out. */
void tg_event_encode(tg_bytes *out, double wall_time, int64_t step,
                     const char *file_version, const tg_bytes *summary);
/* u64 length | masked crc32c(length) | data | masked crc32c(data). */
void tg_event_frame(tg_bytes *out, const uint8_t *data, size_t n);

#endif
