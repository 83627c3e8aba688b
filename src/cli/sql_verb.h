/*
 * cli/sql_verb.h - `kiln sql`: Spark SQL from the command line
 * (cli/sql_verb.c).
 */
#ifndef KILN_CLI_SQL_VERB_H
#define KILN_CLI_SQL_VERB_H

/* Runs `kiln sql` with the arguments after the verb. Returns the exit
 * status: 0, 1 (a statement failed; message on stderr) or 2 (bad usage). */
int cmd_sql(int argc, char **argv);
/* Its usage, for `kiln help sql`. */
extern const char sql_usage[];

#endif
