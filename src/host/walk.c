/*
 * Host scanner core: scanner setup, the thread-pool walk and finding
 * emission (see host.h for the contract).
 *
 * The walk: a shared LIFO stack of work items (directories and files)
 * under one mutex.  Workers pop an item; a directory is listed and its
 * children pushed (symlinks and special files counted as skipped, never
 * followed or opened); a file is opened with O_NOFOLLOW, checked again with
 * fstat (the name may have been swapped since the listing), mapped once
 * and handed to every analyzer of the table below.  The walk ends when the
 * stack is empty and no worker is busy (a busy worker may still push).
 * LIFO keeps the stack depth-first so its size stays near the width of
 * one directory level rather than the whole tree; it is capped at
 * HOST_MAX_PENDING items, past which a lister scans files itself and
 * reports (skips) further folders.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "host/host_int.h"
#include "host/pe.h"
#include "util/err.h"

#ifndef MAMORI_RULES_DIR
#define MAMORI_RULES_DIR "rules"
#endif

#define HOST_PATH_MAX 4096
#define HOST_MAX_PENDING (1u << 22)	/* work items waiting; ~4M entries */

/* Every analyzer sees every file; each decides itself whether it applies. */

/* Files up to this size are read(), larger ones mapped. */
#define HOST_READ_MAX (128u * 1024u)

static const struct {
	const char *name;
	int (*run)(struct host_file *f);
} host_analyzers[] = {
	{"ioc", host_ioc_run},
	{"hash", host_hash_run},
	{"yara", host_yara_run},
	{"pe", host_pe_run},
	{"autorun", host_autorun_run},
	{"job", host_job_run},
	{"recycler", host_recycler_run},
};

struct work {
	char *path;	/* owned */
	size_t rel;	/* offset of the part below the root in path */
	bool dir;
};

struct pool {
	struct mamori_host_scanner *sc;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct work *stack;
	size_t n, alloc;
	unsigned busy;
	int fatal;	/* first setup-level error (ENOMEM) */
};

/* ---- small helpers ---------------------------------------------------- */

bool host_ieq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		int ca = (*a >= 'A' && *a <= 'Z') ? *a + 32 : *a;
		int cb = (*b >= 'A' && *b <= 'Z') ? *b + 32 : *b;
		if (ca != cb)
			return false;
	}
	return *a == *b;
}

bool host_icontains(const char *hay, const char *needle)
{
	size_t nl = strlen(needle);
	for (; *hay; hay++)
		if (!strncasecmp(hay, needle, nl))
			return true;
	return nl == 0;
}

const char *host_basename(const char *p)
{
	const char *b = p;
	for (; *p; p++)
		if (*p == '/' || *p == '\\')
			b = p + 1;
	return b;
}

bool host_name_random(const char *base)
{
	/* Letters only, 5..12 of them, and either no vowel at all or a run of
	 * five or more consonants: "jwgkvsq" yes; "ctfmon", "schtasks",
	 * "netapi32" no. */
	size_t n = 0, vowels = 0, run = 0, maxrun = 0;
	for (const char *p = base; *p && *p != '.'; p++, n++) {
		char c = (char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p);
		if (c < 'a' || c > 'z')
			return false;
		if (strchr("aeiou", c)) {
			vowels++;
			run = 0;
		} else if (++run > maxrun) {
			maxrun = run;
		}
	}
	return n >= 5 && n <= 12 && (vowels == 0 || maxrun >= 5);
}

bool mamori_host_match_path(const char *rel, char *dst, size_t n)
{
	size_t o = 0;
	if (n < 2)
		return false;
	if (*rel != '/' && *rel != '\\')
		dst[o++] = '/';
	for (; *rel; rel++) {
		char c = *rel;
		if (c == '\\')
			c = '/';
		else if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		/* collapse "//" so "root/" + "/x" stays canonical */
		if (c == '/' && o > 0 && dst[o - 1] == '/')
			continue;
		if (o + 1 >= n)
			return false;
		dst[o++] = c;
	}
	dst[o] = 0;
	return true;
}

enum mamori_severity host_score_severity(unsigned score)
{
	if (score >= 75)
		return MAMORI_SEV_HIGH;
	if (score >= 50)
		return MAMORI_SEV_MEDIUM;
	if (score >= 25)
		return MAMORI_SEV_LOW;
	return MAMORI_SEV_INFO;
}

