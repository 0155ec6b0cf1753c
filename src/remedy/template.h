/*
 * Parsed remediation templates (template.c): the rule table shared by the
 * loader and the planner.  Not a public interface.
 */
#ifndef MAMORI_REMEDY_TEMPLATE_H
#define MAMORI_REMEDY_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "remedy/remedy.h"

#define RM_MAX_SVC 16

struct rm_rule {
	char *match;		/* fnmatch glob on the indicator */
	char *family;		/* the template's family */
	char kind;		/* 0 any, 'f' file, 'r' registry */
	enum mamori_remedy_op op;
	char *value;		/* overrides the finding's value name */
	char *entry;		/* remove_list_entry: the string */
	char *key_below;	/* delete_key: delete the child of this component */
	char *string;		/* set_string: the text */
	char *hive;		/* only findings of this hive ("NTUSER.DAT") */
	bool has_data;
	uint32_t data;
	bool usb_worm;
	char *svc[RM_MAX_SVC];	/* restore_start: service -> Start */
	uint32_t svc_start[RM_MAX_SVC];
	size_t n_svc;
	unsigned line;		/* in its template file */
};

struct mamori_remedy_rules {
	struct rm_rule *v;
	size_t n, cap;
};

/* First rule (load order) whose match and kind fit f; NULL if none. */
const struct rm_rule *rm_rules_match(const struct mamori_remedy_rules *rs,
				     const struct mamori_finding *f);

#endif
