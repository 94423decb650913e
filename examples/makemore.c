/* makemore: character-level language models of English words, in the
 * spirit of the makemore series. Four models learn to continue a word one
 * character at a time, on the same batches:
 *   bigram       a table of next-character logits per character
 *   mlp          an MLP over the embeddings of the last 3 characters
 *                (Bengio et al. 2003)
 *   lstm         an embedding, an LSTM and a linear head
 *   transformer  a small causal transformer (pre-norm encoder layers, GELU)
 *
 *   build/examples/makemore [--model all|bigram|mlp|lstm|transformer]
 *                           [--steps N] [--seed S] [--out DIR] [--threads T]
 *                           [--words FILE]
 *
 * The words are Debian's wamerican list (scripts/install-deps.sh wamerican)
 * filtered to lowercase a-z, shuffled with the seed and split 80/10/10.
 * Writes DIR/tb (train and val loss per step) and DIR/loss.png, prints
 * generated words, and ends with "makemore: <model>_val_loss=...".
 * examples/pytorch/makemore.py is the PyTorch twin: same data, same initial
 * weights, same batches, so the same losses (within float32 rounding). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "example.h"
#include "tensorgrad.h"

enum { BATCH_SIZE = 32, EVAL_BATCH = 32, N_SAMPLES = 10, DEFAULT_STEPS = 2000 };
static const double LEARNING_RATE = 5e-3;

/* ---- the models: forward(idx (B, T) int64) -> logits (B, T, vocab) ------------- */

typedef struct bigram {
  tg_module base;
  tg_tensor *logits; /* (V, V), owned by base */
} bigram;

static tg_tensor *bigram_forward(tg_module *m, tg_tensor *idx) {
  return tg_embedding(idx, ((bigram *)m)->logits, TG_NO_PADDING_IDX);
}
static const tg_module_vtable bigram_vtable = {"Bigram", bigram_forward};

static tg_module *bigram_new(int64_t vocab) {
  bigram *b = tg_module_new(&bigram_vtable, sizeof *b);
  tg_scope_begin();
  b->logits = tg_module_register_parameter(&b->base, "logits",
                                           tg_zeros(TG_SHAPE(vocab, vocab), TG_FLOAT32));
  tg_scope_end();
  return &b->base;
}

enum { MLP_CONTEXT = 3, MLP_EMBD = 16, MLP_HIDDEN = 128 };

typedef struct mlp {
  tg_module base;
  int64_t vocab;
  tg_module *wte, *hidden, *out;
} mlp;

/* idx moved one step right, the blank token (vocab) coming in at the left */
static tg_tensor *shift_right(tg_tensor *idx, int64_t blank) {
  tg_tensor *parts[2] = {tg_full(TG_SHAPE(tg_size(idx, 0), 1), (double)blank, TG_INT64),
                         tg_narrow(idx, 1, 0, tg_size(idx, 1) - 1)};
  return tg_cat(parts, 2, 1);
}

/* the embeddings of the current and previous MLP_CONTEXT - 1 characters */
static tg_tensor *mlp_forward(tg_module *m, tg_tensor *idx) {
  mlp *p = (mlp *)m;
  tg_tensor *embs[MLP_CONTEXT];
  for (int k = 0; k < MLP_CONTEXT; k++) {
    embs[k] = tg_module_forward(p->wte, idx);
    idx = shift_right(idx, p->vocab);
  }
  tg_tensor *h = tg_tanh(tg_module_forward(p->hidden, tg_cat(embs, MLP_CONTEXT, -1)));
  return tg_module_forward(p->out, h);
}
static const tg_module_vtable mlp_vtable = {"MLP", mlp_forward};