int host_digest_hex(const char *algo, const uint8_t *p, size_t n, char *dst)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	const EVP_MD *md_type = EVP_get_digestbyname(algo);
	if (!md_type)
		return MAMORI_EDEP;
	if (!EVP_Digest(n ? p : (const uint8_t *)"", n, md, &mdlen, md_type, NULL))
		return MAMORI_EDEP;
	for (unsigned i = 0; i < mdlen; i++) {
		dst[2 * i] = hex[md[i] >> 4];
		dst[2 * i + 1] = hex[md[i] & 15];
	}
	dst[2 * mdlen] = 0;
	return 0;
}

static uint64_t now_usec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- emission ----------------------------------------------------------- */

int host_emit(struct host_file *f, const char *family, const char *indicator,
	      enum mamori_severity sev, const char *source, const char *fmt, ...)
{
	struct mamori_host_scanner *sc = f->sc;
	for (unsigned i = 0; i < f->n_seen; i++)
		if (!strcmp(f->seen[i], indicator))
			return 0;
	if (f->n_seen < sizeof(f->seen) / sizeof(f->seen[0]))
		snprintf(f->seen[f->n_seen++], sizeof(f->seen[0]), "%s", indicator);
	if (!f->have_sha256) {
		if (host_digest_hex("sha256", f->data, f->size, f->sha256) == 0)
			f->have_sha256 = true;
	}
	char evidence[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(evidence, sizeof(evidence), fmt, ap);
	va_end(ap);

	struct mamori_finding fd = {
		.kind = "file",
		.path = f->path,
		.family = family,
		.indicator = indicator,
		.severity = sev,
		.evidence = evidence,
		.sha256 = f->have_sha256 ? f->sha256 : NULL,
		.remedy = "quarantine",
		.source = source,
		.ts_usec = now_usec(),
	};
	int stop = 0;
	pthread_mutex_lock(&sc->out_mu);
	if (!sc->stop) {
		sc->st.findings++;
		if (sc->cb->on_finding(&fd, sc->cb->ctx) != 0)
			sc->stop = true;
	}
	stop = sc->stop;
	pthread_mutex_unlock(&sc->out_mu);
	return stop;
}

void host_error(struct mamori_host_scanner *sc, const char *path, int err,
		int sys_errno, const char *what)
{
	pthread_mutex_lock(&sc->out_mu);
	if (err == MAMORI_ELIMIT)
		sc->st.skipped++;
	else if (err != MAMORI_EFORMAT)
		sc->st.errors++;
	if (sc->cb && sc->cb->on_error)
		sc->cb->on_error(path, err, sys_errno, what, sc->cb->ctx);
	pthread_mutex_unlock(&sc->out_mu);
}

/* Root hooks get this as their finding callback: serialised and counted
 * like the analyzers' findings. */
static int host_hook_emit(const struct mamori_finding *f, void *ctx)
{
	struct mamori_host_scanner *sc = ctx;
	int stop;
	pthread_mutex_lock(&sc->out_mu);
	if (!sc->stop) {
		sc->st.findings++;
		if (sc->cb->on_finding(f, sc->cb->ctx) != 0)
			sc->stop = true;
	}
	stop = sc->stop;
	pthread_mutex_unlock(&sc->out_mu);
	return stop;
}

/* ---- scanner lifecycle ---------------------------------------------------- */

int mamori_host_scanner_new(const struct mamori_host_opts *opts,
			    struct mamori_host_scanner **out,
			    struct mamori_diag *diag)
{
	int rc = 0;
	const char **ydirs = NULL;
	struct mamori_host_scanner *sc = calloc(1, sizeof(*sc));
	if (!sc)
		return MAMORI_ENOMEM;
	sc->opts = *opts;
	if (sc->opts.threads == 0)
		sc->opts.threads = 1;
	if (sc->opts.threads > MAMORI_HOST_MAX_THREADS)
		sc->opts.threads = MAMORI_HOST_MAX_THREADS;
	if (sc->opts.max_filesize == 0)
		sc->opts.max_filesize = MAMORI_HOST_DEFAULT_MAX_FILESIZE;
	pthread_mutex_init(&sc->out_mu, NULL);

