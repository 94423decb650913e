/* tensorboard/hparams.c - the hparams plugin's records, as PyTorch 1.13's
 * torch.utils.tensorboard.summary.hparams builds them: three Summaries whose
 * only payload is plugin metadata (HParamsPluginData, version 0), under the
 * tags the plugin looks for. TensorBoard's HParams tab joins a run's session
 * start (the hparam values) with the scalars named in the experiment. */
#include <string.h>

#include "summary_values.h"
#include "tensorgrad/tensor.h"
#include "tensorgrad/tensorboard.h"

enum { SUMMARY_VALUE = 1, VALUE_TAG = 1 };
/* HParamsPluginData's oneof data */
enum { DATA_EXPERIMENT = 2, DATA_SESSION_START = 3, DATA_SESSION_END = 4 };
enum { EXPERIMENT_HPARAM_INFOS = 4, EXPERIMENT_METRIC_INFOS = 5 };
enum { HPARAM_INFO_NAME = 1, HPARAM_INFO_TYPE = 4 };
enum { METRIC_INFO_NAME = 1, METRIC_NAME_TAG = 2 };
enum { SESSION_START_HPARAMS = 1, SESSION_END_STATUS = 1 };
enum { MAP_KEY = 1, MAP_VALUE = 2 };
enum { STRUCT_NUMBER_VALUE = 2, STRUCT_STRING_VALUE = 3 }; /* google.protobuf.Value */
enum { DATA_TYPE_STRING = 1, DATA_TYPE_FLOAT64 = 3 };
enum { STATUS_SUCCESS = 1 };

/* Summary {value {tag, metadata {plugin_data {"hparams", HParamsPluginData {field:
 * data}}}}} */
static void put_hparams_summary(tg_bytes *out, const char *tag, int field,
                                const tg_bytes *data) {
  tg_bytes content = TG_BYTES_INIT, v = TG_BYTES_INIT;
  tg_pb_put_message(&content, field, data);
  tg_pb_put_string(&v, VALUE_TAG, tag);
  tg_summary_put_plugin_metadata(&v, "hparams", &content);
  tg_pb_put_message(out, SUMMARY_VALUE, &v);
  tg_bytes_free(&content);
  tg_bytes_free(&v);
}

/* One message built by appending `field`'s sub-message, then freeing it. */
static void put_and_free(tg_bytes *out, int field, tg_bytes *sub) {
  tg_pb_put_message(out, field, sub);
  tg_bytes_free(sub);
}

static void put_experiment(tg_bytes *out, const tg_hparam *hparams, size_t n_hparams,
                           const char *const *metric_tags, size_t n_metrics) {
  tg_bytes exp = TG_BYTES_INIT;
  for (size_t i = 0; i < n_hparams; i++) {
    tg_bytes info = TG_BYTES_INIT;
    tg_pb_put_string(&info, HPARAM_INFO_NAME, hparams[i].name);
    tg_pb_put_varint(&info, HPARAM_INFO_TYPE,
                     hparams[i].text ? DATA_TYPE_STRING : DATA_TYPE_FLOAT64);
    put_and_free(&exp, EXPERIMENT_HPARAM_INFOS, &info);
  }
  for (size_t i = 0; i < n_metrics; i++) {
    tg_bytes name = TG_BYTES_INIT, info = TG_BYTES_INIT;
    tg_pb_put_string(&name, METRIC_NAME_TAG, metric_tags[i]);
    put_and_free(&info, METRIC_INFO_NAME, &name);
    put_and_free(&exp, EXPERIMENT_METRIC_INFOS, &info);
  }
  put_hparams_summary(out, "_hparams_/experiment", DATA_EXPERIMENT, &exp);
  tg_bytes_free(&exp);
}

static void put_session_start(tg_bytes *out, const tg_hparam *hparams, size_t n) {
  tg_bytes start = TG_BYTES_INIT;
  for (size_t i = 0; i < n; i++) {
    tg_bytes value = TG_BYTES_INIT, entry = TG_BYTES_INIT;
    if (hparams[i].text)
      tg_pb_put_string(&value, STRUCT_STRING_VALUE, hparams[i].text);
    else
      tg_pb_put_double(&value, STRUCT_NUMBER_VALUE, hparams[i].number);
    tg_pb_put_string(&entry, MAP_KEY, hparams[i].name);
    put_and_free(&entry, MAP_VALUE, &value);
    put_and_free(&start, SESSION_START_HPARAMS, &entry);
  }
  put_hparams_summary(out, "_hparams_/session_start_info", DATA_SESSION_START, &start);
  tg_bytes_free(&start);
}

int tg_summary_hparams(tg_bytes *experiment, tg_bytes *session_start,
                       tg_bytes *session_end, const tg_hparam *hparams, size_t n_hparams,
                       const char *const *metric_tags, size_t n_metrics) {
  for (size_t i = 0; i < n_hparams; i++) {
    if (!hparams[i].name || !hparams[i].name[0]) {
      tg_set_last_error("tg_summary_writer_add_hparams: hparam %zu has no name", i);
      return -1;
    }
  }
  put_experiment(experiment, hparams, n_hparams, metric_tags, n_metrics);
  put_session_start(session_start, hparams, n_hparams);
  tg_bytes end = TG_BYTES_INIT;
  tg_pb_put_varint(&end, SESSION_END_STATUS, STATUS_SUCCESS);
  put_hparams_summary(session_end, "_hparams_/session_end_info", DATA_SESSION_END, &end);
  tg_bytes_free(&end);
  if (experiment->failed || session_start->failed || session_end->failed) {
    tg_set_last_error("tg_summary_writer_add_hparams: out of memory");
    return -1;
  }
  return 0;
}
