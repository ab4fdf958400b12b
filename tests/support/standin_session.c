/* standin_session.c - the ray stand-in (a test fixture, not Ray): node ids, tokens, session folders, protocol replies. */
#include "standin.h"

/* A seed from the hostname, pid, clocks and (when there) /dev/urandom. */
uint64_t random_seed(void)
{
    static uint64_t counter;
    char host[256] = "";
    struct timespec rt, mono;
    uint64_t seed = 0xcbf29ce484222325ULL, extra = 0; /* FNV-1a over the hostname */
    const char *p;
    int fd;

    gethostname(host, sizeof host - 1);
    for (p = host; *p; p++)
        seed = (seed ^ (unsigned char)*p) * 0x100000001b3ULL;
    clock_gettime(CLOCK_REALTIME, &rt);
    clock_gettime(CLOCK_MONOTONIC, &mono);
    fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        if (read(fd, &extra, sizeof extra) != (ssize_t)sizeof extra)
            extra = 0;
        close(fd);
    }
    seed = mix64(seed ^ (uint64_t)getpid() ^ extra ^ ++counter * 0x9e3779b97f4a7c15ULL);
    seed = mix64(seed ^ ((uint64_t)rt.tv_sec * 1000000000ULL + (uint64_t)rt.tv_nsec));
    seed = mix64(seed ^ ((uint64_t)mono.tv_sec * 1000000000ULL + (uint64_t)mono.tv_nsec));
    return seed;
}

/* "node_" + 56 lowercase hex digits. */
void make_node_id(char out[NODE_ID_LEN + 1])
{
    char hex[4 * 16 + 1];
    uint64_t seed = random_seed();
    unsigned i;

    for (i = 0; i < 4; i++)
        snprintf(hex + 16 * i, 17, "%016llx",
                 (unsigned long long)mix64(seed + (i + 1) * 0x9e3779b97f4a7c15ULL));
    snprintf(out, NODE_ID_LEN + 1, "node_%.56s", hex);
}

int is_node_id(const char *s)
{
    size_t i;
    if (strlen(s) != NODE_ID_LEN || strncmp(s, "node_", 5) != 0)
        return 0;
    for (i = 5; i < NODE_ID_LEN; i++)
        if (!isdigit((unsigned char)s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
            return 0;
    return 1;
}

/* Splits "host:port" or "[v6addr]:port". Returns 0 on success. */
int split_host_port(const char *addr, char *host, size_t hostcap,
                           char *port, size_t portcap)
{
    const char *colon, *h = addr;
    size_t hlen;
    long p;

    if (addr[0] == '[') {
        const char *close = strchr(addr, ']');
        if (close == NULL || close[1] != ':')
            return -1;
        h = addr + 1;
        hlen = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(addr, ':');
        if (colon == NULL)
            return -1;
        hlen = (size_t)(colon - addr);
    }
    if (hlen == 0 || hlen >= hostcap || strlen(colon + 1) >= portcap)
        return -1;
    if (parse_long(colon + 1, &p) != 0 || p < 1 || p > 65535)
        return -1;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    snprintf(port, portcap, "%ld", p);
    return 0;
}

/* The client's token from RAY_AUTH_TOKEN, or NULL. It goes on a
 * space-separated protocol line, so it may not contain whitespace. */
const char *client_token(void)
{
    const char *t = getenv("RAY_AUTH_TOKEN");
    const char *p;
    if (t == NULL || *t == '\0')
        return NULL;
    for (p = t; *p; p++)
        if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p))
            fail(1, "RAY_AUTH_TOKEN must not contain whitespace.");
    return t;
}

/* The head's required token when RAY_AUTH_MODE=token, else NULL. */
const char *head_required_token(void)
{
    const char *mode = getenv("RAY_AUTH_MODE");
    if (mode == NULL || *mode == '\0' || strcmp(mode, "disabled") == 0)
        return NULL;
    if (strcmp(mode, "token") != 0)
        fail(1, "RAY_AUTH_MODE='%s' is not supported (the stand-in knows "
                "'disabled' and 'token').", mode);
    if (client_token() == NULL)
        fail(1, "RAY_AUTH_MODE=token, but RAY_AUTH_TOKEN is not set.");
    return client_token();
}

/* Compares tokens without stopping at the first difference. */
int tokens_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), i;
    unsigned diff = (unsigned)(la ^ lb);
    for (i = 0; i < la && i < lb; i++)
        diff |= (unsigned char)a[i] ^ (unsigned char)b[i];
    return diff == 0;
}

/* ------------------------------------------------------------------ */
/* Ray's session folders: /tmp/ray/session_<date>_<pid> with logs/ in  */
/* it, the link session_latest, and (head) ray_current_cluster. Like   */
/* Ray's try_to_create_directory, each folder is made shared (chmod    */
/* 0777) when this user may. A failure is Ray's Python OSError.        */
/* ------------------------------------------------------------------ */

char g_session_name[128];  /* "session_2025-12-17_17-13-41_621247_7" */
char g_session_dir[256];   /* "/tmp/ray/session_..." */

/* Exits 1 as Ray's `ray start` does when os.makedirs or open fails. */
void python_os_error(const char *path, int err)
{
    const char *cls = "OSError";
    if (err == EACCES || err == EPERM)
        cls = "PermissionError";
    else if (err == ENOENT)
        cls = "FileNotFoundError";
    else if (err == EEXIST)
        cls = "FileExistsError";
    else if (err == ENOTDIR)
        cls = "NotADirectoryError";
    else if (err == EISDIR)
        cls = "IsADirectoryError";
    fflush(stdout);
    fprintf(stderr,
            "Traceback (most recent call last):\n"
            "  File \"/usr/local/bin/ray\", in <module>  (raylaunch's ray stand-in: "
            "Ray fails here in os.makedirs)\n"
            "%s: [Errno %d] %s: '%s'\n",
            cls, err, strerror(err), path);
    exit(1);
}

