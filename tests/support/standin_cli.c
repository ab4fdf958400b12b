/* standin_cli.c - the ray stand-in (a test fixture, not Ray): signals, and the command line: commands, options, their parsing. */
#include "standin.h"

/* ------------------------------------------------------------------ */
/* Signals. SIGTERM and SIGINT end a node with status 0. The handlers  */
/* are installed explicitly so that this also works when the stand-in */
/* is PID 1 (the kernel ignores default-action signals sent to PID 1).*/
/* A worker first tells its head it is leaving (LEAVE), as Ray's       */
/* raylet unregisters on SIGTERM. A serving head wakes its loop through */
/* a self-pipe, to stop its jobs before it exits.                      */
/* ------------------------------------------------------------------ */

volatile sig_atomic_t g_wrote_pid_file;
volatile sig_atomic_t g_wrote_port_file;
volatile sig_atomic_t g_wrote_addr_file;
volatile sig_atomic_t g_leave_fd = -1;   /* worker: the joined socket */
volatile sig_atomic_t g_serving;         /* head: in its poll loop */
volatile sig_atomic_t g_stop_requested;  /* head: SIGTERM/SIGINT came */
int g_sig_pipe[2] = {-1, -1};            /* head: wakes the poll loop */

void remove_state_files(void)
{
    if (g_wrote_pid_file)
        unlink(PID_FILE);
    if (g_wrote_port_file)
        unlink(PORT_FILE);
    if (g_wrote_addr_file)
        unlink(HEAD_ADDR_FILE);
}

void wake_loop(char what)
{
    if (g_sig_pipe[1] >= 0 && write(g_sig_pipe[1], &what, 1) < 0) {
        /* the pipe is full: the loop wakes anyway */
    }
}

/* Only async-signal-safe calls here: send, write, unlink and _exit. */
void on_stop_signal(int sig)
{
    int saved = errno;
    (void)sig;
    if (g_serving) {
        g_stop_requested = 1;
        wake_loop('T');
        errno = saved;
        return;
    }
    if (g_leave_fd >= 0)
        send(g_leave_fd, "LEAVE\n", 6, MSG_NOSIGNAL | MSG_DONTWAIT);
    remove_state_files();
    _exit(0);
}

void on_child_signal(int sig)
{
    int saved = errno;
    (void)sig;
    wake_loop('C');
    errno = saved;
}

void install_signal_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_stop_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
}

/* ------------------------------------------------------------------ */
/* Command-line parsing, after Click (which Ray's CLI uses): unknown    */
/* options, values given to flags and bad values are usage errors that */
/* exit with status 2.                                                 */
/* ------------------------------------------------------------------ */



/* The words of an OPT_CHOICE option (NULL-terminated): Ray's
 * add_click_logging_options has the only two. */
const char *const *choices_of(const char *name)
{
    static const char *const styles[] = {"auto", "record", "pretty", NULL};
    static const char *const colors[] = {"auto", "false", "true", NULL};
    return strcmp(name, "--log-style") == 0 ? styles : colors;
}



void usage_error(const struct command *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr,
            "Usage: ray %s [OPTIONS]%s%s\n"
            "Try 'ray %s --help' for help.\n\nError: ",
            cmd->name, cmd->args_name ? " " : "", cmd->args_name ? cmd->args_name : "",
            cmd->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(2);
}

void print_command_help(const struct command *cmd)
{
    size_t i;
    printf("Usage: ray %s [OPTIONS]%s%s\n\n  %s\n\n"
           "  (raylaunch's ray stand-in for tests; this is not Ray.)\n\n"
           "Options:\n",
           cmd->name, cmd->args_name ? " " : "", cmd->args_name ? cmd->args_name : "",
           cmd->summary);
    for (i = 0; i < cmd->nopts; i++) {
        const char *arg = "";
        switch (cmd->opts[i].kind) {
        case OPT_VALUE: arg = " TEXT"; break;
        case OPT_INT: arg = " INTEGER"; break;
        case OPT_FLOAT: arg = " FLOAT"; break;
        case OPT_BOOL: arg = " BOOLEAN"; break;
        case OPT_FLAG: break;
        case OPT_CHOICE:
            arg = choices_of(cmd->opts[i].name)[1][0] == 'r' ? " [auto|record|pretty]"
                                                             : " [auto|false|true]";
            break;
        case OPT_JSON: arg = " LOADS"; break;
        }
        printf("  %s%s\n", cmd->opts[i].name, arg);
    }
    printf("  --help\n");
    exit(0);
}

