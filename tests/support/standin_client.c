/* standin_client.c - the ray stand-in (a test fixture, not Ray): `ray status` and `ray job` (a client of the Jobs API). */
#include "standin.h"

/* Where is the head's GCS port? `given`; else a head in this container;
 * else the head a worker in this container joined; else RAY_ADDRESS (when
 * `use_env`); else `dflt` (NULL: none). Returns 0 when found. */
int find_gcs_address(const char *given, int use_env, const char *dflt, char *out,
                            size_t cap)
{
    char saved[300];
    if (given != NULL)
        snprintf(out, cap, "%s", given);
    else if (read_small_file(PORT_FILE, saved, 16) == 0)
        snprintf(out, cap, "127.0.0.1:%.15s", saved);
    else if (read_small_file(HEAD_ADDR_FILE, saved, sizeof saved) == 0)
        snprintf(out, cap, "%s", saved);
    else if (use_env && getenv("RAY_ADDRESS") != NULL && *getenv("RAY_ADDRESS") != '\0')
        snprintf(out, cap, "%s", getenv("RAY_ADDRESS"));
    else if (dflt != NULL)
        snprintf(out, cap, "%s", dflt);
    else
        return -1;
    return 0;
}

void no_ray_instance(void)
{
    fprintf(stderr, "ConnectionError: Could not find any running Ray instance. "
                    "Please specify the one to connect to by setting --address "
                    "flag or RAY_ADDRESS environment variable.\n");
    exit(1);
}

/* ------------------------------------------------------------------ */
/* ray status                                                          */
/* ------------------------------------------------------------------ */

int cmd_status(const struct command *cmd)
{
    char address[300], host[256], port[8];
    const char *token = client_token();
    char err[512] = "", *reply;
    struct sbuf req = {NULL, 0, 0};
    int fd;

    find_gcs_address(opt(cmd, "--address"), 1, "127.0.0.1:6379", address, sizeof address);
    if (split_host_port(address, host, sizeof host, port, sizeof port) != 0)
        fail(1, "the address must look like HOST:PORT, got '%s'.", address);

    fd = connect_once(host, port, err, sizeof err);
    if (fd < 0)
        no_ray_instance();
    sbuf_printf(&req, "STATUS%s%s\n", token ? " " : "", token ? token : "");
    if (write_all(fd, req.data, req.len) != 0)
        fail(1, "lost the connection to %s:%s.", host, port);
    free(req.data);
    reply = read_reply(fd, 0, REPLY_TIMEOUT_MS);
    close(fd);

    if (reply == NULL || reply[0] == '\0') {
        fprintf(stderr, "No cluster status. It may take a few seconds for the "
                        "Ray internal services to start up.\n");
        return 1;
    }
    if (strncmp(reply, "ERR unauthenticated", 19) == 0)
        auth_failed();
    if (strncmp(reply, "ERR", 3) == 0)
        fail(1, "the head node at %s:%s replied: %s", host, port, reply);
    fputs(reply, stdout);
    free(reply);
    return 0;
}

/* ------------------------------------------------------------------ */
/* ray job: a client of the head's HTTP Jobs API, as Ray's             */
/* JobSubmissionClient (which the `ray job` commands use).              */
/* ------------------------------------------------------------------ */



/* Sends one request and reads the whole reply. Exits 1 like Ray's SDK
 * when the server cannot be reached. */
