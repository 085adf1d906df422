/* sr_platform_import.h: a SimGrid XML platform as the platform section of an experiment.
 *
 * SimGrid itself reads the file (so every zone kind, cluster and route syntax it accepts works), then its
 * hosts, links and routes are written as simrun YAML: platform.devices  one per host: class from the host
 * property `simrun_class` or `class` when it names a device class, else edge; speed (flop/s per core, pstate
 * 0) and cores; power_idle and power_busy from `wattage_per_state` (its first and last values), else 0
 *   platform.links    one per link (SimGrid's own loopback links left out): type ethernet with the link's
 *                     bandwidth and latency, sharing shared or fatpipe
 *   platform.routes   one per ordered pair of hosts with a route (symmetric: false), its links in order
 * Names that are not [A-Za-z0-9_-] get '_' for the other characters. Not mapped: Wi-Fi cells (SimGrid's C API
 * does not say a link is a Wi-Fi link: they come out as shared links), disks, pstates beyond the first, and
 * platforms of more than SR_PLATFORM_IMPORT_MAX_HOSTS hosts (routes are listed pair by pair). */
#ifndef SR_PLATFORM_IMPORT_H
#define SR_PLATFORM_IMPORT_H

#include <stddef.h>
#include <stdio.h>

#include "sr_status.h"

#define SR_PLATFORM_IMPORT_MAX_HOSTS 512

/* Loads xml_path with SimGrid and writes the YAML (a top-level `platform:` mapping) to out. SimGrid is
 * initialised in the calling process, and aborts the process on a file it cannot parse: call this once, in a
 * process made for it (the CLI forks one). SR_ERR_UNSUPPORTED (message in err) when the platform has too many
 * hosts or names collide once made valid. */
sr_status sr_platform_import_simgrid(const char *xml_path, FILE *out, char *err, size_t err_size);

/* The same in a child process, so that the caller's process never initialises SimGrid: *yaml receives the YAML
 * text (caller frees). SR_ERR_PARSE with SimGrid's own message in err ("Parse error at FILE:LINE: ...") when
 * SimGrid cannot read the file; SR_ERR_UNSUPPORTED as above; SR_ERR_IO when the file cannot be read or the
 * child cannot be started. */
sr_status sr_platform_import_simgrid_text(const char *xml_path, char **yaml, char *err, size_t err_size);

#endif