int find_opt(const struct command *cmd, const char *name, size_t len)
{
    size_t i;
    for (i = 0; i < cmd->nopts; i++)
        if (strlen(cmd->opts[i].name) == len &&
            strncmp(cmd->opts[i].name, name, len) == 0)
            return (int)i;
    return -1;
}

/* Click's boolean words. Returns "true", "false" or NULL. */
const char *parse_bool(const char *s)
{
    static const char *yes[] = {"true", "1", "yes", "y", "t", "on"};
    static const char *no[] = {"false", "0", "no", "n", "f", "off"};
    size_t i;
    for (i = 0; i < COUNT(yes); i++)
        if (strcasecmp(s, yes[i]) == 0)
            return "true";
    for (i = 0; i < COUNT(no); i++)
        if (strcasecmp(s, no[i]) == 0)
            return "false";
    return NULL;
}

/* Converts the value given to option idx as Click would, in the order
 * the options came on the command line, once every option is parsed (so
 * an unknown option is reported first, as Click's parser does). Returns
 * the value the stand-in keeps: numbers in plain decimal, a choice in
 * its canonical case, a boolean as "true"/"false". */
const char *convert_value(const struct command *cmd, int idx, const char *value)
{
    const struct opt_spec *o = &cmd->opts[idx];
    struct sbuf r = {NULL, 0, 0};
    long long n;
    double d;
    size_t i;

    switch (o->kind) {
    case OPT_INT:
        if (parse_py_int(value, &n) != 0) {
            py_repr(&r, value);
            usage_error(cmd, "Invalid value for '%s': %s is not a valid integer.", o->name,
                        r.data);
        }
        sbuf_printf(&r, "%lld", n);
        return r.data;
    case OPT_FLOAT:
        if (parse_py_float(value, &d) != 0) {
            py_repr(&r, value);
            usage_error(cmd, "Invalid value for '%s': %s is not a valid float.", o->name,
                        r.data);
        }
        return value;
    case OPT_BOOL: {
        /* Click strips and lowers the word, but shows it as given */
        char word[16];
        size_t len;
        const char *b, *p = value;
        while (py_space((unsigned char)*p))
            p++;
        len = strlen(p);
        while (len > 0 && py_space((unsigned char)p[len - 1]))
            len--;
        snprintf(word, sizeof word, "%.*s", (int)(len < sizeof word ? len : 0), p);
        b = len < sizeof word ? parse_bool(word) : NULL;
        if (b == NULL) {
            py_repr(&r, value);
            usage_error(cmd, "Invalid value for '%s': %s is not a valid boolean.", o->name,
                        r.data);
        }
        return b;
    }
    case OPT_CHOICE: {
        const char *const *choices = choices_of(o->name);
        for (i = 0; choices[i]; i++)
            if (strcasecmp(value, choices[i]) == 0)
                return choices[i];
        py_repr(&r, value);
        sbuf_printf(&r, " is not one of ");
        for (i = 0; choices[i]; i++)
            sbuf_printf(&r, "%s'%s'", i ? ", " : "", choices[i]);
        usage_error(cmd, "Invalid value for '%s': %s.", o->name, r.data);
        return NULL;
    }
    case OPT_JSON: {
        /* Click's FuncParamType: a ValueError from json.loads shows the value */
        struct jv v;
        char err[200];
        if (json_parse(value, strlen(value), &v, err, sizeof err) != 0)
            usage_error(cmd, "Invalid value for '%s': %s", o->name, value);
        jv_free(&v);
        return value;
    }
    default:
        return value;
    }
}

/* Parses argv (the arguments after the subcommand) into cmd->values and
 * cmd->args. Options may come between arguments; after "--" everything is
 * an argument. */
