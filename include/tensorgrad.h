/* tensorgrad - a PyTorch-style autograd tensor framework in C11.
 * The one header a user includes: it pulls in every module. */
#ifndef TENSORGRAD_H
#define TENSORGRAD_H

#include "tensorgrad/tensor.h"   /* tensors, views, ops, RNG, scopes */
#include "tensorgrad/autograd.h" /* backward, grad mode, custom ops, gradcheck */
#include "tensorgrad/nn.h"       /* modules, layers, losses, init, summary */
#include "tensorgrad/optim.h"    /* optimizers, LR schedulers, clipping */
#include "tensorgrad/datasets.h" /* sklearn-exact generators, splits, built-in data, CSV */
#include "tensorgrad/data.h"     /* Dataset, DataLoader, scalers */
#include "tensorgrad/vision.h"   /* IDX files, FashionMNIST, transforms */
#include "tensorgrad/metrics.h"  /* accuracy, confusion matrix, P/R/F1, ROC/PR, AUC */
#include "tensorgrad/safetensors.h" /* the safetensors format */
#include "tensorgrad/checkpoint.h"  /* state dicts and checkpoints */
#include "tensorgrad/tensorboard.h" /* SummaryWriter event files */
#include "tensorgrad/png.h"         /* PNG encode/read/write */
#include "tensorgrad/plot.h"        /* line/scatter/contour/heatmap/image-grid plots */
#include "tensorgrad/progress.h"    /* tqdm-like progress bars */

#endif