static tg_module *mlp_new(int64_t vocab) {
  mlp *p = tg_module_new(&mlp_vtable, sizeof *p);
  p->vocab = vocab;
  p->wte = tg_module_add(&p->base, "wte",
                         tg_nn_embedding(vocab + 1, MLP_EMBD, TG_NO_PADDING_IDX));
  p->hidden = tg_module_add(&p->base, "hidden",
                            tg_nn_linear(MLP_CONTEXT * MLP_EMBD, MLP_HIDDEN, true));
  p->out = tg_module_add(&p->base, "out", tg_nn_linear(MLP_HIDDEN, vocab, true));
  return &p->base;
}

enum { LSTM_EMBD = 16, LSTM_HIDDEN = 64 };

typedef struct lstm_lm {
  tg_module base;
  tg_module *wte, *lstm, *head;
} lstm_lm;

static tg_tensor *lstm_forward(tg_module *m, tg_tensor *idx) {
  lstm_lm *l = (lstm_lm *)m;
  tg_tensor *h = tg_module_forward(l->lstm, tg_module_forward(l->wte, idx));
  return tg_module_forward(l->head, h);
}
static const tg_module_vtable lstm_vtable = {"LSTMLM", lstm_forward};

static tg_module *lstm_new(int64_t vocab) {
  lstm_lm *l = tg_module_new(&lstm_vtable, sizeof *l);
  l->wte = tg_module_add(&l->base, "wte",
                         tg_nn_embedding(vocab, LSTM_EMBD, TG_NO_PADDING_IDX));
  l->lstm = tg_module_add(
      &l->base, "lstm",
      tg_nn_lstm(LSTM_EMBD, LSTM_HIDDEN, &(tg_rnn_opts){.batch_first = true}));
  l->head = tg_module_add(&l->base, "head", tg_nn_linear(LSTM_HIDDEN, vocab, true));
  return &l->base;
}

enum { TF_EMBD = 32, TF_HEADS = 4, TF_LAYERS = 2 };

typedef struct transformer {
  tg_module base;
  tg_module *wte, *wpe, *layers[TF_LAYERS], *ln_f, *head;
} transformer;

/* -inf above the diagonal: position i attends to positions <= i */
static tg_tensor *causal_mask(int64_t T) {
  tg_tensor *rows = tg_unsqueeze(tg_arange(0, (double)T, 1, TG_INT64), 1);
  tg_tensor *future = tg_gt(tg_arange(0, (double)T, 1, TG_INT64), rows);
  return tg_masked_fill(tg_zeros(TG_SHAPE(T, T), TG_FLOAT32), future, -INFINITY);
}

static tg_tensor *transformer_forward(tg_module *m, tg_tensor *idx) {
  transformer *t = (transformer *)m;
  int64_t T = tg_size(idx, 1);
  tg_tensor *pos = tg_arange(0, (double)T, 1, TG_INT64);
  tg_tensor *x = tg_add(tg_module_forward(t->wte, idx), tg_module_forward(t->wpe, pos));
  tg_tensor *mask = causal_mask(T);
  for (int i = 0; i < TF_LAYERS; i++)
    x = tg_transformer_encoder_layer_forward(t->layers[i], x, mask, NULL);
  return tg_module_forward(t->head, tg_module_forward(t->ln_f, x));
}
static const tg_module_vtable transformer_vtable = {"Transformer", transformer_forward};

static tg_module *transformer_new(int64_t vocab, int64_t block_size) {
  transformer *t = tg_module_new(&transformer_vtable, sizeof *t);
  t->wte =
      tg_module_add(&t->base, "wte", tg_nn_embedding(vocab, TF_EMBD, TG_NO_PADDING_IDX));
  t->wpe = tg_module_add(&t->base, "wpe",
                         tg_nn_embedding(block_size, TF_EMBD, TG_NO_PADDING_IDX));
  /* a Sequential as the ModuleList, so the names are PyTorch's layers.<i>. */
  tg_module *layers = tg_module_add(&t->base, "layers", tg_nn_sequential(NULL));
  for (int i = 0; i < TF_LAYERS; i++) {
    t->layers[i] = tg_nn_transformer_encoder_layer(TF_EMBD, TF_HEADS, 4 * TF_EMBD, 0.0,
                                                   "gelu", true, true);
    tg_nn_sequential_append(layers, t->layers[i]);
  }
  t->ln_f =
      tg_module_add(&t->base, "ln_f", tg_nn_layer_norm(TG_SHAPE(TF_EMBD), 1e-5, true));
  t->head = tg_module_add(&t->base, "head", tg_nn_linear(TF_EMBD, vocab, false));
  return &t->base;
}

