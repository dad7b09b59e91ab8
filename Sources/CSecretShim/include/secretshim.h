#pragma once
/* libsecret, loaded on first use with dlopen: filled in by the keyring work. */
int sgsecret_load(char *err, unsigned long errlen);
