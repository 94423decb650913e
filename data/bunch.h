/* Private helpers shared by the data-source files. */
#ifndef TG_DATA_BUNCH_H
#define TG_DATA_BUNCH_H

#include "tensorgrad/datasets.h"

/* Zeroes b, then allocates X (and y when labels) for the given shape; on
 * failure sets "<who>: out of memory ..." and returns -1. */
int tg_bunch_alloc(tg_bunch *b, int64_t n_samples, int64_t n_features, bool labels,
                   const char *who);
/* A malloc'd deep copy of n strings, or NULL when out of memory. */
char **tg_names_copy(const char *const *names, int64_t n);

struct tg_np_random;
/* sklearn.utils.shuffle(X, y, random_state=rs): one permutation of the rows. */
int tg_bunch_shuffle_rows(tg_bunch *b, struct tg_np_random *rs, const char *who);

#endif
