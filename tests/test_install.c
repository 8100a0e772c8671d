/* Install like a Unix tool (issue 17 item 10): `cmake --install` of the build this test
 * belongs to, into a temporary prefix, puts cfscan, the man page cfscan(1) and the bash
 * and zsh completions where GNUInstallDirs says; the man page renders with man -l without
 * a warning and lists every option `cfscan help` lists; the bash completion loads and
 * completes commands, options, formats and causes (cause names read here from
 * pipeline/causes.c, not from cfscan). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/util.h"

static char *g_prefix;

static void install(void)
{
    g_prefix = tu_mkdtemp();
    char cmd[2048], *out = NULL, *err = NULL;
    snprintf(cmd, sizeof cmd, "cmake --install %s --prefix %s", CFS_BUILD_DIR, g_prefix);
    int rc = tu_run(cmd, &out, &err);
    cr_assert_eq(rc, 0, "%s: %s%s", cmd, out, err);
    free(out);
    free(err);
}

static void cleanup(void) { tu_rmrf(g_prefix); }

TestSuite(install, .init = install, .fini = cleanup, .timeout = 120);

static int exists(const char *rel)
{
    char p[1024];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", g_prefix, rel);
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

Test(install, puts_the_program_man_page_and_completions_in_place)
{
    cr_assert(exists("bin/cfscan"), "no bin/cfscan");
    cr_assert(exists("share/man/man1/cfscan.1"), "no share/man/man1/cfscan.1");
    cr_assert(exists("share/bash-completion/completions/cfscan"), "no bash completion");
    cr_assert(exists("share/zsh/site-functions/_cfscan"), "no zsh completion");
    /* the installed program runs */
    char cmd[1024], *out = NULL;
    snprintf(cmd, sizeof cmd, "%s/bin/cfscan version", g_prefix);
    cr_assert_eq(tu_run(cmd, &out, NULL), 0);
    cr_assert(!strncmp(out, "cfscan ", 7), "%s", out);
    free(out);
}

Test(install, man_page_renders_without_warnings_and_lists_every_option_of_help)
{
    char cmd[2048], *man = NULL, *help = NULL;
    if (tu_run("command -v man >/dev/null", NULL, NULL) != 0)
        cr_skip_test("man is not installed (tools/install-deps.sh --test installs man-db): not checked");
    snprintf(cmd, sizeof cmd, "MANWIDTH=80 man --warnings -l %s/share/man/man1/cfscan.1 2>&1", g_prefix);
    cr_assert_eq(tu_run(cmd, &man, NULL), 0, "man -l failed: %s", man);
    cr_assert_gt(strlen(man), 1000, "man page too short:\n%s", man);
    cr_assert_null(strstr(man, "warning"), "man warns:\n%s", man);
    cr_assert_not_null(strstr(man, "EXIT STATUS"));
    /* every --option `cfscan help` names (its own words, split here) is in the page */
    char *prog = tu_prog("cfscan");
    snprintf(cmd, sizeof cmd, "%s help | grep -o -- '--[a-z][a-z-]*' | sort -u", prog);
    free(prog);
    cr_assert_eq(tu_run(cmd, &help, NULL), 0);
    int n = 0;
    char *save = NULL;
    for (char *o = strtok_r(help, "\n", &save); o; o = strtok_r(NULL, "\n", &save)) {
        /* man renders "-" as U+2010 only when it hyphenates; options keep ASCII '-' */
        cr_assert_not_null(strstr(man, o), "option %s of `cfscan help` missing from the man page", o);
        n++;
    }
    cr_assert_gt(n, 20, "only %d options in help", n);
    free(help);
    free(man);
}

/* Run the completion function in bash for the words given (the last one is completed). */
static char *complete(const char *words, int cword)
{
    char cmd[4096], *out = NULL, *err = NULL;
    snprintf(
        cmd, sizeof cmd,
        "bash -c 'source %s/share/bash-completion/completions/cfscan && complete -p cfscan >/dev/null && "
        "COMP_WORDS=(%s); COMP_CWORD=%d; _cfscan; printf \"%%s\\n\" \"${COMPREPLY[@]}\"'",
        g_prefix, words, cword);
    int rc = tu_run(cmd, &out, &err);
    cr_assert_eq(rc, 0, "bash completion: %s", err);
    free(err);
    return out;
}

Test(install, bash_completion_loads_and_completes_commands_options_formats_causes)
{
    char cmd[1024], *out = NULL;
    snprintf(cmd, sizeof cmd,
             "bash -c 'source %s/share/bash-completion/completions/cfscan; complete -p cfscan'", g_prefix);
    cr_assert_eq(tu_run(cmd, &out, NULL), 0);
    cr_assert_not_null(strstr(out, "_cfscan"));
    free(out);

    out = complete("cfscan \"\"", 1);
    cr_assert(strstr(out, "scan\n") && strstr(out, "requests\n") && strstr(out, "merge\n") &&
                  strstr(out, "rules\n"),
              "commands: %s", out);
    free(out);
    out = complete("cfscan scan --wa", 2);
    cr_assert_str_eq(out, "--waf-logs\n");
    free(out);
    out = complete("cfscan scan --format \"\"", 3);
    cr_assert_str_eq(out, "text\njson\nhtml\n"); /* --format html: issue 15 */
    free(out);

    /* every cause of causes.c (none excluded) completes after requests --cause */
    snprintf(cmd, sizeof cmd,
             "grep -o '\\[CFS_CAUSE_[A-Z0-9_]*\\] = \"[a-z0-9_]*\"' %s/pipeline/causes.c | cut -d'\"' -f2 | "
             "grep -v '^none$' | sort -u",
             CFS_SOURCE_DIR);
    char *causes = NULL;
    cr_assert_eq(tu_run(cmd, &causes, NULL), 0);
    char *all = complete("cfscan requests --cause \"\"", 3);
    int n = 0;
    char *save = NULL;
    for (char *c = strtok_r(causes, "\n", &save); c; c = strtok_r(NULL, "\n", &save)) {
        char want[96];
        snprintf(want, sizeof want, "\n%s\n", c);
        char *padded = malloc(strlen(all) + 2);
        padded[0] = '\n';
        strcpy(padded + 1, all);
        cr_assert_not_null(strstr(padded, want), "cause %s does not complete: %s", c, all);
        free(padded);
        n++;
    }
    cr_assert_geq(n, 13);
    free(all);
    free(causes);

    /* zsh's file names every cause too (zsh itself may not be installed here) */
    char p[1024];
    snprintf(p, sizeof p, "%s/share/zsh/site-functions/_cfscan", g_prefix);
    char *z = tu_read(p, NULL);
    cr_assert(z && !strncmp(z, "#compdef cfscan", 15));
    cr_assert_not_null(strstr(z, "waf_block"));
    cr_assert_not_null(strstr(z, "(text json html)"));
    free(z);
}