	const char *rules = opts->rules_dir;
	if (!rules)
		rules = getenv("MAMORI_RULES_DIR");
	if (!rules)
		rules = MAMORI_RULES_DIR;
	char dir[HOST_PATH_MAX];

	if (!opts->no_builtin) {
		snprintf(dir, sizeof(dir), "%s/ioc", rules);
		CHECK(host_ioc_load_dir(sc, dir, false, diag));
	}
	for (size_t i = 0; i < opts->n_ioc_dirs; i++)
		CHECK(host_ioc_load_dir(sc, opts->ioc_dirs[i], true, diag));
	host_hash_sort(sc->hashes);

	ydirs = calloc(opts->n_yara_dirs + 1, sizeof(*ydirs));
	if (!ydirs)
		FAIL(MAMORI_ENOMEM);
	size_t ny = 0;
	if (!opts->no_builtin) {
		snprintf(dir, sizeof(dir), "%s/yara", rules);
		if (access(dir, F_OK) == 0)
			ydirs[ny++] = dir;
	}
	for (size_t i = 0; i < opts->n_yara_dirs; i++)
		ydirs[ny++] = opts->yara_dirs[i];
	if (ny)
		CHECK(host_yara_load(sc, ydirs, ny, diag));
	*out = sc;
	sc = NULL;
out:
	free(ydirs);
	mamori_host_scanner_free(sc);
	return rc;
}

void mamori_host_scanner_free(struct mamori_host_scanner *sc)
{
	if (!sc)
		return;
	host_ioc_free(sc->ioc);
	host_hash_free(sc->hashes);
	host_yara_free(sc->yara);
	pthread_mutex_destroy(&sc->out_mu);
	free(sc);
}

int mamori_host_add_root_hook(struct mamori_host_scanner *sc,
			      mamori_host_root_fn fn, void *ctx)
{
	if (!sc || !fn)
		return MAMORI_EINVAL;
	if (sc->n_hooks >= HOST_MAX_ROOT_HOOKS)
		return MAMORI_ELIMIT;
	sc->hooks[sc->n_hooks].fn = fn;
	sc->hooks[sc->n_hooks].ctx = ctx;
	sc->n_hooks++;
	return 0;
}

/* ---- the pool ------------------------------------------------------------- */

/* Caller holds p->mu. */
static int pool_push_locked(struct pool *p, char *path, size_t rel, bool dir)
{
	if (p->n == p->alloc) {
		size_t na = p->alloc ? p->alloc * 2 : 256;
		struct work *ns = realloc(p->stack, na * sizeof(*ns));
		if (!ns)
			return MAMORI_ENOMEM;
		p->stack = ns;
		p->alloc = na;
	}
	p->stack[p->n++] = (struct work){.path = path, .rel = rel, .dir = dir};
	return 0;
}

static int errno_to_mamori(int e)
{
	switch (e) {
	case EACCES:
	case EPERM:
		return MAMORI_EPERM;
	case ENOENT:
	case ENOTDIR:
		return MAMORI_ENOENT;
	case ENOMEM:
		return MAMORI_ENOMEM;
	default:
		return MAMORI_EIO;
	}
}

static void scan_file(struct pool *p, const char *path, size_t rel)
{
	struct mamori_host_scanner *sc = p->sc;
	char mpath[HOST_PATH_MAX];
	void *map = MAP_FAILED;
	uint8_t *heap = NULL;
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		if (e == ELOOP) {	/* became a symlink since the listing */
			host_error(sc, path, MAMORI_ELIMIT, 0, "symlink, not followed");
			return;
		}
		host_error(sc, path, errno_to_mamori(e), e, "cannot open");
		return;
	}
	if (fstat(fd, &st) != 0) {
		host_error(sc, path, MAMORI_EIO, errno, "cannot stat");
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		host_error(sc, path, MAMORI_ELIMIT, 0, "special file skipped");
		goto out;
	}
	if ((uint64_t)st.st_size > sc->opts.max_filesize) {
		host_error(sc, path, MAMORI_ELIMIT, 0, "larger than --max-filesize, skipped");
		goto out;
	}
	size_t size = (size_t)st.st_size;
	const uint8_t *data = NULL;
	if (size) {
		/* Small files are read into the heap: mapping them costs a
		 * munmap per file, and with several threads each munmap is a
		 * TLB shootdown on every core (14% of a 20,000-file scan). */
		if (size > HOST_READ_MAX)
			map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map != MAP_FAILED) {
			(void)madvise(map, size, MADV_SEQUENTIAL);
			data = map;
		} else {
			/* small files, and file systems that cannot map (some
			 * FUSE mounts): read */
			size_t got = 0;
			if (!(heap = malloc(size))) {
				host_error(sc, path, MAMORI_ENOMEM, ENOMEM, "cannot read");
				goto out;
			}
			while (got < size) {
				ssize_t r = read(fd, heap + got, size - got);
				if (r < 0 && errno == EINTR)
					continue;
				if (r < 0) {
					host_error(sc, path, errno_to_mamori(errno), errno,
						   "cannot read");
					goto out;
				}
				if (r == 0)
					break;
				got += (size_t)r;
			}
			size = got;
			data = heap;
		}
	}
	const char *relp = path + rel;
	if (!*relp)	/* the root itself is a file: match on its name */
		relp = host_basename(path);
	if (!mamori_host_match_path(relp, mpath, sizeof(mpath))) {
		host_error(sc, path, MAMORI_ELIMIT, 0, "path too long, skipped");
		goto out;
	}
	struct host_file f = {
		.path = path,
		.mpath = mpath,
		.data = size ? data : NULL,
		.size = size,
		.sc = sc,
	};
	f.mname = host_basename(mpath);
	const char *dot = strrchr(f.mname, '.');
	f.ext = dot ? dot + 1 : "";
	f.is_pe = mamori_pe_is_pe(f.data, f.size);
	for (size_t i = 0; i < sizeof(host_analyzers) / sizeof(host_analyzers[0]); i++) {
		if (host_analyzers[i].run(&f) != 0)
			break;
	}
	pthread_mutex_lock(&sc->out_mu);
	sc->st.files++;
	sc->st.bytes += size;
	if (sc->cb->on_progress)
		sc->cb->on_progress(&sc->st, sc->cb->ctx);
	pthread_mutex_unlock(&sc->out_mu);
