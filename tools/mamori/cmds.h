/* One entry point per subcommand, each in cmd_<name>.c (git's builtin/). */
#ifndef MAMORI_CMDS_H
#define MAMORI_CMDS_H

int cmd_net(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_clean(int argc, char **argv);
int cmd_quarantine(int argc, char **argv);
int cmd_correlate(int argc, char **argv);

#endif
