/* tensorboard/crc32c.h - CRC-32C (Castagnoli), as TFRecord framing uses it. Private. */
#ifndef TG_TENSORBOARD_CRC32C_H
#define TG_TENSORBOARD_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* CRC-32C of n bytes: reflected polynomial 0x82F63B78, init and final xor
 * 0xFFFFFFFF. crc32c("123456789") == 0xE3069283. */
uint32_t tg_crc32c(const void *data, size_t n);

/* TFRecord's masking, which keeps a CRC stored inside data from being
 * mistaken for the CRC of that data: rotate right by 15, add a constant. */
uint32_t tg_crc32c_mask(uint32_t crc);

#endif