out:
	if (map != MAP_FAILED)
		munmap(map, (size_t)st.st_size);
	free(heap);
	close(fd);
}

static void scan_dir(struct pool *p, const char *path, size_t rel)
{
	struct mamori_host_scanner *sc = p->sc;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		host_error(sc, path, errno_to_mamori(e), e, "cannot list directory");
		return;
	}
	pthread_mutex_lock(&sc->out_mu);
	sc->st.dirs++;
	pthread_mutex_unlock(&sc->out_mu);
	size_t plen = strlen(path);
	bool slash = plen > 0 && path[plen - 1] == '/';
	struct dirent *de;
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno)
				host_error(sc, path, MAMORI_EIO, errno, "error while listing");
			break;
		}
		const char *nm = de->d_name;
		if (!strcmp(nm, ".") || !strcmp(nm, ".."))
			continue;
		unsigned char t = de->d_type;
		if (t == DT_UNKNOWN) {
			struct stat st;
			if (fstatat(dirfd(d), nm, &st, AT_SYMLINK_NOFOLLOW) != 0) {
				host_error(sc, path, MAMORI_EIO, errno, "cannot stat entry");
				continue;
			}
			t = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG
			  : S_ISLNK(st.st_mode) ? DT_LNK : DT_FIFO;
		}
		if (t != DT_DIR && t != DT_REG) {
			pthread_mutex_lock(&sc->out_mu);
			sc->st.skipped++;
			pthread_mutex_unlock(&sc->out_mu);
			continue;
		}
		size_t l = plen + 1 + strlen(nm) + 1;
		if (l > HOST_PATH_MAX) {
			host_error(sc, path, MAMORI_ELIMIT, 0, "entry path too long, skipped");
			continue;
		}
		char *child = malloc(l);
		if (!child) {
			pthread_mutex_lock(&p->mu);
			p->fatal = MAMORI_ENOMEM;
			pthread_mutex_unlock(&p->mu);
			break;
		}
		snprintf(child, l, slash ? "%s%s" : "%s/%s", path, nm);
		pthread_mutex_lock(&p->mu);
		bool full = p->n >= HOST_MAX_PENDING;
		int rc = full ? 0 : pool_push_locked(p, child, rel, t == DT_DIR);
		if (rc == 0 && !full)
			pthread_cond_signal(&p->cv);
		else if (rc)
			p->fatal = rc;
		pthread_mutex_unlock(&p->mu);
		if (full) {
			/* the stack is at its cap: files are scanned right here,
			 * folders reported and skipped */
			if (t == DT_REG)
				scan_file(p, child, rel);
			else
				host_error(sc, child, MAMORI_ELIMIT, 0,
					   "too many pending entries, folder skipped");
			free(child);
			continue;
		}
		if (rc) {
			free(child);
			break;
		}
	}
	closedir(d);
}