static const char *const MODELS[] = {"bigram", "mlp", "lstm", "transformer"};
enum { N_MODELS = 4 };

static tg_module *model_new(int which, int64_t vocab, int64_t block_size) {
  switch (which) {
  case 0:
    return bigram_new(vocab);
  case 1:
    return mlp_new(vocab);
  case 2:
    return lstm_new(vocab);
  default:
    return transformer_new(vocab, block_size);
  }
}

/* ---- training ---------------------------------------------------------------- */

/* Mean cross-entropy of the next characters, padding (-1) ignored. */
static tg_tensor *loss_of(tg_module *model, tg_tensor *X, tg_tensor *Y) {
  tg_tensor *logits = tg_module_forward(model, X);
  int64_t vocab = tg_size(logits, -1);
  tg_loss_opts opts = {.has_ignore_index = true, .ignore_index = -1};
  return tg_cross_entropy_loss(tg_reshape(logits, TG_SHAPE(-1, vocab)),
                               tg_reshape(Y, TG_SHAPE(-1)), &opts);
}

/* The loss over a whole split, batch by batch, weighted by counted targets. */
static double split_loss(tg_module *model, tg_dataset *ds) {
  int64_t n = tg_dataset_len(ds);
  double total = 0, count = 0;
  int64_t *idx = example_calloc(EVAL_BATCH, sizeof *idx);
  tg_no_grad_begin();
  for (int64_t start = 0; start < n; start += EVAL_BATCH) {
    int64_t b = n - start < EVAL_BATCH ? n - start : EVAL_BATCH;
    for (int64_t i = 0; i < b; i++) idx[i] = start + i;
    tg_scope_begin();
    tg_tensor *X, *Y;
    tg_dataset_get_batch(ds, idx, b, &X, &Y);
    double targets = tg_item(tg_sum(tg_ne_scalar(Y, -1), TG_ALL_DIMS, false));
    total += tg_item(loss_of(model, X, Y)) * targets;
    count += targets;
    tg_scope_end();
  }
  tg_no_grad_end();
  free(idx);
  return total / count;
}

typedef struct curves {
  int steps;
  double *train;    /* per step */
  double *val;      /* per step, NAN where not evaluated */
  double final_val; /* after the last step */
} curves;

/* One AdamW step on a random batch (torch.randint over the train split). */
static double train_step(tg_module *model, tg_optimizer *opt, tg_dataset *train) {
  tg_scope_begin();
  tg_tensor *ix = tg_randint(0, tg_dataset_len(train), TG_SHAPE(BATCH_SIZE));
  tg_tensor *X, *Y;
  tg_dataset_get_batch(train, tg_data_i64(ix), BATCH_SIZE, &X, &Y);
  tg_tensor *loss = loss_of(model, X, Y);
  tg_optimizer_zero_grad(opt, true);
  tg_backward(loss, NULL, 0);
  tg_optimizer_step(opt);
  double value = tg_item(loss);
  tg_scope_end();
  return value;
}

