/*
 * Secrets read from their files: the pool's password, the cards' USM
 * passwords (secret.c).
 */
#ifndef UPSXEN_SECRET_H
#define UPSXEN_SECRET_H

#include <stddef.h>

/* A secret is one line, at most this long: a longer file is refused. */
#define SECRET_MAX	4096

/*
 * The first line of the file at path, malloc'd, without its newline;
 * NULL with *err naming the file and what is wrong with it.
 */
char	*secret_read(const char *, char *, size_t);
/* Wipes the secret, then frees it. */
void	 secret_free(char *);

#endif
