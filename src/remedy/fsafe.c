/*
 * Confined file access for remediation: every path inside the scanned
 * volume is reached from an open descriptor of its root, one component at
 * a time with O_NOFOLLOW|O_DIRECTORY, so neither a symlink nor ".." can
 * lead out of it (the scope rule of issue 8).  Files are replaced by a
 * temporary file in the same directory, fsynced, renamed over the target,
 * and the directory fsynced, so a crash leaves the old or the new file.
 *
 * Also the SHA-256 (OpenSSL EVP) and whole-file helpers used for the
 * quarantine directory, and the MAMORI_CRASH_AT test hook.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "remedy/remedy_int.h"
#include "util/err.h"

static unsigned crash_count;

unsigned mamori_remedy_crash_points(void)
{
	return crash_count;
}

void rm_crash_point(void)
{
	crash_count++;
#ifdef MAMORI_DEBUG
	static long at = -1;
	if (at < 0) {
		const char *e = getenv("MAMORI_CRASH_AT");
		at = e && *e ? strtol(e, NULL, 10) : 0;
	}
	if (at > 0 && (long)crash_count == at)
		_exit(86);
#endif
}

bool rm_fmt(char *dst, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vsnprintf(dst, n, fmt, ap);
	va_end(ap);
	return r >= 0 && (size_t)r < n;
}

int rm_errno(int e)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR:
		return MAMORI_ENOENT;
	case EACCES:
	case EPERM:
	case EROFS:
	case ELOOP:
		return MAMORI_EPERM;
	case EEXIST:
		return MAMORI_EEXIST;
	case ENOMEM:
		return MAMORI_ENOMEM;
	case ENOSPC:
	case EDQUOT:
	case EFBIG:
		return MAMORI_ELIMIT;
	default:
		return MAMORI_EIO;
	}
}

int rm_open_parent(int rootfd, const char *rel, bool mkdirs, int *dirfd,
		   char *base, size_t n)
{
	char comp[256];
	int fd = -1, rc = 0;
	const char *p = rel;
	*dirfd = -1;
	if (!rel || !*rel || rel[0] == '/')
		return MAMORI_EINVAL;
	fd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return rm_errno(errno);
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		if (len == 0 || len >= sizeof(comp))
			FAIL(MAMORI_EINVAL);
		memcpy(comp, p, len);
		comp[len] = 0;
		if (!strcmp(comp, ".") || !strcmp(comp, ".."))
			FAIL(MAMORI_EINVAL);
		if (!slash) {
			if (len >= n)
				FAIL(MAMORI_EINVAL);
			memcpy(base, comp, len + 1);
			*dirfd = fd;
			return 0;
		}
		int nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0 && errno == ENOENT && mkdirs) {
			if (mkdirat(fd, comp, 0755) < 0 && errno != EEXIST)
				FAIL(rm_errno(errno));
			nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (nfd < 0)
			FAIL(errno == ENOTDIR || errno == ELOOP ? MAMORI_EPERM : rm_errno(errno));
		close(fd);
		fd = nfd;
		p = slash + 1;
	}
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

static int read_fd(int fd, uint8_t **data, size_t *len, struct stat *st)
{
	struct stat s;
	uint8_t *d = NULL;
	size_t got = 0;
	if (fstat(fd, &s) < 0)
		return rm_errno(errno);
	if (!S_ISREG(s.st_mode))
		return MAMORI_EPERM;
	if ((uint64_t)s.st_size > RM_MAX_FILE)
		return MAMORI_ELIMIT;
	d = malloc((size_t)s.st_size + 1);
	if (!d)
		return MAMORI_ENOMEM;
	while (got < (size_t)s.st_size) {
		ssize_t r = read(fd, d + got, (size_t)s.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			free(d);
			return MAMORI_EIO;
		}
		got += (size_t)r;
	}
	*data = d;
	*len = got;
	if (st)
		*st = s;
	return 0;
}

int rm_read_at(int dirfd, const char *name, uint8_t **data, size_t *len,
	       struct stat *st)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return errno == ELOOP ? MAMORI_EPERM : rm_errno(errno);
	int rc = read_fd(fd, data, len, st);
	close(fd);
	return rc;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return rm_errno(errno);
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int rm_replace_at(int dirfd, const char *name, const uint8_t *data, size_t len,
		  mode_t mode, const struct stat *attrs)
{
	char tmp[300];
	int fd = -1, rc = 0;
	if (snprintf(tmp, sizeof(tmp), ".%s.mamori-tmp", name) >= (int)sizeof(tmp))
		return MAMORI_EINVAL;
	unlinkat(dirfd, tmp, 0);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return rm_errno(errno);
	CHECK(write_all(fd, data, len));
	if (attrs && geteuid() == 0 && fchown(fd, attrs->st_uid, attrs->st_gid) < 0)
		FAIL(rm_errno(errno));
	if (fchmod(fd, mode & 07777) < 0)
		FAIL(rm_errno(errno));
	if (attrs) {
		struct timespec ts[2] = {attrs->st_atim, attrs->st_mtim};
		if (futimens(fd, ts) < 0)
			FAIL(rm_errno(errno));
	}
	if (fsync(fd) < 0)
		FAIL(rm_errno(errno));
	close(fd);
	fd = -1;
	rm_crash_point();
	if (renameat(dirfd, tmp, dirfd, name) < 0)
		FAIL(rm_errno(errno));
	if (fsync(dirfd) < 0)
		return rm_errno(errno);
	return 0;
out:
	if (fd >= 0)
		close(fd);
	unlinkat(dirfd, tmp, 0);
	return rc;
}

int rm_read_path(const char *path, uint8_t **data, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return rm_errno(errno);
	int rc = read_fd(fd, data, len, NULL);
	close(fd);
	return rc;
}

int rm_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return rm_errno(errno);
	int rc = fsync(fd) < 0 ? rm_errno(errno) : 0;
	close(fd);
	return rc;
}

int rm_write_path(const char *path, const uint8_t *data, size_t len)
{
	char tmp[4200], dir[4096];
	int fd = -1, rc = 0;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return MAMORI_EINVAL;
	snprintf(dir, sizeof(dir), "%s", path);
	char *sl = strrchr(dir, '/');
	if (!sl)
		snprintf(dir, sizeof(dir), ".");
	else
		*sl = 0;
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return rm_errno(errno);
	CHECK(write_all(fd, data, len));
	if (fsync(fd) < 0)
		FAIL(rm_errno(errno));
	close(fd);
	fd = -1;
	if (rename(tmp, path) < 0)
		FAIL(rm_errno(errno));
	return rm_fsync_dir(dir);
out:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return rc;
}

int rm_sha256(const uint8_t *data, size_t len, char hex[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
		return MAMORI_EDEP;
	for (unsigned i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}