void http_call(struct http_client *hc, const char *method, const char *path,
                      const char *body, struct http_resp *r)
{
    struct sbuf req = {NULL, 0, 0};
    const char *token = getenv("RAY_AUTH_TOKEN");
    char err[512], *reply, *hdr_end, *p;
    size_t len, i;
    int fd = connect_once(hc->host, hc->port, err, sizeof err);

    if (fd < 0) {
        fprintf(stderr, "ConnectionError: Failed to connect to Ray at address: %s.\n",
                hc->base);
        exit(1);
    }
    sbuf_printf(&req, "%s %s HTTP/1.1\r\nHost: %s:%s\r\n"
                      "User-Agent: ray-standin-job-cli/" STANDIN_VERSION "\r\n"
                      "Accept: */*\r\nConnection: close\r\n",
                method, path, hc->host, hc->port);
    if (token != NULL && *token != '\0')
        sbuf_printf(&req, "Authorization: Bearer %s\r\n", token);
    for (i = 0; hc->headers.t == J_OBJ && i < hc->headers.n; i++)
        if (hc->headers.kids[i].t == J_STR)
            sbuf_printf(&req, "%s: %s\r\n", hc->headers.keys[i].s, hc->headers.kids[i].s);
    if (body != NULL)
        sbuf_printf(&req, "Content-Type: application/json\r\n");
    sbuf_printf(&req, "Content-Length: %zu\r\n\r\n%s", body ? strlen(body) : 0,
                body ? body : "");
    if (write_all(fd, req.data, req.len) != 0) {
        fprintf(stderr, "ConnectionError: Failed to connect to Ray at address: %s.\n",
                hc->base);
        exit(1);
    }
    free(req.data);
    reply = read_reply_len(fd, 0, HTTP_CLIENT_TIMEOUT_MS, &len);
    close(fd);
    if (reply == NULL || strncmp(reply, "HTTP/1.", 7) != 0 || len < 12 ||
        (hdr_end = strstr(reply, "\r\n\r\n")) == NULL) {
        fprintf(stderr, "ConnectionError: Failed to connect to Ray at address: %s "
                        "(no HTTP reply).\n", hc->base);
        exit(1);
    }
    r->status = atoi(reply + 9);
    r->len = len - (size_t)(hdr_end + 4 - reply);
    for (p = reply; p < hdr_end; p = strstr(p, "\r\n") + 2) {
        long n;
        if (strncasecmp(p, "Content-Length:", 15) == 0 && sscanf(p + 15, "%ld", &n) == 1 &&
            n >= 0 && (size_t)n < r->len)
            r->len = (size_t)n;
    }
    r->body = xmalloc(r->len + 1);
    memcpy(r->body, hdr_end + 4, r->len);
    r->body[r->len] = '\0';
    free(reply);
}

/* Ray's SDK turns a non-200 reply into this RuntimeError. */
void http_expect_ok(struct http_resp *r)
{
    if (r->status == 200)
        return;
    fprintf(stderr, "RuntimeError: Request failed with status code %d: %s.\n", r->status,
            r->body);
    exit(1);
}

/* GET/POST that must answer 200 with JSON; returns the parsed body. */
void http_call_json(struct http_client *hc, const char *method, const char *path,
                           const char *body, struct jv *out)
{
    struct http_resp r;
    char err[200];
    http_call(hc, method, path, body, &r);
    http_expect_ok(&r);
    if (json_parse(r.body, r.len, out, err, sizeof err) != 0) {
        fprintf(stderr, "json.decoder.JSONDecodeError: %s\n", err);
        exit(1);
    }
    free(r.body);
}

/* The job server's address, as JobSubmissionClient finds it: --address,
 * else RAY_API_SERVER_ADDRESS, else RAY_ADDRESS, else "auto". An address
 * without http:// is a GCS address: the head tells where its dashboard is. */