static void *pool_worker(void *arg)
{
	struct pool *p = arg;
	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (p->n == 0 && p->busy > 0 && !p->sc->stop && !p->fatal)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->n == 0 || p->sc->stop || p->fatal) {
			pthread_cond_broadcast(&p->cv);
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		struct work w = p->stack[--p->n];
		p->busy++;
		pthread_mutex_unlock(&p->mu);

		if (w.dir)
			scan_dir(p, w.path, w.rel);
		else
			scan_file(p, w.path, w.rel);
		free(w.path);

		pthread_mutex_lock(&p->mu);
		p->busy--;
		if (p->n == 0 && p->busy == 0)
			pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
}

static int walk_root(struct mamori_host_scanner *sc, const char *root)
{
	int rc = 0;
	struct pool p = {.sc = sc};
	pthread_t th[MAMORI_HOST_MAX_THREADS];
	unsigned started = 0;
	struct stat st;
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);

	/* The root itself is followed if it is a symlink: the user named it. */
	if (stat(root, &st) != 0) {
		host_error(sc, root, errno_to_mamori(errno), errno, "cannot access scan root");
		goto out;
	}
	char *copy = strdup(root);
	if (!copy)
		FAIL(MAMORI_ENOMEM);
	size_t rel = strlen(copy);
	if (S_ISDIR(st.st_mode)) {
		pool_push_locked(&p, copy, rel, true);
	} else if (S_ISREG(st.st_mode)) {
		pool_push_locked(&p, copy, rel, false);
	} else {
		host_error(sc, root, MAMORI_ELIMIT, 0, "special file skipped");
		free(copy);
		goto out;
	}
	if (p.n == 0) {
		free(copy);
		FAIL(MAMORI_ENOMEM);
	}
	for (; started < sc->opts.threads; started++)
		if (pthread_create(&th[started], NULL, pool_worker, &p) != 0)
			break;
	if (started == 0)
		pool_worker(&p);
	for (unsigned i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	rc = p.fatal;
out:
	for (size_t i = 0; i < p.n; i++)
		free(p.stack[i].path);
	free(p.stack);
	pthread_cond_destroy(&p.cv);
	pthread_mutex_destroy(&p.mu);
	return rc;
}

int mamori_host_scan(struct mamori_host_scanner *sc, const char *const *roots,
		     size_t n_roots, const struct mamori_host_callbacks *cb,
		     struct mamori_host_stats *stats)
{
	int rc = 0;
	if (!sc || !cb || !cb->on_finding)
		return MAMORI_EINVAL;
	sc->cb = cb;
	sc->stop = false;
	memset(&sc->st, 0, sizeof(sc->st));
	sc->st.yara_rules = sc->n_yara_rules;
	sc->st.ioc_entries = sc->n_ioc;
	sc->st.hash_entries = sc->n_hash;
	for (size_t i = 0; i < n_roots && !sc->stop; i++) {
		CHECK(walk_root(sc, roots[i]));
		struct stat st;
		if (stat(roots[i], &st) != 0 || !S_ISDIR(st.st_mode))
			continue;	/* hooks look for files below a folder */
		for (unsigned h = 0; h < sc->n_hooks && !sc->stop; h++) {
			int hr = sc->hooks[h].fn(roots[i], host_hook_emit, sc,
						 sc->hooks[h].ctx);
			if (hr < 0)
				host_error(sc, roots[i], hr, 0, "root analyzer failed");
		}
	}
	if (sc->stop)
		rc = MAMORI_ESTATE;
out:
	if (stats)
		*stats = sc->st;
	sc->cb = NULL;
	return rc;
}
