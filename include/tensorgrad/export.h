/* The public surface of libtensorgrad.so.
 *
 * The library is compiled with -fvisibility=hidden: a function or variable is
 * exported only when a header of include/ declares it between TG_API_BEGIN and
 * TG_API_END. Every public header wraps all of its declarations in that pair,
 * so a declaration added to a public header is exported without further
 * marking, and everything else (the helpers the library's files share, such
 * as the plot canvas or the metrics' curve code) stays private to the library.
 * Those helpers carry the tg_ prefix too (tg_plot_, tg_metrics_, ...), so that
 * a program linking the static library cannot collide with them either.
 * tests/check_exports.sh holds the rule: every exported symbol starts with
 * tg_ and is declared in include/, every function declared there is exported,
 * and every global of the static library starts with tg_.
 *
 * The pair also opens and closes the extern "C" block for C++ users. */
#ifndef TENSORGRAD_EXPORT_H
#define TENSORGRAD_EXPORT_H

#if defined(__GNUC__)
#define TG_VISIBILITY_PUSH _Pragma("GCC visibility push(default)")
#define TG_VISIBILITY_POP _Pragma("GCC visibility pop")
#else
#define TG_VISIBILITY_PUSH
#define TG_VISIBILITY_POP
#endif

#ifdef __cplusplus
#define TG_API_BEGIN TG_VISIBILITY_PUSH extern "C" {
#define TG_API_END                                                                       \
  }                                                                                      \
  TG_VISIBILITY_POP
#else
#define TG_API_BEGIN TG_VISIBILITY_PUSH
#define TG_API_END TG_VISIBILITY_POP
#endif

#endif
