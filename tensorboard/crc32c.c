/* tensorboard/crc32c.c - CRC-32C, one bit at a time. Event records are small (the
 * largest are PNG images of a few hundred KB), so a table buys nothing worth
 * its shared mutable state. */
#include "crc32c.h"

#define CRC32C_POLY 0x82F63B78u /* Castagnoli, bit-reflected */

uint32_t tg_crc32c(const void *data, size_t n) {
  const uint8_t *p = data;
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; i++) {
    crc ^= p[i];
    for (int bit = 0; bit < 8; bit++) crc = (crc >> 1) ^ (CRC32C_POLY & (0u - (crc & 1)));
  }
  return crc ^ 0xFFFFFFFFu;
}

uint32_t tg_crc32c_mask(uint32_t crc) {
  return ((crc >> 15) | (crc << 17)) + 0xA282EAD8u;
}
