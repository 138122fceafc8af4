/*
 * sockdir.h - a directory for sockets that only trusted users can reach.
 *
 * A unix socket is reachable by whoever can search every directory on its
 * path and write the socket, and it can be replaced by whoever can write
 * to a directory on its path.  QEMU makes its gdbstub socket with whatever
 * mode its umask gives (libvirt's QEMU: group-writable), so before the
 * socket exists the barrier has to be its directory.  Anyone past the
 * barrier has the gdbstub: all guest memory and registers.  The rules,
 * checked on descriptors opened one path component at a time with
 * O_NOFOLLOW (no symbolic link is followed, and what is checked is what is
 * used):
 *
 *   - the path is absolute, with no "." or ".." and no symbolic link in it;
 *   - every directory on it is owned by a trusted user;
 *   - none is writable by other users, unless it is sticky and owned by
 *     root (as /tmp), nor by a group that has an untrusted member;
 *   - the socket directory (sockdir_check, sockdir_make) gives other users
 *     no access at all, and its group none unless every member of that
 *     group is trusted (0700, or 0750 with a group only trusted users are
 *     in);
 *   - the socket itself (sockdir_check_socket) is a socket, not a symbolic
 *     link, owned by a trusted user; and either its directory is private
 *     as above or the socket is (no write permission for other users, nor
 *     for a group with an untrusted member: they cannot connect).
 *
 * A group's members are those the group database lists and the users whose
 * primary group it is (the user database is enumerated for those).
 *
 * Shared by the kvm driver (before it connects to a gdbstub socket) and
 * xml/ (vmi-helperd and virt-vmi, which make the directory).  Errors are
 * G_FILE_ERROR: PERM for an unsafe path, NOENT, ACCES (a directory on the
 * path cannot be searched), INVAL (not an absolute plain path), or the
 * errno of a failed system call.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include <glib.h>

G_BEGIN_DECLS

/* root, the caller, QEMU's user, and one to spare */
#define SOCKDIR_MAX_TRUSTED 4

/* The users trusted with a socket; root is always one of them. */
typedef struct {
    uid_t uid[SOCKDIR_MAX_TRUSTED];
    unsigned n;
} sockdir_trust_t;

/* Sets @t to root alone. */
void sockdir_trust_init(sockdir_trust_t *t);

/* Adds @uid to @t (once; FALSE when @t is full). */
bool sockdir_trust_add(sockdir_trust_t *t, uid_t uid);

/* Whether @uid is one of @t. */
bool sockdir_trust_has(const sockdir_trust_t *t, uid_t uid);

/* The trusted users by name, "root and libvirt-qemu" (@conj "and") or
 * "root or libvirt-qemu" (@conj "or"). */
char *sockdir_trust_describe(const sockdir_trust_t *t, const char *conj);

/**
 * sockdir_check:
 * @what: what the directory is for, e.g. "gdbstub socket" (for messages)
 * @dir: the directory (absolute)
 * @t: the trusted users
 * @missing: (out) (optional): set when @dir, or a directory above it, does
 *   not exist (what exists is checked); NULL makes a missing one an error
 * @error: return location for an error
 *
 * Checks @dir and every directory above it by the rules above.
 */
bool sockdir_check(const char *what, const char *dir, const sockdir_trust_t *t, bool *missing,
                   GError **error);

/**
 * sockdir_make:
 * @what, @dir, @t, @error: as sockdir_check()
 * @owner, @group: given the directory when this call makes it ((uid_t)-1,
 *   (gid_t)-1: the caller's); @owner must be one of @t
 * @created: (out) (optional): TRUE when this call made @dir
 *
 * Makes @dir when it does not exist: mode 0700, given to @owner and
 * @group; missing directories above it are made mode 0755, the caller's.
 * Each one is made with mkdirat() in its checked parent, opened with
 * O_NOFOLLOW and checked on that descriptor before it is changed.  An
 * existing @dir is checked and left as it is: an unsafe one is an error,
 * never repaired.
 */
bool sockdir_make(const char *what, const char *dir, const sockdir_trust_t *t, uid_t owner,
                  gid_t group, bool *created, GError **error);

/**
 * sockdir_check_socket:
 * @what: e.g. "gdbstub socket"
 * @path: the socket (absolute)
 * @t: the trusted users; when @socket_owner_trusted, the socket's owner is
 *   added to a copy of @t before anything is checked (for a socket whose
 *   server's user is not known otherwise)
 * @error: return location for an error
 *
 * Checks the directories on the path as sockdir_check() does, except that
 * the socket's directory need not be private when the socket is: nobody
 * untrusted may write the socket (connect to it).  The socket itself:
 * fstatat() without following says it is a socket, owned by a trusted user.
 */
bool sockdir_check_socket(const char *what, const char *path, const sockdir_trust_t *t,
                          bool socket_owner_trusted, GError **error);

G_END_DECLS