static void train(const char *name, tg_module *model, tg_dataset *train_ds,
                  tg_dataset *val_ds, tg_summary_writer *tb, curves *c) {
  tg_adam_options o = TG_ADAMW_DEFAULTS;
  o.lr = LEARNING_RATE;
  o.betas[1] = 0.99;
  tg_optimizer *opt = tg_adamw(tg_module_parameters(model), o);
  int eval_every = c->steps >= 10 ? c->steps / 10 : 1;
  char tag[64];
  c->final_val = split_loss(model, val_ds); /* with no steps, the initial loss */
  for (int step = 1; step <= c->steps; step++) {
    c->train[step - 1] = train_step(model, opt, train_ds);
    snprintf(tag, sizeof tag, "%s/train_loss", name);
    example_check(tg_summary_writer_add_scalar(tb, tag, c->train[step - 1], step), tag);
    c->val[step - 1] = NAN;
    if (step <= 5) printf("%s step %d train_loss=%.6f\n", name, step, c->train[step - 1]);
    if (step % eval_every == 0 || step == c->steps) {
      c->val[step - 1] = c->final_val = split_loss(model, val_ds);
      snprintf(tag, sizeof tag, "%s/val_loss", name);
      example_check(tg_summary_writer_add_scalar(tb, tag, c->final_val, step), tag);
      printf("%s step %d val_loss=%.6f\n", name, step, c->final_val);
    }
  }
  tg_optimizer_free(opt);
}

/* ---- sampling: one character at a time until the boundary token ------------------- */

static void print_samples(const char *name, tg_module *model, const tg_char_vocab *v,
                          int64_t block_size) {
  int64_t *ctx = example_calloc((size_t)block_size, sizeof *ctx);
  printf("%s samples:", name);
  tg_no_grad_begin();
  for (int s = 0; s < N_SAMPLES; s++) {
    int64_t len = 1; /* ctx[0] is the start token 0 */
    printf(" ");
    while (len < block_size) {
      tg_scope_begin();
      tg_tensor *idx = tg_from_data(ctx, TG_SHAPE(1, len), TG_INT64);
      tg_tensor *logits = tg_select(tg_module_forward(model, idx), 1, len - 1);
      int64_t next = (int64_t)tg_item(tg_multinomial(tg_softmax(logits, -1), 1, false));
      tg_scope_end();
      if (next == 0) break;
      ctx[len++] = next;
      putchar(v->chars[next]);
    }
  }
  tg_no_grad_end();
  printf("\n");
  free(ctx);
}

/* ---- the loss plot: per model, the raw and smoothed train loss and the val loss ---- */

static void plot_losses(const char *path, const curves *c, const bool *ran) {
  tg_figure *fig = tg_figure_new(1200, 380, 1, N_MODELS);
  for (int m = 0; m < N_MODELS; m++) {
    if (!ran[m] || c[m].steps == 0) continue;
    int n = c[m].steps, n_val = 0;
    double *x = example_calloc((size_t)n, sizeof *x),
           *smooth = example_calloc((size_t)n, sizeof *smooth);
    double *vx = example_calloc((size_t)n, sizeof *vx),
           *vy = example_calloc((size_t)n, sizeof *vy);
    for (int i = 0; i < n; i++) {
      x[i] = i + 1;
      if (!isnan(c[m].val[i])) vx[n_val] = i + 1, vy[n_val++] = c[m].val[i];
    }
    example_centered_mean(c[m].train, n, n / 50, smooth);
    tg_axes *ax = tg_figure_axes(fig, m);
    tg_axes_plot(ax, x, c[m].train, n,
                 &(tg_style){.color = example_faded(tg_color_cycle(0))});
    tg_axes_plot(ax, x, smooth, n,
                 &(tg_style){.color = tg_color_cycle(0), .label = "train"});
    tg_axes_plot(ax, vx, vy, n_val,
                 &(tg_style){.color = tg_color_cycle(1), .label = "val"});
    tg_axes_set_title(ax, MODELS[m]);
    tg_axes_set_xlabel(ax, "step");
    tg_axes_set_ylabel(ax, "cross-entropy loss");
    tg_axes_set_grid(ax, true);
    free(x), free(smooth), free(vx), free(vy);
  }
  example_check(tg_figure_save(fig, path), path);
  tg_figure_free(fig);
}

