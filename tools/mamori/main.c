/*
 * mamori — command-line front end.  Dispatches to one cmd_<name>() per
 * subcommand from a table (git.c); every command takes --help.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmds.h"
#include "mamori/mamori.h"

static const struct cmd cmds[] = {
	{"net", cmd_net, "network intrusion detection on pcap files or a live interface"},
	{"scan", cmd_scan, "scan a Windows volume, USB image or tree for infection artefacts"},
	{"audit", cmd_audit, "hardening audit of a Windows volume: MS08-067, autorun, updates, LSA"},
	{"rules", cmd_rules, "check Suricata-syntax rule files: rules check FILE..."},
	{"clean", cmd_clean, "plan or apply journaled, reversible remediation of a scanned volume"},
	{"quarantine", cmd_quarantine, "list, restore or purge quarantined files: quarantine list|restore|purge"},
	{"correlate", cmd_correlate, "correlate EVE events into per-host incidents: correlate -r eve.json"},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: mamori [--version] [--help] <command> [<args>]\n\n"
		     "commands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(out, "  %-12s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(out, "\n'mamori <command> --help' describes a command.\n"
		     "exit codes: 0 success/clean, 1 something found, 2 error\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_ERROR;
	}
	const char *name = argv[1];
	if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
		usage(stdout);
		return EXIT_CLEAN;
	}
	if (!strcmp(name, "--version") || !strcmp(name, "-V")) {
		printf("mamori %s\n", mamori_version());
		return EXIT_CLEAN;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(name, cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	cli_error(NULL, "'%s' is not a mamori command; see 'mamori --help'", name);
	return EXIT_ERROR;
}
