#include "sglibrary.h"
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

void *sg_library_load(const sg_library *library, void *table, size_t table_size, char *error, size_t size) {
    char reason[200];
    void *handle = NULL;
    const char *opened = NULL;
    if (table_size != library->count * sizeof(void *)) {
        snprintf(reason, sizeof reason, "its function table does not match its %zu symbols", library->count);
    } else {
        for (const char *const *name = library->names; *name && !handle; name++) {
            handle = dlopen(*name, RTLD_LAZY | RTLD_LOCAL);
            opened = *name;
        }
        if (!handle) {
            const char *e = dlerror();
            snprintf(reason, sizeof reason, "%s", e ? e : "not found");
        }
        for (size_t i = 0; handle && i < library->count; i++) {
            void *address = dlsym(handle, library->symbols[i]);
            if (!address) {
                snprintf(reason, sizeof reason, "%s has no %s", opened, library->symbols[i]);
                dlclose(handle);
                handle = NULL;
                break;
            }
            /* POSIX (dlsym) gives data and function pointers one representation: copy the bytes. */
            memcpy((char *)table + i * sizeof(void *), &address, sizeof address);
        }
    }
    if (!handle) snprintf(error, size, "cannot load %s (%s); install %s", library->label, reason, library->package);
    return handle;
}

int sg_library_answer(int loaded, const char *error, char *out, size_t size) {
    if (loaded) return 0;
    if (out && size) snprintf(out, size, "%s", error);
    return -1;
}
