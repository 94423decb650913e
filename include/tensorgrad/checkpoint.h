/* tensorgrad/checkpoint.h - tensors, state dicts and training checkpoints
 * in safetensors files that PyTorch reads.
 *
 * A state_dict file holds a module's parameters and buffers under PyTorch's
 * names (linearLayer1.weight, ...) with {"format": "pt"} metadata, so
 * safetensors.torch.load_file + model.load_state_dict(...) loads it, and a
 * file written that way from PyTorch loads here.
 *
 * A checkpoint is one file with three sections of keys:
 *   model.<state_dict name>      the module's state_dict
 *   optimizer.<state name>       the optimizer's state (buffers, steps, lrs)
 *   extra.<name>                 anything else, e.g. loss histories
 *   rng_state                    the global generator (tg_get_rng_state)
 * plus metadata {"format": "pt", "epoch": "<n>"}. Resuming from it continues
 * training exactly: same parameters, same optimizer buffers and steps, and
 * the same random stream (dropout masks, DataLoader shuffles) as a run that
 * never stopped. docs/checkpoints.md turns one into PyTorch's
 * {'model_state_dict', 'optimizer_state_dict', 'epoch', ...} and back.
 *
 * Writes are atomic (temp file, fsync, rename): a crash mid-save leaves the
 * previous file intact. Every function returns 0, or -1 with tg_last_error()
 * naming the file and what is wrong. */
#ifndef TENSORGRAD_CHECKPOINT_H
#define TENSORGRAD_CHECKPOINT_H

#include "tensorgrad/export.h"

#include <stdbool.h>

#include "tensorgrad/nn.h"
#include "tensorgrad/optim.h"

TG_API_BEGIN

/* Any named tensors (copied to contiguous little-endian bytes). */
int tg_save_tensors(const char *path, const tg_tensor_dict *tensors);
/* Reads every tensor of the file into a new dict (tensors owned by it,
 * created outside any scope). */
int tg_load_tensors(const char *path, tg_tensor_dict **out);

/* A module's state_dict, and loading one back (strict: every key must
 * match in name and shape). */
int tg_save_state_dict(const char *path, const tg_module *model);
int tg_load_state_dict_file(const char *path, tg_module *model, bool strict);

/* opt and extra may be NULL. */
int tg_checkpoint_save(const char *path, const tg_module *model, const tg_optimizer *opt,
                       int64_t epoch, const tg_tensor_dict *extra);
/* Restores model (strict) and opt (if not NULL); *epoch and *extra (a new
 * dict the caller frees with tg_tensor_dict_free) are optional outputs. */
int tg_checkpoint_load(const char *path, tg_module *model, tg_optimizer *opt,
                       int64_t *epoch, tg_tensor_dict **extra);

TG_API_END
#endif