void job_client(const struct command *cmd, struct http_client *hc)
{
    const char *addr = opt(cmd, "--address");
    const char *headers = opt(cmd, "--headers");
    char url[300], err[512];

    memset(hc, 0, sizeof *hc);
    if (headers == NULL)
        headers = getenv("RAY_JOB_HEADERS");
    if (headers != NULL && (json_parse(headers, strlen(headers), &hc->headers, err,
                                       sizeof err) != 0 || hc->headers.t != J_OBJ)) {
        fprintf(stderr, "ValueError: Failed to parse headers into JSON. Expected format: "
                        "{\"KEY\": \"VALUE\"}, got %s\n", headers);
        exit(1);
    }
    if (addr == NULL || *addr == '\0')
        addr = getenv("RAY_API_SERVER_ADDRESS");
    if (addr == NULL || *addr == '\0')
        addr = getenv("RAY_ADDRESS");
    if (addr == NULL || *addr == '\0')
        addr = "auto";

    if (strstr(addr, "://") == NULL) {
        char gcs[300], host[256], port[8], req[400];
        const char *token = client_token();
        char *reply;
        if (find_gcs_address(strcmp(addr, "auto") == 0 ? NULL : addr, 0, NULL, gcs,
                             sizeof gcs) != 0 ||
            split_host_port(gcs, host, sizeof host, port, sizeof port) != 0)
            no_ray_instance();
        snprintf(req, sizeof req, "DASHBOARD%s%s\n", token ? " " : "", token ? token : "");
        reply = ask_head(host, port, req, err, sizeof err);
        if (reply == NULL)
            no_ray_instance();
        if (strncmp(reply, "ERR unauthenticated", 19) == 0)
            auth_failed();
        if (strncmp(reply, "DASHBOARD http://", 17) != 0) {
            fprintf(stderr, "RuntimeError: the head at %s has no dashboard "
                            "(--include-dashboard=false?).\n", gcs);
            exit(1);
        }
        reply[strcspn(reply, "\n")] = '\0';
        snprintf(url, sizeof url, "%s", reply + 10);
        free(reply);
    } else if (strncmp(addr, "http://", 7) == 0) {
        snprintf(url, sizeof url, "%s", addr);
    } else {
        fail(1, "the ray stand-in's job CLI speaks plain http:// only, got '%s'.", addr);
    }
    while (strlen(url) > 7 && url[strlen(url) - 1] == '/')
        url[strlen(url) - 1] = '\0';
    snprintf(hc->base, sizeof hc->base, "%s", url);
    {
        char hostport[300];
        snprintf(hostport, sizeof hostport, "%s", url + 7);
        hostport[strcspn(hostport, "/")] = '\0';
        if (strchr(hostport, ':') == NULL || (hostport[0] == '[' && !strstr(hostport, "]:")))
            strncat(hostport, ":80", sizeof hostport - strlen(hostport) - 1);
        if (split_host_port(hostport, hc->host, sizeof hc->host, hc->port,
                            sizeof hc->port) != 0)
            fail(1, "cannot read the address '%s'.", url);
    }

    /* The SDK checks the server's version first. */
    {
        struct http_resp r;
        http_call(hc, "GET", "/api/version", NULL, &r);
        if (r.status == 404) {
            fprintf(stderr, "RuntimeError: Jobs API not supported on the Ray cluster. "
                            "Please ensure the cluster is running Ray 1.9 or higher.\n");
            exit(1);
        }
        if (r.status != 200) {
            fprintf(stderr, "requests.exceptions.HTTPError: %d Client Error: %s for url: "
                            "%s/api/version\n", r.status, http_reason(r.status), hc->base);
            exit(1);
        }
        free(r.body);
    }
    printf("Job submission server address: %s\n", hc->base);
}

/* Percent-encodes a job id for a URL path. */
char *job_path(const char *id, const char *tail)
{
    struct sbuf b = {NULL, 0, 0};
    sbuf_adds(&b, "/api/jobs/");
    pct_encode(&b, id);
    sbuf_adds(&b, tail);
    return b.data;
}

void big_message(const char *msg)
{
    size_t i, n = strlen(msg);
    printf("\n");
    for (i = 0; i < n; i++)
        putchar('-');
    printf("\n%s\n", msg);
    for (i = 0; i < n; i++)
        putchar('-');
    printf("\n\n");
}

/* Ray's _log_job_status. Returns the status word (static storage). */
const char *log_job_status(struct http_client *hc, const char *id)
{
    static char status[16];
    struct jv info;
    char *path = job_path(id, ""), text[512];
    const char *message;

    http_call_json(hc, "GET", path, NULL, &info);
    free(path);
    snprintf(status, sizeof status, "%s", jv_str(jv_get(&info, "status")) ? jv_str(jv_get(&info, "status")) : "?");
    message = jv_str(jv_get(&info, "message"));
    if (strcmp(status, "SUCCEEDED") == 0) {
        snprintf(text, sizeof text, "Job '%s' succeeded", id);
        big_message(text);
    } else if (strcmp(status, "STOPPED") == 0) {
        printf("Job '%s' was stopped\n", id);
    } else if (strcmp(status, "FAILED") == 0) {
        snprintf(text, sizeof text, "Job '%s' failed", id);
        big_message(text);
        if (message != NULL)
            printf("Status message: %s\n", message);
    } else {
        printf("Status for job '%s': %s\n", id, status);
        if (message != NULL)
            printf("Status message: %s\n", message);
    }
    jv_free(&info);
    fflush(stdout);
    return status;
}

