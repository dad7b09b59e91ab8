#include "sglibrary.h"
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

void *sg_library_load(const char *const *names, const char *const *symbols, size_t count,
                      void *table, size_t table_size, char *reason, size_t size) {
    if (table_size != count * sizeof(void *)) {
        snprintf(reason, size, "the function table does not match its %zu symbols", count);
        return NULL;
    }
    void *handle = NULL;
    const char *opened = NULL;
    for (const char *const *name = names; *name && !handle; name++) {
        handle = dlopen(*name, RTLD_LAZY | RTLD_LOCAL);
        opened = *name;
    }
    if (!handle) {
        const char *e = dlerror();
        snprintf(reason, size, "%s", e ? e : "not found");
        return NULL;
    }
    for (size_t i = 0; i < count; i++) {
        void *address = dlsym(handle, symbols[i]);
        if (!address) {
            snprintf(reason, size, "%s has no %s", opened, symbols[i]);
            dlclose(handle);
            return NULL;
        }
        /* POSIX (dlsym) gives data and function pointers one representation: copy the bytes. */
        memcpy((char *)table + i * sizeof(void *), &address, sizeof address);
    }
    return handle;
}
