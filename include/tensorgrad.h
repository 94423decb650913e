/* tensorgrad - a PyTorch-style autograd tensor framework in C11.
 * The one header a user includes. */
#ifndef TENSORGRAD_H
#define TENSORGRAD_H

#include "tensorgrad/tensor.h"
#include "tensorgrad/autograd.h"

#endif
