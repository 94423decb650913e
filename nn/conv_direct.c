/* Stride-1 float32 convolution straight from padded planes, without a
 * column matrix: LeNet's and the Fashion-MNIST CNN's thin products (6, 16,
 * 32 or 64 output channels) ran at a fraction of the GEMM's speed through
 * im2col and OpenBLAS, whose kernels are built for large square products,
 * and the column copies cost as much as the products.
 *
 * An image's planes are copied once into zero-padded planes of width pw
 * (the output's width plus the kernel's reach). Output pixel (y, x) then
 * sits at p = y pw + x, and kernel tap t = (c, i, j) reads the padded
 * input at off[t] + p, off[t] = (c ph + i dh) pw + j dw: every tap is the
 * same contiguous line, shifted. A product over pixels p is a GEMM whose
 * right operand's rows are these shifted lines (nothing copied), computed
 * in register tiles of all output channels by 2 vectors of pixels; the
 * pw - ow pixels past each row's end are computed and dropped.
 *   forward:       out[o, p]  = sum_t w[o, t] x[off[t] + p]   (+ bias)
 *   input grad:    gx[off[t] + p] += sum_o w[o, t] gout[o, p]: each tap's
 *                  line of products added into the padded planes, shifted
 *                  (gout padded with zeros past each row's end)
 *   weight grad:   gw[o, t]   = sum_n sum_p gout[n, o, p] x[n, off[t] + p]
 *                  (gout padded with zeros past each row's end), LANES
 *                  partial sums per element over a block of images.
 * The forward and input products are split over images across the pool's
 * threads, the weight gradient over runs of blocks of images whose partial
 * sums are added in order: the results do not depend on the thread
 * count. The tiles are compiled per instruction-set path (tensor/simd.h).
 * The forward and the input gradient fuse their multiply-adds where the
 * path has FMA (AVX2 and AVX-512 agree bit for bit, the baseline within
 * float32 rounding). The weight gradient fuses none, so every path gives
 * the same bits: its sums (gout times x over a batch of pixels) nearly
 * cancel behind batch norm, where the last bits decide which way a short
 * Adam run goes; this order keeps the digits example's CNN on PyTorch's
 * accuracy (example_parity), the fused one did not. OpenBLAS is not
 * called, so its threads and the pool's never meet here. */
#include <math.h>
#include <string.h>

#include "nn/conv.h"

enum {
  LANES = 16,       /* partial sums of a weight-gradient element, on every path */
  TILE_PIXELS = 32, /* the widest tile's pixels */
  /* products cover a multiple of half of it, the last tiles half-wide
   * (LeNet's conv2: 144 pixels computed for its 10 x 14, not 160) */
  PIXEL_STEP = TILE_PIXELS / 2,
  /* multiply-adds per pool task at least: below it a wake-up costs more
   * than the work */
  TASK_MACS = 1 << 17,
  /* multiply-adds per block of the weight gradient, whose images are
   * summed in registers (its planes are the scratch: about 1 MB at most
   * for a block of one image and 1M multiply-adds) */
  BLOCK_MACS = 1 << 20,
  /* partial sums of the weight gradient at most: runs of blocks, each a
   * task of the pool, added in order at the end. Blocks and parts are
   * fixed by the shapes, never by the thread count. */
  MAX_PARTS = 16,
  /* weights of a group (output channels x taps) from which the column
   * kernels' GEMM computes the weight gradient in fewer instructions than
   * the unfused lanes here (callgrind: the Fashion CNN's 64 x 288 conv2
   * 355M against 676M; LeNet's 16 x 150 and 6 x 25 are thin enough) */
  WIDE_WEIGHT = 1 << 12,
};

/* One image's product: rows (m, n) = a (m, k; row stride a_rs) times
 * the k shifted lines src + off[t] (each n long). */
typedef struct shifted_product {
  const float *a;
  int64_t a_rs;
  const int64_t *off;
  int64_t m, k, n;
} shifted_product;

/* One image's input gradient: dst[off[t] + p] += sum_o a[t][o] g[o][p]
 * for the k taps, m output channels and n pixels of g (m, n). */
