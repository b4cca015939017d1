#ifndef PNGSHIM_H
#define PNGSHIM_H

/*
 * Writes an 8-bit straight-alpha RGBA image (rows top to bottom, width*4 bytes each) as a PNG
 * with one text chunk per key/value pair, in the order given. Keys are 1-79 Latin-1 characters;
 * a pair whose key or value holds a byte >= 0x80 (UTF-8 from Swift) is written as an
 * uncompressed iTXt chunk, every other pair as tEXt. The zlib level is fixed and no tIME chunk
 * is written, so identical input gives byte-identical files.
 *
 * Returns 0 on success. On failure returns -1, writes a NUL-terminated message (libpng's or the
 * OS's) into errbuf (at most errlen bytes) and removes the partially written file.
 *
 * libpng reports errors by longjmp; this function owns the setjmp so that the jump only ever
 * unwinds C frames.
 */
int pngshim_write_rgba(const char *path, const unsigned char *rgba, int width, int height,
                       const char *const *keys, const char *const *values, int ntext,
                       char *errbuf, int errlen);

#endif