void parse_options(struct command *cmd, int argc, char **argv)
{
    int i, only_args = 0, norder = 0;
    int *order = xmalloc((cmd->nopts + 1) * sizeof *order); /* first seen first */
    cmd->args = xmalloc((size_t)(argc + 1) * sizeof *cmd->args);
    cmd->nargs = 0;

#define GIVE(idx, value)                                                        \
    do {                                                                        \
        int k_, seen_ = 0;                                                      \
        for (k_ = 0; k_ < norder; k_++)                                         \
            seen_ |= order[k_] == (idx);                                        \
        if (!seen_)                                                             \
            order[norder++] = (idx);                                            \
        cmd->values[idx] = (value); /* the last occurrence wins, as in Click */ \
    } while (0)

    for (i = 0; i < argc; i++) {
        const char *arg = argv[i];

        if (!only_args && strcmp(arg, "--help") == 0)
            print_command_help(cmd);
        if (!only_args && strcmp(arg, "--") == 0) {
            only_args = 1;
            continue;
        }
        if (only_args || arg[0] != '-' || arg[1] == '\0') {
            if (cmd->max_args >= 0 && cmd->nargs >= cmd->max_args)
                usage_error(cmd, "Got unexpected extra argument (%s)", arg);
            cmd->args[cmd->nargs++] = argv[i];
            continue;
        }

        if (arg[1] == '-') {
            /* Long option: --name, --name=value or --name value. */
            const char *eq = strchr(arg, '=');
            size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
            int idx = find_opt(cmd, arg, len);
            if (idx < 0)
                usage_error(cmd, "No such option: %.*s", (int)len, arg);
            if (cmd->opts[idx].kind == OPT_FLAG) {
                if (eq)
                    usage_error(cmd, "Option '%s' does not take a value.",
                                cmd->opts[idx].name);
                GIVE(idx, "true");
            } else if (eq) {
                GIVE(idx, eq + 1);
            } else if (i + 1 < argc) {
                GIVE(idx, argv[++i]);
            } else {
                usage_error(cmd, "Option '%s' requires an argument.",
                            cmd->opts[idx].name);
            }
        } else {
            /* Short options, possibly grouped: -v, -f, -g 5, -g5, -fv. */
            const char *p;
            for (p = arg + 1; *p; p++) {
                char name[3] = {'-', *p, '\0'};
                int idx = find_opt(cmd, name, 2);
                if (idx < 0)
                    usage_error(cmd, "No such option: %s", name);
                if (cmd->opts[idx].kind == OPT_FLAG) {
                    GIVE(idx, "true");
                    continue;
                }
                if (p[1] != '\0')
                    GIVE(idx, p + 1);
                else if (i + 1 < argc)
                    GIVE(idx, argv[++i]);
                else
                    usage_error(cmd, "Option '%s' requires an argument.", name);
                break;
            }
        }
    }
#undef GIVE
    if (cmd->nargs < cmd->min_args)
        usage_error(cmd, "Missing argument '%s'.", cmd->args_name);
    for (i = 0; i < norder; i++)
        cmd->values[order[i]] = convert_value(cmd, order[i], cmd->values[order[i]]);
    free(order);
}

/* The parsed value of option `name`, or NULL when it was not given. */
const char *opt(const struct command *cmd, const char *name)
{
    int idx = find_opt(cmd, name, strlen(name));
    if (idx < 0) {
        fprintf(stderr, "internal error: unknown option %s\n", name);
        abort();
    }
    return cmd->values[idx];
}

/* Reads a non-negative integer option, or returns `dflt` when absent.
 * Click has already checked that it is an integer. */
long opt_count(const struct command *cmd, const char *name, long dflt)
{
    const char *s = opt(cmd, name);
    long v;
    if (s == NULL)
        return dflt;
    if (parse_long(s, &v) != 0 || v < 0)
        fail(1, "%s must be a non-negative integer, got '%s'.", name, s);
    return v;
}

/* ------------------------------------------------------------------ */
/* Node ids, addresses, auth tokens                                    */
/* ------------------------------------------------------------------ */

/* splitmix64's finaliser: scrambles the bits of x. */
uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}