typedef struct scatter_product {
  const float *a, *g;
  const int64_t *off;
  int64_t m, k, n;
} scatter_product;

/* A block's weight gradient: `images` images, each with g (m, n) and
 * padded planes src; off has k taps. */
typedef struct weight_product {
  const float *g, *src;
  int64_t g_stride, src_stride, images;
  bool add; /* to the lanes of the blocks before */
  const int64_t *off;
  int64_t m, k, n;
} weight_product;

/* GCC's vector extension, as in ops/gemm_small.c: dvVL holds VL floats;
 * loads and stores go through unaligned, aliasing twins. The
 * weight gradient keeps LANES partial sums per element on every path (one
 * AVX-512 register, two AVX ones, four SSE ones). */
typedef float dv4 __attribute__((vector_size(16)));
typedef float dv4_unaligned __attribute__((vector_size(16), aligned(4), may_alias));
typedef float dv8 __attribute__((vector_size(32)));
typedef float dv8_unaligned __attribute__((vector_size(32), aligned(4), may_alias));
typedef float dv16 __attribute__((vector_size(64)));
typedef float dv16_unaligned __attribute__((vector_size(64), aligned(4), may_alias));

/* The tiles per vector length (registers: 32 AVX-512 ones, 16 AVX or SSE):
 * ROWS output channels by 2 vectors in the forward (12 or 16 accumulators),
 * SROWS taps by TILE_PIXELS in the input gradient (8 to 16), and WROWS rows
 * by WTAPS taps of LANES partial sums in the weight gradient (8 or 16). */
// clang-format off
#define ROWS_4 6
#define SROWS_4 1
#define WROWS_4 1
#define WTAPS_4 2
#define ROWS_8 6
#define SROWS_8 3
#define WROWS_8 2
#define WTAPS_8 2
#define ROWS_16 8
#define SROWS_16 8
#define WROWS_16 4
#define WTAPS_16 4
// clang-format on

/* acc += a b, fused where the path has FMA; SPLAT(x): x in every lane. */
#define MADD4(acc, a, b) ((acc) += (a) * (b))
#define SPLAT4(x) ((x) - (dv4){0})
#ifdef TG_HAVE_PATHS
#include <immintrin.h>
#define MADD8(acc, a, b)                                                                 \
  ((acc) = (dv8)_mm256_fmadd_ps((__m256)(a), (__m256)(b), (__m256)(acc)))
#define SPLAT8(x) ((dv8)_mm256_set1_ps(x))
#define MADD16(acc, a, b)                                                                \
  ((acc) = (dv16)_mm512_fmadd_ps((__m512)(a), (__m512)(b), (__m512)(acc)))
#define SPLAT16(x) ((dv16)_mm512_set1_ps(x))
#else
#define MADD8 MADD4
#define MADD16 MADD4
#define SPLAT8(x) ((x) - (dv8){0})
#define SPLAT16(x) ((x) - (dv16){0})
#endif

#define VL 4
#define TILE_TARGET
#include "nn/conv_direct_tiles.inc"
#define VL 8
#define TILE_TARGET TG_TARGET_AVX2
#include "nn/conv_direct_tiles.inc"
#define VL 16
#define TILE_TARGET TG_TARGET_AVX512
#include "nn/conv_direct_tiles.inc"

/* Each path's copy of a kernel of the tiles (name##_4, _8 and _16), and
 * name##_paths, the table tg_simd_isa() picks one from. */