/* ---- main ------------------------------------------------------------------------- */

static const char *DEFAULT_WORDS = "/usr/share/dict/american-english";

static void load_words(const char *path, tg_words *words) {
  if (tg_words_load(path, words) == 0) return;
  fprintf(stderr, "error: %s\n", tg_last_error());
  if (strcmp(path, DEFAULT_WORDS) == 0)
    fprintf(stderr, "install the word list with: scripts/install-deps.sh wamerican\n");
  exit(1);
}

int main(int argc, char **argv) {
  const char *model_flag = "all", *words_path = DEFAULT_WORDS;
  const example_flag flags[] = {
      {"--model", "all (default), bigram, mlp, lstm or transformer", &model_flag},
      {"--words",
       "the word list (default "
       "/usr/share/dict/american-english)",
       &words_path}};
  example_args args;
  example_parse_flags(argc, argv, "makemore", DEFAULT_STEPS, "--steps", flags, 2, &args);
  bool ran[N_MODELS] = {false}, any = false;
  for (int m = 0; m < N_MODELS; m++)
    any |= ran[m] = strcmp(model_flag, "all") == 0 || strcmp(model_flag, MODELS[m]) == 0;
  if (!any) {
    fprintf(stderr,
            "makemore: unknown --model '%s' (all, bigram, mlp, lstm, transformer)\n",
            model_flag);
    return 2;
  }

  tg_words words, train_words, val_words, test_words;
  load_words(words_path, &words);
  tg_words_split(&words, &train_words, &val_words, &test_words);
  tg_char_vocab vocab;
  tg_char_vocab_build(&vocab, &words);
  int64_t block_size = words.max_len + 1;
  printf("makemore: %lld words (train %lld, val %lld, test %lld), vocabulary %d, "
         "block_size %lld\n",
         (long long)words.n, (long long)train_words.n, (long long)val_words.n,
         (long long)test_words.n, vocab.size, (long long)block_size);
  tg_dataset *train_ds = tg_words_dataset_new(&train_words, &vocab, block_size);
  tg_dataset *val_ds = tg_words_dataset_new(&val_words, &vocab, block_size);

  char path[600];
  tg_summary_writer *tb =
      tg_summary_writer_open(example_path(&args, "tb", path, sizeof path));
  example_check(tb ? 0 : -1, "SummaryWriter");
  curves c[N_MODELS] = {{0}};
  for (int m = 0; m < N_MODELS; m++) {
    if (!ran[m]) continue;
    tg_manual_seed(args.seed); /* each model starts from the seed, as the twin does */
    tg_module *model = model_new(m, vocab.size, block_size);
    printf("%s: %lld parameters\n", MODELS[m],
           (long long)tg_module_num_parameters(model, false));
    c[m].steps = args.epochs;
    c[m].train = example_calloc((size_t)args.epochs, sizeof *c[m].train);
    c[m].val = example_calloc((size_t)args.epochs, sizeof *c[m].val);
    train(MODELS[m], model, train_ds, val_ds, tb, &c[m]);
    print_samples(MODELS[m], model, &vocab, block_size);
    tg_module_free(model);
  }
  example_check(tg_summary_writer_close(tb), "SummaryWriter.close");
  plot_losses(example_path(&args, "loss.png", path, sizeof path), c, ran);

  printf("makemore:");
  for (int m = 0; m < N_MODELS; m++)
    if (ran[m]) printf(" %s_val_loss=%.6f", MODELS[m], c[m].final_val);
  printf(" steps=%d seconds=%.1f\n", args.epochs, example_seconds(&args));
  for (int m = 0; m < N_MODELS; m++) free(c[m].train), free(c[m].val);
  tg_dataset_release(train_ds);
  tg_dataset_release(val_ds);
  tg_words_free(&words);
  tg_words_free(&train_words);
  tg_words_free(&val_words);
  tg_words_free(&test_words);
  return 0;
}
