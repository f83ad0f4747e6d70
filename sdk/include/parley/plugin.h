/* The Parley plugin ABI: the only binary contract between parleyd and a plugin.
 *
 * This header grows in issue #3 (plugin SDK); what is here is stable already:
 * the version numbers a plugin is checked against and the status codes that
 * cross the boundary instead of exceptions. See docs/abi.md for the rules. */
#ifndef PARLEY_PLUGIN_H
#define PARLEY_PLUGIN_H

#ifdef __cplusplus
extern "C" {
#endif

/* ABI major: a plugin built for another major is refused. Since 1.0. */
#define PARLEY_ABI_MAJOR 1
/* ABI minor: the host loads plugins whose minor is at most its own. Since 1.0. */
#define PARLEY_ABI_MINOR 0

/* Status codes returned by every host and plugin function. Since 1.0. */
typedef enum parley_status {
    PARLEY_OK = 0,
    PARLEY_ERR_INVALID_ARGUMENT = 1,
    PARLEY_ERR_NOT_FOUND = 2,
    PARLEY_ERR_DENIED = 3,
    PARLEY_ERR_CONFLICT = 4,
    PARLEY_ERR_UNAVAILABLE = 5,
    PARLEY_ERR_INTERNAL = 6
} parley_status;

#ifdef __cplusplus
}
#endif

#endif /* PARLEY_PLUGIN_H */
