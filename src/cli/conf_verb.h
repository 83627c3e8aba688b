/*
 * cli/conf_verb.h - `kiln conf`: the effective configuration and where each
 * value came from (cli/conf_verb.c).
 */
#ifndef KILN_CLI_CONF_VERB_H
#define KILN_CLI_CONF_VERB_H

/* Runs `kiln conf` with the arguments after the verb. Returns the exit
 * status: 0, 1 (the configuration does not resolve; message on stderr) or
 * 2 (bad usage). */
int cmd_conf(int argc, char **argv);
/* Its usage, for `kiln help conf`. */
extern const char conf_usage[];

#endif