int is_terminal_word(const char *s)
{
    return s && (strcmp(s, "STOPPED") == 0 || strcmp(s, "SUCCEEDED") == 0 ||
                 strcmp(s, "FAILED") == 0);
}

/* Ray tails logs over a WebSocket; the stand-in polls GET .../logs and
 * prints what is new, until the job is terminal. */
const char *tail_logs(struct http_client *hc, const char *id)
{
    char *info_path = job_path(id, ""), *logs_path = job_path(id, "/logs");
    size_t printed = 0;
    for (;;) {
        struct jv info, logs, *l;
        int done;
        http_call_json(hc, "GET", info_path, NULL, &info);
        done = is_terminal_word(jv_str(jv_get(&info, "status")));
        jv_free(&info);
        http_call_json(hc, "GET", logs_path, NULL, &logs);
        l = jv_get(&logs, "logs");
        if (l != NULL && l->t == J_STR && l->len > printed) {
            fwrite(l->s + printed, 1, l->len - printed, stdout);
            fflush(stdout);
            printed = l->len;
        }
        jv_free(&logs);
        if (done)
            break;
        sleep_ms(200);
    }
    free(info_path);
    free(logs_path);
    return log_job_status(hc, id);
}

/* Python's shlex.join, as Ray's CLI joins the entrypoint's words. */
void shlex_join(struct sbuf *b, char **words, int n)
{
    int i;
    for (i = 0; i < n; i++) {
        const char *w = words[i], *p;
        int safe = *w != '\0';
        for (p = w; *p && safe; p++)
            safe = isalnum((unsigned char)*p) || strchr("@%+=:,./-_", *p) != NULL;
        if (i > 0)
            sbuf_adds(b, " ");
        if (safe) {
            sbuf_adds(b, w);
            continue;
        }
        sbuf_adds(b, "'");
        for (p = w; *p; p++) {
            if (*p == '\'')
                sbuf_adds(b, "'\"'\"'");
            else
                sbuf_add(b, p, 1);
        }
        sbuf_adds(b, "'");
    }
}

/* A JSON option that must be an object: its canonical text. */
char *json_object_option(const char *name, const char *value)
{
    struct jv v;
    char err[200], *out;
    if (json_parse(value, strlen(value), &v, err, sizeof err) != 0 || v.t != J_OBJ) {
        fprintf(stderr, "Error: %s must be a JSON-serialized dictionary, got '%s'.\n", name,
                value);
        exit(1);
    }
    out = json_dump(&v);
    jv_free(&v);
    return out;
}


/* The JSON object an option gives (checked), or {} when it is not given. */
void add_object_option(struct sbuf *body, const struct command *cmd, const char *name)
{
    const char *v = opt(cmd, name);
    if (v == NULL) {
        sbuf_adds(body, "{}");
        return;
    }
    char *o = json_object_option(name, v);
    sbuf_adds(body, o);
    free(o);
}