#define PATHS(name, params, args)                                                        \
  static void name##baseline params {                                                    \
    name##4 args;                                                                        \
  }                                                                                      \
  static TG_TARGET_AVX2 void name##avx2 params {                                         \
    name##8 args;                                                                        \
  }                                                                                      \
  static TG_TARGET_AVX512 void name##avx512 params {                                     \
    name##16 args;                                                                       \
  }                                                                                      \
  static void(*const name##paths[TG_ISA_COUNT])                                          \
      params = {[TG_ISA_BASELINE] = name##baseline,                                      \
                [TG_ISA_AVX2] = name##avx2,                                              \
                [TG_ISA_AVX512] = name##avx512}

PATHS(shifted_rows_, (const shifted_product *sp, const float *src, float *rows),
      (sp, src, rows));
PATHS(scatter_rows_, (const scatter_product *sp, float *dst), (sp, dst));
PATHS(weight_lanes_, (const weight_product *wp, float *lanes), (wp, lanes));
PATHS(copy_block_,
      (float *dst, int64_t ds, const float *src, int64_t ss, int64_t rows, int64_t width,
       const float *bias),
      (dst, ds, src, ss, rows, width, bias));
typedef void shifted_fn(const shifted_product *sp, const float *src, float *rows);
typedef void scatter_fn(const scatter_product *sp, float *dst);
typedef void weight_fn(const weight_product *wp, float *lanes);

/* The path's copy of rows of floats between strided planes. */
static void copy_block(float *dst, int64_t ds, const float *src, int64_t ss, int64_t rows,
                       int64_t width) {
  copy_block_paths[tg_simd_isa()](dst, ds, src, ss, rows, width, NULL);
}

static int64_t round_up(int64_t v, int64_t to) {
  return (v + to - 1) / to * to;
}

/* ---- padded planes ---- */

/* Planes of (h, w) placed at (top, left) in zero planes of (ph, pw), the
 * parts outside cut off (top and left may be negative). */
typedef struct padding {
  int64_t planes, h, w;
  int64_t ph, pw, top, left;
  int64_t reach; /* (kw - 1) dw: how far the last tap reads past a row */
} padding;

/* Floats of the padded planes plus what the last tiles read past them. */
static int64_t padded_floats(const padding *pd) {
  return pd->planes * pd->ph * pd->pw + pd->reach + TILE_PIXELS;
}

/* Zeros first, then the rows holding data: one memset and a copy a plane
 * (a memset and a memcpy a short row had cost as much as the copying). */
static void pad_planes(const padding *pd, const float *src, float *dst) {
  int64_t x0 = pd->left > 0 ? pd->left : 0; /* first column holding data */
  int64_t first = x0 - pd->left;            /* and the source column it holds */
  int64_t width = pd->w - first < pd->pw - x0 ? pd->w - first : pd->pw - x0;
  memset(dst, 0, (size_t)padded_floats(pd) * sizeof(float));
  if (width <= 0) return;
  int64_t y0 = pd->top > 0 ? pd->top : 0; /* first row holding data */
  int64_t y1 = pd->top + pd->h < pd->ph ? pd->top + pd->h : pd->ph;
  for (int64_t c = 0; c < pd->planes; c++)
    copy_block(dst + (c * pd->ph + y0) * pd->pw + x0, pd->pw,
               src + (c * pd->h + y0 - pd->top) * pd->w + first, pd->w, y1 - y0, width);
}

/* off[t] for the taps t = (c, i, j) of the padded planes, in weight order. */
static void tap_offsets(const tg_conv_geometry *g, const padding *pd, int64_t *off) {
  int64_t t = 0;
  for (int64_t c = 0; c < pd->planes; c++)
    for (int64_t i = 0; i < g->kh; i++)
      for (int64_t j = 0; j < g->kw; j++) {
        off[t++] = (c * pd->ph + i * g->dh) * pd->pw + j * g->dw;
      }
}

/* The input planes as the forward and the weight gradient read them. */
static padding input_padding(const tg_conv_geometry *g) {
  return (padding){.planes = g->c / g->groups,
                   .h = g->h,
                   .w = g->w,
                   .ph = g->oh + (g->kh - 1) * g->dh,
                   .pw = g->ow + (g->kw - 1) * g->dw,
                   .top = g->pt,
                   .left = g->pl,
                   .reach = (g->kw - 1) * g->dw};
}

/* rows (`rows`, n) <- one image's output-gradient planes of a group at
 * pixels y pw + x, zeros everywhere else (past each row's end, past the
 * last row, in the rows past the group's channels). */
static void gout_rows(const tg_conv_geometry *g, int64_t pw, int64_t n, int64_t rows,
                      const float *gout, float *dst) {
  int64_t og = g->o / g->groups;
  memset(dst, 0, (size_t)(rows * n) * sizeof(float));
  for (int64_t m = 0; m < og; m++)
    copy_block(dst + m * n, pw, gout + m * g->oh * g->ow, g->ow, g->oh, g->ow);
}

bool tg_nn_conv_direct_applies(const tg_conv_geometry *g, tg_dtype dtype) {
  return dtype == TG_FLOAT32 && g->sh == 1 && g->sw == 1 && g->n > 0 && g->c > 0 &&
         g->oh > 0 && g->ow > 0;
}

bool tg_nn_conv_direct_weight_applies(const tg_conv_geometry *g, tg_dtype dtype) {
  return tg_nn_conv_direct_applies(g, dtype) &&
         g->o / g->groups * tg_nn_conv_col_rows(g) < WIDE_WEIGHT;
}

/* ---- forward: one shifted product per image and group ---- */

/* A product per image: src_planes of src_h x src_w padded (pd), a
 * (groups x m, k) weights per group, rows out_h x out_w per output plane. */
typedef struct image_products {
  const tg_conv_geometry *g;
  padding pd;
  const float *src, *a, *bias;
  int64_t m, k, out_h, out_w; /* per group */
  int64_t src_channels, out_channels;
  const int64_t *off;
  float *out;
  float *scratch; /* per pool slot: padded planes, then the product's rows */
  int64_t slot_floats;
} image_products;

/* out plane (out_h, out_w) <- rows' pixels y pw + x (+ bias). */
static void store_planes(const image_products *ip, const float *rows, int64_t n,
                         int64_t img, int64_t grp) {
  for (int64_t m = 0; m < ip->m; m++) {
    float *dst =
        ip->out + ((img * ip->out_channels) + grp * ip->m + m) * ip->out_h * ip->out_w;
    copy_block_paths[tg_simd_isa()](dst, ip->out_w, rows + m * n, ip->pd.pw, ip->out_h,
                                    ip->out_w,
                                    ip->bias ? ip->bias + grp * ip->m + m : NULL);
  }
}

/* The pixels of a product's rows, padded to whole tiles. */
static int64_t image_row_pixels(const image_products *ip) {
  return round_up(ip->out_h * ip->pd.pw, PIXEL_STEP);
}

static void image_range(int64_t begin, int64_t end, int slot, void *arg) {
  const image_products *ip = arg;
  int64_t n = image_row_pixels(ip);
  float *padded = ip->scratch + slot * ip->slot_floats;
  float *rows = padded + padded_floats(&ip->pd);
  shifted_fn *product = shifted_rows_paths[tg_simd_isa()];
  int64_t groups = ip->g->groups, plane = ip->pd.h * ip->pd.w;
  for (int64_t img = begin; img < end; img++)
    for (int64_t grp = 0; grp < groups; grp++) {
      pad_planes(&ip->pd,
                 ip->src + (img * ip->src_channels + grp * ip->pd.planes) * plane,
                 padded);
      shifted_product sp = {.a = ip->a + grp * ip->m * ip->k,
                            .a_rs = ip->k,
                            .off = ip->off,
                            .m = ip->m,
                            .k = ip->k,
                            .n = n};
      product(&sp, padded, rows);
      store_planes(ip, rows, n, img, grp);
    }
}

/* Images at least per pool task, for a product of `macs` per image. */
static int64_t images_per_task(int64_t macs) {
  return macs >= TASK_MACS ? 1 : (TASK_MACS + macs - 1) / (macs > 0 ? macs : 1);
}

void tg_nn_conv_direct_forward(const tg_conv_geometry *g, const float *x, const float *w,
                               const float *bias, float *out) {
  image_products ip = {.g = g,
                       .pd = input_padding(g),
                       .src = x,
                       .a = w,
                       .bias = bias,
                       .m = g->o / g->groups,
                       .k = tg_nn_conv_col_rows(g),
                       .out_h = g->oh,
                       .out_w = g->ow,
                       .src_channels = g->c,
                       .out_channels = g->o,
                       .out = out};
  int slots = tg_parallel_threads();
  ip.slot_floats = round_up(padded_floats(&ip.pd) + ip.m * image_row_pixels(&ip), 16);
  tg_storage *s = tg_storage_new((size_t)ip.k * sizeof(int64_t) +
                                 (size_t)(slots * ip.slot_floats) * sizeof(float));
  tap_offsets(g, &ip.pd, s->data);
  ip.off = s->data;
  ip.scratch = (float *)(ip.off + ip.k);
  int64_t macs = g->o * ip.k * g->oh * ip.pd.pw;
  tg_parallel_for_slots(g->n, images_per_task(macs), slots, image_range, &ip);
  tg_storage_release(s);
}

/* ---- input gradient: each tap's line of products added into padded planes ---- */

typedef struct input_grads {
  const tg_conv_geometry *g;
  padding pd;
  const float *gout, *a; /* a: the weight transposed, (k, o / groups) per group */
  const int64_t *off;
  int64_t k, n;
  float *gx;
  float *scratch; /* per pool slot: padded planes, then gout's rows */
  int64_t slot_floats;
} input_grads;

/* gx's planes of one image and group <- the padded planes' inside. */
static void crop_planes(const input_grads *ig, const float *padded, float *gx) {
  const padding *pd = &ig->pd;
  for (int64_t c = 0; c < pd->planes; c++)
    copy_block(gx + c * pd->h * pd->w, pd->w,
               padded + (c * pd->ph + pd->top) * pd->pw + pd->left, pd->pw, pd->h, pd->w);
}

static void input_grad_range(int64_t begin, int64_t end, int slot, void *arg) {
  const input_grads *ig = arg;
  const tg_conv_geometry *g = ig->g;
  int64_t og = g->o / g->groups, cg = g->c / g->groups;
  int64_t floats = padded_floats(&ig->pd);
  float *padded = ig->scratch + slot * ig->slot_floats, *rows = padded + floats;
  scatter_fn *product = scatter_rows_paths[tg_simd_isa()];
  for (int64_t img = begin; img < end; img++)
    for (int64_t grp = 0; grp < g->groups; grp++) {
      memset(padded, 0, (size_t)floats * sizeof(float));
      gout_rows(g, ig->pd.pw, ig->n, og,
                ig->gout + (img * g->o + grp * og) * g->oh * g->ow, rows);
      scatter_product sp = {.a = ig->a + grp * ig->k * og,
                            .g = rows,
                            .off = ig->off,
                            .m = og,
                            .k = ig->k,
                            .n = ig->n};
      product(&sp, padded);
      crop_planes(ig, padded, ig->gx + (img * g->c + grp * cg) * g->h * g->w);
    }
}

/* The input gradient's taps channel by channel innermost, (i, j, c): the
 * lines of two taps in a row are then a plane apart, so a tap's
 * load-add-store does not wait on the overlapping store just before it
 * (kernel-neighbour taps' lines are shifted by one element, which defeats
 * store forwarding). Returns the weight order's tap for tap t. */
static int64_t scatter_tap(const tg_conv_geometry *g, int64_t t) {
  int64_t cg = g->c / g->groups, c = t % cg, ij = t / cg;
  return (c * g->kh + ij / g->kw) * g->kw + ij % g->kw;
}

void tg_nn_conv_direct_input_grad(const tg_conv_geometry *g, const float *gout,
                                  const float *w, float *gx) {
  int64_t og = g->o / g->groups;
  input_grads ig = {.g = g, .pd = input_padding(g), .gout = gout, .gx = gx};
  ig.k = tg_nn_conv_col_rows(g);
  ig.n = round_up(g->oh * ig.pd.pw, PIXEL_STEP);
  int slots = tg_parallel_threads();
  ig.slot_floats = round_up(padded_floats(&ig.pd) + og * ig.n, 16);
  int64_t a_floats = round_up(g->o * ig.k, 16);
  tg_storage *s =
      tg_storage_new((size_t)(2 * ig.k) * sizeof(int64_t) +
                     (size_t)(a_floats + slots * ig.slot_floats) * sizeof(float));
  int64_t *by_weight = s->data, *off = by_weight + ig.k;
  float *a = (float *)(off + ig.k);
  ig.scratch = a + a_floats;
  tap_offsets(g, &ig.pd, by_weight);
  for (int64_t t = 0; t < ig.k; t++) off[t] = by_weight[scatter_tap(g, t)];
  for (int64_t grp = 0; grp < g->groups; grp++) /* a[grp][t][o] = w[grp og + o][t] */
    for (int64_t t = 0; t < ig.k; t++)
      for (int64_t o = 0; o < og; o++)
        a[(grp * ig.k + t) * og + o] = w[(grp * og + o) * ig.k + scatter_tap(g, t)];
  ig.off = off;
  ig.a = a;
  int64_t macs = g->o * ig.k * ig.n;
  tg_parallel_for_slots(g->n, images_per_task(macs), slots, input_grad_range, &ig);
  tg_storage_release(s);
}

/* ---- weight gradient: blocks of images, partial sums added in block order ---- */

typedef struct weight_blocks {
  const tg_conv_geometry *g;
  padding pd;
  const float *x, *gout;
  int64_t per_block, blocks, per_part, m, k, n; /* m: output channels per group */
  weight_fn *lanes_of;                          /* the path's tiles */
  const int64_t *off;
  float *partials; /* (parts, o, k) */
  float *scratch;  /* per pool slot: a block's planes, then its lanes */
  int64_t slot_floats;
} weight_blocks;

/* A fixed-order sum of one element's partial sums. */
static float lanes_sum(const float *lanes) {
  float s = lanes[0];
  for (int l = 1; l < LANES; l++) s += lanes[l];
  return s;
}

/* Adds a block's gradient to the part's partial sums, lanes (groups, m,
 * k, LANES), or stores it there (the part's first block). */
static void weight_block(const weight_blocks *wb, int64_t block, float *scratch,
                         float *lanes, bool first_of_part) {
  const tg_conv_geometry *g = wb->g;
  int64_t first = block * wb->per_block;
  int64_t images = g->n - first < wb->per_block ? g->n - first : wb->per_block;
  int64_t og = g->o / g->groups, cg = g->c / g->groups;
  int64_t src_stride = padded_floats(&wb->pd), g_stride = wb->m * wb->n;
  float *src = scratch, *gs = src + images * src_stride;
  for (int64_t grp = 0; grp < g->groups; grp++) {
    for (int64_t t = 0; t < images; t++) {
      int64_t img = first + t;
      pad_planes(&wb->pd, wb->x + (img * g->c + grp * cg) * g->h * g->w,
                 src + t * src_stride);
      gout_rows(g, wb->pd.pw, wb->n, wb->m,
                wb->gout + (img * g->o + grp * og) * g->oh * g->ow, gs + t * g_stride);
    }
    weight_product wp = {.g = gs,
                         .src = src,
                         .g_stride = g_stride,
                         .src_stride = src_stride,
                         .images = images,
                         .add = !first_of_part,
                         .off = wb->off,
                         .m = wb->m,
                         .k = wb->k,
                         .n = wb->n};
    wb->lanes_of(&wp, lanes + grp * wb->m * wb->k * LANES);
  }
}

/* Parts [begin, end): each its blocks' lanes summed in order, then each
 * element's lanes added up. */
/* A block's planes (images and gout rows), the floats before its lanes. */
static int64_t block_planes(const weight_blocks *wb) {
  return wb->per_block * (padded_floats(&wb->pd) + wb->m * wb->n);
}

static void part_range(int64_t begin, int64_t end, int slot, void *arg) {
  const weight_blocks *wb = arg;
  const tg_conv_geometry *g = wb->g;
  int64_t per_group = wb->m * wb->k * LANES;
  float *planes = wb->scratch + slot * wb->slot_floats;
  float *lanes = planes + block_planes(wb);
  for (int64_t part = begin; part < end; part++) {
    int64_t first = part * wb->per_part, last = first + wb->per_part;
    for (int64_t b = first; b < last && b < wb->blocks; b++)
      weight_block(wb, b, planes, lanes, b == first);
    float *partial = wb->partials + part * g->o * wb->k;
    for (int64_t grp = 0; grp < g->groups; grp++)
      for (int64_t m = 0; m < wb->m; m++)
        for (int64_t t = 0; t < wb->k; t++)
          partial[(grp * wb->m + m) * wb->k + t] =
              lanes_sum(lanes + grp * per_group + (m * wb->k + t) * LANES);
  }
}

/* gw's element (o, t) summed over the real output pixels alone, in double.
 * The lanes also multiply the pixels past each row's end, whose gradient
 * is zero, by the input they read; an inf or NaN there makes 0 x inf =
 * NaN in an element whose true sum is finite (PyTorch's is). Only such a
 * NaN element is summed again, so a finite step never comes here. */
static float real_pixels_sum(const tg_conv_geometry *g, const float *x, const float *gout,
                             int64_t o, int64_t t) {
  int64_t og = g->o / g->groups, cg = g->c / g->groups;
  int64_t c = o / og * cg + t / (g->kh * g->kw), i = t / g->kw % g->kh, j = t % g->kw;
  double sum = 0;
  for (int64_t n = 0; n < g->n; n++)
    for (int64_t y = 0; y < g->oh; y++) {
      int64_t iy = y + i * g->dh - g->pt;
      if (iy < 0 || iy >= g->h) continue;
      for (int64_t xx = 0; xx < g->ow; xx++) {
        int64_t ix = xx + j * g->dw - g->pl;
        if (ix < 0 || ix >= g->w) continue;
        sum += (double)gout[((n * g->o + o) * g->oh + y) * g->ow + xx] *
               x[((n * g->c + c) * g->h + iy) * g->w + ix];
      }
    }
  return (float)sum;
}

void tg_nn_conv_direct_weight_grad(const tg_conv_geometry *g, const float *x,
                                   const float *gout, float *gw) {
  weight_blocks wb = {.g = g, .pd = input_padding(g), .x = x, .gout = gout};
  wb.k = tg_nn_conv_col_rows(g);
  wb.lanes_of = weight_lanes_paths[tg_simd_isa()];
  wb.m = g->o / g->groups;
  /* whole LANES of pixels: the lanes' tiles step by LANES, and the pixels
   * past the last row (zero gradients) would only add zeros */
  wb.n = round_up(g->oh * wb.pd.pw, LANES);
  /* the blocks' size, which decides the partial sums, as it always was */
  int64_t macs = g->o * wb.k * round_up(g->oh * wb.pd.pw, TILE_PIXELS);
  wb.per_block = (BLOCK_MACS + macs - 1) / macs; /* its scratch: a block's planes */
  wb.blocks = (g->n + wb.per_block - 1) / wb.per_block;
  wb.per_part = (wb.blocks + MAX_PARTS - 1) / MAX_PARTS;
  int64_t parts = (wb.blocks + wb.per_part - 1) / wb.per_part;
  int slots = tg_parallel_threads();
  int64_t partial_floats = round_up(parts * g->o * wb.k, 16);
  wb.slot_floats = round_up(block_planes(&wb) + g->groups * wb.m * wb.k * LANES, 16);
  tg_storage *s =
      tg_storage_new((size_t)wb.k * sizeof(int64_t) +
                     (size_t)(partial_floats + slots * wb.slot_floats) * sizeof(float));
  int64_t *off = s->data;
  tap_offsets(g, &wb.pd, off);
  wb.off = off;
  wb.partials = (float *)(off + wb.k);
  wb.scratch = wb.partials + partial_floats;
  tg_parallel_for_slots(parts, 1, slots, part_range, &wb);
  int64_t size = g->o * wb.k;
  memcpy(gw, wb.partials, (size_t)size * sizeof(float));
  for (int64_t b = 1; b < parts; b++)
    for (int64_t e = 0; e < size; e++) gw[e] += wb.partials[b * size + e];
  for (int64_t e = 0; e < size; e++)
    if (isnan(gw[e])) gw[e] = real_pixels_sum(g, x, gout, e / wb.k, e % wb.k);
  tg_storage_release(s);
}
