/* The op table: every built-in differentiable op, so the test suite can
 * walk it and gradcheck each one. Adding an op is its definition in its
 * own file plus one line in tensor/ops.def or nn/ops.def. */
#include "tensor/internal.h"

#define TG_OP(name) extern const tg_op tg_op_##name;
#include "tensor/ops.def"
#include "nn/ops.def"
#undef TG_OP

#define TG_OP(name) &tg_op_##name,
const tg_op *const tg_op_table[] = {
#include "tensor/ops.def"
#include "nn/ops.def"
};
#undef TG_OP

const int tg_op_table_size = (int)(sizeof tg_op_table / sizeof tg_op_table[0]);