int job_submit(struct command *cmd)
{
    struct http_client hc;
    struct sbuf body = {NULL, 0, 0}, entry = {NULL, 0, 0};
    const char *sid = opt(cmd, "--submission-id");
    const char *v;
    struct jv reply;
    char id[256], text[400];

    if (opt(cmd, "--runtime-env") != NULL || opt(cmd, "--working-dir") != NULL)
        fail(1, "the ray stand-in cannot upload files: --runtime-env (a YAML file) and "
                "--working-dir are not supported; use --runtime-env-json.");
    if (opt(cmd, "--job-id") != NULL) {
        printf("--job-id option is deprecated. Please use --submission-id instead.\n");
        if (sid == NULL)
            sid = opt(cmd, "--job-id");
    }
    shlex_join(&entry, cmd->args, cmd->nargs);
    sbuf_adds(&body, "{\"entrypoint\": ");
    json_strz(&body, entry.data);
    sbuf_adds(&body, ", \"submission_id\": ");
    json_strz(&body, sid);
    sbuf_adds(&body, ", \"job_id\": null, \"runtime_env\": ");
    add_object_option(&body, cmd, "--runtime-env-json");
    sbuf_adds(&body, ", \"metadata\": ");
    add_object_option(&body, cmd, "--metadata-json");
    sbuf_adds(&body, ", \"entrypoint_num_cpus\": ");
    if ((v = opt(cmd, "--entrypoint-num-cpus")) != NULL)
        py_float(&body, strtod(v, NULL));
    else
        sbuf_adds(&body, "null");
    sbuf_adds(&body, ", \"entrypoint_num_gpus\": ");
    if ((v = opt(cmd, "--entrypoint-num-gpus")) != NULL)
        py_float(&body, strtod(v, NULL));
    else
        sbuf_adds(&body, "null");
    sbuf_printf(&body, ", \"entrypoint_memory\": %s",
                opt(cmd, "--entrypoint-memory") ? opt(cmd, "--entrypoint-memory") : "null");
    sbuf_adds(&body, ", \"entrypoint_resources\": ");
    if ((v = opt(cmd, "--entrypoint-resources")) != NULL) {
        char *o = json_object_option("--entrypoint-resources", v);
        sbuf_adds(&body, o);
        free(o);
    } else {
        sbuf_adds(&body, "null");
    }
    sbuf_adds(&body, "}");

    job_client(cmd, &hc);
    http_call_json(&hc, "POST", "/api/jobs/", body.data, &reply);
    snprintf(id, sizeof id, "%s", jv_str(jv_get(&reply, "submission_id")) ? jv_str(jv_get(&reply, "submission_id")) : "?");
    jv_free(&reply);
    free(body.data);
    free(entry.data);

    snprintf(text, sizeof text, "Job '%s' submitted successfully", id);
    big_message(text);
    printf("Next steps\n"
           "  Query the logs of the job:\n    ray job logs %s\n"
           "  Query the status of the job:\n    ray job status %s\n"
           "  Request the job to be stopped:\n    ray job stop %s\n\n",
           id, id, id);
    fflush(stdout);
    if (opt(cmd, "--no-wait") != NULL)
        return 0;
    printf("Tailing logs until the job exits (disable with --no-wait):\n");
    fflush(stdout);
    return strcmp(tail_logs(&hc, id), "FAILED") == 0 ? 1 : 0;
}

int job_status(struct command *cmd)
{
    struct http_client hc;
    job_client(cmd, &hc);
    log_job_status(&hc, cmd->args[0]);
    return 0;
}

int job_logs(struct command *cmd)
{
    struct http_client hc;
    struct jv logs, *l;
    char *path;

    job_client(cmd, &hc);
    if (opt(cmd, "-f") != NULL || opt(cmd, "--follow") != NULL) {
        tail_logs(&hc, cmd->args[0]);
        return 0;
    }
    path = job_path(cmd->args[0], "/logs");
    http_call_json(&hc, "GET", path, NULL, &logs);
    l = jv_get(&logs, "logs");
    if (l != NULL && l->t == J_STR)
        fwrite(l->s, 1, l->len, stdout);
    free(path);
    jv_free(&logs);
    return 0;
}

int job_stop_cmd(struct command *cmd)
{
    struct http_client hc;
    struct jv reply;
    const char *id = cmd->args[0];
    char *path = job_path(id, "/stop"), *info_path = job_path(id, "");

    job_client(cmd, &hc);
    printf("Attempting to stop job '%s'\n", id);
    fflush(stdout);
    http_call_json(&hc, "POST", path, NULL, &reply);
    jv_free(&reply);
    if (opt(cmd, "--no-wait") == NULL) {
        printf("Waiting for job '%s' to exit (disable with --no-wait):\n", id);
        for (;;) {
            struct jv info;
            char status[16];
            http_call_json(&hc, "GET", info_path, NULL, &info);
            snprintf(status, sizeof status, "%s", jv_str(jv_get(&info, "status")) ? jv_str(jv_get(&info, "status")) : "?");
            jv_free(&info);
            if (is_terminal_word(status)) {
                log_job_status(&hc, id);
                break;
            }
            printf("Job has not exited yet. Status: %s\n", status);
            fflush(stdout);
            sleep_ms(1000);
        }
    }
    free(path);
    free(info_path);
    return 0;
}
