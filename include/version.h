/* version.h - the toolkit's one version: echod, tcpload and backlog-lab
 * print it for --version and carry it in their JSON. */
#ifndef VERSION_H
#define VERSION_H

#define TOOLKIT_VERSION "1.0.0"

#endif