void make_shared_dir(const char *path)
{
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        python_os_error(path, errno);
    if (chmod(path, 0777) != 0 && errno != EPERM && errno != EACCES) {
        /* Ray ignores only EPERM/EACCES here; a folder that vanished... */
        struct stat st;
        if (stat(path, &st) != 0)
            python_os_error(path, errno);
    }
}

/* Ray's session name: the local time now and this process's pid. */
void new_session_name(void)
{
    struct timespec ts;
    struct tm tm;
    char when[40];
    clock_gettime(CLOCK_REALTIME, &ts);
    localtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof when, "%Y-%m-%d_%H-%M-%S", &tm);
    snprintf(g_session_name, sizeof g_session_name, "session_%s_%06ld_%ld", when,
             ts.tv_nsec / 1000, (long)getpid());
}

/* Creates the session `g_session_name` (and for a head, writes the GCS
 * address to ray_current_cluster). Exits 1 when it cannot. */
void create_session(const char *gcs_address)
{
    char path[PATH_MAX], tmp_link[PATH_MAX];

    make_shared_dir(RAY_DIR);
    snprintf(g_session_dir, sizeof g_session_dir, "%s/%s", RAY_DIR, g_session_name);
    make_shared_dir(g_session_dir);
    snprintf(path, sizeof path, "%s/logs", g_session_dir);
    make_shared_dir(path);
    snprintf(path, sizeof path, "%s/sockets", g_session_dir);
    make_shared_dir(path);

    /* session_latest -> the session (absolute, as Ray's); replaced
     * atomically. Ray ignores failures here, and so does the stand-in. */
    snprintf(tmp_link, sizeof tmp_link, "%s.%ld", SESSION_LATEST, (long)getpid());
    unlink(tmp_link);
    if (symlink(g_session_dir, tmp_link) == 0 && rename(tmp_link, SESSION_LATEST) != 0)
        unlink(tmp_link);

    if (gcs_address != NULL) {
        /* Ray writes the address without a newline. */
        FILE *f = fopen(CLUSTER_FILE, "w");
        if (f == NULL)
            python_os_error(CLUSTER_FILE, errno);
        fputs(gcs_address, f);
        if (fclose(f) != 0)
            python_os_error(CLUSTER_FILE, errno);
    }
}

/* ------------------------------------------------------------------ */
/* Client side of the protocol                                         */
/* ------------------------------------------------------------------ */

/* One attempt to connect to host:port, each resolved address in turn.
 * Returns a blocking socket, or -1 with a reason in err. */
int g_connect_timeout_ms = CONNECT_TIMEOUT_MS; /* one attempt, at most */

int connect_once(const char *host, const char *port, char *err,
                        size_t errcap)
{
    struct addrinfo hints, *res, *ai;
    int rc, fd = -1;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        snprintf(err, errcap, "cannot resolve %s: %s", host,
                 rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        struct pollfd pfd;
        int soerr = 0;
        socklen_t sl = sizeof soerr;

        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    ai->ai_protocol);
        if (fd < 0) {
            snprintf(err, errcap, "socket: %s", strerror(errno));
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            if (errno != EINPROGRESS) {
                soerr = errno;
            } else {
                pfd.fd = fd;
                pfd.events = POLLOUT;
                rc = poll(&pfd, 1, g_connect_timeout_ms);
                if (rc == 0)
                    soerr = ETIMEDOUT;
                else if (rc < 0)
                    soerr = errno;
                else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
                    soerr = errno;
            }
        }
        if (soerr == 0) {
            fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
            break;
        }
        snprintf(err, errcap, "cannot connect to %s:%s: %s", host, port,
                 strerror(soerr));
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

/* Reads until EOF, or until a newline if `one_line`. Gives up after
 * timeout_ms. Returns a malloc'd string (possibly empty; binary-safe,
 * length in *len when len is not NULL), or NULL on a timeout. */
char *read_reply_len(int fd, int one_line, int timeout_ms, size_t *len)
{
    struct sbuf b = {NULL, 0, 0};
    int64_t deadline = now_ms() + timeout_ms;
    char chunk[16384];

    sbuf_add(&b, "", 0);
    for (;;) {
        struct pollfd pfd = {fd, POLLIN, 0};
        int left = (int)(deadline - now_ms());
        int ready = left > 0 ? poll(&pfd, 1, left) : 0;
        ssize_t n;
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0) {
            free(b.data);
            return NULL;
        }
        n = recv(fd, chunk, one_line ? 1 : sizeof chunk, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        sbuf_add(&b, chunk, (size_t)n);
        if (one_line && chunk[0] == '\n')
            break;
    }
    if (len != NULL)
        *len = b.len;
    return b.data;
}

char *read_reply(int fd, int one_line, int timeout_ms)
{
    return read_reply_len(fd, one_line, timeout_ms, NULL);
}

/* Sends one request line to host:port and returns the first reply line
 * (malloc'd, newline kept), "" when the head closed without replying,
 * or NULL when it cannot connect (reason in err). */
char *ask_head(const char *host, const char *port, const char *request,
                      char *err, size_t errcap)
{
    int fd = connect_once(host, port, err, errcap);
    char *reply;
    if (fd < 0)
        return NULL;
    if (write_all(fd, request, strlen(request)) != 0) {
        close(fd);
        return xstrdup("");
    }
    reply = read_reply(fd, 1, REPLY_TIMEOUT_MS);
    close(fd);
    return reply ? reply : xstrdup("");
}
